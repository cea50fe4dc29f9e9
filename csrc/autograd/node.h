// The autograd graph. Every op that runs with grad mode on and an input that requires grad
// records a Node: the edges to its inputs' nodes, the tensors its backward formula needs, and
// the formula itself (written with pydl ops, so create_graph=True records the backward too).
// Leaves get an AccumulateGrad node that adds the incoming gradient into .grad.
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/grad_mode.h"
#include "autograd/inline_list.h"
#include "core/tensor.h"

namespace pydl::autograd {

class Node;

// Where a gradient goes: input `input_nr` of `node`. An edge without a node: no gradient needed.
struct Edge {
  std::shared_ptr<Node> node;
  uint32_t input_nr = 0;
  bool valid() const { return node != nullptr; }
};

// A tensor kept for backward with the version it had when saved; unpacking it after an
// in-place change raises PyTorch's error. An op's own output is kept without its grad_fn (that
// would be a reference cycle through the node) and gets it back when unpacked.
class SavedTensor {
 public:
  SavedTensor() = default;
  SavedTensor(const Tensor& t, bool is_output);
  // `owner` is the node that saved the tensor: the grad_fn of a saved output.
  Tensor unpack(const std::shared_ptr<Node>& owner) const;
  const Tensor& data() const { return data_; }
  std::shared_ptr<Node> take_history() { return std::move(saved_fn_); }  // for ~Node

 private:
  Tensor data_;
  std::shared_ptr<Node> saved_fn_;  // a saved view's history (see the constructor)
  uint32_t version_ = 0;
  uint32_t output_nr_ = 0;
  bool is_output_ = false;
  bool requires_grad_ = false;
};

// The shape, dtype and device of one forward output: a gradient that never arrived is zeros
// of this.
struct OutputInfo {
  Shape sizes;
  ScalarType dtype = ScalarType::Float32;
  Device device;
};

// Room inside the node for what a typical op has: two inputs, one output, two saved tensors.
using EdgeList = InlineList<Edge, 2>;
using InputList = InlineList<OutputInfo, 2>;
using OutputList = InlineList<OutputInfo, 1>;
using SavedList = InlineList<SavedTensor, 2>;

class Node : public std::enable_shared_from_this<Node> {
 public:
  explicit Node(EdgeList next_edges);
  // Frees the graph behind this node without recursion (a chain of 10^5 ops would overflow the
  // stack otherwise): see node.cpp.
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // PyTorch's name for the node's type: "MulBackward0", "AccumulateGrad".
  virtual std::string name() const = 0;
  // Gradients for next_edges() (one each, undefined where none) from the gradients of the
  // forward outputs (one per output, zeros where none arrived).
  virtual std::vector<Tensor> apply(std::vector<Tensor>&& grads) = 0;
  // Drops the saved tensors after a backward without retain_graph.
  virtual void release_variables();
  // Whether the engine replaces gradients that never arrived by zeros before apply() (a
  // Python Function may ask for None instead: ctx.set_materialize_grads(False)).
  virtual bool materialize_grads() const { return true; }

  const EdgeList& next_edges() const { return next_edges_; }
  uint64_t sequence_nr() const { return sequence_nr_; }
  const OutputList& outputs() const { return outputs_; }
  uint32_t add_output(const Tensor& t);
  void reserve_outputs(size_t n) { outputs_.reserve(n); }
  // The forward inputs' shape and dtype, one per edge: the engine checks each returned
  // gradient against them and casts it to the input's dtype.
  const InputList& inputs() const { return inputs_; }
  void add_input(const Tensor& t) { inputs_.push_back({t.sizes(), t.dtype(), t.device()}); }
  void save(const Tensor& t, bool is_output) { saved_.emplace_back(t, is_output); }
  void reserve_saved(size_t n) { saved_.reserve(n); }
  std::vector<Tensor> unpack_saved();  // raises if released or modified in place
  bool released() const { return released_; }

  // Hooks on the gradient of output `output_nr` (Tensor.register_hook on a non-leaf) and
  // tensors whose .grad the engine fills (retain_grad()).
  using GradHook = std::function<Tensor(const Tensor&)>;
  void add_pre_hook(uint32_t output_nr, GradHook hook) { pre_hooks_.emplace_back(output_nr, std::move(hook)); }
  void add_retained(uint32_t output_nr, const std::shared_ptr<TensorImpl>& t) { retained_.emplace_back(output_nr, t); }
  // Runs the pre-hooks and fills retained .grad fields: the engine calls this before apply().
  void run_pre_hooks(std::vector<Tensor>& grads);

