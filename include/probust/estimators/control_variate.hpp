#pragma once
/// \file control_variate.hpp
/// Control-variate Monte Carlo: plain Monte Carlo whose noise is also fed to the linearized
/// model, whose robustness probability is known (the Taylor value), so that only the
/// disagreements between the model and its linearization carry sampling noise.

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "probust/config.hpp"
#include "probust/estimators/detail/estimator_base.hpp"
#include "probust/estimators/linearization.hpp"
#include "probust/estimators/result.hpp"
#include "probust/estimators/detail/sampling_plan.hpp"
#include "probust/estimators/taylor.hpp"
#include "probust/model.hpp"
#include "probust/mvn/options.hpp"
#include "probust/random.hpp"
#include "probust/stats.hpp"

namespace probust {

/// Options of control_variate_estimator. An aggregate; every member has its documented
/// default. The sampling members mean what they mean for monte_carlo_options.
struct control_variate_options {
  /// Samples, seed, confidence, interval, batch size and sequential stopping, as for
  /// monte_carlo_options (see sampling_options). The interval is that of the mean
  /// disagreement (see paired_difference_interval): clopper_pearson (default; exact,
  /// coverage ≥ nominal for every model) or wilson (Tango's score interval: up to ~2× fewer
  /// samples for a given width, coverage close to but not guaranteed at nominal).
  sampling_options sampling{};
  /// Accuracy of the Taylor probability p_T, the known mean of the control variate. Its
  /// error estimate is added to both ends of the interval. When target_half_width > 0 the
  /// absolute tolerance used is min(mvn.abs_tol, target_half_width / 10).
  mvn_options mvn{};
  /// The target class t; −1 (default) = the prediction argmax f(x) (ties → lowest index).
  int target = -1;
};

/// Checks control_variate_options: the sampling members as for monte_carlo_options, mvn
/// as mvn_cdf checks it; throws probust::invalid_argument
/// "probust::control_variate_estimator: <member> ..." naming the first invalid one.
/// control_variate_estimator's constructor calls it.
inline void check_options(const control_variate_options& o) {
  detail::check_sampling_options(o, "probust::control_variate_estimator");
  detail::validate_mvn_options(o.mvn, "probust::control_variate_estimator");
}

/// Control-variate Monte Carlo (docs/architecture.md, "The mathematics"; beyond the
/// paper). On the same draws
/// ε_1, …, ε_n ~ N(0, Σ) evaluate
///
///     Y_j = 1[argmax_i f_i(x + ε_j) = t]     (the model is robust: plain Monte Carlo)
///     C_j = 1[g + G ε_j > 0]                 (its linearization at x is robust)
///
/// with g, G the margins and margin gradient at x (linearization.hpp). E[C] = p_T is the
/// Taylor probability Φ_k(g; GΣGᵀ), computed by the MVN engine, so
///
///     p̂ = p_T + (1/n) Σ_j (Y_j − C_j) = p_T + (n₊ − n₋)/n
///
/// is unbiased for p (n₊ = #{Y = 1, C = 0}, n₋ = #{Y = 0, C = 1}), with variance
/// Var(Y − C)/n instead of Var(Y)/n: the fewer draws on which the model and its
/// linearization disagree — small σ, smooth models — the smaller the error (coefficient
/// β = 1, which keeps p̂ exactly unbiased and the interval exact; the β-optimal variant
/// estimates β from the same draws). The interval is p_T ± e_T + paired_difference_interval
/// (n₊, n₋, n) with the bounds q₊ ≤ 1 − p_T + e_T, q₋ ≤ p_T + e_T (e_T the MVN error
/// estimate), clipped to [0, 1]: near p_T = 1 it is as narrow as the plain Monte-Carlo
/// interval; elsewhere it narrows as disagreements get rarer, by less than
/// √variance_reduction (exactness costs width: the box and its Bonferroni split), while
/// the score interval (interval_method::wilson) narrows by about √variance_reduction.
/// p̂ is clamped to the interval (it leaves [0, 1] or the interval only when the draws
/// with C = 0 are more frequent than the bound allows; clamping then moves it towards p).
/// Reference: A. B. Owen, Monte Carlo theory, methods and examples (2013), §8.9 (control
/// variates).
///
/// The draws, the batching and the sequential stopping rule are those of
/// monte_carlo_estimator: with the same seed both see the same noise, and Y is the same
/// indicator. Result: complement = (1 − p_T) − (n₊ − n₋)/n clipped (keeps the Taylor
/// complement's relative accuracy when there is no disagreement); error = (upper − lower)/2;
/// variance_reduction = Var̂(Y)/Var̂(Y − C); model_evaluations = those of the
/// linearization (1, or 1 + 2d with finite differences) + n; samples = n; converged =
/// false when the target half-width was not reached or p_T's integration did not
/// converge. Throws what monte_carlo_estimator and taylor_estimator throw (invalid
/// options: at construction, check_options).
template <class T = double>
class control_variate_estimator
    : public detail::seeded_estimator<control_variate_estimator<T>, T, control_variate_options> {
  using base = detail::seeded_estimator<control_variate_estimator<T>, T, control_variate_options>;

 public:
  using matrix_type = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using base::base;
  using base::estimate;

  /// "control_variate": the `estimator` of its results.
  const char* name() const noexcept { return "control_variate"; }

  /// p̂ with the noise drawn from the caller's engine (advanced by n·d normals).
  template <class Model, class Noise, class Engine>
  robustness_result estimate(Model&& model, const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                             const Noise& noise, Engine& engine) const {
    static_assert(detail::check_arguments<Model, Noise, T>());
    constexpr const char* fn = "probust::control_variate_estimator::estimate";
    const control_variate_options& o = this->options();  // checked at construction
    detail::require_input(x, fn);
    noise.check_dimension(x.size(), fn);
    const margin_linearization<T> lin = detail::linearize(model, x, o.target, fn);
    const int t = lin.target;

    // p_T = E[C], accurate well below the interval width.
    mvn_options mvn = o.mvn;
    if (o.sampling.target_half_width > 0.0) {
      mvn.abs_tol = std::min(mvn.abs_tol, o.sampling.target_half_width / 10.0);
    }
    robustness_result taylor;
    detail::taylor_from_linearization(lin, noise, mvn, false, taylor);

    const std::vector<std::uint64_t> looks = detail::sequential_looks(
        o.sampling.batch_size, o.sampling.samples, o.sampling.target_half_width > 0.0);
    const double alpha = 1.0 - o.sampling.confidence;
    const double level = 1.0 - alpha / static_cast<double>(looks.size());

    // q₊ = P(Y = 1, C = 0) ≤ P(C = 0) = 1 − p_T and q₋ = P(Y = 0, C = 1) ≤ p_T.
    const double gained_bound = std::min(1.0, taylor.complement + taylor.error);
    const double lost_bound = std::min(1.0, taylor.probability + taylor.error);
    const Eigen::VectorXd g = lin.margins.template cast<double>();
    const Eigen::MatrixXd grad = lin.gradient.template cast<double>();
    Eigen::MatrixXd linear;  // g + G ε for one batch, (K − 1) × m
    std::uint64_t hits = 0, gained = 0, lost = 0;
    difference_interval delta;
    double lower = 0.0, upper = 1.0;
    bool reached = false;
    const auto count = [&](const matrix_type& eps, const matrix_type& out) {
      linear.noalias() = grad * eps.template cast<double>();
      linear.colwise() += g;
      for (Eigen::Index j = 0; j < out.cols(); ++j) {
        const bool y = predicted_class(out.col(j)) == t;
        const bool c = linearization_robust(linear.col(j), t);
        hits += y;
        gained += y && !c;
        lost += c && !y;
      }
    };
    const auto look = [&](std::uint64_t n) {
      delta = paired_difference_interval(gained, lost, n, level, o.sampling.interval, gained_bound,
                                         lost_bound);
      lower = std::clamp(taylor.probability - taylor.error + delta.lower, 0.0, 1.0);
      upper = std::clamp(taylor.probability + taylor.error + delta.upper, 0.0, 1.0);
      reached = (upper - lower) / 2.0 <= o.sampling.target_half_width;
      return o.sampling.target_half_width > 0.0 && reached;
    };
    const std::uint64_t n = detail::sample_noisy_logits(
        model, x, noise, engine, lin.logits.size(), o.sampling.batch_size, looks, count, look, fn);

    const double nn = static_cast<double>(n);
    const double mean_difference = (static_cast<double>(gained) - static_cast<double>(lost)) / nn;
    robustness_result r;
    r.estimator = name();
    r.probability = std::clamp(taylor.probability + mean_difference, lower, upper);
    r.complement = std::clamp(taylor.complement - mean_difference, 1.0 - upper, 1.0 - lower);
    r.lower = lower;
    r.upper = upper;
    r.error = (upper - lower) / 2.0;
    r.predicted_class = t;
    r.model_evaluations = lin.model_evaluations + n;
    r.jacobian = lin.jacobian;
    r.converged = taylor.converged && (o.sampling.target_half_width > 0.0 ? reached : true);
    r.samples = n;
    r.variance_reduction = variance_ratio(hits, gained, lost, n);
    return r;
  }

 private:
  /// C = 1[g + Gε > 0] for one draw, with predicted_class's tie rule: a margin exactly 0
  /// counts as robust when its class is above t (the lower index wins a tie).
  static bool linearization_robust(const Eigen::Ref<const Eigen::VectorXd>& margins, int t) {
    for (Eigen::Index i = 0; i < margins.size(); ++i) {
      const double m = margins(i);
      if (m < 0.0 || (m == 0.0 && detail::margin_class(i, t) < t)) return false;
    }
    return true;
  }

  /// Var̂(Y)/Var̂(Y − C) with plug-in variances: ȳ(1 − ȳ) and (n₊ + n₋)/n − ((n₊ − n₋)/n)².
  static double variance_ratio(std::uint64_t hits, std::uint64_t gained, std::uint64_t lost,
                               std::uint64_t n) {
    const double nn = static_cast<double>(n);
    const double y = static_cast<double>(hits) / nn;
    const double var_y = y * (1.0 - y);
    const double d = (static_cast<double>(gained) - static_cast<double>(lost)) / nn;
    const double var_d = static_cast<double>(gained + lost) / nn - d * d;
    if (var_d > 0.0) return var_y / var_d;
    return var_y > 0.0 ? std::numeric_limits<double>::infinity() : 1.0;
  }
};

}  // namespace probust
