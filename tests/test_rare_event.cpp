// Tests of random.hpp (engines, streams, uniforms, normals) and mvn/rare_event.hpp (union
// bounds and ALOE importance sampling of a union of rare Gaussian events). Every truth is
// computed independently: closed forms for independent / identical events, 1-D
// Gauss–Kronrod integrals for two correlated events and for equicorrelated events, and
// plain Monte Carlo with a confidence interval for a rank-deficient case.

#include "catch_shim.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

#include <Eigen/Core>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>

#include <probust/errors.hpp>
#include <probust/mvn/detail/rare_event.hpp>
#include <probust/mvn/univariate.hpp>
#include <probust/random.hpp>

namespace {

using probust::detail::rare_event_result;
using probust::detail::union_probability;

constexpr double infinity = std::numeric_limits<double>::infinity();

// 1 − Π(1 − Φ̄(cᵢ)) for independent events, without cancellation.
double independent_union(const Eigen::VectorXd& c) {
  double log_none = 0.0;
  for (Eigen::Index i = 0; i < c.size(); ++i) log_none += std::log1p(-probust::normal_ccdf(c[i]));
  return -std::expm1(log_none);
}

// 1-D adaptive Gauss–Kronrod (61 points) with a tight tolerance; requires the quadrature's
// own error estimate to be negligible against the 1e-2 tolerances used below.
template <class F>
double integrate(F f, double a, double b) {
  double err = 0.0;
  const double value =
      boost::math::quadrature::gauss_kronrod<double, 61>::integrate(f, a, b, 20, 1e-12, &err);
  REQUIRE(err <= 1e-9 * std::fabs(value));
  return value;
}

// P(X₁ > c₁, X₂ > c₂), corr(X₁, X₂) = ρ: ∫_{c₁}^∞ φ(x) Φ̄((c₂ − ρx)/√(1−ρ²)) dx.
double bivariate_upper_orthant(double c1, double c2, double rho) {
  const double s = std::sqrt(1.0 - rho * rho);
  return integrate(
      [&](double x) { return probust::normal_pdf(x) * probust::normal_ccdf((c2 - rho * x) / s); },
      c1, infinity);
}

// Rows √ρ e₀ + √(1−ρ) eᵢ: unit vectors with pairwise correlation ρ (r = k + 1).
Eigen::MatrixXd equicorrelated_rows(Eigen::Index k, double rho) {
  Eigen::MatrixXd U = Eigen::MatrixXd::Zero(k, k + 1);
  U.col(0).setConstant(std::sqrt(rho));
  for (Eigen::Index i = 0; i < k; ++i) U(i, i + 1) = std::sqrt(1.0 - rho);
  return U;
}

// q = ∫ φ(s) [1 − Πᵢ Φ((cᵢ − √ρ s)/√(1−ρ))] ds, the inner complement as
// −expm1(Σ log Φ(·)) to keep its relative precision.
double equicorrelated_union(const Eigen::VectorXd& c, double rho) {
  const double a = std::sqrt(rho);
  const double b = std::sqrt(1.0 - rho);
  return integrate(
      [&](double s) {
        double log_none = 0.0;
        for (Eigen::Index i = 0; i < c.size(); ++i) {
          log_none += probust::log_normal_cdf((c[i] - a * s) / b);
        }
        return probust::normal_pdf(s) * -std::expm1(log_none);
      },
      -infinity, infinity);
}

// Thresholds for k independent events with Φ̄(cᵢ) spread around q/k (so q ≈ target).
Eigen::VectorXd thresholds_for(Eigen::Index k, double target) {
  Eigen::VectorXd c(k);
  for (Eigen::Index i = 0; i < k; ++i) {
    const double share = target / static_cast<double>(k) * (0.5 + static_cast<double>(i % 3) * 0.5);
    c[i] = -probust::normal_quantile(share);
  }
  return c;
}

void check_against(const rare_event_result& r, double truth) {
  INFO("value " << r.value << " truth " << truth << " error " << r.error << " samples "
                << r.samples);
  CHECK(r.converged);
  CHECK(std::fabs(r.value - truth) <= r.error);
  CHECK(std::fabs(r.value - truth) <= 1e-2 * truth);
}

// An engine returning a fixed word, to probe the extremes of uniform_open01.
struct constant_engine {
  using result_type = std::uint64_t;
  std::uint64_t word;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<std::uint64_t>::max(); }
  result_type operator()() const { return word; }
};

}  // namespace