 protected:
  EdgeList next_edges_;
  SavedList saved_;  // every tensor a node keeps lives here (see ~Node)
  OutputList outputs_;
  InputList inputs_;
  uint64_t sequence_nr_;
  bool released_ = false;
  std::vector<std::pair<uint32_t, GradHook>> pre_hooks_;
  std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>> retained_;
};

// Set by the engine while it runs a node whose pass does not want every input's gradient
// (autograd.grad with `inputs`: only edges on a path to a target do): wanted[i] for edge i.
// Null means every valid edge is wanted.
const std::vector<bool>*& wanted_edges();
// Sets wanted_edges() for the lifetime of the scope (the engine's, around one Node::apply).
class WantedEdgesScope {
 public:
  explicit WantedEdgesScope(const std::vector<bool>* wanted) : outer_(wanted_edges()) { wanted_edges() = wanted; }
  ~WantedEdgesScope() { wanted_edges() = outer_; }
  WantedEdgesScope(const WantedEdgesScope&) = delete;
  WantedEdgesScope& operator=(const WantedEdgesScope&) = delete;

 private:
  const std::vector<bool>* outer_;
};

// What a backward formula sees.
struct BackwardContext {
  std::vector<Tensor> grads;  // one per forward output
  std::vector<Tensor> saved;  // in the order the op saved them
  const EdgeList* edges;
  const InputList* inputs;  // the forward inputs' shapes (kept by the node anyway)
  const std::vector<bool>* wanted = wanted_edges();
  const Tensor& grad(size_t i = 0) const { return grads[i]; }
  // Input i's shape: formulas read it here instead of capturing a copy (a capture that large
  // makes every recording allocate a closure).
  const Shape& input_sizes(size_t i) const { return (*inputs)[i].sizes; }
  // Whether input i needs a gradient (formulas skip the work otherwise): it requires grad, and
  // the running pass wants it (torch's task_should_compute_output).
  bool needs(size_t i) const { return (*edges)[i].valid() && (!wanted || (*wanted)[i]); }
};
using BackwardFn = std::function<std::vector<Tensor>(const BackwardContext&)>;

// The node every C++ op records: a name and a formula. The formula's captures must hold no
// tensors (those go through save(), so that release and the version check see them).
class FunctionNode final : public Node {
 public:
  FunctionNode(const char* name, EdgeList edges, BackwardFn fn)
      : Node(std::move(edges)), name_(name), fn_(std::move(fn)) {}
  std::string name() const override { return name_; }
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override;

 private:
  const char* name_;
  BackwardFn fn_;
};

// Adds the gradient into a leaf's .grad (running the leaf's hooks around it).
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf);
  std::string name() const override { return "AccumulateGrad"; }
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override;
  void release_variables() override {}  // nothing saved; the leaf stays reachable
  const std::shared_ptr<TensorImpl>& leaf() const { return leaf_; }

 private:
  std::shared_ptr<TensorImpl> leaf_;
};

// --- Recording, for ops -------------------------------------------------------------------

// The tensors an op hands to record(): a braced list of its own tensors ({a, b}) or a vector,
// viewed in place. Recording runs on every differentiable op, and copying them into a vector
// cost an allocation and two atomic reference-count updates per tensor.
class TensorRefs {
 public:
  TensorRefs() = default;
  TensorRefs(std::initializer_list<std::reference_wrapper<const Tensor>> list)
      : refs_(list.begin()), size_(list.size()) {}
  TensorRefs(const std::vector<Tensor>& tensors) : tensors_(tensors.data()), size_(tensors.size()) {}
  size_t size() const { return size_; }
  const Tensor& operator[](size_t i) const { return tensors_ ? tensors_[i] : refs_[i].get(); }

 private:
  const std::reference_wrapper<const Tensor>* refs_ = nullptr;
  const Tensor* tensors_ = nullptr;
  size_t size_ = 0;
};

// True when an op over these inputs must record: grad mode is on and one requires grad.
bool needs_grad(std::initializer_list<const Tensor*> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);
// The edge a gradient for t flows along: its grad_fn, its AccumulateGrad, or none.
Edge gradient_edge(const Tensor& t);
// t's grad_fn, or null for a leaf.
std::shared_ptr<Node> grad_fn(const Tensor& t);
// Makes `outputs` the results of a FunctionNode over `inputs` (edges from gradient_edge),
// saving `saved_inputs` then `saved_outputs` for the formula. Call only when needs_grad().
std::shared_ptr<Node> record(const char* name, TensorRefs inputs, TensorRefs outputs, TensorRefs saved_inputs,
                             TensorRefs saved_outputs, BackwardFn fn);
// Sets t's grad_fn (t becomes output `output_nr` of node).
void set_history(const Tensor& t, const std::shared_ptr<Node>& node);

}  // namespace pydl::autograd
