#pragma once
/// \file polytope.hpp
/// Gaussian polytope probabilities P(A ε ≤ b), ε ~ N(0, Σ): the form every robustness
/// estimator reduces to (A = margin Jacobian, b = margins). Since A ε ~ N(0, A Σ Aᵀ), this
/// is the MVN CDF of A Σ Aᵀ at b; when Σ is given by a factor (Σ = F Fᵀ, e.g. σ·I) the
/// product A F is used directly, so a d-dimensional noise with d < k stays exactly
/// rank-deficient. Rows of A that are zero are deterministic constraints 0 ≤ b_i.

#include <Eigen/Dense>

#include "probust/mvn/cdf.hpp"
#include "probust/detail/validate.hpp"

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
  // Scaled so that A Σ Aᵀ cannot overflow: rows of A by their largest entry α_i, Σ by its
  // largest β; then P(Aε ≤ b) = P(A′ε′ ≤ b′) with ε′ ~ N(0, Σ/β), b′_i = b_i/(α_i √β).
  Eigen::MatrixXd ad = a.template cast<double>();
  Eigen::VectorXd bd = b.template cast<double>();
  Eigen::MatrixXd sd = covariance.template cast<double>();
  bd /= std::sqrt(detail::divide_by_largest(sd));
  detail::scale_rows_by_largest(ad, bd);
  const Eigen::MatrixXd sigma = ad * sd * ad.transpose();
  return detail::one_sided_probability(sigma, bd, opt, fn, "A covariance Aᵀ");
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
  // Scaled so that A F cannot overflow (rows of A by their largest entry, F by its largest);
  // factor_probability then normalizes the rows of the product.
  Eigen::MatrixXd ad = a.template cast<double>();
  Eigen::VectorXd bd = b.template cast<double>();
  Eigen::MatrixXd fd = factor.template cast<double>();
  bd /= detail::divide_by_largest(fd);
  detail::scale_rows_by_largest(ad, bd);
  return detail::factor_probability(ad * fd, bd, opt, fn, "A factor");
}

}  // namespace probust
