#pragma once
/// \file affine.hpp
/// The affine (linear) classifier f(x) = W x + b. For it the linearized (Taylor) robustness
/// probability is exact, which makes it the reference model of the estimator tests.

#include <Eigen/Dense>
#include <string>
#include <type_traits>
#include <utility>

#include "probust/errors.hpp"
#include "probust/detail/validate.hpp"

namespace probust {

/// The affine model f(x) = W x + b with W of size K × d (K classes, d features) and b of
/// size K. Jacobian ∂f/∂x = W; batched forward pass W X + b·1ᵀ for X of size d × n.
template <class T = double>
class affine_model {
  static_assert(std::is_floating_point<T>::value,
                "probust::affine_model: T must be a floating-point type");

 public:
  using scalar_type = T;
  using vector_type = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  using matrix_type = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

  /// Takes W (K × d) and b (K). Throws probust::invalid_argument, naming W or b, if W is
  /// empty, if b does not have W.rows() entries, or if either has a non-finite entry.
  affine_model(matrix_type weights, vector_type bias)
      : weights_(std::move(weights)), bias_(std::move(bias)) {
    constexpr const char* fn = "probust::affine_model";
    if (weights_.size() == 0) {
      detail::throw_invalid_argument(fn, "W is empty (" + std::to_string(weights_.rows()) + " x " +
                                             std::to_string(weights_.cols()) + ")");
    }
    detail::require_size(bias_.size(), weights_.rows(), fn, "b", "the number of rows of W");
    detail::require_finite(weights_, fn, "W");
    detail::require_finite(bias_, fn, "b");
  }

  /// The logits W x + b. Throws probust::invalid_argument if x does not have d entries.
  vector_type operator()(const vector_type& x) const {
    check_input(x.size(), "x has size");
    vector_type logits = bias_;
    logits.noalias() += weights_ * x;
    return logits;
  }

  /// The Jacobian ∂f/∂x = W (K × d), independent of x (whose size is still checked).
  const matrix_type& jacobian(const vector_type& x) const {
    check_input(x.size(), "x has size");
    return weights_;
  }

  /// The logits of the n columns of X (d × n) at once: W X + b·1ᵀ (K × n).
  matrix_type forward_batch(const matrix_type& X) const {
    check_input(X.rows(), "X has row count");
    matrix_type logits(weights_.rows(), X.cols());
    logits.noalias() = weights_ * X;
    logits.colwise() += bias_;
    return logits;
  }

  /// W (K × d).
  const matrix_type& weights() const noexcept { return weights_; }
  /// b (K).
  const vector_type& bias() const noexcept { return bias_; }
  /// d, the number of input features.
  Eigen::Index input_dimension() const noexcept { return weights_.cols(); }
  /// K, the number of logits (classes).
  Eigen::Index output_dimension() const noexcept { return weights_.rows(); }

 private:
  // Throws unless `size` (of x, or the rows of X) equals d.
  void check_input(Eigen::Index size, const char* what) const {
    if (size != weights_.cols()) {
      detail::throw_invalid_argument("probust::affine_model",
                                     std::string(what) + " " + std::to_string(size) +
                                         " but the input dimension is " +
                                         std::to_string(weights_.cols()));
    }
  }

  matrix_type weights_;
  vector_type bias_;
};

}  // namespace probust
