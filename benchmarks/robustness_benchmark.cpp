// Time per (point, σ) and accuracy of every robustness estimator on the bundled digits
// networks (examples/data: a 64 → 128 → 64 → 10 ReLU and a 64 → 64 → 10 tanh network trained
// by examples/train_digits.cpp), against a 10⁵-sample Monte-Carlo ground truth.
//
//   ./build-bench/benchmarks/robustness_benchmark                     # everything
//   ./build-bench/benchmarks/robustness_benchmark --benchmark_filter=taylor/
//   PROBUST_BENCH_POINTS=100 ./build-bench/benchmarks/robustness_benchmark
//
// Points: the first PROBUST_BENCH_POINTS (default 50) images of the test split. Each
// benchmark evaluates its estimator on all points at one σ (or at all four σ, for the
// "all_sigma" rows of the Taylor target) per iteration; counters, computed from the same
// deterministic calls outside the timed loop:
//   per_point  seconds per (point, σ), Jacobian and everything included
//   mae        mean |p − p_truth|, p_truth from 10⁵ Monte-Carlo samples (seed ≠ the
//              estimators'), whose own standard error is ≤ 0.0016 (reported as truth_se)
//   max_err    max |p − p_truth|
//   covered    Monte Carlo: fraction of 95% intervals containing p_truth
//   easy       Taylor: fraction of (point, σ) with 1 − p ≤ 1e-12 (the "easy" rows time them)
// The ground truth takes ~1 minute per network (computed once per run, before timing).

#include <benchmark/benchmark.h>

#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <probust/probust.hpp>

#include "digits_cases.hpp"

namespace {

using digits_bench::digits_case;
using digits_bench::get_case;
using digits_bench::set_per_point;
using digits_bench::sigmas;
using digits_bench::truth;

/// Accuracy counters of `results` (one per point, at sigma) against the ground truth.
void set_accuracy(benchmark::State& state, digits_case& c, double sigma,
                  const std::vector<probust::robustness_result>& results) {
  const std::vector<double>& t = truth(c, sigma);
  double sum = 0.0, worst = 0.0, worst_se = 0.0;
  int covered = 0, easy = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const double err = std::fabs(results[i].probability - t[i]);
    sum += err;
    worst = std::max(worst, err);
    worst_se = std::max(worst_se, std::sqrt(t[i] * (1.0 - t[i]) / 1e5));
    covered += results[i].lower <= t[i] && t[i] <= results[i].upper ? 1 : 0;
    easy += results[i].complement <= 1e-12 ? 1 : 0;
  }
  const double n = static_cast<double>(results.size());
  state.counters["mae"] = sum / n;
  state.counters["max_err"] = worst;
  state.counters["truth_se"] = worst_se;
  state.counters["covered"] = covered / n;
  state.counters["easy"] = easy / n;
}

/// Runs `estimate(c, i, sigma)` over every point i per iteration; accuracy from a first pass.
template <class Estimate>
void run(benchmark::State& state, const std::string& net, double sigma, Estimate estimate) {
  digits_case& c = get_case(net);
  std::vector<probust::robustness_result> first;
  for (std::size_t i = 0; i < c.points.size(); ++i) first.push_back(estimate(c, i, sigma));
  set_accuracy(state, c, sigma, first);
  for (auto _ : state) {
    for (std::size_t i = 0; i < c.points.size(); ++i) {
      benchmark::DoNotOptimize(estimate(c, i, sigma));
    }
  }
  set_per_point(state, c.points.size());
}

/// A deterministic estimator, the same for every point.
template <class Estimator>
auto with(const Estimator& estimator) {
  return [estimator](digits_case& c, std::size_t i, double sigma) {
    return estimator.estimate(c.net, c.points[i], probust::isotropic_gaussian<double>(sigma));
  };
}

