// The optimizer-step primitive's vocabulary (Backend::optimizer_step; ops/optim.cpp): which update
// rule, its hyper-parameters and the step-dependent coefficients, and the tensors of one parameter.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace pydl {

// One update rule per torch.optim algorithm (AdamW is Adam with decoupled weight decay); Lion is
// the sign-momentum rule of Chen et al. 2023, which torch does not ship.
enum class OptimizerKind : uint8_t { Sgd, Adam, RmsProp, Adagrad, Adadelta, Adamax, NAdam, RAdam, Lion };

// Everything the elementwise update of one parameter needs, in double: the param group's options,
// then the coefficients that depend on the parameter's step count, which the op works out in
// double exactly as torch.optim does in Python (the kernel casts them to the parameter's dtype).
struct OptimizerHyper {
  // --- options
  double lr = 0, weight_decay = 0, eps = 0;
  double beta1 = 0, beta2 = 0;        // Adam, Adamax, NAdam, RAdam, Lion
  double alpha = 0;                   // RMSprop smoothing constant
  double rho = 0;                     // Adadelta
  double momentum = 0, dampening = 0; // SGD, RMSprop
  double lr_decay = 0;                // Adagrad
  double momentum_decay = 0;          // NAdam
  bool maximize = false;
  bool decoupled_weight_decay = false;  // Adam (AdamW), NAdam, RAdam; Lion always decouples
  bool amsgrad = false, nesterov = false, centered = false;
  // --- per step
  double step_size = 0;              // Adam: lr / (1 - beta1^t); Adagrad: lr / (1 + (t-1) lr_decay); Adamax: like Adam
  double bias_correction1 = 1;       // RAdam: 1 - beta1^t
  double bias_correction2 = 1;       // NAdam: 1 - beta2^t
  double bias_correction2_sqrt = 1;  // Adam, RAdam: (1 - beta2^t)^0.5
  double rect = 0;                   // RAdam: the variance rectification term; 0 when rho_t <= 5 (no adaptive lr)
  double grad_coef = 0, exp_avg_coef = 0;  // NAdam: the two addcdiv values (Nesterov look-ahead)
  bool init_momentum = false;        // SGD: the momentum buffer is new and becomes the gradient
};

// The tensors of one parameter: param and grad, and up to three state tensors whose meaning
// depends on the kind (undefined where unused):
//   Sgd: state1 momentum_buffer (momentum != 0)
//   Adam: exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad)      RmsProp: square_avg, momentum_buffer, grad_avg
//   Adagrad: sum       Adadelta: square_avg, acc_delta       Adamax: exp_avg, exp_inf
//   NAdam, RAdam: exp_avg, exp_avg_sq                        Lion: exp_avg
struct OptimizerTensors {
  Tensor param, grad, state1, state2, state3;
};

}  // namespace pydl
