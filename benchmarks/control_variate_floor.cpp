/// \file control_variate_floor.cpp
/// How many model calls an exact interval needs when the control variate is exact, against
/// plain Monte Carlo: the measured savings and the largest saving any exact method can have.
///
/// The linear model of each (network, point) is the network's own linearization at the
/// point, f(x) + J(x)(x' − x) (an affine_model), so the control variate agrees with the
/// model on every draw, as for a logistic regression. Both estimators stop sequentially at
/// the 95% half-width w with their default exact intervals (as control_variate_benchmark).
///
/// The floor (docs/intervals.md, "What no exact interval can do"): a method whose interval
/// is exact for every model and that has seen no disagreement in n calls cannot exclude a
/// model that disagrees with its control on a region of probability u(n) = 1 − α^{1/n}
/// (≈ ln(1/α)/n) where the control says "robust" (at most μ = E[C] of it) or where it says
/// "not robust" (at most 1 − μ), stratified or not. Its half-width is therefore at least
///   (min(μ, u(n)) + min(1 − μ, u(n)))/2,
/// and the floor is the smallest n for which that is ≤ w: ln(1/α)/w = 300 calls at
/// w = 0.01 (α = 0.05) for μ away from 0 and 1, half that as μ → 1. n_MC/floor bounds the
/// saving of every exact method at that point.
///
///   build-bench/benchmarks/control_variate_floor
///   PROBUST_BENCH_POINTS=100 build-bench/benchmarks/control_variate_floor
///
/// The networks and test points are those of the other estimator benchmarks
/// (digits_cases.hpp: the first PROBUST_BENCH_POINTS, default 50, test images). Prints, per
/// network, σ and w, over the points where plain Monte Carlo needs ≥ 2,000 calls: their
/// number, the geometric means of n_MC/n_CV (measured) and of n_MC/floor (the bound), and
/// the bound's largest value.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <probust/probust.hpp>

#include "digits_cases.hpp"

namespace {

/// The smallest n with (min(μ, u(n)) + min(1 − μ, u(n)))/2 ≤ w, u(n) = 1 − α^{1/n}.
double exact_floor(double mu, double w, double alpha) {
  const auto half_width = [&](double n) {
    const double unseen = -std::expm1(std::log(alpha) / n);
    return 0.5 * (std::min(mu, unseen) + std::min(1.0 - mu, unseen));
  };
  double n = 1.0;
  while (half_width(n) > w) n *= 2.0;
  double low = std::max(1.0, n / 2.0);  // half_width(low) > w ≥ half_width(n), unless n = 1
  while (n - low > 1.0) {
    const double mid = std::floor(0.5 * (low + n));
    (half_width(mid) > w ? low : n) = mid;
  }
  return n;
}

}  // namespace

int main() {
  using digits_bench::sequential_options;
  const double alpha = 0.05;
  std::printf("| linearized network | σ | w | points with n_MC ≥ 2000 | n_MC/n_CV measured "
              "(geo. mean) | n_MC/floor: the most any exact method can save (geo. mean; "
              "max) |\n|---|---|---|---|---|---|\n");
  for (const std::string name : {"relu", "tanh"}) {
    const digits_bench::digits_case& c = digits_bench::get_case(name);
    const std::string label = name == "relu" ? "relu 64-128-64-10" : "tanh 64-64-10";
    std::vector<probust::affine_model<double>> linear;
    for (const Eigen::VectorXd& x : c.points) {
      const Eigen::MatrixXd jacobian = c.net.jacobian(x);
      linear.emplace_back(jacobian, c.net(x) - jacobian * x);
    }
    for (double sigma : digits_bench::sigmas) {
      const probust::isotropic_gaussian<double> noise(sigma);
      for (double w : {0.01, 0.003}) {
        int counted = 0;
        double log_measured = 0.0, log_bound = 0.0, max_bound = 0.0;
        for (std::size_t i = 0; i < c.points.size(); ++i) {
          const Eigen::VectorXd& x = c.points[i];
          const auto mc = probust::monte_carlo_estimator<double>(
                              sequential_options<probust::monte_carlo_options>(w, i))
                              .estimate(linear[i], x, noise);
          if (mc.model_evaluations < 2000) continue;
          const auto cv = probust::control_variate_estimator<double>(
                              sequential_options<probust::control_variate_options>(w, i))
                              .estimate(linear[i], x, noise);
          const double mu =
              probust::taylor_estimator<double>().estimate(linear[i], x, noise).probability;
          const double floor = exact_floor(mu, w, alpha);
          const double n_mc = static_cast<double>(mc.model_evaluations);
          ++counted;
          log_measured += std::log(n_mc / static_cast<double>(cv.model_evaluations));
          log_bound += std::log(n_mc / floor);
          max_bound = std::max(max_bound, n_mc / floor);
        }
        if (counted == 0) {
          std::printf("| %s | %g | %g | 0 | — | — |\n", label.c_str(), sigma, w);
          continue;
        }
        std::printf("| %s | %g | %g | %d | %.1f× | %.1f×; %.1f× |\n", label.c_str(), sigma, w,
                    counted, std::exp(log_measured / counted), std::exp(log_bound / counted),
                    max_bound);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
