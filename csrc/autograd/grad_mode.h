// Whether ops record autograd history on this thread: no_grad / enable_grad /
// set_grad_enabled / inference_mode flip it for a scope. Thread-local, like PyTorch's.
#pragma once

namespace pydl::autograd {

struct GradMode {
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

// inference_mode: grad mode off, and every tensor made inside is an inference tensor, which
// autograd refuses to save and which cannot be written in place outside the mode (PyTorch's
// rules: such a tensor never had a version counter worth trusting).
struct InferenceMode {
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

// Sets grad mode for a C++ scope and restores the previous one on exit.
class AutoGradMode {
 public:
  explicit AutoGradMode(bool enabled) : previous_(GradMode::is_enabled()) { GradMode::set_enabled(enabled); }
  ~AutoGradMode() { GradMode::set_enabled(previous_); }
  AutoGradMode(const AutoGradMode&) = delete;
  AutoGradMode& operator=(const AutoGradMode&) = delete;

 private:
  bool previous_;
};

}  // namespace pydl::autograd
