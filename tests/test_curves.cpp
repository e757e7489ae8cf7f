// Robustness curves p(σ) and the robustness radius σ* (probust/curves.hpp), against
// independent truths: the point-by-point estimate() calls the curve must reproduce bit for
// bit; the closed forms of two-class affine models, p(σ) = Φ(m/(σ‖w‖)) ⇒
// σ* = m/(‖w‖Φ⁻¹(τ)), and for Taylor-mvs p(σ) = 1/(1 + e^{−m/(σ‖w‖)}) ⇒
// σ* = m/(‖w‖ ln(τ/(1−τ))); for K > 2 classes the single-margin and Bonferroni bounds on
// p and a Monte-Carlo interval at the reported radius; a Monte-Carlo radius against the
// closed form within the binomial band of its sample size.
//
// No expected value below is copied from the library's output.
#include <Eigen/Dense>
#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "catch_shim.hpp"
#include "test_support.hpp"
#include "probust/curves.hpp"
#include "probust/estimators/mmse.hpp"
#include "probust/estimators/monte_carlo.hpp"
#include "probust/estimators/mv_sigmoid.hpp"
#include "probust/estimators/taylor.hpp"
#include "probust/models/affine.hpp"
#include "probust/noise.hpp"
#include "probust/random.hpp"

namespace {

using probust_test::contains;
using probust_test::error_of;
using probust_test::normal_matrix;
using probust_test::phi;

double phi_inverse(double p) { return boost::math::quantile(boost::math::normal(), p); }

probust::affine_model<double> random_affine(int classes, int d, std::uint64_t id) {
  return probust_test::random_affine(classes, d, id, 0xc0e5);
}

// The two-class model f = (w·x + b₀, 0) with b₀ chosen so that the margin at x0 is m:
// p(σ) = Φ(m/(σ‖w‖)) at x0.
struct two_class {
  Eigen::VectorXd w{Eigen::Vector3d(0.6, -0.8, 0.5)};
  Eigen::VectorXd x0{Eigen::Vector3d(0.3, 0.2, -0.1)};
  double m;
  probust::affine_model<double> model;

  explicit two_class(double margin)
      : m(margin), model(weights(w), Eigen::Vector2d(margin - w.dot(x0), 0.0)) {}

  static Eigen::MatrixXd weights(const Eigen::VectorXd& w) {
    Eigen::MatrixXd W = Eigen::MatrixXd::Zero(2, w.size());
    W.row(0) = w.transpose();
    return W;
  }
  double p(double sigma) const { return phi(m / (sigma * w.norm())); }
  double radius(double tau) const { return m / (w.norm() * phi_inverse(tau)); }
};

// An affine model that counts its forward passes; its Jacobian is W (not counted).
struct counting_affine {
  const probust::affine_model<double>& inner;
  std::uint64_t calls = 0;
  Eigen::VectorXd operator()(const Eigen::VectorXd& x) {
    ++calls;
    return inner(x);
  }
  Eigen::MatrixXd jacobian(const Eigen::VectorXd& x) { return inner.jacobian(x); }
};

// The same without a Jacobian member: estimators use central finite differences.
struct counting_function {
  const probust::affine_model<double>& inner;
  std::uint64_t calls = 0;
  Eigen::VectorXd operator()(const Eigen::VectorXd& x) {
    ++calls;
    return inner(x);
  }
};

// Every field of two results equal (doubles compared with ==).
bool same(const probust::robustness_result& a, const probust::robustness_result& b) {
  return a.probability == b.probability && a.lower == b.lower && a.upper == b.upper &&
         a.complement == b.complement && a.error == b.error &&
         a.predicted_class == b.predicted_class && a.model_evaluations == b.model_evaluations &&
         a.jacobian == b.jacobian && a.converged == b.converged && a.samples == b.samples &&
         std::string(a.estimator) == std::string(b.estimator);
}

template <class Estimator, class Model, class T>
void check_point_by_point(const Estimator& estimator, Model& model,
                          const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                          const std::vector<double>& sigmas,
                          const std::vector<probust::robustness_result>& curve) {
  REQUIRE(curve.size() == sigmas.size());
  for (std::size_t i = 0; i < sigmas.size(); ++i) {
    INFO(estimator.name() << ", sigma " << sigmas[i]);
    const auto expected =
        estimator.estimate(model, x, probust::isotropic_gaussian<T>(static_cast<T>(sigmas[i])));
    CHECK(same(curve[i], expected));
  }
}


}  // namespace

