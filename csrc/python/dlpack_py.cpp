// DLPack interop (spec v1.0; the ABI structs are in python/dlpack.h), without copies:
//   Tensor.__dlpack__(*, stream, max_version, dl_device, copy) -> "dltensor[_versioned]" capsule
//   Tensor.__dlpack_device__()                                -> (device_type, device_id)
//   _C._from_dlpack(obj)  -> a Tensor sharing the memory of a capsule or of any __dlpack__ producer
// Ownership: an exported capsule holds a reference to the tensor's Storage until the consumer
// calls the deleter; an imported tensor's Storage calls the producer's deleter when it dies.
#include <memory>
#include <type_traits>
#include <vector>

#include "backend/backend.h"
#include "ops/ops.h"
#include "python/bindings.h"
#include "python/dlpack.h"

namespace pydl::python {
namespace {
using namespace dlpack;

// Capsule names from the spec. A consumer renames the capsule once it owns the tensor, so the
// name alone tells whether the capsule's destructor still has to free it.
constexpr const char* kLegacyName = "dltensor";
constexpr const char* kVersionedName = "dltensor_versioned";
constexpr const char* kUsedLegacyName = "used_dltensor";
constexpr const char* kUsedVersionedName = "used_dltensor_versioned";

template <typename Managed>
constexpr bool kVersioned = std::is_same_v<Managed, DLManagedTensorVersioned>;

// ---------------------------------------------------------------------------------- dtypes

DLDataType to_dl_dtype(ScalarType t) {
  const auto bits = static_cast<uint8_t>(itemsize(t) * 8);
  switch (t) {
    case ScalarType::Bool: return {kDLBool, 8, 1};
    case ScalarType::UInt8: return {kDLUInt, bits, 1};
    case ScalarType::BFloat16: return {kDLBfloat, 16, 1};
    default: return {is_floating(t) ? kDLFloat : kDLInt, bits, 1};
  }
}

std::string dl_dtype_name(DLDataType d) {
  static const char* names[] = {"int", "uint", "float", "opaque_handle", "bfloat", "complex", "bool"};
  std::string s = d.code < 7 ? str(names[d.code], int(d.bits)) : str("dtype code ", int(d.code), " bits ", int(d.bits));
  return d.lanes == 1 ? s : str(s, "x", d.lanes);
}

ScalarType from_dl_dtype(DLDataType d) {
  PYDL_CHECK_TYPE(d.lanes == 1, "from_dlpack: vector dtypes are not supported (got ", dl_dtype_name(d), ")");
  for (int i = 0; i < kNumScalarTypes; ++i) {
    auto t = static_cast<ScalarType>(i);
    DLDataType c = to_dl_dtype(t);
    if (c.code == d.code && c.bits == d.bits) return t;
  }
  PYDL_CHECK_TYPE(false, "from_dlpack: unsupported DLPack dtype ", dl_dtype_name(d), " (pydl supports bool, uint8, "
                  "int8, int16, int32, int64, float16, bfloat16, float32 and float64)");
  return ScalarType::Bool;  // unreachable
}

// --------------------------------------------------------------------------------- devices

DLDevice to_dl_device(Device d) {
  if (d.is_cpu()) return {kDLCPU, 0};
  return {kDLCUDA, d.index >= 0 ? d.index : canonical_device(d).index};
}

Device from_dl_device(DLDevice d) {
  switch (d.device_type) {
    case kDLCPU:
    case kDLCUDAHost:  // pinned host memory is ordinary CPU-addressable memory
      return Device(DeviceType::CPU);
    case kDLCUDA:
    case kDLCUDAManaged:
      // Raises (RuntimeError) when pydl was built without CUDA or the ordinal does not exist.
      return canonical_device(Device(DeviceType::CUDA, d.device_id));
    default:
      PYDL_FAIL("from_dlpack: unsupported DLPack device type ", int(d.device_type), " (pydl supports kDLCPU, "
                "kDLCUDAHost, kDLCUDA and kDLCUDAManaged)");
  }
}

// ---------------------------------------------------------------------------------- export

// Manager context of an exported tensor: owns the shape/strides arrays the DLTensor points to and
// keeps the Storage (not the TensorImpl) alive, so the memory outlives the Python tensor.
template <typename Managed>
struct ExportCtx {
  Managed managed{};
  std::shared_ptr<Storage> storage;
  std::vector<int64_t> shape, strides;
};

template <typename Managed>
void export_deleter(Managed* self) {
  // May run without the GIL (e.g. from a C++ consumer); Storage deleters that need it take it.
  delete static_cast<ExportCtx<Managed>*>(self->manager_ctx);
}

// Runs when the capsule is garbage-collected. Per the spec it frees the tensor only if nobody
// consumed it (the name is unchanged); a consumer renames it and calls the deleter itself later.
template <typename Managed>
void capsule_destructor(PyObject* capsule) {
  const char* name = kVersioned<Managed> ? kVersionedName : kLegacyName;
  if (!PyCapsule_IsValid(capsule, name)) return;
  // The deleter may release Python objects; keep any exception in flight intact meanwhile.
  py::error_scope keep_error;
  auto* m = static_cast<Managed*>(PyCapsule_GetPointer(capsule, name));
  if (m && m->deleter) m->deleter(m);
}

template <typename Managed>
py::capsule make_capsule(const Tensor& t, bool copied) {
  auto ctx = std::make_unique<ExportCtx<Managed>>();
  ctx->storage = t.impl()->storage();
  ctx->shape.assign(t.sizes().begin(), t.sizes().end());
  ctx->strides.assign(t.strides().begin(), t.strides().end());
  DLTensor& dl = ctx->managed.dl_tensor;
  // The spec asks for a 256-byte aligned data plus byte_offset, but NumPy, PyTorch and CuPy all
  // export data = &element0 with byte_offset 0 (tensor views are not aligned), and so do we.
  dl.data = t.data_ptr();
  dl.byte_offset = 0;
  dl.device = to_dl_device(t.device());
  dl.ndim = static_cast<int32_t>(t.dim());
  dl.dtype = to_dl_dtype(t.dtype());
  dl.shape = ctx->shape.data();
  dl.strides = ctx->strides.data();  // in elements, like pydl's
  ctx->managed.manager_ctx = ctx.get();
  ctx->managed.deleter = &export_deleter<Managed>;
  if constexpr (kVersioned<Managed>) {
    ctx->managed.version = {kMajorVersion, kMinorVersion};
    ctx->managed.flags = copied ? kFlagIsCopied : 0;
  }
  PyObject* cap = PyCapsule_New(&ctx->managed, kVersioned<Managed> ? kVersionedName : kLegacyName,
                                &capsule_destructor<Managed>);
  if (!cap) throw py::error_already_set();
  ctx.release();  // now owned by the capsule (or by whoever consumes it)
  return py::reinterpret_steal<py::capsule>(cap);
}

// A pair of ints from a Python sequence (max_version, dl_device); TypeError otherwise.
std::pair<int64_t, int64_t> int_pair(const py::object& o, const char* what) {
  PYDL_CHECK_TYPE(py::isinstance<py::sequence>(o) && !py::isinstance<py::str>(o) && py::len(o) == 2,
                  "__dlpack__: ", what, " must be a tuple of two ints");
  auto seq = py::reinterpret_borrow<py::sequence>(o);
  return {int_from_python(seq[0], what), int_from_python(seq[1], what)};
}

py::capsule dlpack_export(const Tensor& self, const py::object& stream, const py::object& max_version,
                          const py::object& dl_device, const py::object& copy) {
  PYDL_CHECK(!self.requires_grad(), "Can't export tensors that require gradient, use tensor.detach()");
  // `stream` is the consumer's stream the producer must order its pending work before. Every
  // pydl CUDA entry point synchronizes the device before returning (no streams yet), so there is
  // never pending work: any int (or None) is accepted and needs no action, on CUDA as on CPU.
  PYDL_CHECK_TYPE(stream.is_none() || py::isinstance<py::int_>(stream), "stream must be ``int`` or ``none``");
  PYDL_CHECK_TYPE(copy.is_none() || py::isinstance<py::bool_>(copy), "__dlpack__: copy must be a bool or None");
  const DLDevice dev = to_dl_device(self.device());
  if (!dl_device.is_none()) {
    auto [type, id] = int_pair(dl_device, "dl_device");
    // Exporting to another device would need a cross-device copy; the spec allows refusing it.
    if (type != dev.device_type || id != dev.device_id) {
      throw py::buffer_error(str("__dlpack__: can't export a ", self.device(), " tensor to DLPack device (", type,
                                 ", ", id, "); move it with .to() first"));
    }
  }
  const bool copied = !copy.is_none() && copy.cast<bool>();  // copy=False: we never need a copy
  const Tensor src = copied ? clone(self) : self;
  // Producers answer with the newest version the consumer accepts; consumers that predate 1.0
  // pass no max_version and only understand the legacy struct.
  const bool versioned = !max_version.is_none() && int_pair(max_version, "max_version").first >= 1;
  return versioned ? make_capsule<DLManagedTensorVersioned>(src, copied) : make_capsule<DLManagedTensor>(src, copied);
}

// ---------------------------------------------------------------------------------- import

// Storage deleter of an imported tensor: hands the memory back to the producer. Producers'
// deleters may touch Python objects (NumPy's DECREFs the array) and the last reference can drop
// on any thread, so take the GIL; after interpreter shutdown the producer is gone, so leak.
template <typename Managed>
void import_deleter(void* ctx) {
  auto* m = static_cast<Managed*>(ctx);
  if (!m->deleter || !Py_IsInitialized()) return;
  py::gil_scoped_acquire gil;
  m->deleter(m);
}

// Wraps a managed tensor in a Tensor and takes ownership of it (renaming the capsule). Checks
// everything first: while the capsule keeps its name, a failure leaves freeing to the capsule.
template <typename Managed>
Tensor consume(const py::capsule& cap, Managed* m) {
  if constexpr (kVersioned<Managed>) {
    // A newer major version may have changed the layout after `version`: don't touch the rest.
    if (m->version.major != kMajorVersion) {
      throw py::buffer_error(str("from_dlpack: unsupported DLPack version ", m->version.major, ".",
                                 m->version.minor, " (pydl supports ", kMajorVersion, ".x)"));
    }
    if (m->flags & kFlagReadOnly) {  // pydl has no read-only tensors; same warning as from_numpy
      PyErr_WarnEx(PyExc_UserWarning, "The given DLPack tensor is read-only, and pydl does not support read-only "
                   "tensors. This means writing to this tensor will result in undefined behavior.", 1);
    }
  }
  const DLTensor& dl = m->dl_tensor;
  const ScalarType dtype = from_dl_dtype(dl.dtype);
  const Device device = from_dl_device(dl.device);
  PYDL_CHECK(dl.ndim >= 0 && (dl.ndim == 0 || dl.shape), "from_dlpack: invalid DLTensor (ndim ", dl.ndim, ")");
  Shape sizes, strides;
  for (int32_t d = 0; d < dl.ndim; ++d) {
    PYDL_CHECK_VALUE(dl.shape[d] >= 0, "from_dlpack: negative size ", dl.shape[d], " in dimension ", d);
    sizes.push_back(dl.shape[d]);
  }
  if (dl.strides) {  // NULL strides: compact row-major
    for (int32_t d = 0; d < dl.ndim; ++d) {
      PYDL_CHECK_VALUE(dl.strides[d] >= 0, "from_dlpack: tensors with negative strides are not supported (got ",
                       "stride ", dl.strides[d], " in dimension ", d, "); make a copy first");
      strides.push_back(dl.strides[d]);
    }
  } else {
    strides = contiguous_strides(sizes);
  }
  const int64_t item = static_cast<int64_t>(itemsize(dtype));
  // The storage starts at the first element: that handles any byte_offset, even one that is not
  // a multiple of the itemsize, with storage_offset 0.
  void* data = static_cast<char*>(dl.data) + dl.byte_offset;
  const int64_t nbytes = required_storage_elements(sizes, strides, 0) * item;

  if (PyCapsule_SetName(cap.ptr(), kVersioned<Managed> ? kUsedVersionedName : kUsedLegacyName) != 0) {
    throw py::error_already_set();
  }
  // From here on the Storage owns the managed tensor; if anything below throws, its deleter runs.
  auto storage = Storage::wrap(data, static_cast<size_t>(nbytes), device, &import_deleter<Managed>, m);
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), sizes, strides, 0, dtype, nullptr));
}

