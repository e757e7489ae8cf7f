// Tests of probust::mvn_cdf, mvn_cdf_from_factor and polytope_probability against values
// that do not come from probust: Boost.Math's normal distribution, orthant closed forms,
// one-factor 1-D integrals, a 2-D polygon integral, independent products.
#include <Eigen/Dense>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <cmath>
#include <limits>
#include <random>

#include "catch_shim.hpp"
#include "probust/mvn/cdf.hpp"
#include "probust/mvn/polytope.hpp"
#include "reference.hpp"
#include "test_support.hpp"

using probust::mvn_cdf;
using probust::mvn_options;
using probust::mvn_result;
using probust_test::equicorrelated;
using probust_test::one_factor;
using probust_test::within_error;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

// Loadings in [lo, hi], deterministic (std::mt19937_64 is specified bit-exactly).
Eigen::VectorXd loadings(int k, double lo, double hi, unsigned seed) {
  std::mt19937_64 gen(seed);
  Eigen::VectorXd l(k);
  for (int i = 0; i < k; ++i) l(i) = lo + (hi - lo) * static_cast<double>(gen() >> 11) * 0x1.0p-53;
  return l;
}

Eigen::VectorXd limits(int k, double lo, double hi, unsigned seed) {
  return loadings(k, lo, hi, seed + 1000);
}

}  // namespace

TEST_CASE("k = 1 matches Boost.Math's normal distribution, complement and log included") {
  const boost::math::normal n(0.0, 2.0);
  for (double x : {-60.0, -12.0, -3.0, -0.4, 0.0, 1.0, 5.0, 13.0}) {
    const mvn_result r =
        mvn_cdf(Eigen::VectorXd::Constant(1, x), Eigen::MatrixXd::Constant(1, 1, 4.0));
    const double p = boost::math::cdf(n, x), q = boost::math::cdf(boost::math::complement(n, x));
    // Φ's condition number at z is ≈ 1 + z², so two correct codes differ by ~eps·(1 + z²).
    const double z = x / 2.0, tol = 4e-16 * (1.0 + z * z);
    CHECK(r.probability == Approx(p).epsilon(tol).margin(1e-300));
    CHECK(r.complement == Approx(q).epsilon(tol).margin(1e-300));
    CHECK(r.error == 0.0);
    CHECK(r.method == probust::mvn_method::univariate);
    const double log_p = p > 0.5 ? std::log1p(-q) : std::log(p);  // no cancellation near 1
    if (p > 1e-300) CHECK(r.log_probability == Approx(log_p).epsilon(tol));
  }
  // log Φ(−60/2) from the asymptotic series, where Φ itself is 5e-198.
  const mvn_result far =
      mvn_cdf(Eigen::VectorXd::Constant(1, -80.0), Eigen::MatrixXd::Constant(1, 1, 4.0));
  CHECK(far.log_probability == Approx(probust_test::log_phi_cdf(-40.0)).epsilon(1e-12));
}

TEST_CASE("orthant probabilities: k = 2 and k = 3 closed forms") {
  for (double rho : {-0.9, -0.3, 0.0, 0.5, 0.95}) {
    Eigen::MatrixXd s(2, 2);
    s << 1.0, rho, rho, 1.0;
    const mvn_result r = mvn_cdf(Eigen::VectorXd::Zero(2), s);
    CHECK(r.probability == Approx(0.25 + std::asin(rho) / (2 * M_PI)).margin(1e-14));
    CHECK(r.complement == Approx(0.75 - std::asin(rho) / (2 * M_PI)).margin(1e-14));
  }
  Eigen::MatrixXd s(3, 3);
  s << 1.0, 0.3, -0.2, 0.3, 1.0, 0.6, -0.2, 0.6, 1.0;
  const double truth = 0.125 + (std::asin(0.3) + std::asin(-0.2) + std::asin(0.6)) / (4 * M_PI);
  const mvn_result r = mvn_cdf(Eigen::VectorXd::Zero(3), s * 9.0);  // scale-free
  CHECK(r.probability == Approx(truth).margin(1e-13));
  CHECK(r.complement == Approx(1.0 - truth).margin(1e-13));
}

