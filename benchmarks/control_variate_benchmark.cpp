// Control-variate Monte Carlo against plain Monte Carlo: model evaluations (and time) each
// needs to reach a requested confidence-interval half-width, per σ, on the bundled digits
// networks (see digits_cases.hpp for the networks, points and ground truth).
//
//   ./build-bench/benchmarks/control_variate_benchmark
//   PROBUST_BENCH_POINTS=100 ./build-bench/benchmarks/control_variate_benchmark
//
// Each benchmark runs one estimator with target_half_width = w (95% intervals, at most
// 4·10⁶ samples, seed default_seed + i at point i) once over all points at one σ; the
// timed pass is also the measured one. monte_carlo and control_variate use exact
// (Clopper–Pearson based) intervals, control_variate_score Tango's score interval
// (interval_method::wilson). Counters:
//   per_point   seconds per point (control variate: Jacobian and Taylor value included)
//   evals       mean model evaluations per point (forward passes; the networks' analytic
//               Jacobian counts as none, its cost is in per_point)
//   max_evals   the largest count of a single point
//   mae         mean |p − p_truth| against the 10⁵-sample truth
//   covered     fraction of intervals containing p_truth (the truth's own standard error,
//               ≤ 0.0016, makes this approximate for w < 0.01)
//   taylor_mae  mean |p_taylor − p_truth| at this σ (control variate only): control
//               variates pay off where the linearization is accurate
//   reduction   control variate only: median of the reported variance-reduction factors
//               over the points with 0.05 < p_truth < 0.95 (elsewhere both estimators sit
//               at the few-hundred-sample floor of an interval near 0 or 1)

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <probust/probust.hpp>

#include "digits_cases.hpp"

namespace {

using digits_bench::digits_case;
using digits_bench::get_case;
using digits_bench::sequential_options;
using digits_bench::set_per_point;
using digits_bench::sigmas;
using digits_bench::truth;

const std::vector<double> half_widths = {0.01, 0.003};

template <template <class> class Estimator>
void run(benchmark::State& state, const std::string& net, double sigma, double w,
         probust::interval_method method) {
  digits_case& c = get_case(net);
  const std::vector<double>& t = truth(c, sigma);
  const probust::isotropic_gaussian<double> noise(sigma);
  std::vector<probust::robustness_result> results(c.points.size());
  for (auto _ : state) {
    for (std::size_t i = 0; i < c.points.size(); ++i) {
      using options = typename Estimator<double>::options_type;
      options o = sequential_options<options>(w, i);
      o.sampling.interval = method;
      results[i] = Estimator<double>(o).estimate(c.net, c.points[i], noise);
    }
  }
  double evals = 0.0, max_evals = 0.0, error = 0.0, covered = 0.0;
  std::vector<double> reductions;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const probust::robustness_result& r = results[i];
    evals += static_cast<double>(r.model_evaluations);
    max_evals = std::max(max_evals, static_cast<double>(r.model_evaluations));
    error += std::fabs(r.probability - t[i]);
    covered += r.lower <= t[i] && t[i] <= r.upper ? 1.0 : 0.0;
    if (t[i] > 0.05 && t[i] < 0.95) reductions.push_back(r.variance_reduction);
  }
  const double n = static_cast<double>(results.size());
  state.counters["evals"] = evals / n;
  state.counters["max_evals"] = max_evals;
  state.counters["mae"] = error / n;
  state.counters["covered"] = covered / n;
  if (std::is_same<Estimator<double>, probust::control_variate_estimator<double>>::value) {
    if (!reductions.empty()) {
      std::nth_element(reductions.begin(), reductions.begin() + reductions.size() / 2,
                       reductions.end());
      state.counters["reduction"] = reductions[reductions.size() / 2];
    }
    double taylor_error = 0.0;
    for (std::size_t i = 0; i < c.points.size(); ++i) {
      taylor_error += std::fabs(
          probust::taylor_estimator<double>().estimate(c.net, c.points[i], noise).probability -
          t[i]);
    }
    state.counters["taylor_mae"] = taylor_error / n;
  }
  set_per_point(state, c.points.size());
}

void register_all() {
  for (const std::string net : {"relu", "tanh"}) {
    for (double sigma : sigmas) {
      for (double w : half_widths) {
        const std::string suffix = "/" + net + "/sigma=" + std::to_string(sigma).substr(0, 4) +
                                   "/w=" + std::to_string(w).substr(0, 5);
        const auto add = [&](const std::string& name, auto run_one) {
          benchmark::RegisterBenchmark((name + suffix).c_str(), run_one)
              ->Unit(benchmark::kMillisecond)
              ->Iterations(1);
        };
        const auto exact = probust::interval_method::clopper_pearson;
        const auto score = probust::interval_method::wilson;
        add("monte_carlo", [=](benchmark::State& s) {
          run<probust::monte_carlo_estimator>(s, net, sigma, w, exact);
        });
        add("control_variate", [=](benchmark::State& s) {
          run<probust::control_variate_estimator>(s, net, sigma, w, exact);
        });
        add("control_variate_score", [=](benchmark::State& s) {
          run<probust::control_variate_estimator>(s, net, sigma, w, score);
        });
      }
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
