// Regression and property tests of the MVN engine on inputs that broke it: rank-deficient
// factors, limits and scales at the ends of the double range, zero sizes, point intervals,
// and every option out of range. References are Monte Carlo with intervals at a fixed seed,
// closed forms (Φ, orthant probabilities) and the same problem at another scale.
#include <Eigen/Dense>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "catch_shim.hpp"
#include "probust/mvn/cdf.hpp"
#include "probust/estimators/control_variate.hpp"
#include "probust/estimators/mmse.hpp"
#include "probust/estimators/monte_carlo.hpp"
#include "probust/estimators/mv_sigmoid.hpp"
#include "probust/estimators/taylor.hpp"
#include "probust/models/affine.hpp"
#include "probust/mvn/polytope.hpp"
#include "probust/noise.hpp"
#include "probust/random.hpp"
#include "test_support.hpp"

using probust::mvn_options;
using probust::mvn_result;
using probust_test::contains;
using probust_test::equicorrelated;
using probust_test::error_of;
using probust_test::phi;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double pi = 3.14159265358979323846;

// The invariants of every result: no NaN, p and 1 − p in [0, 1], and never converged with
// an error that is not a finite number.
void check_invariants(const mvn_result& r) {
  CHECK_FALSE(std::isnan(r.probability));
  CHECK_FALSE(std::isnan(r.complement));
  CHECK_FALSE(std::isnan(r.log_probability));
  CHECK_FALSE(std::isnan(r.error));
  CHECK_FALSE(std::isnan(r.complement_error));
  CHECK(r.probability >= 0.0);
  CHECK(r.probability <= 1.0);
  if (r.converged) {
    CHECK(std::isfinite(r.error));
    CHECK(std::isfinite(r.complement_error));
  }
}

// The generator: a k × r factor with iid uniform(−1, 1) entries from mt19937_64
// seeded with k·31 + r (std::mt19937_64 is specified bit-exactly; the uniform mapping is
// done by hand so every standard library gives the same matrix).
Eigen::MatrixXd uniform_factor(int k, int r) {
  std::mt19937_64 gen(static_cast<std::uint64_t>(k) * 31 + static_cast<std::uint64_t>(r));
  Eigen::MatrixXd a(k, r);
  for (Eigen::Index j = 0; j < r; ++j) {
    for (Eigen::Index i = 0; i < k; ++i) {
      a(i, j) = -1.0 + 2.0 * static_cast<double>(gen() >> 11) * 0x1.0p-53;
    }
  }
  return a;
}

// Monte-Carlo estimate of P(F z ≤ b), z ~ N(0, I_r), with n draws at a fixed seed.
struct mc_estimate {
  double p;
  double sd;  // binomial standard deviation of the estimate
};
mc_estimate monte_carlo(const Eigen::MatrixXd& f, const Eigen::VectorXd& b, int n,
                        std::uint64_t id) {
  const Eigen::MatrixXd z = probust_test::normal_matrix(f.cols(), n, 0x5eed, id);
  const Eigen::MatrixXd x = f * z;
  int hits = 0;
  for (int s = 0; s < n; ++s) hits += (x.col(s).array() <= b.array()).all() ? 1 : 0;
  const double p = static_cast<double>(hits) / n;
  return {p, std::sqrt(std::max(p * (1.0 - p), 1.0 / n) / n)};
}

// The engine's p agrees with Monte Carlo: within 4.5 binomial standard deviations plus the
// engine's own reported error (a false alarm at this fixed seed has probability < 1e-5).
void check_against_monte_carlo(const mvn_result& r, const mc_estimate& mc) {
  INFO("engine p = " << r.probability << " ± " << r.error << ", Monte Carlo " << mc.p << " ± "
                     << mc.sd << " (1 sd)");
  check_invariants(r);
  CHECK(r.converged);
  CHECK(std::abs(r.probability - mc.p) <= 4.5 * mc.sd + r.error);
}

}  // namespace

