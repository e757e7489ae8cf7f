#pragma once
/// \file any_estimator.hpp
/// probust::any_estimator, any estimator of the library behind one type, so that a list of
/// estimators can be chosen at run time (e.g. from a command line) and handed to
/// run_dataset as a std::vector; and the rule by which run_dataset evaluates an estimator
/// at a point (detail::estimate_at: a stochastic estimator draws from the stream
/// (options().seed, point id)).

#include <Eigen/Dense>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include "probust/errors.hpp"
#include "probust/estimators/detail/estimator_base.hpp"
#include "probust/estimators/result.hpp"
#include "probust/noise.hpp"
#include "probust/random.hpp"

namespace probust {
namespace detail {

/// True if `estimator.estimate(model, x, noise, engine)` compiles with a
/// probust::random_engine& and the estimator's options have a seed (`seed`, or
/// `sampling.seed`, see options_seed): a stochastic
/// estimator, which run_dataset gives the stream (seed, point id).
template <class Estimator, class Model, class Vector, class Noise, class = void>
struct takes_engine : std::false_type {};

template <class Estimator, class Model, class Vector, class Noise>
struct takes_engine<Estimator, Model, Vector, Noise,
                    std::void_t<decltype(std::declval<const Estimator&>().estimate(
                                    std::declval<Model&>(), std::declval<const Vector&>(),
                                    std::declval<const Noise&>(), std::declval<random_engine&>())),
                                decltype(options_seed(std::declval<const Estimator&>().options()))>>
    : std::true_type {};

/// `estimator` at x, the point with id `point_id`: with the engine
/// point_engine(options().seed, point_id) when it is stochastic (takes_engine), else
/// estimate(model, x, noise).
template <class Estimator, class Model, class T, class Noise>
robustness_result estimate_at(const Estimator& estimator, Model& model,
                              const Eigen::Matrix<T, Eigen::Dynamic, 1>& x, const Noise& noise,
                              std::uint64_t point_id) {
  if constexpr (takes_engine<Estimator, Model, Eigen::Matrix<T, Eigen::Dynamic, 1>, Noise>::value) {
    random_engine engine = point_engine(options_seed(estimator.options()), point_id);
    return estimator.estimate(model, x, noise, engine);
  } else {
    return estimator.estimate(model, x, noise);
  }
}

}  // namespace detail

/// Any estimator of the library (taylor, mmse, monte_carlo, control_variate, softmax,
/// taylor_mv_sigmoid, mmse_mv_sigmoid, or one of the user's with the same interface), for
/// models of type Model (called as `const Model&`), points of scalar type T and noise of
/// type Noise, behind one type:
///
///     std::vector<probust::any_estimator<probust::dense_network<>>> list;
///     list.emplace_back(probust::taylor_estimator<>{});
///     list.emplace_back(probust::monte_carlo_estimator<>{mc_options});
///     auto rows = probust::run_dataset(net, points, labels, noise, options, list);
///
/// A copy shares the (immutable) estimator; estimate is as thread-safe as the estimator's.
template <class Model, class T = double, class Noise = isotropic_gaussian<T>>
class any_estimator {
 public:
  using vector_type = Eigen::Matrix<T, Eigen::Dynamic, 1>;

  /// Holds a copy of `estimator`.
  template <class Estimator,
            class = std::enable_if_t<!std::is_same_v<std::decay_t<Estimator>, any_estimator>>>
  any_estimator(Estimator estimator)  // NOLINT: implicit, so that lists read naturally
      : impl_(std::make_shared<const holder<Estimator>>(std::move(estimator))) {}

  /// estimator.name().
  const char* name() const { return impl_->name(); }

  /// True if the estimator draws random noise (takes an engine and has options().seed).
  bool stochastic() const noexcept { return impl_->stochastic(); }

  /// estimator.estimate(model, x, noise).
  robustness_result estimate(const Model& model, const vector_type& x, const Noise& noise) const {
    return impl_->estimate(model, x, noise);
  }

  /// estimator.estimate(model, x, noise, engine) for a stochastic estimator; a
  /// deterministic one ignores the engine.
  robustness_result estimate(const Model& model, const vector_type& x, const Noise& noise,
                             random_engine& engine) const {
    return impl_->estimate(model, x, noise, engine);
  }

  /// The estimate as run_dataset makes it at the point with id `point_id`: a stochastic
  /// estimator with the engine probust::point_engine(options().seed, point_id).
  robustness_result estimate_at(const Model& model, const vector_type& x, const Noise& noise,
                                std::uint64_t point_id) const {
    return impl_->estimate_at(model, x, noise, point_id);
  }

 private:
  struct concept_type {
    virtual ~concept_type() = default;
    virtual const char* name() const = 0;
    virtual bool stochastic() const noexcept = 0;
    virtual robustness_result estimate(const Model&, const vector_type&, const Noise&) const = 0;
    virtual robustness_result estimate(const Model&, const vector_type&, const Noise&,
                                       random_engine&) const = 0;
    virtual robustness_result estimate_at(const Model&, const vector_type&, const Noise&,
                                          std::uint64_t) const = 0;
  };

  template <class Estimator>
  struct holder final : concept_type {
    static constexpr bool takes_engine =
        detail::takes_engine<Estimator, const Model, vector_type, Noise>::value;

    explicit holder(Estimator e) : estimator(std::move(e)) {}
    const char* name() const override { return estimator.name(); }
    bool stochastic() const noexcept override { return takes_engine; }
    robustness_result estimate(const Model& model, const vector_type& x,
                               const Noise& noise) const override {
      return estimator.estimate(model, x, noise);
    }
    robustness_result estimate(const Model& model, const vector_type& x, const Noise& noise,
                               random_engine& engine) const override {
      if constexpr (takes_engine) {
        return estimator.estimate(model, x, noise, engine);
      } else {
        (void)engine;
        return estimator.estimate(model, x, noise);
      }
    }
    robustness_result estimate_at(const Model& model, const vector_type& x, const Noise& noise,
                                  std::uint64_t point_id) const override {
      return detail::estimate_at(estimator, model, x, noise, point_id);
    }

    Estimator estimator;
  };

  std::shared_ptr<const concept_type> impl_;
};

}  // namespace probust
