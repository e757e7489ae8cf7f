#pragma once
/// \file sampling_options.hpp
/// The options the sampling estimators (monte_carlo, control_variate) share, as their
/// member `sampling`, and the ranges those options are checked against.

#include <cstdint>

#include "probust/config.hpp"
#include "probust/stats.hpp"

namespace probust {

/// The range of `confidence` of the sampling estimators (monte_carlo, control_variate),
/// [1e-12, 1 − 1e-12]: every level they derive from it — 1 − α/L over at most 54
/// sequential looks, and the Bonferroni split of paired_difference_interval — then lies
/// strictly inside (0, 1) in double precision (α = 1 − confidence must not round to 0 or
/// 1). Levels outside are no meaningful intervals anyway.
inline constexpr double min_confidence = 1e-12;
/// The upper end of the range of `confidence` (see min_confidence).
inline constexpr double max_confidence = 1.0 - 1e-12;
/// The largest `samples` of the sampling estimators, 2⁵³: hit counts and n are then exact
/// in double (p̂ = hits / n), and every batch size fits Eigen's index type.
inline constexpr std::uint64_t max_samples = std::uint64_t{1} << 53;

/// The sampling members of monte_carlo_options and control_variate_options (their member
/// `sampling`): how many draws, from which seed, and the interval reported. An aggregate;
/// every member has its documented default.
struct sampling_options {
  /// n, the number of noisy samples (the paper's 10,000); the maximum when
  /// target_half_width > 0. In [1, probust::max_samples = 2⁵³].
  std::uint64_t samples = 10'000;
  /// Seed of the noise when no engine is passed: draws from probust::point_engine(seed, 0)
  /// (run_dataset uses the stream (seed, point id)).
  std::uint64_t seed = default_seed;
  /// Coverage 1 − α of the reported interval, in [probust::min_confidence,
  /// probust::max_confidence] = [1e-12, 1 − 1e-12].
  double confidence = 0.95;
  /// The interval method: clopper_pearson (default; exact, coverage ≥ nominal) or wilson
  /// (score interval: shorter, coverage close to but not guaranteed at nominal). Each
  /// estimator documents what it applies it to.
  interval_method interval = interval_method::clopper_pearson;
  /// Samples per batched forward pass; memory is O(d · min(batch_size, samples)),
  /// independent of n. ≥ 1; a value above samples is used as samples.
  std::uint64_t batch_size = 256;
  /// 0 (default): always use `samples` draws. > 0: stop as soon as the interval's
  /// half-width is ≤ this value, looking only at n = b, 2b, 4b, … and n = samples
  /// (b = min(batch_size, samples)). Each of the L possible looks uses level 1 − α/L
  /// (Bonferroni over the looks), so the reported interval covers p with probability
  /// ≥ 1 − α whatever the stopping time. Finite, ≥ 0.
  double target_half_width = 0.0;
};

}  // namespace probust
