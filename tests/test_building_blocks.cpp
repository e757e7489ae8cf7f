// Building blocks of the MVN engine: Φ, Φ⁻¹ and log Φ against Boost.Math and asymptotic
// series; scrambled Sobol' points keep their net structure; the pivoted Cholesky
// reproduces the matrix it factors.
#include <Eigen/Dense>
#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/random/sobol.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "catch_shim.hpp"
#include "probust/mvn/detail/pivoted_cholesky.hpp"
#include "probust/mvn/detail/sobol.hpp"
#include "probust/mvn/univariate.hpp"
#include "reference.hpp"

TEST_CASE("normal_quantile inverts Boost.Math's normal CDF to ~1e-15 relative") {
  const boost::math::normal n;
  for (double p : {1e-300, 1e-100, 1e-20, 1e-10, 1e-5, 0.01, 0.02425, 0.07, 0.3, 0.5, 0.6,
                   0.9, 0.975, 0.999999}) {
    const double expected = boost::math::quantile(n, p);
    CHECK(probust::normal_quantile(p) == Approx(expected).epsilon(2e-15).margin(1e-300));
  }
  CHECK(std::isinf(probust::normal_quantile(0.0)));
  CHECK(std::isinf(probust::normal_quantile(1.0)));
  CHECK(std::isnan(probust::normal_quantile(1.5)));
}

TEST_CASE("normal_cdf_batch matches Boost.Math to 1e-13 relative in the lower tail") {
  // 4,601 points on [-37, 9] (not a multiple of the batch's chunk of 64), long-double truth.
  const boost::math::normal_distribution<long double> n;
  std::vector<double> x;
  for (int i = 0; i <= 4600; ++i) x.push_back(-37.0 + 0.01 * i);
  x.push_back(-std::numeric_limits<double>::infinity());
  x.push_back(std::numeric_limits<double>::infinity());
  std::vector<double> y(x.size());
  probust::detail::normal_cdf_batch(x.data(), y.data(), static_cast<int>(x.size()));
  for (std::size_t i = 0; i + 2 < x.size(); ++i) {
    const long double truth = boost::math::cdf(n, static_cast<long double>(x[i]));
    INFO("x = " << x[i]);
    CHECK(std::fabs(static_cast<long double>(y[i]) - truth) <= 1e-13L * truth + 3e-16L);
  }
  CHECK(y[y.size() - 2] == 0.0);
  CHECK(y.back() == 1.0);
  std::vector<double> in_place = x;  // out may alias x
  probust::detail::normal_cdf_batch(in_place.data(), in_place.data(), static_cast<int>(x.size()));
  CHECK(in_place == y);
}

TEST_CASE("normal_quantile_batch equals normal_quantile, tails included") {
  std::vector<double> p;
  for (int i = 1; i < 1000; ++i) p.push_back(i / 1000.0);
  for (double t : {1e-300, 1e-20, 1e-5, 0.07, 0.93, 1.0 - 1e-12}) p.push_back(t);
  std::vector<double> w(p.size());
  probust::detail::normal_quantile_batch(p.data(), w.data(), static_cast<int>(p.size()));
  for (std::size_t i = 0; i < p.size(); ++i) {
    INFO("p = " << p[i]);
    CHECK(w[i] == probust::normal_quantile(p[i]));
  }
}

TEST_CASE("log_normal_cdf is finite and accurate where Φ underflows") {
  for (double x : {-40.0, -100.0, -1e3, -1e6}) {
    CHECK(probust::log_normal_cdf(x) == Approx(probust_test::log_phi_cdf(x)).epsilon(1e-12));
  }
  const boost::math::normal n;
  for (double x : {-36.0, -10.0, -1.0, 0.0, 3.0, 9.0}) {
    const double q = boost::math::cdf(boost::math::complement(n, x));
    const double expected = x > 0 ? std::log1p(-q) : std::log(boost::math::cdf(n, x));
    CHECK(probust::log_normal_cdf(x) == Approx(expected).epsilon(1e-13));
  }
}

