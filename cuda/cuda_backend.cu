// The CUDA backend: device memory from a caching allocator per GPU, and the copy / fill /
// random primitives as kernels.
// Every entry point synchronizes before returning (streams come later), so errors surface at
// the call that caused them and host code may read results at once.
#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "core/caching_allocator.h"
#include "core/convert.h"
#include "core/dispatch.h"
#include "cuda_common.cuh"
#include "cuda_kernels.h"
#include "cuda_loops.cuh"

namespace pydl::cuda {
namespace {

// --- copy kernels
template <typename To, typename From>
__global__ void cast_contiguous_kernel(To* dst, const From* src, int64_t n) {
  PYDL_GRID_STRIDE_LOOP(i, n) { dst[i] = convert<To>(src[i]); }
}

// Same dtype, any strides: move raw bits (no conversion, so NaN payloads etc. survive).
template <typename Bits>
__global__ void copy_strided_bits_kernel(char* dst, const char* src, int64_t n, StridedOffsets<2> g) {
  PYDL_GRID_STRIDE_LOOP(i, n) {
    int64_t off[2];
    g.get(i, off);
    *reinterpret_cast<Bits*>(dst + off[0]) = *reinterpret_cast<const Bits*>(src + off[1]);
  }
}

template <typename To, typename From>
__global__ void cast_strided_kernel(char* dst, const char* src, int64_t n, StridedOffsets<2> g) {
  PYDL_GRID_STRIDE_LOOP(i, n) {
    int64_t off[2];
    g.get(i, off);
    *reinterpret_cast<To*>(dst + off[0]) = convert<To>(*reinterpret_cast<const From*>(src + off[1]));
  }
}

// --- fill kernels (the value is converted once on the host and passed as raw bits)
template <typename Bits>
__global__ void fill_contiguous_kernel(Bits* out, Bits value, int64_t n) {
  PYDL_GRID_STRIDE_LOOP(i, n) { out[i] = value; }
}

template <typename Bits>
__global__ void fill_strided_kernel(char* out, Bits value, int64_t n, StridedOffsets<1> g) {
  PYDL_GRID_STRIDE_LOOP(i, n) {
    int64_t off[1];
    g.get(i, off);
    *reinterpret_cast<Bits*>(out + off[0]) = value;
  }
}

// --- random: one thread per Philox block, the same mapping as cpu/kernels/random_kernel.cpp.
template <typename T>
__global__ void random_kernel(T* out, int64_t n, int64_t nblocks, RandomSpec spec, uint64_t seed,
                              uint64_t offset) {
  const int per = spec.per_block();
  const bool exact_int = spec.kind == RandomSpec::Kind::RandInt;
  PYDL_GRID_STRIDE_LOOP(b, nblocks) {
    Philox4 x = philox4x32_10(seed, offset + static_cast<uint64_t>(b));
    int64_t base = b * per;
    int lanes = n - base < per ? static_cast<int>(n - base) : per;
    for (int lane = 0; lane < lanes; ++lane) {
      out[base + lane] = exact_int ? convert<T>(random_int(spec, x, lane)) : convert<T>(random_value(spec, x, lane));
    }
  }
}

// Device memory for one GPU's caching allocator: cudaMalloc / cudaFree on that device.
class CudaMemorySource final : public MemorySource {
 public:
  explicit CudaMemorySource(int device) : device_(device) {}
  void* reserve(size_t nbytes) override {
    DeviceGuard guard(device_);
    void* p = nullptr;
    cudaError_t err = cudaMalloc(&p, nbytes);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // not sticky: the allocator frees its cache and retries
      return nullptr;
    }
    if (err != cudaSuccess) throw_cuda_error(err, "cudaMalloc(&p, nbytes)", __FILE__, __LINE__);
    return p;
  }
  // Runs from Storage's destructor, so it must not throw. At interpreter exit the runtime may
  // already be torn down (cudaErrorCudartUnloading): the memory goes with the process anyway.
  void release(void* p, size_t) override {
    int prev = -1;
    bool switched = false;
    if (cudaGetDevice(&prev) == cudaSuccess && prev != device_) switched = cudaSetDevice(device_) == cudaSuccess;
    cudaError_t err = cudaFree(p);
    if (switched) cudaSetDevice(prev);
    if (err != cudaSuccess && err != cudaErrorCudartUnloading && err != cudaErrorContextIsDestroyed)
      std::fprintf(stderr, "pydl: warning: cudaFree failed: %s\n", cudaGetErrorString(err));
    cudaGetLastError();
  }
  std::string describe() override {
    DeviceGuard guard(device_);
    size_t free_b = 0, total_b = 0;
    if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) {
      cudaGetLastError();
      return str("GPU ", device_);
    }
    return str("GPU ", device_, " has a total capacity of ", total_b / double(1 << 30), " GiB of which ",
               free_b / double(1 << 30), " GiB is free");
  }

