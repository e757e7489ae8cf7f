#pragma once
/// \file options.hpp
/// Options and result of the MVN / Gaussian-polytope probability engine.

#include <cstdint>

#include "probust/config.hpp"

namespace probust {

/// Options of mvn_cdf and polytope_probability. An aggregate: set what you need,
/// the rest keeps its documented default.
struct mvn_options {
  /// Stop when the error estimate is ≤ abs_tol (or ≤ rel_tol·p).
  double abs_tol = 1e-4;
  /// Relative tolerance on p (0 disables it). Also the target relative accuracy of the
  /// complement 1 − p when p is near 1.
  double rel_tol = 0.0;
  /// Relative tolerance on 1 − p near p = 1, where 1 − p is pinned by Bonferroni–Hunter
  /// bounds (union bound μ ≤ 0.05) or sampled as a union of rare events (μ ≤
  /// min(0.05, 2·abs_tol/complement_rel_tol); above, the QMC error abs_tol already
  /// gives 1 − p to about this relative accuracy).
  double complement_rel_tol = 1e-2;
  /// Budget: the largest number of integrand evaluations (all randomizations together).
  std::uint64_t max_points = 4'000'000;
  /// Number of independent randomizations of the quasi-Monte-Carlo point set; the error
  /// estimate is 3 standard errors of their mean (Student-t coverage above 97% for 8).
  int randomizations = 8;
  /// Points per randomization in the first round. Later rounds grow as the observed error
  /// predicts; the first round never counts as converged (its error estimate has no
  /// previous round to check it against).
  std::uint64_t initial_points = 64;
  /// Seed of the randomization; fixed by default so results are bit-reproducible.
  std::uint64_t seed = default_seed;
  /// Relative threshold below which a pivot of the Cholesky factor counts as zero
  /// (the covariance is then treated as exactly rank-deficient, never jittered).
  double rank_tol = 1e-10;
};

/// Which method produced an mvn_result.
enum class mvn_method {
  trivial,       ///< no active constraint, or a constraint that can never hold
  univariate,    ///< k = 1, erfc
  bivariate,     ///< k = 2, Genz's BVN (Drezner–Wesolowsky with Gauss–Legendre)
  trivariate,    ///< k = 3, Genz's TVN (Plackett reduction, adaptive quadrature)
  genz_qmc,      ///< k ≥ 4, separation of variables with randomized Sobol' points
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