// ------------------------------------------------------------------------------------------
// robustness_curve
// ------------------------------------------------------------------------------------------

TEST_CASE("robustness_curve: Taylor equals point-by-point estimate() from one linearization") {
  // K = 7 (k = 6 margins: the QMC path), any σ order, a repeated σ.
  const auto affine = random_affine(7, 5, 1);
  const Eigen::VectorXd x = normal_matrix(5, 1, 0x5eed, 1).col(0);
  const std::vector<double> sigmas = {0.4, 0.025, 0.1, 3.0, 0.1, 1e-3, 0.7};

  SECTION("model Jacobian: one forward pass for the whole curve") {
    counting_affine model{affine};
    const probust::taylor_estimator<double> taylor;
    const auto curve = probust::robustness_curve(taylor, model, x, sigmas);
    CHECK(model.calls == 1);
    for (const auto& r : curve) CHECK(r.model_evaluations == 1);
    check_point_by_point(taylor, affine, x, sigmas, curve);
  }
  SECTION("finite differences: 1 + 2d forward passes for the whole curve") {
    counting_function model{affine};
    const probust::taylor_estimator<double> taylor;
    const auto curve = probust::robustness_curve(taylor, model, x, sigmas);
    CHECK(model.calls == 1 + 2 * 5);
    for (const auto& r : curve) {
      CHECK(r.model_evaluations == 1 + 2 * 5);
      CHECK(r.jacobian == probust::jacobian_source::finite_difference);
    }
    check_point_by_point(taylor, model, x, sigmas, curve);
  }
  SECTION("paper settings, Taylor-mvs and a target class") {
    probust::taylor_options paper;
    paper.paper_settings = true;
    const probust::taylor_estimator<double> taylor_paper(paper);
    check_point_by_point(taylor_paper, affine, x, sigmas,
                         probust::robustness_curve(taylor_paper, affine, x, sigmas));
    const probust::taylor_mv_sigmoid_estimator<double> mvs;
    check_point_by_point(mvs, affine, x, sigmas, probust::robustness_curve(mvs, affine, x, sigmas));
    probust::taylor_options target;
    target.target = 3;
    const probust::taylor_estimator<double> taylor_target(target);
    const auto curve = probust::robustness_curve(taylor_target, affine, x, sigmas);
    check_point_by_point(taylor_target, affine, x, sigmas, curve);
    CHECK(curve[0].predicted_class == 3);
  }
  SECTION("float") {
    const probust::affine_model<float> affine_float(affine.weights().cast<float>(),
                                                    affine.bias().cast<float>());
    const Eigen::VectorXf xf = x.cast<float>();
    const probust::taylor_estimator<float> taylor;
    check_point_by_point(taylor, affine_float, xf, sigmas,
                         probust::robustness_curve(taylor, affine_float, xf, sigmas));
  }
}

TEST_CASE("robustness_curve: other estimators are called per σ, with common random numbers") {
  const auto affine = random_affine(4, 3, 2);
  const Eigen::VectorXd x = normal_matrix(3, 1, 0x5eed, 2).col(0);
  const std::vector<double> increasing = {0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2};

  probust::monte_carlo_options mc_options;
  mc_options.sampling.samples = 2000;
  const probust::monte_carlo_estimator<double> mc(mc_options);
  counting_affine model{affine};
  const auto curve = probust::robustness_curve(mc, model, x, increasing);
  std::uint64_t reported = 0;
  for (const auto& r : curve) reported += r.model_evaluations;
  CHECK(model.calls == reported);
  check_point_by_point(mc, affine, x, increasing, curve);
  // Common random numbers: ε_j = σ z_j with the same z_j at every σ. For an affine model
  // the event g + σ G z_j > 0 (g > 0) can only be lost as σ grows, so p̂ is non-increasing.
  for (std::size_t i = 1; i < curve.size(); ++i) {
    INFO("sigma " << increasing[i]);
    CHECK(curve[i].probability <= curve[i - 1].probability);
  }
  CHECK(curve.front().probability > curve.back().probability);

  const probust::mmse_estimator<double> mmse;
  check_point_by_point(mmse, affine, x, increasing,
                       probust::robustness_curve(mmse, affine, x, increasing));
}

