// Named tuples for ops with several results, like torch.return_types: each is a structseq
// type `pydl.return_types.<op>` (a tuple subclass: indexing and unpacking work, and so do
// .values / .indices), created once at import and listed in pydl._C._return_types so that
// pydl/return_types.py can export it and pickle can find it.
#include <map>
#include <string>

#include "python/bindings.h"

namespace pydl::python {

ReturnType return_type(py::module_& m, const char* name, std::initializer_list<const char*> fields) {
  static std::map<std::string, PyTypeObject*> types;
  auto found = types.find(name);
  if (found != types.end()) return ReturnType{found->second};
  // The type keeps pointers into its description: both live for the life of the process.
  auto* spec = new PyStructSequence_Field[fields.size() + 1];
  size_t i = 0;
  for (const char* f : fields) spec[i++] = {f, nullptr};
  spec[i] = {nullptr, nullptr};
  auto* full_name = new std::string(std::string("pydl.return_types.") + name);
  auto* desc = new PyStructSequence_Desc{full_name->c_str(), nullptr, spec, static_cast<int>(fields.size())};
  PyTypeObject* type = PyStructSequence_NewType(desc);
  if (!type) throw py::error_already_set();
  types[name] = type;
  py::module_ registry = py::hasattr(m, "_return_types")
                             ? py::reinterpret_borrow<py::module_>(m.attr("_return_types"))
                             : m.def_submodule("_return_types", "The named-tuple types of pydl.return_types.");
  registry.attr(name) = py::handle(reinterpret_cast<PyObject*>(type));
  return ReturnType{type};
}

py::object ReturnType::make(std::initializer_list<py::object> items) const {
  PyObject* t = PyStructSequence_New(type);
  if (!t) throw py::error_already_set();
  Py_ssize_t i = 0;
  for (const py::object& item : items) PyStructSequence_SetItem(t, i++, py::object(item).release().ptr());
  return py::reinterpret_steal<py::object>(t);
}


// out=(values, indices): None, or a tuple/list of two tensors.
std::optional<std::array<Tensor, 2>> out_pair(const py::object& out, const char* op) {
  if (out.is_none()) return std::nullopt;
  const bool seq = py::isinstance<py::tuple>(out) || py::isinstance<py::list>(out);
  PYDL_CHECK_TYPE(seq && py::len(out) == 2 && py::isinstance<TensorImpl>(out[py::int_(0)]) &&
                      py::isinstance<TensorImpl>(out[py::int_(1)]),
                  op, "(): argument 'out' must be a tuple of two Tensors (values, indices), not ", type_name(out));
  return std::array<Tensor, 2>{out[py::int_(0)].cast<Tensor>(), out[py::int_(1)].cast<Tensor>()};
}

}  // namespace pydl::python
