// Stratified control variates against independent truths: the exact coverage of
// weighted_binomial_interval by enumerating the product-binomial distribution; the
// truncated-normal and stratum samplers against closed-form conditional probabilities;
// the estimator on an affine model (p = Φ(m/(σ‖w‖)) exactly), on a 2-class quadratic
// model whose p is the Gaussian mass between two roots, and on the digits ReLU network
// against a 2·10⁵-sample Monte-Carlo interval at a fixed seed.
//
// No expected value below is copied from the library's output.
#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "catch_shim.hpp"
#include "test_support.hpp"
#include "probust/estimators/detail/margin_strata.hpp"
#include "probust/estimators/monte_carlo.hpp"
#include "probust/estimators/stratified_control_variate.hpp"
#include "probust/model.hpp"
#include "probust/models/affine.hpp"
#include "probust/models/model_file.hpp"
#include "probust/noise.hpp"
#include "probust/random.hpp"
#include "probust/stats.hpp"
#include "probust/stratified_interval.hpp"

#include "../examples/digits_data.hpp"

namespace {

using probust_test::phi;

double binomial_pmf(unsigned h, unsigned n, double mu) {
  if (mu == 0.0) return h == 0 ? 1.0 : 0.0;
  if (mu == 1.0) return h == n ? 1.0 : 0.0;
  return std::exp(std::lgamma(n + 1.0) - std::lgamma(h + 1.0) - std::lgamma(n - h + 1.0) +
                  h * std::log(mu) + (n - h) * std::log1p(-mu));
}

// The exact coverage of the interval for Σ w_k μ_k with counts h_k ~ Bin(n_k, μ_k),
// by summing the product of binomial probabilities over all count vectors.
double enumerated_coverage(const std::vector<unsigned>& n, const std::vector<double>& w,
                           const std::vector<double>& mu, double confidence,
                           probust::interval_method method) {
  double theta = 0.0;
  for (std::size_t k = 0; k < w.size(); ++k) theta += w[k] * mu[k];
  std::vector<std::uint64_t> h(n.size(), 0), trials(n.begin(), n.end());
  double coverage = 0.0;
  while (true) {
    double prob = 1.0;
    for (std::size_t k = 0; k < n.size(); ++k) {
      prob *= binomial_pmf(static_cast<unsigned>(h[k]), n[k], mu[k]);
    }
    if (prob > 0.0) {
      const auto i = probust::weighted_binomial_interval(h, trials, w, confidence, method);
      if (i.lower <= theta && theta <= i.upper) coverage += prob;
    }
    std::size_t k = 0;  // next count vector (odometer)
    while (k < n.size() && h[k] == n[k]) h[k++] = 0;
    if (k == n.size()) break;
    ++h[k];
  }
  return coverage;
}

// A 2-class model on d = 2 with margin a + x₀ + c·x₀², logits (margin, 0): at x = 0 its
// linearization is a + ε₀ and it is robust where the quadratic is positive.
auto quadratic_model(double a, double c) {
  const auto f = [=](const Eigen::VectorXd& x) {
    Eigen::VectorXd out(2);
    out << a + x(0) + c * x(0) * x(0), 0.0;
    return out;
  };
  const auto jf = [=](const Eigen::VectorXd& x) {
    Eigen::MatrixXd j = Eigen::MatrixXd::Zero(2, 2);
    j(0, 0) = 1.0 + 2.0 * c * x(0);
    return j;
  };
  return probust::with_jacobian(f, jf);
}

// P(a + e + c e² > 0) for e ~ N(0, σ²), c < 0: the mass between the roots.
double quadratic_truth(double a, double c, double sigma) {
  const double disc = std::sqrt(1.0 - 4.0 * a * c);
  const double r1 = (-1.0 + disc) / (2.0 * c), r2 = (-1.0 - disc) / (2.0 * c);
  return phi(std::max(r1, r2) / sigma) - phi(std::min(r1, r2) / sigma);
}

}  // namespace

