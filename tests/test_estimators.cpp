// The robustness estimators and the binomial intervals, each against an independent truth:
// published and defining-property values of the Clopper–Pearson and Wilson intervals;
// closed forms (K = 2: Φ(g/(σ‖∇g‖)) with std::erfc; d = 1: an interval of ε); Monte
// Carlo with a Clopper–Pearson interval for affine models (where the linearization is
// exact), including d < K − 1; repeated-trial coverage of the Monte-Carlo interval;
// MMSE against Taylor on affine models; the paper's jitter against an independent
// quadrature; float against double; a tanh network against Monte Carlo at small σ;
// softmax and mv-sigmoid from their formulas; degenerate inputs.
//
// No expected value below is copied from the library's output: each is a formula
// evaluated here, a published table value, or a Monte-Carlo interval.
#include <Eigen/Dense>
#include <boost/math/distributions/beta.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "catch_shim.hpp"
#include "test_support.hpp"
#include "probust/estimators/linearization.hpp"
#include "probust/estimators/mmse.hpp"
#include "probust/estimators/monte_carlo.hpp"
#include "probust/estimators/mv_sigmoid.hpp"
#include "probust/estimators/result.hpp"
#include "probust/estimators/softmax.hpp"
#include "probust/estimators/taylor.hpp"
#include "probust/models/affine.hpp"
#include "probust/models/dense_network.hpp"
#include "probust/noise.hpp"
#include "probust/random.hpp"
#include "probust/stats.hpp"

namespace {

using probust_test::contains;
using probust_test::error_of;
using probust_test::normal_matrix;
using probust_test::phi;
double phi_complement(double x) { return 0.5 * std::erfc(x / std::sqrt(2.0)); }
double phi_density(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI); }

probust::affine_model<double> random_affine(int classes, int d, std::uint64_t id) {
  return probust_test::random_affine(classes, d, id, 0xaff1);
}

// Margins, their gradients and the target, written out independently of the library
// (argmax ties → lowest index).
struct margins_t {
  int target;
  Eigen::VectorXd g;
  Eigen::MatrixXd grad;
};

margins_t affine_margins(const probust::affine_model<double>& m, const Eigen::VectorXd& x,
                         int target = -1) {
  const Eigen::VectorXd f = m.weights() * x + m.bias();
  int t = target;
  if (t < 0) {
    t = 0;
    for (int i = 1; i < f.size(); ++i) {
      if (f(i) > f(t)) t = i;
    }
  }
  margins_t out{t, Eigen::VectorXd(f.size() - 1), Eigen::MatrixXd(f.size() - 1, x.size())};
  int row = 0;
  for (int i = 0; i < f.size(); ++i) {
    if (i == t) continue;
    out.g(row) = f(t) - f(i);
    out.grad.row(row) = m.weights().row(t) - m.weights().row(i);
    ++row;
  }
  return out;
}

// σ for isotropic noise such that the smallest normalized margin g_i / (σ‖∇g_i‖) is z.
double sigma_for(const margins_t& m, double z) {
  double best = std::numeric_limits<double>::infinity();
  for (Eigen::Index i = 0; i < m.g.size(); ++i)
    best = std::min(best, m.g(i) / m.grad.row(i).norm());
  return best / z;
}

// P(Bin(n, p) ≤ h) and P(Bin(n, p) ≥ h) by direct summation of the pmf in long double
// (lgamma for the binomial coefficients): an evaluation independent of Boost's beta
// functions.
long double binomial_pmf(std::uint64_t n, std::uint64_t i, long double p) {
  const long double ln = std::lgamma(static_cast<long double>(n) + 1) -
                         std::lgamma(static_cast<long double>(i) + 1) -
                         std::lgamma(static_cast<long double>(n - i) + 1) +
                         static_cast<long double>(i) * std::log(p) +
                         static_cast<long double>(n - i) * std::log1p(-p);
  return std::exp(ln);
}
long double binomial_cdf(std::uint64_t h, std::uint64_t n, long double p) {
  long double s = 0;
  for (std::uint64_t i = 0; i <= h; ++i) s += binomial_pmf(n, i, p);
  return s;
}
long double binomial_sf(std::uint64_t h, std::uint64_t n, long double p) {
  long double s = 0;
  for (std::uint64_t i = h; i <= n; ++i) s += binomial_pmf(n, i, p);
  return s;
}


// |a − b| ≤ tol, with both printed on failure.
#define CHECK_CLOSE(a, b, tol)                                     \
  do {                                                             \
    const double a_ = (a), b_ = (b), t_ = (tol);                   \
    INFO(#a " = " << a_ << ", " #b " = " << b_ << ", tol " << t_); \
    CHECK(std::abs(a_ - b_) <= t_);                                \
  } while (0)

}  // namespace

// ------------------------------------------------------------------------------------------
// Binomial intervals
// ------------------------------------------------------------------------------------------

TEST_CASE("clopper_pearson_interval: closed forms at hits = 0 and hits = n") {
  // hits = 0: P(Bin(n, u) ≤ 0) = (1 − u)^n = α/2 ⇒ u = 1 − (α/2)^{1/n}; hits = n by symmetry.
  for (std::uint64_t n : {1ULL, 2ULL, 10ULL, 137ULL, 10000ULL, 1000000ULL}) {
    for (double confidence : {0.5, 0.9, 0.95, 0.999}) {
      const double half_alpha = (1.0 - confidence) / 2.0;
      const double edge = std::pow(half_alpha, 1.0 / static_cast<double>(n));
      const auto none = probust::clopper_pearson_interval(0, n, confidence);
      CHECK(none.lower == 0.0);
      CHECK(none.upper == Approx(1.0 - edge).epsilon(1e-10));
      const auto all = probust::clopper_pearson_interval(n, n, confidence);
      CHECK(all.upper == 1.0);
      CHECK(all.lower == Approx(edge).epsilon(1e-10));
    }
  }
}

TEST_CASE("clopper_pearson_interval: the binomial tails at its ends are α/2") {
  // The defining property, checked with an independent pmf summation in long double; the
  // tail of a summed pmf is accurate to ~1e-15 relative, so 1e-8 leaves room for the
  // inversion's own tolerance.
  const double confidence = 0.95, half_alpha = 0.025;
  for (std::uint64_t n : {5ULL, 40ULL, 263ULL, 2000ULL}) {
    for (std::uint64_t hits : {std::uint64_t(1), n / 7, n / 2, n - 1}) {
      if (hits == 0) continue;
      const auto ci = probust::clopper_pearson_interval(hits, n, confidence);
      INFO("hits " << hits << " n " << n);
      CHECK(static_cast<double>(binomial_sf(hits, n, ci.lower)) ==
            Approx(half_alpha).epsilon(1e-8));
      CHECK(static_cast<double>(binomial_cdf(hits, n, ci.upper)) ==
            Approx(half_alpha).epsilon(1e-8));
      // And the Beta-quantile form via Boost's distribution objects.
      const double a = static_cast<double>(hits), b = static_cast<double>(n - hits);
      CHECK(ci.lower == Approx(boost::math::quantile(
                                   boost::math::beta_distribution<>(a, b + 1), half_alpha))
                            .epsilon(1e-12));
      CHECK(ci.upper == Approx(boost::math::quantile(
                                   boost::math::beta_distribution<>(a + 1, b), 1 - half_alpha))
                            .epsilon(1e-12));
    }
  }
}