TEST_CASE("rank-deficient factors from the reliability report agree with Monte Carlo",
          "[reliability][rank]") {
  struct repro {
    int k, r;
    double limit;
  };
  // Before the fix: 200×3 gave p = 0 with error NaN and converged = true; 3000×3 threw
  // "not positive semi-definite"; 1000×10 gave p = 0 (Monte Carlo: 0.00108).
  for (const repro c : {repro{200, 3, 0.5}, repro{3000, 3, 0.5}, repro{1000, 10, 2.0}}) {
    INFO(c.k << " x " << c.r << ", limits " << c.limit);
    const Eigen::MatrixXd f = uniform_factor(c.k, c.r);
    const Eigen::VectorXd b = Eigen::VectorXd::Constant(c.k, c.limit);
    mvn_options opt;
    opt.abs_tol = 1e-3;
    const mvn_result r = probust::mvn_cdf_from_factor(b, f, opt);
    CHECK(r.dimension == c.r);
    check_against_monte_carlo(r, monte_carlo(f, b, 40000, static_cast<std::uint64_t>(c.k)));
  }
}

TEST_CASE("rank-deficient factors that threw 'not positive semi-definite' give a result",
          "[reliability][rank]") {
  // 200×20 and 1000×20 with limits 0.5: p is far below what Monte Carlo can see here; the
  // factor can never be non-PSD, so the engine must answer (within a small budget here),
  // with the right rank and honest flags.
  for (const int k : {200, 1000}) {
    const Eigen::MatrixXd f = uniform_factor(k, 20);
    mvn_options opt;
    opt.max_points = 20000;
    const mvn_result r =
        probust::mvn_cdf_from_factor(Eigen::VectorXd::Constant(k, 0.5), f, opt);
    check_invariants(r);
    CHECK(r.dimension == 20);
    CHECK(r.probability <= 1e-4 + r.error);
  }
}

TEST_CASE("random rank-deficient factors: rank and probability (property)",
          "[reliability][rank][property]") {
  // Rows are normal vectors scaled by random row scales over 12 orders of magnitude; every
  // limit is c‖F_i‖ with c chosen so that p is moderate, so Monte Carlo can check it.
  struct shape {
    int k, r;
  };
  std::uint64_t id = 0;
  for (const shape s : {shape{10, 1}, shape{50, 2}, shape{300, 3}, shape{3000, 2},
                        shape{100, 5}, shape{19, 10}, shape{600, 10}, shape{150, 20}}) {
    ++id;
    INFO(s.k << " x " << s.r);
    Eigen::MatrixXd f = probust_test::normal_matrix(s.k, s.r, 0xfac7, id);
    const Eigen::MatrixXd scales = probust_test::normal_matrix(s.k, 1, 0x5ca1e, id);
    const double c = std::sqrt(static_cast<double>(s.r)) + 0.7;
    Eigen::VectorXd b(s.k);
    for (Eigen::Index i = 0; i < s.k; ++i) {
      f.row(i) *= std::pow(10.0, 2.0 * scales(i, 0));
      b(i) = c * f.row(i).norm();
    }
    mvn_options opt;
    opt.abs_tol = 1e-3;
    const mvn_result r = probust::mvn_cdf_from_factor(b, f, opt);
    CHECK(r.dimension == s.r);
    check_against_monte_carlo(r, monte_carlo(f, b, 20000, 100 + id));
  }
}