TEST_CASE("equicorrelated rho = 1/2 at 0 equals 1/(k+1)") {
  for (int k : {4, 5, 9, 19, 49}) {
    mvn_options opt;
    opt.abs_tol = 2e-5;
    const mvn_result r = mvn_cdf(Eigen::VectorXd::Zero(k), equicorrelated(k, 0.5), opt);
    INFO("k = " << k << " p = " << r.probability << " error = " << r.error);
    CHECK(r.converged);
    CHECK(r.method == probust::mvn_method::genz_qmc);
    CHECK(within_error(r.probability, 1.0 / (k + 1), r.error));
    CHECK(r.error <= opt.abs_tol);
  }
}

TEST_CASE("one-factor correlation at arbitrary limits equals its 1-D integral") {
  for (int k : {4, 7, 12, 30}) {
    const one_factor model{loadings(k, 0.3, 0.9, 10u + static_cast<unsigned>(k))};
    const Eigen::VectorXd b = limits(k, -1.0, 2.5, static_cast<unsigned>(k));
    const double truth = model.cdf(b);
    const mvn_result r = mvn_cdf(b, model.correlation());
    INFO("k = " << k << " truth = " << truth << " p = " << r.probability << " err " << r.error);
    CHECK(within_error(r.probability, truth, r.error));
    CHECK(r.error <= 1e-4);
  }
}

TEST_CASE("more variables than one GEMM panel (k = 30): two-sided rectangle") {
  // The SOV integrand updates the conditional sums panel by panel (16 variables); its
  // point-by-point path (two-sided limits, also log mode) must carry them across panels.
  // Truth: ∫ φ(s) Π_i (Φ(hi_i(s)) − Φ(lo_i(s))) ds for the one-factor model.
  const int k = 30;
  const one_factor model{loadings(k, 0.5, 0.8, 7u)};
  const Eigen::VectorXd a = Eigen::VectorXd::Constant(k, -2.0);
  const Eigen::VectorXd b = Eigen::VectorXd::Constant(k, 2.5);
  const auto f = [&](double s) {
    double v = probust::normal_pdf(s);
    for (int i = 0; i < k; ++i) {
      const double l = model.loadings(i), sd = std::sqrt(1.0 - l * l);
      v *= probust::normal_interval((a(i) - l * s) / sd, (b(i) - l * s) / sd);
    }
    return v;
  };
  const double truth =
      boost::math::quadrature::gauss_kronrod<double, 61>::integrate(f, -12.0, 12.0, 15, 1e-14);
  const mvn_result r = mvn_cdf(a, b, Eigen::VectorXd::Zero(k), model.correlation());
  INFO("truth " << truth << " got " << r.probability << " ± " << r.error);
  CHECK(r.converged);
  CHECK(within_error(r.probability, truth, r.error));
}

TEST_CASE(
    "rectangles with a mean equal the standardized one-sided problem and inclusion-exclusion") {
  // Two-sided limits on independent coordinates: a product of 1-D differences.
  const int k = 5;
  Eigen::VectorXd mean(k), sd(k), lo(k), hi(k);
  mean << 0.5, -1.0, 2.0, 0.0, 3.0;
  sd << 1.0, 2.0, 0.5, 3.0, 1.5;
  lo << -0.5, -inf, 1.0, -2.0, 2.0;
  hi << 1.5, 0.0, inf, 4.0, 5.0;
  double truth = 1.0;
  for (int i = 0; i < k; ++i) {
    truth *= probust_test::phi_cdf((hi(i) - mean(i)) / sd(i)) -
             probust_test::phi_cdf((lo(i) - mean(i)) / sd(i));
  }
  const Eigen::MatrixXd cov = sd.cwiseAbs2().asDiagonal();
  const mvn_result r = mvn_cdf(lo, hi, mean, cov);
  CHECK(r.probability == Approx(truth).epsilon(1e-12));
  // Bivariate rectangle: inclusion–exclusion over Boost-independent orthant values at rho=0.
  Eigen::MatrixXd s2(2, 2);
  s2 << 1.0, 0.0, 0.0, 1.0;
  const mvn_result r2 =
      mvn_cdf(Eigen::Vector2d(-1.0, -0.5), Eigen::Vector2d(1.0, 2.0), Eigen::Vector2d::Zero(), s2);
  const double t2 = (probust_test::phi_cdf(1.0) - probust_test::phi_cdf(-1.0)) *
                    (probust_test::phi_cdf(2.0) - probust_test::phi_cdf(-0.5));
  CHECK(r2.probability == Approx(t2).epsilon(1e-13));
}

