// digits_demo — which handwritten digits does a network still recognise under noise?
//
// A small network classifies 8×8 images of digits (pixels in [0, 1]). For each test image
// x with prediction t we ask how likely the prediction survives Gaussian pixel noise:
//
//     p(x) = P[ argmax_i f_i(x + ε) = t ],   ε ~ N(0, σ²I).
//
// Four estimators answer on the whole test set, via probust::run_dataset (all cores, a
// progress bar on a terminal, per-point random streams: the same numbers for any thread
// count):
//   taylor           Φ₉(g; σ²GGᵀ): the margins g and their Jacobian G at x, one MVN CDF;
//   mmse             the same with g, G averaged over 10 noisy copies of x;
//   monte_carlo      hits / 10⁴ noisy forward passes, exact 95% interval — the reference;
//   control_variate  Monte Carlo on the same draws, corrected by the linearized model
//                    (mean known: the Taylor value) — unbiased, a narrower interval for
//                    the same 10⁴ forward passes.
// Look at:
//   1. the estimator tables: time per image and speed-up over Monte Carlo, the width of
//      each estimator's interval, and how well each agrees with Monte Carlo (mean
//      |p − p_MC|, Spearman rank correlation, the fraction of images whose p falls inside
//      Monte Carlo's 95% interval);
//   2. the least and the most robust test digits — Monte Carlo sees 10⁴/10⁴ hits for all
//      robust points; Taylor's 1 − p (accurate near 1) still ranks them;
//   3. mean robustness per digit class with a Student-t interval: the network's
//      robustness bias — some digits are much easier to knock over than others.
//
// Usage: digits_demo [--points N] [--sigma S] [--network relu|tanh] [--threads N]
//                    [--csv FILE]
//   --points N        the first N of the 450 test images (default: all)
//   --sigma S         noise standard deviation per pixel (default 0.1: a tenth of the pixel
//                     range — a clearly visible noise that leaves digits readable, at which
//                     the network is robust on most images but not all, and the Taylor
//                     linearization is still accurate; try 0.05 or 0.3)
//   --network NAME    relu (64-128-64-10, default) or tanh (64-64-10), from examples/data
//   --threads N       worker threads (default 0: all cores)
//   --csv FILE        write every (point, estimator) row with probust::write_csv, for plots
// Exit status 1 if a check fails (error rows; Monte Carlo and control-variate intervals
// that do not overlap; at σ ≤ 0.2, Taylor far from Monte Carlo: mean |p − p_MC| ≥ 0.02 or
// max ≥ 0.1), 2 for a usage error.
#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <probust/probust.hpp>
#include <probust/progress.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "digits_data.hpp"

namespace {

struct demo_options {
  Eigen::Index points = 450;
  double sigma = 0.1;
  std::string network = "relu";
  unsigned threads = 0;
  std::string csv;
};

// Parses the command line; prints the usage and exits with 2 on an error.
demo_options parse(int argc, char** argv) {
  demo_options o;
  const auto usage = [&](const std::string& problem) {
    std::fprintf(stderr,
                 "digits_demo: %s\nusage: digits_demo [--points N] [--sigma S] "
                 "[--network relu|tanh] [--threads N] [--csv FILE]\n",
                 problem.c_str());
    std::exit(2);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage("missing value after " + flag);
    const std::string value = argv[++i];
    char* end = nullptr;
    if (flag == "--points") {
      o.points = std::strtol(value.c_str(), &end, 10);
    } else if (flag == "--sigma") {
      o.sigma = std::strtod(value.c_str(), &end);
    } else if (flag == "--threads") {
      o.threads = static_cast<unsigned>(std::strtoul(value.c_str(), &end, 10));
    } else if (flag == "--network") {
      o.network = value;
      if (value != "relu" && value != "tanh") usage("--network must be relu or tanh");
    } else if (flag == "--csv") {
      o.csv = value;
    } else {
      usage("unknown option " + flag);
    }
    if (end != nullptr && *end != '\0') usage("bad number '" + value + "' after " + flag);
  }
  if (o.points < 1 || o.points > 450) usage("--points must be in 1..450");
  if (!(o.sigma > 0.0 && o.sigma < 1e3)) usage("--sigma must be positive");
  return o;
}

// mean of f(row) over rows
template <class F>
double mean_of(const std::vector<probust::dataset_row>& rows, F f) {
  double sum = 0.0;
  for (const probust::dataset_row& r : rows) sum += f(r);
  return rows.empty() ? 0.0 : sum / static_cast<double>(rows.size());
}

void print_point(const probust::dataset_row& t, const probust::dataset_row& m) {
  std::printf("  %5llu  %5d  %9d  %-8.6f [%.6f, %.6f]  %-10.3e  %-8.4f [%.4f, %.4f]\n",
              static_cast<unsigned long long>(t.point_id), t.label, t.result.predicted_class,
              t.result.probability, t.result.lower, t.result.upper, t.result.complement,
              m.result.probability, m.result.lower, m.result.upper);
}

}  // namespace