TEST_CASE("limits and means beyond the double range of squares give the right p",
          "[reliability][overflow]") {
  const Eigen::MatrixXd r5 = equicorrelated(5, 0.5);
  // Before the fix: a heap-buffer-overflow write and p = 1 (the truth is 0).
  const mvn_result low = probust::mvn_cdf(Eigen::VectorXd::Constant(5, -1e300), r5);
  CHECK(low.probability == 0.0);
  CHECK(low.log_probability == -inf);
  check_invariants(low);
  // An upper limit of 1e300 is no constraint: P(X ≤ 1e300 in every coordinate) = 1.
  const mvn_result high = probust::mvn_cdf(Eigen::VectorXd::Constant(5, 1e300), r5);
  CHECK(high.probability == 1.0);
  // A mean of 1e300: X ≤ 0 is impossible; X ≥ −inf, X ≤ +inf is certain.
  const Eigen::VectorXd lower = Eigen::VectorXd::Constant(5, -inf);
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(5);
  const Eigen::VectorXd far = Eigen::VectorXd::Constant(5, 1e300);
  CHECK(probust::mvn_cdf(lower, zero, far, r5).probability == 0.0);
  // Half of the limits beyond, half at 0: the equicorrelated ρ = 1/2 orthant in 2-D
  // (the far limits drop out): P = 1/4 + asin(1/2)/(2π) = 1/3.
  Eigen::VectorXd mixed = Eigen::VectorXd::Constant(5, 1e250);
  mixed(1) = 0.0;
  mixed(3) = 0.0;
  CHECK(probust::mvn_cdf(mixed, r5).probability == Approx(1.0 / 3.0).epsilon(1e-12));
}

TEST_CASE("every entry point is scale invariant over 1e±150", "[reliability][scale]") {
  // A 3-constraint problem (closed form, exact) and a 6-constraint one (QMC): p for
  // (c·b, c·F) must equal p for (b, F) for every scale c.
  Eigen::MatrixXd f3(3, 3);
  f3 << 1, 0, 0, 0.5, 0.8, 0, 0.2, 0.3, 0.9;
  Eigen::VectorXd b3(3);
  b3 << 0.5, 0.7, 1.0;
  const Eigen::MatrixXd f6 = probust_test::normal_matrix(6, 4, 0x5ca1e, 1);
  const Eigen::VectorXd b6 = Eigen::VectorXd::LinSpaced(6, 0.2, 1.5);
  const Eigen::MatrixXd sigma3 = f3 * f3.transpose();
  const mvn_result ref3 = probust::mvn_cdf_from_factor(b3, f3);
  const mvn_result ref6 = probust::mvn_cdf_from_factor(b6, f6);
  CHECK(ref3.probability > 0.3);
  CHECK(ref6.probability > 0.05);
  for (const double c : {1e-150, 1e-100, 1e-30, 1e30, 1e100, 1e150}) {
    INFO("scale " << c);
    const auto same3 = [&](const mvn_result& r) {
      check_invariants(r);
      CHECK(r.probability == Approx(ref3.probability).epsilon(1e-12));
    };
    const auto same6 = [&](const mvn_result& r) {
      check_invariants(r);
      CHECK(r.converged);
      CHECK(std::abs(r.probability - ref6.probability) <= r.error + ref6.error);
    };
    same3(probust::mvn_cdf_from_factor(c * b3, c * f3));
    same6(probust::mvn_cdf_from_factor(c * b6, c * f6));
    same3(probust::mvn_cdf(c * b3, (c * f3) * (c * f3).transpose()));
    same3(probust::mvn_cdf(Eigen::VectorXd::Constant(3, -inf), c * b3, Eigen::VectorXd::Zero(3),
                           (c * f3) * (c * f3).transpose()));
    // A ε ≤ b with A scaled by c and ε's covariance by 1/c² (or the factor by 1/c).
    same3(probust::polytope_probability(c * Eigen::MatrixXd::Identity(3, 3), c * b3, sigma3));
    same3(probust::polytope_probability(Eigen::MatrixXd::Identity(3, 3), c * b3,
                                        (c * f3) * (c * f3).transpose()));
    same3(probust::polytope_probability(c * f3, c * b3, Eigen::MatrixXd::Identity(3, 3)));
    same6(probust::polytope_probability_from_factor(c * f6, c * b6,
                                                    Eigen::MatrixXd::Identity(4, 4)));
    same6(probust::polytope_probability_from_factor(f6, c * b6,
                                                    c * Eigen::MatrixXd::Identity(4, 4)));
  }
}

