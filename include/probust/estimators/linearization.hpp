#pragma once
/// \file linearization.hpp
/// The target class and the logit margins of a model at a point, with their gradient:
///
///     t = argmax_i f_i(x)                      (ties → the lowest index)
///     g_i = f_t(x) − f_i(x),   i ≠ t           (k = K − 1 margins, i increasing)
///     G = ∇g (k × d),          row i = J_t − J_i
///
/// x is robust under noise ε exactly when g(x + ε) > 0 componentwise (with the tie rule:
/// a class i > t that ties with t loses, a class i < t that ties wins). The analytical
/// estimators all start from (g, G) (docs/architecture.md, "The mathematics").

#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "probust/errors.hpp"
#include "probust/model.hpp"
#include "probust/detail/validate.hpp"

namespace probust {

/// The index of the largest logit; among equal largest logits the lowest index (the
/// convention of numpy/torch argmax and of every probust estimator, Monte Carlo included).
/// Returns −1 for an empty vector.
template <class Derived>
int predicted_class(const Eigen::MatrixBase<Derived>& logits) {
  int best = logits.size() > 0 ? 0 : -1;
  for (Eigen::Index i = 1; i < logits.size(); ++i) {
    if (logits(i) > logits(best)) best = static_cast<int>(i);
  }
  return best;
}

/// Logits, target class, margins and margin gradient of a model at a point (see the file
/// comment for the definitions).
template <class T = double>
struct margin_linearization {
  Eigen::Matrix<T, Eigen::Dynamic, 1> logits;                  ///< f(x), K entries
  int target = -1;                                             ///< t
  Eigen::Matrix<T, Eigen::Dynamic, 1> margins;                 ///< g, K − 1 entries
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> gradient;   ///< G, (K − 1) × d
  jacobian_source jacobian = jacobian_source::not_used;        ///< where J came from
  std::uint64_t model_evaluations = 0;                         ///< forward passes used
};

namespace detail {

/// The class of margin row `row` when the target is t: rows skip t.
inline int margin_class(Eigen::Index row, int target) noexcept {
  return static_cast<int>(row < target ? row : row + 1);
}

/// Throws unless x is non-empty and finite.
template <class T>
void require_input(const Eigen::Matrix<T, Eigen::Dynamic, 1>& x, const char* function) {
  if (x.size() == 0) throw_invalid_argument(function, "x is empty");
  require_finite(x, function, "x");
}

/// Checks K ≥ 2 and the requested target (−1 = the predicted class) and returns t.
template <class T>
int resolve_target(const Eigen::Matrix<T, Eigen::Dynamic, 1>& logits, int target,
                   const char* function) {
  const Eigen::Index classes = logits.size();
  if (classes < 2) {
    throw_invalid_argument(function, "the model returned " + std::to_string(classes) +
                                         " logit; robustness needs at least 2 classes");
  }
  if (target < -1 || target >= classes) {
    throw_invalid_argument(function, "target class " + std::to_string(target) +
                                         " is out of range: the model has " +
                                         std::to_string(classes) +
                                         " classes (use -1 for the predicted class)");
  }
  return target == -1 ? predicted_class(logits) : target;
}

/// g_i = f_t − f_i for i ≠ t, in increasing i.
template <class T>
Eigen::Matrix<T, Eigen::Dynamic, 1> margins_of(const Eigen::Matrix<T, Eigen::Dynamic, 1>& logits,
                                               int target) {
  const Eigen::Index k = logits.size() - 1;
  Eigen::Matrix<T, Eigen::Dynamic, 1> g(k);
  for (Eigen::Index r = 0; r < k; ++r) g(r) = logits(target) - logits(margin_class(r, target));
  return g;
}

/// Rows J_t − J_i for i ≠ t, in increasing i. Throws unless J has K rows.
template <class T>
Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> margin_gradient_of(
    const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& jacobian, Eigen::Index classes,
    int target, const char* function) {
  if (jacobian.rows() != classes) {
    throw_invalid_argument(function, "the model's Jacobian has " +
                                         std::to_string(jacobian.rows()) + " rows but it returns " +
                                         std::to_string(classes) + " logits");
  }
  const Eigen::Index k = classes - 1;
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> grad(k, jacobian.cols());
  for (Eigen::Index r = 0; r < k; ++r) {
    grad.row(r) = jacobian.row(target) - jacobian.row(margin_class(r, target));
  }
  return grad;
}

/// linearize with the calling function's name in error messages, for an x the caller has
/// already checked (require_input).
template <class Model, class T>
margin_linearization<T> linearize(Model& model, const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                                  int target, const char* function) {
  margin_linearization<T> out;
  out.logits = evaluate_logits(model, x, Eigen::Index(-1), function);
  out.target = resolve_target(out.logits, target, function);
  int evaluations = 0;
  logit_jacobian_result<T> jac = logit_jacobian(model, x, &evaluations);
  out.margins = margins_of(out.logits, out.target);
  out.gradient = margin_gradient_of(jac.jacobian, out.logits.size(), out.target, function);
  out.jacobian = jac.source;
  out.model_evaluations = 1 + static_cast<std::uint64_t>(evaluations);
  return out;
}

/// G·F in double, F the noise's factor (Σ = F Fᵀ). Throws probust::invalid_argument when an
/// entry overflows the double range (a noise scale too large for the model's gradient).
template <class T, class Noise>
Eigen::MatrixXd noise_scaled_gradient(const margin_linearization<T>& lin, const Noise& noise,
                                      const char* function) {
  const Eigen::MatrixXd gf = noise.apply_factor(lin.gradient).template cast<double>();
  if (!gf.allFinite()) {
    throw_invalid_argument(function, "the noise-scaled margin gradient G·F overflows the "
                                     "double range (is the noise scale too large?)");
  }
  return gf;
}

/// Which margin constraints g_i + (G ε)_i > 0 are random and which are deterministic.
struct constraint_split {
  bool impossible = false;   ///< a deterministic constraint fails: p = 0
  std::vector<int> active;   ///< rows with a non-zero noise direction
};

/// Sorts the rows of the noise-scaled gradient GF (k × r) into random and deterministic
/// ones. A row is deterministic when it is exactly zero — the rule the MVN engine applies
/// to variances (a tiny but non-zero row is random: the engine standardizes it by its own
/// norm). Its constraint then holds for every ε if g_i > 0, never if g_i < 0, and, if
/// g_i = 0 (a tie that noise cannot break), exactly when the class i = margin_class(i, t)
/// is above t (the tie rule of predicted_class).
inline constraint_split split_constraints(const Eigen::VectorXd& g, const Eigen::MatrixXd& gf,
                                          int target) {
  constraint_split out;
  for (Eigen::Index i = 0; i < g.size(); ++i) {
    if (gf.cols() == 0 || gf.row(i).cwiseAbs().maxCoeff() == 0.0) {
      const bool holds = g(i) > 0.0 || (g(i) == 0.0 && margin_class(i, target) > target);
      if (!holds) out.impossible = true;
    } else {
      out.active.push_back(static_cast<int>(i));
    }
  }
  return out;
}

/// The rows `rows` of m.
inline Eigen::MatrixXd gather_rows(const Eigen::MatrixXd& m, const std::vector<int>& rows) {
  Eigen::MatrixXd out(static_cast<Eigen::Index>(rows.size()), m.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out.row(static_cast<Eigen::Index>(i)) = m.row(rows[i]);
  }
  return out;
}

/// The entries `rows` of v.
inline Eigen::VectorXd gather_entries(const Eigen::VectorXd& v, const std::vector<int>& rows) {
  Eigen::VectorXd out(static_cast<Eigen::Index>(rows.size()));
  for (std::size_t i = 0; i < rows.size(); ++i) out(static_cast<Eigen::Index>(i)) = v(rows[i]);
  return out;
}

/// A compile-time check that a noise model has the estimator's scalar type.
template <class Noise, class T>
constexpr bool check_noise() {
  static_assert(std::is_same<typename Noise::scalar_type, T>::value,
                "probust: the noise must have the estimator's scalar type (e.g. "
                "isotropic_gaussian<float> with taylor_estimator<float>)");
  return true;
}

}  // namespace detail

/// The logits, target class t (`target` = −1: the prediction argmax_i f_i(x), ties → lowest
/// index; else that class), margins g and margin gradient G of `model` at x. The Jacobian
/// is the model's own `jacobian(x)` or central finite differences (logit_jacobian).
/// Throws probust::invalid_argument if x is empty or non-finite, the model returns a
/// non-finite logit or fewer than 2 logits, the target is out of range, or the Jacobian
/// does not have K rows.
template <class Model, class T>
margin_linearization<T> linearize(Model&& model, const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                                  int target = -1) {
  static_assert(detail::check_model<std::remove_reference_t<Model>, T>());
  constexpr const char* fn = "probust::linearize";
  detail::require_input(x, fn);
  return detail::linearize(model, x, target, fn);
}

}  // namespace probust
