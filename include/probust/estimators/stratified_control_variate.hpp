#pragma once
/// \file stratified_control_variate.hpp
/// Monte Carlo stratified on the linearized margin: the noise space is cut into strata of
/// s(ε) = min_i (g_i + (Gε)_i) / ‖(GF)_i‖ whose probabilities the MVN engine knows, each
/// stratum is sampled exactly, and the draws go where the model and its linearization
/// disagree (Neyman allocation after a pilot).

#include <Eigen/Dense>
#include <boost/math/distributions/normal.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "probust/config.hpp"
#include "probust/estimators/detail/margin_strata.hpp"
#include "probust/estimators/estimator_base.hpp"
#include "probust/estimators/linearization.hpp"
#include "probust/estimators/result.hpp"
#include "probust/estimators/sampling_plan.hpp"
#include "probust/model.hpp"
#include "probust/mvn/options.hpp"
#include "probust/random.hpp"
#include "probust/stats.hpp"
#include "probust/stratified_interval.hpp"

namespace probust {

/// Options of stratified_control_variate_estimator. An aggregate; every member has its
/// documented default. samples, seed, confidence, batch_size, target_half_width and
/// target mean what they mean for monte_carlo_options.
struct stratified_control_variate_options {
  /// n, the number of stratified draws after the pilot; the maximum when
  /// target_half_width > 0. In [1, probust::max_samples = 2⁵³].
  std::uint64_t samples = 10'000;
  /// Seed of the noise when no engine is passed: draws from probust::stream(seed, 0).
  std::uint64_t seed = default_seed;
  /// Coverage 1 − α of the reported interval, in [1e-12, 1 − 1e-12].
  double confidence = 0.95;
  /// clopper_pearson (default): the exact interval weighted_binomial_interval (coverage
  /// ≥ nominal for every model); wilson: its normal variant (close to nominal).
  interval_method interval = interval_method::clopper_pearson;
  /// Draws per batched forward pass. ≥ 1.
  std::uint64_t batch_size = 256;
  /// 0: `samples` stratified draws. > 0: stop as soon as the half-width is ≤ this value,
  /// looking at n = b, 2b, 4b, … and n = samples, each look at level 1 − α/L. Finite, ≥ 0.
  double target_half_width = 0.0;
  /// Pilot draws per stratum, used only to choose the allocation (not in the estimate).
  /// ≥ 1.
  std::uint64_t pilot = 24;
  /// Accuracy of the stratum probabilities (their error bound widens the interval). When
  /// target_half_width > 0 the absolute tolerance used is min(mvn.abs_tol,
  /// target_half_width / 400): up to 9 boundaries, each error counted up to twice.
  mvn_options mvn{};
  /// The target class t; −1 (default) = the prediction argmax f(x) (ties → lowest index).
  int target = -1;
};

/// Checks stratified_control_variate_options (as control_variate_options, and pilot ≥ 1);
/// throws probust::invalid_argument "probust::stratified_control_variate_estimator: ...".
inline void check_options(const stratified_control_variate_options& o) {
  constexpr const char* fn = "probust::stratified_control_variate_estimator";
  detail::check_sampling_options(o, fn);
  detail::validate_mvn_options(o.mvn, fn);
  if (o.pilot < 1) detail::throw_invalid_argument(fn, "pilot must be at least 1, got 0");
}

/// Stratified Monte Carlo on the linearized margin. With z ~ N(0, I_r) (ε = F z) and
/// s(z) = min_i (g_i + (GF z)_i)/‖(GF)_i‖ over the non-deterministic margin rows, the
/// strata are the intervals of s between the boundaries
///
///     b ∈ {−1, −0.3, −0.1, −0.03, 0, 0.03, 0.1, 0.3, 1}      (units of the margin's s.d.),
///
/// thinned so that the top stratum has probability ≥ 0.05 and none < 0.005
/// (make_margin_strata). Their probabilities w_j = P(b_j < s ≤ b_{j+1}) are differences
/// of MVN orthant probabilities. Then
///
///     p = Σ_j w_j μ_j,   μ_j = P(argmax f(x + ε) = t | stratum j),
///
/// estimated by p̂ = Σ_j w_j h_j / n_j from n_j exact conditional draws per stratum
/// (sample_stratum). Since 0 is a boundary, the linearization's indicator C = 1[s > 0] is
/// constant on each stratum: the per-stratum control variate is built in, and draws on
/// which model and linearization disagree concentrate in the thin strata around s = 0.
/// Allocation: `pilot` draws per stratum (discarded afterwards, so the allocation is
/// fixed before the counted draws and the counts stay binomial), then
/// n_j = max(1, ⌊π_j n⌋) with π_j ∝ 0.8 w_j σ̃_j / Σ w σ̃ + 0.2 w_j (Neyman allocation,
/// σ̃_j² = μ̃_j(1 − μ̃_j), μ̃_j = (h_j + ½)/(n_j + 1) from the pilot, mixed with the
/// proportional allocation as a safeguard for strata the pilot saw no disagreement in).
/// Reference: W. G. Cochran, Sampling Techniques, 3rd ed. (1977), §5.5 (optimum
/// allocation).
///
/// The interval is that of the disagreements (draws lost above s = 0, gained below; see
/// disagreement_interval), by weighted_binomial_interval (exact by default: coverage
/// ≥ 1 − α for every model, including disagreements outside the thin strata), widened by
/// the error bound of the weights, at level 1 − α/L with L sequential looks as for
/// monte_carlo_estimator. Unbiased for every model (the strata are sampled exactly).
///
/// Result: error = (upper − lower)/2; complement = 1 − p̂ (within the interval);
/// variance_reduction = p̂(1 − p̂) / (N · Σ_j w_j² μ̂_j(1 − μ̂_j)/n_j) with N the counted
/// draws (the plug-in variance ratio against plain Monte Carlo with N draws);
/// model_evaluations = those of the linearization + pilot + counted draws; samples = the
/// draws (pilot included); converged = false when the target half-width was not reached.
template <class T = double>
class stratified_control_variate_estimator
    : public detail::seeded_estimator<stratified_control_variate_estimator<T>, T,
                                      stratified_control_variate_options> {
  using base = detail::seeded_estimator<stratified_control_variate_estimator<T>, T,
                                        stratified_control_variate_options>;

 public:
  using matrix_type = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using base::base;
  using base::estimate;

  /// "stratified_control_variate": the `estimator` of its results.
  const char* name() const noexcept { return "stratified_control_variate"; }

  /// p̂ with the noise drawn from the caller's engine.
  template <class Model, class Noise, class Engine>
  robustness_result estimate(Model&& model, const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                             const Noise& noise, Engine& engine) const {
    static_assert(detail::check_arguments<Model, Noise, T>());
    constexpr const char* fn = "probust::stratified_control_variate_estimator::estimate";
    const stratified_control_variate_options& o = this->options();
    detail::require_input(x, fn);
    noise.check_dimension(x.size(), fn);
    const margin_linearization<T> lin = detail::linearize(model, x, o.target, fn);
    const int t = lin.target;
    const Eigen::Index d = x.size();

    // The factor F (d × r) and the strata of s.
    const Eigen::MatrixXd factor =
        noise.apply_factor(Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>::Identity(d, d))
            .template cast<double>();
    const Eigen::MatrixXd gf = detail::noise_scaled_gradient(lin, noise, fn);
    const Eigen::VectorXd g = lin.margins.template cast<double>();
    const detail::constraint_split split = detail::split_constraints(g, gf, t);
    mvn_options mvn = o.mvn;
    if (o.target_half_width > 0.0) {
      mvn.abs_tol = std::min(mvn.abs_tol, o.target_half_width / 400.0);
    }
    const detail::margin_strata strata = detail::make_margin_strata(
        g, gf, split.active, split.impossible, {-1.0, -0.3, -0.1, -0.03, 0.0, 0.03, 0.1, 0.3, 1.0},
        0.05, 0.005, mvn);
    const std::size_t count = strata.size();

    // Draws `todo[j]` conditional samples per stratum, evaluates them in batches and adds
    // the robust ones to hits[j].
    const auto run = [&](const std::vector<std::uint64_t>& todo, std::vector<std::uint64_t>& hits) {
      std::uint64_t total = 0;
      for (const std::uint64_t m : todo) total += m;
      const std::uint64_t batch = std::max<std::uint64_t>(1, std::min(o.batch_size, total));
      Eigen::MatrixXd z(factor.cols(), static_cast<Eigen::Index>(batch));
      std::vector<std::size_t> label(batch);
      std::size_t j = 0;
      std::uint64_t left = todo.empty() ? 0 : todo[0];
      while (total > 0) {
        const std::uint64_t m = std::min(batch, total);
        for (std::uint64_t c = 0; c < m; ++c) {
          while (left == 0) left = todo[++j];
          detail::sample_stratum(strata, j, engine, z.col(static_cast<Eigen::Index>(c)));
          label[c] = j;
          --left;
        }
        matrix_type inputs =
            (factor * z.leftCols(static_cast<Eigen::Index>(m))).template cast<T>();
        inputs.colwise() += x;
        const matrix_type out = forward_batch(model, inputs);
        if (out.rows() != lin.logits.size()) {
          detail::throw_invalid_argument(fn, "the model returned a different number of logits "
                                             "for a noisy input than at x");
        }
        for (Eigen::Index c = 0; c < out.cols(); ++c) {
          if (predicted_class(out.col(c)) == t) ++hits[label[static_cast<std::size_t>(c)]];
        }
        total -= m;
      }
    };

    // Pilot and allocation.
    std::vector<std::uint64_t> pilot_hits(count, 0), pilot_todo(count, o.pilot);
    if (count > 1) run(pilot_todo, pilot_hits);
    const std::uint64_t pilot_draws = count > 1 ? count * o.pilot : 0;
    // Disagreement rate per stratum from the pilot, smoothed over its neighbours (half
    // weight each; disagreement varies smoothly with s) and with half a prior draw of no
    // disagreement: ρ̃_j = (d_j + ½(d_{j−1} + d_{j+1})) / (m_j + ½(m_{j−1} + m_{j+1}) + ½)
    // with d the pilot's disagreements (Y ≠ C; across s = 0, min(hits, misses)), m its draws.
    std::vector<double> disagree(count), share(count);
    for (std::size_t j = 0; j < count; ++j) {
      const double h = static_cast<double>(pilot_hits[j]), m = static_cast<double>(o.pilot);
      disagree[j] = strata.lower(j) >= 0.0 ? m - h
                                           : (strata.upper(j) <= 0.0 ? h : std::min(h, m - h));
    }
    double spread = 0.0;
    for (std::size_t j = 0; j < count; ++j) {
      const double pilot = count > 1 ? static_cast<double>(o.pilot) : 0.0;
      double seen = disagree[j], draws = pilot;
      for (const std::size_t i : {j - 1, j + 1}) {  // j − 1 wraps around for j = 0
        if (i < count) seen += 0.5 * disagree[i], draws += 0.5 * pilot;
      }
      const double rho = seen / (draws + 0.5);
      share[j] = strata.weights[j] * std::sqrt(rho * (1.0 - rho));
      spread += share[j];
    }
    // Sequential looks over the counted draws.
    const std::vector<std::uint64_t> looks =
        detail::sequential_looks(o.batch_size, o.samples, o.target_half_width > 0.0);
    const double alpha_look = (1.0 - o.confidence) / static_cast<double>(looks.size());
    const double level = 1.0 - alpha_look;

    // Mix of Neyman and proportional allocation. With a target half-width w the mix is
    // set by the draws each part needs for half of w: the Neyman part
    // N₁ = z² (Σ w_j σ̃_j)² / (w/2)² (z = Φ⁻¹(1 − α/(2L))), the proportional part — which
    // bounds the strata where the pilot saw no disagreement, at ≈ ln(2L/α) max_j w_j/n_j —
    // N₂ = ln(2L/α) / (w/2); otherwise 70% Neyman.
    double neyman = 0.7;
    if (o.target_half_width > 0.0) {
      const double z = boost::math::quantile(boost::math::complement(
          boost::math::normal_distribution<double>(), alpha_look / 2.0));
      const double half = o.target_half_width / 2.0;
      const double n1 = z * z * spread * spread / (half * half);
      const double n2 = std::log(2.0 / alpha_look) / half;
      neyman = n1 / (n1 + n2);
    }
    for (std::size_t j = 0; j < count; ++j) {
      share[j] = spread > 0.0 ? neyman * share[j] / spread + (1.0 - neyman) * strata.weights[j]
                              : strata.weights[j];
    }
    std::vector<std::uint64_t> hits(count, 0), drawn(count, 0), todo(count);
    double lower = 0.0, upper = 1.0;
    bool reached = false;
    for (const std::uint64_t n : looks) {
      for (std::size_t j = 0; j < count; ++j) {
        const auto wanted = std::max<std::uint64_t>(
            1, static_cast<std::uint64_t>(std::floor(share[j] * static_cast<double>(n))));
        todo[j] = wanted > drawn[j] ? wanted - drawn[j] : 0;
        drawn[j] += todo[j];
      }
      run(todo, hits);
      const proportion_interval interval = disagreement_interval(strata, hits, drawn, level,
                                                                 o.interval);
      lower = std::clamp(interval.lower - strata.weight_error, 0.0, 1.0);
      upper = std::clamp(interval.upper + strata.weight_error, 0.0, 1.0);
      reached = (upper - lower) / 2.0 <= o.target_half_width;
      if (o.target_half_width > 0.0 && reached) break;
    }

    double estimate = 0.0, variance = 0.0;
    std::uint64_t counted = 0;
    for (std::size_t j = 0; j < count; ++j) {
      const double nj = static_cast<double>(drawn[j]);
      const double mu = static_cast<double>(hits[j]) / nj;
      estimate += strata.weights[j] * mu;
      variance += strata.weights[j] * strata.weights[j] * mu * (1.0 - mu) / nj;
      counted += drawn[j];
    }
    robustness_result r;
    r.estimator = name();
    r.probability = std::clamp(estimate, lower, upper);
    r.complement = std::clamp(1.0 - estimate, 1.0 - upper, 1.0 - lower);
    r.lower = lower;
    r.upper = upper;
    r.error = (upper - lower) / 2.0;
    r.predicted_class = t;
    r.model_evaluations = lin.model_evaluations + pilot_draws + counted;
    r.jacobian = lin.jacobian;
    r.converged = o.target_half_width > 0.0 ? reached : true;
    r.samples = pilot_draws + counted;
    const double plain = estimate * (1.0 - estimate);
    r.variance_reduction = variance > 0.0 ? plain / (static_cast<double>(counted) * variance)
                                          : (plain > 0.0 ? std::numeric_limits<double>::infinity()
                                                         : 1.0);
    return r;
  }

 private:
  /// The interval of p = W₊ − Σ_{j ∈ A} w_j (1 − μ_j) + Σ_{j ∉ A} w_j μ_j, A the strata
  /// above s = 0 (where the linearization is robust) and W₊ their weight: the draws lost
  /// in A and gained elsewhere — the disagreements — get a weighted_binomial_interval
  /// each, at level 1 − α/2 (Bonferroni over the two). Kept apart, each interval only
  /// has to allow for strata of one direction, and a stratum without disagreement costs
  /// no more than in a pooled sample.
  static proportion_interval disagreement_interval(const detail::margin_strata& strata,
                                                   const std::vector<std::uint64_t>& hits,
                                                   const std::vector<std::uint64_t>& drawn,
                                                   double level, interval_method method) {
    const std::size_t count = strata.size();
    std::vector<double> lost_weight(count, 0.0), gained_weight(count, 0.0);
    std::vector<std::uint64_t> misses(count);
    double robust_weight = 0.0;
    for (std::size_t j = 0; j < count; ++j) {
      misses[j] = drawn[j] - hits[j];
      if (strata.lower(j) >= 0.0) {
        lost_weight[j] = strata.weights[j];
        robust_weight += strata.weights[j];
      } else {
        gained_weight[j] = strata.weights[j];
      }
    }
    const double half = 1.0 - (1.0 - level) / 2.0;
    const proportion_interval lost =
        weighted_binomial_interval(misses, drawn, lost_weight, half, method);
    const proportion_interval gained =
        weighted_binomial_interval(hits, drawn, gained_weight, half, method);
    return {robust_weight - lost.upper + gained.lower, robust_weight - lost.lower + gained.upper};
  }
};

}  // namespace probust
