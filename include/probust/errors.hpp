#pragma once
/// \file errors.hpp
/// Exception types. Contract violations (sizes, non-finite input, non-PSD covariance)
/// throw probust::invalid_argument; numerical breakdowns throw probust::numerical_error.
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

namespace detail {

/// Throws probust::invalid_argument with the message "<function>: <what>".
[[noreturn]] inline void throw_invalid_argument(const char* function, const std::string& what) {
  throw invalid_argument(std::string(function) + ": " + what);
}

/// Throws probust::numerical_error with the message "<function>: <what>".
[[noreturn]] inline void throw_numerical_error(const char* function, const std::string& what) {
  throw numerical_error(std::string(function) + ": " + what);
}

}  // namespace detail
}  // namespace probust
