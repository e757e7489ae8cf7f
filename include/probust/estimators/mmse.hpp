#pragma once
/// \file mmse.hpp
/// The MMSE robustness estimator: the Taylor formula applied to margins and margin
/// gradients averaged over noisy copies of the input (Han, Srinivas & Lakkaraju, UAI 2024,
/// arXiv 2307.13885, §4).

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <type_traits>

#include "probust/config.hpp"
#include "probust/estimators/detail/estimator_base.hpp"
#include "probust/estimators/linearization.hpp"
#include "probust/estimators/result.hpp"
#include "probust/estimators/detail/sampling_plan.hpp"
#include "probust/estimators/taylor.hpp"
#include "probust/model.hpp"
#include "probust/mvn/options.hpp"
#include "probust/random.hpp"

namespace probust {

/// Options of mmse_estimator. An aggregate; every member has its documented default.
struct mmse_options {
  /// N, the number of noisy copies x + ε_j averaged (the paper's default 10); in
  /// [1, probust::max_samples = 2⁵³].
  std::uint64_t samples = 10;
  /// Seed of the noise when no engine is passed: the draws come from
  /// probust::point_engine(seed, 0).
  std::uint64_t seed = default_seed;
  /// Accuracy, budget and seed of the MVN integration (as in taylor_options).
  mvn_options mvn{};
  /// The paper's reference settings for the final MVN step (as in taylor_options).
  bool paper_settings = false;
  /// The target class t; −1 (default) = the clean prediction argmax f(x) (ties → lowest
  /// index). The noisy copies never change t.
  int target = -1;
  /// false (default, as in the paper): N independent draws ε_j. true: N/2 independent
  /// draws and their negatives (ε, −ε), which cancels the odd-order terms of the averages
  /// (for an affine model the averages are then exactly g(x) and G, and MMSE equals
  /// Taylor); requires an even N.
  bool antithetic = false;
};

namespace detail {

/// Checks the members of the MMSE estimators' options: samples ≥ 1, even with antithetic,
/// target ≥ −1. Throws probust::invalid_argument "<function>: <member> ...".
template <class Options>
void check_smoothing_options(const Options& o, const char* function) {
  if (o.samples < 1 || o.samples > max_samples) {
    throw_invalid_argument(function,
                           "samples must be in [1, 2^53], got " + std::to_string(o.samples));
  }
  if (o.antithetic && o.samples % 2 != 0) {
    throw_invalid_argument(function, "antithetic sampling needs an even number of samples, got " +
                                         std::to_string(o.samples));
  }
  check_target_option(o.target, function);
}

}  // namespace detail

/// Checks mmse_options (the ranges documented at its members); throws
/// probust::invalid_argument "probust::mmse_estimator: <member> ..." naming the first
/// invalid one. mmse_estimator's constructor calls it.
inline void check_options(const mmse_options& o) {
  detail::check_smoothing_options(o, "probust::mmse_estimator");
  detail::validate_mvn_options(o.mvn, "probust::mmse_estimator");
}

namespace detail {

/// The MMSE averages ḡ = (1/N) Σ_j g(x + ε_j), Ḡ = (1/N) Σ_j ∇g(x + ε_j), with t fixed to
/// the clean target, and ε_j the successive draws noise.sample(engine, ·) (with
/// antithetic: ε_1, −ε_1, ε_2, −ε_2, …). logits and target refer to the clean x. samples
/// and antithetic were checked with the options (check_smoothing_options).
template <class Model, class T, class Noise, class Engine>
margin_linearization<T> smoothed_linearization(Model& model,
                                               const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                                               const Noise& noise, std::uint64_t samples,
                                               bool antithetic, int target, Engine& engine,
                                               const char* function) {
  using vector_type = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  require_input(x, function);
  noise.check_dimension(x.size(), function);
  margin_linearization<T> out;
  out.logits = evaluate_logits(model, x, Eigen::Index(-1), function);
  out.target = resolve_target(out.logits, target, function);
  const Eigen::Index classes = out.logits.size();
  const Eigen::Index d = x.size();
  out.margins = vector_type::Zero(classes - 1);
  out.gradient.setZero(classes - 1, d);
  std::uint64_t evaluations = 1;
  vector_type eps(d), noisy(d);
  for (std::uint64_t j = 0; j < samples; ++j) {
    if (antithetic && j % 2 == 1) {
      eps = -eps;
    } else {
      noise.sample(engine, eps);
    }
    noisy = x + eps;
    const vector_type f = evaluate_logits(model, noisy, classes, function);
    int fd_evaluations = 0;
    const logit_jacobian_result<T> jac = logit_jacobian(model, noisy, &fd_evaluations);
    evaluations += 1 + static_cast<std::uint64_t>(fd_evaluations);
    out.margins += margins_of(f, out.target);
    out.gradient += margin_gradient_of(jac.jacobian, classes, out.target, function);
    out.jacobian = jac.source;
  }
  out.margins /= static_cast<T>(samples);
  out.gradient /= static_cast<T>(samples);
  out.model_evaluations = evaluations;
  return out;
}

/// The base of the MMSE estimators Derived (CRTP): the margins and gradients averaged over
/// N noisy copies (smoothed_linearization with the options' samples, antithetic and
/// target; errors name Derived::function), handed to Derived's `finish(lin, noise, r)`,
/// which applies its formula and names the estimator; samples = N.
template <class Derived, class T, class Options>
class smoothed_estimator : public seeded_estimator<Derived, T, Options> {
 public:
  using seeded_estimator<Derived, T, Options>::seeded_estimator;
  using seeded_estimator<Derived, T, Options>::estimate;