TEST_CASE("binomial intervals reproduce Newcombe's published table") {
  // R. G. Newcombe, "Two-sided confidence intervals for the single proportion: comparison
  // of seven methods", Statistics in Medicine 17 (1998) 857–872, Table II (95%, 4 decimals;
  // tolerance half a unit in the last place plus rounding slack).
  struct row {
    std::uint64_t hits, n;
    double cp_lower, cp_upper, wilson_lower, wilson_upper;
  };
  const row table[] = {
      {81, 263, 0.2527, 0.3676, 0.2553, 0.3662},
      {15, 148, 0.0578, 0.1617, 0.0624, 0.1605},
      {0, 20, 0.0, 0.1684, 0.0, 0.1611},
      {1, 29, 0.0009, 0.1776, 0.0061, 0.1718},
  };
  for (const row& r : table) {
    INFO(r.hits << "/" << r.n);
    const auto cp = probust::clopper_pearson_interval(r.hits, r.n, 0.95);
    const auto w = probust::wilson_interval(r.hits, r.n, 0.95);
    CHECK_CLOSE(cp.lower, r.cp_lower, 6e-5);
    CHECK_CLOSE(cp.upper, r.cp_upper, 6e-5);
    CHECK_CLOSE(w.lower, r.wilson_lower, 6e-5);
    CHECK_CLOSE(w.upper, r.wilson_upper, 6e-5);
  }
}

TEST_CASE("wilson_interval: its ends solve the score equation") {
  // Wilson's interval is {p : |p̂ − p| ≤ z √(p(1 − p)/n)}; its ends satisfy the equality.
  const double z = 1.959963984540054;  // Φ⁻¹(0.975)
  for (std::uint64_t n : {10ULL, 100ULL, 2000ULL}) {
    for (std::uint64_t hits : {std::uint64_t(1), n / 3, n - 1}) {
      const auto w = probust::wilson_interval(hits, n, 0.95);
      const double p_hat = static_cast<double>(hits) / static_cast<double>(n);
      for (double p : {w.lower, w.upper}) {
        CHECK(std::abs(p_hat - p) ==
              Approx(z * std::sqrt(p * (1 - p) / static_cast<double>(n))).epsilon(1e-9));
      }
    }
  }
  const auto none = probust::wilson_interval(0, 50, 0.95);
  const auto all = probust::wilson_interval(50, 50, 0.95);
  CHECK(none.lower == 0.0);
  CHECK(all.upper == 1.0);
  CHECK(all.lower == Approx(1.0 - none.upper).epsilon(1e-12));
}

TEST_CASE("binomial intervals reject invalid arguments") {
  CHECK_THROWS_AS(probust::clopper_pearson_interval(1, 0, 0.95), probust::invalid_argument);
  CHECK_THROWS_AS(probust::clopper_pearson_interval(5, 4, 0.95), probust::invalid_argument);
  CHECK_THROWS_AS(probust::wilson_interval(1, 4, 1.0), probust::invalid_argument);
  CHECK_THROWS_AS(probust::wilson_interval(1, 4, 0.0), probust::invalid_argument);
  {
    const std::string msg = error_of([&] { probust::clopper_pearson_interval(1, 4, 1.5); });
    INFO(msg);
    CHECK((contains(msg, "probust::clopper_pearson_interval")));
  }
}

// ------------------------------------------------------------------------------------------
// Linearization
// ------------------------------------------------------------------------------------------

TEST_CASE("linearize: target, margins and gradient rows; ties go to the lowest index") {
  Eigen::MatrixXd w(4, 2);
  w << 1, 2, 3, 4, 5, 6, 7, 8;
  Eigen::VectorXd b(4);
  b << 1.0, 3.0, 3.0, -2.0;  // classes 1 and 2 tie at x = 0
  const probust::affine_model<double> model(w, b);
  const Eigen::VectorXd x = Eigen::VectorXd::Zero(2);
  CHECK(probust::predicted_class(b) == 1);
  const auto lin = probust::linearize(model, x);
  REQUIRE(lin.target == 1);
  REQUIRE(lin.margins.size() == 3);
  CHECK(lin.margins(0) == 2.0);   // f_1 − f_0
  CHECK(lin.margins(1) == 0.0);   // f_1 − f_2
  CHECK(lin.margins(2) == 5.0);   // f_1 − f_3
  CHECK(lin.gradient.row(0) == (w.row(1) - w.row(0)));
  CHECK(lin.gradient.row(2) == (w.row(1) - w.row(3)));
  CHECK(lin.jacobian == probust::jacobian_source::user);
  CHECK(lin.model_evaluations == 1);
  const auto other = probust::linearize(model, x, 3);
  CHECK(other.target == 3);
  CHECK(other.margins(0) == -3.0);
  CHECK_THROWS_AS(probust::linearize(model, x, 4), probust::invalid_argument);
  CHECK_THROWS_AS(probust::linearize(model, x, -2), probust::invalid_argument);
}

// ------------------------------------------------------------------------------------------
// Taylor
// ------------------------------------------------------------------------------------------

TEST_CASE("Taylor with K = 2 equals Φ(g / ‖∇g‖_Σ), complement accurate near 1") {
  // K = 2: one margin g = f_t − f_other, p = P(g + ∇g·ε > 0) = Φ(g / √(∇g Σ ∇gᵀ)).
  const probust::taylor_estimator<> taylor;
  for (std::uint64_t id = 0; id < 6; ++id) {
    const int d = 1 + static_cast<int>(id);
    const auto model = random_affine(2, d, 100 + id);
    const Eigen::VectorXd x = normal_matrix(d, 1, 7, id).col(0);
    const margins_t m = affine_margins(model, x);
    const Eigen::RowVectorXd grad = m.grad.row(0);
    // The margin spans moderate to extreme normalized values (z up to ~9: 1 − p ~ 1e-19).
    for (double scale : {0.3, 1.0, 3.0, 9.0}) {
      const double sigma = std::abs(m.g(0)) / grad.norm() / scale;
      const double z = m.g(0) / (sigma * grad.norm());
      const auto r = taylor.estimate(model, x, probust::isotropic_gaussian<double>(sigma));
      INFO("d " << d << " z " << z);
      CHECK(r.predicted_class == m.target);
      CHECK(r.probability == Approx(phi(z)).epsilon(1e-12).margin(1e-15));
      CHECK(r.complement == Approx(phi_complement(z)).epsilon(1e-10));
      CHECK(r.lower <= r.probability);
      CHECK(r.upper >= r.probability);
      CHECK(r.jacobian == probust::jacobian_source::user);
      CHECK(r.model_evaluations == 1);
      CHECK(std::string(r.estimator) == "taylor");
    }
    // Diagonal and full covariance noise.
    const Eigen::VectorXd sigmas = normal_matrix(d, 1, 9, id).col(0).cwiseAbs().array() + 0.2;
    const double z_diag = m.g(0) / grad.cwiseProduct(sigmas.transpose()).norm();
    CHECK(taylor.estimate(model, x, probust::diagonal_gaussian<double>(sigmas)).probability ==
          Approx(phi(z_diag)).epsilon(1e-12));
    const Eigen::MatrixXd a = normal_matrix(d, d, 11, id);
    const Eigen::MatrixXd cov = 0.3 * a * a.transpose() + 0.1 * Eigen::MatrixXd::Identity(d, d);
    const double z_full = m.g(0) / std::sqrt((grad * cov * grad.transpose())(0, 0));
    CHECK(taylor.estimate(model, x, probust::gaussian<double>(cov)).probability ==
          Approx(phi(z_full)).epsilon(1e-10));
  }
}