// ---------------------------------------------------------------------------------------
// random.hpp

TEST_CASE("splitmix64 and mix64 reproduce the published reference outputs", "[random]") {
  probust::detail::splitmix64 sm(1234567);
  const std::uint64_t expected[] = {6457827717110365317ULL, 3203168211198807973ULL,
                                    9817491932198370423ULL, 4593380528125082431ULL,
                                    16408922859458223821ULL};
  for (std::uint64_t e : expected) CHECK(sm() == e);
  CHECK(probust::detail::mix64(0x9e3779b97f4a7c15ULL) == 0xe220a8397b1dcdafULL);
}

TEST_CASE("xoshiro256** reproduces the reference vector from state {1,2,3,4}", "[random]") {
  probust::random_engine engine(std::array<std::uint64_t, 4>{1, 2, 3, 4});
  const std::uint64_t expected[] = {11520ULL,
                                    0ULL,
                                    1509978240ULL,
                                    1215971899390074240ULL,
                                    1216172134540287360ULL,
                                    607988272756665600ULL,
                                    16172922978634559625ULL,
                                    8476171486693032832ULL,
                                    10595114339597558777ULL,
                                    2904607092377533576ULL};
  for (std::uint64_t e : expected) CHECK(engine() == e);
}

TEST_CASE("random_engine is a UniformRandomBitGenerator", "[random]") {
  static_assert(std::is_same<probust::random_engine::result_type, std::uint64_t>::value, "");
  static_assert(probust::random_engine::min() == 0, "");
  static_assert(probust::random_engine::max() == std::numeric_limits<std::uint64_t>::max(), "");
  probust::random_engine engine;  // default_seed
  probust::random_engine same(probust::default_seed);
  std::uniform_int_distribution<int> die(1, 6);
  const int roll = die(engine);
  CHECK(roll >= 1);
  CHECK(roll <= 6);
  same();
  CHECK(engine() == same());
}

TEST_CASE("streams: same (seed, id) same sequence, different ids or seeds differ", "[random]") {
  auto a = probust::point_engine(42, 7);
  auto b = probust::point_engine(42, 7);
  auto other_id = probust::point_engine(42, 8);
  auto other_seed = probust::point_engine(43, 7);
  int same_id = 0;
  int same_seed = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t x = a();
    CHECK(x == b());
    same_id += x == other_id() ? 1 : 0;
    same_seed += x == other_seed() ? 1 : 0;
  }
  CHECK(same_id == 0);
  CHECK(same_seed == 0);
}

TEST_CASE("point_engine is random_engine(mix64(mix64(seed) ^ id)); stream still forwards",
          "[random]") {
  const std::uint64_t seed = 42, id = 7;
  auto engine = probust::point_engine(seed, id);
  probust::random_engine expected(probust::detail::mix64(probust::detail::mix64(seed) ^ id));
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
  auto old_name = probust::stream(seed, id);  // the deprecated alias
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t x = engine();
    CHECK(x == expected());
    CHECK(x == old_name());
  }
}

TEST_CASE("uniform_open01 never returns 0 or 1", "[random]") {
  constant_engine lowest{0};
  constant_engine highest{std::numeric_limits<std::uint64_t>::max()};
  CHECK(probust::uniform_open01(lowest) == 0x1.0p-53);
  CHECK(probust::uniform_open01(highest) == 1.0 - 0x1.0p-53);
  CHECK(probust::uniform_open01(highest) < 1.0);

  auto engine = probust::point_engine(probust::default_seed, 0);
  double smallest = 1.0;
  double largest = 0.0;
  for (int i = 0; i < 1'000'000; ++i) {
    const double u = probust::uniform_open01(engine);
    smallest = std::min(smallest, u);
    largest = std::max(largest, u);
  }
  CHECK(smallest > 0.0);
  CHECK(largest < 1.0);
}

