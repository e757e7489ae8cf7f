#pragma once
/// \file stratified_interval.hpp
/// Confidence intervals for a weighted sum of binomial proportions θ = Σ_k w_k μ_k from
/// independent counts h_k ~ Bin(n_k, μ_k): the mean of a stratified sample with known
/// stratum weights and any allocation n_k. An exact (Chernoff) interval and a normal one.

#include <boost/math/distributions/normal.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "probust/errors.hpp"
#include "probust/stats.hpp"

namespace probust {
namespace detail {

/// The strata of weighted_binomial_interval with w_k > 0 and n_k > 0: weights, trials,
/// c_k = w_k / n_k, the range [lo_k, hi_k] the nuisance μ_k is restricted to, and the
/// estimate t = Σ c_k h_k.
struct sampled_strata {
  std::vector<double> w, n, c, lo, hi;
  double estimate = 0.0;
};

/// log(1 − μ + μ e^{−x}) for μ ∈ [0, 1], x ≥ 0, without cancellation or underflow.
inline double log_bernoulli_mgf(double mu, double x) {
  if (mu <= 0.0) return 0.0;
  if (mu >= 1.0) return -x;
  const double a = std::log1p(-mu), b = std::log(mu) - x;
  const double hi = std::max(a, b);
  return hi + std::log1p(std::exp(std::min(a, b) - hi));
}

/// G_λ(θ) = Σ_k max_{μ ∈ [lo_k, hi_k]} [n_k log(1 − μ + μ e^{−λ c_k}) + θ w_k μ]. The
/// maximizer solves the stationarity n_k a_k / (1 − μ a_k) = θ w_k (a_k = 1 − e^{−λ c_k}):
/// μ = (1 − n_k a_k / (θ w_k)) / a_k, clamped to [lo_k, hi_k] (the objective is concave).
inline double chernoff_lagrangian(const sampled_strata& s, double lambda, double theta) {
  double value = 0.0;
  for (std::size_t k = 0; k < s.w.size(); ++k) {
    const double a = -std::expm1(-lambda * s.c[k]);
    const double mu = std::clamp((1.0 - s.n[k] * a / (theta * s.w[k])) / a, s.lo[k], s.hi[k]);
    value += s.n[k] * log_bernoulli_mgf(mu, lambda * s.c[k]) + theta * s.w[k] * mu;
  }
  return value;
}

/// The minimum of f on [lo, hi]: the best of `scan` + 1 equally spaced points, refined by
/// golden-section search (`steps` steps) between its neighbours. For a unimodal f with
/// plateaus (where golden section alone can walk away from the minimum).
template <class F>
double scanned_minimum(F&& f, double lo, double hi, int scan, int steps) {
  const double h = (hi - lo) / scan;
  int best = 0;
  double f_best = f(lo);
  for (int i = 1; i <= scan; ++i) {
    const double v = f(lo + i * h);
    if (v < f_best) f_best = v, best = i;
  }
  double a = lo + std::max(best - 1, 0) * h, b = lo + std::min(best + 1, scan) * h;
  const double golden = (std::sqrt(5.0) - 1.0) / 2.0;
  double x1 = b - golden * (b - a), x2 = a + golden * (b - a);
  double f1 = f(x1), f2 = f(x2);
  for (int it = 0; it < steps; ++it) {
    if (f1 < f2) {
      b = x2, x2 = x1, f2 = f1;
      x1 = b - golden * (b - a), f1 = f(x1);
    } else {
      a = x1, x1 = x2, f1 = f2;
      x2 = a + golden * (b - a), f2 = f(x2);
    }
  }
  return std::min({f_best, f1, f2});
}

/// The exact upper confidence limit at one-sided level α₁ of Σ_k w_k μ_k over the sampled
/// strata (T = Σ c_k h_k observed as s.estimate). For λ ≥ 0 and μ with Σ w_k μ_k = m,
///
///     log P_μ(T ≤ T_obs) ≤ λ T_obs + Σ_k n_k log(1 − μ_k + μ_k e^{−λ c_k})   (Chernoff)
///                        ≤ λ T_obs + G_λ(θ) − θ m   for every θ ≥ 0     (weak duality),
///
/// so the test of θ ≥ m at level α₁ rejects every m ≥ (λ T_obs + G_λ(θ) − log α₁) / θ,
/// whatever (λ, θ). The limit is the minimum of that over (λ, θ), found by nested
/// scans refined by golden section on log λ and log θ (scanned_minimum); any
/// point the search returns is a valid limit, so numerical inaccuracy can only widen it.
inline double chernoff_upper_limit(const sampled_strata& s, double log_alpha) {
  double total = 0.0, c_min = std::numeric_limits<double>::infinity(), c_max = 0.0;
  for (std::size_t k = 0; k < s.w.size(); ++k) {
    total += s.w[k] * s.hi[k];
    c_min = std::min(c_min, s.c[k]);
    c_max = std::max(c_max, s.c[k]);
  }
  const auto at_lambda = [&](double log_lambda) {
    const double lambda = std::exp(log_lambda);
    // θ where the maximizers move from 0 (θ ≤ n_k a_k / w_k) to 1 (θ ≥ that · e^{λ c_k}).
    double lo = std::numeric_limits<double>::infinity();
    double hi = -std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < s.w.size(); ++k) {
      const double log_ratio = std::log(s.n[k] * -std::expm1(-lambda * s.c[k]) / s.w[k]);
      lo = std::min(lo, log_ratio);
      hi = std::max(hi, log_ratio + lambda * s.c[k]);
    }
    const auto limit = [&](double log_theta) {
      const double theta = std::exp(log_theta);
      return (lambda * s.estimate + chernoff_lagrangian(s, lambda, theta) - log_alpha) / theta;
    };
    return scanned_minimum(limit, lo - 2.0, std::min(hi + 2.0, 700.0), 16, 24);
  };
  const double limit =
      scanned_minimum(at_lambda, std::log(1e-3 / c_max), std::log(800.0 / c_min), 24, 24);
  return std::clamp(limit, s.estimate, total);
}

}  // namespace detail

