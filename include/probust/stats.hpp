#pragma once
/// \file stats.hpp
/// Confidence intervals for a binomial proportion (the Monte-Carlo estimate
/// p̂ = hits / n): the exact Clopper–Pearson interval and the Wilson score interval,
/// on Boost.Math.

#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

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
  detail::check_proportion_arguments(hits, n, confidence, "probust::clopper_pearson_interval");
  const double alpha = 1.0 - confidence;
  const double h = static_cast<double>(hits);
  const double m = static_cast<double>(n - hits);
  proportion_interval out;
  out.lower = hits == 0 ? 0.0 : boost::math::ibeta_inv(h, m + 1.0, alpha / 2.0);
  // The upper quantile through the complement keeps its accuracy when α/2 is tiny.
  out.upper = hits == n ? 1.0 : boost::math::ibetac_inv(h + 1.0, m, alpha / 2.0);
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
  detail::check_proportion_arguments(hits, n, confidence, "probust::wilson_interval");
  const double alpha = 1.0 - confidence;
  const double z = boost::math::quantile(
      boost::math::complement(boost::math::normal_distribution<double>(), alpha / 2.0));
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

/// A confidence interval for Δ = P(Y = 1, C = 0) − P(Y = 0, C = 1) = E[Y] − E[C] from n
/// paired binary observations (Y_j, C_j), of which `gained` have Y = 1, C = 0 and `lost`
/// have Y = 0, C = 1 (the discordant pairs of McNemar's test). With [L₊, U₊] and [L₋, U₋]
/// the `method` intervals of the discordant proportions q₊ and q₋ at levels 1 − α₊ and
/// 1 − α₋, α₊ + α₋ = α,
///
///     Δ ∈ [L₊ − min(U₋, c₋), min(U₊, c₊) − L₋].
///
/// c₊ ≥ q₊ and c₋ ≥ q₋ are bounds known before sampling (1 when nothing is known; for a
/// control variate C with known mean μ, q₊ ≤ P(C = 0) = 1 − μ and q₋ ≤ μ). The level is
/// split in proportion to them, α± = α·c±/(c₊ + c₋), so a proportion that is known to be
/// small costs no width (c± = 0: that proportion is 0, the other gets all of α). Both
/// intervals hold together with probability ≥ 1 − α (Bonferroni), so with Clopper–Pearson
/// the coverage is ≥ 1 − α for every joint distribution of (Y, C), at the price of some
/// width when both kinds of discordance are frequent. With no discordant pair and no
/// bounds the interval is [−U, U], U = 1 − (α/4)^{1/n} ≈ ln(4/α)/n.
/// Throws probust::invalid_argument if n = 0, gained + lost > n, confidence ∉ (0, 1), or a
/// bound is outside [0, 1] or both are 0.
inline difference_interval paired_difference_interval(std::uint64_t gained, std::uint64_t lost,
                                                      std::uint64_t n, double confidence,
                                                      interval_method method,
                                                      double gained_bound = 1.0,
                                                      double lost_bound = 1.0) {
  constexpr const char* fn = "probust::paired_difference_interval";
  if (gained > n || lost > n - gained) {
    detail::throw_invalid_argument(fn, "gained + lost (" + std::to_string(gained) + " + " +
                                           std::to_string(lost) + ") exceeds n (" +
                                           std::to_string(n) + ")");
  }
  detail::check_proportion_arguments(gained, n, confidence, fn);
  if (!(gained_bound >= 0.0 && gained_bound <= 1.0 && lost_bound >= 0.0 && lost_bound <= 1.0) ||
      gained_bound + lost_bound == 0.0) {
    detail::throw_invalid_argument(fn, "the bounds must be in [0, 1] and not both 0, got " +
                                           std::to_string(gained_bound) + " and " +
                                           std::to_string(lost_bound));
  }
  const double alpha = 1.0 - confidence;
  // The interval of one discordant proportion at level 1 − α·weight, capped by its bound;
  // [0, bound] when that level rounds to 1.
  const auto bounded = [&](std::uint64_t count, double bound) {
    const double level = 1.0 - alpha * bound / (gained_bound + lost_bound);
    if (!(level < 1.0)) return proportion_interval{0.0, bound};
    const proportion_interval i = binomial_interval(count, n, level, method);
    return proportion_interval{std::min(i.lower, bound), std::min(i.upper, bound)};
  };
  const proportion_interval plus = bounded(gained, gained_bound);
  const proportion_interval minus = bounded(lost, lost_bound);
  return {plus.lower - minus.upper, plus.upper - minus.lower};
}

}  // namespace probust