TEST_CASE("standard_normal has mean 0 and variance 1 within 5 standard errors", "[random]") {
  auto engine = probust::point_engine(probust::default_seed, 1);
  constexpr int n = 1'000'000;
  double sum = 0.0;
  double sum_sq = 0.0;
  for (int i = 0; i < n; ++i) {
    const double z = probust::standard_normal(engine);
    sum += z;
    sum_sq += z * z;
  }
  const double mean = sum / n;
  const double variance = (sum_sq - n * mean * mean) / (n - 1);
  CHECK(std::fabs(mean) <= 5.0 / std::sqrt(double(n)));
  CHECK(std::fabs(variance - 1.0) <= 5.0 * std::sqrt(2.0 / n));  // sd of s² is √(2/n)
}

TEST_CASE("fill_standard_normal fills in column-major order, also into blocks", "[random]") {
  auto a = probust::point_engine(5, 5);
  auto b = probust::point_engine(5, 5);
  Eigen::MatrixXd m(3, 4);
  probust::fill_standard_normal(a, m);
  for (Eigen::Index j = 0; j < 4; ++j) {
    for (Eigen::Index i = 0; i < 3; ++i) CHECK(m(i, j) == probust::standard_normal(b));
  }
  probust::fill_standard_normal(a, m.col(2));
  for (Eigen::Index i = 0; i < 3; ++i) CHECK(m(i, 2) == probust::standard_normal(b));
}

TEST_CASE("fill_standard_normal equals successive standard_normal calls through wedges and tails",
          "[random]") {
  // 64·500 draws include ~480 wedge/tail fallbacks, which fill_standard_normal runs on a
  // copy of the engine; the values and the final engine state must still agree.
  auto a = probust::point_engine(9, 9);
  auto b = probust::point_engine(9, 9);
  Eigen::MatrixXd m(64, 500);
  probust::fill_standard_normal(a, m);
  int mismatches = 0;
  int beyond_r = 0;
  for (Eigen::Index j = 0; j < m.cols(); ++j) {
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      mismatches += m(i, j) == probust::standard_normal(b) ? 0 : 1;
      beyond_r += std::fabs(m(i, j)) > probust::detail::ziggurat_r ? 1 : 0;
    }
  }
  CHECK(mismatches == 0);
  CHECK(beyond_r > 0);  // the tail path was exercised (expected count 8.3)
  CHECK(a() == b());

  // An engine too large to be copied into registers takes the plain path.
  std::mt19937_64 c(77);
  std::mt19937_64 d(77);
  Eigen::MatrixXd big(7, 300);
  probust::fill_standard_normal(c, big);
  mismatches = 0;
  for (Eigen::Index j = 0; j < big.cols(); ++j) {
    for (Eigen::Index i = 0; i < big.rows(); ++i) {
      mismatches += big(i, j) == probust::standard_normal(d) ? 0 : 1;
    }
  }
  CHECK(mismatches == 0);
  CHECK(c() == d());
}

TEST_CASE("standard_normal reproduces pinned values (portable rectangle path)", "[random]") {
  // The first draws of point_engine(default_seed, 0) are all decided by the rectangle test, so
  // they involve no libm call and must be bit-identical on every IEEE-754 platform.
  // (Values checked against an independent Python transcription of xoshiro256** and the
  // rectangle step: z = ±(⌊w/2¹²⌋ + ½)·2⁻⁵²·x[w mod 256], minus if bit 8 of w is set.)
  auto engine = probust::point_engine(probust::default_seed, 0);
  const double expected[] = {-0x1.28d9d7cbc410ap-1, 0x1.76f2a9fb09d6fp-2,
                             -0x1.a8aecbb39c6aap-4, 0x1.017e151fad67ap-2,
                             -0x1.3c1a0342b4ddep-2, 0x1.8b315cdcc058ap+0,
                             -0x1.cf1c524086890p+0, 0x1.1548a0f37edcep-1};
  for (double e : expected) CHECK(probust::standard_normal(engine) == e);
}

TEST_CASE("ziggurat: the uniform of a word equals uniform_open01 of the same word", "[random]") {
  CHECK(probust::detail::open01_from_word(0) == 0x1.0p-53);
  CHECK(probust::detail::open01_from_word(~std::uint64_t{0}) == 1.0 - 0x1.0p-53);
  probust::detail::splitmix64 words(3);
  for (int i = 0; i < 10000; ++i) {
    constant_engine engine{words()};
    CHECK(probust::detail::open01_from_word(engine.word) == probust::uniform_open01(engine));
  }
}

