// Control-variate Monte Carlo and its paired-difference interval, against independent
// truths: the exact coverage of paired_difference_interval by enumerating the trinomial
// distribution of the discordant counts; quadratic 2-class models whose robustness
// probability and discordance probabilities are closed forms (roots of a quadratic) or a
// 1-D Gauss–Kronrod integral of them; repeated-trial coverage, unbiasedness and variance
// reduction against those values; affine models, where the linearization is exact.
//
// No expected value below is copied from the library's output.
#include <Eigen/Dense>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/special_functions/binomial.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "catch_shim.hpp"
#include "test_support.hpp"
#include "probust/estimators/control_variate.hpp"
#include "probust/estimators/monte_carlo.hpp"
#include "probust/estimators/taylor.hpp"
#include "probust/model.hpp"
#include "probust/models/affine.hpp"
#include "probust/noise.hpp"
#include "probust/random.hpp"
#include "probust/stats.hpp"

namespace {

using probust_test::phi;

// A 2-class model on d = 2 whose margin is the quadratic
//     h(x) = a + x₀ + c·(x₀² − s·x₁²),   logits (h, 0),
// so at x = 0 its linearization is a + ε₀ (p_T = Φ(a/σ)) and the model is robust when
// h(ε) > 0.
auto quadratic_model(double a, double c, double s) {
  const auto f = [=](const Eigen::VectorXd& x) {
    Eigen::VectorXd out(2);
    out << a + x(0) + c * (x(0) * x(0) - s * x(1) * x(1)), 0.0;
    return out;
  };
  const auto jf = [=](const Eigen::VectorXd& x) {
    Eigen::MatrixXd j = Eigen::MatrixXd::Zero(2, 2);
    j(0, 0) = 1.0 + 2.0 * c * x(0);
    j(0, 1) = -2.0 * c * s * x(1);
    return j;
  };
  return probust::with_jacobian(f, jf);
}

// P(b + e + c e² > 0) for e ~ N(0, σ²), c ≠ 0, from the roots of c e² + e + b.
double quadratic_robust(double b, double c, double sigma) {
  const double disc = 1.0 - 4.0 * b * c;
  if (disc <= 0.0) return c > 0.0 ? 1.0 : 0.0;  // the quadratic never changes sign
  const double r1 = (-1.0 - std::sqrt(disc)) / (2.0 * c);
  const double r2 = (-1.0 + std::sqrt(disc)) / (2.0 * c);
  const double lo = std::min(r1, r2), hi = std::max(r1, r2);
  const double inside = phi(hi / sigma) - phi(lo / sigma);
  return c < 0.0 ? inside : 1.0 - inside;  // c < 0: positive between the roots
}

// The true p of quadratic_model(a, c, s) at 0 under N(0, σ² I): s = 0 is the 1-D closed
// form; otherwise condition on ε₁ (b = a − c·s·ε₁²) and integrate over it.
double quadratic_truth(double a, double c, double s, double sigma) {
  if (s == 0.0) return quadratic_robust(a, c, sigma);
  const auto integrand = [&](double u) {  // u = ε₁/σ
    const double density = std::exp(-0.5 * u * u) / std::sqrt(2.0 * M_PI);
    return density * quadratic_robust(a - c * s * sigma * sigma * u * u, c, sigma);
  };
  return boost::math::quadrature::gauss_kronrod<double, 61>::integrate(
      integrand, -12.0, 12.0, 15, 1e-13);
}

}  // namespace

