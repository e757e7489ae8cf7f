#pragma once
/// \file stats.hpp
/// Confidence intervals for a binomial proportion (the Monte-Carlo estimate
/// p̂ = hits / n): the exact Clopper–Pearson interval and the Wilson score interval,
/// on Boost.Math.

#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <boost/math/tools/toms748_solve.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "probust/detail/boost_policy.hpp"
#include "probust/errors.hpp"

namespace probust {

/// A two-sided confidence interval [lower, upper] ⊂ [0, 1] for a proportion.
struct proportion_interval {
  double lower = 0.0;  ///< lower confidence limit
  double upper = 1.0;  ///< upper confidence limit
};

/// Which binomial confidence interval a Monte-Carlo estimator reports.
enum class interval_method {
  clopper_pearson,  ///< exact (conservative): coverage ≥ the nominal level for every p
  wilson,           ///< Wilson score: shorter, coverage close to (sometimes below) nominal
};

namespace detail {

inline void check_proportion_arguments(std::uint64_t hits, std::uint64_t n, double confidence,
                                       const char* function) {
  if (n == 0) throw_invalid_argument(function, "n must be positive");
  if (hits > n) {
    throw_invalid_argument(function, "hits (" + std::to_string(hits) + ") exceeds n (" +
                                         std::to_string(n) + ")");
  }
  if (!(confidence > 0.0 && confidence < 1.0)) {
    throw_invalid_argument(function,
                           "confidence must be in (0, 1), got " + std::to_string(confidence));
  }
}

/// The checks of check_proportion_arguments for paired counts: also gained + lost ≤ n.
inline void check_paired_arguments(std::uint64_t gained, std::uint64_t lost, std::uint64_t n,
                                   double confidence, const char* function) {
  if (gained > n || lost > n - gained) {
    throw_invalid_argument(function, "gained + lost (" + std::to_string(gained) + " + " +
                                         std::to_string(lost) + ") exceeds n (" +
                                         std::to_string(n) + ")");
  }
  check_proportion_arguments(gained, n, confidence, function);
}

/// z = Φ⁻¹(1 − tail), the upper `tail` quantile of the standard normal, by Boost.Math
/// (errors reported for `function`).
inline double upper_normal_quantile(double tail, const char* function) {
  return call_boost(function, [tail] {
    return boost::math::quantile(
        boost::math::complement(boost::math::normal_distribution<double, boost_policy>(), tail));
  });
}

}  // namespace detail

/// The Clopper–Pearson ("exact") interval for hits successes in n trials at level
/// `confidence` = 1 − α: with B(q; a, b) the quantile of the Beta(a, b) distribution,
///
///     lower = B(α/2; hits, n − hits + 1)   (0 when hits = 0),
///     upper = B(1 − α/2; hits + 1, n − hits) (1 when hits = n),
///
/// equivalently the p at which P(Bin(n, p) ≥ hits) = α/2, resp. P(Bin(n, p) ≤ hits) = α/2.
/// Its coverage is ≥ 1 − α for every p. C. J. Clopper, E. S. Pearson, "The use of
/// confidence or fiducial limits illustrated in the case of the binomial", Biometrika 26
/// (1934) 404–413. Computed with boost::math::ibeta_inv / ibetac_inv. Throws
/// probust::invalid_argument if n = 0, hits > n or confidence ∉ (0, 1).
inline proportion_interval clopper_pearson_interval(std::uint64_t hits, std::uint64_t n,
                                                    double confidence = 0.95) {
  constexpr const char* fn = "probust::clopper_pearson_interval";
  detail::check_proportion_arguments(hits, n, confidence, fn);
  const double alpha = 1.0 - confidence;
  const double h = static_cast<double>(hits);
  const double m = static_cast<double>(n - hits);
  proportion_interval out;
  detail::call_boost(fn, [&] {
    const detail::boost_policy policy;
    out.lower = hits == 0 ? 0.0 : boost::math::ibeta_inv(h, m + 1.0, alpha / 2.0, policy);
    // The upper quantile through the complement keeps its accuracy when α/2 is tiny.
    out.upper = hits == n ? 1.0 : boost::math::ibetac_inv(h + 1.0, m, alpha / 2.0, policy);
  });
  return out;
}

/// The Wilson score interval for hits successes in n trials at level 1 − α: with
/// z = Φ⁻¹(1 − α/2) and p̂ = hits / n,
///
///     (p̂ + z²/(2n) ± z √(p̂(1 − p̂)/n + z²/(4n²))) / (1 + z²/n),
///
/// clipped to [0, 1] (lower exactly 0 when hits = 0, upper exactly 1 when hits = n).
/// E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
/// JASA 22 (1927) 209–212. Throws probust::invalid_argument if n = 0, hits > n or
/// confidence ∉ (0, 1).
inline proportion_interval wilson_interval(std::uint64_t hits, std::uint64_t n,
                                           double confidence = 0.95) {
  constexpr const char* fn = "probust::wilson_interval";
  detail::check_proportion_arguments(hits, n, confidence, fn);
  const double alpha = 1.0 - confidence;
  const double z = detail::upper_normal_quantile(alpha / 2.0, fn);
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(hits) / nn;
  const double z2 = z * z;
  const double denominator = 1.0 + z2 / nn;
  const double center = (p + z2 / (2.0 * nn)) / denominator;
  const double half = z * std::sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn)) / denominator;
  proportion_interval out;
  out.lower = hits == 0 ? 0.0 : std::clamp(center - half, 0.0, 1.0);
  out.upper = hits == n ? 1.0 : std::clamp(center + half, 0.0, 1.0);
  return out;
}

