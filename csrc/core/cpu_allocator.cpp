// CPU caching allocator. Requests are rounded up to a size class (powers of two split in
// four steps, so at most 25% is wasted), blocks are 64-byte aligned, and freed blocks go to a
// free list per class. The cache is capped (cpu_set_cache_limit): past the cap, blocks are
// returned to the OS, largest classes first, so a burst of huge temporaries does not pin
// memory forever.
#include <pthread.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <vector>

#include "core/allocator.h"
#include "core/error.h"

namespace pydl {
namespace {

size_t size_class(size_t n) {
  if (n <= 64) return 64;
  size_t p = 64;
  while (p * 2 < n) p *= 2;  // p < n <= 2p: classes p*1.25, p*1.5, p*1.75, 2p
  size_t step = p / 4;
  size_t cls = p + ((n - p + step - 1) / step) * step;
  return (cls + kCpuAlignment - 1) & ~(kCpuAlignment - 1);  // aligned_alloc needs a multiple
}

class CpuCachingAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes) override {
    if (nbytes == 0) nbytes = 1;
    // size_class would overflow past 2^63; no machine has that much memory anyway.
    if (nbytes > (size_t(1) << 62)) {
      throw OutOfMemoryError(str("CPU out of memory: tried to allocate ", nbytes, " bytes"));
    }
    size_t cls = size_class(nbytes);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.num_allocs++;
      auto it = free_.find(cls);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_bytes_ -= static_cast<int64_t>(cls);
        stats_.num_cache_hits++;
        note_alloc(cls);
        return p;
      }
    }
    void* p = os_alloc(cls);
    if (!p) {  // Give the cache back and retry once before failing.
      cpu_empty_cache();
      p = os_alloc(cls);
    }
    if (!p) {
      throw OutOfMemoryError(str("CPU out of memory: tried to allocate ", nbytes, " bytes (",
                                 stats_.allocated, " bytes already allocated)"));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.num_os_allocs++;
    stats_.reserved += static_cast<int64_t>(cls);
    note_alloc(cls);
    return p;
  }

  void deallocate(void* ptr, size_t nbytes) override {
    if (!ptr) return;
    if (nbytes == 0) nbytes = 1;
    size_t cls = size_class(nbytes);
    std::vector<std::pair<void*, size_t>> to_release;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.allocated -= static_cast<int64_t>(cls);
      free_[cls].push_back(ptr);
      cached_bytes_ += static_cast<int64_t>(cls);
      trim_locked(limit_, to_release);
    }
    release(to_release);
  }

  void empty_cache() {
    std::vector<std::pair<void*, size_t>> to_release;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      trim_locked(0, to_release);
    }
    release(to_release);
  }

  MemoryStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }
  void reset_peak() {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.peak_allocated = stats_.allocated;
  }
  void set_limit(int64_t bytes) {
    PYDL_CHECK_VALUE(bytes >= 0, "set_cache_limit: limit must be >= 0, got ", bytes);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      limit_ = bytes;
    }
    std::vector<std::pair<void*, size_t>> to_release;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      trim_locked(limit_, to_release);
    }
    release(to_release);
  }
  int64_t limit() {
    std::lock_guard<std::mutex> lock(mutex_);
    return limit_;
  }
  // After fork() the child has one thread; a lock held by another parent thread would never be
  // released, so the child starts with a fresh mutex (the free lists stay valid: same memory).
  void reinit_after_fork() { new (&mutex_) std::mutex(); }

 private:
  static void* os_alloc(size_t cls) { return std::aligned_alloc(kCpuAlignment, cls); }

  void note_alloc(size_t cls) {
    stats_.allocated += static_cast<int64_t>(cls);
    if (stats_.allocated > stats_.peak_allocated) stats_.peak_allocated = stats_.allocated;
  }

  // Moves blocks out of the cache (largest first) until it holds at most `limit` bytes.
  void trim_locked(int64_t limit, std::vector<std::pair<void*, size_t>>& out) {
    for (auto it = free_.rbegin(); it != free_.rend() && cached_bytes_ > limit; ++it) {
      auto& blocks = it->second;
      while (!blocks.empty() && cached_bytes_ > limit) {
        out.emplace_back(blocks.back(), it->first);
        blocks.pop_back();
        cached_bytes_ -= static_cast<int64_t>(it->first);
        stats_.reserved -= static_cast<int64_t>(it->first);
      }
    }
  }
  static void release(const std::vector<std::pair<void*, size_t>>& blocks) {
    for (auto& b : blocks) std::free(b.first);
  }

  std::mutex mutex_;
  std::map<size_t, std::vector<void*>> free_;
  int64_t cached_bytes_ = 0;
  int64_t limit_ = int64_t(1) << 30;  // 1 GiB of cached free blocks at most
  MemoryStats stats_;
};

CpuCachingAllocator& instance() {
  // Leaked on purpose: tensors freed during interpreter shutdown still need it.
  static CpuCachingAllocator* a = [] {
    auto* p = new CpuCachingAllocator();
    pthread_atfork(nullptr, nullptr, [] { instance().reinit_after_fork(); });
    return p;
  }();
  return *a;
}

}  // namespace

Allocator* cpu_allocator() { return &instance(); }
MemoryStats cpu_memory_stats() { return instance().stats(); }
void cpu_reset_peak_memory_stats() { instance().reset_peak(); }
void cpu_empty_cache() { instance().empty_cache(); }
void cpu_set_cache_limit(int64_t bytes) { instance().set_limit(bytes); }
int64_t cpu_cache_limit() { return instance().limit(); }

}  // namespace pydl
