// A caching allocator for device memory, in the shape of PyTorch's CUDA allocator: memory is
// obtained from the device in segments, handed out as blocks carved from them, and freed blocks
// stay cached for the next request instead of going back to the driver (cudaMalloc and cudaFree
// synchronise the device and cost tens of microseconds each).
//
//  - Requests round up to 512 bytes. Those up to 1 MiB come from a small pool of 2 MiB segments,
//    larger ones from a large pool (20 MiB segments below 10 MiB, else the size rounded up to
//    2 MiB), so small tensors do not fragment the segments that big ones need.
//  - A request takes the smallest cached block of its pool and stream that fits (best fit) and
//    splits off the rest when that is worth keeping (any remainder in the small pool, over 1 MiB
//    in the large one). A freed block merges with free neighbours of its segment.
//  - Blocks belong to the stream they were allocated on and are reused only on that stream, so a
//    kernel still running on one stream never sees its memory handed to another.
//  - When the device is out of memory, every wholly free cached segment is released and the
//    request retried once; if it still fails, OutOfMemoryError names the size requested and what
//    the allocator holds, and the allocator stays usable.
//
// Nothing here calls CUDA: the device side is a MemorySource, so the CUDA backend plugs in
// cudaMalloc/cudaFree and the tests drive the same code with host memory.
#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

namespace pydl {

// Where segments come from. reserve() returns nullptr when the device is out of memory (any
// other failure throws); describe() adds the device's own view to an out-of-memory message.
class MemorySource {
 public:
  virtual ~MemorySource() = default;
  virtual void* reserve(size_t nbytes) = 0;
  virtual void release(void* ptr, size_t nbytes) = 0;
  virtual std::string describe() { return ""; }
};

struct CachingAllocatorStats {
  int64_t allocated = 0;        // bytes in blocks handed out (a block can exceed its request:
                                // 512-byte rounding, and a large block keeps a tail under 1 MiB)
  int64_t peak_allocated = 0;   // max of `allocated` since the last reset
  int64_t reserved = 0;         // bytes in segments obtained from the device
  int64_t peak_reserved = 0;    // max of `reserved` since the last reset
  int64_t active_blocks = 0;    // blocks handed out and not yet freed
  int64_t segments = 0;         // segments held
  int64_t num_allocs = 0;       // allocate() calls
  int64_t num_cache_hits = 0;   // ... served from cached blocks
  int64_t num_device_allocs = 0;   // segments obtained from the device
  int64_t num_device_frees = 0;    // segments given back
  int64_t num_alloc_retries = 0;   // out-of-memory: cache released and the request retried
  int64_t num_ooms = 0;            // requests that failed after the retry
};

class CachingAllocator {
 public:
  static constexpr size_t kMinBlock = 512;
  static constexpr size_t kSmallRequest = size_t{1} << 20;  // up to this: the small pool
  static constexpr size_t kSmallSegment = size_t{2} << 20;
  static constexpr size_t kLargeSegment = size_t{20} << 20;  // for requests under 10 MiB
  static constexpr size_t kRoundLarge = size_t{2} << 20;

  // `name` prefixes error messages ("CUDA"); `source` must outlive the allocator.
  CachingAllocator(MemorySource* source, std::string name) : source_(source), name_(std::move(name)) {}
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // nbytes == 0 gives nullptr (an empty tensor owns no memory), as in PyTorch.
  void* allocate(size_t nbytes, uintptr_t stream = 0);
  // Never throws (it runs from Storage's destructor); an unknown pointer is ignored.
  void deallocate(void* ptr);
  // Gives every wholly free segment back to the device.
  void empty_cache();
  CachingAllocatorStats stats();
  void reset_peak_stats();
  // The size a request of nbytes is rounded to (for tests and memory_summary).
  static size_t round_size(size_t nbytes);

 private:
  struct Block {
    char* ptr;
    size_t size;
    uintptr_t stream;
    bool small;              // which pool it belongs to
    bool allocated = false;
    Block* prev = nullptr;   // neighbours within the segment
    Block* next = nullptr;
  };
  struct BySize {  // best fit: the smallest block of the stream that fits, then lowest address
    bool operator()(const Block* a, const Block* b) const {
      if (a->stream != b->stream) return a->stream < b->stream;
      if (a->size != b->size) return a->size < b->size;
      return a->ptr < b->ptr;
    }
  };
  using Pool = std::set<Block*, BySize>;

  Pool& pool_of(bool small) { return small ? small_pool_ : large_pool_; }
  static size_t segment_size(size_t size);
  Block* take_cached(size_t size, bool small, uintptr_t stream);
  Block* new_segment(size_t size, bool small, uintptr_t stream);
  void split(Block* block, size_t size);
  static Block* merge_into_prev(Block* block);
  void release_free_segments();
  [[noreturn]] void throw_oom(size_t nbytes, size_t segment);

  MemorySource* source_;
  std::string name_;
  std::mutex mutex_;
  Pool small_pool_, large_pool_;
  std::unordered_map<void*, Block*> active_;
  CachingAllocatorStats stats_;
};

}  // namespace pydl