TEST_CASE("ziggurat tables: 256 layers of equal area ending at the mode", "[random]") {
  using probust::detail::ziggurat_f;
  using probust::detail::ziggurat_r;
  using probust::detail::ziggurat_v;
  using probust::detail::ziggurat_x;
  const double pi = 3.14159265358979323846;
  // v = r f(r) + ∫_r^∞ exp(−x²/2) dx, the last term √(2π) Φ̄(r).
  const double v = ziggurat_r * std::exp(-0.5 * ziggurat_r * ziggurat_r) +
                   std::sqrt(2.0 * pi) * probust::normal_ccdf(ziggurat_r);
  CHECK(std::fabs(v - ziggurat_v) <= 1e-14 * ziggurat_v);
  CHECK(ziggurat_x[1] == ziggurat_r);
  CHECK(std::fabs(ziggurat_x[0] * ziggurat_f[1] - ziggurat_v) <= 1e-14 * ziggurat_v);
  CHECK(ziggurat_x[256] == 0.0);
  CHECK(ziggurat_f[256] == 1.0);
  double worst_area = 0.0;
  double worst_f = 0.0;
  for (int i = 0; i < 256; ++i) {
    CHECK(ziggurat_x[i] > ziggurat_x[i + 1]);
    const double f = std::exp(-0.5 * ziggurat_x[i] * ziggurat_x[i]);
    worst_f = std::max(worst_f, std::fabs(ziggurat_f[i] / f - 1.0));
    if (i >= 1) {  // layer i: the rectangle [0, xᵢ] × [fᵢ, fᵢ₊₁]
      const double area = ziggurat_x[i] * (ziggurat_f[i + 1] - ziggurat_f[i]);
      worst_area = std::max(worst_area, std::fabs(area / ziggurat_v - 1.0));
    }
  }
  CHECK(worst_f <= 1e-14);  // x² rounding and exp: a few ulps at x ≈ 3.9
  CHECK(worst_area <= 1e-13);  // the top layer's f difference is 0.023, so ~1e-14 rounding
}

TEST_CASE("standard_normal matches Phi: chi-square over 42 bins, tails and symmetry", "[random]") {
  // 4·10⁶ draws at a fixed seed, binned into (−∞, −4), 40 bins of width 0.2 on [−4, 4)
  // and [4, ∞); bin probabilities from normal_cdf / normal_ccdf.
  auto engine = probust::point_engine(probust::default_seed, 2);
  constexpr long n = 4'000'000;
  constexpr int inner = 40;
  std::array<double, inner + 1> edges{};
  for (int k = 0; k <= inner; ++k) edges[k] = -4.0 + 0.2 * k;
  std::array<long, inner + 2> counts{};
  const double r = probust::detail::ziggurat_r;
  long negative = 0;
  long above_r = 0;
  long below_minus_r = 0;
  long beyond_4_5 = 0;
  long beyond_5 = 0;
  bool all_finite = true;
  for (long t = 0; t < n; ++t) {
    const double z = probust::standard_normal(engine);
    all_finite = all_finite && std::isfinite(z);
    ++counts[std::upper_bound(edges.begin(), edges.end(), z) - edges.begin()];
    negative += z < 0.0 ? 1 : 0;
    above_r += z > r ? 1 : 0;
    below_minus_r += z < -r ? 1 : 0;
    beyond_4_5 += std::fabs(z) > 4.5 ? 1 : 0;
    beyond_5 += std::fabs(z) > 5.0 ? 1 : 0;
  }
  CHECK(all_finite);

  double chi2 = 0.0;
  for (int k = 0; k <= inner + 1; ++k) {
    double p;
    if (k == 0) {
      p = probust::normal_cdf(edges[0]);
    } else if (k == inner + 1) {
      p = probust::normal_ccdf(edges[inner]);
    } else {
      const double a = edges[k - 1];
      const double b = edges[k];
      p = a >= 0.0 ? probust::normal_ccdf(a) - probust::normal_ccdf(b)
                   : probust::normal_cdf(b) - probust::normal_cdf(a);
    }
    const double expected = p * n;
    chi2 += (counts[k] - expected) * (counts[k] - expected) / expected;
  }
  const boost::math::chi_squared chi2_dist(inner + 1);  // 42 bins, 41 degrees of freedom
  const double p_value = boost::math::cdf(boost::math::complement(chi2_dist, chi2));
  INFO("chi-square " << chi2 << " on 41 df, p = " << p_value);
  CHECK(p_value > 1e-4);

  // A count of an event of probability p is within 5 standard errors √(n p (1 − p)).
  const auto within_5_se = [](long count, double p) {
    const double expected = p * n;
    INFO("count " << count << " expected " << expected);
    CHECK(std::fabs(count - expected) <= 5.0 * std::sqrt(expected * (1.0 - p)));
  };
  within_5_se(above_r, probust::normal_ccdf(r));  // the tail algorithm's region, ~516
  within_5_se(below_minus_r, probust::normal_ccdf(r));
  within_5_se(beyond_4_5, 2.0 * probust::normal_ccdf(4.5));  // ~27
  within_5_se(beyond_5, 2.0 * probust::normal_ccdf(5.0));    // ~2.3
  within_5_se(negative, 0.5);
  // Symmetry of the tails: given above_r + below_minus_r, above_r is Binomial(·, ½).
  CHECK(std::fabs(double(above_r - below_minus_r)) <=
        5.0 * std::sqrt(double(above_r + below_minus_r)));
}

