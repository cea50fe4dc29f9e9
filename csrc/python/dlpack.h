// The DLPack ABI (spec v1.0, https://dmlc.github.io/dlpack/latest/): the C structs a producer
// hands to a consumer inside a PyCapsule. Written from the spec rather than vendored, in a
// namespace so that it can never clash with another library's dlpack.h; only the memory layout
// has to match, and the static_asserts below pin it for 64-bit targets.
#pragma once
#include <cstdint>

namespace pydl::dlpack {

// The newest DLPack version pydl produces and understands.
constexpr uint32_t kMajorVersion = 1;
constexpr uint32_t kMinorVersion = 0;

// Where the memory lives. The values are fixed by the spec (gaps are retired codes).
enum DLDeviceType : int32_t {
  kDLCPU = 1,
  kDLCUDA = 2,
  kDLCUDAHost = 3,  // pinned host memory: readable from the CPU
  kDLOpenCL = 4,
  kDLVulkan = 7,
  kDLMetal = 8,
  kDLVPI = 9,
  kDLROCM = 10,
  kDLROCMHost = 11,
  kDLExtDev = 12,
  kDLCUDAManaged = 13,  // cudaMallocManaged memory
  kDLOneAPI = 14,
  kDLWebGPU = 15,
  kDLHexagon = 16,
  kDLMAIA = 17,
};

struct DLDevice {
  DLDeviceType device_type;
  int32_t device_id;  // e.g. the CUDA ordinal; 0 for the CPU
};

// The `code` of a DLDataType.
enum DLDataTypeCode : uint8_t {
  kDLInt = 0,
  kDLUInt = 1,
  kDLFloat = 2,
  kDLOpaqueHandle = 3,
  kDLBfloat = 4,
  kDLComplex = 5,
  kDLBool = 6,
};

struct DLDataType {
  uint8_t code;    // a DLDataTypeCode
  uint8_t bits;    // bits per lane: 8 for bool, 16 for bfloat16
  uint16_t lanes;  // > 1 only for vector types
};

// A strided view of memory. shape/strides have `ndim` entries; strides count elements, and NULL
// strides mean compact row-major. The first element is at (char*)data + byte_offset.
struct DLTensor {
  void* data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;
  int64_t* strides;
  uint64_t byte_offset;
};

// Pre-1.0 ("legacy") managed tensor, carried by a capsule named "dltensor".
struct DLManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;                         // producer's private state
  void (*deleter)(DLManagedTensor* self);    // the consumer calls this once when done
};

struct DLPackVersion {
  uint32_t major;  // a different major version means an incompatible ABI
  uint32_t minor;
};

// DLManagedTensorVersioned::flags bits.
constexpr uint64_t kFlagReadOnly = 1ULL << 0;  // the consumer must not write the memory
constexpr uint64_t kFlagIsCopied = 1ULL << 1;  // the producer made a copy for this export

// The v1.0 managed tensor, carried by a capsule named "dltensor_versioned". `version` comes
// first so a consumer can check it before trusting the rest of the layout.
struct DLManagedTensorVersioned {
  DLPackVersion version;
  void* manager_ctx;
  void (*deleter)(DLManagedTensorVersioned* self);
  uint64_t flags;
  DLTensor dl_tensor;
};

static_assert(sizeof(DLDevice) == 8 && sizeof(DLDataType) == 4, "DLPack layout");
static_assert(sizeof(void*) != 8 || sizeof(DLTensor) == 48, "DLPack layout");
static_assert(sizeof(void*) != 8 || sizeof(DLManagedTensor) == 64, "DLPack layout");
static_assert(sizeof(void*) != 8 || sizeof(DLManagedTensorVersioned) == 80, "DLPack layout");

}  // namespace pydl::dlpack
