// Small probabilities: the small-p contract (mvn_options::small_p_rel_tol) and minimax
// exponential tilting, against references that do not come from probust: the orthant
// 1/(k+1), one-factor 1-D integrals and the AR(1) Markov recursion (reference.hpp), and
// Botev's ψ written out here from its definition.
#include <Eigen/Dense>
#include <cmath>
#include <limits>

#include "catch_shim.hpp"
#include "probust/mvn/cdf.hpp"
#include "probust/mvn/detail/minimax_tilting.hpp"
#include "reference.hpp"
#include "test_support.hpp"

using probust::mvn_cdf;
using probust::mvn_method;
using probust::mvn_options;
using probust::mvn_result;
using probust_test::one_factor;
using probust_test::within_error;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

one_factor equicorrelated(int k, double rho) {
  return {Eigen::VectorXd::Constant(k, std::sqrt(rho))};
}

// The common limit c with log P(X ≤ c·1) = log_p, by bisection on the 1-D integral.
double limit_for(const one_factor& model, double log_p) {
  const auto k = model.loadings.size();
  double lo = -40.0, hi = 5.0;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    (model.log_cdf(Eigen::VectorXd::Constant(k, mid)) < log_p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

Eigen::MatrixXd ar1_correlation(int k, double rho) {
  Eigen::MatrixXd r(k, k);
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < k; ++j) r(i, j) = std::pow(rho, std::abs(i - j));
  }
  return r;
}

// Botev's ψ(x; μ) = Σ_j log[Φ(ũ_j − c_j − μ_j) − Φ(l̃_j − c_j − μ_j)] + μ_j²/2 − x_j μ_j with
// c = L̃x, L̃ = D⁻¹L − I, for one-sided limits (l = −∞), from the factor's definition.
double botev_psi(const probust::detail::ordered_factor& f, const Eigen::VectorXd& x,
                 const Eigen::VectorXd& mu) {
  double psi = 0.0;
  for (int j = 0; j < f.rank; ++j) {
    double c = 0.0;
    for (int m = 0; m < j; ++m) c += f.factor(j, m) * x(m);
    const double upper = (f.upper(j) - c) / f.factor(j, j);
    psi += probust_test::log_phi_cdf(upper - mu(j)) + 0.5 * mu(j) * mu(j) - x(j) * mu(j);
  }
  return psi;
}

}  // namespace

TEST_CASE("small-p contract: orthants 1/(k+1) to 1e-2 relative once p is below abs_tol") {
  // ρ = 1/2 at 0: P = 1/(k+1). With abs_tol = 0.5 every one of them is a "small" p.
  for (int k : {9, 19, 49}) {
    mvn_options opt;
    opt.abs_tol = 0.5;
    const mvn_result r =
        mvn_cdf(Eigen::VectorXd::Zero(k), equicorrelated(k, 0.5).correlation(), opt);
    const double truth = 1.0 / (k + 1);
    INFO("k = " << k << " p = " << r.probability << " ± " << r.error);
    CHECK(r.converged);
    CHECK(r.error <= 1e-2 * r.probability);
    CHECK(within_error(r.probability, truth, r.error));
  }
}

TEST_CASE("equicorrelated tails down to p = 1e-250 agree with the 1-D integral") {
  for (int k : {9, 19}) {
    for (double rho : {0.3, 0.7}) {
      const one_factor model = equicorrelated(k, rho);
      for (double log10_p : {-8.0, -20.0, -100.0, -250.0}) {
        const double c = limit_for(model, log10_p * std::log(10.0));
        const Eigen::VectorXd b = Eigen::VectorXd::Constant(k, c);
        const double truth = model.log_cdf(b);
        INFO("k = " << k << " rho = " << rho << " log10 p = " << log10_p);
        mvn_options opt;
        opt.small_p_rel_tol = 1e-3;
        const mvn_result r = mvn_cdf(b, model.correlation(), opt);
        INFO("to 1e-3: log p " << r.log_probability << " truth " << truth << " ± "
                               << r.log_probability_error << " points " << r.points);
        CHECK(r.method == mvn_method::minimax_tilting);
        CHECK(r.converged);
        CHECK(r.log_probability_error <= 1e-3);
        // |log p̂ − log p| ≈ |p̂ − p|/p: the relative error, against the reported one.
        CHECK(std::abs(r.log_probability - truth) <= 1e-3);
        CHECK(within_error(r.log_probability, truth, r.log_probability_error));
        const mvn_result d = mvn_cdf(b, model.correlation());  // default: 1e-2 relative
        INFO("default: log p " << d.log_probability << " ± " << d.log_probability_error);
        CHECK(d.converged);
        CHECK(d.log_probability_error <= 1e-2);
        CHECK(within_error(d.log_probability, truth, d.log_probability_error));
        CHECK(d.error <= 1e-2 * d.probability);
      }
    }
  }
}

TEST_CASE("k <= 3 closed forms keep their relative accuracy at small p") {
  for (int k : {2, 3}) {
    for (double rho : {0.3, 0.9}) {
      const one_factor model = equicorrelated(k, rho);
      for (double c : {-6.0, -20.0}) {
        Eigen::VectorXd b = Eigen::VectorXd::Constant(k, c);
        b(0) *= 0.8;
        const mvn_result r = mvn_cdf(b, model.correlation());
        INFO("k = " << k << " rho = " << rho << " c = " << c);
        CHECK(r.log_probability == Approx(model.log_cdf(b)).epsilon(1e-10));
      }
    }
  }
}

