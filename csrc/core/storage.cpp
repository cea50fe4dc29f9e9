#include "core/storage.h"

#include "backend/backend.h"

namespace pydl {

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  void* p = backend(device.type).allocate(nbytes, device.index);
  return std::make_shared<Storage>(Private{}, p, nbytes, device, nullptr, nullptr);  // one allocation
}

std::shared_ptr<Storage> Storage::wrap(void* data, size_t nbytes, Device device, Deleter deleter,
                                       void* ctx) {
  return std::make_shared<Storage>(Private{}, data, nbytes, device, deleter, ctx);
}

Storage::~Storage() {
  if (deleter_) {
    deleter_(ctx_);
  } else {
    backend(device_.type).deallocate(data_, nbytes_, device_.index);
  }
}

}  // namespace pydl
