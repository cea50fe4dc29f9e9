// The optimizer steps of pydl.optim (optim.cpp): each updates every parameter of one param group
// in one call, with torch.optim's update rule for that algorithm. Lists run in parallel: entry i
// of every list belongs to params[i]. `steps` (and NAdam's `mu_products`) are 1-element float
// tensors on the CPU that the call increments (updates), as torch keeps them; `options` holds
// the group's hyper-parameters (the per-step fields of OptimizerHyper are filled in here). The
// lists are taken by value and consumed: each tensor is moved into its update, which spares two
// atomic reference-count updates per tensor, a cost that shows with hundreds of small params.
// Nothing is recorded by autograd; every input is checked before any parameter is written.
#pragma once
#include <vector>

#include "backend/optimizer_ops.h"
#include "core/tensor.h"

namespace pydl {

using TensorList = std::vector<Tensor>;

// SGD: `momentum_buffers` is empty when momentum == 0, else one per param, undefined where the
// buffer does not exist yet; returns the buffers after the step (new ones created on first use).
TensorList sgd_step(TensorList params, TensorList grads, TensorList momentum_buffers,
                    const OptimizerHyper& options);
// Adam and AdamW (options.decoupled_weight_decay); max_exp_avg_sqs is empty unless amsgrad.
void adam_step(TensorList params, TensorList grads, TensorList exp_avgs,
               TensorList exp_avg_sqs, TensorList max_exp_avg_sqs, TensorList steps,
               const OptimizerHyper& options);
// momentum_buffers is empty unless momentum > 0, grad_avgs empty unless centered.
void rmsprop_step(TensorList params, TensorList grads, TensorList square_avgs,
                  TensorList momentum_buffers, TensorList grad_avgs, TensorList steps,
                  const OptimizerHyper& options);
void adagrad_step(TensorList params, TensorList grads, TensorList state_sums,
                  TensorList steps, const OptimizerHyper& options);
void adadelta_step(TensorList params, TensorList grads, TensorList square_avgs,
                   TensorList acc_deltas, TensorList steps, const OptimizerHyper& options);
void adamax_step(TensorList params, TensorList grads, TensorList exp_avgs,
                 TensorList exp_infs, TensorList steps, const OptimizerHyper& options);
void nadam_step(TensorList params, TensorList grads, TensorList exp_avgs,
                TensorList exp_avg_sqs, TensorList mu_products, TensorList steps,
                const OptimizerHyper& options);
void radam_step(TensorList params, TensorList grads, TensorList exp_avgs,
                TensorList exp_avg_sqs, TensorList steps, const OptimizerHyper& options);
// Lion: decoupled weight decay always; no step counter.
void lion_step(TensorList params, TensorList grads, TensorList exp_avgs,
               const OptimizerHyper& options);

// The update of one parameter composed from elementwise ops (optim_composed.cpp): what runs on
// devices without the fused primitive and for non-contiguous or float16/bfloat16 parameters.
// Same rules and rounding as the fused kernels; creates SGD's momentum buffer (t.state1) on its
// first step.
void composed_optimizer_step(OptimizerKind kind, const OptimizerHyper& h, OptimizerTensors& t);

}  // namespace pydl
