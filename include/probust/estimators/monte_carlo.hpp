#pragma once
/// \file monte_carlo.hpp
/// The Monte-Carlo reference estimator: p̂ = hits / n over n noisy forward passes, with an
/// exact (Clopper–Pearson) or Wilson confidence interval, batched forward passes and an
/// optional sequential stopping rule that keeps the stated coverage.

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "probust/config.hpp"
#include "probust/estimators/detail/estimator_base.hpp"
#include "probust/estimators/linearization.hpp"
#include "probust/estimators/result.hpp"
#include "probust/estimators/detail/sampling_plan.hpp"
#include "probust/model.hpp"
#include "probust/random.hpp"
#include "probust/stats.hpp"

namespace probust {

/// Options of monte_carlo_estimator. An aggregate; every member has its documented default.
struct monte_carlo_options {
  /// Samples, seed, confidence, interval, batch size and sequential stopping (see
  /// sampling_options; defaults: 10,000 samples, default_seed, 0.95, clopper_pearson, 256,
  /// 0 = no early stop).
  sampling_options sampling{};
  /// The target class t; −1 (default) = the prediction argmax f(x) (ties → lowest index).
  int target = -1;
};

/// Checks monte_carlo_options (the ranges documented at its members); throws
/// probust::invalid_argument "probust::monte_carlo_estimator: <member> ..." naming the
/// first invalid one. monte_carlo_estimator's constructor calls it.
inline void check_options(const monte_carlo_options& o) {
  detail::check_sampling_options(o, "probust::monte_carlo_estimator");
}

/// The Monte-Carlo estimator
///
///     p̂ = hits / n,   hits = #{ j ≤ n : argmax_i f_i(x + ε_j) = t },   ε_j ~ N(0, Σ),
///
/// (argmax ties → lowest index, as for t), with the interval of options().sampling.interval
/// at level options().sampling.confidence (adjusted for sequential looks, see
/// sampling_options::target_half_width). The noise is drawn batch by batch into a
/// preallocated d × batch_size matrix (noise.sample_batch, i.e. column-major successive
/// draws, so for a fixed n the result does not depend on batch_size) and the model is
/// evaluated with probust::forward_batch (one call per batch; the model's own
/// forward_batch when it has one). No allocation per sample; memory is bounded by the
/// batch size.
///
/// Result: error = (upper − lower)/2; complement = (n − hits)/n; samples = n;
/// model_evaluations = 1 + n; converged = false only when target_half_width was not
/// reached within `samples` draws. The constructor throws probust::invalid_argument for
/// invalid options (check_options); estimate throws it for an empty or non-finite x, a
/// noise of another dimension, a model with non-finite logits or fewer than 2 classes, or
/// a target beyond the classes.
template <class T = double>
class monte_carlo_estimator
    : public detail::seeded_estimator<monte_carlo_estimator<T>, T, monte_carlo_options> {
  using base = detail::seeded_estimator<monte_carlo_estimator<T>, T, monte_carlo_options>;

 public:
  using matrix_type = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using base::base;
  using base::estimate;

  /// "monte_carlo": the `estimator` of its results.
  const char* name() const noexcept { return "monte_carlo"; }

  /// p̂ with the noise drawn from the caller's engine (advanced by n·d normals).
  template <class Model, class Noise, class Engine>
  robustness_result estimate(Model&& model, const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                             const Noise& noise, Engine& engine) const {
    static_assert(detail::check_arguments<Model, Noise, T>());
    constexpr const char* fn = "probust::monte_carlo_estimator::estimate";
    const monte_carlo_options& o = this->options();  // checked at construction
    detail::require_input(x, fn);
    noise.check_dimension(x.size(), fn);
    const Eigen::Matrix<T, Eigen::Dynamic, 1> logits =
        detail::evaluate_logits(model, x, Eigen::Index(-1), fn);
    const int t = detail::resolve_target(logits, o.target, fn);
    const Eigen::Index classes = logits.size();

    const std::vector<std::uint64_t> looks = detail::sequential_looks(
        o.sampling.batch_size, o.sampling.samples, o.sampling.target_half_width > 0.0);
    const double alpha = 1.0 - o.sampling.confidence;
    const double level = 1.0 - alpha / static_cast<double>(looks.size());

    std::uint64_t hits = 0;
    proportion_interval interval;
    bool reached = false;
    const auto count = [&](const matrix_type&, const matrix_type& out) {
      for (Eigen::Index j = 0; j < out.cols(); ++j) {
        if (predicted_class(out.col(j)) == t) ++hits;
      }
    };
    const auto look = [&](std::uint64_t n) {
      interval = binomial_interval(hits, n, level, o.sampling.interval);
      reached = (interval.upper - interval.lower) / 2.0 <= o.sampling.target_half_width;
      return o.sampling.target_half_width > 0.0 && reached;
    };
    const std::uint64_t n = detail::sample_noisy_logits(
        model, x, noise, engine, classes, o.sampling.batch_size, looks, count, look, fn);

    robustness_result r;
    r.estimator = name();
    r.probability = static_cast<double>(hits) / static_cast<double>(n);
    r.complement = static_cast<double>(n - hits) / static_cast<double>(n);
    r.lower = interval.lower;
    r.upper = interval.upper;
    r.error = (interval.upper - interval.lower) / 2.0;
    r.predicted_class = t;
    r.model_evaluations = 1 + n;
    r.jacobian = jacobian_source::not_used;
    r.converged = o.sampling.target_half_width > 0.0 ? reached : true;
    r.samples = n;
    return r;
  }
};

}  // namespace probust
