#include "autograd/grad_mode.h"

namespace pydl::autograd {

static thread_local bool g_grad_enabled = true;
static thread_local bool g_inference = false;

bool GradMode::is_enabled() { return g_grad_enabled; }
void GradMode::set_enabled(bool enabled) { g_grad_enabled = enabled; }
bool InferenceMode::is_enabled() { return g_inference; }
void InferenceMode::set_enabled(bool enabled) { g_inference = enabled; }

}  // namespace pydl::autograd