  /// The estimate with the noise drawn from the caller's engine (advanced by N draws of d
  /// normals, N/2 with antithetic).
  template <class Model, class Noise, class Engine>
  robustness_result estimate(Model&& model, const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                             const Noise& noise, Engine& engine) const {
    static_assert(check_arguments<Model, Noise, T>());
    const Options& o = this->options();
    const margin_linearization<T> lin = smoothed_linearization(
        model, x, noise, o.samples, o.antithetic, o.target, engine, Derived::function);
    robustness_result r;
    static_cast<const Derived&>(*this).finish(lin, noise, r);
    r.samples = o.samples;
    return r;
  }
};

}  // namespace detail

/// The MMSE estimator: with ε_1, …, ε_N ~ N(0, Σ) and t the clean prediction,
///
///     ḡ = (1/N) Σ_j g(x + ε_j),   Ḡ = (1/N) Σ_j ∇g(x + ε_j),   p_mmse = Φ_k(ḡ; Ḡ Σ Ḡᵀ),
///
/// i.e. the Taylor estimator of the Gaussian-smoothed margins (averaged before any
/// normalization). Everything else — exact rank-deficient evaluation, deterministic rows,
/// paper settings, the error band (MVN error only; the sampling variability of ḡ, Ḡ is
/// not in it) — is as in taylor_estimator. model_evaluations = 1 + N (+ 2dN for finite
/// differences); samples = N.
///
/// Randomness: ε_j are successive draws noise.sample(engine, ·) from the caller's engine,
/// or from probust::point_engine(options.seed, 0) when none is passed — reproducible bit for bit.
template <class T = double>
class mmse_estimator : public detail::smoothed_estimator<mmse_estimator<T>, T, mmse_options> {
  friend detail::smoothed_estimator<mmse_estimator<T>, T, mmse_options>;
  static constexpr const char* function = "probust::mmse_estimator::estimate";

  /// The Taylor formula applied to ḡ, Ḡ.
  template <class Noise>
  void finish(const margin_linearization<T>& lin, const Noise& noise, robustness_result& r) const {
    const mmse_options& o = this->options();
    r.estimator = name();
    detail::taylor_from_linearization(lin, noise, o.mvn, o.paper_settings, r);
  }

 public:
  using mmse_estimator::smoothed_estimator::smoothed_estimator;

  /// "mmse", or "mmse (paper settings)": the `estimator` of its results.
  const char* name() const noexcept {
    return this->options().paper_settings ? "mmse (paper settings)" : "mmse";
  }
};

}  // namespace probust
