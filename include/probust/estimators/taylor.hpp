#pragma once
/// \file taylor.hpp
/// The Taylor (linearized) robustness estimator (Han, Srinivas & Lakkaraju, "Characterizing
/// data point vulnerability as average-case robustness", UAI 2024, arXiv 2307.13885).

#include <Eigen/Dense>
#include <algorithm>
#include <type_traits>

#include "probust/estimators/detail/estimator_base.hpp"
#include "probust/estimators/linearization.hpp"
#include "probust/estimators/result.hpp"
#include "probust/model.hpp"
#include "probust/mvn/cdf.hpp"
#include "probust/mvn/options.hpp"

namespace probust {

/// Options of taylor_estimator. An aggregate; every member has its documented default.
struct taylor_options {
  /// Accuracy, budget and seed of the MVN integration (default: abs_tol 1e-4; k ≤ 3
  /// margins are computed in closed form to ~1e-14 whatever the tolerance).
  mvn_options mvn{};
  /// false (default): the exact linearized probability Φ_k(g; GΣGᵀ), rank-deficient
  /// covariances handled exactly. true: the paper's reference settings, reproducing its
  /// published numbers — the correlation matrix gets a jitter 1e-5·I and the MVN
  /// tolerances are abs_tol = rel_tol = 1e-4 (the other mvn members are kept).
  bool paper_settings = false;
  /// The target class t; −1 (default) = the prediction argmax f(x) (ties → lowest index).
  int target = -1;
};

/// Checks taylor_options (mvn as mvn_cdf checks it, target ≥ −1); throws
/// probust::invalid_argument "probust::taylor_estimator: <member> ...". taylor_estimator's
/// constructor calls it.
inline void check_options(const taylor_options& o) {
  detail::validate_mvn_options(o.mvn, "probust::taylor_estimator");
  detail::check_target_option(o.target, "probust::taylor_estimator");
}

namespace detail {

/// The jitter the paper's reference code adds to the correlation matrix R.
inline constexpr double paper_jitter = 1e-5;
/// The paper's MVN tolerances (scipy's multivariate_normal.cdf abseps = releps = 1e-4).
inline constexpr double paper_tolerance = 1e-4;

/// Fills probability, interval, complement, error and converged of `r` from an MVN result.
inline void set_probability(robustness_result& r, const mvn_result& m) {
  r.probability = m.probability;
  r.complement = m.complement;
  r.error = m.error;
  r.lower = std::clamp(m.probability - m.error, 0.0, 1.0);
  r.upper = std::clamp(m.probability + m.error, 0.0, 1.0);
  r.converged = m.converged;
}

/// Sets `r` to the exact value p (0 or 1).
inline void set_certain(robustness_result& r, double p) {
  r.probability = r.lower = r.upper = p;
  r.complement = 1.0 - p;
  r.error = 0.0;
  r.converged = true;
}

/// P(g + (GF) z > 0), z ~ N(0, I) — the linearized robustness probability, with
/// gf = G·F (Σ = F Fᵀ). Deterministic rows are settled by split_constraints first.
///   exact:  mvn_cdf_from_factor(g, GF)            = Φ_k(g; GΣGᵀ)
///   paper:  mvn_cdf(z, R + 1e-5·I), z_i = g_i/‖(GF)_i‖, R = D⁻¹GΣGᵀD⁻¹, tolerances 1e-4.
inline void linearized_probability(const Eigen::VectorXd& g, const Eigen::MatrixXd& gf,
                                   int target, const mvn_options& mvn, bool paper_settings,
                                   robustness_result& r) {
  const constraint_split split = split_constraints(g, gf, target);
  if (split.impossible) return set_certain(r, 0.0);
  if (split.active.empty()) return set_certain(r, 1.0);
  const Eigen::VectorXd ga = gather_entries(g, split.active);
  const Eigen::MatrixXd gfa = gather_rows(gf, split.active);
  if (!paper_settings) return set_probability(r, mvn_cdf_from_factor(ga, gfa, mvn));
  const Eigen::VectorXd norms = gfa.rowwise().stableNorm();
  const Eigen::VectorXd z = ga.cwiseQuotient(norms);
  const Eigen::MatrixXd unit = norms.cwiseInverse().asDiagonal() * gfa;
  Eigen::MatrixXd correlation = unit * unit.transpose();
  correlation.diagonal().array() += paper_jitter;
  mvn_options opt = mvn;
  opt.abs_tol = paper_tolerance;
  opt.rel_tol = paper_tolerance;
  set_probability(r, mvn_cdf(z, correlation, opt));
}

/// The Taylor formula applied to a linearization (the margins and gradient at x, or their
/// MMSE averages); sets the probability fields of `r`.
template <class T, class Noise>
void taylor_from_linearization(const margin_linearization<T>& lin, const Noise& noise,
                               const mvn_options& mvn, bool paper_settings,
                               robustness_result& r) {
  const Eigen::MatrixXd gf = noise_scaled_gradient(lin, noise, "probust::taylor_estimator");
  linearized_probability(lin.margins.template cast<double>(), gf, lin.target, mvn,
                         paper_settings, r);
  r.predicted_class = lin.target;
  r.model_evaluations = lin.model_evaluations;
  r.jacobian = lin.jacobian;
}

}  // namespace detail

/// The Taylor estimator: linearize the margins g at x, g(x + ε) ≈ g + Gε, and return
///
///     p_taylor = P(g + Gε > 0) = Φ_k(g; 0, G Σ Gᵀ),   k = K − 1,
///
/// the MVN CDF of N(0, GΣGᵀ) at g, computed by mvn_cdf_from_factor(g, G·F) with Σ = F Fᵀ
/// — exact (up to the MVN error) for affine models, and exact also when GΣGᵀ is singular
/// (d < K − 1, duplicated or dead rows). A margin row with zero noise direction
/// ((GF)_i = 0) is a deterministic constraint: it holds if g_i > 0, fails if g_i < 0
/// (p = 0), and for g_i = 0 follows the tie rule of predicted_class.
///
/// With `paper_settings` the paper's normalized form is used as in its reference code:
/// z_i = g_i / ‖(GF)_i‖, R = D⁻¹GΣGᵀD⁻¹ + 1e-5·I (D = diag ‖(GF)_i‖), p = Φ_k(z; R) with
/// abs/rel tolerance 1e-4. The jitter changes p by at most k·√(1e-5)/π (first-order
/// bound; O(1e-5) for well-conditioned R, O(√1e-5) for singular R).
///
/// Result: lower/upper = p ∓ the MVN error estimate, clipped to [0, 1]; complement = the
/// engine's 1 − p (accurate near 1); model_evaluations = 1 + 2d when the Jacobian is by
/// finite differences, else 1. Throws probust::invalid_argument for an empty or
/// non-finite x, a noise of another dimension, a model with non-finite logits or fewer
/// than 2 classes, or an out-of-range target.
template <class T = double>
class taylor_estimator : public detail::estimator_base<T, taylor_options> {
 public:
  using detail::estimator_base<T, taylor_options>::estimator_base;

  /// "taylor", or "taylor (paper settings)": the `estimator` of its results.
  const char* name() const noexcept {
    return this->options().paper_settings ? "taylor (paper settings)" : "taylor";
  }

  /// p_taylor for `model` at x under `noise` (see the class comment).
  template <class Model, class Noise>
  robustness_result estimate(Model&& model, const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                             const Noise& noise) const {
    static_assert(detail::check_arguments<Model, Noise, T>());
    constexpr const char* fn = "probust::taylor_estimator::estimate";
    detail::require_input(x, fn);
    noise.check_dimension(x.size(), fn);
    const taylor_options& o = this->options();
    const margin_linearization<T> lin = detail::linearize(model, x, o.target, fn);
    robustness_result r;
    r.estimator = name();
    detail::taylor_from_linearization(lin, noise, o.mvn, o.paper_settings, r);
    return r;
  }
};

}  // namespace probust
