#pragma once
/// \file cdf.hpp
/// The multivariate normal CDF and rectangle probabilities.
///
///   mvn_cdf(upper, Σ)                    P(X ≤ upper),          X ~ N(0, Σ)
///   mvn_cdf(lower, upper, mean, Σ)       P(lower ≤ X ≤ upper),  X ~ N(mean, Σ)
///   mvn_cdf_from_factor(upper, F)        P(F z ≤ upper),        z ~ N(0, I), Σ = F Fᵀ
///
/// ±∞ limits are legal; NaN, non-finite or non-symmetric Σ, negative variances, non-PSD Σ,
/// mismatched sizes and lower > upper throw probust::invalid_argument. Σ may be singular:
/// it is factored exactly by a rank-revealing pivoted Cholesky, never jittered.
/// Methods: k ≤ 3 closed forms to ~1e-14; k ≥ 4 Genz's separation of variables with
/// randomized Sobol' points (error = 3 standard errors over opt.randomizations
/// independent scramblings); 1 − p by rare-event importance sampling when p is near 1.

#include <Eigen/Dense>

#include "probust/mvn/detail/engine.hpp"
#include "probust/detail/validate.hpp"
#include "probust/mvn/options.hpp"

namespace probust {

/// P(lower ≤ X ≤ upper) for X ~ N(mean, covariance).
template <class DerivedL, class DerivedU, class DerivedM, class DerivedS>
mvn_result mvn_cdf(const Eigen::MatrixBase<DerivedL>& lower,
                   const Eigen::MatrixBase<DerivedU>& upper,
                   const Eigen::MatrixBase<DerivedM>& mean,
                   const Eigen::MatrixBase<DerivedS>& covariance, const mvn_options& opt = {}) {
  constexpr const char* fn = "probust::mvn_cdf";
  detail::require_covariance_shape(covariance, fn, "covariance");
  const Eigen::Index k = covariance.rows();
  detail::require_size(lower.size(), k, fn, "lower", "the covariance dimension");
  detail::require_size(upper.size(), k, fn, "upper", "the covariance dimension");
  detail::require_size(mean.size(), k, fn, "mean", "the covariance dimension");
  detail::require_not_nan(lower, fn, "lower");
  detail::require_not_nan(upper, fn, "upper");
  detail::require_finite(mean, fn, "mean");
  const Eigen::VectorXd m = mean.template cast<double>();
  const Eigen::VectorXd a = lower.template cast<double>() - m;
  const Eigen::VectorXd b = upper.template cast<double>() - m;
  return detail::covariance_probability(covariance.template cast<double>(), a, b, opt, fn,
                                        "covariance");
}

/// P(X ≤ upper) for X ~ N(0, covariance): the multivariate normal CDF Φ_k(upper; Σ).
template <class DerivedU, class DerivedS>
mvn_result mvn_cdf(const Eigen::MatrixBase<DerivedU>& upper,
                   const Eigen::MatrixBase<DerivedS>& covariance, const mvn_options& opt = {}) {
  detail::require_size(upper.size(), covariance.rows(), "probust::mvn_cdf", "upper",
                       "the covariance dimension");
  const Eigen::Index k = upper.size();
  const Eigen::VectorXd lower =
      Eigen::VectorXd::Constant(k, -std::numeric_limits<double>::infinity());
  return mvn_cdf(lower, upper, Eigen::VectorXd::Zero(k), covariance, opt);
}

/// P(F z ≤ upper) for z ~ N(0, I_r): the CDF of X = F z, whose covariance F Fᵀ may be
/// singular (F is k × r with any r, e.g. r < k). Exact for rank-deficient F.
template <class DerivedU, class DerivedF>
mvn_result mvn_cdf_from_factor(const Eigen::MatrixBase<DerivedU>& upper,
                               const Eigen::MatrixBase<DerivedF>& factor,
                               const mvn_options& opt = {}) {
  constexpr const char* fn = "probust::mvn_cdf_from_factor";
  detail::require_finite(factor, fn, "factor");
  detail::require_size(upper.size(), factor.rows(), fn, "upper", "the number of factor rows");
  detail::require_not_nan(upper, fn, "upper");
  return detail::factor_probability(factor.template cast<double>(),
                                    upper.template cast<double>(), opt, fn, "factor");
}

}  // namespace probust
