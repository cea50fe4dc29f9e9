// Device memory allocators. The CPU one caches freed blocks in size buckets so that a loop
// that creates outputs of the same sizes reuses warm memory instead of page-faulting.
#pragma once
#include <cstddef>
#include <cstdint>

namespace pydl {

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(size_t nbytes) = 0;
  virtual void deallocate(void* ptr, size_t nbytes) = 0;
};

struct MemoryStats {
  int64_t allocated = 0;       // bytes in live blocks (rounded block sizes)
  int64_t peak_allocated = 0;  // max of `allocated` since the last reset
  int64_t reserved = 0;        // allocated + cached
  int64_t num_allocs = 0;      // allocate() calls
  int64_t num_cache_hits = 0;  // allocate() calls served from the cache
  int64_t num_os_allocs = 0;   // blocks obtained from the OS
};

constexpr size_t kCpuAlignment = 64;

Allocator* cpu_allocator();
MemoryStats cpu_memory_stats();
void cpu_reset_peak_memory_stats();
void cpu_empty_cache();  // return every cached block to the OS
// Largest total of cached (free) bytes kept before blocks go back to the OS.
void cpu_set_cache_limit(int64_t bytes);
int64_t cpu_cache_limit();

}  // namespace pydl