/// An exact confidence interval for θ = Σ_k w_k μ_k from independent counts
/// h_k ~ Bin(n_k, μ_k) (`hits`, `trials`, `weights`, all of one length K; w_k ≥ 0): the
/// mean of a stratified sample whose stratum weights w_k are known, for any allocation.
///
/// The test of θ ≥ m rejects when T = Σ_k (w_k/n_k) h_k is small, with the p-value bound
///
///     sup_{μ ∈ [0,1]^K, Σ w_k μ_k = m} P_μ(T ≤ T_obs)
///       ≤ inf_{λ ≥ 0, θ ≥ 0} exp( λ T_obs + θ(Σ w_k μ_k(θ) − m)
///                                 + Σ_k n_k log(1 − μ_k(θ) + μ_k(θ) e^{−λ w_k/n_k}) )
///
/// (the Chernoff bound E e^{−λT} e^{λ T_obs}, whose supremum over the nuisance μ — a
/// concave maximization under one linear constraint — is bounded by its Lagrange dual;
/// μ_k(θ) maximizes the Lagrangian). The upper limit is the smallest m whose bound is
/// ≤ α/2, the lower limit the same for the complements 1 − μ_k; strata with n_k = 0 add
/// [0, w_k]. Every (λ, θ) gives a valid bound, so the coverage ≥ 1 − α holds for every μ
/// whatever the accuracy of the numerical search: the interval is exact in Clopper and
/// Pearson's sense. It adapts to the strata: with no hit the upper limit is ≈
/// ln(2/α) · max_k(w_k/n_k), with many it approaches the normal interval of variance
/// Σ w_k² μ_k(1 − μ_k)/n_k at the wider level z² = 2 ln(2/α) (≈ 2.72 instead of 1.96 at
/// α = 0.05). With one stratum it is wider than Clopper–Pearson; its point is that no
/// Bonferroni split over strata is needed. H. Chernoff, "A measure of asymptotic
/// efficiency for tests of a hypothesis based on the sum of observations", Ann. Math.
/// Statist. 23 (1952) 493–507; the dual bound: S. Boyd, L. Vandenberghe, Convex
/// Optimization (2004), §5.2.
///
/// `method` = wilson gives instead the normal interval θ̃ ± z √(Σ w_k² μ̃_k(1 − μ̃_k)/ñ_k)
/// with the Agresti–Coull-type μ̃_k = (h_k + z²/2)/ñ_k, ñ_k = n_k + z², θ̃ = Σ w_k μ̃_k
/// (clipped to [0, Σ w]; coverage close to nominal, not guaranteed).
/// Throws probust::invalid_argument if the lengths differ, a weight is negative or not
/// finite, h_k > n_k, or confidence ∉ (0, 1).
inline proportion_interval weighted_binomial_interval(const std::vector<std::uint64_t>& hits,
                                                      const std::vector<std::uint64_t>& trials,
                                                      const std::vector<double>& weights,
                                                      double confidence,
                                                      interval_method method =
                                                          interval_method::clopper_pearson) {
  constexpr const char* fn = "probust::weighted_binomial_interval";
  if (hits.size() != trials.size() || hits.size() != weights.size()) {
    detail::throw_invalid_argument(fn, "hits, trials and weights must have the same length");
  }
  if (!(confidence > 0.0 && confidence < 1.0)) {
    detail::throw_invalid_argument(fn, "confidence must be in (0, 1), got " +
                                           std::to_string(confidence));
  }
  detail::sampled_strata s, complement;
  double unsampled = 0.0, total = 0.0;
  std::size_t sampled = 0;
  for (std::size_t k = 0; k < hits.size(); ++k) {
    if (!(weights[k] >= 0.0 && std::isfinite(weights[k]))) {
      detail::throw_invalid_argument(fn, "weights must be finite and >= 0");
    }
    if (hits[k] > trials[k]) detail::throw_invalid_argument(fn, "hits exceed trials");
    if (weights[k] > 0.0 && trials[k] > 0) ++sampled;
  }
  const double alpha = 1.0 - confidence;
  const double box_alpha = alpha / 10.0;  // γ: the nuisance box (Berger–Boos)
  for (std::size_t k = 0; k < hits.size(); ++k) {
    total += weights[k];
    if (weights[k] == 0.0) continue;
    if (trials[k] == 0) {
      unsampled += weights[k];
      continue;
    }
    const double n = static_cast<double>(trials[k]), w = weights[k];
    const proportion_interval box = clopper_pearson_interval(
        hits[k], trials[k], 1.0 - box_alpha / static_cast<double>(sampled));
    for (detail::sampled_strata* t : {&s, &complement}) {
      t->w.push_back(w);
      t->n.push_back(n);
      t->c.push_back(w / n);
    }
    s.lo.push_back(box.lower);
    s.hi.push_back(box.upper);
    complement.lo.push_back(1.0 - box.upper);
    complement.hi.push_back(1.0 - box.lower);
    s.estimate += w * static_cast<double>(hits[k]) / n;
    complement.estimate += w * static_cast<double>(trials[k] - hits[k]) / n;
  }
  if (s.w.empty()) return {0.0, total};
  if (method == interval_method::wilson) {
    const double z = boost::math::quantile(
        boost::math::complement(boost::math::normal_distribution<double>(), alpha / 2.0));
    double center = 0.0, variance = 0.0;
    for (std::size_t k = 0, j = 0; k < hits.size(); ++k) {
      if (weights[k] == 0.0 || trials[k] == 0) continue;
      const double n = s.n[j] + z * z;
      const double mu = (static_cast<double>(hits[k]) + z * z / 2.0) / n;
      center += s.w[j] * mu;
      variance += s.w[j] * s.w[j] * mu * (1.0 - mu) / n;
      ++j;
    }
    const double half = z * std::sqrt(variance);
    return {std::max(0.0, center - half), std::min(total, center + half + unsampled)};
  }
  const double log_alpha = std::log((alpha - box_alpha) / 2.0);
  double sampled_total = 0.0;
  for (const double w : s.w) sampled_total += w;
  const double upper = detail::chernoff_upper_limit(s, log_alpha);
  const double lower = sampled_total - detail::chernoff_upper_limit(complement, log_alpha);
  return {std::max(0.0, lower), std::min(total, upper + unsampled)};
}

}  // namespace probust
