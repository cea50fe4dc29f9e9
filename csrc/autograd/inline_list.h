// InlineList: a list that keeps its first N elements inside the object and moves them all to the
// heap once it outgrows that, so the elements are always contiguous.
//
// A Node keeps its edges, its inputs' and outputs' shapes and its saved tensors in these. Nearly
// every op has one or two inputs and one output, and a heap block for each of those lists was
// most of what recording an op cost (the node itself is one allocation; the lists were four
// more). Unlike core/SmallVector, the elements may own resources (Edge holds a shared_ptr).
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <utility>
#include <vector>

namespace pydl::autograd {

template <typename T, size_t N>
class InlineList {
 public:
  InlineList() = default;
  InlineList(std::initializer_list<T> items) {
    reserve(items.size());
    for (const T& x : items) push_back(x);
  }
  InlineList(std::vector<T>&& items) {  // NOLINT: implicit, so call sites can pass a vector
    reserve(items.size());
    for (T& x : items) push_back(std::move(x));
  }
  InlineList(const InlineList&) = default;
  InlineList& operator=(const InlineList&) = default;
  InlineList(InlineList&& o) noexcept
      : inline_(std::move(o.inline_)), heap_(std::move(o.heap_)), size_(std::exchange(o.size_, 0)) {}
  InlineList& operator=(InlineList&& o) noexcept {
    inline_ = std::move(o.inline_);
    heap_ = std::move(o.heap_);
    size_ = std::exchange(o.size_, 0);
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return on_heap() ? heap_.data() : inline_.data(); }
  const T* data() const { return on_heap() ? heap_.data() : inline_.data(); }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }

  void reserve(size_t n) {
    if (n > N && !on_heap()) spill(n);
  }
  void push_back(T x) {
    if (!on_heap() && size_ == N) spill(2 * N);
    if (on_heap()) heap_.push_back(std::move(x));
    else inline_[size_] = std::move(x);
    ++size_;
  }
  template <typename... Args>
  void emplace_back(Args&&... args) { push_back(T(std::forward<Args>(args)...)); }
  // Destroys the elements now (a node drops its saved tensors this way), not when the list dies.
  void clear() {
    for (size_t i = 0; i < std::min(size_, N); ++i) inline_[i] = T();
    std::vector<T>().swap(heap_);
    size_ = 0;
  }

 private:
  bool on_heap() const { return heap_.capacity() != 0; }
  void spill(size_t capacity) {
    heap_.reserve(std::max(capacity, N + 1));
    for (size_t i = 0; i < size_; ++i) {
      heap_.push_back(std::move(inline_[i]));
      inline_[i] = T();
    }
  }

  std::array<T, N> inline_{};
  std::vector<T> heap_;  // used, with every element, once the list outgrew N
  size_t size_ = 0;
};

}  // namespace pydl::autograd
