// Model calls to a target half-width: plain Monte Carlo, control variate and stratified
// control variate, each with its default exact interval and sequential stopping
// (target_half_width = w, 95%, at most 4·10⁶ samples, seed default_seed + i at point i),
// on the bundled digits networks (ReLU 64-128-64-10, on which the stratified estimator's
// constants were chosen, and tanh 64-64-10, on which they were not) and σ ∈ {0.05, 0.1,
// 0.2, 0.4}, w ∈ {0.01, 0.003}. Counts calls, not time, so it is a plain program:
//
//   ./build-bench/benchmarks/stratified_benchmark            # PROBUST_BENCH_POINTS=30
//
// Prints a markdown table: per (network, σ, w), the points where plain Monte Carlo needs
// ≥ 2,000 calls, the geometric means of the calls of each estimator over them and the
// factor saved (MC / estimator), and on how many of all points the stratified estimator
// needed more calls than plain Monte Carlo.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <probust/estimators/stratified_control_variate.hpp>
#include <probust/probust.hpp>

#include "../examples/digits_data.hpp"

namespace {

template <class Options>
Options sequential(double w, std::size_t i) {
  Options o;
  o.samples = 4'000'000;
  o.target_half_width = w;
  o.seed = probust::default_seed + i;
  return o;
}

}  // namespace

int main() {
  const char* env = std::getenv("PROBUST_BENCH_POINTS");
  const int points = env && std::atoi(env) > 0 ? std::atoi(env) : 30;
  const std::string dir = probust_examples::examples_data_dir();
  const auto split = probust_examples::split_digits(
      probust_examples::load_digits(probust_examples::default_digits_path()));
  std::printf("| network | σ | w | points (MC ≥ 2000) | MC | CV | stratified | MC/CV | "
              "MC/stratified | stratified > MC |\n|---|---|---|---|---|---|---|---|---|---|\n");
  for (const std::string net_name : {"relu", "tanh"}) {
    const auto net = probust::load_dense_network<double>(
        dir + (net_name == "relu" ? "/digits_relu_64_128_64_10.model"
                                  : "/digits_tanh_64_64_10.model"));
    for (const double sigma : {0.05, 0.1, 0.2, 0.4}) {
      const probust::isotropic_gaussian<double> noise(sigma);
      for (const double w : {0.01, 0.003}) {
        double log_mc = 0.0, log_cv = 0.0, log_st = 0.0;
        int counted = 0, worse = 0;
        for (int i = 0; i < points && i < split.test.size(); ++i) {
          const Eigen::VectorXd x = split.test.inputs.row(i).transpose();
          const auto index = static_cast<std::size_t>(i);
          const auto mc = probust::monte_carlo_estimator<>(
              sequential<probust::monte_carlo_options>(w, index)).estimate(net, x, noise);
          const auto cv = probust::control_variate_estimator<>(
              sequential<probust::control_variate_options>(w, index)).estimate(net, x, noise);
          const auto st = probust::stratified_control_variate_estimator<>(
              sequential<probust::stratified_control_variate_options>(w, index))
                              .estimate(net, x, noise);
          worse += st.model_evaluations > mc.model_evaluations;
          if (mc.model_evaluations < 2000) continue;
          ++counted;
          log_mc += std::log(static_cast<double>(mc.model_evaluations));
          log_cv += std::log(static_cast<double>(cv.model_evaluations));
          log_st += std::log(static_cast<double>(st.model_evaluations));
        }
        const double n = counted > 0 ? counted : 1;
        std::printf("| %s | %.2f | %.3f | %d | %.0f | %.0f | %.0f | %.2f× | %.2f× | %d of %d |\n",
                    net_name.c_str(), sigma, w, counted, std::exp(log_mc / n),
                    std::exp(log_cv / n), std::exp(log_st / n), std::exp((log_mc - log_cv) / n),
                    std::exp((log_mc - log_st) / n), worse, points);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