TEST_CASE("independent blocks give the product of their parts") {
  // Block 1: equicorrelated 1/2, k = 4 at 0 → 1/5. Block 2: one-factor k = 3 → 1-D integral.
  const one_factor model{loadings(3, 0.2, 0.8, 77u)};
  const Eigen::VectorXd b2 = limits(3, 0.0, 1.5, 78u);
  Eigen::MatrixXd s = Eigen::MatrixXd::Zero(7, 7);
  s.topLeftCorner(4, 4) = equicorrelated(4, 0.5);
  s.bottomRightCorner(3, 3) = model.correlation();
  Eigen::VectorXd b(7);
  b << 0.0, 0.0, 0.0, 0.0, b2;
  const double truth = 0.2 * model.cdf(b2);
  mvn_options opt;
  opt.abs_tol = 2e-5;
  const mvn_result r = mvn_cdf(b, s, opt);
  INFO("p = " << r.probability << " truth = " << truth << " err = " << r.error);
  CHECK(within_error(r.probability, truth, r.error));
}

TEST_CASE("permuting the variables does not change the result") {
  const int k = 8;
  const one_factor model{loadings(k, 0.1, 0.95, 5u)};
  const Eigen::VectorXd b = limits(k, -0.5, 2.0, 6u);
  const Eigen::MatrixXd s = model.correlation();
  Eigen::PermutationMatrix<Eigen::Dynamic> perm(k);
  perm.indices() << 3, 7, 0, 5, 1, 6, 2, 4;
  const mvn_result r1 = mvn_cdf(b, s);
  const mvn_result r2 = mvn_cdf(perm * b, perm * s * perm.transpose());
  CHECK(within_error(r1.probability, r2.probability, r1.error + r2.error));
  CHECK(within_error(r1.probability, model.cdf(b), r1.error));
}

TEST_CASE("a singular covariance equals the reduced problem (no jitter)") {
  SECTION("duplicated variables: P(X ≤ b) with X_5 = X_1 equals the 4-variable problem") {
    const one_factor model{loadings(4, 0.3, 0.8, 9u)};
    const Eigen::MatrixXd r4 = model.correlation();
    Eigen::MatrixXd s(6, 6);
    Eigen::MatrixXd select = Eigen::MatrixXd::Zero(6, 4);
    select.topRows(4).setIdentity();
    select(4, 0) = 1.0;   // X_5 = X_1
    select(5, 2) = 2.0;   // X_6 = 2 X_3
    s = select * r4 * select.transpose();
    Eigen::VectorXd b(6);
    const Eigen::VectorXd b4 = limits(4, 0.0, 1.5, 10u);
    b << b4, b4(0) - 0.3, 2.0 * b4(2) + 1.0;  // X_5's limit binds, X_6's does not
    Eigen::VectorXd reduced = b4;
    reduced(0) -= 0.3;
    const double truth = model.cdf(reduced);
    const mvn_result r = mvn_cdf(b, s);
    INFO("p = " << r.probability << " truth = " << truth << " err = " << r.error);
    CHECK(r.dimension == 4);
    CHECK(within_error(r.probability, truth, r.error));
  }
  SECTION("rank 2 with many constraints equals the exact polygon probability") {
    for (int k : {4, 9, 30}) {
      Eigen::MatrixXd g(k, 2);
      for (int i = 0; i < k; ++i) {
        const double angle = 2.0 * M_PI * i / k + 0.1 * i * i;
        g(i, 0) = (1.0 + 0.1 * i) * std::cos(angle);
        g(i, 1) = (1.0 + 0.1 * i) * std::sin(angle);
      }
      const Eigen::VectorXd b = limits(k, 1.0, 3.0, static_cast<unsigned>(k) + 40u);
      const double truth = probust_test::polygon_probability(g, b);
      const mvn_result r = probust::mvn_cdf_from_factor(b, g);
      INFO("k = " << k << " p = " << r.probability << " truth = " << truth << " err " << r.error);
      CHECK(r.dimension == 2);
      CHECK(within_error(r.probability, truth, std::max(r.error, 1e-13)));
      CHECK(r.error <= 1e-4);
    }
  }
  SECTION("rank 1: every constraint bounds one variable, the answer is exact") {
    Eigen::MatrixXd g(5, 1);
    g << 1.0, -2.0, 0.5, 3.0, -1.0;
    Eigen::VectorXd b(5);
    b << 2.0, 1.0, 1.5, 9.0, 3.0;
    // z ≤ 2, z ≥ −0.5, z ≤ 3, z ≤ 3, z ≥ −3  →  P(−0.5 ≤ z ≤ 2).
    const double truth = probust_test::phi_cdf(2.0) - probust_test::phi_cdf(-0.5);
    const mvn_result r = probust::mvn_cdf_from_factor(b, g);
    CHECK(r.probability == Approx(truth).epsilon(1e-14));
    CHECK(r.error == 0.0);
  }
}

