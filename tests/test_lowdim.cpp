// Bivariate and trivariate normal probabilities against values that do not come from
// probust: Owen's T (Boost.Math), orthant closed forms, exact degenerate cases, and 1-D
// Gauss–Kronrod integrals of conditional probabilities written out here.
#include <algorithm>
#include <array>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/special_functions/owens_t.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "catch_shim.hpp"
#include "probust/errors.hpp"
#include "probust/mvn/bivariate.hpp"
#include "probust/mvn/trivariate.hpp"

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double pi = 3.141592653589793238463;

double phi(double x) { return boost::math::pdf(boost::math::normal(), x); }
double cdf(double x) { return boost::math::cdf(boost::math::normal(), x); }
double ccdf(double x) {
  return boost::math::cdf(boost::math::complement(boost::math::normal(), x));
}

/// Owen (1956): Φ₂(h, k; ρ) = ½Φ(h) + ½Φ(k) − T(h, a_h) − T(k, a_k) − β with
/// a_h = (k − ρh)/(h√(1 − ρ²)), a_k = (h − ρk)/(k√(1 − ρ²)), β = 0 if hk > 0, else ½
/// (h, k ≠ 0, |ρ| < 1).
double owen_cdf(double h, double k, double rho) {
  const double s = std::sqrt(1.0 - rho * rho);
  const double beta = h * k > 0.0 ? 0.0 : 0.5;
  return 0.5 * cdf(h) + 0.5 * cdf(k) - boost::math::owens_t(h, (k - rho * h) / (h * s)) -
         boost::math::owens_t(k, (h - rho * k) / (k * s)) - beta;
}

/// Φ's argument x/√2 is rounded, which moves Φ(x) by up to about x²ε relative — in the code
/// under test and in the reference alike; comparisons of tail values allow for it.
double phi_tolerance(double x, double y = 0.0) { return 4e-16 * (1.0 + x * x + y * y); }

/// ∫_a^b f by Boost's adaptive 61-point Gauss–Kronrod (b may be +∞, a may be −∞) to a
/// relative 1e-13 (far below the tolerances it is used for; asking for much less makes
/// Boost's local error test chase rounding noise).
template <class F>
double integral(F f, double a, double b) {
  double error = 0.0;
  return boost::math::quadrature::gauss_kronrod<double, 61>::integrate(f, a, b, 15, 1e-13, &error);
}

/// ∫_h^∞ f over pieces [h, h + 2^j/8]: the integrands below are concentrated near h.
template <class F>
double tail_integral(F f, double h) {
  double sum = 0.0;
  double lo = h;
  for (double width = 0.125; width <= 32.0; width *= 2.0) {
    sum += integral(f, lo, h + width);
    lo = h + width;
  }
  return sum + integral(f, lo, inf);
}

/// P(X > h, Y > k) = ∫_h^∞ φ(x) Φ̄((k − ρx)/√(1 − ρ²)) dx.
double upper_by_integral(double h, double k, double rho) {
  const double s = std::sqrt(1.0 - rho * rho);
  return tail_integral([&](double x) { return phi(x) * ccdf((k - rho * x) / s); }, h);
}

/// A correlation matrix (r12, r13, r23): Gram matrix of three random unit vectors in R⁴
/// (a portable generator, so the cases are the same with every standard library).
struct correlations {
  double r12, r13, r23;
};
correlations random_correlations(std::uint64_t& state) {
  const auto uniform = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) * 0x1.0p-53 * 2.0 - 1.0;
  };
  std::array<std::array<double, 4>, 3> v{};
  for (auto& row : v) {
    double norm = 0.0;
    for (double& x : row) {
      x = uniform();
      norm += x * x;
    }
    for (double& x : row) x /= std::sqrt(norm);
  }
  const auto dot = [&v](int i, int j) {
    double d = 0.0;
    for (int c = 0; c < 4; ++c) d += v[i][c] * v[j][c];
    return d;
  };
  return {dot(0, 1), dot(0, 2), dot(1, 2)};
}

