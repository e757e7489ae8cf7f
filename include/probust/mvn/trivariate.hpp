#pragma once
/// \file trivariate.hpp
/// The standard trivariate normal distribution with a (possibly singular) correlation
/// matrix: upper orthant probabilities P(X1 > h1, X2 > h2, X3 > h3) and the CDF.

#include <algorithm>
#include <cmath>
#include <utility>

#include "probust/detail/math.hpp"
#include "probust/errors.hpp"
#include "probust/mvn/bivariate.hpp"
#include "probust/mvn/univariate.hpp"

namespace probust {
namespace detail {

/// One term of the Plackett integrand: with correlations ρ(a,b) = r, ρ(a,c) = ra,
/// ρ(b,c) = rb and rr = 1 − r²,
///   exp(−(ha² − 2r·ha·hb + hb²)/(2rr)) · P(Xc > hc | Xa = ha, Xb = hb),
/// the conditional law being N(μ, σ²) with rr·(hc − μ) = hc·rr + ha(r·rb − ra) + hb(r·ra − rb)
/// and rr·σ² = det = rr − (ra − rb)² − 2ra·rb(1 − r). When det ≤ 0 (singular, or rounding
/// just past singular) the conditional law is the point mass at μ.
/// A. Genz, Statistics and Computing 14 (2004) 251–260 (function PNTGND).
inline double plackett_term(double ha, double hb, double hc, double ra, double rb, double r,
                            double rr) noexcept {
  const double quadratic = (ha - r * hb) * (ha - r * hb) / rr + hb * hb;
  const double numerator = hc * rr + ha * (r * rb - ra) + hb * (r * ra - rb);
  const double det = rr * (rr - (ra - rb) * (ra - rb) - 2.0 * ra * rb * (1.0 - r));
  const double conditional =
      det > 0.0 ? normal_ccdf(numerator / std::sqrt(det)) : (numerator < 0.0 ? 1.0 : 0.0);
  return std::exp(-0.5 * quadratic) * conditional;
}

/// Genz's TVN in upper-orthant form: P(X1 > h1, X2 > h2, X3 > h3), h finite in
/// (−40, 40), a valid correlation matrix with |r23| = max |r_ij| < 1. Plackett's identity
/// ∂P/∂r_ij = φ₂(h_i, h_j; r_ij)·P(X_k > h_k | X_i = h_i, X_j = h_j) integrated along
/// r12(t) = sin(t·asin r12), r13(t) = sin(t·asin r13), t ∈ [0, 1], r23 fixed:
///   P = Φ̄(h1)·P(X2 > h2, X3 > h3) + (1/2π) ∫_0^1 [a12·T(h1, h2, h3) + a13·T(h1, h3, h2)] dt,
/// a1j = asin r1j, T = plackett_term; the sine path is linear in the angles arccos r_ij, so
/// it stays inside the (convex) set of valid correlation matrices. Each of the two terms
/// has one sign and is integrated on its own (integrate_adaptive, to an estimated 1e-12
/// relative), so that rounding in their difference cannot stall the adaptivity.
/// A. Genz, Statistics and Computing 14 (2004) 251–260; R. L. Plackett, Biometrika 41
/// (1954) 351–360.
inline double trivariate_normal_upper_plackett(double h1, double h2, double h3, double r12,
                                               double r13, double r23) noexcept {
  const double base = normal_ccdf(h1) * bivariate_normal_upper_unchecked(h2, h3, r23);
  const double a12 = std::asin(r12);
  const double a13 = std::asin(r13);
  const double breaks[2] = {0.0, 1.0};
  const double abs_tol = 1e-12 * two_pi<double> * base;
  // One path per non-zero correlation of X1: along it that correlation runs from 0 to its
  // value (sin(a·t)) while the other one follows sin(a_other·t); swapping (h2, a12) with
  // (h3, a13) gives the second path.
  const auto path = [&](double a, double a_other, double h_near, double h_far) {
    if (a == 0.0) return 0.0;
    const auto f = [=](double t) {
      const double c = std::cos(a * t);
      return plackett_term(h1, h_near, h_far, std::sin(a_other * t), r23, std::sin(a * t), c * c);
    };
    return a * integrate_adaptive(f, breaks, 2, abs_tol / std::fabs(a), 1e-12);
  };
  const double integral = path(a12, a13, h2, h3) + path(a13, a12, h3, h2);
  return base + integral / two_pi<double>;
}

/// trivariate_normal_upper without argument checks: no NaN, correlations in [−1, 1]
/// forming a positive semi-definite matrix.
inline double trivariate_normal_upper_unchecked(double h1, double h2, double h3, double r12,
                                                double r13, double r23) noexcept {
  if (h1 >= normal_limit_cutoff || h2 >= normal_limit_cutoff || h3 >= normal_limit_cutoff) {
    return 0.0;
  }
  if (h1 <= -normal_limit_cutoff) return bivariate_normal_upper_unchecked(h2, h3, r23);
  if (h2 <= -normal_limit_cutoff) return bivariate_normal_upper_unchecked(h1, h3, r13);
  if (h3 <= -normal_limit_cutoff) return bivariate_normal_upper_unchecked(h1, h2, r12);
  // Relabel so that |r23| is the largest correlation.
  if (std::fabs(r12) > std::max(std::fabs(r13), std::fabs(r23))) {  // (1,2,3) → (3,1,2)
    std::swap(h1, h3), std::swap(h2, h3);
    const double old12 = r12;
    r12 = r13, r13 = r23, r23 = old12;
  } else if (std::fabs(r13) > std::fabs(r23)) {  // (1,2,3) → (2,1,3)
    std::swap(h1, h2);
    std::swap(r13, r23);
  }
  if (r23 == 1.0) return bivariate_normal_upper_unchecked(h1, std::max(h2, h3), r12);
  if (r23 == -1.0) {  // X3 = −X2: P(X1 > h1, h2 < X2 < −h3)
    return h2 < -h3 ? std::max(0.0, bivariate_normal_upper_unchecked(h1, h2, r12) -
                                        bivariate_normal_upper_unchecked(h1, -h3, r12))
                    : 0.0;
  }
  return std::clamp(trivariate_normal_upper_plackett(h1, h2, h3, r12, r13, r23), 0.0, 1.0);
}

/// Validates the three correlations (NaN, |r| > 1 + 1e-12, or a matrix that is not positive
/// semi-definite: det = 1 − r12² − r13² − r23² + 2·r12·r13·r23 < −1e-12) and returns them
/// clamped to [−1, 1].
inline void check_trivariate_correlations(const char* function, double& r12, double& r13,
                                          double& r23) {
  r12 = checked_correlation(function, "r12", r12);
  r13 = checked_correlation(function, "r13", r13);
  r23 = checked_correlation(function, "r23", r23);
  if (1.0 - r12 * r12 - r13 * r13 - r23 * r23 + 2.0 * r12 * r13 * r23 < -1e-12) {
    throw_invalid_argument(function,
                           "correlations r12, r13, r23 do not form a positive "
                           "semi-definite matrix");
  }
}

}  // namespace detail

/// Upper orthant probability P(X1 > h1, X2 > h2, X3 > h3) of a standard trivariate normal
/// with correlations r12, r13, r23 (a positive semi-definite matrix, possibly singular):
/// Genz's TVN — Plackett's identity reduces it to Φ̄·(bivariate) plus a 1-D integral over
/// the correlations, done by adaptive Gauss–Kronrod. About 1e-15 absolute; relative
/// accuracy is kept in the upper tail when the correlations are non-negative. Limits may be
/// ±∞; a correlation ±1 reduces exactly to a bivariate probability. Arguments must not be
/// NaN; otherwise, or for an invalid correlation matrix, throws probust::invalid_argument.
/// A. Genz, Statistics and Computing 14 (2004) 251–260.
inline double trivariate_normal_upper(double h1, double h2, double h3, double r12, double r13,
                                      double r23) {
  constexpr const char* function = "probust::trivariate_normal_upper";
  detail::check_limit(function, "h1", h1);
  detail::check_limit(function, "h2", h2);
  detail::check_limit(function, "h3", h3);
  detail::check_trivariate_correlations(function, r12, r13, r23);
  return detail::trivariate_normal_upper_unchecked(h1, h2, h3, r12, r13, r23);
}

/// Trivariate normal CDF P(X1 ≤ a1, X2 ≤ a2, X3 ≤ a3) = trivariate_normal_upper(−a1, −a2,
/// −a3, …): same accuracy, limits and argument contract.
inline double trivariate_normal_cdf(double a1, double a2, double a3, double r12, double r13,
                                    double r23) {
  constexpr const char* function = "probust::trivariate_normal_cdf";
  detail::check_limit(function, "a1", a1);
  detail::check_limit(function, "a2", a2);
  detail::check_limit(function, "a3", a3);
  detail::check_trivariate_correlations(function, r12, r13, r23);
  return detail::trivariate_normal_upper_unchecked(-a1, -a2, -a3, r12, r13, r23);
}

}  // namespace probust