TEST_CASE("ziggurat tail: Marsaglia's method samples exp(-z^2/2) beyond r", "[random]") {
  // Kolmogorov–Smirnov against P(Z ≤ t | Z > r) = 1 − Φ̄(t)/Φ̄(r) on 2·10⁵ tail draws;
  // √n·D > 2.3 has probability 2e^{−2·2.3²} ≈ 5e-5 under the null.
  auto engine = probust::point_engine(probust::default_seed, 3);
  const double r = probust::detail::ziggurat_r;
  constexpr int n = 200'000;
  std::vector<double> z(n);
  for (double& zi : z) zi = probust::detail::ziggurat_tail(engine);
  std::sort(z.begin(), z.end());
  CHECK(z.front() > r);
  const double tail_r = probust::normal_ccdf(r);
  double d = 0.0;
  for (int i = 0; i < n; ++i) {
    const double cdf = 1.0 - probust::normal_ccdf(z[i]) / tail_r;
    d = std::max({d, std::fabs(cdf - double(i) / n), std::fabs(cdf - double(i + 1) / n)});
  }
  INFO("KS D = " << d << ", sqrt(n) D = " << std::sqrt(double(n)) * d);
  CHECK(std::sqrt(double(n)) * d <= 2.3);
  // Beyond r + 1 the conditional probability is Φ̄(r + 1)/Φ̄(r) ≈ 1.0e-2.
  const double p = probust::normal_ccdf(r + 1.0) / tail_r;
  const long beyond = z.end() - std::upper_bound(z.begin(), z.end(), r + 1.0);
  CHECK(std::fabs(beyond - p * n) <= 5.0 * std::sqrt(p * (1.0 - p) * n));
}

// ---------------------------------------------------------------------------------------
// union bounds

TEST_CASE("union_bound: Boole's upper bound and the largest term", "[rare_event]") {
  Eigen::VectorXd c(3);
  c << 5.0, 6.0, 4.0;
  const auto bounds = probust::detail::union_bound(c);
  CHECK(bounds.upper == probust::normal_ccdf(5.0) + probust::normal_ccdf(6.0) +
                            probust::normal_ccdf(4.0));
  CHECK(bounds.lower == probust::normal_ccdf(4.0));
  const double q = independent_union(c);
  CHECK(bounds.lower <= q);
  CHECK(q <= bounds.upper);
  CHECK(probust::detail::union_bound(Eigen::VectorXd(0)).upper == 0.0);
}

// ---------------------------------------------------------------------------------------
// ALOE against independent truths

// The correlation of rows i, j of U (unit rows): the rho argument of union_bonferroni_hunter.
auto row_correlation(const Eigen::MatrixXd& U) {
  return [&U](Eigen::Index i, Eigen::Index j) { return U.row(i).dot(U.row(j)); };
}