TEST_CASE("weighted_binomial_interval: exact coverage ≥ nominal, enumerated", "[stratified]") {
  const double confidence = 0.9;
  struct case_t {
    std::vector<unsigned> n;
    std::vector<double> w;
  };
  const case_t cases[] = {{{12}, {1.0}}, {{8, 5}, {0.3, 0.7}}, {{6, 3, 9}, {0.5, 0.1, 0.4}}};
  const double grid[] = {0.0, 0.02, 0.15, 0.5, 0.9, 1.0};
  for (const case_t& c : cases) {
    std::vector<double> mu(c.n.size());
    // Every combination of grid values (3 strata: the first three grid values each).
    const std::size_t levels = c.n.size() == 3 ? 4 : 6;
    std::vector<std::size_t> idx(c.n.size(), 0);
    while (true) {
      for (std::size_t k = 0; k < mu.size(); ++k) mu[k] = grid[idx[k] + (levels == 4 ? 1 : 0)];
      const double exact = enumerated_coverage(c.n, c.w, mu, confidence,
                                               probust::interval_method::clopper_pearson);
      INFO("strata " << c.n.size() << ", mu " << mu[0] << ", " << mu.back() << ": " << exact);
      CHECK(exact >= confidence);
      std::size_t k = 0;
      while (k < idx.size() && idx[k] == levels - 1) idx[k++] = 0;
      if (k == idx.size()) break;
      ++idx[k];
    }
  }
}

TEST_CASE("weighted_binomial_interval: narrower than Bonferroni over the strata",
          "[stratified]") {
  // Typical counts of a stratified run (many strata, disagreement concentrated in a few):
  // the exact interval against the sum of per-stratum Clopper–Pearson intervals at level
  // 1 − α/K (the simple exact alternative), and containing the estimate.
  const std::vector<double> w = {0.0074, 0.0385, 0.0252, 0.011, 0.0051,
                                 0.0053, 0.0134, 0.0462, 0.2531, 0.5948};
  const std::vector<std::uint64_t> n = {2000, 2000, 4000, 4000, 4114, 4149, 10709, 18112,
                                        3317, 7795};
  const std::vector<std::uint64_t> h = {0, 30, 400, 800, 1587, 2104, 7331, 16755, 3316, 7795};
  const double confidence = 0.95;
  const auto exact = probust::weighted_binomial_interval(h, n, w, confidence);
  double lo = 0.0, hi = 0.0, estimate = 0.0;
  for (std::size_t k = 0; k < w.size(); ++k) {
    const auto cp = probust::clopper_pearson_interval(h[k], n[k], 1.0 - 0.05 / w.size());
    lo += w[k] * cp.lower;
    hi += w[k] * cp.upper;
    estimate += w[k] * static_cast<double>(h[k]) / static_cast<double>(n[k]);
  }
  INFO("exact [" << exact.lower << ", " << exact.upper << "], Bonferroni [" << lo << ", " << hi
                 << "]");
  CHECK(exact.lower <= estimate);
  CHECK(estimate <= exact.upper);
  CHECK(exact.upper - exact.lower < 0.7 * (hi - lo));
  // No hit in one stratum of weight 1: the upper limit is within 10% of Clopper–Pearson's
  // 1 − (α/2)^{1/n} (the Chernoff bound is tight there; the nuisance box costs α/10).
  const auto zero = probust::weighted_binomial_interval({0}, {1000}, {1.0}, 0.95);
  CHECK(zero.lower == 0.0);
  CHECK(zero.upper == Approx(1.0 - std::pow(0.025, 1.0 / 1000.0)).epsilon(0.1));
  CHECK_THROWS_AS(probust::weighted_binomial_interval({3}, {2}, {1.0}, 0.95),
                  probust::invalid_argument);
  CHECK_THROWS_AS(probust::weighted_binomial_interval({1, 1}, {2}, {1.0}, 0.95),
                  probust::invalid_argument);
}