TEST_CASE("complement near 1 keeps its relative accuracy") {
  SECTION("independent coordinates: 1 − p = −expm1(Σ log Φ(b_i)) to full precision") {
    for (int k : {4, 9, 50}) {
      for (double q_target : {1e-3, 1e-6, 1e-9, 1e-12}) {
        // Equal limits with k Φ̄(b) ≈ q_target.
        const boost::math::normal n;
        const double c = boost::math::quantile(boost::math::complement(n, q_target / k));
        const Eigen::VectorXd b = Eigen::VectorXd::Constant(k, c);
        const double truth =
            -std::expm1(k * std::log1p(-boost::math::cdf(boost::math::complement(n, c))));
        const mvn_result r = mvn_cdf(b, Eigen::MatrixXd::Identity(k, k));
        INFO("k = " << k << " q = " << truth << " got " << r.complement << " err "
                    << r.complement_error);
        CHECK(std::abs(r.complement - truth) <= 1e-2 * truth);
        CHECK(std::abs(r.complement - truth) <= std::max(r.complement_error, 1e-15 * truth));
        CHECK(within_error(r.probability, 1.0 - truth, r.error));
      }
    }
  }
  SECTION("correlated (one-factor) case against its 1-D integral") {
    for (double c : {4.0, 6.0, 7.0}) {
      const int k = 9;
      const one_factor model{loadings(k, 0.5, 0.85, 3u)};
      const Eigen::VectorXd b = Eigen::VectorXd::Constant(k, c);
      const double truth = model.complement(b);
      const mvn_result r = mvn_cdf(b, model.correlation());
      INFO("c = " << c << " q = " << truth << " got " << r.complement << " err "
                  << r.complement_error);
      CHECK(std::abs(r.complement - truth) <= 1e-2 * truth);
      CHECK(within_error(r.complement, truth, r.complement_error));
    }
  }
  SECTION("easy points are pinned by Bonferroni-Hunter bounds, hard ones are sampled") {
    // One dominant margin: bounds meet, no sampling. Equal limits at high correlation:
    // S₁ overstates q by far and the bounds stay apart, so ALOE runs.
    const int k = 9;
    const one_factor model{loadings(k, 0.5, 0.85, 3u)};
    Eigen::VectorXd b = Eigen::VectorXd::Constant(k, 9.0);
    b(4) = 6.0;
    const mvn_result easy = mvn_cdf(b, model.correlation());
    const double easy_truth = model.complement(b);
    INFO("easy q = " << easy_truth << " got " << easy.complement << " ± " << easy.complement_error);
    CHECK(easy.method == probust::mvn_method::bound);
    CHECK(easy.points == 0);
    CHECK(within_error(easy.complement, easy_truth, easy.complement_error));
    CHECK(easy.complement_error <= 1e-2 * easy_truth);

    const Eigen::VectorXd equal = Eigen::VectorXd::Constant(k, 3.5);
    const mvn_result hard = mvn_cdf(equal, model.correlation());
    CHECK(hard.method == probust::mvn_method::rare_event);
    CHECK(within_error(hard.complement, model.complement(equal), hard.complement_error));
  }
  SECTION("bivariate and trivariate complements are exact") {
    const boost::math::normal n;
    Eigen::MatrixXd s = Eigen::MatrixXd::Identity(3, 3);
    const Eigen::VectorXd b = Eigen::VectorXd::Constant(3, 7.5);
    const double tail = boost::math::cdf(boost::math::complement(n, 7.5));
    const double truth = -std::expm1(3.0 * std::log1p(-tail));
    CHECK(mvn_cdf(b, s).complement == Approx(truth).epsilon(1e-13));
    CHECK(mvn_cdf(Eigen::VectorXd(b.head(2)), Eigen::MatrixXd(s.topLeftCorner(2, 2))).complement ==
          Approx(-std::expm1(2.0 * std::log1p(-tail))).epsilon(1e-13));
  }
}

