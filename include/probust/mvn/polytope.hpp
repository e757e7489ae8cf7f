#pragma once
/// \file polytope.hpp
/// Gaussian polytope probabilities P(A ε ≤ b), ε ~ N(0, Σ): the form every robustness
/// estimator reduces to (A = margin Jacobian, b = margins). Since A ε ~ N(0, A Σ Aᵀ), this
/// is the MVN CDF of A Σ Aᵀ at b; when Σ is given by a factor (Σ = F Fᵀ, e.g. σ·I) the
/// product A F is used directly, so a d-dimensional noise with d < k stays exactly
/// rank-deficient. Rows of A that are zero are deterministic constraints 0 ≤ b_i.

#include <Eigen/Dense>

#include "probust/mvn/cdf.hpp"
#include "probust/mvn/detail/validate.hpp"

namespace probust {

/// P(A ε ≤ b) for ε ~ N(0, covariance); A is k × d, b has k entries (±∞ legal),
/// covariance is d × d symmetric positive semi-definite.
template <class DerivedA, class DerivedB, class DerivedS>
mvn_result polytope_probability(const Eigen::MatrixBase<DerivedA>& a,
                                const Eigen::MatrixBase<DerivedB>& b,
                                const Eigen::MatrixBase<DerivedS>& covariance,
                                const mvn_options& opt = {}) {
  constexpr const char* fn = "probust::polytope_probability";
  detail::require_finite(a, fn, "A");
  detail::require_covariance_shape(covariance, fn, "covariance");
  detail::require_size(a.cols(), covariance.rows(), fn, "A's column count",
                       "the covariance dimension");
  detail::require_size(b.size(), a.rows(), fn, "b", "the number of rows of A");
  detail::require_not_nan(b, fn, "b");
  detail::require_positive_semidefinite(covariance, fn, "covariance");
  const Eigen::MatrixXd ad = a.template cast<double>();
  const Eigen::MatrixXd sigma = ad * covariance.template cast<double>() * ad.transpose();
  return detail::one_sided_probability(sigma, b.template cast<double>(), opt, fn,
                                       "A covariance Aᵀ");
}

/// P(A F z ≤ b) for z ~ N(0, I_r): the polytope probability for noise ε = F z with
/// covariance F Fᵀ (F is d × r, any r).
template <class DerivedA, class DerivedB, class DerivedF>
mvn_result polytope_probability_from_factor(const Eigen::MatrixBase<DerivedA>& a,
                                            const Eigen::MatrixBase<DerivedB>& b,
                                            const Eigen::MatrixBase<DerivedF>& factor,
                                            const mvn_options& opt = {}) {
  constexpr const char* fn = "probust::polytope_probability_from_factor";
  detail::require_finite(a, fn, "A");
  detail::require_finite(factor, fn, "factor");
  detail::require_size(a.cols(), factor.rows(), fn, "A's column count", "the factor's row count");
  detail::require_size(b.size(), a.rows(), fn, "b", "the number of rows of A");
  detail::require_not_nan(b, fn, "b");
  const Eigen::MatrixXd m = a.template cast<double>() * factor.template cast<double>();
  const Eigen::MatrixXd sigma = m * m.transpose();
  return detail::one_sided_probability(sigma, b.template cast<double>(), opt, fn,
                                       "A factor");
}

}  // namespace probust