/// A seeded estimator with seed default_seed + i at point i: independent noise per point,
/// as a dataset run draws it (the same seed everywhere would make the errors of all
/// points correlated, and their average coverage meaningless).
template <template <class> class Estimator, class T = double>
auto seeded_per_point() {
  return [](digits_case& c, std::size_t i, double sigma) {
    typename Estimator<T>::options_type o;
    if constexpr (probust::detail::has_sampling_seed<decltype(o)>::value) {
      o.sampling.seed = probust::default_seed + i;  // monte_carlo, control_variate
    } else {
      o.seed = probust::default_seed + i;
    }
    if constexpr (std::is_same_v<T, float>) {
      const Eigen::VectorXf x = c.points[i].cast<float>();
      return Estimator<float>(o).estimate(
          c.net_float, x, probust::isotropic_gaussian<float>(static_cast<float>(sigma)));
    } else {
      return Estimator<double>(o).estimate(c.net, c.points[i],
                                           probust::isotropic_gaussian<double>(sigma));
    }
  };
}

/// Taylor averaged over σ ∈ {0.05, 0.1, 0.2, 0.4}: the speed target.
void taylor_all_sigma(benchmark::State& state, const std::string& net) {
  digits_case& c = get_case(net);
  const probust::taylor_estimator<double> taylor;
  double sum = 0.0;
  for (double sigma : sigmas) {
    const auto& t = truth(c, sigma);
    for (std::size_t i = 0; i < c.points.size(); ++i) {
      sum += std::fabs(
          taylor.estimate(c.net, c.points[i], probust::isotropic_gaussian<double>(sigma))
              .probability -
          t[i]);
    }
  }
  for (auto _ : state) {
    for (double sigma : sigmas) {
      for (const auto& x : c.points) {
        benchmark::DoNotOptimize(
            taylor.estimate(c.net, x, probust::isotropic_gaussian<double>(sigma)));
      }
    }
  }
  const std::size_t n = c.points.size() * sigmas.size();
  state.counters["mae"] = sum / static_cast<double>(n);
  set_per_point(state, n);
}

/// Taylor on the (point, σ) pairs whose 1 − p ≤ 1e-12: the "easy points" target.
void taylor_easy(benchmark::State& state, const std::string& net) {
  digits_case& c = get_case(net);
  const probust::taylor_estimator<double> taylor;
  std::vector<std::pair<const Eigen::VectorXd*, double>> easy;
  for (double sigma : sigmas) {
    for (const auto& x : c.points) {
      if (taylor.estimate(c.net, x, probust::isotropic_gaussian<double>(sigma)).complement <=
          1e-12) {
        easy.emplace_back(&x, sigma);
      }
    }
  }
  if (easy.empty()) {
    state.SkipWithError("no easy points");
    return;
  }
  for (auto _ : state) {
    for (const auto& [x, sigma] : easy) {
      benchmark::DoNotOptimize(
          taylor.estimate(c.net, *x, probust::isotropic_gaussian<double>(sigma)));
    }
  }
  state.counters["pairs"] = static_cast<double>(easy.size());
  set_per_point(state, easy.size());
}

void register_all() {
  probust::taylor_options paper;
  paper.paper_settings = true;
  for (const std::string net : {"relu", "tanh"}) {
    benchmark::RegisterBenchmark(("taylor_all_sigma/" + net).c_str(), taylor_all_sigma, net)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("taylor_easy/" + net).c_str(), taylor_easy, net)
        ->Unit(benchmark::kMicrosecond);
    for (double sigma : sigmas) {
      const std::string suffix = "/" + net + "/sigma=" + std::to_string(sigma).substr(0, 4);
      const auto add = [&](const std::string& name, auto estimate) {
        benchmark::RegisterBenchmark((name + suffix).c_str(),
                                     [=](benchmark::State& s) { run(s, net, sigma, estimate); })
            ->Unit(benchmark::kMillisecond);
      };
      add("taylor", with(probust::taylor_estimator<double>()));
      add("taylor_paper", with(probust::taylor_estimator<double>(paper)));
      add("mmse", seeded_per_point<probust::mmse_estimator>());
      add("taylor_mv_sigmoid", with(probust::taylor_mv_sigmoid_estimator<double>()));
      add("mmse_mv_sigmoid", seeded_per_point<probust::mmse_mv_sigmoid_estimator>());
      add("softmax", with(probust::softmax_estimator<double>()));
      add("monte_carlo", seeded_per_point<probust::monte_carlo_estimator>());
      add("monte_carlo_float", seeded_per_point<probust::monte_carlo_estimator, float>());
      add("control_variate", seeded_per_point<probust::control_variate_estimator>());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