TEST_CASE("robustness_curve: an invalid σ throws naming its index; no σ, no model call") {
  const auto affine = random_affine(3, 2, 3);
  const Eigen::VectorXd x = Eigen::Vector2d(0.1, -0.2);
  const probust::taylor_estimator<double> taylor;
  for (double bad : {0.0, -0.1, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity()}) {
    counting_affine model{affine};
    const std::string message = error_of([&] {
      probust::robustness_curve(taylor, model, x, {0.1, 0.2, bad});
    });
    INFO(message);
    CHECK(contains(message, "probust::robustness_curve"));
    CHECK(contains(message, "sigmas[2]"));
    CHECK(model.calls == 0);
  }
  // 1e-50 is a valid double σ but rounds to 0 in float.
  const probust::affine_model<float> affine_float(affine.weights().cast<float>(),
                                                  affine.bias().cast<float>());
  const Eigen::VectorXf xf = x.cast<float>();
  CHECK(contains(error_of([&] {
                   probust::robustness_curve(probust::taylor_estimator<float>(), affine_float, xf,
                                             {1e-50});
                 }),
                 "sigmas[0]"));
  counting_affine model{affine};
  CHECK(probust::robustness_curve(taylor, model, x, {}).empty());
  CHECK(model.calls == 0);
}

// ------------------------------------------------------------------------------------------
// robustness_radius
// ------------------------------------------------------------------------------------------

TEST_CASE("robustness_radius: two classes, Taylor, σ* = m/(‖w‖Φ⁻¹(τ))") {
  const two_class c(0.7);
  const probust::taylor_estimator<double> taylor;
  // k = 1 is evaluated with erfc to ~1e-16, so a tight tolerance is meaningful. The
  // closed-form p at the bracket ends may disagree with the library's in the last bits
  // when an end lies within rounding of σ* (TOMS748 converges onto the root): slack 1e-14.
  for (double tau : {0.55, 0.75, 0.9, 0.99, 0.999999}) {
    for (double tolerance : {1e-3, 1e-9}) {
      probust::radius_options o;
      o.threshold = tau;
      o.relative_tolerance = tolerance;
      const auto r = probust::robustness_radius(taylor, c.model, c.x0, o);
      const double expected = c.radius(tau);
      INFO("tau " << tau << ", tolerance " << tolerance << ": radius " << r.radius << ", expected "
                  << expected << ", bracket [" << r.lower << ", " << r.upper << "], "
                  << r.evaluations << " evaluations");
      REQUIRE(r.found);
      CHECK(r.converged);
      CHECK(r.upper - r.lower <= tolerance * r.lower);
      CHECK(r.lower <= r.radius);
      CHECK(r.radius < r.upper);
      CHECK(c.p(r.lower) >= tau - 1e-14);
      CHECK(c.p(r.upper) < tau + 1e-14);
      CHECK(std::abs(r.radius - expected) <= (tolerance + 1e-12) * expected);
      REQUIRE(r.at_lower);
      REQUIRE(r.at_upper);
      CHECK(r.at_lower->probability >= tau);
      CHECK(r.at_upper->probability < tau);
      CHECK(r.evaluations <= o.max_evaluations);
      CHECK(r.model_evaluations == 1);  // one linearization, the model's own Jacobian
    }
  }
  SECTION("an explicit start above or below σ* finds the same crossing") {
    for (double factor : {7.0, 1.0 / 50.0}) {
      probust::radius_options o;
      o.sigma_start = factor * c.radius(0.9);
      const auto r = probust::robustness_radius(taylor, c.model, c.x0, o);
      REQUIRE(r.found);
      CHECK(std::abs(r.radius - c.radius(0.9)) <= 1e-3 * c.radius(0.9));
    }
  }
}

