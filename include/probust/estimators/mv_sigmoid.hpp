#pragma once
/// \file mv_sigmoid.hpp
/// The mv-sigmoid variants of the Taylor and MMSE estimators (Han, Srinivas & Lakkaraju,
/// UAI 2024, arXiv 2307.13885): the MVN CDF replaced by the multivariate sigmoid
/// 1 / (1 + Σ_i exp(−z_i)). Cheap and biased; provided for comparison with the paper.

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "probust/config.hpp"
#include "probust/detail/math.hpp"
#include "probust/estimators/detail/estimator_base.hpp"
#include "probust/estimators/linearization.hpp"
#include "probust/estimators/mmse.hpp"
#include "probust/estimators/result.hpp"
#include "probust/model.hpp"
#include "probust/random.hpp"

namespace probust {

/// Options of taylor_mv_sigmoid_estimator.
struct taylor_mv_sigmoid_options {
  /// The target class t; −1 (default) = the prediction argmax f(x) (ties → lowest index).
  int target = -1;
};

/// Checks taylor_mv_sigmoid_options (target ≥ −1); throws probust::invalid_argument
/// "probust::taylor_mv_sigmoid_estimator: target ..."; called by its constructor.
inline void check_options(const taylor_mv_sigmoid_options& o) {
  detail::check_target_option(o.target, "probust::taylor_mv_sigmoid_estimator");
}

/// Options of mmse_mv_sigmoid_estimator; the members mean what they mean in mmse_options.
struct mmse_mv_sigmoid_options {
  std::uint64_t samples = 10;          ///< N noisy copies (paper default 10), in [1, 2⁵³]
  std::uint64_t seed = default_seed;   ///< noise from probust::stream(seed, 0)
  int target = -1;                     ///< −1 = the clean prediction
  bool antithetic = false;             ///< pairs ε, −ε (even N)
};

/// Checks mmse_mv_sigmoid_options as mmse_options are checked; throws
/// probust::invalid_argument "probust::mmse_mv_sigmoid_estimator: <member> ..."; called by
/// its constructor.
inline void check_options(const mmse_mv_sigmoid_options& o) {
  detail::check_smoothing_options(o, "probust::mmse_mv_sigmoid_estimator");
}

namespace detail {

/// p = 1/(1 + Σ_i exp(−z_i)), z_i = g_i/‖(GF)_i‖ over the rows with a noise direction;
/// deterministic rows as in split_constraints (holding: z = +∞, term 0; failing: p = 0).
/// With s = Σ exp(−z_i) = e^ℓ (ℓ by log-sum-exp): p = logistic(−ℓ), 1 − p = logistic(ℓ).
inline void mv_sigmoid_probability(const Eigen::VectorXd& g, const Eigen::MatrixXd& gf,
                                   int target, robustness_result& r) {
  const constraint_split split = split_constraints(g, gf, target);
  if (split.impossible) return set_certain(r, 0.0);
  if (split.active.empty()) return set_certain(r, 1.0);
  const Eigen::Index n = static_cast<Eigen::Index>(split.active.size());
  Eigen::VectorXd minus_z(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const int row = split.active[static_cast<std::size_t>(i)];
    minus_z(i) = -g(row) / gf.row(row).stableNorm();  // no overflow at any scale
  }
  const double top = minus_z.maxCoeff();
  const double log_s = top + std::log((minus_z.array() - top).exp().sum());
  r.probability = r.lower = r.upper = logistic(-log_s);
  r.complement = logistic(log_s);
  r.error = 0.0;
  r.converged = true;
}

/// The mv-sigmoid formula applied to a linearization (the margins and gradient at x, or
/// their MMSE averages); sets the probability fields of `r`.
template <class T, class Noise>
void mv_sigmoid_from_linearization(const margin_linearization<T>& lin, const Noise& noise,
                                   robustness_result& r) {
  mv_sigmoid_probability(lin.margins.template cast<double>(),
                         noise_scaled_gradient(lin, noise, "probust::mv_sigmoid_estimator"),
                         lin.target, r);
  r.predicted_class = lin.target;
  r.model_evaluations = lin.model_evaluations;
  r.jacobian = lin.jacobian;
}

}  // namespace detail

/// Taylor-mvs: with the Taylor margins g and gradient G at x and Σ = F Fᵀ,
///
///     z_i = g_i / ‖(G F)_i‖  (= g_i / (σ‖∇g_i‖) for isotropic noise),
///     p ≈ 1 / (1 + Σ_i exp(−z_i)).
///
/// A row with (GF)_i = 0 has z_i = +∞ (no contribution) if its deterministic constraint
/// holds (g_i > 0, or g_i = 0 with the tie won by t), else −∞ and p = 0. The formula is
/// evaluated to rounding accuracy (lower = upper = p, error 0); its bias relative to the
/// true p is not quantified. Throws as taylor_estimator does.
template <class T = double>
class taylor_mv_sigmoid_estimator : public detail::estimator_base<T, taylor_mv_sigmoid_options> {
 public:
  using detail::estimator_base<T, taylor_mv_sigmoid_options>::estimator_base;

  /// "taylor_mv_sigmoid": the `estimator` of its results.
  const char* name() const noexcept { return "taylor_mv_sigmoid"; }

  /// The Taylor-mvs value for `model` at x under `noise`.
  template <class Model, class Noise>
  robustness_result estimate(Model&& model, const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                             const Noise& noise) const {
    static_assert(detail::check_arguments<Model, Noise, T>());
    constexpr const char* fn = "probust::taylor_mv_sigmoid_estimator::estimate";
    detail::require_input(x, fn);
    noise.check_dimension(x.size(), fn);
    const margin_linearization<T> lin = detail::linearize(model, x, this->options().target, fn);
    robustness_result r;
    r.estimator = name();
    detail::mv_sigmoid_from_linearization(lin, noise, r);
    return r;
  }
};

/// MMSE-mvs: the mv-sigmoid formula of taylor_mv_sigmoid_estimator applied to the MMSE
/// averages ḡ, Ḡ over N noisy copies (see mmse_estimator for the sampling, the engine
/// overload and the counts).
template <class T = double>
class mmse_mv_sigmoid_estimator
    : public detail::smoothed_estimator<mmse_mv_sigmoid_estimator<T>, T, mmse_mv_sigmoid_options> {
  friend detail::smoothed_estimator<mmse_mv_sigmoid_estimator<T>, T, mmse_mv_sigmoid_options>;
  static constexpr const char* function = "probust::mmse_mv_sigmoid_estimator::estimate";

  /// The mv-sigmoid formula applied to ḡ, Ḡ.
  template <class Noise>
  void finish(const margin_linearization<T>& lin, const Noise& noise, robustness_result& r) const {
    r.estimator = name();
    detail::mv_sigmoid_from_linearization(lin, noise, r);
  }

 public:
  using mmse_mv_sigmoid_estimator::smoothed_estimator::smoothed_estimator;

  /// "mmse_mv_sigmoid": the `estimator` of its results.
  const char* name() const noexcept { return "mmse_mv_sigmoid"; }
};

}  // namespace probust
