// The engine, in three steps and without recursion (graphs can be 10^5 nodes deep):
//  1. discover the nodes reachable from the roots, in DFS post-order (children first);
//  2. with target inputs (autograd.grad, backward(inputs=)), keep only the nodes from which a
//     target is reachable; count each kept node's incoming edges (its dependencies);
//  3. run ready nodes, highest sequence number first (the reverse of the order they were
//     recorded in, like PyTorch), summing the gradients that reach each node's inputs.
#include "autograd/engine.h"

#include <queue>
#include <unordered_map>

#include "ops/ops.h"

namespace pydl::autograd {
namespace {

struct NodeState {
  int dependencies = 0;
  bool needed = true;
  bool execute = true;
  std::vector<Tensor> grads;  // gradients of the node's outputs, summed as they arrive
};

struct LaterFirst {
  bool operator()(const Node* a, const Node* b) const { return a->sequence_nr() < b->sequence_nr(); }
};

size_t num_grads(const Node* n) { return std::max<size_t>(n->outputs().size(), 1); }

void add_into(std::vector<Tensor>& grads, size_t slot, const Tensor& g) {
  if (grads.size() <= slot) grads.resize(slot + 1);
  grads[slot] = grads[slot].defined() ? add(grads[slot], g) : g;
}

// Step 1: every node reachable from `roots`, children before parents.
std::vector<Node*> post_order(const std::vector<Edge>& roots) {
  std::vector<Node*> order;
  std::unordered_map<Node*, bool> seen;
  std::vector<std::pair<Node*, size_t>> stack;  // node, next edge to visit
  for (const Edge& r : roots) {
    if (!r.valid() || seen.count(r.node.get())) continue;
    seen[r.node.get()] = true;
    stack.emplace_back(r.node.get(), 0);
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < node->next_edges().size()) {
        Node* child = node->next_edges()[next++].node.get();
        if (child && !seen.count(child)) {
          seen[child] = true;
          stack.emplace_back(child, 0);
        }
        continue;
      }
      order.push_back(node);
      stack.pop_back();
    }
  }
  return order;
}

Tensor zeros_for(const OutputInfo& o) { return full(o.sizes, Scalar(0.0), o.dtype, o.device); }

// A formula's gradient must have its input's shape; it takes the input's dtype (an op on
// float32 and float64 computes in float64, but the float32 input gets a float32 gradient).
void check_input_grads(const Node& node, std::vector<Tensor>& grads) {
  const auto& inputs = node.inputs();
  for (size_t i = 0; i < grads.size() && i < inputs.size(); ++i) {
    Tensor& g = grads[i];
    if (!g.defined()) continue;
    PYDL_CHECK(g.sizes() == inputs[i].sizes, "Function ", node.name(), " returned an invalid gradient at index ", i,
               " - got ", g.sizes(), " but expected shape compatible with ", inputs[i].sizes);
    if (g.dtype() != inputs[i].dtype) g = to(g, inputs[i].dtype, std::nullopt, false);
  }
}

}  // namespace