TEST_CASE("paired_difference_interval: exact coverage ≥ nominal, enumerated") {
  // Coverage = Σ over (n₊, n₋) of the trinomial probability of the counts × 1[Δ inside],
  // computed exactly for n = 40 and a grid of (q₊, q₋), including q₋ = 0 and equal q's.
  const std::uint64_t n = 40;
  const double confidence = 0.9;
  const double grid[][2] = {{0.0, 0.0},  {0.02, 0.0}, {0.1, 0.0},  {0.05, 0.05},
                            {0.3, 0.1},  {0.2, 0.6},  {0.45, 0.45}, {0.0, 0.9}};
  // Each (q₊, q₋) without a-priori bounds, with loose ones and with the tightest (c = q).
  for (const auto method :
       {probust::interval_method::clopper_pearson, probust::interval_method::wilson}) {
    for (const auto& q : grid) {
      const double qp = q[0], qm = q[1], delta = qp - qm;
      const double bounds[][2] = {{1.0, 1.0}, {std::min(1.0, qp + 0.05), std::min(1.0, qm + 0.3)},
                                  {qp, qm}};
      for (const auto& c : bounds) {
        if (c[0] + c[1] == 0.0) continue;
        const bool unbounded = c[0] == 1.0 && c[1] == 1.0;
        double coverage = 0.0;
        for (std::uint64_t a = 0; a <= n; ++a) {
          for (std::uint64_t b = 0; a + b <= n; ++b) {
            const double log_prob =
                std::lgamma(n + 1.0) - std::lgamma(a + 1.0) - std::lgamma(b + 1.0) -
                std::lgamma(static_cast<double>(n - a - b) + 1.0) +
                (a > 0 ? a * std::log(qp) : 0.0) + (b > 0 ? b * std::log(qm) : 0.0) +
                (n - a - b > 0 ? (n - a - b) * std::log1p(-qp - qm) : 0.0);
            if (a > 0 && qp == 0.0) continue;  // impossible counts (log 0)
            if (b > 0 && qm == 0.0) continue;
            const auto i =
                probust::paired_difference_interval(a, b, n, confidence, method, c[0], c[1]);
            if (unbounded) {  // without bounds the interval contains the point estimate
              CHECK(i.lower <= (static_cast<double>(a) - b) / n);
              CHECK(i.upper >= (static_cast<double>(a) - b) / n);
            }
            if (i.lower <= delta && delta <= i.upper) coverage += std::exp(log_prob);
          }
        }
        INFO("q+ = " << qp << ", q- = " << qm << ", bounds " << c[0] << ", " << c[1]
                     << ", method " << static_cast<int>(method) << ": coverage " << coverage);
        if (method == probust::interval_method::clopper_pearson) {
          CHECK(coverage >= confidence);  // guaranteed (Bonferroni over two exact intervals)
        } else {
          CHECK(coverage >= confidence - 0.03);  // Wilson: close to nominal, not guaranteed
        }
      }
    }
  }
  // No discordant pair: [−U, U] with the Clopper–Pearson upper limit at level 1 − α/2,
  // U = 1 − (α/4)^{1/n}.
  const auto zero = probust::paired_difference_interval(0, 0, 1000, 0.95,
                                                        probust::interval_method::clopper_pearson);
  const double u = 1.0 - std::pow(0.05 / 4.0, 1.0 / 1000.0);
  CHECK(zero.upper == Approx(u).epsilon(1e-12));
  CHECK(zero.lower == Approx(-u).epsilon(1e-12));
  CHECK_THROWS_AS(probust::paired_difference_interval(
                      30, 20, 40, 0.95, probust::interval_method::clopper_pearson),
                  probust::invalid_argument);
  CHECK_THROWS_AS(probust::paired_difference_interval(
                      0, 0, 0, 0.95, probust::interval_method::clopper_pearson),
                  probust::invalid_argument);
}