TEST_CASE("Taylor with d = 1 equals the probability of an interval of ε") {
  // With one input feature the robust set {ε : g_i + G_i ε > 0 ∀i} is an interval (lo, hi):
  // p = Φ(hi/σ) − Φ(lo/σ). Covariance G Gᵀ has rank 1 for every K (k up to 7 here), so this
  // checks the rank-deficient path exactly.
  for (int classes : {2, 3, 4, 5, 8}) {
    for (std::uint64_t id = 0; id < 4; ++id) {
      const auto model = random_affine(classes, 1, 300 + 10 * classes + id);
      const Eigen::VectorXd x = Eigen::VectorXd::Zero(1);
      const margins_t m = affine_margins(model, x);
      double lo = -std::numeric_limits<double>::infinity();
      double hi = std::numeric_limits<double>::infinity();
      for (Eigen::Index i = 0; i < m.g.size(); ++i) {
        const double s = m.grad(i, 0), root = -m.g(i) / s;
        if (s > 0) lo = std::max(lo, root);
        if (s < 0) hi = std::min(hi, root);
      }
      double span = 0.0;  // the larger finite end (t = argmax, so lo ≤ 0 ≤ hi)
      if (std::isfinite(lo)) span = std::max(span, -lo);
      if (std::isfinite(hi)) span = std::max(span, hi);
      const double sigma = span * (0.5 + 0.3 * static_cast<double>(id));
      const double truth = hi > lo ? phi(hi / sigma) - phi(lo / sigma) : 0.0;
      const auto r = probust::taylor_estimator<>().estimate(
          model, x, probust::isotropic_gaussian<double>(sigma));
      INFO("K " << classes << " id " << id);
      CHECK_CLOSE(r.probability, truth, r.error + 1e-12);
      CHECK(r.lower <= truth + 1e-12);
      CHECK(r.upper >= truth - 1e-12);
    }
  }
}

TEST_CASE("Taylor equals the true p of affine models (Monte-Carlo check), d < K − 1 included") {
  // For an affine model the margins are exactly linear, so p_taylor is the true p. Truth:
  // the Monte-Carlo estimator (validated on its own below) with n = 40,000 and a
  // Clopper–Pearson interval at level 1 − 1e-4 per model: over the 10 models the chance
  // of a false failure is ≤ 1e-3. Taylor's own MVN error band (≤ ~1e-4) is added to the
  // interval, which is ~100 times wider.
  struct config {
    int classes, d, noise;  // noise: 0 isotropic, 1 diagonal, 2 full covariance
  };
  const config configs[] = {{3, 4, 0}, {4, 6, 0}, {5, 2, 0}, {6, 3, 0}, {10, 20, 0},
                            {7, 2, 0}, {8, 1, 0}, {4, 2, 1}, {6, 4, 1}, {5, 3, 2}};
  probust::monte_carlo_options mc_opt;
  mc_opt.sampling.samples = 40'000;
  mc_opt.sampling.confidence = 1 - 1e-4;
  const probust::monte_carlo_estimator<> mc(mc_opt);
  const probust::taylor_estimator<> taylor;
  std::uint64_t id = 0;
  for (const config& c : configs) {
    ++id;
    const auto model = random_affine(c.classes, c.d, 500 + id);
    const Eigen::VectorXd x = Eigen::VectorXd::Zero(c.d);
    const margins_t m = affine_margins(model, x);
    const double sigma = sigma_for(m, 0.6);
    INFO("K " << c.classes << " d " << c.d << " noise " << c.noise);
    probust::robustness_result t, ref;
    if (c.noise == 0) {
      const probust::isotropic_gaussian<double> noise(sigma);
      t = taylor.estimate(model, x, noise);
      ref = mc.estimate(model, x, noise);
    } else if (c.noise == 1) {
      const Eigen::VectorXd s =
          sigma * (normal_matrix(c.d, 1, 13, id).col(0).cwiseAbs().array() + 0.3);
      const probust::diagonal_gaussian<double> noise(s);
      t = taylor.estimate(model, x, noise);
      ref = mc.estimate(model, x, noise);
    } else {
      const Eigen::MatrixXd a = normal_matrix(c.d, c.d, 17, id);
      const probust::gaussian<double> noise(Eigen::MatrixXd(sigma * sigma * a * a.transpose()));
      t = taylor.estimate(model, x, noise);
      ref = mc.estimate(model, x, noise);
    }
    INFO("taylor " << t.probability << " ± " << t.error << "; MC " << ref.probability << " ["
                   << ref.lower << ", " << ref.upper << "]");
    CHECK(t.predicted_class == ref.predicted_class);
    CHECK(t.probability >= ref.lower - t.error);
    CHECK(t.probability <= ref.upper + t.error);
    CHECK(t.error <= 2e-4);
    CHECK(t.converged);
  }
}

