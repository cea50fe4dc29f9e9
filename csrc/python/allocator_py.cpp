// Caching-allocator statistics for pydl.cuda (memory_allocated & co), and a host-memory
// instance of the same allocator for the tests, which run where there is no GPU.
#include <cstdlib>

#include "backend/backend.h"
#include "core/caching_allocator.h"
#include "python/bindings.h"

namespace pydl::python {
namespace {

py::dict stats_dict(const CachingAllocatorStats& s) {
  py::dict d;
  d["allocated_bytes"] = s.allocated;
  d["peak_allocated_bytes"] = s.peak_allocated;
  d["reserved_bytes"] = s.reserved;
  d["peak_reserved_bytes"] = s.peak_reserved;
  d["active_blocks"] = s.active_blocks;
  d["segments"] = s.segments;
  d["num_allocs"] = s.num_allocs;
  d["num_cache_hits"] = s.num_cache_hits;
  d["num_device_allocs"] = s.num_device_allocs;
  d["num_device_frees"] = s.num_device_frees;
  d["num_alloc_retries"] = s.num_alloc_retries;
  d["num_ooms"] = s.num_ooms;
  return d;
}

// Host memory with a capacity, standing in for a GPU's: reserve() fails past the capacity the
// way cudaMalloc does when the device is full.
class HostSource final : public MemorySource {
 public:
  explicit HostSource(int64_t capacity) : capacity_(capacity) {}
  void* reserve(size_t n) override {
    if (used_ + static_cast<int64_t>(n) > capacity_) return nullptr;
    void* p = std::aligned_alloc(CachingAllocator::kMinBlock, n);
    if (p) used_ += static_cast<int64_t>(n);
    return p;
  }
  void release(void* p, size_t n) override {
    std::free(p);
    used_ -= static_cast<int64_t>(n);
  }
  std::string describe() override { return str("test device has ", capacity_ - used_, " bytes free"); }
  int64_t used() const { return used_; }

 private:
  int64_t capacity_, used_ = 0;
};

struct HostCachingAllocator {
  explicit HostCachingAllocator(int64_t capacity) : source(capacity), allocator(&source, "Test device") {}
  HostSource source;
  CachingAllocator allocator;
};

}  // namespace

void init_allocator(py::module_& m) {
  m.def("_cuda_memory_stats", [](int device) { return stats_dict(backend(DeviceType::CUDA).memory_stats(device)); });
  m.def("_cuda_reset_peak_memory_stats", [](int device) { backend(DeviceType::CUDA).reset_peak_memory_stats(device); });
  m.def("_cuda_empty_cache", [] { backend(DeviceType::CUDA).empty_cache(); });

  py::class_<HostCachingAllocator>(m, "_HostCachingAllocator",
                                   "The CUDA caching allocator over host memory of a fixed capacity (tests only).")
      .def(py::init<int64_t>(), py::arg("capacity"))
      .def("allocate", [](HostCachingAllocator& h, size_t n, uintptr_t stream) {
        return reinterpret_cast<uintptr_t>(h.allocator.allocate(n, stream));
      }, py::arg("nbytes"), py::arg("stream") = 0)
      .def("deallocate", [](HostCachingAllocator& h, uintptr_t p) { h.allocator.deallocate(reinterpret_cast<void*>(p)); })
      .def("empty_cache", [](HostCachingAllocator& h) { h.allocator.empty_cache(); })
      .def("reset_peak_stats", [](HostCachingAllocator& h) { h.allocator.reset_peak_stats(); })
      .def("stats", [](HostCachingAllocator& h) { return stats_dict(h.allocator.stats()); })
      .def_property_readonly("device_bytes_used", [](HostCachingAllocator& h) { return h.source.used(); })
      .def_static("round_size", &CachingAllocator::round_size);
}

}  // namespace pydl::python
