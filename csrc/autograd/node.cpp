#include "autograd/node.h"

#include <atomic>
#include <limits>

#include "autograd/inplace.h"
#include "ops/ops.h"

namespace pydl::autograd {

// --- SavedTensor ---------------------------------------------------------------------------

SavedTensor::SavedTensor(const Tensor& t, bool is_output) : is_output_(is_output) {
  if (!t.defined()) return;
  PYDL_CHECK(!t.impl()->is_inference(), "Inference tensors cannot be saved for backward. To work around you can make "
             "a clone to get a normal tensor and use it in autograd.");
  version_ = t.impl()->version();
  requires_grad_ = t.requires_grad();
  if (is_output) {
    if (const AutogradMeta* meta = t.impl()->autograd_meta_if_any()) output_nr_ = meta->output_nr;
    data_ = alias(t);  // same memory and version counter, no grad_fn
  } else if (t.impl()->view_base() && !(requires_grad_ && !autograd::grad_fn(t))) {
    // A view keeps its base, whose history may later come to depend on this node (b[1] = b[0]
    // * w): keep the memory and the history the view had now, not the view, or that is a cycle.
    saved_fn_ = autograd::grad_fn(t);
    if (saved_fn_) output_nr_ = t.impl()->autograd_meta_if_any()->output_nr;
    data_ = alias(t);
  } else {
    data_ = t;
  }
}

Tensor SavedTensor::unpack(const std::shared_ptr<Node>& owner) const {
  if (!data_.defined()) return data_;
  if (data_.impl()->version() != version_) {
    PYDL_FAIL("one of the variables needed for gradient computation has been modified by an inplace operation: [",
              data_.dtype(), " ", data_.sizes(), "]", is_output_ ? ", which is output " : "",
              is_output_ ? std::to_string(output_nr_) + " of " + owner->name() : std::string(), ", is at version ",
              data_.impl()->version(), "; expected version ", version_,
              " instead. Hint: the operation that saved it ran before the in-place change; use x.clone() before "
              "modifying x in place.");
  }
  if (saved_fn_) {
    Tensor t = alias(data_);
    AutogradMeta& meta = t.impl()->autograd_meta();
    meta.requires_grad = true;
    meta.grad_fn = saved_fn_;
    meta.output_nr = output_nr_;
    return t;
  }
  if (!is_output_ || !requires_grad_) return data_;
  Tensor t = alias(data_);  // the output again, with its grad_fn, so double backward sees it
  AutogradMeta& meta = t.impl()->autograd_meta();
  meta.requires_grad = true;
  meta.grad_fn = owner;
  meta.output_nr = output_nr_;
  return t;
}

// --- Node ----------------------------------------------------------------------------------

static std::atomic<uint64_t> g_next_sequence_nr{0};

Node::Node(EdgeList next_edges)
    : next_edges_(std::move(next_edges)), sequence_nr_(g_next_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {
  inputs_.reserve(next_edges_.size());
}

// Destroying a node releases its edges and saved tensors, which may release more nodes: a
// recursive chain as deep as the graph. The outermost ~Node on a thread drains a work list
// instead; nested ones append what they own to that list, so the depth stays constant. The list
// is the thread's own and keeps its capacity, so freeing a node allocates nothing (it is never
// destroyed: a node may die during interpreter shutdown, after thread-local destructors).
namespace {
struct PendingRelease {
  std::vector<std::shared_ptr<void>> list;
  bool draining = false;
};
PendingRelease& pending_release() {
  thread_local PendingRelease* p = new PendingRelease();
  return *p;
}
}  // namespace

Node::~Node() {
  PendingRelease& pending = pending_release();
  for (Edge& e : next_edges_)
    if (e.node) pending.list.push_back(std::move(e.node));
  for (SavedTensor& s : saved_) {
    if (s.data().defined()) pending.list.push_back(s.data().impl_ptr());
    if (std::shared_ptr<Node> fn = s.take_history()) pending.list.push_back(std::move(fn));
  }
  saved_.clear();
  if (pending.draining) return;  // the outermost ~Node releases them
  pending.draining = true;
  while (!pending.list.empty()) {
    std::shared_ptr<void> last = std::move(pending.list.back());
    pending.list.pop_back();
    last.reset();  // may append to the list
  }
  pending.draining = false;
}

void Node::release_variables() {
  saved_.clear();
  released_ = true;
}

uint32_t Node::add_output(const Tensor& t) {
  outputs_.push_back({t.sizes(), t.dtype(), t.device()});
  return static_cast<uint32_t>(outputs_.size() - 1);
}

std::vector<Tensor> Node::unpack_saved() {
  PYDL_CHECK(!released_, "Trying to backward through the graph a second time (or directly access saved tensors "
             "after they have already been freed). Saved intermediate values of the graph are freed when you call "
             ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a "
             "second time or if you need to access saved tensors after calling backward.");
  std::vector<Tensor> out;
  out.reserve(saved_.size());
  const std::shared_ptr<Node> self = shared_from_this();
  for (const SavedTensor& s : saved_) out.push_back(s.unpack(self));
  return out;
}

void Node::run_pre_hooks(std::vector<Tensor>& grads) {
  for (auto& [nr, hook] : pre_hooks_) {
    Tensor r = hook(grads[nr]);
    if (r.defined()) grads[nr] = r;
  }
  for (auto& [nr, weak] : retained_) {
    std::shared_ptr<TensorImpl> t = weak.lock();
    if (!t) continue;
    AutogradMeta& meta = t->autograd_meta();
    Tensor g = grads[nr];
    if (!meta.grad) meta.grad = (GradMode::is_enabled() ? g : clone(detach(g))).impl_ptr();
    else meta.grad = add(Tensor(meta.grad), g).impl_ptr();
  }
}

const std::vector<bool>*& wanted_edges() {
  thread_local const std::vector<bool>* wanted = nullptr;
  return wanted;
}

std::vector<Tensor> FunctionNode::apply(std::vector<Tensor>&& grads) {
  BackwardContext ctx{std::move(grads), unpack_saved(), &next_edges_, &inputs_};
  std::vector<Tensor> result = fn_(ctx);
  PYDL_CHECK(result.size() == next_edges_.size(), "internal error: ", name_, " returned ", result.size(),
             " gradients for ", next_edges_.size(), " inputs");
  return result;
}

// --- AccumulateGrad ------------------------------------------------------------------------

AccumulateGrad::AccumulateGrad(std::shared_ptr<TensorImpl> leaf) : Node({}), leaf_(std::move(leaf)) {
  // Run as early as possible once ready, like PyTorch (the tie-breaker is the sequence number).
  sequence_nr_ = std::numeric_limits<uint64_t>::max();
}

std::vector<Tensor> AccumulateGrad::apply(std::vector<Tensor>&& grads) {
  Tensor g = std::move(grads[0]);
  AutogradMeta& meta = leaf_->autograd_meta();
  for (auto& hook : meta.hooks) {
    Tensor r = hook(g);
    if (r.defined()) g = r;
  }
  const bool create_graph = GradMode::is_enabled();
  if (!meta.grad) {
    // Keep the gradient itself when nothing else can see it and it is laid out like the leaf;
    // else a copy in the leaf's layout. Never a view another tensor owns (the user's
    // `gradient=`, a hook's tensor) or a broadcast one (sum's gradient is an expanded scalar):
    // .grad must take in-place accumulation and optimizer updates.
    Tensor leaf(leaf_);
    const bool owned = g.impl_ptr().use_count() == 1 && g.strides() == leaf.strides() &&
                       is_non_overlapping_and_dense(g) && g.storage_offset() == 0;
    if (owned && (create_graph || !g.requires_grad())) {
      meta.grad = g.impl_ptr();
    } else if (create_graph) {
      meta.grad = clone(g).impl_ptr();  // recorded: the graph of the gradient is kept
    } else {
      Tensor fresh = empty_like(leaf, g.dtype(), g.device());
      copy_(fresh, detach(g));
      meta.grad = fresh.impl_ptr();
    }
  } else if (create_graph || Tensor(meta.grad).requires_grad()) {
    meta.grad = add(Tensor(meta.grad), g).impl_ptr();
  } else {
    Tensor grad(meta.grad);
    add(grad, g, Scalar(int64_t(1)), OutArg::self(grad));
  }
  Tensor leaf(leaf_);
  for (auto& hook : meta.post_accumulate_hooks) hook(leaf);
  return {};
}

// --- recording -----------------------------------------------------------------------------

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

std::shared_ptr<Node> grad_fn(const Tensor& t) {
  if (t.defined()) refresh_view_history(t);
  const AutogradMeta* meta = t.defined() ? t.impl()->autograd_meta_if_any() : nullptr;
  return meta ? meta->grad_fn : nullptr;
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return {};
  refresh_view_history(t);
  AutogradMeta& meta = t.impl()->autograd_meta();
  if (meta.grad_fn) return {meta.grad_fn, meta.output_nr};
  std::shared_ptr<Node> acc = meta.grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t.impl_ptr());
    meta.grad_accumulator = acc;
  }
  return {acc, 0};
}

void set_history(const Tensor& t, const std::shared_ptr<Node>& node) {
  AutogradMeta& meta = t.impl()->autograd_meta();
  meta.requires_grad = true;
  meta.grad_fn = node;
  meta.output_nr = node->add_output(t);
}

std::shared_ptr<Node> record(const char* name, TensorRefs inputs, TensorRefs outputs, TensorRefs saved_inputs,
                             TensorRefs saved_outputs, BackwardFn fn) {
  EdgeList edges;
  edges.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) edges.push_back(gradient_edge(inputs[i]));
  auto node = std::make_shared<FunctionNode>(name, std::move(edges), std::move(fn));
  node->reserve_outputs(outputs.size());
  node->reserve_saved(saved_inputs.size() + saved_outputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) node->add_input(inputs[i]);
  for (size_t i = 0; i < saved_inputs.size(); ++i) node->save(saved_inputs[i], false);
  // Outputs before the saved outputs: saving one needs its output_nr.
  for (size_t i = 0; i < outputs.size(); ++i) set_history(outputs[i], node);
  for (size_t i = 0; i < saved_outputs.size(); ++i) node->save(saved_outputs[i], true);
  return node;
}

}  // namespace pydl::autograd