TEST_CASE("Bonferroni-Hunter bounds bracket the union probability", "[rare_event]") {
  using probust::detail::union_bonferroni_hunter;
  SECTION("independent events: exact q, and a bracket of relative width ~q") {
    for (double target : {1e-2, 1e-5, 1e-9}) {
      const Eigen::VectorXd c = thresholds_for(9, target);
      const Eigen::MatrixXd U = Eigen::MatrixXd::Identity(9, 9);
      const double truth = independent_union(c);
      const auto b = union_bonferroni_hunter(c, row_correlation(U), 1e-3 * truth);
      INFO("q = " << truth << " in [" << b.lower << ", " << b.upper << "]");
      CHECK(b.lower <= truth * (1 + 1e-13));
      CHECK(truth <= b.upper * (1 + 1e-13));
      CHECK(b.upper - b.lower <= 2e-3 * truth + 2.0 * truth * truth);
    }
  }
  SECTION("equicorrelated events against the 1-D integral") {
    for (double rho : {0.3, 0.8, 0.99}) {
      for (double level : {3.0, 6.0}) {
        Eigen::VectorXd c(9);
        for (Eigen::Index i = 0; i < 9; ++i) c[i] = level + 0.25 * static_cast<double>(i % 4);
        const Eigen::MatrixXd U = equicorrelated_rows(9, rho);
        const double truth = equicorrelated_union(c, rho);
        const auto b = union_bonferroni_hunter(c, row_correlation(U), 0.0);
        INFO("rho = " << rho << " q = " << truth << " in [" << b.lower << ", " << b.upper << "]");
        CHECK(b.lower <= truth * (1 + 1e-9));
        CHECK(truth <= b.upper * (1 + 1e-9));
      }
    }
  }
  SECTION("two negatively correlated events: Hunter's bound is exact for k = 2") {
    Eigen::Vector2d c(2.5, 3.0);
    Eigen::MatrixXd U(2, 2);
    U << 1.0, 0.0, -0.6, 0.8;
    const double truth = probust::normal_ccdf(c[0]) + probust::normal_ccdf(c[1]) -
                         bivariate_upper_orthant(c[0], c[1], -0.6);
    const auto b = union_bonferroni_hunter(c, row_correlation(U), 0.0);
    CHECK(b.lower == Approx(truth).epsilon(1e-12));
    CHECK(b.upper == Approx(truth).epsilon(1e-12));
  }
  SECTION("more candidate events than max_events: Boole's bounds only") {
    const Eigen::VectorXd c = Eigen::VectorXd::Constant(5, 3.0);
    const Eigen::MatrixXd U = equicorrelated_rows(5, 0.5);
    const auto b = union_bonferroni_hunter(c, row_correlation(U), 0.0, 4);
    const auto boole = probust::detail::union_bound(c);
    CHECK(b.lower == boole.lower);
    CHECK(b.upper == boole.upper);
  }
}

TEST_CASE("ALOE: independent events, q from 1e-3 to 1e-12", "[rare_event]") {
  for (const Eigen::Index k : {4, 9, 50}) {
    for (const double target : {1e-3, 1e-9, 1e-12}) {
      const Eigen::VectorXd c = thresholds_for(k, target);
      const Eigen::MatrixXd U = Eigen::MatrixXd::Identity(k, k);
      const double truth = independent_union(c);
      INFO("k = " << k << ", q = " << truth);
      check_against(union_probability(U, c, 1e-2, 10'000'000, probust::default_seed), truth);
    }
  }
}

TEST_CASE("ALOE: identical directions are exact", "[rare_event]") {
  Eigen::VectorXd u(5);
  u << 1.0, -2.0, 0.5, 3.0, 1.5;
  u.normalize();
  Eigen::MatrixXd U(4, 5);
  for (Eigen::Index i = 0; i < 4; ++i) U.row(i) = u.transpose();
  Eigen::VectorXd c(4);
  c << 7.0, 6.5, 8.0, 6.5;
  const auto r = union_probability(U, c, 1e-2, 1'000'000, probust::default_seed);
  CHECK(r.value == probust::normal_ccdf(6.5));
  CHECK(r.error == 0.0);
  CHECK(r.samples == 0);
  CHECK(r.converged);

  // Directions that differ by roundoff-sized perturbations are sampled, not merged; the
  // union is still Φ̄(min c) up to a relative 1e-10.
  Eigen::MatrixXd V = U;
  V(1, 0) += 1e-12;
  V(2, 1) -= 1e-12;
  V.row(1).normalize();
  V.row(2).normalize();
  const auto s = union_probability(V, c, 1e-2, 1'000'000, probust::default_seed);
  CHECK(s.samples > 0);
  check_against(s, probust::normal_ccdf(6.5));
}