 private:
  int device_;
};

class CudaBackend final : public Backend {
 public:
  CudaBackend() : Backend(DeviceType::CUDA) {}

  // Every allocation goes through the device's caching allocator, on the default stream (the
  // only one kernels use so far).
  void* allocate(size_t nbytes, int device_index) override {
    if (nbytes == 0) return nullptr;  // like PyTorch: empty CUDA tensors own no memory
    return allocator(device_index < 0 ? current_device() : device_index).allocate(nbytes);
  }
  void deallocate(void* p, size_t, int device_index) override {
    if (p == nullptr) return;
    // The allocator that handed p out exists (deallocate never creates one, so never throws);
    // without a device index, each allocator ignores the pointers it does not own.
    std::lock_guard<std::mutex> lock(allocators_mutex_);
    for (size_t d = 0; d < allocators_.size(); ++d)
      if (allocators_[d] && (device_index < 0 || d == static_cast<size_t>(device_index)))
        allocators_[d]->allocator.deallocate(p);
  }
  CachingAllocatorStats memory_stats(int device_index) override { return allocator(device_index).stats(); }
  void reset_peak_memory_stats(int device_index) override { allocator(device_index).reset_peak_stats(); }
  void empty_cache() override {
    std::lock_guard<std::mutex> lock(allocators_mutex_);
    for (auto& a : allocators_)
      if (a) a->allocator.empty_cache();
  }

  void copy_to_host(void* dst, const void* src, size_t n, int device_index) override {
    if (n == 0) return;
    DeviceGuard guard(device_index);
    PYDL_CUDA_CHECK(cudaMemcpy(dst, src, n, cudaMemcpyDeviceToHost));
  }
  void copy_from_host(void* dst, const void* src, size_t n, int device_index) override {
    if (n == 0) return;
    DeviceGuard guard(device_index);
    PYDL_CUDA_CHECK(cudaMemcpy(dst, src, n, cudaMemcpyHostToDevice));
  }