TEST_CASE("log p stays meaningful for tiny p") {
  SECTION("independent: log p = Σ log Φ(b_i), p ≈ 1e-286") {
    const Eigen::VectorXd b = Eigen::VectorXd::Constant(5, -16.0);
    const mvn_result r = mvn_cdf(b, Eigen::MatrixXd::Identity(5, 5));
    CHECK(r.log_probability == Approx(5.0 * probust_test::log_phi_cdf(-16.0)).epsilon(1e-10));
  }
  SECTION("one-factor: log p against the log-space 1-D integral, down to p ≈ 1e-352") {
    const int k = 9;
    const one_factor model{loadings(k, 0.4, 0.8, 21u)};
    // p ≈ 1e-9, 1e-51, 1e-228 (integrand in log mode), 1e-352 (p itself underflows).
    for (double c : {-3.0, -9.0, -20.0, -25.0}) {
      const Eigen::VectorXd b = Eigen::VectorXd::Constant(k, c);
      const double truth = model.log_cdf(b);
      mvn_options opt;
      opt.abs_tol = 0.0;  // relative accuracy only
      opt.rel_tol = c > -25.0 ? 1e-2 : 5e-2;
      const mvn_result r = mvn_cdf(b, model.correlation(), opt);
      INFO("c = " << c << " log p truth " << truth << " got " << r.log_probability << " ± "
                  << r.log_probability_error);
      CHECK(r.converged);
      CHECK(r.log_probability_error <= opt.rel_tol);
      // |log p̂ − log p| ≈ |p̂ − p|/p.
      CHECK(within_error(r.log_probability, truth, r.log_probability_error));
      if (c == -25.0) {
        CHECK(r.probability == 0.0);  // below the smallest double; log p carries the answer
      }
    }
  }
}

TEST_CASE("QMC results lie inside their reported error at least 95% of the time") {
  const int k = 9, trials = 200;
  const one_factor model{loadings(k, 0.2, 0.9, 99u)};
  const Eigen::VectorXd b = limits(k, -0.5, 1.5, 98u);
  const double truth = model.cdf(b);
  int inside = 0;
  mvn_options opt;
  opt.abs_tol = 1e-3;  // many cheap runs; coverage does not depend on the tolerance
  for (int t = 0; t < trials; ++t) {
    opt.seed = 1000u + static_cast<unsigned>(t);
    const mvn_result r = mvn_cdf(b, model.correlation(), opt);
    inside += std::abs(r.probability - truth) <= r.error ? 1 : 0;
  }
  INFO("inside " << inside << " of " << trials);
  CHECK(inside >= 0.95 * trials);
}