TEST_CASE("truncated normal and stratum samplers match closed-form conditional laws",
          "[stratified]") {
  // P(Z ≤ mid | a < Z ≤ b) for a tail, a central and a far-tail interval: the fraction of
  // 20,000 draws below mid is within 4 standard errors of the closed form.
  auto engine = probust::stream(11, 0);
  const double intervals[][3] = {{3.0, 3.5, 3.2}, {-1.0, 2.0, 0.5}, {-9.0, -8.0, -8.9},
                                 {-std::numeric_limits<double>::infinity(), -5.0, -5.2}};
  const int draws = 20'000;
  for (const auto& iv : intervals) {
    const double a = iv[0], b = iv[1], mid = iv[2];
    const double expected = probust::detail::normal_interval_probability(a, mid) /
                            probust::detail::normal_interval_probability(a, b);
    int below = 0;
    for (int i = 0; i < draws; ++i) {
      const double z = probust::detail::truncated_standard_normal(
          a, b, probust::uniform_open01(engine));
      REQUIRE(z >= a);
      REQUIRE(z <= b);
      below += z <= mid;
    }
    const double se = std::sqrt(expected * (1.0 - expected) / draws);
    INFO("(" << a << ", " << b << "]: " << below / double(draws) << " vs " << expected);
    CHECK(std::abs(below / double(draws) - expected) <= 4.0 * se);
  }

  // Two independent margins (orthogonal unit directions): P(s > b) = Q(b − ĝ₁) Q(b − ĝ₂).
  // The stratum weights and the conditional law of s inside each stratum (union sampler
  // for the finite ones, rejection for the top one) against that closed form.
  Eigen::MatrixXd gf = Eigen::MatrixXd::Zero(2, 3);
  gf(0, 0) = 0.5;
  gf(1, 1) = 2.0;
  const Eigen::VectorXd g = (Eigen::VectorXd(2) << 0.05, 0.4).finished();  // ĝ = (0.1, 0.2)
  using probust::detail::normal_upper_tail;
  const auto tail = [](double b) {
    return normal_upper_tail(b - 0.1) * normal_upper_tail(b - 0.2);
  };
  const probust::detail::margin_strata strata = probust::detail::make_margin_strata(
      g, gf, {0, 1}, false, {-0.3, 0.0, 0.1, 0.3}, 0.05, 0.005, probust::mvn_options{});
  REQUIRE(strata.size() >= 3);
  Eigen::VectorXd z(3);
  for (std::size_t j = 0; j < strata.size(); ++j) {
    const double lo = strata.lower(j), hi = strata.upper(j);
    const double f_lo = std::isfinite(lo) ? tail(lo) : 1.0;
    const double f_hi = std::isfinite(hi) ? tail(hi) : 0.0;
    CHECK(strata.weights[j] == Approx(f_lo - f_hi).margin(1e-4));
    const double mid = std::isfinite(lo) && std::isfinite(hi)
                           ? 0.5 * (lo + hi)
                           : (std::isfinite(lo) ? lo + 0.5 : hi - 0.5);
    const double expected = (f_lo - tail(mid)) / (f_lo - f_hi);  // P(s ≤ mid | stratum)
    int below = 0;
    for (int i = 0; i < draws; ++i) {
      probust::detail::sample_stratum(strata, j, engine, z);
      const double s = strata.margin(z);
      REQUIRE(s > lo);
      REQUIRE(s <= hi);
      below += s <= mid;
    }
    const double se = std::sqrt(expected * (1.0 - expected) / draws);
    INFO("stratum (" << lo << ", " << hi << "]: " << below / double(draws) << " vs " << expected);
    CHECK(std::abs(below / double(draws) - expected) <= 4.0 * se);
  }
}

TEST_CASE("stratified control variate on an affine model: p exact, far fewer calls",
          "[stratified]") {
  // The linearization is the model: every stratum is all-robust (s > 0) or all-not, so
  // p̂ = P(s > 0) = Φ(m/(σ‖w₀ − w₁‖)) exactly, and the interval must contain it.
  Eigen::MatrixXd w(2, 3);
  w << 1.0, -0.5, 0.25, -0.2, 0.3, 0.1;
  const Eigen::VectorXd bias = (Eigen::VectorXd(2) << 0.1, 0.0).finished();
  const probust::affine_model<double> model(w, bias);
  const Eigen::VectorXd x = (Eigen::VectorXd(3) << -0.1, -0.1, 0.0).finished();
  const double sigma = 0.3;
  const Eigen::VectorXd logits = w * x + bias;
  const double p = phi((logits(0) - logits(1)) / (sigma * (w.row(0) - w.row(1)).norm()));
  REQUIRE(p > 0.3);
  REQUIRE(p < 0.7);  // a point where plain Monte Carlo is expensive
  const probust::isotropic_gaussian<double> noise(sigma);
  probust::stratified_control_variate_options o;
  o.samples = 4'000'000;
  o.target_half_width = 0.01;
  const auto r = probust::stratified_control_variate_estimator<>(o).estimate(model, x, noise);
  CHECK(r.probability == Approx(p).epsilon(1e-12));
  CHECK(r.lower <= p);
  CHECK(p <= r.upper);
  CHECK(r.converged);
  CHECK(std::isinf(r.variance_reduction));
  CHECK(std::string(r.estimator) == "stratified_control_variate");
  // Plain Monte Carlo to the same half-width needs ≈ (z/w)² p(1 − p) ≥ 2·10⁴ draws.
  probust::monte_carlo_options mo;
  mo.samples = 4'000'000;
  mo.target_half_width = 0.01;
  const auto mc = probust::monte_carlo_estimator<>(mo).estimate(model, x, noise);
  INFO("stratified " << r.model_evaluations << " calls, Monte Carlo " << mc.model_evaluations);
  CHECK(r.model_evaluations * 10 < mc.model_evaluations);
}

