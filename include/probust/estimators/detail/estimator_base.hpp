#pragma once
/// \file estimator_base.hpp
/// What the estimator classes share: the scalar and option types, the stored options
/// (checked at construction), the compile-time checks of the model and noise types, and
/// (for the stochastic estimators) the overload of `estimate` that draws its noise from
/// probust::point_engine(options().seed, 0).

#include <Eigen/Dense>
#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>
#include <utility>

#include "probust/errors.hpp"
#include "probust/estimators/linearization.hpp"
#include "probust/estimators/result.hpp"
#include "probust/model.hpp"
#include "probust/random.hpp"

namespace probust {
namespace detail {

/// A number for messages: "1e-300", "0.5", "nan", "inf" (%.17g).
inline std::string option_value(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

/// Checks an estimator's `target` option: −1 (the prediction) or a class index ≥ 0 (that
/// it is below the number of classes is checked at each estimate, where the model is known).
inline void check_target_option(int target, const char* function) {
  if (target < -1) {
    throw_invalid_argument(function, "target must be -1 (the prediction) or a class index >= 0, "
                                     "got " + std::to_string(target));
  }
}

/// A compile-time check that Model is a model and Noise a noise model with scalar type T
/// (check_model and check_noise; Model may be a reference type).
template <class Model, class Noise, class T>
constexpr bool check_arguments() {
  return check_model<std::remove_reference_t<Model>, T>() && check_noise<Noise, T>();
}

/// The base of every estimator class: scalar_type, vector_type, options_type and the
/// options, given at construction (default: the options' documented defaults).
template <class T, class Options>
class estimator_base {
  static_assert(std::is_floating_point<T>::value,
                "probust: an estimator's scalar type T must be a floating-point type");

 public:
  using scalar_type = T;
  using vector_type = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  using options_type = Options;

  /// Default options.
  estimator_base() = default;
  /// The given options, checked once here by the check_options overload of Options
  /// (found by argument-dependent lookup, declared next to each options struct): throws
  /// probust::invalid_argument naming the first member outside its documented range, so
  /// an estimator never holds invalid options.
  explicit estimator_base(const Options& options) : options_(options) { check_options(options_); }

  /// The options.
  const Options& options() const noexcept { return options_; }

 private:
  Options options_{};
};

/// True if Options has `sampling.seed` (monte_carlo_options, control_variate_options).
template <class Options, class = void>
struct has_sampling_seed : std::false_type {};
template <class Options>
struct has_sampling_seed<Options,
                         std::void_t<decltype(std::declval<const Options&>().sampling.seed)>>
    : std::true_type {};

/// The noise seed of a stochastic estimator's options: `sampling.seed` or `seed`.
template <class Options>
auto options_seed(const Options& o) noexcept -> decltype(o.seed) {
  return o.seed;
}
template <class Options, class = std::enable_if_t<has_sampling_seed<Options>::value>>
std::uint64_t options_seed(const Options& o) noexcept {
  return o.sampling.seed;
}

/// The base of a stochastic estimator Derived (CRTP), whose Options have a `seed` (or
/// `sampling.seed`) and which
/// defines `estimate(model, x, noise, engine)` drawing its noise from the caller's engine.
/// Adds `estimate(model, x, noise)`: the same with the engine probust::point_engine(seed, 0),
/// reproducible bit for bit. Derived brings it in with `using base::estimate;`.
template <class Derived, class T, class Options>
class seeded_estimator : public estimator_base<T, Options> {
 public:
  using estimator_base<T, Options>::estimator_base;

  /// The estimate with the noise drawn from probust::point_engine(seed, 0).
  template <class Model, class Noise>
  robustness_result estimate(Model&& model, const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                             const Noise& noise) const {
    random_engine engine = point_engine(options_seed(this->options()), 0);
    return static_cast<const Derived&>(*this).estimate(model, x, noise, engine);
  }
};

}  // namespace detail
}  // namespace probust
