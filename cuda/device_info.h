// CUDA runtime / device queries for the Python layer (pydl.cuda.*), free of CUDA types so any
// C++ file can include it when PYDL_WITH_CUDA is defined. Failures throw pydl::Error.
#pragma once
#include <cstddef>
#include <string>

namespace pydl::cuda {

// Version of the CUDA runtime pydl was linked against, as 1000 * major + 10 * minor.
int cuda_runtime_version();
// Newest CUDA version the installed driver supports (same encoding); 0 when there is no driver.
int cuda_driver_version();

struct CudaDeviceProps {
  std::string name;
  int major = 0, minor = 0;  // compute capability
  int multi_processor_count = 0;
  size_t total_memory = 0;  // bytes
};

// Properties of device `index` (pydl::Error naming the valid range when it does not exist).
CudaDeviceProps cuda_device_properties(int index);
// Makes `index` the calling thread's current device.
void cuda_set_device(int index);

}  // namespace pydl::cuda