TEST_CASE("robustness_radius: two classes, Taylor-mvs, σ* = m/(‖w‖ ln(τ/(1−τ)))") {
  // The mv-sigmoid with one margin z = m/(σ‖w‖) is the logistic function 1/(1 + e^{−z}).
  const two_class c(0.4);
  probust::radius_options o;
  o.relative_tolerance = 1e-10;
  for (double tau : {0.6, 0.9, 0.999}) {
    o.threshold = tau;
    const auto r = probust::robustness_radius(probust::taylor_mv_sigmoid_estimator<double>(),
                                              c.model, c.x0, o);
    const double expected = c.m / (c.w.norm() * std::log(tau / (1.0 - tau)));
    INFO("tau " << tau);
    REQUIRE(r.found);
    CHECK(std::abs(r.radius - expected) <= 1.1e-10 * expected);
  }
}

TEST_CASE("robustness_radius: K > 2 classes, Taylor p at the radius is τ within the MVN error") {
  // K = 4 (k = 3: Genz's trivariate, closed form) and K = 7 (k = 6: QMC). The biases put
  // every margin at x between 0.5 and 1, so all of them matter at σ*.
  for (int classes : {4, 7}) {
    const Eigen::MatrixXd W = normal_matrix(classes, 6, 0xc0e5, 10 + classes);
    const Eigen::VectorXd x = normal_matrix(6, 1, 0x5eed, 10 + classes).col(0);
    Eigen::VectorXd b = -W * x;
    b(0) += 1.0;
    for (int i = 1; i < classes; ++i) b(i) += 0.5 * (i - 1) / (classes - 1);
    const probust::affine_model<double> affine(W, b);
    const probust::taylor_estimator<double> taylor;
    const double tau = 0.9;
    const auto r = probust::robustness_radius(taylor, affine, x);
    INFO(classes << " classes: radius " << r.radius << " in [" << r.lower << ", " << r.upper
                 << "], " << r.evaluations << " evaluations");
    REQUIRE(r.found);
    CHECK(r.converged);
    REQUIRE(r.at_lower);
    REQUIRE(r.at_upper);
    CHECK(r.at_lower->probability >= tau);
    CHECK(r.at_upper->probability < tau);
    CHECK(r.model_evaluations == 1);
    if (classes == 7) CHECK(r.at_lower->error > 0.0);  // the QMC path, not a closed form

    // The linearization is exact for an affine model and p is non-increasing in σ, so the
    // true p(radius) lies in [p(upper), p(lower)], each known to its error estimate.
    const auto at_radius =
        taylor.estimate(affine, x, probust::isotropic_gaussian<double>(r.radius));
    const double allowed = (r.at_lower->probability - r.at_upper->probability) + r.at_lower->error +
                           r.at_upper->error + at_radius.error;
    INFO("p(radius) = " << at_radius.probability << ", allowed " << allowed);
    CHECK(allowed <= 1e-3);
    CHECK(std::abs(at_radius.probability - tau) <= allowed);

    // Independent bounds from the margins c_i = g_i/‖∇g_i‖ (z_i = c_i/σ):
    // p ≤ Φ(min_i z_i) (one margin) and 1 − p ≤ Σ_i Φ(−z_i) (Bonferroni).
    const Eigen::VectorXd f = affine.weights() * x + affine.bias();
    Eigen::Index t = 0;
    f.maxCoeff(&t);
    double single = 1.0, union_bound = 0.0;
    for (Eigen::Index i = 0; i < f.size(); ++i) {
      if (i == t) continue;
      const double ci = (f(t) - f(i)) / (affine.weights().row(t) - affine.weights().row(i)).norm();
      single = std::min(single, phi(ci / r.radius));
      union_bound += phi(-ci / r.radius);
    }
    CHECK(single >= tau - allowed);
    CHECK(union_bound >= 1.0 - tau - allowed);

    // And Monte Carlo at the radius: the 99.9% Clopper–Pearson interval of 10⁵ draws,
    // widened by `allowed`, contains τ.
    probust::monte_carlo_options mo;
    mo.sampling.samples = 100'000;
    mo.sampling.confidence = 0.999;
    mo.sampling.seed = 0xc0ffee;
    const auto mc = probust::monte_carlo_estimator<double>(mo).estimate(
        affine, x, probust::isotropic_gaussian<double>(r.radius));
    INFO("Monte Carlo [" << mc.lower << ", " << mc.upper << "]");
    CHECK(mc.lower - allowed <= tau);
    CHECK(tau <= mc.upper + allowed);
  }
}