TEST_CASE("paper settings differ from the exact mode only by the jitter") {
  const double lambda = 1e-5;
  SECTION("duplicated margin rows: the jitter's effect against an independent quadrature") {
    // Classes 1 and 2 have the same weight row, so both margin gradients are (w0 − w1):
    // R = [[1, 1], [1, 1]] is singular. Exact: p = Φ(min(z1, z2)). The paper's R + λI is
    // X_i = S + √λ W_i (S, W_i iid N(0, 1)), so
    //   p_paper = ∫ φ(s) Φ((z1 − s)/√λ) Φ((z2 − s)/√λ) ds,
    // evaluated here by adaptive Gauss–Kronrod, split at the steps near z1 and z2.
    Eigen::MatrixXd w(3, 2);
    w << 1.0, 0.5, -0.5, 1.0, -0.5, 1.0;
    for (double b2 : {0.0, 0.05, 0.3}) {
      Eigen::VectorXd b(3);
      b << 0.4, 0.0, b2;
      const probust::affine_model<double> model(w, b);
      const Eigen::VectorXd x = Eigen::VectorXd::Zero(2);
      const margins_t m = affine_margins(model, x);
      REQUIRE(m.target == 0);
      const double sigma = 0.3;
      const double z1 = m.g(0) / (sigma * m.grad.row(0).norm());
      const double z2 = m.g(1) / (sigma * m.grad.row(1).norm());
      probust::taylor_options opt;
      opt.paper_settings = true;
      const auto paper = probust::taylor_estimator<>(opt).estimate(
          model, x, probust::isotropic_gaussian<double>(sigma));
      const auto exact = probust::taylor_estimator<>().estimate(
          model, x, probust::isotropic_gaussian<double>(sigma));
      const double r = std::sqrt(lambda);
      auto f = [&](double s) { return phi_density(s) * phi((z1 - s) / r) * phi((z2 - s) / r); };
      std::vector<double> cuts = {-40.0, std::min(z1, z2) - 12 * r, std::min(z1, z2) + 12 * r,
                                  std::max(z1, z2) - 12 * r, std::max(z1, z2) + 12 * r, 40.0};
      std::sort(cuts.begin(), cuts.end());
      double quad = 0.0;
      for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
        quad += boost::math::quadrature::gauss_kronrod<double, 61>::integrate(
            f, cuts[i], cuts[i + 1], 20, 1e-13);
      }
      INFO("z1 " << z1 << " z2 " << z2 << " paper " << paper.probability << " quadrature "
                 << quad << " exact " << exact.probability);
      CHECK(exact.probability == Approx(phi(std::min(z1, z2))).epsilon(1e-12));
      CHECK_CLOSE(paper.probability, quad, 1e-9 + paper.error);
      // The first-order bound k√λ/π of the class comment (k = 2).
      CHECK(std::abs(paper.probability - exact.probability) <= 2 * r / M_PI);
      CHECK(std::string(paper.estimator) == "taylor (paper settings)");
    }
  }
  SECTION("random models: |p_paper − p_exact| ≤ k √λ / π + the two error bands") {
    // Bound: with X ~ N(0, R) and W ~ N(0, I) independent, the events {X ≤ z} and
    // {X + √λ W ≤ z} differ only if some X_i lies between z_i and z_i − √λ W_i; X_i has
    // density ≤ 1/√(2π) and E|W_i| = √(2/π), so the difference is ≤ k √λ / π.
    for (int classes : {3, 4, 6, 10}) {
      for (std::uint64_t id = 0; id < 3; ++id) {
        const auto model = random_affine(classes, 5, 700 + 10 * classes + id);
        const Eigen::VectorXd x = Eigen::VectorXd::Zero(5);
        const double sigma = sigma_for(affine_margins(model, x), 0.8);
        probust::taylor_options opt;
        opt.paper_settings = true;
        const probust::isotropic_gaussian<double> noise(sigma);
        const auto paper = probust::taylor_estimator<>(opt).estimate(model, x, noise);
        const auto exact = probust::taylor_estimator<>().estimate(model, x, noise);
        const double k = classes - 1;
        INFO("K " << classes << " paper " << paper.probability << " exact " << exact.probability);
        CHECK(std::abs(paper.probability - exact.probability) <=
              k * std::sqrt(lambda) / M_PI + paper.error + exact.error);
      }
    }
  }
}

// ------------------------------------------------------------------------------------------
// MMSE
// ------------------------------------------------------------------------------------------

TEST_CASE("MMSE equals Taylor for affine models") {
  SECTION("antithetic pairs: the averages are exactly g(x) and G") {
    for (int classes : {2, 3, 6}) {
      const auto model = random_affine(classes, 4, 900 + classes);
      const Eigen::VectorXd x = normal_matrix(4, 1, 19, classes).col(0);
      const probust::isotropic_gaussian<double> noise(sigma_for(affine_margins(model, x), 0.9));
      probust::mmse_options opt;
      opt.antithetic = true;
      const auto mmse = probust::mmse_estimator<>(opt).estimate(model, x, noise);
      const auto taylor = probust::taylor_estimator<>().estimate(model, x, noise);
      INFO("K " << classes);
      // k ≤ 2: closed forms, inputs equal up to rounding. k = 5: the same QMC seed on
      // inputs equal up to rounding; allow both error bands.
      CHECK_CLOSE(mmse.probability, taylor.probability, 1e-12 + mmse.error + taylor.error);
      CHECK(mmse.samples == 10);
      CHECK(mmse.model_evaluations == 11);
    }
  }
  SECTION("independent draws: MMSE at x is Taylor at x + mean(ε_j)") {
    // g(x + ε) = g(x) + Gε for an affine model, so the averages are g(x + ε̄) and G, with ε̄
    // the mean of the N successive draws noise.sample(engine, ·) (the documented order).
    for (int classes : {2, 3}) {
      const auto model = random_affine(classes, 3, 950 + classes);
      const Eigen::VectorXd x = normal_matrix(3, 1, 23, classes).col(0);
      const probust::isotropic_gaussian<double> noise(sigma_for(affine_margins(model, x), 1.0));
      auto engine = probust::point_engine(42, 7);
      auto copy = engine;
      probust::mmse_options opt;
      opt.samples = 25;
      const auto mmse = probust::mmse_estimator<>(opt).estimate(model, x, noise, engine);
      Eigen::VectorXd mean = Eigen::VectorXd::Zero(3), eps(3);
      for (int j = 0; j < 25; ++j) {
        noise.sample(copy, eps);
        mean += eps;
      }
      mean /= 25.0;
      probust::taylor_options topt;
      topt.target = mmse.predicted_class;
      const auto shifted = probust::taylor_estimator<>(topt).estimate(model, x + mean, noise);
      CHECK(mmse.predicted_class == affine_margins(model, x).target);
      CHECK_CLOSE(mmse.probability, shifted.probability, 1e-12);
      CHECK(engine() == copy());  // the caller's engine advanced by exactly N draws
    }
  }
  SECTION("default engine is point_engine(seed, 0); results are reproducible") {
    const auto model = random_affine(4, 3, 990);
    const Eigen::VectorXd x = Eigen::VectorXd::Zero(3);
    const probust::isotropic_gaussian<double> noise(0.5);
    const probust::mmse_estimator<> mmse;
    auto engine = probust::point_engine(probust::default_seed, 0);
    const auto a = mmse.estimate(model, x, noise);
    const auto b = mmse.estimate(model, x, noise, engine);
    CHECK(a.probability == b.probability);
    CHECK(mmse.estimate(model, x, noise).probability == a.probability);
  }
}

// ------------------------------------------------------------------------------------------
// Monte Carlo
// ------------------------------------------------------------------------------------------

namespace {

// K = 2 affine model whose p is Φ(z) exactly under isotropic noise σ = 1.
probust::affine_model<double> k2_model(double z) {
  Eigen::MatrixXd w(2, 3);
  w << 0.6, -0.2, 0.4, -0.2, 0.2, 0.0;
  const double norm = (w.row(0) - w.row(1)).norm();
  Eigen::VectorXd b(2);
  b << z * norm, 0.0;  // margin at x = 0 is z‖∇g‖
  return {w, b};
}

}  // namespace

