#pragma once
// The digits networks and test points shared by the estimator benchmarks, with a
// Monte-Carlo ground truth per (point, σ) and the per-point time counter.
//
// Networks: examples/data's 64 → 128 → 64 → 10 ReLU ("relu") and 64 → 64 → 10 tanh ("tanh"),
// trained by examples/train_digits.cpp. Points: the first PROBUST_BENCH_POINTS (default 50)
// images of the test split. Ground truth: 10⁵ Monte-Carlo samples per (point, σ) with a
// stream of its own (standard error ≤ 0.0016), computed once per run on first use (~1
// minute per network and four σ).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <probust/probust.hpp>

#include "../examples/digits_data.hpp"

namespace digits_bench {

/// The σ grid of the estimator benchmarks.
inline const std::vector<double> sigmas = {0.05, 0.1, 0.2, 0.4};

/// One network in double and float, the test points, and the ground truth per σ.
struct digits_case {
  std::string name;
  probust::dense_network<double> net;
  probust::dense_network<float> net_float;
  std::vector<Eigen::VectorXd> points;
  std::map<double, std::vector<double>> truth;  // σ → p_truth per point
};

/// PROBUST_BENCH_POINTS, default 50.
inline int bench_points() {
  const char* env = std::getenv("PROBUST_BENCH_POINTS");
  const int n = env ? std::atoi(env) : 50;
  return n > 0 ? n : 50;
}

inline digits_case load_case(const std::string& name, const std::string& file) {
  const std::string dir = probust_examples::examples_data_dir();
  digits_case c{name, probust::load_dense_network<double>(dir + "/" + file),
                probust::load_dense_network<float>(dir + "/" + file), {}, {}};
  const auto split = probust_examples::split_digits(
      probust_examples::load_digits(probust_examples::default_digits_path()));
  const Eigen::Index n = std::min<Eigen::Index>(bench_points(), split.test.size());
  for (Eigen::Index i = 0; i < n; ++i) c.points.push_back(split.test.inputs.row(i).transpose());
  return c;
}

/// The case "relu" or "tanh", loaded on first use.
inline digits_case& get_case(const std::string& name) {
  static std::map<std::string, digits_case> cases;
  auto it = cases.find(name);
  if (it == cases.end()) {
    const std::string file = name == "relu" ? "digits_relu_64_128_64_10.model"
                                            : "digits_tanh_64_64_10.model";
    it = cases.emplace(name, load_case(name, file)).first;
  }
  return it->second;
}

/// p_truth for every point at σ: 10⁵ Monte-Carlo samples with a seed of its own.
inline const std::vector<double>& truth(digits_case& c, double sigma) {
  auto it = c.truth.find(sigma);
  if (it != c.truth.end()) return it->second;
  std::cerr << "ground truth: " << c.name << ", sigma " << sigma << " (" << c.points.size()
            << " points x 1e5 samples)\n";
  probust::monte_carlo_options o;
  o.sampling.samples = 100'000;
  std::vector<double> p;
  for (std::size_t i = 0; i < c.points.size(); ++i) {
    // A stream of its own per point, none shared with estimators.
    o.sampling.seed = 0x7275746855ULL + i;
    p.push_back(probust::monte_carlo_estimator<double>(o)
                    .estimate(c.net, c.points[i], probust::isotropic_gaussian<double>(sigma))
                    .probability);
  }
  return c.truth.emplace(sigma, std::move(p)).first->second;
}

/// Options of a sampling estimator (monte_carlo_options, control_variate_options) that
/// stops sequentially at the 95% half-width w, with at most 4·10⁶ samples and the seed
/// default_seed + i at point i.
template <class Options>
Options sequential_options(double w, std::size_t i) {
  Options o;
  o.sampling.samples = 4'000'000;
  o.sampling.target_half_width = w;
  o.sampling.seed = probust::default_seed + i;
  return o;
}

/// The counter per_point: seconds per evaluation, `evaluations` of them per iteration.
inline void set_per_point(benchmark::State& state, std::size_t evaluations) {
  state.counters["per_point"] = benchmark::Counter(
      static_cast<double>(evaluations),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

}  // namespace digits_bench
