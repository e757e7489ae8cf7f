#pragma once
/// \file model.hpp
/// The model interface: what a classifier must provide, compile-time detection of its
/// optional members, the lambda-pair adaptor, the logit Jacobian (user-supplied or central
/// finite differences) and the batched forward pass.
///
/// A *model* of scalar type T is any object `m` such that
///
///     Eigen::Matrix<T, Eigen::Dynamic, 1> logits = m(x);      // x: const Eigen::Matrix<T,-1,1>&
///
/// compiles, returning the K logits of the d-dimensional input x. Optional members, used
/// when present because they are faster or more accurate:
///
///     Eigen::Matrix<T, -1, -1> J = m.jacobian(x);       // K × d, J(i, j) = ∂f_i / ∂x_j
///     Eigen::Matrix<T, -1, -1> F = m.forward_batch(X);  // X: d × n inputs as columns → K × n
///
/// The members are called on `Model&` as passed to the functions below (pass a const
/// model to require const member functions). Any Eigen expression of scalar T may be
/// returned; it is evaluated immediately.

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include "probust/config.hpp"
#include "probust/detail/validate.hpp"
#include "probust/errors.hpp"
#include "probust/jacobian_source.hpp"

namespace probust {
namespace detail {

/// True unless R is a type with a nested `Scalar` (an Eigen type) different from T:
/// Eigen declares conversions between scalar types that fail only when instantiated, so
/// convertibility alone would accept a model of the wrong scalar type.
template <class R, class T, class = void>
struct scalar_matches : std::true_type {};

template <class R, class T>
struct scalar_matches<R, T, std::void_t<typename std::decay_t<R>::Scalar>>
    : std::is_same<typename std::decay_t<R>::Scalar, T> {};

/// True if a value of type R can initialize a `Target` (an Eigen matrix type) without a
/// change of scalar type.
template <class R, class Target>
struct returns_eigen
    : std::conjunction<std::is_convertible<R, Target>,
                       scalar_matches<R, typename Target::Scalar>> {};

template <class M, class T, class = void>
struct is_model_impl : std::false_type {};

template <class M, class T>
struct is_model_impl<M, T,
                     std::void_t<decltype(std::declval<M&>()(
                         std::declval<const Eigen::Matrix<T, Eigen::Dynamic, 1>&>()))>>
    : returns_eigen<decltype(std::declval<M&>()(
                        std::declval<const Eigen::Matrix<T, Eigen::Dynamic, 1>&>())),
                    Eigen::Matrix<T, Eigen::Dynamic, 1>> {};

template <class M, class T, class = void>
struct has_jacobian_impl : std::false_type {};

template <class M, class T>
struct has_jacobian_impl<M, T,
                         std::void_t<decltype(std::declval<M&>().jacobian(
                             std::declval<const Eigen::Matrix<T, Eigen::Dynamic, 1>&>()))>>
    : returns_eigen<decltype(std::declval<M&>().jacobian(
                        std::declval<const Eigen::Matrix<T, Eigen::Dynamic, 1>&>())),
                    Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>> {};

template <class M, class T, class = void>
struct has_forward_batch_impl : std::false_type {};

template <class M, class T>
struct has_forward_batch_impl<
    M, T,
    std::void_t<decltype(std::declval<M&>().forward_batch(
        std::declval<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>&>()))>>
    : returns_eigen<decltype(std::declval<M&>().forward_batch(
                        std::declval<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>&>())),
                    Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>> {};

}  // namespace detail

/// `is_model<M, T>::value` is true if `M&` is callable as `m(x)` with x a
/// `const Eigen::Matrix<T, Eigen::Dynamic, 1>&`, returning something that initializes an
/// `Eigen::Matrix<T, Eigen::Dynamic, 1>` (the logits) with the same scalar type T.
/// References are ignored; const-qualify M to require a const call operator.
template <class M, class T = double>
struct is_model : detail::is_model_impl<std::remove_reference_t<M>, T> {};

/// `is_model<M, T>::value`.
template <class M, class T = double>
inline constexpr bool is_model_v = is_model<M, T>::value;

/// `has_jacobian<M, T>::value` is true if `m.jacobian(x)` returns the K × d logit Jacobian
/// as something that initializes an `Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>`.
template <class M, class T = double>
struct has_jacobian : detail::has_jacobian_impl<std::remove_reference_t<M>, T> {};

/// `has_jacobian<M, T>::value`.
template <class M, class T = double>
inline constexpr bool has_jacobian_v = has_jacobian<M, T>::value;

/// `has_forward_batch<M, T>::value` is true if `m.forward_batch(X)`, with X a
/// `const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>&` holding n inputs as columns
/// (d × n), returns the K × n logits as something that initializes an
/// `Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>`.
template <class M, class T = double>
struct has_forward_batch : detail::has_forward_batch_impl<std::remove_reference_t<M>, T> {};

/// `has_forward_batch<M, T>::value`.
template <class M, class T = double>
inline constexpr bool has_forward_batch_v = has_forward_batch<M, T>::value;

#if PROBUST_HAS_CONCEPTS
namespace detail {
/// Satisfied by a logit vector (or Eigen expression) of scalar T.
template <class R, class T>
concept logits_of = returns_eigen<R, Eigen::Matrix<T, Eigen::Dynamic, 1>>::value;
}  // namespace detail

/// C++20 twin of is_model: `M&` callable as `m(x)` with x a
/// `const Eigen::Matrix<T, Eigen::Dynamic, 1>&`, returning the logits with scalar T.
template <class M, class T = double>
concept model_of = requires(std::remove_reference_t<M>& m,
                            const Eigen::Matrix<T, Eigen::Dynamic, 1>& x) {
  { m(x) } -> detail::logits_of<T>;
};
#endif

namespace detail {

/// Compile-time check used by every function taking a model: a readable static_assert
/// instead of a template backtrace when `M` is not a model of scalar T.
template <class M, class T>
constexpr bool check_model() {
  static_assert(is_model<M, T>::value,
                "probust: the model type must be callable as model(x) with x an Eigen vector, "
                "returning the logits (an Eigen vector with the same scalar type as x)");
  return true;
}

/// Throws unless `logits` is non-empty, finite and (when `expected_size` ≥ 0) has
/// `expected_size` entries: "<function>: the model returned a non-finite logit at index i".
template <class T>
void require_valid_logits(const Eigen::Matrix<T, Eigen::Dynamic, 1>& logits,
                          Eigen::Index expected_size, const char* function) {
  if (logits.size() == 0) throw_invalid_argument(function, "the model returned no logits");
  if (expected_size >= 0 && logits.size() != expected_size) {
    throw_invalid_argument(function, "the model returned " + std::to_string(logits.size()) +
                                         " logits, but " + std::to_string(expected_size) +
                                         " on an earlier call");
  }
  for (Eigen::Index i = 0; i < logits.size(); ++i) {
    if (!std::isfinite(logits(i))) {
      throw_invalid_argument(function,
                             "the model returned a non-finite logit at index " + std::to_string(i));
    }
  }
}

/// Evaluates model(x) into a concrete vector and checks it with require_valid_logits.
template <class Model, class T>
Eigen::Matrix<T, Eigen::Dynamic, 1> evaluate_logits(Model& model,
                                                    const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                                                    Eigen::Index expected_size,
                                                    const char* function) {
  Eigen::Matrix<T, Eigen::Dynamic, 1> logits = model(x);
  require_valid_logits(logits, expected_size, function);
  return logits;
}

}  // namespace detail

/// A model assembled from a logit function `f` and its Jacobian `jf` (see with_jacobian).
/// `m(x)` returns `f(x)` and `m.jacobian(x)` returns `jf(x)`; both are called as const.
template <class F, class JF>
class function_model {
 public:
  /// Stores copies (or moved-in values) of both callables.
  function_model(F f, JF jf) : f_(std::move(f)), jf_(std::move(jf)) {}

