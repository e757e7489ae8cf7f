// Estimator options at the API boundary: every option of every estimator, given NaN,
// negative, zero, tiny and huge values, is either rejected by the estimator's constructor
// with probust::invalid_argument "probust::<estimator>: <option> ..." or accepted, and an
// accepted value then gives a finite estimate (or, for a target beyond the model's
// classes, the documented estimate-time error) — never a crash, and never an error from
// an internal function such as probust::clopper_pearson_interval later.
#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "catch_shim.hpp"
#include "probust/estimators/control_variate.hpp"
#include "probust/estimators/mmse.hpp"
#include "probust/estimators/monte_carlo.hpp"
#include "probust/estimators/mv_sigmoid.hpp"
#include "probust/estimators/softmax.hpp"
#include "probust/estimators/taylor.hpp"
#include "probust/models/affine.hpp"
#include "probust/noise.hpp"
#include "probust/random.hpp"
#include "probust/stats.hpp"
#include "test_support.hpp"

namespace {

using probust_test::error_of;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();
constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();
constexpr int int_min = std::numeric_limits<int>::min();
constexpr int int_max = std::numeric_limits<int>::max();

// A 3-class affine model on 2 features, and a point where it is not certain.
const probust::affine_model<double>& model() {
  static const probust::affine_model<double> m = probust_test::random_affine(3, 2, 7, 0x0b7);
  return m;
}
const Eigen::VectorXd x = Eigen::VectorXd::Zero(2);
const probust::isotropic_gaussian<double> noise(0.5);

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// The message of constructing Estimator with options changed by `set` ("" if accepted).
template <class Estimator, class Set>
std::string construction_error(Set set) {
  typename Estimator::options_type o;
  set(o);
  return error_of([&] { const Estimator e(o); });
}

// Options changed by `set` must be rejected by the constructor with a message starting
// "<name>: <member> ".
template <class Estimator, class Set>
void rejected(const std::string& name, const std::string& member, Set set) {
  const std::string message = construction_error<Estimator>(set);
  INFO("expected '" << name << ": " << member << " ...', got '" << message << "'");
  CHECK(starts_with(message, name + ": " + member + " "));
}

// Options changed by `set` must be accepted, and (when `run`) give a finite estimate whose
// interval holds it.
template <class Estimator, class Set>
void accepted(Set set, bool run = true) {
  typename Estimator::options_type o;
  set(o);
  const std::string message = error_of([&] {
    const Estimator e(o);
    if (!run) return;
    const probust::robustness_result r = e.estimate(model(), x, noise);
    CHECK(std::isfinite(r.probability));
    CHECK(r.lower <= r.probability);
    CHECK(r.probability <= r.upper);
  });
  CHECK(message == "");
}

// A target beyond the model's 3 classes passes the constructor (the model is not known
// there) and is rejected by estimate, naming the target.
template <class Estimator>
void target_checked(const std::string& name) {
  for (const int bad : {-2, -3, int_min}) {
    rejected<Estimator>(name, "target", [bad](auto& o) { o.target = bad; });
  }
  for (const int good : {-1, 0, 2}) accepted<Estimator>([good](auto& o) { o.target = good; });
  typename Estimator::options_type o;
  o.target = int_max;
  const Estimator e(o);
  const std::string message = error_of([&] { e.estimate(model(), x, noise); });
  INFO(message);
  CHECK(probust_test::contains(message, "target class 2147483647"));
}

// The members monte_carlo_options and control_variate_options share.
template <class Estimator>
void sampling_options_checked(const std::string& name) {
  // Short runs: 200 samples; sequential runs look at every doubling (batch 1: 9 looks).
  const auto small = [](auto& o) { o.sampling.samples = 200; };
  const auto all_looks = [](auto& o) {
    o.sampling.samples = 200;
    o.sampling.batch_size = 1;
    o.sampling.target_half_width = 1e-9;
  };

  for (const double bad : {nan, -inf, -1.0, -0.0, 0.0, 4.9e-324, 1e-300, 1e-13, 1.0 - 1e-13,
                           1.0, 1.0 + 1e-15, 2.0, inf}) {
    INFO("confidence " << bad);
    rejected<Estimator>(name, "confidence", [bad](auto& o) { o.sampling.confidence = bad; });
  }
  CHECK(construction_error<Estimator>([](auto& o) { o.sampling.confidence = 1e-300; }) ==
        name + ": confidence must be in [1e-12, 1 - 1e-12], got 1e-300");
  for (const double good : {probust::min_confidence, 0.5, 0.95, probust::max_confidence}) {
    for (const auto method : {probust::interval_method::clopper_pearson,
                              probust::interval_method::wilson}) {
      INFO("confidence " << good);
      accepted<Estimator>([&](auto& o) {
        all_looks(o);
        o.sampling.confidence = good;
        o.sampling.interval = method;
      });
      accepted<Estimator>([&](auto& o) {
        small(o);
        o.sampling.confidence = good;
        o.sampling.interval = method;
      });
    }
  }

  for (const std::uint64_t bad : {std::uint64_t{0}, probust::max_samples + 1, u64_max}) {
    INFO("samples " << bad);
    rejected<Estimator>(name, "samples", [bad](auto& o) { o.sampling.samples = bad; });
  }
  accepted<Estimator>([](auto& o) { o.sampling.samples = 1; });
  accepted<Estimator>([](auto& o) { o.sampling.samples = probust::max_samples; }, false);

  rejected<Estimator>(name, "batch_size", [](auto& o) { o.sampling.batch_size = 0; });
  for (const std::uint64_t good : {std::uint64_t{1}, std::uint64_t{199}, u64_max}) {
    accepted<Estimator>([&](auto& o) {
      small(o);
      o.sampling.batch_size = good;
    });
  }

  for (const double bad : {nan, -inf, -1.0, -1e-300, inf}) {
    INFO("target_half_width " << bad);
    rejected<Estimator>(name, "target_half_width",
                        [bad](auto& o) { o.sampling.target_half_width = bad; });
  }
  for (const double good : {0.0, 1e-300, 0.1, 1e300}) {
    accepted<Estimator>([&](auto& o) {
      small(o);
      o.sampling.target_half_width = good;
    });
  }

  rejected<Estimator>(name, "interval", [](auto& o) {
    o.sampling.interval = static_cast<probust::interval_method>(7);
  });
  target_checked<Estimator>(name);
}

// The MVN options of taylor, mmse and control_variate: checked with the estimator (the
// engine's own messages, "options.<member>", under the estimator's name).
template <class Estimator>
void mvn_options_checked(const std::string& name) {
  for (const double bad : {nan, -1.0, -inf}) {
    rejected<Estimator>(name, "options.abs_tol", [bad](auto& o) { o.mvn.abs_tol = bad; });
    rejected<Estimator>(name, "options.rel_tol", [bad](auto& o) { o.mvn.rel_tol = bad; });
  }
  for (const double bad : {nan, -1.0, 0.0, inf}) {
    rejected<Estimator>(name, "options.complement_rel_tol",
                        [bad](auto& o) { o.mvn.complement_rel_tol = bad; });
  }
  for (const double bad : {nan, -1.0, 1.0, inf}) {
    rejected<Estimator>(name, "options.rank_tol", [bad](auto& o) { o.mvn.rank_tol = bad; });
  }
  rejected<Estimator>(name, "options.max_points", [](auto& o) { o.mvn.max_points = 0; });
  rejected<Estimator>(name, "options.initial_points", [](auto& o) { o.mvn.initial_points = 0; });
  for (const int bad : {1, 0, -1, int_min}) {
    rejected<Estimator>(name, "options.randomizations",
                        [bad](auto& o) { o.mvn.randomizations = bad; });
  }
  accepted<Estimator>([](auto& o) { o.mvn.abs_tol = 0.0; });
  accepted<Estimator>([](auto& o) { o.mvn.max_points = 1; });
}

// The members of mmse_options and mmse_mv_sigmoid_options.
template <class Estimator>
void smoothing_options_checked(const std::string& name) {
  for (const std::uint64_t bad : {std::uint64_t{0}, probust::max_samples + 1, u64_max}) {
    rejected<Estimator>(name, "samples", [bad](auto& o) { o.samples = bad; });
  }
  for (const std::uint64_t bad : {std::uint64_t{1}, std::uint64_t{3}, probust::max_samples - 1}) {
    INFO("antithetic with samples " << bad);
    const std::string message = construction_error<Estimator>([bad](auto& o) {
      o.samples = bad;
      o.antithetic = true;
    });
    CHECK(starts_with(message, name + ": antithetic sampling needs an even number of samples"));
  }
  accepted<Estimator>([](auto& o) { o.samples = 1; });
  accepted<Estimator>([](auto& o) {
    o.samples = 2;
    o.antithetic = true;
  });
  accepted<Estimator>([](auto& o) { o.samples = int_max; }, false);
  target_checked<Estimator>(name);
}

}  // namespace