TEST_CASE("ill-conditioned QMC results lie inside their reported error at least 98% of the time") {
  // One-factor correlations with loadings ±U[0.95, 0.999] (eigenvalues down to ~0.002) and
  // an exact 1-D reference. These two problems stopped after the first round often enough
  // to cover only 194/200 and 195/200 before the first round stopped counting as converged.
  for (const auto& [k, draw] : {std::pair{9, 8u}, std::pair{19, 3u}}) {
    std::mt19937_64 rng(draw);
    std::uniform_real_distribution<double> unif(0.0, 1.0);
    Eigen::VectorXd l(k), b(k);
    for (int i = 0; i < k; ++i) {
      const double sign = unif(rng) < 0.5 ? -1.0 : 1.0;
      l(i) = sign * (0.95 + 0.049 * unif(rng));
      b(i) = -0.5 + 3.0 * unif(rng);
    }
    const one_factor model{l};
    const double truth = model.cdf(b);
    const int trials = 200;
    int inside = 0;
    mvn_options opt;
    opt.abs_tol = 1e-3;
    for (int t = 0; t < trials; ++t) {
      opt.seed = 1000u + static_cast<unsigned>(t);
      const mvn_result r = mvn_cdf(b, model.correlation(), opt);
      inside += std::abs(r.probability - truth) <= r.error ? 1 : 0;
      CHECK(r.points >= 2u * 8u * opt.initial_points);  // never stops on the first round
    }
    INFO("k = " << k << ": inside " << inside << " of " << trials);
    CHECK(inside >= 0.98 * trials);
  }
}

TEST_CASE("results are bit-reproducible for a fixed seed and change with the seed") {
  const int k = 10;
  const one_factor model{loadings(k, 0.3, 0.9, 1u)};
  const Eigen::VectorXd b = limits(k, 0.0, 2.0, 2u);
  const mvn_result r1 = mvn_cdf(b, model.correlation());
  const mvn_result r2 = mvn_cdf(b, model.correlation());
  CHECK(r1.probability == r2.probability);
  CHECK(r1.error == r2.error);
  mvn_options other;
  other.seed = 12345u;
  CHECK(mvn_cdf(b, model.correlation(), other).probability != r1.probability);
}

TEST_CASE("infinite limits are legal") {
  const int k = 6;
  const one_factor model{loadings(k, 0.3, 0.7, 4u)};
  Eigen::VectorXd b = limits(k, 0.0, 1.0, 4u);
  Eigen::VectorXd b_inf = b;
  b_inf(1) = inf;
  b_inf(4) = inf;
  // Dropping coordinates 1 and 4 leaves a 4-variable one-factor problem.
  Eigen::VectorXd l4(4), b4(4);
  l4 << model.loadings(0), model.loadings(2), model.loadings(3), model.loadings(5);
  b4 << b(0), b(2), b(3), b(5);
  const mvn_result r = mvn_cdf(b_inf, model.correlation());
  CHECK(r.constraints == 4);
  CHECK(within_error(r.probability, one_factor{l4}.cdf(b4), r.error));
  b_inf(2) = -inf;
  const mvn_result zero = mvn_cdf(b_inf, model.correlation());
  CHECK(zero.probability == 0.0);
  CHECK(zero.complement == 1.0);
  const mvn_result all = mvn_cdf(Eigen::VectorXd::Constant(k, inf), model.correlation());
  CHECK(all.probability == 1.0);
  CHECK(all.complement == 0.0);
}

TEST_CASE("polytope probability P(A eps <= b) equals the MVN CDF of A Sigma A^T") {
  const int k = 6, d = 4;
  std::mt19937_64 gen(17);
  std::normal_distribution<double> normal;  // only to build a test matrix
  Eigen::MatrixXd a(k, d), f(d, d);
  for (int i = 0; i < k; ++i) for (int j = 0; j < d; ++j) a(i, j) = normal(gen);
  for (int i = 0; i < d; ++i) for (int j = 0; j < d; ++j) f(i, j) = normal(gen);
  const Eigen::MatrixXd sigma = f * f.transpose();
  const Eigen::VectorXd b = limits(k, 0.5, 3.0, 8u);
  const mvn_result via_cov = probust::polytope_probability(a, b, sigma);
  const mvn_result via_factor = probust::polytope_probability_from_factor(a, b, f);
  const mvn_result via_cdf = mvn_cdf(b, Eigen::MatrixXd(a * sigma * a.transpose()));
  CHECK(via_cov.dimension == d);
  CHECK(within_error(via_cov.probability, via_cdf.probability, via_cov.error + via_cdf.error));
  CHECK(
      within_error(via_factor.probability, via_cdf.probability, via_factor.error + via_cdf.error));
  // Exact check in d = 2: the polygon integral.
  Eigen::MatrixXd a2(k, 2);
  a2 = a.leftCols(2);
  const mvn_result r2 = probust::polytope_probability(a2, b, Eigen::MatrixXd::Identity(2, 2));
  CHECK(within_error(r2.probability, probust_test::polygon_probability(a2, b),
                     std::max(r2.error, 1e-13)));
  // A singular noise covariance (rank 2 in 4 dimensions) is accepted and handled exactly:
  // ε = B z with B 4 × 2, so A ε = (A B) z is the polygon problem of A B.
  Eigen::MatrixXd bfac(d, 2);
  for (int i = 0; i < d; ++i) for (int j = 0; j < 2; ++j) bfac(i, j) = normal(gen);
  const Eigen::MatrixXd ab = a * bfac;
  const mvn_result singular =
      probust::polytope_probability(a, b, Eigen::MatrixXd(bfac * bfac.transpose()));
  CHECK(singular.dimension == 2);
  CHECK(within_error(singular.probability, probust_test::polygon_probability(ab, b),
                     std::max(singular.error, 1e-13)));
  // Float inputs work and give the same answer.
  const mvn_result rf = probust::polytope_probability(a2.cast<float>(), b.cast<float>(),
                                                      Eigen::MatrixXf::Identity(2, 2));
  CHECK(std::abs(rf.probability - r2.probability) <= 1e-5);
}