TEST_CASE("R mvtnorm's AR(1) case (k = 100, rho = 0.7, b = 0.5) against the Markov recursion") {
  // mvtnorm's regression value is 6.908e-7 ± 0.07%; the recursion gives 6.9003e-7.
  const int k = 100;
  const double truth = probust_test::ar1_log_cdf(k, 0.7, 0.5);
  CHECK(std::exp(truth) == Approx(6.908e-7).epsilon(2e-3));
  const mvn_result r = mvn_cdf(Eigen::VectorXd::Constant(k, 0.5), ar1_correlation(k, 0.7));
  INFO("p " << r.probability << " ± " << r.error << " truth " << std::exp(truth));
  CHECK(r.method == mvn_method::minimax_tilting);
  CHECK(r.converged);
  CHECK(r.error <= 1e-2 * r.probability);
  CHECK(within_error(r.log_probability, truth, r.log_probability_error));
}

TEST_CASE("the tilting point solves Botev's saddle-point system and bounds p") {
  const int k = 7;
  one_factor model{Eigen::VectorXd::LinSpaced(k, 0.2, 0.9)};
  Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(k, -4.0, -2.0);
  const Eigen::VectorXd a = Eigen::VectorXd::Constant(k, -inf);
  const auto f = probust::detail::pivoted_cholesky(model.correlation(), a, b, 1e-10, "test", "r");
  const auto t = probust::detail::minimax_tilting_point(f);
  REQUIRE(t.found);
  CHECK(botev_psi(f, t.x, t.mu) == Approx(t.log_bound).epsilon(1e-12));
  // ∂ψ/∂x_j = ∂ψ/∂μ_j = 0 for j < k − 1 (x and μ of the last variable are fixed at 0).
  const double h = 1e-5;
  for (int j = 0; j + 1 < k; ++j) {
    for (bool in_x : {true, false}) {
      Eigen::VectorXd xp = t.x, xm = t.x, mp = t.mu, mm = t.mu;
      (in_x ? xp : mp)(j) += h;
      (in_x ? xm : mm)(j) -= h;
      const double derivative = (botev_psi(f, xp, mp) - botev_psi(f, xm, mm)) / (2.0 * h);
      INFO("j = " << j << (in_x ? " x" : " mu"));
      CHECK(std::abs(derivative) <= 1e-6);
    }
  }
  // Botev's bound log p ≤ ψ*, and ψ* is close (within a few nats) for such cases.
  const double truth = model.log_cdf(b);
  CHECK(truth <= t.log_bound);
  CHECK(t.log_bound - truth <= 3.0);
}

TEST_CASE("the plain SOV fallback when tilting fails or does not apply") {
  const int k = 9;
  const one_factor model = equicorrelated(k, 0.5);
  const Eigen::VectorXd b = Eigen::VectorXd::Constant(k, limit_for(model, std::log(1e-12)));
  const double truth = model.log_cdf(b);
  mvn_options opt;
  SECTION("the Newton iteration stopped after one step") {
    const Eigen::VectorXd a = Eigen::VectorXd::Constant(k, -inf);
    const auto f =
        probust::detail::pivoted_cholesky(model.correlation(), a, b, 1e-10, "test", "r");
    CHECK_FALSE(probust::detail::minimax_tilting_point(f, 1).found);
    const auto failed = probust::detail::integrate_small_p(f, opt, 1);
    const auto tilted = probust::detail::integrate_small_p(f, opt);
    CHECK_FALSE(failed.tilted);
    CHECK(tilted.tilted);
    for (const auto& q : {failed, tilted}) {
      const double log_p = q.log_scale + std::log(q.value);
      INFO("tilted " << q.tilted << " log p " << log_p << " truth " << truth << " ± "
                     << q.error / q.value);
      CHECK(q.converged);
      CHECK(q.error <= 1e-2 * q.value);
      CHECK(within_error(log_p, truth, q.error / q.value));
    }
  }
  SECTION("a rank-deficient factor: repeated constraints leave p unchanged") {
    // Rows 0..8 and copies of rows 0, 3, 5: rank 9, three variables own two rows each.
    const int extra = 3;
    const int rows[extra] = {0, 3, 5};
    Eigen::MatrixXd r(k + extra, k + extra);
    Eigen::VectorXd upper(k + extra);
    const Eigen::MatrixXd base = model.correlation();
    auto source = [&](int i) { return i < k ? i : rows[i - k]; };
    for (int i = 0; i < k + extra; ++i) {
      upper(i) = b(source(i));
      for (int j = 0; j < k + extra; ++j) r(i, j) = base(source(i), source(j));
    }
    const mvn_result q = mvn_cdf(upper, r, opt);
    INFO("log p " << q.log_probability << " truth " << truth << " ± "
                  << q.log_probability_error);
    CHECK(q.dimension == k);
    CHECK(q.method == mvn_method::genz_qmc);
    CHECK(q.converged);
    CHECK(q.error <= 1e-2 * q.probability);
    CHECK(within_error(q.log_probability, truth, q.log_probability_error));
  }
}

TEST_CASE("a small p the budget cannot resolve is reported as not converged") {
  const int k = 49;
  const one_factor model = equicorrelated(k, 0.5);
  const Eigen::VectorXd b = Eigen::VectorXd::Constant(k, limit_for(model, std::log(1e-20)));
  mvn_options opt;
  opt.max_points = 1024;
  const mvn_result r = mvn_cdf(b, model.correlation(), opt);
  INFO("p " << r.probability << " ± " << r.error);
  CHECK_FALSE(r.converged);
  CHECK(r.error > 1e-2 * r.probability);
}