TEST_CASE("stratified control variate: unbiased and covering on a quadratic model",
          "[stratified]") {
  // c < 0: the model is robust between the two roots, its linearization above −a; they
  // disagree far out on the right, outside the thin strata. 300 trials of n = 2000
  // (engines stream(5, trial)) per interval method; exact intervals cover with probability
  // ≥ 0.95, the normal variant (method wilson) nominally: if coverage were exactly 0.95,
  // P(fewer than 276 of 300) ≈ 0.003.
  const double a = 0.3, c = -0.4, sigma = 0.5;
  const double p = quadratic_truth(a, c, sigma);
  const auto model = quadratic_model(a, c);
  const Eigen::VectorXd x = Eigen::VectorXd::Zero(2);
  const probust::isotropic_gaussian<double> noise(sigma);
  for (const auto method :
       {probust::interval_method::clopper_pearson, probust::interval_method::wilson}) {
    probust::stratified_control_variate_options o;
    o.samples = 2000;
    o.interval = method;
    const probust::stratified_control_variate_estimator<> est(o);
    const int trials = 300;
    int covered = 0;
    double sum = 0.0, sum2 = 0.0;
    for (int trial = 0; trial < trials; ++trial) {
      auto engine = probust::stream(5, static_cast<std::uint64_t>(trial));
      const auto r = est.estimate(model, x, noise, engine);
      covered += r.lower <= p && p <= r.upper;
      sum += r.probability;
      sum2 += r.probability * r.probability;
    }
    const double mean = sum / trials, var = (sum2 - trials * mean * mean) / (trials - 1);
    INFO("method " << static_cast<int>(method) << ": p = " << p << ", mean " << mean
                   << ", covered " << covered << ", variance " << var << " vs plain MC "
                   << p * (1 - p) / o.samples);
    CHECK(covered >= 276);
    CHECK(std::abs(mean - p) <= 4.0 * std::sqrt(var / trials));
    CHECK(var < p * (1.0 - p) / o.samples);
  }
}

TEST_CASE("stratified control variate on the digits ReLU network vs Monte Carlo",
          "[stratified]") {
  // Three test points with 0.05 < p < 0.95 at σ = 0.1 (found by a 2,000-sample pilot):
  // the exact stratified interval (w = 0.01) and a 2·10⁵-sample Clopper–Pearson interval
  // at 99.9% from an independent stream must overlap.
  const std::string dir = probust_examples::examples_data_dir();
  const auto net = probust::load_dense_network<double>(dir + "/digits_relu_64_128_64_10.model");
  const auto split = probust_examples::split_digits(
      probust_examples::load_digits(probust_examples::default_digits_path()));
  const probust::isotropic_gaussian<double> noise(0.1);
  int checked = 0;
  for (Eigen::Index i = 0; i < split.test.size() && checked < 3; ++i) {
    const Eigen::VectorXd x = split.test.inputs.row(i).transpose();
    probust::monte_carlo_options pilot;
    pilot.samples = 2000;
    pilot.seed = 1000 + static_cast<std::uint64_t>(i);
    const double rough =
        probust::monte_carlo_estimator<>(pilot).estimate(net, x, noise).probability;
    if (rough < 0.05 || rough > 0.95) continue;
    ++checked;
    probust::monte_carlo_options truth;
    truth.samples = 200'000;
    truth.confidence = 0.999;
    truth.seed = 2000 + static_cast<std::uint64_t>(i);
    const auto mc = probust::monte_carlo_estimator<>(truth).estimate(net, x, noise);
    probust::stratified_control_variate_options o;
    o.samples = 1'000'000;
    o.target_half_width = 0.01;
    o.seed = 3000 + static_cast<std::uint64_t>(i);
    const auto r = probust::stratified_control_variate_estimator<>(o).estimate(net, x, noise);
    INFO("point " << i << ": stratified [" << r.lower << ", " << r.upper << "] in "
                  << r.model_evaluations << " calls, Monte Carlo [" << mc.lower << ", "
                  << mc.upper << "]");
    CHECK(r.converged);
    CHECK(r.lower <= mc.upper);
    CHECK(mc.lower <= r.upper);
  }
  CHECK(checked == 3);
}