TEST_CASE("Monte-Carlo intervals cover the true p at their nominal rate") {
  // p = Φ(0.8) ≈ 0.788 exactly. 1000 independent trials of n = 2000 (engines
  // point_engine(seed, trial)); each interval has nominal coverage 0.95. If the true coverage is
  // 0.95 the number of covering trials is Bin(1000, 0.95): mean 950, sd 6.9, and
  // P(count < 930) ≈ P(Z < −2.97) ≈ 0.0015. Clopper–Pearson and the Bonferroni-adjusted
  // sequential mode are conservative (coverage ≥ 0.95), so a count below 930 would mean a
  // real loss of coverage.
  const double z = 0.8, p = phi(z);
  const auto model = k2_model(z);
  const Eigen::VectorXd x = Eigen::VectorXd::Zero(3);
  const probust::isotropic_gaussian<double> noise(1.0);
  const int trials = 1000;
  auto coverage = [&](const probust::monte_carlo_options& opt) {
    const probust::monte_carlo_estimator<> mc(opt);
    int covered = 0;
    for (int trial = 0; trial < trials; ++trial) {
      auto engine = probust::point_engine(2024, static_cast<std::uint64_t>(trial));
      const auto r = mc.estimate(model, x, noise, engine);
      if (r.lower <= p && p <= r.upper) ++covered;
    }
    return covered;
  };
  probust::monte_carlo_options opt;
  opt.sampling.samples = 2000;
  const int cp = coverage(opt);
  INFO("Clopper-Pearson covered " << cp << " / " << trials);
  CHECK(cp >= 930);
  opt.sampling.interval = probust::interval_method::wilson;
  const int wilson = coverage(opt);
  INFO("Wilson covered " << wilson << " / " << trials);
  CHECK(wilson >= 930);
  // Sequential: stop at half-width 0.02, looks at 250, 500, …, 8000 (6 looks).
  opt.sampling.interval = probust::interval_method::clopper_pearson;
  opt.sampling.samples = 8000;
  opt.sampling.batch_size = 250;
  opt.sampling.target_half_width = 0.02;
  const int sequential = coverage(opt);
  INFO("sequential covered " << sequential << " / " << trials);
  CHECK(sequential >= 930);
}

TEST_CASE(
    "Monte Carlo: batches, engines, seeds and the model's batched pass do not change n-sample "
    "results") {
  const auto model = random_affine(5, 4, 1100);
  const Eigen::VectorXd x = Eigen::VectorXd::Zero(4);
  const probust::isotropic_gaussian<double> noise(sigma_for(affine_margins(model, x), 0.7));
  probust::monte_carlo_options opt;
  opt.sampling.samples = 3000;
  const auto reference = probust::monte_carlo_estimator<>(opt).estimate(model, x, noise);
  for (std::uint64_t batch : {1ULL, 7ULL, 256ULL, 3000ULL, 100000ULL}) {
    opt.sampling.batch_size = batch;
    const auto r = probust::monte_carlo_estimator<>(opt).estimate(model, x, noise);
    CHECK(r.probability == reference.probability);
    CHECK(r.samples == 3000);
    CHECK(r.model_evaluations == 3001);
  }
  auto engine = probust::point_engine(probust::default_seed, 0);
  CHECK(probust::monte_carlo_estimator<>(opt).estimate(model, x, noise, engine).probability ==
        reference.probability);
  opt.sampling.seed = 99;
  CHECK(probust::monte_carlo_estimator<>(opt).estimate(model, x, noise).probability !=
        reference.probability);
  // A plain callable (no forward_batch) gives the same counts: the same draws, logits
  // equal up to rounding (a flip needs a draw within ~1e-15 of the boundary).
  opt.sampling.seed = probust::default_seed;
  auto plain = [&model](const Eigen::VectorXd& v) { return model(v); };
  const auto r = probust::monte_carlo_estimator<>(opt).estimate(plain, x, noise);
  CHECK(std::abs(r.probability - reference.probability) <= 2.0 / 3000);
  // The reported interval is the Clopper–Pearson interval of the counts.
  const auto hits = static_cast<std::uint64_t>(std::llround(reference.probability * 3000));
  const auto ci = probust::clopper_pearson_interval(hits, 3000, 0.95);
  CHECK(reference.lower == ci.lower);
  CHECK(reference.upper == ci.upper);
  CHECK(reference.complement == Approx(1.0 - reference.probability).epsilon(1e-15));
  CHECK(reference.jacobian == probust::jacobian_source::not_used);
}

