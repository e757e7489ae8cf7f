#pragma once
/// \file result.hpp
/// probust::robustness_result, what every estimator's `estimate(model, x, noise)` returns.

#include <cstdint>

#include "probust/jacobian_source.hpp"

namespace probust {

/// The estimate of the robustness probability
///
///     p(x) = P_{ε ~ N(0, Σ)} [ argmax_i f_i(x + ε) = t ]
///
/// at one input x, with its uncertainty. [lower, upper] is the estimator's own error band:
/// the numerical error of the quantity it computes (MVN integration error for Taylor and
/// MMSE, a confidence interval for Monte Carlo). It does *not* cover the approximation
/// bias of an analytical estimator (linearization, mv-sigmoid, softmax) relative to the
/// true p; lower = upper = probability means the value was computed to rounding accuracy.
struct robustness_result {
  double probability = 0.0;  ///< the estimate of p
  double lower = 0.0;        ///< lower end of the error band / confidence interval
  double upper = 1.0;        ///< upper end of the error band / confidence interval
  /// 1 − p, accurate relative to itself when p is near 1 (from the MVN engine's
  /// complement, or (n − hits)/n for Monte Carlo).
  double complement = 1.0;
  /// Absolute error estimate: the MVN error estimate (analytical estimators), the
  /// interval half-width (upper − lower)/2 (Monte Carlo), 0 when computed in closed form.
  double error = 0.0;
  /// The target class t: the prediction argmax_i f_i(x) (ties → lowest index) unless the
  /// estimator's options named a class.
  int predicted_class = -1;
  /// Forward passes (logit evaluations) of the model, including finite-difference calls;
  /// calls of a user-supplied `jacobian(x)` are not counted (see `jacobian`).
  std::uint64_t model_evaluations = 0;
  /// Where the Jacobian came from (not_used for softmax and Monte Carlo).
  jacobian_source jacobian = jacobian_source::not_used;
  /// False when a budget ran out before the requested accuracy (the MVN integration's
  /// budget, or a Monte-Carlo target_half_width not reached within its samples).
  bool converged = true;
  /// Noisy samples used (Monte-Carlo draws; MMSE's averaging samples; 0 otherwise).
  std::uint64_t samples = 0;
  /// Control-variate Monte Carlo only: the estimated variance-reduction factor
  /// Var(Y)/Var(Y − C) over plain Monte Carlo on the same draws, i.e. how many times more
  /// samples plain Monte Carlo needs for the same standard error (+∞ when Y = C on every
  /// draw but Y varied). 0 for the other estimators.
  double variance_reduction = 0.0;
  /// Which estimator produced the result, e.g. "taylor" (a string literal).
  const char* estimator = "";
};

}  // namespace probust