TEST_CASE("scales that differ between coordinates are compared with their own limits",
          "[reliability][scale]") {
  // X₂ has standard deviation 1e-15 and limit 1e-15: P(X₁ ≤ 10, X₂ ≤ 1e-15) = Φ(10)Φ(1).
  // Before the fix: 1 (X₂ was taken as deterministic, its variance below 1e-28·max).
  Eigen::VectorXd b(2);
  b << 10.0, 1e-15;
  Eigen::MatrixXd sigma = Eigen::MatrixXd::Zero(2, 2);
  sigma(0, 0) = 1.0;
  sigma(1, 1) = 1e-30;
  CHECK(probust::mvn_cdf(b, sigma).probability == Approx(phi(10.0) * phi(1.0)).epsilon(1e-12));
  // A covariance of 1e-300·R is valid (before: "not positive semi-definite").
  const Eigen::MatrixXd r5 = equicorrelated(5, 0.5);
  const mvn_result tiny = probust::mvn_cdf(Eigen::VectorXd::Zero(5), 1e-300 * r5);
  check_invariants(tiny);
  CHECK(std::abs(tiny.probability - 1.0 / 6.0) <= tiny.error);  // ρ = 1/2 orthant: 1/(k+1)
}

TEST_CASE("zero constraints or zero noise dimensions are certain or deterministic",
          "[reliability][empty]") {
  const Eigen::VectorXd none(0);
  const Eigen::MatrixXd empty(0, 0);
  CHECK(probust::mvn_cdf(none, empty).probability == 1.0);
  CHECK(probust::mvn_cdf(none, none, none, empty).probability == 1.0);
  CHECK(probust::mvn_cdf_from_factor(none, Eigen::MatrixXd(0, 3)).probability == 1.0);
  CHECK(probust::polytope_probability(empty, none, empty).probability == 1.0);
  CHECK(probust::polytope_probability_from_factor(Eigen::MatrixXd(0, 2), none,
                                                  Eigen::MatrixXd::Identity(2, 2))
            .probability == 1.0);
  // No noise dimension: A ε = 0, so the constraints hold exactly when every b_i ≥ 0.
  Eigen::VectorXd b3(3);
  b3 << 0.5, 0.0, 2.0;
  CHECK(probust::polytope_probability(Eigen::MatrixXd(3, 0), b3, empty).probability == 1.0);
  CHECK(probust::mvn_cdf_from_factor(b3, Eigen::MatrixXd(3, 0)).probability == 1.0);
  b3(1) = -1e-300;
  CHECK(probust::polytope_probability(Eigen::MatrixXd(3, 0), b3, empty).probability == 0.0);
  // k = 1 with zero variance.
  Eigen::MatrixXd zero1 = Eigen::MatrixXd::Zero(1, 1);
  CHECK(probust::mvn_cdf(Eigen::VectorXd::Constant(1, 0.5), zero1).probability == 1.0);
  CHECK(probust::mvn_cdf(Eigen::VectorXd::Constant(1, -0.5), zero1).probability == 0.0);
  // Mismatched sizes are contract violations, not crashes.
  const std::string mismatch = error_of([&] {
    probust::polytope_probability(Eigen::MatrixXd::Identity(2, 2), Eigen::VectorXd::Zero(2),
                                  empty);
  });
  CHECK(contains(mismatch, "probust::polytope_probability: A's column count has size 2"));
  CHECK(contains(error_of([&] { probust::mvn_cdf(Eigen::VectorXd::Zero(1), empty); }),
                 "probust::mvn_cdf: upper has size 1"));
}

TEST_CASE("an interval of zero width has probability 0 at once", "[reliability][point]") {
  // Before the fix: k ≥ 4 spent the whole 4M-point budget and returned NaN.
  for (const int k : {2, 3, 4, 7}) {
    INFO("k = " << k);
    Eigen::VectorXd lower = Eigen::VectorXd::Constant(k, -inf);
    Eigen::VectorXd upper = Eigen::VectorXd::Ones(k);
    lower(0) = 0.0;
    upper(0) = 0.0;
    const mvn_result r =
        probust::mvn_cdf(lower, upper, Eigen::VectorXd::Zero(k), equicorrelated(k, 0.5));
    check_invariants(r);
    CHECK(r.probability == 0.0);
    CHECK(r.converged);
    CHECK(r.points == 0);
  }
}

