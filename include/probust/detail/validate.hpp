#pragma once
/// \file validate.hpp
/// Argument checks shared by the MVN entry points. Each throws probust::invalid_argument
/// with a message "<function>: <argument> ..." so users see which input is wrong.

#include <Eigen/Dense>
#include <cmath>
#include <string>

#include "probust/errors.hpp"

namespace probust::detail {

/// Throws unless every entry of `m` is finite.
template <class Derived>
void require_finite(const Eigen::MatrixBase<Derived>& m, const char* function,
                    const char* argument) {
  for (Eigen::Index j = 0; j < m.cols(); ++j) {
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      if (!std::isfinite(static_cast<double>(m(i, j)))) {
        throw_invalid_argument(function, std::string(argument) + " has a non-finite entry at (" +
                                             std::to_string(i) + ", " + std::to_string(j) + ")");
      }
    }
  }
}

/// Throws if `v` contains NaN (±inf are legal limits).
template <class Derived>
void require_not_nan(const Eigen::MatrixBase<Derived>& v, const char* function,
                     const char* argument) {
  for (Eigen::Index i = 0; i < v.size(); ++i) {
    if (std::isnan(static_cast<double>(v(i)))) {
      throw_invalid_argument(function,
                             std::string(argument) + " has NaN at index " + std::to_string(i));
    }
  }
}

/// Throws unless `v` has `expected` entries.
inline void require_size(Eigen::Index actual, Eigen::Index expected, const char* function,
                         const char* argument, const char* expected_what) {
  if (actual != expected) {
    throw_invalid_argument(function, std::string(argument) + " has size " +
                                         std::to_string(actual) + " but " + expected_what +
                                         " is " + std::to_string(expected));
  }
}

/// Checks that `covariance` is square, finite, symmetric (to 1e-10 relative) and has
/// non-negative variances. Positive semi-definiteness is checked where the matrix is
/// factored (the pivoted Cholesky) or, for standalone noise covariances, by
/// require_positive_semidefinite.
template <class Derived>
void require_covariance_shape(const Eigen::MatrixBase<Derived>& covariance, const char* function,
                              const char* argument) {
  if (covariance.rows() != covariance.cols()) {
    throw_invalid_argument(function, std::string(argument) + " must be square, got " +
                                         std::to_string(covariance.rows()) + " x " +
                                         std::to_string(covariance.cols()));
  }
  require_finite(covariance, function, argument);
  if (covariance.size() == 0) return;
  const double scale = covariance.template cast<double>().cwiseAbs().maxCoeff();
  for (Eigen::Index i = 0; i < covariance.rows(); ++i) {
    if (covariance(i, i) < 0) {
      throw_invalid_argument(function, std::string(argument) + " has a negative variance at (" +
                                           std::to_string(i) + ", " + std::to_string(i) + ")");
    }
    for (Eigen::Index j = 0; j < i; ++j) {
      if (std::abs(static_cast<double>(covariance(i, j)) - static_cast<double>(covariance(j, i))) >
          1e-10 * scale) {
        throw_invalid_argument(function, std::string(argument) + " is not symmetric at (" +
                                             std::to_string(i) + ", " + std::to_string(j) + ")");
      }
    }
  }
}

/// Throws unless the symmetric matrix `covariance` is positive semi-definite: the pivots
/// of Eigen's pivoted LDLᵀ must be ≥ −1e-10·max|Σ|. (LDLT::info() is not used: it flags
/// the rounding left under a zero pivot of a valid singular matrix.)
template <class Derived>
void require_positive_semidefinite(const Eigen::MatrixBase<Derived>& covariance,
                                   const char* function, const char* argument) {
  const Eigen::MatrixXd s = covariance.template cast<double>();
  if (s.size() == 0) return;
  const Eigen::LDLT<Eigen::MatrixXd> ldlt(s);
  const double scale = s.cwiseAbs().maxCoeff();
  if (!(ldlt.vectorD().minCoeff() >= -1e-10 * scale)) {
    throw_invalid_argument(function, std::string(argument) + " is not positive semi-definite");
  }
}

}  // namespace probust::detail
