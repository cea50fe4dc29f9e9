// Storage: a refcounted buffer on one device. Tensors (and their views) share one Storage.
// Memory comes from the device's allocator, or from outside (NumPy, DLPack) with a deleter
// that releases the owner.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/device.h"

namespace pydl {

// Counts in-place modifications. Shared by a tensor, its views and detach()ed aliases, so that
// autograd can tell when a tensor saved for backward was modified.
struct VersionCounter {
  std::atomic<uint32_t> version{0};
};

class Storage {
 public:
  using Deleter = void (*)(void* ctx);

  // Allocates nbytes on `device` with that device's allocator.
  static std::shared_ptr<Storage> allocate(size_t nbytes, Device device);
  // Wraps memory owned elsewhere; deleter(ctx) runs when the last tensor lets go.
  static std::shared_ptr<Storage> wrap(void* data, size_t nbytes, Device device, Deleter deleter,
                                       void* ctx);

  // Constructed only through allocate() / wrap(); the key lets them use std::make_shared.
  class Private {
    friend class Storage;
    Private() = default;
  };
  Storage(Private, void* data, size_t nbytes, Device device, Deleter deleter, void* ctx)
      : data_(data), nbytes_(nbytes), device_(device), deleter_(deleter), ctx_(ctx) {}
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  bool is_external() const { return deleter_ != nullptr; }
  // The counter of the tensors made over this storage, kept here rather than allocated apart:
  // every op's output needs one. A tensor moved onto other memory takes a counter of its own
  // (TensorImpl::rebind), so that it does not keep this storage alive.
  VersionCounter& version_counter() { return version_; }

 private:
  void* data_;
  size_t nbytes_;
  Device device_;
  Deleter deleter_;  // null: memory belongs to the device allocator
  void* ctx_;
  VersionCounter version_;
};

}  // namespace pydl