int main(int argc, char** argv) try {
  const demo_options opt = parse(argc, argv);

  // --- 1. The network and the test images ------------------------------------------------
  const std::string dir = probust_examples::examples_data_dir();
  const std::string model_file = dir + (opt.network == "relu" ? "/digits_relu_64_128_64_10.model"
                                                              : "/digits_tanh_64_64_10.model");
  const probust::dense_network<> net = probust::load_dense_network(model_file);
  const auto split = probust_examples::split_digits(
      probust_examples::load_digits(probust_examples::default_digits_path()));
  const Eigen::MatrixXd X = split.test.inputs.topRows(opt.points);  // one image per row
  const std::vector<int> labels(split.test.labels.data(), split.test.labels.data() + opt.points);

  int correct = 0;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    Eigen::Index predicted = 0;
    net(Eigen::VectorXd(X.row(i).transpose())).maxCoeff(&predicted);
    correct += predicted == labels[static_cast<std::size_t>(i)];
  }
  std::printf("digits_demo: %s network %s, sigma = %g, %lld test images\n", opt.network.c_str(),
              model_file.substr(dir.size() + 1).c_str(), opt.sigma,
              static_cast<long long>(X.rows()));
  std::printf("accuracy of the network on these images: %.4f (%d of %lld)\n\n",
              double(correct) / double(X.rows()), correct, static_cast<long long>(X.rows()));

  // --- 2. Every estimator at every image --------------------------------------------------
  const probust::isotropic_gaussian<> noise{opt.sigma};
  const probust::taylor_estimator<> taylor;
  const probust::mmse_estimator<> mmse;
  const probust::monte_carlo_estimator<> mc;      // 10⁴ samples, Clopper-Pearson 95%
  const probust::control_variate_estimator<> cv;  // 10⁴ samples, the same draws as mc
  probust::dataset_options run;
  run.threads = opt.threads;            // 0 = all cores
  run.progress = probust::progress_bar{};  // on stderr when it is a terminal

  const auto start = std::chrono::steady_clock::now();
  const std::vector<probust::dataset_row> rows =
      probust::run_dataset(net, X, labels, noise, run, taylor, mmse, mc, cv);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto threads = static_cast<unsigned>(std::min<std::size_t>(  // as run_dataset counts
      std::max(1U, opt.threads != 0 ? opt.threads : std::thread::hardware_concurrency()),
      static_cast<std::size_t>(X.rows())));
  std::printf(
      "run_dataset: %zu rows (%lld images x 4 estimators) in %.2f s wall time, "
      "%u threads\n\n",
      rows.size(), static_cast<long long>(X.rows()), wall, threads);

  if (!opt.csv.empty()) {
    std::ofstream file(opt.csv);
    probust::write_csv(file, rows);
    if (!file) throw std::runtime_error("cannot write " + opt.csv);
    std::printf("wrote all rows to %s\n\n", opt.csv.c_str());
  }

  // --- 3. Estimators: cost, interval width, agreement with Monte Carlo ----------------------
  const char* const names[] = {"taylor", "mmse", "control_variate", "monte_carlo"};
  const std::vector<probust::dataset_row> mc_rows = probust::select_rows(rows, "monte_carlo");
  const double mc_ms = 1e3 * mean_of(mc_rows, [](const auto& r) { return r.seconds; });
  std::size_t errors = 0;
  std::printf(
      "Cost per image (time on one worker thread) and width of each estimator's interval "
      "(upper - lower)\n");
  std::printf("  %-16s %-12s %-10s %-17s %-11s %-11s %s\n", "estimator", "model calls", "time (ms)",
              "speed-up vs MC", "mean width", "max width", "mean p");
  for (const char* name : names) {
    const std::vector<probust::dataset_row> est = probust::select_rows(rows, name);
    double max_width = 0.0;
    for (const auto& r : est) {
      errors += r.status == probust::row_status::error;
      max_width = std::max(max_width, r.result.upper - r.result.lower);
    }
    const double ms = 1e3 * mean_of(est, [](const auto& r) { return r.seconds; });
    std::printf("  %-16s %-12.0f %-10.3f %-17.1f %-11.2e %-11.2e %.4f\n", name,
                mean_of(est, [](const auto& r) { return double(r.result.model_evaluations); }), ms,
                mc_ms / ms,
                mean_of(est, [](const auto& r) { return r.result.upper - r.result.lower; }),
                max_width, mean_of(est, [](const auto& r) { return r.result.probability; }));
  }
  std::printf(
      "  (Taylor's and MMSE's widths are their integration error only, not the "
      "linearization bias.)\n\n");

  std::printf("Agreement with Monte Carlo (10^4 samples), %zu images, %zu error rows\n",
              mc_rows.size(), errors);
  std::printf("  %-16s %-14s %-13s %-14s %s\n", "estimator", "mean |p - MC|", "max |p - MC|",
              "Spearman rho", "inside MC's 95% interval");
  double taylor_mae = 0.0, taylor_max = 0.0;
  for (const char* name : {names[0], names[1], names[2]}) {
    const probust::agreement_summary a = probust::agreement(rows, name, "monte_carlo");
    std::printf("  %-16s %-14.2e %-13.2e %-14.4f %.1f%%\n", name, a.mae, a.max_error,
                a.rank_correlation, 100.0 * a.within_reference);
    if (name == names[0]) taylor_mae = a.mae, taylor_max = a.max_error;
  }
  const std::size_t mc_ties = static_cast<std::size_t>(std::count_if(
      mc_rows.begin(), mc_rows.end(), [](const auto& r) { return r.result.complement == 0.0; }));
  std::printf(
      "  (%zu images have p_MC = 1: all 10^4 noisy copies kept the class. Monte Carlo "
      "cannot order\n   them, the other estimators can: rho counts that as "
      "disagreement.)\n",
      mc_ties);
  // Monte Carlo and the control variate are both exact 95% intervals for the same p: they
  // must overlap (on the same draws they share most of their noise).
  const std::vector<probust::dataset_row> cv_rows = probust::select_rows(rows, "control_variate");
  double cv_overlap = 0.0;
  for (std::size_t i = 0; i < cv_rows.size(); ++i) {
    cv_overlap += cv_rows[i].result.lower <= mc_rows[i].result.upper &&
                  mc_rows[i].result.lower <= cv_rows[i].result.upper;
  }
  cv_overlap /= double(cv_rows.size());
  std::printf("\n");

  // --- 4. The least and the most robust images ---------------------------------------------
  // most_vulnerable sorts by 1 − p (the complement, accurate near p = 1), least robust first.
  const std::vector<probust::dataset_row> taylor_rows = probust::select_rows(rows, "taylor");
  const std::vector<probust::dataset_row> ranked =
      probust::most_vulnerable(taylor_rows, rows.size());
  const char* header =
      "  image  label  predicted  Taylor p [band]                1 - p       Monte Carlo p "
      "[95% interval]\n";
  const std::size_t shown = std::min<std::size_t>(5, ranked.size() / 2);  // no overlap
  std::printf("The %zu least robust images (by Taylor's 1 - p):\n%s", shown, header);
  for (std::size_t i = 0; i < shown; ++i) print_point(ranked[i], mc_rows[ranked[i].point_id]);
  std::printf(
      "The %zu most robust images (Taylor's 1 - p still orders images on which Monte "
      "Carlo saw no failure):\n%s",
      shown, header);
  for (std::size_t i = 0; i < shown; ++i) {
    const probust::dataset_row& r = ranked[ranked.size() - 1 - i];
    print_point(r, mc_rows[r.point_id]);
  }

  // --- 5. Robustness per digit: the robustness bias ----------------------------------------
  const auto by_class_taylor = probust::per_class_summary(taylor_rows, probust::class_key::label);
  const auto by_class_mc = probust::per_class_summary(mc_rows, probust::class_key::label);
  std::printf(
      "\nMean robustness per digit (true label), 95%% Student-t interval over the "
      "images:\n");
  std::printf("  digit  images  Taylor mean p [interval]    Monte Carlo mean p [interval]\n");
  std::size_t least = 0, most = 0;
  for (std::size_t c = 0; c < by_class_taylor.size(); ++c) {
    const probust::class_summary &t = by_class_taylor[c], &m = by_class_mc[c];
    std::printf("  %5d  %6zu  %.4f [%.4f, %.4f]    %.4f [%.4f, %.4f]\n", t.class_id, t.points,
                t.mean, t.lower, t.upper, m.mean, m.lower, m.upper);
    if (m.mean < by_class_mc[least].mean) least = c;
    if (m.mean > by_class_mc[most].mean) most = c;
  }
  std::printf(
      "Robustness bias: digit %d keeps its prediction with mean probability %.4f, "
      "digit %d with %.4f.\n",
      by_class_mc[most].class_id, by_class_mc[most].mean, by_class_mc[least].class_id,
      by_class_mc[least].mean);

  // --- 6. Checks: a broken library must not pass as an example -----------------------------
  const bool linear_ok = opt.sigma > 0.2 || (taylor_mae < 0.02 && taylor_max < 0.1);
  const bool ok = errors == 0 && cv_overlap >= 0.95 && linear_ok;
  std::printf(
      "\nchecks: no error rows, Monte-Carlo and control-variate intervals overlap "
      "(%.1f%% of images)%s: %s\n",
      100.0 * cv_overlap, opt.sigma > 0.2 ? "" : ", Taylor close to Monte Carlo",
      ok ? "passed" : "FAILED");
  return ok ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "digits_demo: %s\n", e.what());
  return 1;
}