TEST_CASE("Monte Carlo: target_half_width stops at a look with a Bonferroni-adjusted level") {
  const auto model = k2_model(0.5);
  const Eigen::VectorXd x = Eigen::VectorXd::Zero(3);
  const probust::isotropic_gaussian<double> noise(1.0);
  probust::monte_carlo_options opt;
  opt.sampling.samples = 100'000;
  opt.sampling.batch_size = 256;
  opt.sampling.target_half_width = 0.01;
  // Looks at 256·2^j < 100,000 (j = 0..8) and at 100,000: L = 10.
  const double level = 1.0 - 0.05 / 10.0;
  const auto r = probust::monte_carlo_estimator<>(opt).estimate(model, x, noise);
  CHECK(r.converged);
  CHECK(r.error <= 0.01);
  bool at_look = false;
  for (std::uint64_t n = 256; n < 100'000; n *= 2) at_look = at_look || r.samples == n;
  CHECK(at_look);
  const auto hits = static_cast<std::uint64_t>(std::llround(r.probability * r.samples));
  const auto ci = probust::clopper_pearson_interval(hits, r.samples, level);
  CHECK(r.lower == ci.lower);
  CHECK(r.upper == ci.upper);
  // The previous look was not narrow enough (else it would have stopped there).
  opt.sampling.samples = r.samples / 2;
  opt.sampling.target_half_width = 0.0;
  const auto earlier = probust::monte_carlo_estimator<>(opt).estimate(model, x, noise);
  const auto h2 = static_cast<std::uint64_t>(std::llround(earlier.probability * earlier.samples));
  const auto ci2 = probust::clopper_pearson_interval(h2, earlier.samples, level);
  CHECK((ci2.upper - ci2.lower) / 2 > 0.01);
  // Unreachable target: all samples used, converged = false.
  opt.sampling.samples = 5000;
  opt.sampling.target_half_width = 1e-6;
  const auto all = probust::monte_carlo_estimator<>(opt).estimate(model, x, noise);
  CHECK_FALSE(all.converged);
  CHECK(all.samples == 5000);
}

// ------------------------------------------------------------------------------------------
// Float, networks, softmax, mv-sigmoid
// ------------------------------------------------------------------------------------------

TEST_CASE("float and double estimators agree") {
  // Float logits carry a relative error ~1e-7 of |f| ≲ 5; p is Lipschitz in the margins
  // with constant ≤ k·φ(0)/(σ‖∇g‖), so |Δp| ≲ 1e-5 for these O(1) models. For k ≥ 4 the
  // same QMC seed sees inputs perturbed by that much: add both error bands.
  for (int classes : {2, 3, 6}) {
    const auto model = random_affine(classes, 4, 1200 + classes);
    const Eigen::VectorXd x = normal_matrix(4, 1, 29, classes).col(0);
    const double sigma = sigma_for(affine_margins(model, x), 0.8);
    const probust::affine_model<float> model_f(model.weights().cast<float>(),
                                               model.bias().cast<float>());
    const Eigen::VectorXf x_f = x.cast<float>();
    const probust::isotropic_gaussian<double> noise(sigma);
    const probust::isotropic_gaussian<float> noise_f(static_cast<float>(sigma));
    INFO("K " << classes);
    const auto t = probust::taylor_estimator<double>().estimate(model, x, noise);
    const auto t_f = probust::taylor_estimator<float>().estimate(model_f, x_f, noise_f);
    CHECK_CLOSE(t.probability, t_f.probability, 1e-5 + t.error + t_f.error);
    const auto m = probust::mmse_estimator<double>().estimate(model, x, noise);
    const auto m_f = probust::mmse_estimator<float>().estimate(model_f, x_f, noise_f);
    CHECK_CLOSE(m.probability, m_f.probability, 1e-4 + m.error + m_f.error);
    const auto s = probust::taylor_mv_sigmoid_estimator<double>().estimate(model, x, noise);
    const auto s_f = probust::taylor_mv_sigmoid_estimator<float>().estimate(model_f, x_f, noise_f);
    CHECK_CLOSE(s.probability, s_f.probability, 1e-5);
    // Monte Carlo: the same normals (generated in double, rounded to float); a count can
    // only change for a draw within ~1e-6 of a decision boundary.
    probust::monte_carlo_options opt;
    opt.sampling.samples = 5000;
    const auto c = probust::monte_carlo_estimator<double>(opt).estimate(model, x, noise);
    const auto c_f = probust::monte_carlo_estimator<float>(opt).estimate(model_f, x_f, noise_f);
    CHECK_CLOSE(c.probability, c_f.probability, 3.0 / 5000);
  }
}

TEST_CASE("dense tanh network: Taylor agrees with Monte Carlo at small σ") {
  // 6 → 16 → 16 → 4 tanh network; x is moved (Newton steps on the smallest normalized
  // margin) to a distance of ~σ from the decision boundary, so p is far from 0 and 1.
  // The linearization's bias is of order ½σ²·tr H / (σ‖∇g‖)·φ(0)·k, i.e. O(σ) with
  // O(1) curvature: ≲ 1e-3 at σ = 1e-3 — below the Monte-Carlo interval (n = 40,000,
  // level 1 − 1e-4, half-width ≈ 0.01), which is the whole tolerance.
  auto engine = probust::point_engine(77, 0);
  std::vector<probust::dense_layer<double>> layers;
  const int sizes[] = {6, 16, 16, 4};
  for (int l = 0; l < 3; ++l) {
    probust::dense_layer<double> layer;
    layer.weights.resize(sizes[l + 1], sizes[l]);
    probust::fill_standard_normal(engine, layer.weights);
    layer.weights *= 1.5 / std::sqrt(static_cast<double>(sizes[l]));
    layer.bias.resize(sizes[l + 1]);
    probust::fill_standard_normal(engine, layer.bias);
    layer.bias *= 0.3;
    layer.activation = l < 2 ? probust::activation::tanh : probust::activation::identity;
    layers.push_back(layer);
  }
  const probust::dense_network<double> net(layers);
  const double z_targets[] = {0.3, 0.8, 1.5};  // smallest normalized margin after placement
  for (std::uint64_t point = 0; point < 3; ++point) {
    const double sigma = 1e-3, z_target = z_targets[point];
    Eigen::VectorXd x = normal_matrix(6, 1, 31, point).col(0);
    for (int step = 0; step < 30; ++step) {
      const auto lin = probust::linearize(net, x);
      Eigen::Index i = 0;
      double best = std::numeric_limits<double>::infinity();
      for (Eigen::Index r = 0; r < lin.margins.size(); ++r) {
        const double v = lin.margins(r) / lin.gradient.row(r).norm();
        if (v < best) {
          best = v;
          i = r;
        }
      }
      const double norm2 = lin.gradient.row(i).squaredNorm();
      x -= (lin.margins(i) - z_target * sigma * std::sqrt(norm2)) / norm2 *
           lin.gradient.row(i).transpose();
    }
    const probust::isotropic_gaussian<double> noise(sigma);
    const auto t = probust::taylor_estimator<>().estimate(net, x, noise);
    probust::monte_carlo_options opt;
    opt.sampling.samples = 40'000;
    opt.sampling.confidence = 1 - 1e-4;
    const auto mc = probust::monte_carlo_estimator<>(opt).estimate(net, x, noise);
    INFO("point " << point << " taylor " << t.probability << " MC " << mc.probability << " ["
                  << mc.lower << ", " << mc.upper << "]");
    CHECK(t.probability > 0.05);  // the placement worked: p is not trivially 0 or 1
    CHECK(t.probability < 0.97);
    CHECK(t.probability >= mc.lower - t.error);
    CHECK(t.probability <= mc.upper + t.error);
    // A model without jacobian(): central differences, 2d extra evaluations; the Jacobian
    // error ~ε^{2/3}·|J| moves p by far less than 1e-6.
    auto plain = [&net](const Eigen::VectorXd& v) { return net(v); };
    const auto fd = probust::taylor_estimator<>().estimate(plain, x, noise);
    CHECK(fd.jacobian == probust::jacobian_source::finite_difference);
    CHECK(fd.model_evaluations == 1 + 2 * 6);
    CHECK_CLOSE(fd.probability, t.probability, 1e-6 + fd.error + t.error);
  }
}

TEST_CASE("softmax estimator: the target's softmax probability, stable for large logits") {
  auto constant = [](const Eigen::VectorXd& logits) {
    return [logits](const Eigen::VectorXd&) { return logits; };
  };
  const Eigen::VectorXd x = Eigen::VectorXd::Zero(2);
  const probust::isotropic_gaussian<double> noise(0.1);
  const probust::softmax_estimator<> softmax;
  Eigen::VectorXd f(3);
  f << 2.0, 1.0, 0.0;
  const double e = std::exp(1.0), total = e * e + e + 1.0;
  auto r = softmax.estimate(constant(f), x, noise);
  CHECK(r.predicted_class == 0);
  CHECK(r.probability == Approx(e * e / total).epsilon(1e-15));
  CHECK(r.complement == Approx((e + 1.0) / total).epsilon(1e-15));
  CHECK(r.lower == r.probability);
  CHECK(r.model_evaluations == 1);
  CHECK(r.jacobian == probust::jacobian_source::not_used);
  probust::softmax_options opt;
  opt.target = 2;
  CHECK(probust::softmax_estimator<>(opt).estimate(constant(f), x, noise).probability ==
        Approx(1.0 / total).epsilon(1e-15));
  // Overflow-prone logits: p = 1/(1 + e^{-1}).
  Eigen::VectorXd big(2);
  big << 1000.0, 999.0;
  CHECK(softmax.estimate(constant(big), x, noise).probability ==
        Approx(1.0 / (1.0 + std::exp(-1.0))).epsilon(1e-15));
  // Near 1: 1 − p = e^{-40}/(1 + e^{-40}) keeps its relative accuracy.
  Eigen::VectorXd far(2);
  far << 40.0, 0.0;
  r = softmax.estimate(constant(far), x, noise);
  CHECK(r.probability == 1.0);
  CHECK(r.complement == Approx(std::exp(-40.0) / (1.0 + std::exp(-40.0))).epsilon(1e-14));
  // Ties: the lowest index is the prediction.
  Eigen::VectorXd tie(3);
  tie << 1.0, 1.0, 0.0;
  r = softmax.estimate(constant(tie), x, noise);
  CHECK(r.predicted_class == 0);
  CHECK(r.probability == Approx(e / (2 * e + 1)).epsilon(1e-15));
}

TEST_CASE("mv-sigmoid estimators follow 1/(1 + Σ exp(−z_i))") {
  const auto model = random_affine(4, 3, 1300);
  const Eigen::VectorXd x = normal_matrix(3, 1, 37, 0).col(0);
  const margins_t m = affine_margins(model, x);
  const double sigma = sigma_for(m, 0.7);
  const probust::isotropic_gaussian<double> noise(sigma);
  double s = 0.0;
  for (Eigen::Index i = 0; i < m.g.size(); ++i)
    s += std::exp(-m.g(i) / (sigma * m.grad.row(i).norm()));
  const auto r = probust::taylor_mv_sigmoid_estimator<>().estimate(model, x, noise);
  CHECK(r.probability == Approx(1.0 / (1.0 + s)).epsilon(1e-13));
  CHECK(r.complement == Approx(s / (1.0 + s)).epsilon(1e-13));
  CHECK(r.predicted_class == m.target);
  // MMSE-mvs with antithetic pairs on an affine model: the same averages, the same value.
  probust::mmse_mv_sigmoid_options opt;
  opt.antithetic = true;
  const auto mm = probust::mmse_mv_sigmoid_estimator<>(opt).estimate(model, x, noise);
  CHECK(mm.probability == Approx(1.0 / (1.0 + s)).epsilon(1e-12));
  CHECK(mm.samples == 10);
  // Diagonal noise: z_i = g_i / ‖∇g_i ⊙ σ‖.
  const Eigen::VectorXd sig = normal_matrix(3, 1, 41, 0).col(0).cwiseAbs().array() + 0.1;
  double s_diag = 0.0;
  for (Eigen::Index i = 0; i < m.g.size(); ++i) {
    s_diag += std::exp(-m.g(i) / m.grad.row(i).cwiseProduct(sig.transpose()).norm());
  }
  CHECK(probust::taylor_mv_sigmoid_estimator<>()
            .estimate(model, x, probust::diagonal_gaussian<double>(sig))
            .probability == Approx(1.0 / (1.0 + s_diag)).epsilon(1e-13));
}

// ------------------------------------------------------------------------------------------
// Degenerate inputs
// ------------------------------------------------------------------------------------------

TEST_CASE("zero margin-gradient rows are deterministic constraints, ties follow the index rule") {
  // Classes 0 and 1 share a weight row, so the margin f_0 − f_1 = b_0 − b_1 does not move
  // under noise. The remaining margin against class 2 is random: p = Φ(g_2 / (σ‖∇g_2‖)).
  Eigen::MatrixXd w(3, 2);
  w << 1.0, -0.5, 1.0, -0.5, -0.3, 0.8;
  const Eigen::VectorXd x = Eigen::VectorXd::Zero(2);
  const double sigma = 0.4;
  const probust::isotropic_gaussian<double> noise(sigma);
  const double grad2 = (w.row(0) - w.row(2)).norm();
  for (double b1 : {0.2, 0.5}) {  // 0.5: classes 0 and 1 tie at every input
    Eigen::VectorXd b(3);
    b << 0.5, b1, 0.1;
    const probust::affine_model<double> model(w, b);
    const double truth = phi(0.4 / (sigma * grad2));
    INFO("b1 " << b1);
    probust::monte_carlo_options mc_opt;
    mc_opt.sampling.samples = 20'000;
    mc_opt.sampling.confidence = 1 - 1e-4;
    const auto mc = probust::monte_carlo_estimator<>(mc_opt).estimate(model, x, noise);
    CHECK(mc.lower <= truth);
    CHECK(truth <= mc.upper);
    CHECK(probust::taylor_estimator<>().estimate(model, x, noise).probability ==
          Approx(truth).epsilon(1e-12));
    probust::taylor_options paper;
    paper.paper_settings = true;
    CHECK(probust::taylor_estimator<>(paper).estimate(model, x, noise).probability ==
          Approx(phi(0.4 / (sigma * grad2) / std::sqrt(1 + 1e-5))).epsilon(1e-9));
    probust::mmse_options mopt;
    mopt.antithetic = true;
    CHECK(probust::mmse_estimator<>(mopt).estimate(model, x, noise).probability ==
          Approx(truth).epsilon(1e-12));
    // mv-sigmoid: the deterministic row contributes exp(−∞) = 0.
    const double z2 = 0.4 / (sigma * grad2);
    CHECK(probust::taylor_mv_sigmoid_estimator<>().estimate(model, x, noise).probability ==
          Approx(1.0 / (1.0 + std::exp(-z2))).epsilon(1e-13));
  }
  // Target = class 1: with b1 = 0.2 it always loses to class 0; with b1 = 0.5 it ties with
  // class 0 at every input and loses the tie (lower index wins). p = 0 for every estimator.
  for (double b1 : {0.2, 0.5}) {
    Eigen::VectorXd b(3);
    b << 0.5, b1, 0.1;
    const probust::affine_model<double> model(w, b);
    probust::taylor_options topt;
    topt.target = 1;
    const auto t = probust::taylor_estimator<>(topt).estimate(model, x, noise);
    CHECK(t.probability == 0.0);
    CHECK(t.complement == 1.0);
    CHECK(t.upper == 0.0);
    probust::taylor_mv_sigmoid_options sopt;
    sopt.target = 1;
    CHECK(probust::taylor_mv_sigmoid_estimator<>(sopt).estimate(model, x, noise).probability ==
          0.0);
    probust::monte_carlo_options mopt;
    mopt.sampling.samples = 2000;
    mopt.target = 1;
    CHECK(probust::monte_carlo_estimator<>(mopt).estimate(model, x, noise).probability == 0.0);
  }
}

TEST_CASE("ties at x: the lowest index is the target and p = Φ(0) = 1/2 for K = 2") {
  Eigen::MatrixXd w(2, 2);
  w << 1.0, 0.0, 0.0, 1.0;
  const probust::affine_model<double> model(w, Eigen::VectorXd::Zero(2));
  const Eigen::VectorXd x = Eigen::VectorXd::Constant(2, 0.3);  // f_0 = f_1
  const probust::isotropic_gaussian<double> noise(0.2);
  const auto t = probust::taylor_estimator<>().estimate(model, x, noise);
  CHECK(t.predicted_class == 0);
  CHECK(t.probability == Approx(0.5).epsilon(1e-15));
  const auto mc = probust::monte_carlo_estimator<>().estimate(model, x, noise);
  CHECK(mc.predicted_class == 0);
  CHECK(mc.lower <= 0.5);
  CHECK(mc.upper >= 0.5);
  CHECK(probust::taylor_mv_sigmoid_estimator<>().estimate(model, x, noise).probability ==
        Approx(0.5).epsilon(1e-15));
}

TEST_CASE("invalid inputs are rejected with a message naming the problem") {
  const auto model = random_affine(3, 2, 1400);
  const Eigen::VectorXd x = Eigen::VectorXd::Zero(2);
  const probust::isotropic_gaussian<double> noise(0.3);
  const probust::taylor_estimator<> taylor;
  const probust::mmse_estimator<> mmse;
  const probust::monte_carlo_estimator<> mc;
  const probust::softmax_estimator<> softmax;
  const probust::taylor_mv_sigmoid_estimator<> mvs;

  // Noise dimension mismatch.
  const probust::diagonal_gaussian<double> wrong(Eigen::VectorXd::Constant(3, 0.2));
  {
    const std::string msg = error_of([&] { taylor.estimate(model, x, wrong); });
    INFO(msg);
    CHECK((contains(msg, "taylor_estimator") && contains(msg, "noise has dimension 3")));
  }
  CHECK_THROWS_AS(mmse.estimate(model, x, wrong), probust::invalid_argument);
  CHECK_THROWS_AS(mc.estimate(model, x, wrong), probust::invalid_argument);
  CHECK_THROWS_AS(softmax.estimate(model, x, wrong), probust::invalid_argument);
  CHECK_THROWS_AS(mvs.estimate(model, x, wrong), probust::invalid_argument);

  // Non-finite logits, at x or only at some noisy inputs.
  auto nan_model = [](const Eigen::VectorXd& v) {
    Eigen::VectorXd f(2);
    f << v(0), std::numeric_limits<double>::quiet_NaN();
    return f;
  };
  {
    const std::string msg = error_of([&] { taylor.estimate(nan_model, x, noise); });
    INFO(msg);
    CHECK((contains(msg, "non-finite logit")));
  }
  CHECK_THROWS_AS(softmax.estimate(nan_model, x, noise), probust::invalid_argument);
  auto nan_away = [](const Eigen::VectorXd& v) {
    Eigen::VectorXd f(2);
    f << v(0), v(0) > 0.5 ? std::numeric_limits<double>::infinity() : 0.0;
    return f;
  };
  {
    const std::string msg = error_of([&] { mc.estimate(nan_away, x, noise); });
    INFO(msg);
    CHECK((contains(msg, "non-finite logit")));
  }
  CHECK_THROWS_AS(mmse.estimate(nan_away, x, probust::isotropic_gaussian<double>(2.0)),
                  probust::invalid_argument);

  // One class.
  auto one = [](const Eigen::VectorXd& v) { return Eigen::VectorXd::Constant(1, v.sum()); };
  {
    const std::string msg = error_of([&] { taylor.estimate(one, x, noise); });
    INFO(msg);
    CHECK((contains(msg, "at least 2 classes")));
  }
  CHECK_THROWS_AS(mc.estimate(one, x, noise), probust::invalid_argument);
  CHECK_THROWS_AS(softmax.estimate(one, x, noise), probust::invalid_argument);

  // Target out of range; bad x; bad options.
  probust::taylor_options topt;
  topt.target = 3;
  {
    const std::string msg =
        error_of([&] { probust::taylor_estimator<>(topt).estimate(model, x, noise); });
    INFO(msg);
    CHECK((contains(msg, "target class 3")));
  }
  CHECK_THROWS_AS(taylor.estimate(model, Eigen::VectorXd(), noise), probust::invalid_argument);
  Eigen::VectorXd bad = x;
  bad(1) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(taylor.estimate(model, bad, noise), probust::invalid_argument);
  CHECK_THROWS_AS(mc.estimate(model, bad, noise), probust::invalid_argument);
  probust::monte_carlo_options mopt;
  mopt.sampling.samples = 0;
  CHECK_THROWS_AS(probust::monte_carlo_estimator<>(mopt).estimate(model, x, noise),
                  probust::invalid_argument);
  mopt = {};
  mopt.sampling.confidence = 1.0;
  CHECK_THROWS_AS(probust::monte_carlo_estimator<>(mopt).estimate(model, x, noise),
                  probust::invalid_argument);
  mopt = {};
  mopt.sampling.batch_size = 0;
  CHECK_THROWS_AS(probust::monte_carlo_estimator<>(mopt).estimate(model, x, noise),
                  probust::invalid_argument);
  probust::mmse_options eopt;
  eopt.samples = 0;
  CHECK_THROWS_AS(probust::mmse_estimator<>(eopt).estimate(model, x, noise),
                  probust::invalid_argument);
  eopt.samples = 3;
  eopt.antithetic = true;
  CHECK_THROWS_AS(probust::mmse_estimator<>(eopt).estimate(model, x, noise),
                  probust::invalid_argument);
}

TEST_CASE("K = 2 and d = 1 work in every estimator") {
  Eigen::MatrixXd w(2, 1);
  w << 1.0, -1.0;
  Eigen::VectorXd b(2);
  b << 0.1, 0.0;
  const probust::affine_model<double> model(w, b);
  const Eigen::VectorXd x = Eigen::VectorXd::Zero(1);
  const double sigma = 0.25;
  const probust::isotropic_gaussian<double> noise(sigma);
  // g = 0.1 + 2ε > 0 ⇔ ε > −0.05: p = Φ(0.05/σ) = Φ(0.1/(σ·2)).
  const double truth = phi(0.05 / sigma);
  CHECK(probust::taylor_estimator<>().estimate(model, x, noise).probability ==
        Approx(truth).epsilon(1e-14));
  probust::mmse_options mopt;
  mopt.antithetic = true;
  CHECK(probust::mmse_estimator<>(mopt).estimate(model, x, noise).probability ==
        Approx(truth).epsilon(1e-14));
  CHECK(probust::taylor_mv_sigmoid_estimator<>().estimate(model, x, noise).probability ==
        Approx(1.0 / (1.0 + std::exp(-0.05 / sigma))).epsilon(1e-14));
  const auto mc = probust::monte_carlo_estimator<>().estimate(model, x, noise);
  CHECK(mc.lower <= truth);
  CHECK(truth <= mc.upper);
  CHECK(probust::softmax_estimator<>().estimate(model, x, noise).probability ==
        Approx(1.0 / (1.0 + std::exp(-0.1))).epsilon(1e-15));
}
