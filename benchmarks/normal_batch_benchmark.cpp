// Φ and Φ⁻¹ in batches (probust::detail::normal_cdf_batch / normal_quantile_batch), and the
// QMC integral they serve, with and without the AVX2 clones of detail/target_clones.hpp.
// benchmarks/CMakeLists.txt builds this file three times:
//   normal_batch_benchmark           -march=native, like every benchmark here (no clones:
//                                    the build already targets the machine);
//   normal_batch_benchmark_portable  a default x86-64 build: the AVX2 clone is chosen at
//                                    load time on a CPU that has AVX2;
//   normal_batch_benchmark_baseline  a default x86-64 build with PROBUST_NO_TARGET_CLONES:
//                                    the SSE2 code a portable build had before the clones.
// The portable and baseline programs compute bit-identical values (tests/dispatch_identity.cpp);
// each prints p of the hard_k9 case so that a run shows it.
//
//   for v in baseline portable; do build-bench/benchmarks/normal_batch_benchmark_$v; done
//   build-bench/benchmarks/normal_batch_benchmark
//
// Counters: items_per_second (values of Φ or Φ⁻¹ per second, in blocks of 64 as the
// integrand calls them); for hard_k9 (benchmarks/data/hard_k9.txt, k = 9, abs_tol 1e-4, default seed) the
// probability, its error and the number of QMC points (the same in all three programs up to
// the last bits: -march=native contracts into FMA).
#include <benchmark/benchmark.h>

#include <Eigen/Dense>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "case_files.hpp"
#include "probust/mvn/cdf.hpp"
#include "probust/mvn/univariate.hpp"

namespace {

constexpr int block = 64;            // the QMC integrand's block of points
constexpr std::size_t values = 1 << 16;

std::vector<double> draws(bool probabilities) {
  std::mt19937_64 engine(20261203);
  std::normal_distribution<double> normal(0.0, 2.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<double> v(values);
  for (double& x : v) x = probabilities ? uniform(engine) : normal(engine);
  return v;
}

template <void (*Batch)(const double*, double*, int)>
void run_batch(benchmark::State& state, bool probabilities) {
  const std::vector<double> in = draws(probabilities);
  std::vector<double> out(values);
  for (auto _ : state) {
    for (std::size_t i = 0; i < values; i += block) Batch(&in[i], &out[i], block);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * values));
}

void normal_cdf_batch(benchmark::State& state) {
  run_batch<probust::detail::normal_cdf_batch>(state, false);
}
void normal_quantile_batch(benchmark::State& state) {
  run_batch<probust::detail::normal_quantile_batch>(state, true);
}

void hard_k9(benchmark::State& state) {
  Eigen::VectorXd b;
  Eigen::MatrixXd r;
  probust_bench::read_problem_file(std::string(PROBUST_BENCH_SOURCE_DIR) + "/data/hard_k9.txt",
                                   b, r);
  probust::mvn_options options;
  options.abs_tol = 1e-4;
  // The (deterministic, fixed-seed) result: measured once, outside the loop.
  const probust::mvn_result result = probust::mvn_cdf(b, r, options);
  for (auto _ : state) {
    probust::mvn_result x = probust::mvn_cdf(b, r, options);
    benchmark::DoNotOptimize(x);
  }
  state.counters["probability"] = result.probability;
  state.counters["error"] = result.error;
  state.counters["points"] = static_cast<double>(result.points);
}

}  // namespace

BENCHMARK(normal_cdf_batch);
BENCHMARK(normal_quantile_batch);
BENCHMARK(hard_k9)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
