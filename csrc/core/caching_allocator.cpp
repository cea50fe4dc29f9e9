// The caching allocator's bookkeeping (see caching_allocator.h for the policy).
#include "core/caching_allocator.h"

#include <cstdio>

#include "core/error.h"

namespace pydl {
namespace {

std::string format_bytes(int64_t n) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[64];
  if (u == 0) std::snprintf(buf, sizeof buf, "%lld bytes", static_cast<long long>(n));
  else std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
  return buf;
}

}  // namespace

size_t CachingAllocator::round_size(size_t nbytes) {
  return nbytes < kMinBlock ? kMinBlock : (nbytes + kMinBlock - 1) / kMinBlock * kMinBlock;
}

size_t CachingAllocator::segment_size(size_t size) {
  if (size <= kSmallRequest) return kSmallSegment;
  if (size < kLargeSegment / 2) return kLargeSegment;
  return (size + kRoundLarge - 1) / kRoundLarge * kRoundLarge;
}

CachingAllocator::~CachingAllocator() {
  // Only reached when the owner is torn down deliberately (tests); live blocks are leaked, as
  // their tensors may still point at them.
  std::lock_guard<std::mutex> lock(mutex_);
  release_free_segments();
}

void* CachingAllocator::allocate(size_t nbytes, uintptr_t stream) {
  if (nbytes == 0) return nullptr;
  if (nbytes > (size_t{1} << 62)) throw OutOfMemoryError(str(name_, " out of memory. Tried to allocate ", nbytes, " bytes"));
  const size_t size = round_size(nbytes);
  const bool small = size <= kSmallRequest;
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.num_allocs++;
  Block* block = take_cached(size, small, stream);
  if (block) {
    stats_.num_cache_hits++;
  } else {
    block = new_segment(size, small, stream);
    if (!block) {
      stats_.num_alloc_retries++;
      release_free_segments();
      block = new_segment(size, small, stream);
    }
    if (!block) throw_oom(nbytes, segment_size(size));
  }
  split(block, size);
  block->allocated = true;
  active_[block->ptr] = block;
  stats_.active_blocks++;
  stats_.allocated += static_cast<int64_t>(block->size);
  if (stats_.allocated > stats_.peak_allocated) stats_.peak_allocated = stats_.allocated;
  return block->ptr;
}

void CachingAllocator::deallocate(void* ptr) {
  if (ptr == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = active_.find(ptr);
  if (it == active_.end()) return;
  Block* block = it->second;
  active_.erase(it);
  block->allocated = false;
  stats_.active_blocks--;
  stats_.allocated -= static_cast<int64_t>(block->size);
  Pool& pool = pool_of(block->small);
  // Merge with free neighbours, so a freed segment becomes one block again (and can be released).
  if (Block* prev = block->prev; prev && !prev->allocated) {
    pool.erase(prev);
    block = merge_into_prev(block);
  }
  if (Block* next = block->next; next && !next->allocated) {
    pool.erase(next);
    merge_into_prev(next);
  }
  pool.insert(block);
}

// Folds `block` into its neighbour before it in the segment, which grows to cover both.
CachingAllocator::Block* CachingAllocator::merge_into_prev(Block* block) {
  Block* prev = block->prev;
  prev->size += block->size;
  prev->next = block->next;
  if (block->next) block->next->prev = prev;
  delete block;
  return prev;
}

CachingAllocator::Block* CachingAllocator::take_cached(size_t size, bool small, uintptr_t stream) {
  Pool& pool = pool_of(small);
  Block key{nullptr, size, stream, small};
  auto it = pool.lower_bound(&key);
  if (it == pool.end() || (*it)->stream != stream) return nullptr;
  Block* block = *it;
  pool.erase(it);
  return block;
}

CachingAllocator::Block* CachingAllocator::new_segment(size_t size, bool small, uintptr_t stream) {
  const size_t bytes = segment_size(size);
  void* p = source_->reserve(bytes);
  if (p == nullptr) return nullptr;
  stats_.num_device_allocs++;
  stats_.segments++;
  stats_.reserved += static_cast<int64_t>(bytes);
  if (stats_.reserved > stats_.peak_reserved) stats_.peak_reserved = stats_.reserved;
  return new Block{static_cast<char*>(p), bytes, stream, small};
}

// Cuts `block` (not in any pool) down to `size`, returning the rest to the pool when it is big
// enough to serve a later request of that pool: a large-pool remainder under 1 MiB would only
// ever serve small requests, which the small pool handles, so it stays with the block.
void CachingAllocator::split(Block* block, size_t size) {
  const size_t rest = block->size - size;
  const bool keep = block->small ? rest >= kMinBlock : rest > kSmallRequest;
  if (!keep) return;
  Block* tail = new Block{block->ptr + size, rest, block->stream, block->small};
  tail->prev = block;
  tail->next = block->next;
  if (block->next) block->next->prev = tail;
  block->next = tail;
  block->size = size;
  pool_of(block->small).insert(tail);
}

void CachingAllocator::release_free_segments() {
  for (Pool* pool : {&small_pool_, &large_pool_}) {
    for (auto it = pool->begin(); it != pool->end();) {
      Block* b = *it;
      if (b->prev == nullptr && b->next == nullptr) {  // a whole segment, free
        source_->release(b->ptr, b->size);
        stats_.num_device_frees++;
        stats_.segments--;
        stats_.reserved -= static_cast<int64_t>(b->size);
        it = pool->erase(it);
        delete b;
      } else {
        ++it;
      }
    }
  }
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  release_free_segments();
}

CachingAllocatorStats CachingAllocator::stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void CachingAllocator::reset_peak_stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.peak_allocated = stats_.allocated;
  stats_.peak_reserved = stats_.reserved;
}

void CachingAllocator::throw_oom(size_t nbytes, size_t segment) {
  stats_.num_ooms++;
  std::string device = source_->describe();
  throw OutOfMemoryError(str(name_, " out of memory. Tried to allocate ", format_bytes(static_cast<int64_t>(nbytes)),
                             " (a segment of ", format_bytes(static_cast<int64_t>(segment)), "). ",
                             device.empty() ? "" : device + ". ", "Of the memory pydl holds, ",
                             format_bytes(stats_.allocated), " is allocated and ",
                             format_bytes(stats_.reserved - stats_.allocated),
                             " is reserved but unallocated (the cached segments that were wholly free "
                             "have already been released and the request retried)."));
}

}  // namespace pydl