TEST_CASE("every option out of range is rejected with its name", "[reliability][options]") {
  const Eigen::VectorXd b = Eigen::VectorXd::Constant(5, 0.5);
  const Eigen::MatrixXd r5 = equicorrelated(5, 0.5);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto rejected = [&](const mvn_options& opt, const std::string& member) {
    INFO(member);
    CHECK(contains(error_of([&] { probust::mvn_cdf(b, r5, opt); }),
                   "probust::mvn_cdf: options." + member + " must be"));
    CHECK(contains(error_of([&] { probust::mvn_cdf_from_factor(b, r5, opt); }),
                   "probust::mvn_cdf_from_factor: options." + member + " must be"));
  };
  for (const double bad : {nan, -1.0, -inf}) {
    mvn_options o;
    o.abs_tol = bad;
    rejected(o, "abs_tol");
    o = {};
    o.rel_tol = bad;
    rejected(o, "rel_tol");
  }
  for (const double bad : {nan, -1.0, 0.0, inf}) {
    mvn_options o;
    o.complement_rel_tol = bad;
    rejected(o, "complement_rel_tol");
  }
  for (const double bad : {nan, -1.0, 1.0, 2.0, inf}) {
    mvn_options o;
    o.rank_tol = bad;
    rejected(o, "rank_tol");
  }
  for (const int bad : {1, 0, -1}) {
    mvn_options o;
    o.randomizations = bad;
    rejected(o, "randomizations");
  }
  for (const double bad : {nan, 0.0, -1.0}) {
    mvn_options o;
    o.max_work = bad;
    rejected(o, "max_work");
  }
  mvn_options o;
  o.max_points = 0;
  rejected(o, "max_points");
  o = {};
  o.initial_points = 0;
  rejected(o, "initial_points");
  // Valid extremes: infinite tolerances are met at once, a budget of 1 point runs one
  // point per randomization and says it did not converge.
  o = {};
  o.abs_tol = inf;
  o.rel_tol = inf;
  check_invariants(probust::mvn_cdf(b, r5, o));
  o = {};
  o.max_points = 1;
  const mvn_result tight = probust::mvn_cdf(b, r5, o);
  check_invariants(tight);
  CHECK_FALSE(tight.converged);
  CHECK(tight.points == static_cast<std::uint64_t>(o.randomizations));
  // The work budget: points × k × rank ≤ max_work (k = rank = 5 here: 25 per point).
  o = {};
  o.abs_tol = 1e-9;
  o.max_work = 25.0 * 8 * 100;
  const mvn_result bounded = probust::mvn_cdf(b, r5, o);
  CHECK_FALSE(bounded.converged);
  CHECK(bounded.points == 8 * 100);
  // The rare-event path (p near 1) takes the same options (before: an error naming
  // union_probability).
  o = {};
  o.max_points = 0;
  CHECK(contains(error_of([&] { probust::mvn_cdf(Eigen::VectorXd::Constant(5, 4.0), r5, o); }),
                 "probust::mvn_cdf: options.max_points must be"));
}

TEST_CASE("huge and tiny factors keep the bivariate orthant closed form",
          "[reliability][scale]") {
  // P(G z ≤ 0) for G with two rows: 1/4 + asin(ρ)/(2π), ρ the rows' correlation; the
  // limits g = 1e-140·(1, 1) are negligible at any scale of G below 1e150.
  Eigen::MatrixXd g(2, 3);
  g << 1.0, 0.5, -0.3, 0.2, -0.7, 0.4;
  const double rho = g.row(0).dot(g.row(1)) / (g.row(0).norm() * g.row(1).norm());
  const double orthant = 0.25 + std::asin(rho) / (2.0 * pi);
  for (const double c : {1.0, 1e100, 1e150, 1e-100}) {
    INFO("scale " << c);
    const mvn_result r =
        probust::mvn_cdf_from_factor(Eigen::VectorXd::Constant(2, 1e-140 * std::min(c, 1.0)),
                                     c * g);
    CHECK(r.probability == Approx(orthant).epsilon(1e-12));
  }
}

