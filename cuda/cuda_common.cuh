// Shared helpers for the CUDA sources: error-checking macros and a device guard.
#pragma once
#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>

#include "core/error.h"

namespace pydl::cuda {

// Throws pydl::Error for a failed runtime call. Out of line so the macro stays small at each
// call site; `what` is the stringified call so the message says exactly what failed.
[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* what, const char* file, int line) {
  // Clear the (non-sticky) error so the next unrelated call does not report it again.
  cudaGetLastError();
  throw Error(str("CUDA error: ", cudaGetErrorString(err), " (", cudaGetErrorName(err), ") in ", what,
                  " at ", file, ":", line));
}

// PYDL_SYNC=1 makes every launch synchronous, so an asynchronous fault (e.g. an illegal
// address) is reported at the kernel that caused it rather than at some later call.
inline bool sync_after_launch() {
  static const bool enabled = [] {
    const char* v = std::getenv("PYDL_SYNC");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return enabled;
}

// Sets the current device for a scope and restores the previous one, so backend calls on
// "cuda:1" do not leave the caller's thread switched away from its device. index < 0 means
// "keep the current device".
class DeviceGuard {
 public:
  explicit DeviceGuard(int index) {
    if (index < 0) return;
    cudaError_t err = cudaGetDevice(&prev_);
    if (err != cudaSuccess) throw_cuda_error(err, "cudaGetDevice(&prev)", __FILE__, __LINE__);
    if (prev_ != index) {
      err = cudaSetDevice(index);
      if (err != cudaSuccess) throw_cuda_error(err, "cudaSetDevice(index)", __FILE__, __LINE__);
      switched_ = true;
    }
  }
  ~DeviceGuard() {
    // Destructors must not throw; restoring a device that was valid moments ago cannot
    // reasonably fail, and if it does the error is cleared rather than leaked.
    if (switched_ && cudaSetDevice(prev_) != cudaSuccess) cudaGetLastError();
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int prev_ = -1;
  bool switched_ = false;
};

// The device owning a pointer, or -1 if it is not device memory. ElementwiseIter carries no
// device, so kernels over one ask the runtime rather than trusting whichever device is current.
inline int pointer_device(const void* p) {
  cudaPointerAttributes attr;
  if (cudaPointerGetAttributes(&attr, p) != cudaSuccess) {
    cudaGetLastError();
    return -1;
  }
  return attr.type == cudaMemoryTypeDevice || attr.type == cudaMemoryTypeManaged ? attr.device : -1;
}

// The end of every backend entry point (see cuda_backend.cu): wait for the device, so an
// asynchronous fault surfaces at the op that caused it.
inline void sync(const char* what) {
  cudaError_t err = cudaDeviceSynchronize();
  if (err != cudaSuccess) throw_cuda_error(err, what, __FILE__, __LINE__);
}

}  // namespace pydl::cuda

#define PYDL_CUDA_CHECK(expr)                                                    \
  do {                                                                           \
    cudaError_t pydl_cuda_err_ = (expr);                                         \
    if (pydl_cuda_err_ != cudaSuccess)                                           \
      ::pydl::cuda::throw_cuda_error(pydl_cuda_err_, #expr, __FILE__, __LINE__); \
  } while (0)

// After every launch: catches bad launch configurations at once, and (with PYDL_SYNC=1)
// faults inside the kernel, naming the kernel in either case.
#define PYDL_CUDA_KERNEL_CHECK(name)                                                              \
  do {                                                                                            \
    cudaError_t pydl_cuda_err_ = cudaGetLastError();                                              \
    if (pydl_cuda_err_ == cudaSuccess && ::pydl::cuda::sync_after_launch())                       \
      pydl_cuda_err_ = cudaDeviceSynchronize();                                                   \
    if (pydl_cuda_err_ != cudaSuccess)                                                            \
      ::pydl::cuda::throw_cuda_error(pydl_cuda_err_, "kernel launch " name, __FILE__, __LINE__); \
  } while (0)