Tensor from_dlpack(const py::object& obj) {
  py::object cap = obj;
  if (!PyCapsule_CheckExact(obj.ptr())) {
    PYDL_CHECK_TYPE(py::hasattr(obj, "__dlpack__"), "from_dlpack: expected a DLPack capsule or an object with "
                    "__dlpack__ (got ", py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>(), ")");
    // Ask for a versioned capsule; producers that predate DLPack 1.0 reject max_version with a
    // TypeError, so ask again the legacy way. No stream: None means "the legacy default stream",
    // which is the one pydl's (synchronous) CUDA work runs on.
    try {
      cap = obj.attr("__dlpack__")(py::arg("max_version") = py::make_tuple(kMajorVersion, kMinorVersion));
    } catch (py::error_already_set& e) {
      if (!e.matches(PyExc_TypeError)) throw;
      cap = obj.attr("__dlpack__")();
    }
    PYDL_CHECK_TYPE(PyCapsule_CheckExact(cap.ptr()), "from_dlpack: __dlpack__ did not return a capsule");
  }
  auto capsule = py::reinterpret_borrow<py::capsule>(cap);
  if (PyCapsule_IsValid(cap.ptr(), kVersionedName)) {
    return consume(capsule, static_cast<DLManagedTensorVersioned*>(PyCapsule_GetPointer(cap.ptr(), kVersionedName)));
  }
  if (PyCapsule_IsValid(cap.ptr(), kLegacyName)) {
    return consume(capsule, static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap.ptr(), kLegacyName)));
  }
  PYDL_FAIL("from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed only once, so you "
            "might have already constructed a tensor from it once.");
}

}  // namespace

void init_dlpack(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  cls.def("__dlpack__", &dlpack_export, py::kw_only(), py::arg("stream") = py::none(),
          py::arg("max_version") = py::none(), py::arg("dl_device") = py::none(), py::arg("copy") = py::none(),
          "A DLPack capsule sharing this tensor's memory (a versioned one when max_version >= (1, 0)).");
  cls.def("__dlpack_device__", [](const Tensor& t) {
    DLDevice d = to_dl_device(t.device());
    return py::make_tuple(static_cast<int>(d.device_type), d.device_id);
  }, "(DLPack device type, device id) of this tensor: (1, 0) for the CPU, (2, index) for CUDA.");
  m.def("_from_dlpack", &from_dlpack, py::arg("ext_tensor"),
        "A tensor sharing memory with a DLPack capsule or an object implementing __dlpack__.");
}

}  // namespace pydl::python