  void copy(const ElementwiseIter& iter) override {
    const int64_t n = iter.numel();
    if (n == 0) return;
    char* dst = iter.data(0);
    const char* src = iter.data(1);
    const ScalarType to = iter.dtype(0), from = iter.dtype(1);
    const bool contiguous = iter.is_contiguous(0) && iter.is_contiguous(1);
    const int dst_dev = pointer_device(dst), src_dev = pointer_device(src);
    DeviceGuard guard(dst_dev);
    if (contiguous && to == from) {  // cudaMemcpy also handles cuda:i -> cuda:j through UVA
      PYDL_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<size_t>(n) * itemsize(to), cudaMemcpyDeviceToDevice));
      sync("copy_ (cudaMemcpyAsync)");
      return;
    }
    // A kernel on dst's device cannot read another device's memory without peer access.
    PYDL_CHECK_NOT_IMPLEMENTED(dst_dev == src_dev || dst_dev < 0 || src_dev < 0,
                               "copy_: strided or casting copies from cuda:", src_dev, " to cuda:", dst_dev,
                               " are not supported yet");
    if (contiguous) {
      PYDL_DISPATCH_ALL_TYPES(to, "copy_", [&] {
        using to_t = scalar_t;
        PYDL_DISPATCH_ALL_TYPES(from, "copy_", [&] {
          cast_contiguous_kernel<to_t, scalar_t><<<grid_for(n), kThreads>>>(
              reinterpret_cast<to_t*>(dst), reinterpret_cast<const scalar_t*>(src), n);
        });
      });
      PYDL_CUDA_KERNEL_CHECK("cast_contiguous_kernel");
    } else if (to == from) {
      const StridedOffsets<2> g = make_offsets<2>(iter, "copy_");
      PYDL_DISPATCH_BY_ITEMSIZE(itemsize(to), [&] {
        copy_strided_bits_kernel<bits_t><<<grid_for(n), kThreads>>>(dst, src, n, g);
      });
      PYDL_CUDA_KERNEL_CHECK("copy_strided_bits_kernel");
    } else {
      const StridedOffsets<2> g = make_offsets<2>(iter, "copy_");
      PYDL_DISPATCH_ALL_TYPES(to, "copy_", [&] {
        using to_t = scalar_t;
        PYDL_DISPATCH_ALL_TYPES(from, "copy_", [&] {
          cast_strided_kernel<to_t, scalar_t><<<grid_for(n), kThreads>>>(dst, src, n, g);
        });
      });
      PYDL_CUDA_KERNEL_CHECK("cast_strided_kernel");
    }
    sync("copy_");
  }

  void binary(BinaryOp op, const ElementwiseIter& iter, const OpParams& params) override {
    binary_kernel(op, iter, params);
  }

  void fill(const Tensor& out, const Scalar& value) override {
    ElementwiseIter iter(out, {}, "fill_");
    const int64_t n = iter.numel();
    if (n == 0) return;
    DeviceGuard guard(out.device().index);
    PYDL_DISPATCH_ALL_TYPES(iter.dtype(0), "fill_", [&] {
      const scalar_t v = value.to<scalar_t>();
      PYDL_DISPATCH_BY_ITEMSIZE(sizeof(scalar_t), [&] {
        bits_t bits;
        std::memcpy(&bits, &v, sizeof(bits));
        if (iter.is_contiguous(0) && bits == 0) {  // zeros_like & co: let the driver memset
          PYDL_CUDA_CHECK(cudaMemsetAsync(iter.data(0), 0, static_cast<size_t>(n) * sizeof(bits_t)));
        } else if (iter.is_contiguous(0)) {
          fill_contiguous_kernel<bits_t><<<grid_for(n), kThreads>>>(reinterpret_cast<bits_t*>(iter.data(0)), bits, n);
          PYDL_CUDA_KERNEL_CHECK("fill_contiguous_kernel");
        } else {
          fill_strided_kernel<bits_t><<<grid_for(n), kThreads>>>(iter.data(0), bits, n, make_offsets<1>(iter, "fill_"));
          PYDL_CUDA_KERNEL_CHECK("fill_strided_kernel");
        }
      });
    });
    sync("fill_");
  }

  void random(const Tensor& out, const RandomSpec& spec, uint64_t seed, uint64_t offset) override {
    PYDL_CHECK(out.is_contiguous(), "random_ on CUDA expects a contiguous output");
    const int64_t n = out.numel();
    if (n == 0) return;
    DeviceGuard guard(out.device().index);
    const int64_t nblocks = static_cast<int64_t>(spec.blocks(n));
    PYDL_DISPATCH_ALL_TYPES(out.dtype(), "random_", [&] {
      random_kernel<scalar_t><<<grid_for(nblocks), kThreads>>>(out.data<scalar_t>(), n, nblocks, spec, seed, offset);
    });
    PYDL_CUDA_KERNEL_CHECK("random_kernel");
    sync("random_");
  }

  // Must never throw: `import pydl` and pydl.cuda.is_available() call it on GPU-less machines.
  // Cached, as the device set cannot change within a process.
  int device_count() override {
    static const int count = [] {
      int c = 0;
      if (cudaGetDeviceCount(&c) != cudaSuccess) {
        cudaGetLastError();  // no driver / no device: not an error for the caller
        c = 0;
      }
      return c;
    }();
    return count;
  }

  int current_device() override {
    int dev = 0;
    PYDL_CUDA_CHECK(cudaGetDevice(&dev));
    return dev;
  }

  void synchronize(int device_index) override {
    DeviceGuard guard(device_index);
    PYDL_CUDA_CHECK(cudaDeviceSynchronize());
  }

 private:
  struct DeviceMemory {
    explicit DeviceMemory(int device) : source(device), allocator(&source, "CUDA") {}
    CudaMemorySource source;
    CachingAllocator allocator;
  };
  // One allocator per device, created on first use. Never destroyed: tensors freed during
  // interpreter shutdown still return their blocks (see CudaMemorySource::release).
  CachingAllocator& allocator(int device) {
    PYDL_CHECK(device >= 0 && device < device_count(), "CUDA error: invalid device ordinal (device ", device,
               " requested, ", device_count(), " available)");
    std::lock_guard<std::mutex> lock(allocators_mutex_);
    if (allocators_.size() <= static_cast<size_t>(device)) allocators_.resize(device + 1);
    if (!allocators_[device]) allocators_[device] = new DeviceMemory(device);
    return allocators_[device]->allocator;
  }
  std::mutex allocators_mutex_;
  std::vector<DeviceMemory*> allocators_;
};

// Registration only stores a pointer: no CUDA call runs at static-init time.
const bool registered = [] {
  static CudaBackend cuda_backend;
  register_backend(DeviceType::CUDA, &cuda_backend);
  return true;
}();

}  // namespace
}  // namespace pydl::cuda
