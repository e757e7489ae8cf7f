#pragma once
/// \file softmax.hpp
/// The softmax baseline: the model's softmax probability of the target class, used by
/// practitioners as a (poor) proxy for robustness.

#include <Eigen/Dense>
#include <cmath>
#include <type_traits>

#include "probust/estimators/detail/estimator_base.hpp"
#include "probust/estimators/linearization.hpp"
#include "probust/estimators/result.hpp"
#include "probust/model.hpp"

namespace probust {

/// Options of softmax_estimator.
struct softmax_options {
  /// The class whose probability is returned; −1 (default) = the prediction argmax f(x)
  /// (ties → lowest index), i.e. the max softmax probability.
  int target = -1;
};

/// Checks softmax_options (target ≥ −1); throws probust::invalid_argument
/// "probust::softmax_estimator: target ...". softmax_estimator's constructor calls it.
inline void check_options(const softmax_options& o) {
  detail::check_target_option(o.target, "probust::softmax_estimator");
}

/// The softmax probability of the target class at temperature 1,
///
///     p = exp(f_t) / Σ_j exp(f_j),   1 − p = Σ_{j≠t} exp(f_j) / Σ_j exp(f_j),
///
/// evaluated in double with the log-sum-exp shift (exponents f_j − max f ≤ 0, so no
/// overflow; 1 − p keeps its relative accuracy near p = 1). With the default target this
/// is the max softmax probability. The noise is not used except for its dimension check
/// (the baseline ignores σ). One model evaluation; lower = upper = p.
template <class T = double>
class softmax_estimator : public detail::estimator_base<T, softmax_options> {
 public:
  using detail::estimator_base<T, softmax_options>::estimator_base;

  /// "softmax": the `estimator` of its results.
  const char* name() const noexcept { return "softmax"; }

  /// The softmax probability of the target class of `model` at x.
  template <class Model, class Noise>
  robustness_result estimate(Model&& model, const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                             const Noise& noise) const {
    static_assert(detail::check_arguments<Model, Noise, T>());
    constexpr const char* fn = "probust::softmax_estimator::estimate";
    detail::require_input(x, fn);
    noise.check_dimension(x.size(), fn);
    const Eigen::Matrix<T, Eigen::Dynamic, 1> logits =
        detail::evaluate_logits(model, x, Eigen::Index(-1), fn);
    const int t = detail::resolve_target(logits, this->options().target, fn);
    const Eigen::VectorXd f = logits.template cast<double>();
    const Eigen::VectorXd e = (f.array() - f.maxCoeff()).exp().matrix();
    const double total = e.sum();
    robustness_result r;
    r.estimator = name();
    r.probability = r.lower = r.upper = e(t) / total;
    // 1 − p as the sum of the other terms (total − e(t) would cancel near p = 1).
    double others = 0.0;
    for (Eigen::Index j = 0; j < e.size(); ++j) {
      if (j != t) others += e(j);
    }
    r.complement = others / total;
    r.error = 0.0;
    r.predicted_class = t;
    r.model_evaluations = 1;
    r.jacobian = jacobian_source::not_used;
    r.converged = true;
    return r;
  }
};

}  // namespace probust