TEST_CASE("ALOE: two correlated events against a Gauss-Kronrod integral", "[rare_event]") {
  for (const double rho : {0.5, 0.9, -0.5}) {
    for (const auto& cs : {std::array<double, 2>{6.0, 6.0}, std::array<double, 2>{5.8, 6.3}}) {
      Eigen::MatrixXd U(2, 2);
      U << 1.0, 0.0, rho, std::sqrt(1.0 - rho * rho);
      Eigen::VectorXd c(2);
      c << cs[0], cs[1];
      const double truth = probust::normal_ccdf(c[0]) + probust::normal_ccdf(c[1]) -
                           bivariate_upper_orthant(c[0], c[1], rho);
      INFO("rho = " << rho << ", c = " << c.transpose());
      check_against(union_probability(U, c, 1e-2, 10'000'000, probust::default_seed), truth);
    }
  }
}

TEST_CASE("ALOE: equicorrelated events against a 1-D integral", "[rare_event]") {
  const Eigen::MatrixXd U = equicorrelated_rows(9, 0.5);
  const Eigen::VectorXd six = Eigen::VectorXd::Constant(9, 6.0);
  check_against(union_probability(U, six, 1e-2, 10'000'000, probust::default_seed),
                equicorrelated_union(six, 0.5));

  Eigen::VectorXd c(9);
  c << 5.5, 6.0, 6.5, 5.8, 7.0, 6.2, 5.9, 8.0, 6.1;
  const Eigen::MatrixXd W = equicorrelated_rows(9, 0.8);
  check_against(union_probability(W, c, 1e-2, 10'000'000, probust::default_seed),
                equicorrelated_union(c, 0.8));
}

TEST_CASE("ALOE: rank-deficient overlapping events agree with plain Monte Carlo",
          "[rare_event]") {
  // k = 20 directions in r = 5 dimensions, q ≈ 0.02: plain Monte Carlo is feasible.
  constexpr Eigen::Index k = 20;
  constexpr Eigen::Index r = 5;
  auto setup = probust::point_engine(2024, 0);
  Eigen::MatrixXd U(k, r);
  probust::fill_standard_normal(setup, U);
  U.rowwise().normalize();
  Eigen::VectorXd c(k);
  for (Eigen::Index i = 0; i < k; ++i) c[i] = 3.0 + 0.05 * static_cast<double>(i % 5);

  constexpr Eigen::Index batch = 4096;
  constexpr int batches = 500;
  auto engine = probust::point_engine(2024, 1);
  Eigen::MatrixXd Z(r, batch);
  Eigen::MatrixXd Y(k, batch);
  std::uint64_t hits = 0;
  for (int b = 0; b < batches; ++b) {
    probust::fill_standard_normal(engine, Z);
    Y.noalias() = U * Z;
    for (Eigen::Index j = 0; j < batch; ++j) {
      hits += ((Y.col(j).array() > c.array()).any()) ? 1 : 0;
    }
  }
  const double n = double(batch) * batches;
  const double mc = double(hits) / n;
  const double mc_error = 3.0 * std::sqrt(mc * (1.0 - mc) / n);

  const auto aloe = union_probability(U, c, 1e-3, 100'000'000, probust::default_seed);
  INFO("ALOE " << aloe.value << " ± " << aloe.error << ", MC " << mc << " ± " << mc_error);
  CHECK(aloe.converged);
  CHECK(std::fabs(aloe.value - mc) <= std::hypot(aloe.error, mc_error));
  const auto bounds = probust::detail::union_bound(c);
  CHECK(bounds.lower <= aloe.value);
  CHECK(aloe.value <= bounds.upper);
}

