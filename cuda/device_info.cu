// Implements device_info.h with the CUDA runtime; every failure becomes a pydl::Error.
#include "device_info.h"

#include <cuda_runtime.h>

#include "cuda_common.cuh"

namespace pydl::cuda {
namespace {

// Checked here rather than left to the runtime so the message names the valid range, and
// GPU-less machines get "no device" instead of a bare "invalid device ordinal".
void check_index(int index) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    count = 0;
  }
  PYDL_CHECK(count > 0, "Found no NVIDIA driver or CUDA device on this machine (pydl.cuda.is_available() is False)");
  PYDL_CHECK(index >= 0 && index < count, "CUDA error: invalid device ordinal (device ", index, " requested, ",
             count, " available)");
}

}  // namespace

int cuda_runtime_version() {
  int v = 0;
  PYDL_CUDA_CHECK(cudaRuntimeGetVersion(&v));
  return v;
}

int cuda_driver_version() {
  int v = 0;
  // Without libcuda the call fails (or reports 0); either way "no driver" is 0, not an error.
  if (cudaDriverGetVersion(&v) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return v;
}

CudaDeviceProps cuda_device_properties(int index) {
  check_index(index);
  cudaDeviceProp p;
  PYDL_CUDA_CHECK(cudaGetDeviceProperties(&p, index));
  CudaDeviceProps out;
  out.name = p.name;
  out.major = p.major;
  out.minor = p.minor;
  out.multi_processor_count = p.multiProcessorCount;
  out.total_memory = p.totalGlobalMem;
  return out;
}

void cuda_set_device(int index) {
  check_index(index);
  PYDL_CUDA_CHECK(cudaSetDevice(index));
}

}  // namespace pydl::cuda