TEST_CASE("tango_interval: its ends solve the score equation of the constrained MLE") {
  // Independently of the closed-form q̃: maximize the trinomial log-likelihood
  // b log(q + Δ₀) + c log q + (n − b − c) log(1 − 2q − Δ₀) over q = P(Y = 0, C = 1) by
  // golden-section search, then check Z(Δ₀) = ∓z at the lower/upper end.
  const double z = 1.959963984540054;  // Φ⁻¹(0.975)
  const std::uint64_t counts[][3] = {{40, 20, 160}, {5, 0, 41}, {3, 9, 50}, {0, 0, 1000},
                                     {12, 12, 300}, {30, 1, 31}};
  for (const auto& k : counts) {
    const double b = static_cast<double>(k[0]), c = static_cast<double>(k[1]);
    const double n = static_cast<double>(k[2]);
    const auto interval = probust::detail::tango_interval(k[0], k[1], k[2], 0.95);
    INFO("b " << b << " c " << c << " n " << n << ": [" << interval.lower << ", "
              << interval.upper << "]");
    CHECK(interval.lower <= (b - c) / n);
    CHECK(interval.upper >= (b - c) / n);
    for (const double delta : {interval.lower, interval.upper}) {
      if (delta <= -1.0 || delta >= 1.0) continue;
      const auto loglik = [&](double q) {
        return (b > 0 ? b * std::log(q + delta) : 0.0) + (c > 0 ? c * std::log(q) : 0.0) +
               (n - b - c > 0 ? (n - b - c) * std::log(1.0 - 2.0 * q - delta) : 0.0);
      };
      double lo = std::max(0.0, -delta), hi = (1.0 - delta) / 2.0;
      const double golden = (std::sqrt(5.0) - 1.0) / 2.0;
      for (int it = 0; it < 200; ++it) {
        const double m1 = hi - golden * (hi - lo), m2 = lo + golden * (hi - lo);
        (loglik(m1) < loglik(m2) ? lo : hi) = loglik(m1) < loglik(m2) ? m1 : m2;
      }
      const double q = 0.5 * (lo + hi);
      const double score = (b - c - n * delta) / std::sqrt(n * (2.0 * q + delta * (1.0 - delta)));
      CHECK(std::abs(score) == Approx(z).epsilon(1e-6));
    }
  }
  // Symmetry: swapping gained and lost mirrors the interval.
  const auto ab = probust::detail::tango_interval(7, 2, 90, 0.9);
  const auto ba = probust::detail::tango_interval(2, 7, 90, 0.9);
  CHECK(ab.lower == Approx(-ba.upper).epsilon(1e-10));
  CHECK(ab.upper == Approx(-ba.lower).epsilon(1e-10));
}

TEST_CASE("control variate: unbiased, covering and variance-reducing on quadratic models") {
  // Three nonlinear models with exactly known p (see quadratic_truth): model robust only
  // where the linearization is (c < 0), the other way round (c > 0), and both kinds of
  // disagreement (2-D, s = 1). 1000 trials of n = 2000 (engines point_engine(seed, trial)).
  // The exact interval is conservative (coverage ≥ 0.95), Tango's score interval (method
  // wilson) close to nominal: if coverage were exactly 0.95, covering trials
  // ~ Bin(1000, 0.95), P(count < 930) ≈ 0.0015.
  struct case_t {
    double a, c, s, sigma;
  };
  const case_t cases[] = {{0.3, -0.05, 0.0, 0.5}, {0.3, 0.2, 0.0, 0.5}, {0.2, 0.3, 1.0, 0.4}};
  const Eigen::VectorXd x = Eigen::VectorXd::Zero(2);
  const int trials = 1000;
  for (const case_t& k : cases) {
    const auto model = quadratic_model(k.a, k.c, k.s);
    const probust::isotropic_gaussian<double> noise(k.sigma);
    const double p = quadratic_truth(k.a, k.c, k.s, k.sigma);
    for (const auto method :
         {probust::interval_method::clopper_pearson, probust::interval_method::wilson}) {
      probust::control_variate_options opt;
      opt.sampling.samples = 2000;
      opt.sampling.interval = method;
      const probust::control_variate_estimator<> cv(opt);
      int covered = 0;
      double sum = 0.0, sum2 = 0.0;
      for (int trial = 0; trial < trials; ++trial) {
        auto engine = probust::point_engine(99, static_cast<std::uint64_t>(trial));
        const auto r = cv.estimate(model, x, noise, engine);
        if (r.lower <= p && p <= r.upper) ++covered;
        sum += r.probability;
        sum2 += r.probability * r.probability;
      }
      const double mean = sum / trials;
      const double var = (sum2 - trials * mean * mean) / (trials - 1);
      INFO("a " << k.a << " c " << k.c << " s " << k.s << ", method "
                << static_cast<int>(method) << ": p = " << p << ", mean " << mean
                << ", covered " << covered << ", trial variance " << var << " vs plain MC "
                << p * (1 - p) / opt.sampling.samples);
      CHECK(covered >= 930);
      // Unbiased: the trial mean is within 4 standard errors of p.
      CHECK(std::abs(mean - p) <= 4.0 * std::sqrt(var / trials));
      // Far smaller variance than plain Monte Carlo's p(1 − p)/n.
      CHECK(var < p * (1.0 - p) / opt.sampling.samples / 2.0);
    }
  }
}

