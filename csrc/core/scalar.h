// Scalar: a Python number (bool, int or float) carried into C++ without losing its kind,
// which matters for type promotion and for int64 values beyond 2^53.
#pragma once
#include <cstdint>
#include <ostream>

#include "core/convert.h"
#include "core/dtype.h"

namespace pydl {

class Scalar {
 public:
  enum class Kind : int8_t { Bool, Int, Float };
  Scalar() : Scalar(int64_t(0)) {}
  Scalar(bool b) : kind_(Kind::Bool), i_(b) {}              // NOLINT: implicit on purpose
  Scalar(int64_t i) : kind_(Kind::Int), i_(i) {}            // NOLINT
  Scalar(int i) : kind_(Kind::Int), i_(i) {}                // NOLINT
  Scalar(double d) : kind_(Kind::Float), d_(d) {}           // NOLINT

  Kind kind() const { return kind_; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_float() const { return kind_ == Kind::Float; }
  double to_double() const { return kind_ == Kind::Float ? d_ : static_cast<double>(i_); }
  int64_t to_int() const { return kind_ == Kind::Float ? static_cast<int64_t>(d_) : i_; }
  bool to_bool() const { return kind_ == Kind::Float ? d_ != 0 : i_ != 0; }
  // The dtype PyTorch gives a tensor made from this number alone.
  ScalarType natural_dtype() const {
    return kind_ == Kind::Bool ? ScalarType::Bool : kind_ == Kind::Int ? ScalarType::Int64 : default_dtype();
  }
  template <typename T> T to() const;

 private:
  Kind kind_;
  union {
    int64_t i_;
    double d_;
  };
};

template <typename T>
T Scalar::to() const {
  if (kind_ == Kind::Float) return convert<T>(d_);
  if (kind_ == Kind::Bool) return convert<T>(i_ != 0);
  return convert<T>(i_);
}

inline std::ostream& operator<<(std::ostream& os, const Scalar& s) {
  if (s.is_bool()) return os << (s.to_bool() ? "True" : "False");
  if (s.is_int()) return os << s.to_int();
  return os << s.to_double();
}

}  // namespace pydl