/// P(X1 ≤ a1, X2 ≤ a2, X3 ≤ a3) = ∫_{−∞}^{a1} φ(x) Φ₂((a2 − r12 x)/s2, (a3 − r13 x)/s3; ρ23|1) dx,
/// s_i = √(1 − r1i²), ρ23|1 = (r23 − r12 r13)/(s2 s3), with the bivariate CDF from probust
/// (validated above against Owen's T).
double trivariate_cdf_by_integral(double a1, double a2, double a3, const correlations& c) {
  const double s2 = std::sqrt(1.0 - c.r12 * c.r12);
  const double s3 = std::sqrt(1.0 - c.r13 * c.r13);
  const double rho = std::clamp((c.r23 - c.r12 * c.r13) / (s2 * s3), -1.0, 1.0);
  const auto f = [&](double x) {
    return phi(x) *
           probust::bivariate_normal_cdf((a2 - c.r12 * x) / s2, (a3 - c.r13 * x) / s3, rho);
  };
  return integral(f, -inf, std::min(a1, 0.0)) + (a1 > 0.0 ? integral(f, 0.0, a1) : 0.0);
}

}  // namespace

TEST_CASE("bivariate normal CDF agrees with Owen's T to 1e-14") {
  const std::vector<double> limits{-5.0, -2.0, -0.5, 0.3, 1.0, 3.0};
  double worst = 0.0;
  for (double rho : {-0.99, -0.9, -0.5, 0.0, 0.3, 0.7, 0.93, 0.99}) {
    for (double h : limits) {
      for (double k : limits) {
        const double expected = owen_cdf(h, k, rho);
        const double got = probust::bivariate_normal_cdf(h, k, rho);
        INFO("h = " << h << ", k = " << k << ", rho = " << rho);
        CHECK(std::fabs(got - expected) <= 1e-14);
        // P(X > −h, Y > −k) is the same probability.
        CHECK(probust::bivariate_normal_upper(-h, -k, rho) == got);
        worst = std::max(worst, std::fabs(got - expected));
      }
    }
  }
  CHECK(worst <= 1e-14);
}

TEST_CASE("bivariate orthant probabilities: 1/4 + asin(rho)/(2 pi)") {
  for (double rho :
       {-1.0, -0.999999, -0.99, -0.7, -0.2, 0.0, 0.1, 0.5, 0.9, 0.925, 0.999999, 1.0}) {
    const double expected = std::acos(-rho) / (2.0 * pi);  // = 1/4 + asin(ρ)/(2π)
    INFO("rho = " << rho);
    CHECK(std::fabs(probust::bivariate_normal_upper(0.0, 0.0, rho) - expected) <= 1e-14);
    CHECK(probust::bivariate_normal_upper(0.0, 0.0, rho) ==
          Approx(expected).epsilon(1e-13).margin(0.0));
    CHECK(std::fabs(probust::bivariate_normal_cdf(0.0, 0.0, rho) - expected) <= 1e-14);
  }
}

TEST_CASE("bivariate exact cases: rho = 0, rho = +-1, infinite limits") {
  for (double a : {-6.0, -1.5, 0.0, 0.4, 2.0, 7.0}) {
    for (double b : {-3.0, -0.2, 0.0, 1.1, 5.0}) {
      INFO("a = " << a << ", b = " << b);
      const double tol = phi_tolerance(a, b);
      CHECK(probust::bivariate_normal_cdf(a, b, 0.0) ==
            Approx(cdf(a) * cdf(b)).epsilon(tol).margin(0.0));
      CHECK(probust::bivariate_normal_upper(a, b, 0.0) ==
            Approx(ccdf(a) * ccdf(b)).epsilon(tol).margin(0.0));
      CHECK(probust::bivariate_normal_cdf(a, b, 1.0) ==
            Approx(cdf(std::min(a, b))).epsilon(tol).margin(0.0));
      CHECK(probust::bivariate_normal_upper(a, b, 1.0) ==
            Approx(ccdf(std::max(a, b))).epsilon(tol).margin(0.0));
      CHECK(std::fabs(probust::bivariate_normal_cdf(a, b, -1.0) -
                      std::max(0.0, cdf(a) + cdf(b) - 1.0)) <= 2e-16);
      for (double rho : {-0.8, 0.0, 0.6, 1.0}) {
        CHECK(probust::bivariate_normal_cdf(a, inf, rho) == Approx(cdf(a)).epsilon(tol));
        CHECK(probust::bivariate_normal_cdf(inf, b, rho) == Approx(cdf(b)).epsilon(tol));
        CHECK(probust::bivariate_normal_cdf(-inf, b, rho) == 0.0);
        CHECK(probust::bivariate_normal_upper(a, -inf, rho) == Approx(ccdf(a)).epsilon(tol));
        CHECK(probust::bivariate_normal_upper(inf, b, rho) == 0.0);
      }
    }
  }
  CHECK(probust::bivariate_normal_cdf(inf, inf, 0.3) == 1.0);
  CHECK(probust::bivariate_normal_upper(-inf, -inf, -0.3) == 1.0);
  CHECK(probust::bivariate_normal_cdf(-inf, -inf, 0.3) == 0.0);
}