/// The interval chosen by `method` (clopper_pearson_interval or wilson_interval).
inline proportion_interval binomial_interval(std::uint64_t hits, std::uint64_t n,
                                             double confidence, interval_method method) {
  switch (method) {
    case interval_method::clopper_pearson: return clopper_pearson_interval(hits, n, confidence);
    case interval_method::wilson: return wilson_interval(hits, n, confidence);
  }
  detail::throw_invalid_argument("probust::binomial_interval", "unknown interval method");
}

/// A confidence interval [lower, upper] ⊂ [−1, 1] for a difference of two proportions.
struct difference_interval {
  double lower = -1.0;  ///< lower confidence limit
  double upper = 1.0;   ///< upper confidence limit
};

namespace detail {

/// Tango's score interval for the paired difference Δ = P(Y = 1, C = 0) − P(Y = 0, C = 1)
/// from n pairs with `gained` (Y = 1, C = 0) and `lost` (Y = 0, C = 1) discordant ones:
/// the Δ₀ ∈ [−1, 1] with |Z(Δ₀)| ≤ z = Φ⁻¹(1 − α/2), where
///
///     Z(Δ₀) = (gained − lost − nΔ₀) / √(n (2q̃ + Δ₀(1 − Δ₀))),
///     q̃ = (√(B² − 4AC) − B) / (2A),  A = 2n,  B = −gained − lost + (2n − gained + lost)Δ₀,
///     C = −lost·Δ₀(1 − Δ₀),
///
/// q̃ being the maximum-likelihood P(Y = 0, C = 1) under Δ = Δ₀. Z decreases in Δ₀; both
/// ends are found by TOMS748 to a bracket of width 1e-12. The paired analogue of Wilson's
/// interval: shorter than the exact one, coverage close to (occasionally below) nominal.
/// T. Tango,
/// "Equivalence test and confidence interval for the difference in proportions for the
/// paired-sample design", Statistics in Medicine 17 (1998) 891–908. Throws
/// probust::invalid_argument if n = 0, gained + lost > n or confidence ∉ (0, 1).
inline difference_interval tango_interval(std::uint64_t gained, std::uint64_t lost,
                                          std::uint64_t n, double confidence) {
  constexpr const char* fn = "probust::detail::tango_interval";
  check_paired_arguments(gained, lost, n, confidence, fn);
  const double z = upper_normal_quantile((1.0 - confidence) / 2.0, fn);
  const double b = static_cast<double>(gained), c = static_cast<double>(lost);
  const double nn = static_cast<double>(n);
  const auto score = [&](double delta) {
    const double a2 = 2.0 * nn;
    const double b2 = -b - c + (2.0 * nn - b + c) * delta;
    const double c2 = -c * delta * (1.0 - delta);
    const double q = (std::sqrt(std::max(0.0, b2 * b2 - 4.0 * a2 * c2)) - b2) / (2.0 * a2);
    const double variance = nn * (2.0 * q + delta * (1.0 - delta));
    const double numerator = b - c - nn * delta;
    if (variance <= 0.0) {  // Δ₀ at a boundary of what the counts allow
      if (numerator == 0.0) return 0.0;
      return std::copysign(std::numeric_limits<double>::infinity(), numerator);
    }
    return numerator / std::sqrt(variance);
  };
  // The Δ₀ in [lo, hi] where the decreasing score crosses `level`: TOMS748 (Alefeld,
  // Potra & Shi, ACM TOMS 21 (1995) 327–344) on Z(Δ₀) − level, clamped to ±1e10 so that
  // the interpolation steps stay finite at the ends where Z is ±∞.
  const auto crossing = [&](double level, double lo, double hi) {
    if (score(lo) <= level) return lo;
    if (score(hi) >= level) return hi;
    const auto excess = [&](double delta) { return std::clamp(score(delta) - level, -1e10, 1e10); };
    const auto narrow = [](double a, double bb) { return bb - a <= 1e-12; };
    std::uintmax_t iterations = 200;
    const std::pair<double, double> bracket = call_boost(fn, [&] {
      return boost::math::tools::toms748_solve(excess, lo, hi, excess(lo), excess(hi), narrow,
                                               iterations, boost_policy());
    });
    return 0.5 * (bracket.first + bracket.second);
  };
  const double estimate = (b - c) / nn;
  return {crossing(z, -1.0, estimate), crossing(-z, estimate, 1.0)};
}

}  // namespace detail

