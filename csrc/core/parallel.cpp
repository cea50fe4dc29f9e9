#include "core/parallel.h"

#include <pthread.h>

#include <atomic>

#include "core/error.h"

namespace pydl {
namespace {
std::atomic<bool> g_forked_child{false};
std::atomic<int> g_num_threads{0};  // 0: not yet read from OpenMP

int init_threads() {
  static bool registered = [] {
    pthread_atfork(nullptr, nullptr, [] { g_forked_child = true; });
    return true;
  }();
  (void)registered;
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}
}  // namespace

int get_num_threads() {
  int n = g_num_threads.load(std::memory_order_relaxed);
  if (n == 0) {
    n = init_threads();
    g_num_threads = n;
  }
  return in_forked_child() ? 1 : n;
}

void set_num_threads(int n) {
  PYDL_CHECK_VALUE(n > 0, "set_num_threads expects a positive integer, got ", n);
  init_threads();
  g_num_threads = n;
#ifdef _OPENMP
  if (!in_forked_child()) omp_set_num_threads(n);
#endif
}

bool openmp_available() {
#ifdef _OPENMP
  return true;
#else
  return false;
#endif
}

bool in_forked_child() { return g_forked_child.load(std::memory_order_relaxed); }

}  // namespace pydl