TEST_CASE("bivariate upper tail keeps its relative accuracy") {
  // ρ = 0: exactly Φ̄(h)Φ̄(k).
  CHECK(probust::bivariate_normal_upper(8.0, 8.0, 0.0) ==
        Approx(ccdf(8.0) * ccdf(8.0)).epsilon(1e-13).margin(0.0));
  // Against ∫_h^∞ φ(x) Φ̄((k − ρx)/√(1 − ρ²)) dx; the values range from 1e-4 to 1e-84.
  const std::array<std::array<double, 3>, 10> cases{{{8.0, 8.0, 0.5},
                                                     {3.0, 3.0, -0.5},
                                                     {5.0, 7.0, 0.9},
                                                     {4.0, 2.0, -0.9},
                                                     {1.0, 8.0, 0.7},
                                                     {6.0, 6.0, 0.95},
                                                     {2.0, 2.0, -0.99},
                                                     {10.0, 12.0, 0.3},
                                                     {2.5, 1.0, 0.2},
                                                     {-1.0, 5.0, -0.6}}};
  for (const auto& c : cases) {
    const double expected = upper_by_integral(c[0], c[1], c[2]);
    INFO("h = " << c[0] << ", k = " << c[1] << ", rho = " << c[2] << ", P = " << expected);
    CHECK(probust::bivariate_normal_upper(c[0], c[1], c[2]) ==
          Approx(expected).epsilon(1e-10).margin(0.0));
  }
}

TEST_CASE("trivariate orthant probabilities: 1/8 + (asin r12 + asin r13 + asin r23)/(4 pi)") {
  std::uint64_t state = 42;
  std::vector<correlations> cases{{0.5, 0.5, 0.5}, {-0.4, -0.4, -0.2}, {0.9, 0.9, 0.81},
                                  {1.0, 0.3, 0.3}, {-1.0, 0.6, -0.6},  {0.0, 0.0, 0.0}};
  for (int i = 0; i < 20; ++i) cases.push_back(random_correlations(state));
  for (const auto& c : cases) {
    const double expected =
        0.125 + (std::asin(c.r12) + std::asin(c.r13) + std::asin(c.r23)) / (4.0 * pi);
    INFO("r = " << c.r12 << ", " << c.r13 << ", " << c.r23);
    CHECK(std::fabs(probust::trivariate_normal_upper(0, 0, 0, c.r12, c.r13, c.r23) - expected) <=
          1e-14);
    CHECK(std::fabs(probust::trivariate_normal_cdf(0, 0, 0, c.r12, c.r13, c.r23) - expected) <=
          1e-14);
  }
}