TEST_CASE("control variate: the reported variance reduction is Var(Y)/Var(Y − C)") {
  // c < 0, 1-D: the model is robust on (r_lo, r_hi) ⊂ (−a, ∞), the linearization on
  // (−a, ∞), so Y ≤ C and Y − C = −1 with probability q₋ = Φ(r_lo/σ) − Φ(−a/σ) + Φ(−r_hi/σ):
  // Var(Y)/Var(Y − C) = p(1 − p)/(q₋(1 − q₋)). Its plug-in estimate at n = 20,000 has a
  // relative standard error ≈ 1/√(n q₋) ≈ 14%; averaged over 200 trials ≈ 1%.
  const double a = 0.3, c = -0.05, sigma = 0.5;
  const double disc = std::sqrt(1.0 - 4.0 * a * c);
  const double r_lo = (-1.0 + disc) / (2.0 * c), r_hi = (-1.0 - disc) / (2.0 * c);
  const double p = phi(r_hi / sigma) - phi(r_lo / sigma);
  const double q = phi(r_lo / sigma) - phi(-a / sigma) + phi(-r_hi / sigma);
  const double factor = p * (1.0 - p) / (q * (1.0 - q));
  REQUIRE(factor > 50.0);  // the case is one where control variates pay off
  const auto model = quadratic_model(a, c, 0.0);
  const Eigen::VectorXd x = Eigen::VectorXd::Zero(2);
  const probust::isotropic_gaussian<double> noise(sigma);
  probust::control_variate_options opt;
  opt.sampling.samples = 20'000;
  const probust::control_variate_estimator<> cv(opt);
  double sum = 0.0;
  const int trials = 200;
  for (int trial = 0; trial < trials; ++trial) {
    auto engine = probust::point_engine(7, static_cast<std::uint64_t>(trial));
    sum += 1.0 / cv.estimate(model, x, noise, engine).variance_reduction;
  }
  // Average 1/factor (the variance ratio, unbiased-ish and finite) and compare.
  CHECK(sum / trials == Approx(1.0 / factor).epsilon(0.05));
  // The same draws as plain Monte Carlo: equal seeds give equal sample counts and the
  // plain estimator reports no variance reduction.
  const auto plain = probust::monte_carlo_estimator<>().estimate(model, x, noise);
  CHECK(plain.variance_reduction == 0.0);
}

