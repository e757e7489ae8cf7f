#pragma once
/// \file sampling_plan.hpp
/// What the sampling estimators (monte_carlo, control_variate) share: the checks of their
/// common options, the sample counts at which a sequential run looks at its interval, and
/// the loop that draws noise in batches, evaluates the model on x + ε and hands each batch
/// to the estimator.

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "probust/config.hpp"
#include "probust/errors.hpp"
#include "probust/estimators/detail/estimator_base.hpp"
#include "probust/estimators/sampling_options.hpp"
#include "probust/model.hpp"
#include "probust/stats.hpp"

namespace probust {

namespace detail {

/// Checks the members every sampling estimator's options have: 1 ≤ samples ≤ max_samples,
/// batch_size ≥ 1 (a batch size above samples is used as samples), confidence in
/// [min_confidence, max_confidence], target_half_width finite and ≥ 0, a known interval
/// method (all in o.sampling), target ≥ −1. Throws probust::invalid_argument
/// "<function>: <member> ...".
template <class Options>
void check_sampling_options(const Options& options, const char* function) {
  const sampling_options& o = options.sampling;
  if (o.samples < 1 || o.samples > max_samples) {
    throw_invalid_argument(function, "samples must be in [1, 2^53], got " +
                                         std::to_string(o.samples));
  }
  if (o.batch_size < 1) throw_invalid_argument(function, "batch_size must be at least 1, got 0");
  if (!(o.confidence >= min_confidence && o.confidence <= max_confidence)) {
    throw_invalid_argument(function, "confidence must be in [1e-12, 1 - 1e-12], got " +
                                         option_value(o.confidence));
  }
  if (!(o.target_half_width >= 0.0 && std::isfinite(o.target_half_width))) {
    throw_invalid_argument(function, "target_half_width must be finite and >= 0, got " +
                                         option_value(o.target_half_width));
  }
  if (o.interval != interval_method::clopper_pearson && o.interval != interval_method::wilson) {
    throw_invalid_argument(function, "interval is not a known interval_method");
  }
  check_target_option(options.target, function);
}

/// The sample counts at which a run of at most `total` draws in batches of `batch_size`
/// looks at its interval: with b = min(batch_size, total), n = b, 2b, 4b, … below total,
/// and total — or only total when there is no target half-width (`sequential` false).
inline std::vector<std::uint64_t> sequential_looks(std::uint64_t batch_size, std::uint64_t total,
                                                   bool sequential) {
  const std::uint64_t batch = std::min(batch_size, total);
  std::vector<std::uint64_t> looks;
  if (sequential) {
    for (std::uint64_t n = batch; n < total; n *= 2) {
      looks.push_back(n);
      if (n > total / 2) break;  // the next doubling would reach or pass total
    }
  }
  looks.push_back(total);
  return looks;
}

/// Draws `total` noise vectors in batches of at most `batch` columns (noise.sample_batch
/// into one preallocated d × batch matrix, column-major successive draws, so the draws do
/// not depend on the batch size) and evaluates the model on x + ε with
/// probust::forward_batch, one call per batch. After each batch it calls
/// `consume(eps, logits)` (d × m noise, K × m logits); whenever the number of draws so far
/// is the next entry of `looks`, it calls `look(n)`, and stops early when that returns
/// true. Returns the number of draws made. Throws probust::invalid_argument (prefixed by
/// `function`) if the model returns other than `classes` logits for a noisy input.
template <class T, class Model, class Noise, class Engine, class Consume, class Look>
std::uint64_t sample_noisy_logits(Model& model, const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                                  const Noise& noise, Engine& engine, Eigen::Index classes,
                                  std::uint64_t batch, const std::vector<std::uint64_t>& looks,
                                  Consume&& consume, Look&& look, const char* function) {
  using matrix_type = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  const Eigen::Index d = x.size();
  const std::uint64_t total = looks.back();
  batch = std::min(batch, total);
  matrix_type eps(d, static_cast<Eigen::Index>(batch));
  matrix_type inputs(d, static_cast<Eigen::Index>(batch));
  std::uint64_t n = 0;
  std::size_t next_look = 0;
  while (n < total) {
    const std::uint64_t m = std::min(batch, total - n);
    if (static_cast<std::uint64_t>(eps.cols()) != m) {  // the last, shorter batch only
      eps.resize(d, static_cast<Eigen::Index>(m));
      inputs.resize(d, static_cast<Eigen::Index>(m));
    }
    noise.sample_batch(engine, eps);
    inputs.noalias() = eps;
    inputs.colwise() += x;
    const matrix_type out = forward_batch(model, inputs);
    if (out.rows() != classes) {
      throw_invalid_argument(function, "the model returned " + std::to_string(out.rows()) +
                                           " logits for a noisy input but " +
                                           std::to_string(classes) + " at x");
    }
    consume(eps, out);
    n += m;
    if (n == looks[next_look]) {
      ++next_look;
      if (look(n)) break;
    }
  }
  return n;
}

}  // namespace detail
}  // namespace probust