TEST_CASE("trivariate reduces exactly: independent blocks, r = +-1, infinite limits") {
  const double a1 = 0.7, a2 = -0.4, a3 = 1.3, rho = 0.45;
  using probust::bivariate_normal_cdf;
  using probust::trivariate_normal_cdf;
  // One variable independent of the other two.
  CHECK(trivariate_normal_cdf(a1, a2, a3, rho, 0.0, 0.0) ==
        Approx(bivariate_normal_cdf(a1, a2, rho) * cdf(a3)).epsilon(1e-14));
  CHECK(trivariate_normal_cdf(a1, a2, a3, 0.0, rho, 0.0) ==
        Approx(bivariate_normal_cdf(a1, a3, rho) * cdf(a2)).epsilon(1e-14));
  CHECK(trivariate_normal_cdf(a1, a2, a3, 0.0, 0.0, -rho) ==
        Approx(bivariate_normal_cdf(a2, a3, -rho) * cdf(a1)).epsilon(1e-14));
  CHECK(trivariate_normal_cdf(a1, a2, a3, 0.0, 0.0, 0.0) ==
        Approx(cdf(a1) * cdf(a2) * cdf(a3)).epsilon(1e-14));
  // X2 = X1 (r12 = 1, r13 = r23): the smaller limit binds.
  for (double r : {-0.7, 0.0, 0.35, 0.9}) {
    INFO("r13 = r23 = " << r);
    CHECK(trivariate_normal_cdf(a1, a2, a3, 1.0, r, r) ==
          Approx(bivariate_normal_cdf(std::min(a1, a2), a3, r)).epsilon(1e-14));
    CHECK(trivariate_normal_cdf(a1, a2, a3, r, r, 1.0) ==
          Approx(bivariate_normal_cdf(a1, std::min(a2, a3), r)).epsilon(1e-14));
    // X2 = −X1: P(−a2 ≤ X1 ≤ a1, X3 ≤ a3).
    CHECK(std::fabs(trivariate_normal_cdf(a1, a2, a3, -1.0, r, -r) -
                    (bivariate_normal_cdf(a1, a3, r) - bivariate_normal_cdf(-a2, a3, r))) <= 1e-15);
  }
  // Infinite limits drop a variable or empty the event.
  const correlations c{0.3, -0.5, 0.4};
  CHECK(trivariate_normal_cdf(a1, a2, inf, c.r12, c.r13, c.r23) ==
        Approx(bivariate_normal_cdf(a1, a2, c.r12)).epsilon(1e-15));
  CHECK(trivariate_normal_cdf(inf, a2, a3, c.r12, c.r13, c.r23) ==
        Approx(bivariate_normal_cdf(a2, a3, c.r23)).epsilon(1e-15));
  CHECK(trivariate_normal_cdf(inf, inf, a3, c.r12, c.r13, c.r23) == Approx(cdf(a3)).epsilon(1e-15));
  CHECK(trivariate_normal_cdf(inf, inf, inf, c.r12, c.r13, c.r23) == 1.0);
  CHECK(trivariate_normal_cdf(a1, -inf, a3, c.r12, c.r13, c.r23) == 0.0);
  CHECK(probust::trivariate_normal_upper(a1, inf, a3, c.r12, c.r13, c.r23) == 0.0);
  CHECK(probust::trivariate_normal_upper(-inf, a2, a3, c.r12, c.r13, c.r23) ==
        Approx(probust::bivariate_normal_upper(a2, a3, c.r23)).epsilon(1e-15));
}

TEST_CASE("trivariate with a rank-2 correlation matrix (X3 = (X1 + X2)/|X1 + X2|)") {
  // Given X1 = x: X2 ~ N(r12 x, 1 − r12²) and X3 ≤ a3 ⇔ X2 ≤ c·a3 − x, c = √(2 + 2 r12), so
  //   P = ∫_{−∞}^{a1} φ(x) Φ((min(a2, c·a3 − x) − r12 x)/√(1 − r12²)) dx,
  // split where the minimum switches.
  for (double r12 : {-0.6, 0.0, 0.3, 0.8}) {
    const double r = std::sqrt((1.0 + r12) / 2.0);
    const double c = std::sqrt(2.0 + 2.0 * r12);
    const double s = std::sqrt(1.0 - r12 * r12);
    for (const auto& a : std::vector<std::array<double, 3>>{
             {0.2, -0.4, 0.5}, {1.5, 1.0, 0.3}, {-0.3, 2.0, 1.0}, {2.5, 2.5, 2.5}}) {
      const auto f = [&](double x) {
        return phi(x) * cdf((std::min(a[1], c * a[2] - x) - r12 * x) / s);
      };
      const double kink = c * a[2] - a[1];
      const double expected =
          kink < a[0] ? integral(f, -inf, kink) + integral(f, kink, a[0]) : integral(f, -inf, a[0]);
      INFO("r12 = " << r12 << ", a = " << a[0] << ", " << a[1] << ", " << a[2]);
      CHECK(std::fabs(probust::trivariate_normal_cdf(a[0], a[1], a[2], r12, r, r) - expected) <=
            1e-12);
    }
  }
}

