#pragma once
/// \file options.hpp
/// Options and result of the MVN / Gaussian-polytope probability engine.

#include <cmath>
#include <cstdint>
#include <string>

#include "probust/config.hpp"
#include "probust/errors.hpp"

namespace probust {

/// Options of mvn_cdf and polytope_probability. An aggregate: set what you need,
/// the rest keeps its documented default.
struct mvn_options {
  /// Stop when the error estimate is ≤ abs_tol (or ≤ rel_tol·p). In [0, +∞].
  double abs_tol = 1e-4;
  /// Relative tolerance on p (0 disables it). Also the target relative accuracy of the
  /// complement 1 − p when p is near 1. In [0, +∞].
  double rel_tol = 0.0;
  /// Relative tolerance on 1 − p near p = 1, where 1 − p is pinned by Bonferroni–Hunter
  /// bounds (union bound μ ≤ 0.05) or sampled as a union of rare events (μ ≤
  /// min(0.05, 2·abs_tol/complement_rel_tol); above, the QMC error abs_tol already
  /// gives 1 − p to about this relative accuracy). Finite and > 0.
  double complement_rel_tol = 1e-2;
  /// Relative tolerance on p when p may be below abs_tol (the small-p contract: p from
  /// abs_tol down to 1e-300 comes back with p and log p to this relative accuracy, or
  /// converged = false). Such p are sampled with minimax exponential tilting. 0 switches
  /// the contract off (then abs_tol and rel_tol alone decide). Finite and ≥ 0.
  double small_p_rel_tol = 1e-2;
  /// Budget: the largest number of integrand evaluations (all randomizations together),
  /// ≥ 1. Each randomization evaluates at least one point, so at least `randomizations`
  /// points are used by the quasi-Monte-Carlo path.
  std::uint64_t max_points = 4'000'000;
  /// Budget in integrand work: points × k × rank (k constraints, rank the integration
  /// dimension; about 1e10 per second on one core), ≥ 1. The default bounds a large
  /// unstructured problem (k = 1000, full rank: 2e5 points) to tens of seconds and leaves
  /// max_points the binding budget for k·rank ≤ 5e4. Deterministic, unlike a time limit.
  double max_work = 2e11;
  /// Number of independent randomizations of the quasi-Monte-Carlo point set, ≥ 2; the
  /// error estimate is 3 standard errors of their mean (Student-t coverage above 97% for 8).
  int randomizations = 8;
  /// Points per randomization in the first round, ≥ 1. Later rounds grow as the observed
  /// error predicts; the first round never counts as converged (its error estimate has no
  /// previous round to check it against).
  std::uint64_t initial_points = 64;
  /// Seed of the randomization; fixed by default so results are bit-reproducible.
  std::uint64_t seed = default_seed;
  /// Threshold, relative to each variance, below which a residual variance of the pivoted
  /// Cholesky factorization counts as zero (the covariance is then treated as exactly
  /// rank-deficient, never jittered). In [0, 1); values below the rounding floor 8·k·ε
  /// (k constraints) are raised to it.
  double rank_tol = 1e-10;
};

namespace detail {

/// Throws probust::invalid_argument "<function>: options.<member> ..." unless every member
/// of `opt` is in its documented range (NaN never is).
inline void validate_mvn_options(const mvn_options& opt, const char* function) {
  const auto fail = [&](const char* member, const std::string& rule, double value) {
    throw_invalid_argument(function, std::string("options.") + member + " must be " + rule +
                                         ", got " + std::to_string(value));
  };
  if (!(opt.abs_tol >= 0.0)) fail("abs_tol", ">= 0", opt.abs_tol);
  if (!(opt.rel_tol >= 0.0)) fail("rel_tol", ">= 0", opt.rel_tol);
  if (!(opt.complement_rel_tol > 0.0 && std::isfinite(opt.complement_rel_tol))) {
    fail("complement_rel_tol", "finite and > 0", opt.complement_rel_tol);
  }
  if (!(opt.small_p_rel_tol >= 0.0 && std::isfinite(opt.small_p_rel_tol))) {
    fail("small_p_rel_tol", "finite and >= 0", opt.small_p_rel_tol);
  }
  if (opt.max_points < 1) fail("max_points", ">= 1", 0.0);
  if (!(opt.max_work >= 1.0)) fail("max_work", ">= 1", opt.max_work);
  if (opt.randomizations < 2) fail("randomizations", ">= 2", opt.randomizations);
  if (opt.initial_points < 1) fail("initial_points", ">= 1", 0.0);
  if (!(opt.rank_tol >= 0.0 && opt.rank_tol < 1.0)) fail("rank_tol", "in [0, 1)", opt.rank_tol);
}

}  // namespace detail

/// Which method produced an mvn_result.
enum class mvn_method {
  trivial,       ///< no active constraint, or a constraint that can never hold
  univariate,    ///< k = 1, erfc
  bivariate,     ///< k = 2, Genz's BVN (Drezner–Wesolowsky with Gauss–Legendre)
  trivariate,    ///< k = 3, Genz's TVN (Plackett reduction, adaptive quadrature)
  genz_qmc,      ///< k ≥ 4, separation of variables with randomized Sobol' points
  minimax_tilting,  ///< k ≥ 4, small p: the same, exponentially tilted (Botev 2017)
  bound,         ///< 1 − p below 1e-300 or pinned by union bounds; no integration needed
  rare_event,    ///< 1 − p by importance sampling of the union of rare events (ALOE)
};

/// Result of an MVN / polytope probability computation.
struct mvn_result {
  double probability = 0.0;      ///< p
  double complement = 1.0;       ///< 1 − p, accurate relative to itself near p = 1
  double log_probability = 0.0;  ///< log p; finite even where p underflows to 0
  double error = 0.0;            ///< error estimate on p (absolute; 0 only when exact)
  /// Error estimate on log p (≈ error / p). When p < 1e-308, probability and error
  /// underflow to 0 while log_probability and this field stay meaningful.
  double log_probability_error = 0.0;
  double complement_error = 0.0; ///< error estimate on 1 − p (absolute)
  bool converged = true;         ///< false when the budget ran out before the tolerance
  std::uint64_t points = 0;      ///< integrand evaluations used (all randomizations)
  int dimension = 0;             ///< integration dimension after rank reduction
  int constraints = 0;           ///< active constraints after removing vacuous ones
  mvn_method method = mvn_method::trivial;
};

}  // namespace probust