TEST_CASE("sampling_options: one struct in monte_carlo_options and control_variate_options") {
  static_assert(std::is_same_v<decltype(probust::monte_carlo_options::sampling),
                               probust::sampling_options>);
  static_assert(std::is_same_v<decltype(probust::control_variate_options::sampling),
                               probust::sampling_options>);
  // One type for every sample count.
  static_assert(std::is_same_v<decltype(probust::mmse_options::samples), std::uint64_t>);
  static_assert(std::is_same_v<decltype(probust::mmse_mv_sigmoid_options::samples),
                               std::uint64_t>);
  // The documented defaults.
  const probust::sampling_options s;
  CHECK(s.samples == 10'000);
  CHECK(s.seed == probust::default_seed);
  CHECK(s.confidence == 0.95);
  CHECK(s.interval == probust::interval_method::clopper_pearson);
  CHECK(s.batch_size == 256);
  CHECK(s.target_half_width == 0.0);
  // The seed a stochastic estimator draws from when no engine is passed: sampling.seed.
  probust::monte_carlo_options mc;
  mc.sampling.seed = 77;
  mc.sampling.samples = 500;
  const probust::affine_model<double> identity(Eigen::MatrixXd::Identity(3, 3),
                                              Eigen::VectorXd::Zero(3));
  const Eigen::VectorXd x = Eigen::Vector3d(0.3, 0.1, 0.0);
  const probust::isotropic_gaussian<double> noise(0.5);
  auto engine = probust::point_engine(77, 0);
  CHECK(probust::monte_carlo_estimator<>(mc).estimate(identity, x, noise).probability ==
        probust::monte_carlo_estimator<>(mc).estimate(identity, x, noise, engine).probability);
}

TEST_CASE("estimator options are checked once, by the constructor, naming the option",
          "[reliability][options]") {
  sampling_options_checked<probust::monte_carlo_estimator<>>("probust::monte_carlo_estimator");
  sampling_options_checked<probust::control_variate_estimator<>>(
      "probust::control_variate_estimator");
  smoothing_options_checked<probust::mmse_estimator<>>("probust::mmse_estimator");
  smoothing_options_checked<probust::mmse_mv_sigmoid_estimator<>>(
      "probust::mmse_mv_sigmoid_estimator");
  target_checked<probust::taylor_estimator<>>("probust::taylor_estimator");
  mvn_options_checked<probust::taylor_estimator<>>("probust::taylor_estimator");
  mvn_options_checked<probust::mmse_estimator<>>("probust::mmse_estimator");
  mvn_options_checked<probust::control_variate_estimator<>>(
      "probust::control_variate_estimator");
  target_checked<probust::softmax_estimator<>>("probust::softmax_estimator");
  target_checked<probust::taylor_mv_sigmoid_estimator<>>("probust::taylor_mv_sigmoid_estimator");
  // Default options are valid.
  accepted<probust::monte_carlo_estimator<>>([](auto&) {});
  accepted<probust::mmse_estimator<>>([](auto&) {});
}

TEST_CASE("paired_difference_interval: a confidence whose alpha split rounds away is an "
          "argument error of its own", "[reliability][options]") {
  // A zero bound puts all of alpha on the discordance rate: at confidence 1e-300 its level
  // 1 - alpha rounds to 0 (this used to throw from probust::clopper_pearson_interval).
  // Bounds 1/2, 1/2 split alpha evenly: at confidence 1 - 2^-53 the level 1 - alpha/2
  // rounds to 1.
  const std::string prefix = "probust::paired_difference_interval: confidence is too close";
  const auto error_at = [](double confidence, double gained_bound, double lost_bound) {
    return error_of([&] {
      probust::paired_difference_interval(3, 2, 100, confidence,
                                          probust::interval_method::clopper_pearson,
                                          gained_bound, lost_bound);
    });
  };
  CHECK(starts_with(error_at(1e-300, 0.0, 1.0), prefix));
  CHECK(starts_with(error_at(1.0 - 0x1p-53, 0.5, 0.5), prefix));
  // The estimators' range is always fine, at the smallest level they pass (54 looks).
  for (const double confidence : {probust::min_confidence, probust::max_confidence}) {
    const double level = 1.0 - (1.0 - confidence) / 54.0;
    const probust::difference_interval d = probust::paired_difference_interval(
        3, 2, 100, level, probust::interval_method::clopper_pearson, 0.3, 0.7);
    CHECK(d.lower <= 0.01);
    CHECK(0.01 <= d.upper);
  }
}
