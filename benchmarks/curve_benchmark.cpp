// Robustness curves and radii on the bundled ReLU digits network (examples/data,
// 64 → 128 → 64 → 10, trained by examples/train_digits.cpp): what sharing one
// linearization across σ saves, and what a radius costs.
//
//   cmake -S . -B build-curves -DCMAKE_BUILD_TYPE=Release -DPROBUST_BUILD_BENCHMARKS=ON
//         -DPROBUST_BUILD_TESTS=OFF -DPROBUST_BUILD_EXAMPLES=OFF      (one command)
//   cmake --build build-curves -j2 --target curve_benchmark
//   ./build-curves/benchmarks/curve_benchmark
//   PROBUST_BENCH_POINTS=50 ./build-curves/benchmarks/curve_benchmark
//
// Points: the first PROBUST_BENCH_POINTS (default 20) images of the test split. Curves
// have 16 σ, geometric from 0.025 to 0.4. Each benchmark handles every point per
// iteration; counters, computed from the same deterministic calls outside the timed loop:
//   per_point          seconds per point (a whole 16-σ curve, or one radius)
//   model_evaluations  forward passes per point (the network has an analytic Jacobian:
//                      1 per linearization)
//   max_abs_diff       curve rows: max |p_curve − p_separate| over all points and σ, and
//                      mismatches the number of results differing in any field (both 0:
//                      the curve is bit-identical to separate estimate() calls)
//   evaluations        radius: mean p(σ) evaluations per point; found: fraction of points
//                      with a bracketed crossing; max_dev: max |p_taylor(σ̂) − τ| over them,
//                      p recomputed by a separate estimate() at the reported radius σ̂
//                      (agreement with the function as evaluated); max_error: the largest
//                      MVN error estimate there (what separates it from the exact p_taylor)

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <probust/curves.hpp>
#include <probust/probust.hpp>
#include <string>
#include <vector>

#include "../examples/digits_data.hpp"