std::vector<Tensor> run_backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots,
                                 const BackwardOptions& options) {
  PYDL_CHECK(roots.size() == grad_roots.size(), "backward: got ", roots.size(), " tensors but ", grad_roots.size(),
             " gradients");
  std::vector<Edge> root_edges;
  for (size_t i = 0; i < roots.size(); ++i) {
    PYDL_CHECK(roots[i].requires_grad(), "element ", i,
               " of tensors does not require grad and does not have a grad_fn");
    PYDL_CHECK(grad_roots[i].sizes() == roots[i].sizes(), "Mismatch in shape: grad_output[", i, "] has a shape of ",
               grad_roots[i].sizes(), " and output[", i, "] has a shape of ", roots[i].sizes(), ".");
    root_edges.push_back(gradient_edge(roots[i]));
  }
  std::vector<Edge> targets;
  for (const Tensor& t : options.inputs) {
    PYDL_CHECK(t.requires_grad(), "One of the differentiated Tensors does not require grad");
    targets.push_back(gradient_edge(t));
  }

  // Steps 1 and 2.
  const std::vector<Node*> order = post_order(root_edges);
  std::unordered_map<Node*, NodeState> state;
  state.reserve(order.size());
  for (Node* n : order) {  // children come first, so their `needed` is final here
    NodeState& s = state[n];
    if (targets.empty()) continue;
    bool is_target = false, child_needed = false;
    for (const Edge& t : targets) is_target |= t.node.get() == n;
    for (const Edge& e : n->next_edges()) child_needed |= e.valid() && state[e.node.get()].needed;
    s.needed = is_target || child_needed;
    // autograd.grad captures a target's gradient without running it unless it leads to another.
    s.execute = child_needed || (is_target && options.accumulate && dynamic_cast<AccumulateGrad*>(n));
  }
  for (Node* n : order) {
    if (!state[n].needed) continue;
    for (const Edge& e : n->next_edges())
      if (e.valid() && state[e.node.get()].needed) state[e.node.get()].dependencies++;
  }

  // Step 3.
  AutoGradMode grad_mode(options.create_graph);
  for (size_t i = 0; i < root_edges.size(); ++i)
    add_into(state[root_edges[i].node.get()].grads, root_edges[i].input_nr, grad_roots[i]);
  std::priority_queue<Node*, std::vector<Node*>, LaterFirst> ready;
  for (Node* n : order)
    if (state[n].needed && state[n].dependencies == 0) ready.push(n);
  std::vector<Tensor> captured(targets.size());
  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    NodeState& s = state[node];
    std::vector<Tensor> grads = std::move(s.grads);
    grads.resize(num_grads(node));
    node->run_pre_hooks(grads);
    for (size_t i = 0; i < targets.size(); ++i)
      if (targets[i].node.get() == node) captured[i] = grads[targets[i].input_nr];
    if (!s.execute) continue;
    for (size_t i = 0; node->materialize_grads() && i < grads.size() && i < node->outputs().size(); ++i)
      if (!grads[i].defined()) grads[i] = zeros_for(node->outputs()[i]);
    // Inputs that require grad but lead to no target get no gradient computed.
    const auto& edges = node->next_edges();
    std::vector<bool> wanted;
    bool all_wanted = true;
    if (!targets.empty()) {
      wanted.resize(edges.size());
      for (size_t i = 0; i < edges.size(); ++i) {
        wanted[i] = edges[i].valid() && state[edges[i].node.get()].needed;
        all_wanted &= wanted[i] || !edges[i].valid();
      }
    }
    std::vector<Tensor> input_grads;
    {
      WantedEdgesScope scope(all_wanted ? nullptr : &wanted);
      input_grads = node->apply(std::move(grads));
    }
    check_input_grads(*node, input_grads);
    if (!options.keep_graph) node->release_variables();
    for (size_t i = 0; i < edges.size(); ++i) {
      if (!edges[i].valid()) continue;
      NodeState& child = state[edges[i].node.get()];
      if (!child.needed) continue;
      if (i < input_grads.size() && input_grads[i].defined()) add_into(child.grads, edges[i].input_nr, input_grads[i]);
      if (--child.dependencies == 0) ready.push(edges[i].node.get());
    }
  }

  for (size_t i = 0; i < targets.size(); ++i) {
    PYDL_CHECK(captured[i].defined() || options.allow_unused || options.accumulate,
               "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True "
               "if this is the desired behavior.");
  }
  if (!options.accumulate) return captured;
  // backward(inputs=[non_leaf]) adds into the non-leaf's .grad (leaves went through AccumulateGrad).
  for (size_t i = 0; i < targets.size(); ++i) {
    const Tensor& t = options.inputs[i];
    if (!grad_fn(t) || !captured[i].defined()) continue;
    AutogradMeta& meta = t.impl()->autograd_meta();
    meta.grad = (meta.grad ? add(Tensor(meta.grad), captured[i]) : captured[i]).impl_ptr();
  }
  return {};
}

}  // namespace pydl::autograd