TEST_CASE("trivariate CDF agrees with a 1-D integral of the conditional bivariate CDF") {
  std::uint64_t state = 2024;
  const std::vector<std::array<double, 3>> limits{{0.0, 0.5, -0.5}, {-1.2, 0.8, 2.0},
                                                  {1.5, 1.5, 1.5},  {-2.5, -1.0, 0.3},
                                                  {3.0, -0.2, 1.1}, {-0.7, -0.7, -0.7}};
  double worst = 0.0;
  for (int m = 0; m < 8; ++m) {
    const correlations c = random_correlations(state);
    for (const auto& a : limits) {
      const double expected = trivariate_cdf_by_integral(a[0], a[1], a[2], c);
      const double got = probust::trivariate_normal_cdf(a[0], a[1], a[2], c.r12, c.r13, c.r23);
      INFO("r = " << c.r12 << ", " << c.r13 << ", " << c.r23 << "; a = " << a[0] << ", " << a[1]
                  << ", " << a[2]);
      CHECK(std::fabs(got - expected) <= 1e-11);
      worst = std::max(worst, std::fabs(got - expected));
    }
  }
  CHECK(worst <= 1e-11);
}

TEST_CASE("trivariate upper tail keeps its relative accuracy") {
  // P(X1 > h1, X2 > h2, X3 > h3) = ∫_{h1}^∞ φ(x) P(X2 > ·, X3 > · | x) dx, the conditional
  // bivariate upper probability from probust (its tail accuracy is checked above).
  const std::vector<std::pair<std::array<double, 3>, correlations>> cases{
      {{4.0, 4.0, 4.0}, {0.5, 0.5, 0.5}},
      {{3.0, 5.0, 6.0}, {0.7, 0.3, 0.6}},
      {{6.0, 6.0, 6.0}, {0.9, 0.8, 0.85}},
      {{2.0, 3.0, 4.0}, {0.2, 0.1, 0.9}}};
  for (const auto& [h, c] : cases) {
    const double s2 = std::sqrt(1.0 - c.r12 * c.r12);
    const double s3 = std::sqrt(1.0 - c.r13 * c.r13);
    const double rho = (c.r23 - c.r12 * c.r13) / (s2 * s3);
    const double expected = tail_integral(
        [&](double x) {
          return phi(x) * probust::bivariate_normal_upper((h[1] - c.r12 * x) / s2,
                                                          (h[2] - c.r13 * x) / s3, rho);
        },
        h[0]);
    INFO("h = " << h[0] << ", " << h[1] << ", " << h[2] << ", P = " << expected);
    CHECK(probust::trivariate_normal_upper(h[0], h[1], h[2], c.r12, c.r13, c.r23) ==
          Approx(expected).epsilon(1e-10).margin(0.0));
  }
}

TEST_CASE("bivariate and trivariate reject NaN and invalid correlations") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  using probust::invalid_argument;
  CHECK_THROWS_AS(probust::bivariate_normal_upper(nan, 0.0, 0.5), invalid_argument);
  CHECK_THROWS_AS(probust::bivariate_normal_upper(0.0, nan, 0.5), invalid_argument);
  CHECK_THROWS_AS(probust::bivariate_normal_cdf(0.0, 0.0, nan), invalid_argument);
  CHECK_THROWS_AS(probust::bivariate_normal_cdf(0.0, 0.0, 1.0001), invalid_argument);
  CHECK_THROWS_AS(probust::bivariate_normal_upper(0.0, 0.0, -1.0 - 1e-9), invalid_argument);
  // Within 1e-12 of ±1 a correlation is clamped.
  CHECK(probust::bivariate_normal_cdf(0.3, 0.2, 1.0 + 1e-13) ==
        probust::bivariate_normal_cdf(0.3, 0.2, 1.0));
  CHECK_THROWS_AS(probust::trivariate_normal_cdf(nan, 0.0, 0.0, 0.1, 0.2, 0.3), invalid_argument);
  CHECK_THROWS_AS(probust::trivariate_normal_upper(0.0, 0.0, nan, 0.1, 0.2, 0.3), invalid_argument);
  CHECK_THROWS_AS(probust::trivariate_normal_cdf(0.0, 0.0, 0.0, 0.1, 1.5, 0.3), invalid_argument);
  CHECK_THROWS_AS(probust::trivariate_normal_upper(0.0, 0.0, 0.0, 0.1, 0.2, nan), invalid_argument);
  // Valid pairwise but not positive semi-definite together.
  CHECK_THROWS_AS(probust::trivariate_normal_cdf(0.0, 0.0, 0.0, 0.9, 0.9, -0.9), invalid_argument);
}
