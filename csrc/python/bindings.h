// The init_* functions that each add one family of bindings to pydl._C.
#pragma once
#include <array>
#include <limits>
#include "ops/ops.h"
#include "python/casters.h"

namespace pydl::python {

void init_device(py::module_& m);     // device_py.cpp: pydl.device
void init_tensor(py::module_& m);     // tensor_py.cpp: pydl.Tensor methods and properties
void init_indexing(py::module_& m);   // indexing_py.cpp: __getitem__ / __setitem__
void init_factories(py::module_& m);  // factories_py.cpp: tensor, zeros, arange, ...
void init_random(py::module_& m);     // random_py.cpp: Generator, manual_seed, rand, ...
void init_interop(py::module_& m);    // interop_py.cpp: NumPy and DLPack
void init_config(py::module_& m);     // config_py.cpp: build info, threads, memory stats
void init_allocator(py::module_& m);  // allocator_py.cpp: CUDA memory stats, the test allocator
void init_dlpack(py::module_& m);     // dlpack_py.cpp: Tensor.__dlpack__, from_dlpack
void init_math(py::module_& m);       // math_py.cpp: elementwise functions and methods
void init_operators(py::module_& m);  // operators_py.cpp: +, -, <, ... on Tensor (number protocol slots)
void init_autograd(py::module_& m);   // autograd_py.cpp: grad_fn, backward, hooks, grad mode
void init_function(py::module_& m);   // function_py.cpp: the C++ side of pydl.autograd.Function
void init_math_args(py::module_& m);  // math_args_py.cpp: add(alpha=), clamp, where, isclose, ...
void init_nn_functional(py::module_& m);  // nn_functional_py.cpp: pydl._C._nn activations
void init_reduce(py::module_& m);     // reduce_py.cpp: sum, mean, amax, all, ...
void init_reduce_stats(py::module_& m);  // reduce_stats_py.cpp: max/min, argmax, var, norm, allclose, ...
// indexing
void init_index_ops(py::module_& m);  // index_ops_py.cpp: gather, scatter, index_*, masked_*, nonzero, ...
// sorting and searching
void init_sorting(py::module_& m);    // sorting_py.cpp: sort, topk, median, unique, searchsorted, ...

// softmax
void init_softmax(py::module_& m);
void init_conv(py::module_& m);       // conv_py.cpp: conv*, conv_transpose*, pooling, fold/unfold in _nn
void init_linalg(py::module_& m);     // linalg_py.cpp: mm, bmm, matmul, addmm, ... (+ _nn linear)    // softmax_py.cpp: softmax, log_softmax (+ _nn softmin)

// A torch.return_types-like named tuple type (return_types_py.cpp), e.g.
//   static ReturnType sort_t = return_type(m, "sort", {"values", "indices"});  // at init
//   return sort_t.make({py::cast(values), py::cast(indices)});
struct ReturnType {
  PyTypeObject* type;
  py::object make(std::initializer_list<py::object> items) const;
};
// Creates pydl.return_types.<name> once (later calls return the same type).
ReturnType return_type(py::module_& m, const char* name, std::initializer_list<const char*> fields);
// out=(values, indices): None, or a tuple/list of two tensors (TypeError otherwise).
std::optional<std::array<Tensor, 2>> out_pair(const py::object& out, const char* op);
// Runs f(OutPair) without the GIL and wraps the (values, indices) result in `rt`.
template <typename F>
py::object call_pair(const ReturnType& rt, const py::object& out, const char* op, const F& f) {
  auto o = out_pair(out, op);
  TensorPair r;
  {
    py::gil_scoped_release nogil;
    r = o ? f(OutPair{&(*o)[0], &(*o)[1]}) : f(OutPair{});
  }
  return rt.make({py::cast(r.first), py::cast(r.second)});
}


// The name of h's type, for error messages.
std::string type_name(py::handle h);
// A tensor operand, or a Python number wrapped as a 0-d tensor that promotes like a number.
Tensor operand(py::handle h, const char* op, const char* arg);
// As operand(), but nullopt for anything else (a Python operator then returns NotImplemented).
std::optional<Tensor> as_operand(py::handle h);
// A reduction's `dim` (int, sequence of ints or None; `axis` is its alias): nullopt for None.
OptionalDims dims_from_python(py::handle dim, py::handle axis, const char* op);
// The out= keyword: None or a tensor (TypeError otherwise).
std::optional<Tensor> out_tensor(const py::object& out, const char* op);
// Below this many input elements a binding keeps the GIL: releasing and retaking it costs more
// than the op, and no other thread could get useful work done in the gap.
constexpr int64_t kReleaseGilNumel = 1 << 15;
// f() with the GIL released, unless the inputs hold fewer than kReleaseGilNumel elements.
template <typename F>
auto without_gil_if_large(int64_t numel, const F& f) {
  if (numel < kReleaseGilNumel) return f();
  py::gil_scoped_release nogil;
  return f();
}
// Runs f(OutArg) with out=None / out=t and the GIL released (kept for inputs of `numel` <
// kReleaseGilNumel elements, when the caller says how many).
template <typename F>
Tensor with_out(const py::object& out, const char* op, const F& f,
                int64_t numel = std::numeric_limits<int64_t>::max()) {
  std::optional<Tensor> o = out_tensor(out, op);
  return without_gil_if_large(numel, [&] { return o ? f(OutArg::to(*o)) : f(OutArg{}); });
}
// Runs f(OutArg::self(self)) with the GIL released (the in-place variant x.op_()).
template <typename F>
Tensor in_place(Tensor self, const F& f) {
  py::gil_scoped_release nogil;
  return f(OutArg::self(self));
}

// Parses the `*size` of zeros(2, 3) / zeros((2, 3)) / zeros([2, 3]) / zeros(size=(2, 3)).
Shape size_from_args(const py::args& args, const py::object& size_kw, const char* op);
// Tensor from nested sequences / NumPy arrays / scalars / tensors (pydl.tensor's data argument).
Tensor tensor_from_data(py::handle data, std::optional<ScalarType> dtype, std::optional<Device> device);
// A Device from a pydl.device, a string ("cuda:0") or an int (a CUDA index).
Device device_from_python(py::handle h);
std::optional<Device> optional_device(const py::object& h);
// Makes a tensor require grad when asked (the factories' requires_grad= keyword).
Tensor finish_factory(Tensor t, bool requires_grad);
// NumPy interop (interop_py.cpp).
bool is_numpy_array(py::handle h);
std::optional<ScalarType> dtype_from_numpy(py::handle np_dtype);  // nullopt: unsupported
Tensor from_numpy(py::handle array);  // shares memory
// An optional tensor argument (None) as the undefined tensor the ops take for "absent".
inline Tensor or_undefined(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }

// --- shape ops (shape_py.cpp) and the argument helpers they share with tensor_py.cpp
void init_shape(py::module_& m);
// Sizes or dims given as varargs or one sequence: view(2, 3) / view((2, 3)); `op` is
// "view(): argument 'size'" (its text before '(' names the op in errors).
Shape dims_from_args(const py::args& args, const char* op);
py::object size_object(const Shape& s);  // a pydl.Size


// scans
void init_scan(py::module_& m);  // scan_py.cpp: cumsum, cumprod, cummax, cummin, logcumsumexp
void init_rnn(py::module_& m);    // rnn_py.cpp: pydl._C._nn._rnn_layer, the recurrence of nn.RNN/LSTM/GRU
void init_optim(py::module_& m);  // optim_py.cpp: pydl._C._optim multi-tensor optimizer steps

}  // namespace pydl::python
