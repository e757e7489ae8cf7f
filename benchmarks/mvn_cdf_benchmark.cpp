/// \file mvn_cdf_benchmark.cpp
/// Google Benchmark of probust::mvn_cdf on robustness-shaped cases (see cases.hpp):
///   one_factor/k   mvn_cdf(b, R), R one-factor correlation, k ∈ {1,…,999}
///   low_rank/k     mvn_cdf_from_factor(b, G), G k × 2 (singular covariance), k ∈ {9,99,999}
///   near_one/k     mvn_cdf(b, R) with 1 − p ≈ 1e-9, k ∈ {9, 99}
/// at abs_tol 1e-4 for k ≤ 9 and 1e-3 above. Counters (computed once, outside the timed
/// loop, from the same deterministic call):
///   abs_err       |p − truth|                    (near_one: |1−p − truth| / truth)
///   reported_err  the result's error estimate    (near_one: complement_error / (1−p))
///   err_ratio     abs_err / reported_err (> 1: the error estimate did not cover the error)
///   points, converged, p (near_one: 1 − p), truth.
/// Single-threaded. By default each case runs 5 repetitions of at least 0.2 s and only the
/// aggregates (mean, median, stddev, cv) are printed; --benchmark_repetitions=N and
/// --benchmark_min_time=S override, --benchmark_filter=one_factor selects cases.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cases.hpp"
#include "probust/mvn/cdf.hpp"

namespace {

using probust_bench::case_kind;
using probust_bench::mvn_case;

struct prepared_case {
  mvn_case c;
  Eigen::MatrixXd covariance;  // R for one_factor / near_one
  probust::mvn_options opt;
};

probust::mvn_result run(const prepared_case& pc) {
  if (pc.c.kind == case_kind::low_rank) {
    return probust::mvn_cdf_from_factor(pc.c.b, pc.c.factor, pc.opt);
  }
  return probust::mvn_cdf(pc.c.b, pc.covariance, pc.opt);
}

void bm_case(benchmark::State& state, const prepared_case* pc) {
  // Accuracy of the (deterministic, fixed-seed) result: measured once, outside the loop.
  const probust::mvn_result r = run(*pc);
  for (auto _ : state) {
    probust::mvn_result x = run(*pc);
    benchmark::DoNotOptimize(x);
  }
  const bool near_one = pc->c.kind == case_kind::near_one;
  const double truth = pc->c.truth;
  const double value = near_one ? r.complement : r.probability;
  const double err = near_one ? std::abs(value - truth) / truth : std::abs(value - truth);
  const double reported =
      near_one ? (r.complement > 0 ? r.complement_error / r.complement : INFINITY) : r.error;
  state.counters["abs_err"] = err;
  state.counters["reported_err"] = reported;
  // Closed forms (k ≤ 3) report error 0: count them as covered up to rounding (1e-12).
  state.counters["err_ratio"] = reported > 0 ? err / reported : (err > 1e-12 ? INFINITY : 0.0);
  state.counters["points"] = static_cast<double>(r.points);
  state.counters["converged"] = r.converged ? 1.0 : 0.0;
  state.counters[near_one ? "q" : "p"] = value;
  state.counters["truth"] = truth;
  char label[96];
  std::snprintf(label, sizeof label, "tol=%.0e%s%s", pc->c.tol,
                near_one ? " rel-err-of-1-p" : "", r.converged ? "" : " NOT-CONVERGED");
  state.SetLabel(label);
}

}  // namespace

int main(int argc, char** argv) {
  // Defaults: medians over 5 repetitions of >= 0.2 s each (command-line flags override).
  std::vector<char*> args(argv, argv + argc);
  static std::string defaults[] = {"--benchmark_repetitions=5", "--benchmark_min_time=0.2"};
  for (std::string& d : defaults) {
    const std::string flag = d.substr(0, d.find('='));
    bool given = false;
    for (int i = 1; i < argc; ++i) given = given || std::string(argv[i]).rfind(flag, 0) == 0;
    if (!given) args.insert(args.begin() + 1, d.data());
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;

  // Cases and truths are built once, before any timing.
  static std::vector<std::unique_ptr<prepared_case>> cases;
  for (mvn_case& c : probust_bench::all_cases()) {
    auto pc = std::make_unique<prepared_case>();
    pc->covariance = c.kind == case_kind::low_rank ? Eigen::MatrixXd() : c.covariance();
    pc->opt.abs_tol = c.tol;
    pc->c = std::move(c);
    cases.push_back(std::move(pc));
  }
  for (const auto& pc : cases) {
    std::string name = pc->c.name;
    name.replace(name.find("_k"), 2, "/k=");
    benchmark::RegisterBenchmark(name.c_str(), bm_case, pc.get())
        ->Unit(pc->c.k <= 3 ? benchmark::kMicrosecond : benchmark::kMillisecond)
        ->ReportAggregatesOnly(true);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
