// Error types and the PYDL_CHECK macro family. The Python bindings translate each type to
// the Python exception class PyTorch raises in the same situation.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace pydl {

class Error : public std::runtime_error {  // -> RuntimeError
 public:
  using std::runtime_error::runtime_error;
};
class IndexError : public Error { using Error::Error; };
class TypeError : public Error { using Error::Error; };
class ValueError : public Error { using Error::Error; };
class NotImplementedError : public Error { using Error::Error; };
class OutOfMemoryError : public Error { using Error::Error; };

namespace detail {
template <typename... Args>
std::string str_cat(Args&&... args) {
  std::ostringstream ss;
  (ss << ... << std::forward<Args>(args));
  return ss.str();
}
}  // namespace detail

// Concatenates anything streamable into a string (used to build messages, failure path only).
template <typename... Args>
std::string str(Args&&... args) {
  return detail::str_cat(std::forward<Args>(args)...);
}

}  // namespace pydl

#define PYDL_CHECK_AS(ErrorType, cond, ...)                                  \
  do {                                                                       \
    if (__builtin_expect(!(cond), 0)) throw ::pydl::ErrorType(::pydl::str(__VA_ARGS__)); \
  } while (0)

// PYDL_CHECK(cond, "view: shape ", shape, " is invalid for input of size ", n)
#define PYDL_CHECK(cond, ...) PYDL_CHECK_AS(Error, cond, __VA_ARGS__)
#define PYDL_CHECK_INDEX(cond, ...) PYDL_CHECK_AS(IndexError, cond, __VA_ARGS__)
#define PYDL_CHECK_TYPE(cond, ...) PYDL_CHECK_AS(TypeError, cond, __VA_ARGS__)
#define PYDL_CHECK_VALUE(cond, ...) PYDL_CHECK_AS(ValueError, cond, __VA_ARGS__)
#define PYDL_CHECK_NOT_IMPLEMENTED(cond, ...) PYDL_CHECK_AS(NotImplementedError, cond, __VA_ARGS__)
#define PYDL_FAIL(...) throw ::pydl::Error(::pydl::str(__VA_ARGS__))
