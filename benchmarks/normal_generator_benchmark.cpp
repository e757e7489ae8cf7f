// Standard normal generation: probust's ziggurat (probust::standard_normal one variate at a
// time, probust::fill_standard_normal a block at a time) against std::normal_distribution
// and boost::random::normal_distribution, all driven by the same engine
// (probust::random_engine, xoshiro256**, same seed).
//
// Counters:
//   time_per_normal  CPU time per variate (blocks of 4096 written to a buffer);
//   mean, var        mean and variance of 2^22 fresh draws after the timed loop, a sanity
//                    check of the distribution (expected 0 ± 0.0005 and 1 ± 0.0007, one
//                    standard error: sd(Z)/√n and sd(Z²)/√n = √2/√n).
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <boost/random/normal_distribution.hpp>
#include <cstddef>
#include <random>
#include <vector>

#include "probust/random.hpp"

namespace {

constexpr std::size_t block = 4096;
constexpr std::size_t accuracy_draws = std::size_t{1} << 22;
constexpr std::uint64_t seed = 20240611;

// ns_per_normal, mean and var of a generator `draw(engine)` (see the file comment).
template <class Draw>
void report(benchmark::State& state, Draw draw) {
  probust::random_engine engine(seed + 1);
  double sum = 0.0, squares = 0.0;
  for (std::size_t i = 0; i < accuracy_draws; ++i) {
    const double z = draw(engine);
    sum += z;
    squares += z * z;
  }
  const double n = static_cast<double>(accuracy_draws);
  const double mean = sum / n;
  state.counters["mean"] = mean;
  state.counters["var"] = squares / n - mean * mean;
  // CPU time / variates, printed with its unit (e.g. "7.3ns").
  state.counters["time_per_normal"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * block,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

template <class Draw>
void run_one_at_a_time(benchmark::State& state, Draw draw) {
  probust::random_engine engine(seed);
  std::vector<double> out(block);
  for (auto _ : state) {
    for (double& z : out) z = draw(engine);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  report(state, draw);
}

void ziggurat_standard_normal(benchmark::State& state) {
  run_one_at_a_time(state, [](probust::random_engine& e) { return probust::standard_normal(e); });
}

void ziggurat_fill_standard_normal(benchmark::State& state) {
  probust::random_engine engine(seed);
  Eigen::VectorXd out(static_cast<Eigen::Index>(block));
  for (auto _ : state) {
    probust::fill_standard_normal(engine, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  report(state, [](probust::random_engine& e) { return probust::standard_normal(e); });
}

void std_normal_distribution(benchmark::State& state) {
  std::normal_distribution<double> normal;
  run_one_at_a_time(state, [&normal](probust::random_engine& e) { return normal(e); });
}

void boost_normal_distribution(benchmark::State& state) {
  boost::random::normal_distribution<double> normal;
  run_one_at_a_time(state, [&normal](probust::random_engine& e) { return normal(e); });
}

}  // namespace

BENCHMARK(ziggurat_standard_normal);
BENCHMARK(ziggurat_fill_standard_normal);
BENCHMARK(std_normal_distribution);
BENCHMARK(boost_normal_distribution);

BENCHMARK_MAIN();
