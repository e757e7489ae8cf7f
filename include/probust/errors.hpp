#pragma once
/// \file errors.hpp
/// Exception types, three kinds, each with a message that starts with the name of the
/// probust function that throws ("probust::foo: ..."):
///   probust::invalid_argument  a contract violation: sizes, non-finite input, a non-PSD
///                              covariance, a malformed model file;
///   probust::numerical_error   a breakdown on valid input: an integration that produced
///                              NaN, a Boost.Math overflow or non-converged evaluation;
///   probust::io_error          a file that cannot be opened, read or written.
/// Running out of budget is never an exception: results carry `converged = false`.

#include <stdexcept>
#include <string>

namespace probust {

/// Thrown when an argument violates the documented contract. The message starts with the
/// name of the function and names the offending argument.
class invalid_argument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Thrown when a computation breaks down although its input was valid.
class numerical_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown when a file cannot be opened, read or written (its content is not checked: a
/// malformed file is an invalid_argument). The message starts with the name of the
/// function and names the file.
class io_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

/// Throws probust::invalid_argument with the message "<function>: <what>".
[[noreturn]] inline void throw_invalid_argument(const char* function, const std::string& what) {
  throw invalid_argument(std::string(function) + ": " + what);
}

/// Throws probust::numerical_error with the message "<function>: <what>".
[[noreturn]] inline void throw_numerical_error(const char* function, const std::string& what) {
  throw numerical_error(std::string(function) + ": " + what);
}

/// Throws probust::io_error with the message "<function>: <what>".
[[noreturn]] inline void throw_io_error(const char* function, const std::string& what) {
  throw io_error(std::string(function) + ": " + what);
}

}  // namespace detail
}  // namespace probust