namespace {

/// The ReLU digits network and the benchmark points.
struct digits_points {
  probust::dense_network<double> net;
  std::vector<Eigen::VectorXd> points;
};

const digits_points& data() {
  static const digits_points d = [] {
    const char* env = std::getenv("PROBUST_BENCH_POINTS");
    const int requested = env ? std::atoi(env) : 20;
    const std::string dir = probust_examples::examples_data_dir();
    digits_points out{probust::load_dense_network<double>(dir + "/digits_relu_64_128_64_10.model"),
                      {}};
    const auto split = probust_examples::split_digits(
        probust_examples::load_digits(probust_examples::default_digits_path()));
    const Eigen::Index n =
        std::min<Eigen::Index>(requested > 0 ? requested : 20, split.test.size());
    for (Eigen::Index i = 0; i < n; ++i) out.points.push_back(split.test.inputs.row(i).transpose());
    return out;
  }();
  return d;
}

/// 16 σ from 0.025 to 0.4, geometric (ratio 16^{1/15}).
std::vector<double> curve_sigmas() {
  std::vector<double> s;
  for (int i = 0; i < 16; ++i) s.push_back(0.025 * std::pow(16.0, i / 15.0));
  return s;
}

/// The 16 σ by separate estimate() calls.
std::vector<probust::robustness_result> separate(const probust::taylor_estimator<double>& taylor,
                                                 const probust::dense_network<double>& net,
                                                 const Eigen::VectorXd& x,
                                                 const std::vector<double>& sigmas) {
  std::vector<probust::robustness_result> out;
  for (double s : sigmas) {
    out.push_back(taylor.estimate(net, x, probust::isotropic_gaussian<double>(s)));
  }
  return out;
}

bool same(const probust::robustness_result& a, const probust::robustness_result& b) {
  return a.probability == b.probability && a.lower == b.lower && a.upper == b.upper &&
         a.complement == b.complement && a.error == b.error &&
         a.predicted_class == b.predicted_class && a.model_evaluations == b.model_evaluations &&
         a.jacobian == b.jacobian && a.converged == b.converged && a.samples == b.samples;
}

/// Seconds per point, `points` of them per iteration.
void set_per_point(benchmark::State& state, std::size_t points) {
  state.counters["per_point"] = benchmark::Counter(
      static_cast<double>(points),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

/// Agreement of the shared curve with the separate calls, over every point and σ.
void set_agreement(benchmark::State& state) {
  const digits_points& d = data();
  const std::vector<double> sigmas = curve_sigmas();
  const probust::taylor_estimator<double> taylor;
  double max_diff = 0.0;
  int mismatches = 0;
  for (const auto& x : d.points) {
    const auto curve = probust::robustness_curve(taylor, d.net, x, sigmas);
    const auto each = separate(taylor, d.net, x, sigmas);
    for (std::size_t i = 0; i < sigmas.size(); ++i) {
      max_diff = std::max(max_diff, std::fabs(curve[i].probability - each[i].probability));
      mismatches += same(curve[i], each[i]) ? 0 : 1;
    }
  }
  state.counters["max_abs_diff"] = max_diff;
  state.counters["mismatches"] = mismatches;
}

void curve_shared(benchmark::State& state) {
  const digits_points& d = data();
  const std::vector<double> sigmas = curve_sigmas();
  const probust::taylor_estimator<double> taylor;
  set_agreement(state);
  // A curve's results each report the one linearization that served them all.
  state.counters["model_evaluations"] = static_cast<double>(
      probust::robustness_curve(taylor, d.net, d.points[0], sigmas)[0].model_evaluations);
  for (auto _ : state) {
    for (const auto& x : d.points) {
      benchmark::DoNotOptimize(probust::robustness_curve(taylor, d.net, x, sigmas));
    }
  }
  set_per_point(state, d.points.size());
}

void curve_separate(benchmark::State& state) {
  const digits_points& d = data();
  const std::vector<double> sigmas = curve_sigmas();
  const probust::taylor_estimator<double> taylor;
  set_agreement(state);
  std::uint64_t evaluations = 0;
  for (const auto& r : separate(taylor, d.net, d.points[0], sigmas)) {
    evaluations += r.model_evaluations;
  }
  state.counters["model_evaluations"] = static_cast<double>(evaluations);
  for (auto _ : state) {
    for (const auto& x : d.points) benchmark::DoNotOptimize(separate(taylor, d.net, x, sigmas));
  }
  set_per_point(state, d.points.size());
}

void radius(benchmark::State& state) {
  const digits_points& d = data();
  const probust::taylor_estimator<double> taylor;
  probust::radius_options o;
  o.threshold = 0.9;
  double evaluations = 0.0, model_evaluations = 0.0, max_dev = 0.0, max_error = 0.0;
  int found = 0;
  for (const auto& x : d.points) {
    const probust::radius_result r = probust::robustness_radius(taylor, d.net, x, o);
    evaluations += r.evaluations;
    model_evaluations += static_cast<double>(r.model_evaluations);
    if (!r.found) continue;
    ++found;
    const probust::robustness_result p =
        taylor.estimate(d.net, x, probust::isotropic_gaussian<double>(r.radius));
    max_dev = std::max(max_dev, std::fabs(p.probability - o.threshold));
    max_error = std::max(max_error, p.error);
  }
  const double n = static_cast<double>(d.points.size());
  state.counters["evaluations"] = evaluations / n;
  state.counters["model_evaluations"] = model_evaluations / n;
  state.counters["found"] = found / n;
  state.counters["max_dev"] = max_dev;
  state.counters["max_error"] = max_error;
  for (auto _ : state) {
    for (const auto& x : d.points) {
      benchmark::DoNotOptimize(probust::robustness_radius(taylor, d.net, x, o));
    }
  }
  set_per_point(state, d.points.size());
}

}  // namespace

BENCHMARK(curve_shared)->Unit(benchmark::kMillisecond);
BENCHMARK(curve_separate)->Unit(benchmark::kMillisecond);
BENCHMARK(radius)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