TEST_CASE("estimators under noise of scale 1e160 agree with the orthant closed form",
          "[reliability][scale][estimators]") {
  // An affine model with 3 classes: the margins g = (w_t − w_i)·x + (c_t − c_i) are O(1),
  // so under σ = 1e160 they are negligible and p = P(G z > 0) for the 2 margin rows,
  // 1/4 + asin(ρ)/(2π) (ρ the correlation of the rows of G). Before the fix Taylor, the
  // mv-sigmoid and the control variate gave 1 and MMSE 0, while Monte Carlo gave ≈ 0.35.
  Eigen::MatrixXd w(3, 4);
  w << 1.0, 0.5, -0.3, 0.2, -0.7, 0.4, 0.1, 0.3, 0.2, -0.2, 0.6, -0.5;
  const Eigen::VectorXd c = Eigen::VectorXd::Zero(3);
  const probust::affine_model<double> model(w, c);
  const Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(4, 0.5, 2.0);
  const probust::isotropic_gaussian<> noise{1e160};
  const Eigen::VectorXd logits = w * x;
  Eigen::Index t = 0;
  logits.maxCoeff(&t);
  Eigen::MatrixXd g(2, 4);
  for (Eigen::Index i = 0, row = 0; i < 3; ++i) {
    if (i != t) g.row(row++) = w.row(t) - w.row(i);
  }
  const double rho = g.row(0).dot(g.row(1)) / (g.row(0).norm() * g.row(1).norm());
  const double truth = 0.25 + std::asin(rho) / (2.0 * pi);

  const probust::robustness_result taylor = probust::taylor_estimator<>{}.estimate(model, x, noise);
  CHECK(taylor.probability == Approx(truth).epsilon(1e-10));
  const probust::robustness_result mc =
      probust::monte_carlo_estimator<>{}.estimate(model, x, noise);
  CHECK(mc.lower <= truth);
  CHECK(truth <= mc.upper);
  const probust::robustness_result cv =
      probust::control_variate_estimator<>{}.estimate(model, x, noise);
  CHECK(cv.lower <= truth);
  CHECK(truth <= cv.upper);
  // mv-sigmoid: every z_i = g_i/‖(GF)_i‖ ≈ 0, so p = 1/(1 + 2).
  const probust::robustness_result mvs =
      probust::taylor_mv_sigmoid_estimator<>{}.estimate(model, x, noise);
  CHECK(mvs.probability == Approx(1.0 / 3.0).epsilon(1e-10));
  // MMSE averages margins over draws of the noise; the same draws at σ = 1 on the problem
  // scaled by 1e-160 (x and biases) give the same standardized problem.
  const probust::robustness_result mmse = probust::mmse_estimator<>{}.estimate(model, x, noise);
  const probust::affine_model<double> small(w, c * 1e-160);
  const probust::robustness_result mmse_small = probust::mmse_estimator<>{}.estimate(
      small, Eigen::VectorXd(x * 1e-160), probust::isotropic_gaussian<>{1.0});
  CHECK(std::abs(mmse.probability - mmse_small.probability) <=
        (mmse.upper - mmse.lower) + (mmse_small.upper - mmse_small.lower) + 1e-12);
  // A scale whose G·F overflows the double range (1e3·1e307) is named, not answered.
  const probust::affine_model<double> steep(w * 1e3, c);
  CHECK(contains(error_of([&] {
                   probust::taylor_estimator<>{}.estimate(steep, x,
                                                          probust::isotropic_gaussian<>{1e307});
                 }),
                 "overflows the double range"));
}