TEST_CASE("ALOE: the reported error covers the truth in at least 95% of 200 seeds",
          "[rare_event]") {
  Eigen::VectorXd c(9);
  c << 3.0, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6, 3.7, 3.8;
  const double rho = 0.5;
  const Eigen::MatrixXd U = equicorrelated_rows(9, rho);
  const double truth = equicorrelated_union(c, rho);
  int covered = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const auto r = union_probability(U, c, 5e-2, 10'000'000, seed);
    covered += std::fabs(r.value - truth) <= r.error ? 1 : 0;
  }
  INFO("covered " << covered << " of 200");
  CHECK(covered >= 190);
}

// ---------------------------------------------------------------------------------------
// Contract: determinism, budget, special cases, bad input

TEST_CASE("ALOE: same inputs and seed give the same bits", "[rare_event]") {
  const Eigen::MatrixXd U = equicorrelated_rows(9, 0.5);
  const Eigen::VectorXd c = Eigen::VectorXd::Constant(9, 4.0);
  const auto a = union_probability(U, c, 1e-2, 1'000'000, 99);
  const auto b = union_probability(U, c, 1e-2, 1'000'000, 99);
  const auto other = union_probability(U, c, 1e-2, 1'000'000, 100);
  CHECK(a.value == b.value);
  CHECK(a.error == b.error);
  CHECK(a.samples == b.samples);
  CHECK(a.value != other.value);
}

TEST_CASE("ALOE: budget exhaustion is reported, not thrown", "[rare_event]") {
  const Eigen::MatrixXd U = equicorrelated_rows(9, 0.9);
  const Eigen::VectorXd c = Eigen::VectorXd::Constant(9, 4.0);
  const auto r = union_probability(U, c, 1e-6, 3000, probust::default_seed);
  CHECK_FALSE(r.converged);
  CHECK(r.samples == 3000);
  CHECK(r.error > 0.0);
  CHECK(std::isfinite(r.value));
}

TEST_CASE("ALOE: no events, and unions too small for a double", "[rare_event]") {
  const auto empty = union_probability(Eigen::MatrixXd(0, 3), Eigen::VectorXd(0), 1e-2, 100, 1);
  CHECK(empty.value == 0.0);
  CHECK(empty.error == 0.0);
  CHECK(empty.converged);

  const Eigen::MatrixXd U = Eigen::MatrixXd::Identity(3, 3);
  const auto tiny = union_probability(U, Eigen::VectorXd::Constant(3, 40.0), 1e-2, 100, 1);
  CHECK(tiny.value == 0.0);
  CHECK(tiny.error < 1e-307);
  CHECK(tiny.converged);

  // One event is exact; so is Φ̄ deep in the tail (c = 30: 4.9e-198).
  Eigen::MatrixXd one(1, 2);
  one << 0.6, 0.8;
  const auto single = union_probability(one, Eigen::VectorXd::Constant(1, 30.0), 1e-2, 100, 1);
  CHECK(single.value == probust::normal_ccdf(30.0));
  CHECK(single.value > 0.0);
  CHECK(single.error == 0.0);
}

TEST_CASE("ALOE: invalid arguments throw probust::invalid_argument", "[rare_event]") {
  const Eigen::MatrixXd U = Eigen::MatrixXd::Identity(3, 3);
  const Eigen::VectorXd c = Eigen::VectorXd::Constant(3, 4.0);
  CHECK_THROWS_AS(union_probability(U, Eigen::VectorXd::Constant(2, 4.0), 1e-2, 100, 1),
                  probust::invalid_argument);
  Eigen::VectorXd bad_c = c;
  bad_c[1] = infinity;
  CHECK_THROWS_AS(union_probability(U, bad_c, 1e-2, 100, 1), probust::invalid_argument);
  Eigen::MatrixXd bad_u = U;
  bad_u(0, 0) = 2.0;
  CHECK_THROWS_AS(union_probability(bad_u, c, 1e-2, 100, 1), probust::invalid_argument);
  bad_u(0, 0) = std::nan("");
  CHECK_THROWS_AS(union_probability(bad_u, c, 1e-2, 100, 1), probust::invalid_argument);
  CHECK_THROWS_AS(union_probability(U, c, -1.0, 100, 1), probust::invalid_argument);
  CHECK_THROWS_AS(union_probability(U, c, 1e-2, 0, 1), probust::invalid_argument);
}