  /// The logits f(x).
  template <class X>
  auto operator()(const X& x) const -> decltype(std::declval<const F&>()(x)) {
    return f_(x);
  }

  /// The K × d logit Jacobian jf(x).
  template <class X>
  auto jacobian(const X& x) const -> decltype(std::declval<const JF&>()(x)) {
    return jf_(x);
  }

 private:
  F f_;
  JF jf_;
};

/// Adapts a lambda pair into a model with an analytic Jacobian:
/// `auto model = probust::with_jacobian(f, jf);` where `f(x)` returns the K logits and
/// `jf(x)` the K × d matrix ∂f_i/∂x_j. Both must be callable on a const object (no
/// `mutable` lambdas).
template <class F, class JF>
function_model<std::decay_t<F>, std::decay_t<JF>> with_jacobian(F&& f, JF&& jf) {
  return {std::forward<F>(f), std::forward<JF>(jf)};
}

/// The K × d logit Jacobian at a point and where it came from.
template <class T = double>
struct logit_jacobian_result {
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> jacobian;  ///< J(i, j) = ∂f_i/∂x_j
  jacobian_source source = jacobian_source::not_used;         ///< user or finite_difference
};

/// The logit Jacobian J(i, j) = ∂f_i/∂x_j (K × d) of `model` at `x`.
///
/// If the model has a `jacobian(x)` member it is used (source = user; its result must be
/// finite with d columns). Otherwise central differences (source = finite_difference):
///
///     J(:, j) = (f(x + h_j e_j) − f(x − h_j e_j)) / (x_j⁺ − x_j⁻),
///     h_j = ε^{1/3} · max(|x_j|, 1),
///
/// with ε the machine epsilon of T and x_j± = x_j ± h_j as rounded (dividing by the
/// representable difference removes the rounding error of the step). The step balances
/// the O(h²) truncation error against the O(ε/h) rounding error, giving an error of order
/// ε^{2/3} (Press et al., Numerical Recipes, 3rd ed., §5.7; Nocedal & Wright, Numerical
/// Optimization, 2nd ed., §8.1). At a kink (ReLU) the result is the average slope across it.
/// Finite differences make 2d model calls, added to `*evaluations` when it is not null
/// (calls of `jacobian(x)` are not counted there; they are reported by `source`).
///
/// Throws probust::invalid_argument if x is empty or non-finite, if the model returns a
/// non-finite logit, no logits, or a different number of logits on different calls, or if
/// a user Jacobian is non-finite or does not have d columns.
template <class Model, class T>
logit_jacobian_result<T> logit_jacobian(Model&& model, const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                                        int* evaluations = nullptr) {
  using model_type = std::remove_reference_t<Model>;
  static_assert(detail::check_model<model_type, T>());
  constexpr const char* fn = "probust::logit_jacobian";
  if (x.size() == 0) detail::throw_invalid_argument(fn, "x is empty");
  detail::require_finite(x, fn, "x");
  const Eigen::Index d = x.size();
  logit_jacobian_result<T> result;
  if constexpr (has_jacobian<model_type, T>::value) {
    result.jacobian = model.jacobian(x);
    result.source = jacobian_source::user;
    if (result.jacobian.rows() == 0 || result.jacobian.cols() != d) {
      detail::throw_invalid_argument(
          fn, "the model's jacobian(x) returned a " + std::to_string(result.jacobian.rows()) +
                  " x " + std::to_string(result.jacobian.cols()) + " matrix, expected K x " +
                  std::to_string(d));
    }
    detail::require_finite(result.jacobian, fn, "the model's jacobian(x)");
  } else {
    const T step_scale = std::cbrt(std::numeric_limits<T>::epsilon());
    Eigen::Matrix<T, Eigen::Dynamic, 1> shifted = x;
    Eigen::Index k = -1;  // number of logits, fixed by the first call
    for (Eigen::Index j = 0; j < d; ++j) {
      const T h = step_scale * std::max(std::abs(x(j)), T(1));
      const T plus = x(j) + h;
      const T minus = x(j) - h;
      shifted(j) = plus;
      const Eigen::Matrix<T, Eigen::Dynamic, 1> f_plus =
          detail::evaluate_logits(model, shifted, k, fn);
      k = f_plus.size();
      shifted(j) = minus;
      const Eigen::Matrix<T, Eigen::Dynamic, 1> f_minus =
          detail::evaluate_logits(model, shifted, k, fn);
      shifted(j) = x(j);
      if (j == 0) result.jacobian.resize(k, d);
      result.jacobian.col(j) = (f_plus - f_minus) / (plus - minus);
    }
    result.source = jacobian_source::finite_difference;
    if (evaluations != nullptr) *evaluations += static_cast<int>(2 * d);
  }
  return result;
}

/// The logits of n inputs at once: column j of the K × n result is model(X.col(j)), with
/// X the d × n matrix of inputs. Uses `model.forward_batch(X)` when the model has it (one
/// matrix product per layer for the built-in networks), else calls the model column by
/// column. Throws probust::invalid_argument if a logit is non-finite, if the number of
/// logits differs between inputs, or if the model's forward_batch returns a matrix whose
/// column count is not n.
template <class Model, class T>
Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> forward_batch(
    Model&& model, const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& X) {
  using model_type = std::remove_reference_t<Model>;
  static_assert(detail::check_model<model_type, T>());
  constexpr const char* fn = "probust::forward_batch";
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> logits;
  if constexpr (has_forward_batch<model_type, T>::value) {
    logits = model.forward_batch(X);
    if (logits.cols() != X.cols() || (X.cols() > 0 && logits.rows() == 0)) {
      detail::throw_invalid_argument(
          fn, "the model's forward_batch(X) returned a " + std::to_string(logits.rows()) + " x " +
                  std::to_string(logits.cols()) + " matrix for " + std::to_string(X.cols()) +
                  " inputs, expected K x " + std::to_string(X.cols()));
    }
    for (Eigen::Index j = 0; j < logits.cols(); ++j) {
      for (Eigen::Index i = 0; i < logits.rows(); ++i) {
        if (!std::isfinite(logits(i, j))) {
          detail::throw_invalid_argument(fn, "the model returned a non-finite logit at index " +
                                                 std::to_string(i) + " for input " +
                                                 std::to_string(j));
        }
      }
    }
  } else {
    Eigen::Matrix<T, Eigen::Dynamic, 1> column(X.rows());
    for (Eigen::Index j = 0; j < X.cols(); ++j) {
      column = X.col(j);
      const Eigen::Matrix<T, Eigen::Dynamic, 1> f =
          detail::evaluate_logits(model, column, j == 0 ? Eigen::Index(-1) : logits.rows(), fn);
      if (j == 0) logits.resize(f.size(), X.cols());
      logits.col(j) = f;
    }
  }
  return logits;
}

}  // namespace probust
