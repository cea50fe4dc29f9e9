// parallel_for over OpenMP with a grain size: work smaller than `grain` elements runs serially
// on the calling thread, because opening a parallel region costs microseconds.
#pragma once
#include <cstdint>
#include <exception>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace pydl {

int get_num_threads();
void set_num_threads(int n);  // ValueError for n < 1
bool openmp_available();
// After fork() the child must not enter OpenMP (libgomp's pool does not survive fork), so
// parallel_for runs serially there, like PyTorch's DataLoader workers.
bool in_forked_child();

constexpr int64_t kGrainSize = 32768;  // elements; below this a cheap elementwise op stays serial

// The grain, in items, for items of `work` elements each: parallel once they total kGrainSize.
inline int64_t grain_for(int64_t work) {
  const int64_t g = kGrainSize / (work > 1 ? work : 1);
  return g > 1 ? g : 1;
}

template <typename F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& f) {
  if (begin >= end) return;
  int64_t n = end - begin;
#ifdef _OPENMP
  int threads = get_num_threads();
  if (n > grain && threads > 1 && !omp_in_parallel() && !in_forked_child()) {
    int64_t chunks = (n + grain - 1) / grain;
    int used = static_cast<int>(chunks < threads ? chunks : threads);
    std::exception_ptr error;
#pragma omp parallel num_threads(used)
    {
      int64_t tid = omp_get_thread_num();
      int64_t chunk = (n + used - 1) / used;
      int64_t b = begin + tid * chunk;
      int64_t e = b + chunk < end ? b + chunk : end;
      if (b < e) {
        try {
          f(b, e);
        } catch (...) {
#pragma omp critical
          if (!error) error = std::current_exception();
        }
      }
    }
    if (error) std::rethrow_exception(error);
    return;
  }
#endif
  f(begin, end);
}

// f(i) for each i in [0, n), items of `work` elements each (rows, channels), in parallel once
// they total kGrainSize elements.
template <typename F>
void parallel_for_each(int64_t n, int64_t work, const F& f) {
  parallel_for(0, n, grain_for(work), [&f](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) f(i);
  });
}

}  // namespace pydl