TEST_CASE("bad input throws probust::invalid_argument naming the argument") {
  const Eigen::MatrixXd s = equicorrelated(4, 0.3);
  const Eigen::VectorXd b = Eigen::VectorXd::Zero(4);
  auto message_of = [](auto&& call) -> std::string {
    try {
      call();
    } catch (const probust::invalid_argument& e) {
      return e.what();
    }
    return "no exception";
  };
  Eigen::VectorXd nan_b = b;
  nan_b(2) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THAT(message_of([&] { mvn_cdf(nan_b, s); }),
             Catch::Contains("upper") && Catch::Contains("NaN"));
  CHECK_THAT(message_of([&] { mvn_cdf(Eigen::VectorXd::Zero(3), s); }),
             Catch::Contains("upper has size 3"));
  Eigen::MatrixXd asym = s;
  asym(0, 1) = 0.9;
  CHECK_THAT(message_of([&] { mvn_cdf(b, asym); }), Catch::Contains("not symmetric"));
  Eigen::MatrixXd negative = s;
  negative(2, 2) = -1.0;
  CHECK_THAT(message_of([&] { mvn_cdf(b, negative); }), Catch::Contains("negative variance"));
  Eigen::MatrixXd not_psd = equicorrelated(4, -0.6);  // smallest eigenvalue 1 − 3·0.6 < 0
  CHECK_THAT(message_of([&] { mvn_cdf(b, not_psd); }), Catch::Contains("positive semi-definite"));
  Eigen::MatrixXd not_psd3 = equicorrelated(3, -0.8);
  CHECK_THAT(message_of([&] { mvn_cdf(Eigen::VectorXd::Zero(3), not_psd3); }),
             Catch::Contains("positive semi-definite"));
  Eigen::MatrixXd inf_cov = s;
  inf_cov(1, 1) = inf;
  CHECK_THAT(message_of([&] { mvn_cdf(b, inf_cov); }),
             Catch::Contains("covariance") && Catch::Contains("non-finite"));
  CHECK_THAT(message_of([&] {
               mvn_cdf(Eigen::VectorXd::Ones(4), Eigen::VectorXd::Zero(4), Eigen::VectorXd::Zero(4),
                       s);
             }),
             Catch::Contains("lower limit exceeds upper"));
  CHECK_THAT(message_of([&] { mvn_cdf(b, Eigen::MatrixXd::Identity(4, 3)); }),
             Catch::Contains("square"));
  CHECK_THAT(message_of([&] {
               probust::polytope_probability(Eigen::MatrixXd::Ones(4, 3), b,
                                             Eigen::MatrixXd::Identity(2, 2));
             }),
             Catch::Contains("probust::polytope_probability"));
  CHECK_THAT(message_of([&] {
               probust::polytope_probability(Eigen::MatrixXd::Ones(4, 2), b,
                                             Eigen::MatrixXd(-Eigen::MatrixXd::Identity(2, 2)));
             }),
             Catch::Contains("covariance"));
}