TEST_CASE("control variate on affine models: no disagreement, p = p_T, tight interval") {
  // For an affine model the linearization is the model: Y = C on every draw, so
  // p̂ = p_T exactly and the variance reduction is unbounded. The interval is then
  // [p − min(U, p), p + min(U, 1 − p)] with the zero-count Clopper–Pearson limit of the
  // discordance rate U = 1 − (α_r/2)^{1/n}, α_r = α(1 − min(p, 1 − p)) (the bounds
  // (1 − p, p) set the split). K = 2: p = Φ(m / (σ‖w‖)) exactly (no MVN error).
  Eigen::MatrixXd w(2, 3);
  w << 1.0, -0.5, 0.25, -0.2, 0.3, 0.1;
  const Eigen::VectorXd bias = (Eigen::VectorXd(2) << 0.1, 0.0).finished();
  const probust::affine_model<double> model(w, bias);
  const Eigen::VectorXd x = (Eigen::VectorXd(3) << 0.2, -0.1, 0.3).finished();
  const double sigma = 0.3;
  const Eigen::VectorXd logits = w * x + bias;
  const double m = logits(0) - logits(1);
  const double p = phi(m / (sigma * (w.row(0) - w.row(1)).norm()));
  const auto zero_count_interval = [p](double n, double alpha) {
    const double alpha_r = alpha * (1.0 - std::min(p, 1.0 - p));
    const double u = 1.0 - std::pow(alpha_r / 2.0, 1.0 / n);
    return std::make_pair(p - std::min(u, p), p + std::min(u, 1.0 - p));
  };
  const probust::isotropic_gaussian<double> noise(sigma);
  const auto r = probust::control_variate_estimator<>().estimate(model, x, noise);
  CHECK(r.probability == Approx(p).epsilon(1e-13));
  CHECK(r.complement == Approx(1.0 - p).epsilon(1e-12));
  const auto expected = zero_count_interval(1e4, 0.05);
  CHECK(r.lower == Approx(expected.first).epsilon(1e-9));
  CHECK(r.upper == Approx(expected.second).epsilon(1e-9));
  CHECK(std::isinf(r.variance_reduction));
  CHECK(r.samples == 10'000);
  CHECK(r.model_evaluations == 1 + 10'000);
  CHECK(r.jacobian == probust::jacobian_source::user);
  CHECK(r.predicted_class == 0);
  CHECK(r.converged);
  CHECK(std::string(r.estimator) == "control_variate");

  // Sequential: stop at half-width 1e-3. L = 10 looks (256·2^j ≤ 65,536, then 100,000),
  // each at level 1 − α/L: the run stops at the first look n whose zero-count interval is
  // narrow enough.
  probust::control_variate_options opt;
  opt.sampling.samples = 100'000;
  opt.sampling.target_half_width = 1e-3;
  const auto s = probust::control_variate_estimator<>(opt).estimate(model, x, noise);
  std::uint64_t first = 256;
  const auto half_width = [&](double n) {
    const auto i = zero_count_interval(n, 0.05 / 10);
    return (i.second - i.first) / 2.0;
  };
  while (half_width(static_cast<double>(first)) > 1e-3) first *= 2;
  CHECK(s.converged);
  CHECK(s.samples == first);
  CHECK(s.error == Approx(half_width(static_cast<double>(first))).epsilon(1e-9));
  CHECK(s.lower <= p);
  CHECK(p <= s.upper);

  // float: the same value to float accuracy.
  const probust::affine_model<float> model_f(w.cast<float>(), bias.cast<float>());
  const auto f = probust::control_variate_estimator<float>().estimate(
      model_f, Eigen::VectorXf(x.cast<float>()), probust::isotropic_gaussian<float>(0.3f));
  CHECK(f.probability == Approx(p).epsilon(1e-5));
}

TEST_CASE("control variate: finite-difference Jacobian, target class, invalid options") {
  const auto model = quadratic_model(0.3, 0.2, 0.0);
  const auto plain = [](const Eigen::VectorXd& v) {
    Eigen::VectorXd out(2);
    out << 0.3 + v(0) + 0.2 * v(0) * v(0), 0.0;
    return out;
  };
  const Eigen::VectorXd x = Eigen::VectorXd::Zero(2);
  const probust::isotropic_gaussian<double> noise(0.5);
  probust::control_variate_options opt;
  opt.sampling.samples = 3000;
  const auto fd = probust::control_variate_estimator<>(opt).estimate(plain, x, noise);
  const auto user = probust::control_variate_estimator<>(opt).estimate(model, x, noise);
  CHECK(fd.jacobian == probust::jacobian_source::finite_difference);
  CHECK(fd.model_evaluations == 1 + 2 * 2 + 3000);
  CHECK(fd.probability == Approx(user.probability).margin(1e-6));

  // Target = the other class: p is the complement of the target-0 probability.
  opt.target = 1;
  const auto other = probust::control_variate_estimator<>(opt).estimate(model, x, noise);
  CHECK(other.predicted_class == 1);
  const double p0 = quadratic_truth(0.3, 0.2, 0.0, 0.5);
  CHECK(other.lower <= 1.0 - p0);
  CHECK(1.0 - p0 <= other.upper);

  const auto rejects = [&](auto mutate) {
    probust::control_variate_options bad;
    mutate(bad);
    CHECK_THROWS_AS(probust::control_variate_estimator<>(bad).estimate(model, x, noise),
                    probust::invalid_argument);
  };
  rejects([](probust::control_variate_options& o) { o.sampling.samples = 0; });
  rejects([](probust::control_variate_options& o) { o.sampling.batch_size = 0; });
  rejects([](probust::control_variate_options& o) { o.sampling.confidence = 1.0; });
  rejects([](probust::control_variate_options& o) { o.sampling.target_half_width = -1.0; });
  rejects([](probust::control_variate_options& o) { o.target = 2; });
  const Eigen::VectorXd bad_x = (Eigen::VectorXd(2) << 0.0, std::nan("")).finished();
  CHECK_THROWS_AS(probust::control_variate_estimator<>().estimate(model, bad_x, noise),
                  probust::invalid_argument);
}
