// Placeholder until the DLPack bindings land.
#include "python/bindings.h"
namespace pydl::python {
void init_dlpack(py::module_&) {}
}  // namespace pydl::python