TEST_CASE("scrambled Sobol' points stratify every coordinate and differ between seeds") {
  const std::size_t dim = 40;
  probust::detail::scrambled_sobol a(dim, probust::point_engine(1, 0));
  probust::detail::scrambled_sobol b(dim, probust::point_engine(1, 1));
  const int m = 10, n = 1 << m;
  std::vector<double> xa(dim), xb(dim);
  std::vector<std::vector<int>> counts(dim, std::vector<int>(n, 0));
  bool any_difference = false;
  for (int i = 0; i < n; ++i) {
    a.next(static_cast<std::uint64_t>(i), xa.data(), 1);
    b.next(static_cast<std::uint64_t>(i), xb.data(), 1);
    for (std::size_t d = 0; d < dim; ++d) {
      REQUIRE(xa[d] > 0.0);
      REQUIRE(xa[d] < 1.0);
      ++counts[d][static_cast<std::size_t>(xa[d] * n)];
      any_difference = any_difference || xa[d] != xb[d];
    }
  }
  // A (0, m, 1)-net: each of the 2^m intervals [j/2^m, (j+1)/2^m) holds exactly one point
  // in every coordinate — scrambling and digital shifts preserve this.
  for (std::size_t d = 0; d < dim; ++d) {
    CHECK(std::all_of(counts[d].begin(), counts[d].end(), [](int c) { return c == 1; }));
  }
  CHECK(any_difference);
}

TEST_CASE("scrambled Sobol' points are Boost.Random's Sobol' points, linearly scrambled") {
  // x_n = M·y_n ⊕ e with y_n the n-th Sobol' point in Gray-code order and M lower
  // triangular with unit diagonal, so x_n ⊕ x_0 = M·y_n has the leading binary digit of
  // y_n. boost::random::sobol_engine yields y_1, y_2, ... from its own copy of the table.
  using table = boost::random::default_sobol_table;
  const std::size_t dim = table::max_dimension;
  const auto digits = [](double u) {  // u = (s + 0.5)·2^-32 exactly
    return static_cast<std::uint32_t>(u * 4294967296.0 - 0.5);
  };
  const auto leading_digit = [](std::uint32_t v) {
    int bit = -1;
    for (; v != 0u; v >>= 1) ++bit;
    return bit;
  };
  probust::detail::scrambled_sobol ours(dim, probust::point_engine(7, 0));
  boost::random::sobol_engine<std::uint32_t, 32> reference(dim);
  std::vector<double> x(dim);
  ours.next(0, x.data(), 1);
  std::vector<std::uint32_t> x0(dim);
  for (std::size_t d = 0; d < dim; ++d) x0[d] = digits(x[d]);
  long mismatches = 0;
  for (std::uint64_t n = 1; n < 512; ++n) {
    ours.next(n, x.data(), 1);
    for (std::size_t d = 0; d < dim; ++d) {
      const std::uint32_t y = reference();
      if (leading_digit(digits(x[d]) ^ x0[d]) != leading_digit(y)) ++mismatches;
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("pivoted Cholesky reproduces the correlation and its rank") {
  // Rank 3 correlation of 7 variables: rows of a 7 × 3 factor, normalized.
  Eigen::MatrixXd f(7, 3);
  f << 1, 0, 0, 0.6, 0.8, 0, 0.3, 0.4, 0.866, 1, 0, 0, -0.6, -0.8, 0, 0.5, 0.5, 0.7071, 0, 1, 0;
  for (int i = 0; i < 7; ++i) f.row(i).normalize();
  const Eigen::MatrixXd r = f * f.transpose();
  const Eigen::VectorXd lower = Eigen::VectorXd::Constant(7, -INFINITY);
  const Eigen::VectorXd upper = Eigen::VectorXd::LinSpaced(7, 0.0, 2.0);
  const auto of = probust::detail::pivoted_cholesky(r, lower, upper, 1e-10, "test", "r");
  REQUIRE(of.rank == 3);
  // Undo the row order: L Lᵀ must equal R permuted.
  Eigen::MatrixXd permuted(7, 7);
  for (int i = 0; i < 7; ++i) {
    for (int j = 0; j < 7; ++j) {
      permuted(i, j) =
          r(of.row_index[static_cast<std::size_t>(i)], of.row_index[static_cast<std::size_t>(j)]);
    }
    CHECK(of.upper(i) == upper(of.row_index[static_cast<std::size_t>(i)]));
  }
  CHECK((of.factor * of.factor.transpose() - permuted).cwiseAbs().maxCoeff() < 1e-12);
  CHECK(of.owner_begin.front() == 0);
  CHECK(of.owner_begin.back() == 7);
}
