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
///   control_variate_floor [--points N]      (default 50 test images per network)
///
/// Prints, per network, σ and w, over the points where plain Monte Carlo needs ≥ 2,000
/// calls: their number, the geometric means of n_MC/n_CV (measured) and of n_MC/floor (the
/// bound), and the bound's largest value.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <probust/probust.hpp>

#include "../examples/digits_data.hpp"

namespace {

struct network_case {
  std::string name;
  std::string file;
};

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

template <class Options>
Options sequential_options(double w, std::size_t i) {
  Options o;
  o.sampling.samples = 4'000'000;
  o.sampling.target_half_width = w;
  o.sampling.seed = probust::default_seed + i;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  long points = 50;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--points") == 0 && a + 1 < argc) {
      points = std::strtol(argv[++a], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s [--points N]\n", argv[0]);
      return 2;
    }
  }
  const double alpha = 0.05;
  const std::vector<network_case> networks = {
      {"relu 64-128-64-10", "digits_relu_64_128_64_10.model"},
      {"tanh 64-64-10", "digits_tanh_64_64_10.model"}};
  const auto split = probust_examples::split_digits(
      probust_examples::load_digits(probust_examples::default_digits_path()));
  const Eigen::Index n = std::min<Eigen::Index>(points, split.test.size());

  std::printf("| linearized network | σ | w | points with n_MC ≥ 2000 | n_MC/n_CV measured "
              "(geo. mean) | n_MC/floor: the most any exact method can save (geo. mean; "
              "max) |\n|---|---|---|---|---|---|\n");
  for (const network_case& net_case : networks) {
    const auto net = probust::load_dense_network<double>(probust_examples::examples_data_dir() +
                                                         "/" + net_case.file);
    std::vector<probust::affine_model<double>> linear;
    for (Eigen::Index i = 0; i < n; ++i) {
      const Eigen::VectorXd x = split.test.inputs.row(i).transpose();
      const Eigen::MatrixXd jacobian = net.jacobian(x);
      linear.emplace_back(jacobian, net(x) - jacobian * x);
    }
    for (double sigma : {0.05, 0.1, 0.2, 0.4}) {
      const probust::isotropic_gaussian<double> noise(sigma);
      for (double w : {0.01, 0.003}) {
        int counted = 0;
        double log_measured = 0.0, log_bound = 0.0, max_bound = 0.0;
        for (Eigen::Index i = 0; i < n; ++i) {
          const auto point = static_cast<std::size_t>(i);
          const Eigen::VectorXd x = split.test.inputs.row(i).transpose();
          const auto mc = probust::monte_carlo_estimator<double>(
                              sequential_options<probust::monte_carlo_options>(w, point))
                              .estimate(linear[point], x, noise);
          if (mc.model_evaluations < 2000) continue;
          const auto cv = probust::control_variate_estimator<double>(
                              sequential_options<probust::control_variate_options>(w, point))
                              .estimate(linear[point], x, noise);
          const double mu =
              probust::taylor_estimator<double>().estimate(linear[point], x, noise).probability;
          const double floor = exact_floor(mu, w, alpha);
          const double n_mc = static_cast<double>(mc.model_evaluations);
          ++counted;
          log_measured += std::log(n_mc / static_cast<double>(cv.model_evaluations));
          log_bound += std::log(n_mc / floor);
          max_bound = std::max(max_bound, n_mc / floor);
        }
        if (counted == 0) {
          std::printf("| %s | %g | %g | 0 | — | — |\n", net_case.name.c_str(), sigma, w);
          continue;
        }
        std::printf("| %s | %g | %g | %d | %.1f× | %.1f×; %.1f× |\n", net_case.name.c_str(),
                    sigma, w, counted, std::exp(log_measured / counted),
                    std::exp(log_bound / counted), max_bound);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