TEST_CASE("robustness_radius: two classes never cross τ ≤ 1/2") {
  // p(σ) = Φ(m/(σ‖w‖)) > 1/2 for every σ.
  const two_class c(0.7);
  for (double tau : {0.4, 0.5}) {
    probust::radius_options o;
    o.threshold = tau;
    const auto r =
        probust::robustness_radius(probust::taylor_estimator<double>(), c.model, c.x0, o);
    INFO("tau " << tau << ": " << r.evaluations << " evaluations");
    CHECK_FALSE(r.found);
    CHECK(r.converged);
    CHECK(std::isinf(r.radius));
    CHECK(r.lower == o.sigma_max);
    CHECK(std::isinf(r.upper));
    REQUIRE(r.at_lower);
    CHECK_FALSE(r.at_upper);
    CHECK(r.at_lower->probability >= tau);
    CHECK(r.at_lower->probability == Approx(c.p(o.sigma_max)).epsilon(1e-14));
    CHECK(r.evaluations <= o.max_evaluations);
  }
}

TEST_CASE("robustness_radius: a point already below τ at sigma_min") {
  // Margin 1e-3: p(0.01) = Φ(1e-3/(0.01·‖w‖)) ≈ 0.54 < 0.9.
  const two_class c(1e-3);
  probust::radius_options o;
  o.sigma_min = 0.01;
  o.sigma_max = 10.0;
  const auto r = probust::robustness_radius(probust::taylor_estimator<double>(), c.model, c.x0, o);
  CHECK_FALSE(r.found);
  CHECK(r.converged);
  CHECK(r.radius == 0.0);
  CHECK(r.lower == 0.0);
  CHECK(r.upper == o.sigma_min);
  CHECK_FALSE(r.at_lower);
  REQUIRE(r.at_upper);
  CHECK(r.at_upper->probability == Approx(c.p(o.sigma_min)).epsilon(1e-14));
  // The automatic start c/Φ⁻¹(0.9) ≈ 6e-4 is clamped to sigma_min: one evaluation.
  CHECK(r.evaluations == 1);

  // A target class other than the prediction: p(σ) < τ at every σ here.
  probust::taylor_options other;
  other.target = 1;
  const auto r1 =
      probust::robustness_radius(probust::taylor_estimator<double>(other), c.model, c.x0, o);
  CHECK_FALSE(r1.found);
  CHECK(r1.radius == 0.0);
  CHECK(r1.upper == o.sigma_min);
}

TEST_CASE("robustness_radius: running out of evaluations is a result") {
  const two_class c(0.7);
  const probust::taylor_estimator<double> taylor;
  probust::radius_options o;
  o.relative_tolerance = 1e-14;
  o.max_evaluations = 4;
  const auto r = probust::robustness_radius(taylor, c.model, c.x0, o);
  CHECK(r.found);
  CHECK_FALSE(r.converged);
  CHECK(r.evaluations == 4);
  CHECK(c.p(r.lower) >= 0.9 - 1e-14);
  CHECK(c.p(r.upper) < 0.9 + 1e-14);

  // One evaluation, far below σ*, while walking upwards.
  o.max_evaluations = 1;
  o.sigma_start = 1e-3 * c.radius(0.9);
  const auto r1 = probust::robustness_radius(taylor, c.model, c.x0, o);
  CHECK_FALSE(r1.found);
  CHECK_FALSE(r1.converged);
  CHECK(r1.evaluations == 1);
  CHECK(r1.lower == o.sigma_start);
  CHECK(std::isinf(r1.upper));
  CHECK(std::isinf(r1.radius));
}

