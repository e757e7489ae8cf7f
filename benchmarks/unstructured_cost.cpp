/// \file unstructured_cost.cpp
/// What a large problem without structure costs with default options: P(X ≤ b),
/// b_i = Φ⁻¹(1 − 0.5/k) (union bound 1/2, so p is moderate whatever k),
/// X ~ N(0, R), R the correlation matrix of W Wᵀ/m + I/4 for a k × m standard-normal W,
/// m = k/4 (full rank, no dominant factor, correlations of either sign up to about ±0.6),
/// k ∈ {100, 300, 1000, 3000}.
/// The QMC integrand costs O(k·rank) per point, so such problems stop at the default work
/// budget (mvn_options::max_work) rather than at max_points. Counters: points, the
/// reported error, p, converged. One iteration per case (each takes seconds), one core:
///   ./build-bench/benchmarks/unstructured_cost

#include <benchmark/benchmark.h>

#include <Eigen/Dense>

#include "probust/mvn/cdf.hpp"
#include "probust/mvn/univariate.hpp"
#include "probust/random.hpp"

namespace {

Eigen::MatrixXd unstructured_correlation(int k) {
  auto engine = probust::point_engine(0xc057, static_cast<std::uint64_t>(k));
  const int m = k / 4;
  Eigen::MatrixXd w(k, m);
  probust::fill_standard_normal(engine, w);
  Eigen::MatrixXd s = w * w.transpose() / m;
  s.diagonal().array() += 0.25;
  const Eigen::VectorXd inv_sd = s.diagonal().cwiseSqrt().cwiseInverse();
  return inv_sd.asDiagonal() * s * inv_sd.asDiagonal();
}

void bm_unstructured(benchmark::State& state) {
  const int k = static_cast<int>(state.range(0));
  const Eigen::MatrixXd r = unstructured_correlation(k);
  const Eigen::VectorXd b = Eigen::VectorXd::Constant(k, -probust::normal_quantile(0.5 / k));
  probust::mvn_result result;
  for (auto _ : state) {
    result = probust::mvn_cdf(b, r);
    benchmark::DoNotOptimize(result);
  }
  state.counters["points"] = static_cast<double>(result.points);
  state.counters["reported_err"] = result.error;
  state.counters["p"] = result.probability;
  state.counters["converged"] = result.converged ? 1.0 : 0.0;
}

BENCHMARK(bm_unstructured)->Arg(100)->Arg(300)->Arg(1000)->Arg(3000)->Iterations(1)
    ->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
