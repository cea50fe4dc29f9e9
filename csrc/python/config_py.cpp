// Build and runtime facts for pydl.show_config(), threads, and CPU memory statistics.
#include "backend/backend.h"
#include "build_info.h"
#include "core/allocator.h"
#include "core/cpu_isa.h"
#include "core/parallel.h"
#include "python/bindings.h"
#ifdef PYDL_WITH_CUDA
#include "device_info.h"
#endif

namespace pydl::python {

static py::dict build_info() {
  py::dict d;
  d["version"] = PYDL_VERSION_STR;
  d["compiler"] = PYDL_CXX_COMPILER;
  d["build_type"] = PYDL_BUILD_TYPE;
  d["cxx_flags"] = PYDL_CXX_FLAGS;
  py::list compiled;
  for (CpuIsa isa : compiled_cpu_isas()) compiled.append(cpu_isa_name(isa));
  d["cpu_isa_compiled"] = compiled;
  d["cpu_isa_selected"] = cpu_isa_name(selected_cpu_isa());
  d["openmp"] = openmp_available();
  d["num_threads"] = get_num_threads();
#ifdef PYDL_WITH_CUDA
  d["cuda_built"] = true;
  d["cuda_compiler"] = PYDL_CUDA_COMPILER_VERSION;
  d["cuda_archs"] = PYDL_CUDA_ARCHS_STR;
  d["cuda_runtime_version"] = pydl::cuda::cuda_runtime_version();
  d["cuda_driver_version"] = pydl::cuda::cuda_driver_version();
#else
  d["cuda_built"] = false;
#endif
  return d;
}

void init_config(py::module_& m) {
  m.def("_build_info", &build_info);
  m.def("get_num_threads", &get_num_threads, "Threads used by parallel CPU kernels.");
  m.def("set_num_threads", [](int num) {
    PYDL_CHECK(num > 0, "set_num_threads expects a positive integer, got ", num);  // RuntimeError, as in PyTorch
    set_num_threads(num);
  }, py::arg("num"), "Sets the threads used by parallel CPU kernels.");

  m.def("_cpu_memory_stats", [] {
    MemoryStats s = cpu_memory_stats();
    py::dict d;
    d["allocated_bytes"] = s.allocated;
    d["peak_allocated_bytes"] = s.peak_allocated;
    d["reserved_bytes"] = s.reserved;
    d["num_allocs"] = s.num_allocs;
    d["num_cache_hits"] = s.num_cache_hits;
    d["num_os_allocs"] = s.num_os_allocs;
    d["cache_limit_bytes"] = cpu_cache_limit();
    return d;
  });
  m.def("_cpu_reset_peak_memory_stats", &cpu_reset_peak_memory_stats);
  m.def("_cpu_empty_cache", &cpu_empty_cache);
  m.def("_cpu_set_cache_limit", &cpu_set_cache_limit, py::arg("bytes"));

  m.def("_cuda_device_count", [] { return has_backend(DeviceType::CUDA) ? backend(DeviceType::CUDA).device_count() : 0; });
  m.def("_cuda_current_device", [] { return backend(DeviceType::CUDA).current_device(); });
  m.def("_cuda_synchronize", [](int d) { backend(DeviceType::CUDA).synchronize(d); });
#ifdef PYDL_WITH_CUDA
  m.def("_cuda_set_device", &pydl::cuda::cuda_set_device);
  m.def("_cuda_device_properties", [](int index) {
    auto p = pydl::cuda::cuda_device_properties(index);
    py::dict d;
    d["name"] = p.name;
    d["major"] = p.major;
    d["minor"] = p.minor;
    d["multi_processor_count"] = p.multi_processor_count;
    d["total_memory"] = p.total_memory;
    return d;
  });
#endif
}

}  // namespace pydl::python