/// A confidence interval for Δ = P(Y = 1, C = 0) − P(Y = 0, C = 1) = E[Y] − E[C] from n
/// paired binary observations (Y_j, C_j), of which `gained` have Y = 1, C = 0 and `lost`
/// have Y = 0, C = 1 (the discordant pairs of McNemar's test), with
/// gained_bound = c₊ ≥ P(Y = 1, C = 0) and lost_bound = c₋ ≥ P(Y = 0, C = 1) known before
/// sampling (1 when nothing is known). `method` = clopper_pearson: a Bonferroni box on
/// the discordance rate r = P(Y ≠ C) and π = P(Y = 1 | Y ≠ C), Δ = r(2π − 1), mapped to Δ
/// and intersected with [−c₋, c₊]; coverage ≥ confidence for every joint distribution of
/// (Y, C). `method` = wilson: Tango's score interval (detail::tango_interval) intersected
/// with [−c₋, c₊]; close to nominal coverage, shorter. The construction and its
/// properties: docs/intervals.md.
/// Throws probust::invalid_argument if n = 0, gained + lost > n, confidence ∉ (0, 1), a
/// bound is outside [0, 1] or both are 0, or (clopper_pearson) confidence is so close to 0
/// or 1 that the level 1 − (α − α_π) rounds to 0 or 1 (confidence in [1e-12, 1 − 1e-12],
/// the range of the estimators, is always fine).
inline difference_interval paired_difference_interval(std::uint64_t gained, std::uint64_t lost,
                                                      std::uint64_t n, double confidence,
                                                      interval_method method,
                                                      double gained_bound = 1.0,
                                                      double lost_bound = 1.0) {
  constexpr const char* fn = "probust::paired_difference_interval";
  detail::check_paired_arguments(gained, lost, n, confidence, fn);
  if (!(gained_bound >= 0.0 && gained_bound <= 1.0 && lost_bound >= 0.0 && lost_bound <= 1.0) ||
      gained_bound + lost_bound == 0.0) {
    detail::throw_invalid_argument(fn, "the bounds must be in [0, 1] and not both 0, got " +
                                           std::to_string(gained_bound) + " and " +
                                           std::to_string(lost_bound));
  }
  if (method == interval_method::wilson) {
    const difference_interval score = detail::tango_interval(gained, lost, n, confidence);
    return {std::max(score.lower, -lost_bound), std::min(score.upper, gained_bound)};
  }
  const double alpha = 1.0 - confidence;
  const double alpha_pi = alpha * std::min(gained_bound, lost_bound) / (gained_bound + lost_bound);
  const double r_level = 1.0 - (alpha - alpha_pi);
  if (!(r_level > 0.0 && r_level < 1.0)) {
    detail::throw_invalid_argument(fn, "confidence is too close to 0 or 1: the level of the "
                                       "discordance rate, 1 - (alpha - alpha_pi), rounds to 0 "
                                       "or 1");
  }
  const std::uint64_t m = gained + lost;
  const proportion_interval r = binomial_interval(m, n, r_level, method);
  proportion_interval pi;  // [0, 1]
  if (m > 0 && 1.0 - alpha_pi < 1.0) pi = binomial_interval(gained, m, 1.0 - alpha_pi, method);
  const double low = 2.0 * pi.lower - 1.0, high = 2.0 * pi.upper - 1.0;
  return {std::max(low * (low >= 0.0 ? r.lower : r.upper), -lost_bound),
          std::min(high * (high >= 0.0 ? r.upper : r.lower), gained_bound)};
}

}  // namespace probust