TEST_CASE("robustness_radius: invalid options throw naming the member") {
  const two_class c(0.7);
  const probust::taylor_estimator<double> taylor;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const auto message = [&](auto change) {
    probust::radius_options o;
    change(o);
    return error_of([&] { probust::robustness_radius(taylor, c.model, c.x0, o); });
  };
  const auto expect = [&](const std::string& member, auto change) {
    const std::string m = message(change);
    INFO(member << ": " << m);
    CHECK(contains(m, "probust::robustness_radius"));
    CHECK(contains(m, "options." + member));
  };
  for (double v : {0.0, 1.0, -0.5, nan}) expect("threshold", [v](auto& o) { o.threshold = v; });
  for (double v : {0.0, -1.0, nan, inf}) expect("sigma_min", [v](auto& o) { o.sigma_min = v; });
  for (double v : {1e-6, 1e-7, nan, inf}) expect("sigma_max", [v](auto& o) { o.sigma_max = v; });
  for (double v : {-1.0, 1e-7, 1e7, nan}) {
    expect("sigma_start", [v](auto& o) { o.sigma_start = v; });
  }
  for (double v : {0.0, -1e-3, nan, inf}) {
    expect("relative_tolerance", [v](auto& o) { o.relative_tolerance = v; });
  }
  expect("max_evaluations", [](auto& o) { o.max_evaluations = 0; });
  // sigma_min that rounds to 0 in float.
  const probust::affine_model<float> model_float(c.model.weights().cast<float>(),
                                                 c.model.bias().cast<float>());
  const Eigen::VectorXf xf = c.x0.cast<float>();
  probust::radius_options tiny;
  tiny.sigma_min = 1e-50;
  CHECK(contains(error_of([&] {
                   probust::robustness_radius(probust::taylor_estimator<float>(), model_float, xf,
                                              tiny);
                 }),
                 "options.sigma_min"));
}

TEST_CASE("robustness_radius: Monte Carlo on two classes, within its binomial band") {
  // With common random numbers, p̂(σ) = #{j : m + σ w·z_j > 0}/n is non-increasing in σ,
  // so the bracket p̂(lower) ≥ τ > p̂(upper) pins σ* as follows. Let σ_± be the σ where the
  // true p is τ ± δ. If upper < σ_+, then p̂(σ_+) ≤ p̂(upper) < τ = p(σ_+) − δ; if
  // lower > σ_−, then p̂(σ_−) ≥ τ = p(σ_−) + δ. With δ = 3.29·√(τ(1 − τ)/n) (the
  // two-sided 99.9% normal band of a binomial proportion) each has probability ≈ 5e-4
  // over seeds, and lower ≤ radius ≤ upper ≤ lower·(1 + tol) then gives
  // σ_+/(1 + tol) ≤ radius ≤ σ_−·(1 + tol). For n = 4000, τ = 0.9: δ = 0.0156, about ±7%
  // in σ. The seed is fixed (the default), so the check is deterministic.
  const two_class c(0.5);
  probust::monte_carlo_options mo;
  mo.sampling.samples = 4000;
  const probust::monte_carlo_estimator<double> mc(mo);
  const double tau = 0.9, n = 4000.0;
  probust::radius_options o;
  o.threshold = tau;
  const auto r = probust::robustness_radius(mc, c.model, c.x0, o);
  const double delta = 3.29 * std::sqrt(tau * (1.0 - tau) / n);
  const double sigma_plus = c.radius(tau + delta), sigma_minus = c.radius(tau - delta);
  INFO("radius " << r.radius << ", closed form " << c.radius(tau) << ", band [" << sigma_plus
                 << ", " << sigma_minus << "], " << r.evaluations << " evaluations");
  REQUIRE(r.found);
  CHECK(r.converged);
  CHECK(r.at_lower->probability >= tau);
  CHECK(r.at_upper->probability < tau);
  CHECK(r.radius >= sigma_plus / (1.0 + o.relative_tolerance));
  CHECK(r.radius <= sigma_minus * (1.0 + o.relative_tolerance));
  CHECK(r.model_evaluations == r.evaluations * (1 + mo.sampling.samples));
}
