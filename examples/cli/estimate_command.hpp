#pragma once
// estimate_command.hpp — `probust-cli estimate`: the robustness of every point of a CSV
// file under a model file, for one or more estimators and noise levels σ.
//
// The model is a probust model file or, with --input-shape, a TorchScript file
// (cli_model.hpp). The work is probust::run_dataset (threads, per-point random streams,
// error rows, the grid of σ); this file turns the command line into a runtime list of
// estimators (probust::any_estimator), reads the points of this shard, runs one
// run_dataset over all σ and writes its rows, which are in the documented order:
//
//     for each σ in the order given:  for each point id:  for each estimator in the order given
//
// Because every stochastic estimator draws its noise from probust::point_engine(seed, point id),
// the rows do not depend on --threads or --shard; `merge` restores this order from shards.

#include <Eigen/Dense>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <probust/estimators/any_estimator.hpp>
#include <probust/config.hpp>
#include <probust/dataset.hpp>
#include <probust/estimators/control_variate.hpp>
#include <probust/estimators/mmse.hpp>
#include <probust/estimators/monte_carlo.hpp>
#include <probust/estimators/mv_sigmoid.hpp>
#include <probust/estimators/softmax.hpp>
#include <probust/estimators/taylor.hpp>
#include <probust/noise.hpp>
#include <probust/progress.hpp>

#include "arguments.hpp"
#include "cli_model.hpp"
#include "input_table.hpp"
#include "row_files.hpp"

namespace probust_cli {

inline const char* const estimate_help =
    R"help(usage: probust-cli estimate --model FILE --inputs FILE --sigma S [options]

Estimates the average-case robustness p(x) = P[argmax f(x + e) = t], e ~ N(0, sigma^2 I),
t = argmax f(x), of every point x of a CSV file under a model file, and writes one row per
(sigma, point, estimator).

Inputs:
  --model FILE            probust model file (docs/model_format.md), or a TorchScript
                          file with --input-shape. Required.
  --input-shape SHAPE     the model is TorchScript (torch.jit.save), taking inputs of
                          this shape without the batch dimension, e.g. 1,8,8; each CSV
                          row is one input flattened in C order. Needs a probust-cli
                          built with libtorch. Default: none (a probust model file).
  --inputs FILE           CSV file, one point per line, numbers separated by commas.
                          Required. A first line that is not all numbers is a header.
  --label-column WHERE    none | first | last: a column holding the true label (an
                          integer >= 0), copied to the `label` column. Default: none.
  --header MODE           auto | yes | no: whether the first line is a header.
                          Default: auto (a header if any field is not a number).
  --input-scale S         multiply every feature by S (e.g. 0.0625 for 0..16 pixels).
                          Default: 1.
  --rows A:B              only the data rows A .. B-1 (0-based; header not counted);
                          either end may be left out. Default: all rows.

Estimators and noise:
  --estimators LIST       comma-separated, in the order of the output rows, from
                          taylor, mmse, monte_carlo, control_variate, softmax,
                          taylor_mv_sigmoid, mmse_mv_sigmoid. Default: taylor.
  --sigma S               noise level sigma > 0 (standard deviation per feature).
  --sigmas LIST           several noise levels, e.g. 0.05,0.1,0.2 (one run per sigma,
                          output in this order). One of --sigma / --sigmas is required.
  --samples N             Monte-Carlo samples of monte_carlo and control_variate (the
                          maximum with --target-half-width), at most 2^53. Default: 10000.
  --mmse-samples N        noisy copies averaged by mmse and mmse_mv_sigmoid. Default: 10.
  --target-half-width W   monte_carlo, control_variate: stop sampling once the interval's
                          half-width is <= W (sequential, level kept). Default: 0 (off).
  --confidence C          monte_carlo, control_variate: interval level in
                          [1e-12, 1 - 1e-12]. Default: 0.95.
  --interval METHOD       monte_carlo, control_variate: clopper_pearson | wilson.
                          Default: clopper_pearson.
  --seed S                noise seed of monte_carlo, control_variate, mmse and
                          mmse_mv_sigmoid (decimal or 0x hex); point i uses the stream
                          (S, i). Default: probust's default seed 0x5eed20240a11c0de.
  --abs-tol T             absolute tolerance of the MVN integration (taylor, mmse,
                          control_variate). Default: 1e-4.
  --paper-settings        taylor, mmse: the paper's settings (jitter 1e-5 on the
                          correlation matrix, tolerances 1e-4); the estimator column
                          then reads "taylor (paper settings)".

Running:
  --threads N             worker threads; 0 = all cores. Default: 0.
  --shard I/N             evaluate only shard I of N (0 <= I < N): the contiguous block
                          of the selected rows floor(I*n/N) .. floor((I+1)*n/N)-1. Point
                          ids (and random streams) are those of the unsharded run; join
                          the shards' outputs with `probust-cli merge`. Default: 0/1.
  --no-progress           no progress bar (it is drawn on stderr only when stderr is a
                          terminal).

Output:
  --output FILE           result file; written as FILE.partial-<16 hex digits> (a new
                          file per run) and renamed to FILE when complete (removed on
                          failure). Must not be a directory, a FIFO or device, or the
                          --inputs or --model file. Default (or -): stdout.
  --format FORMAT         csv | jsonl. Default: jsonl if FILE ends in .jsonl, .ndjson or
                          .json, else csv.

The point id of a point is its 0-based data row in the file (header and blank lines not
counted), also with --rows and --shard; the noise of the stochastic estimators at a point
depends only on the seed and the id, so results do not depend on --threads or --shard.
Rows are ordered by sigma (as given), then point id, then estimator (as given). Columns:
point_id, label, estimator, sigma, predicted_class, probability, lower, upper, complement,
error, converged, model_evaluations, samples, jacobian, variance_reduction, seconds,
status, message (docs/dataset_format.md). A point whose estimate fails is a row with
status `error` and the reason in `message`, not a failure of the command; the number of
such rows is printed on stderr at the end.

Exit status: 0 success, 1 unreadable or malformed file or failed run, 2 bad command line.
)help";

/// Every estimator name accepted by --estimators, in the order of the help text.
inline const std::vector<std::string> estimator_names = {
    "taylor",         "mmse", "monte_carlo", "control_variate", "softmax", "taylor_mv_sigmoid",
    "mmse_mv_sigmoid"};

/// The parsed command line of `estimate`.
struct estimate_settings {
  std::string model;
  std::vector<std::int64_t> input_shape;  ///< empty: a probust model file
  std::string inputs;
  input_options input;
  std::vector<std::string> estimators{"taylor"};
  std::vector<double> sigmas;
  std::uint64_t samples = 10'000;
  std::uint64_t mmse_samples = 10;
  double target_half_width = 0.0;
  double confidence = 0.95;
  probust::interval_method interval = probust::interval_method::clopper_pearson;
  std::uint64_t seed = probust::default_seed;
  double abs_tol = 1e-4;
  bool paper_settings = false;
  unsigned threads = 0;
  bool progress = true;
  std::string output;  ///< "" = stdout
  bool format_given = false;
  row_format format = row_format::csv;
};

/// Parses `probust-cli estimate ...` (argv[2] onwards). False if --help was printed.
inline bool parse_estimate(int argc, const char* const* argv, estimate_settings& s) {
  command_line cl("estimate");
  cl.option("--model", [&](const std::string& v) { s.model = v; });
  cl.option("--input-shape",
            [&](const std::string& v) { s.input_shape = parse_shape("--input-shape", v); });
  cl.option("--inputs", [&](const std::string& v) { s.inputs = v; });
  cl.option("--label-column", [&](const std::string& v) {
    const std::string c = parse_choice("--label-column", v, {"none", "first", "last"});
    s.input.labels = c == "none"    ? label_column::none
                     : c == "first" ? label_column::first
                                    : label_column::last;
  });
  cl.option("--header", [&](const std::string& v) {
    const std::string c = parse_choice("--header", v, {"auto", "yes", "no"});
    s.input.header = c == "auto"  ? header_mode::automatic
                     : c == "yes" ? header_mode::present
                                  : header_mode::absent;
  });
  cl.option("--input-scale",
            [&](const std::string& v) { s.input.scale = parse_real("--input-scale", v); });
  cl.option("--rows", [&](const std::string& v) { s.input.rows = parse_rows("--rows", v); });
  cl.option("--estimators", [&](const std::string& v) {
    s.estimators = parse_list("--estimators", v);
    for (std::size_t i = 0; i < s.estimators.size(); ++i) {
      parse_choice("--estimators", s.estimators[i], estimator_names);
      if (std::find(s.estimators.begin(), s.estimators.begin() + i, s.estimators[i]) !=
          s.estimators.begin() + i) {
        throw usage_error("--estimators: '" + s.estimators[i] + "' is listed twice");
      }
    }
  });
  const auto sigmas = [&](const std::string& option, const std::vector<std::string>& items) {
    if (!s.sigmas.empty()) throw usage_error("give one of --sigma and --sigmas, once");
    for (const std::string& item : items) {
      const double sigma = parse_positive(option, item);
      if (std::find(s.sigmas.begin(), s.sigmas.end(), sigma) != s.sigmas.end()) {
        throw usage_error(option + ": " + item + " is listed twice");
      }
      s.sigmas.push_back(sigma);
    }
  };
  cl.option("--sigma", [&](const std::string& v) { sigmas("--sigma", {v}); });
  cl.option("--sigmas",
            [&](const std::string& v) { sigmas("--sigmas", parse_list("--sigmas", v)); });
  cl.option("--samples", [&](const std::string& v) {
    s.samples = parse_positive_count("--samples", v);
    if (s.samples > probust::max_samples) throw usage_error("--samples: at most 2^53");
  });
  cl.option("--mmse-samples", [&](const std::string& v) {
    s.mmse_samples = parse_positive_count("--mmse-samples", v);
    if (s.mmse_samples > 1'000'000'000) throw usage_error("--mmse-samples: at most 1000000000");
  });
  cl.option("--target-half-width", [&](const std::string& v) {
    s.target_half_width = parse_real("--target-half-width", v);
    if (s.target_half_width < 0.0) throw usage_error("--target-half-width: must be >= 0");
  });
  cl.option("--confidence", [&](const std::string& v) {
    s.confidence = parse_real("--confidence", v);
    if (!(s.confidence >= probust::min_confidence && s.confidence <= probust::max_confidence)) {
      throw usage_error("--confidence: must lie in [1e-12, 1 - 1e-12]");
    }
  });
  cl.option("--interval", [&](const std::string& v) {
    s.interval = parse_choice("--interval", v, {"clopper_pearson", "wilson"}) == "wilson"
                     ? probust::interval_method::wilson
                     : probust::interval_method::clopper_pearson;
  });
  cl.option("--seed", [&](const std::string& v) { s.seed = parse_count("--seed", v); });
  cl.option("--abs-tol", [&](const std::string& v) { s.abs_tol = parse_positive("--abs-tol", v); });
  cl.flag("--paper-settings", [&] { s.paper_settings = true; });
  cl.option("--threads", [&](const std::string& v) {
    const std::uint64_t threads = parse_count("--threads", v);
    if (threads > 65536) throw usage_error("--threads: at most 65536");
    s.threads = static_cast<unsigned>(threads);
  });
  cl.option("--shard", [&](const std::string& v) { s.input.shard = parse_shard("--shard", v); });
  cl.flag("--no-progress", [&] { s.progress = false; });
  cl.option("--output", [&](const std::string& v) { s.output = v; });
  cl.option("--format", [&](const std::string& v) {
    s.format = parse_format("--format", v);
    s.format_given = true;
  });
  if (!cl.parse(argc, argv)) {
    std::fputs(estimate_help, stdout);
    return false;
  }
  if (s.model.empty()) throw usage_error("estimate: --model is required");
  if (s.inputs.empty()) throw usage_error("estimate: --inputs is required");
  if (s.sigmas.empty()) throw usage_error("estimate: --sigma or --sigmas is required");
  if (!s.format_given) s.format = format_of_path(s.output, row_format::csv);
  return true;
}

/// The sampling options of monte_carlo and control_variate, from the command line.
inline probust::sampling_options sampling_of(const estimate_settings& s) {
  probust::sampling_options o;
  o.samples = s.samples;
  o.seed = s.seed;
  o.confidence = s.confidence;
  o.interval = s.interval;
  o.target_half_width = s.target_half_width;
  return o;
}

/// The estimator `name` with the options of the command line, for models of type Model.
template <class Model>
probust::any_estimator<Model> make_estimator(const std::string& name,
                                             const estimate_settings& s) {
  probust::mvn_options mvn;
  mvn.abs_tol = s.abs_tol;
  if (name == "taylor") {
    probust::taylor_options o;
    o.mvn = mvn;
    o.paper_settings = s.paper_settings;
    return probust::taylor_estimator<>(o);
  }
  if (name == "mmse") {
    probust::mmse_options o;
    o.samples = s.mmse_samples;
    o.seed = s.seed;
    o.mvn = mvn;
    o.paper_settings = s.paper_settings;
    return probust::mmse_estimator<>(o);
  }
  if (name == "monte_carlo") {
    probust::monte_carlo_options o;
    o.sampling = sampling_of(s);
    return probust::monte_carlo_estimator<>(o);
  }
  if (name == "control_variate") {
    probust::control_variate_options o;
    o.sampling = sampling_of(s);
    o.mvn = mvn;
    return probust::control_variate_estimator<>(o);
  }
  if (name == "softmax") return probust::softmax_estimator<>();
  if (name == "taylor_mv_sigmoid") {
    return probust::taylor_mv_sigmoid_estimator<>();
  }
  probust::mmse_mv_sigmoid_options o;  // "mmse_mv_sigmoid" (names were checked when parsing)
  o.samples = s.mmse_samples;
  o.seed = s.seed;
  return probust::mmse_mv_sigmoid_estimator<>(o);
}

/// Counts of the rows written, for the closing line on stderr.
struct row_counts {
  std::uint64_t rows = 0, errors = 0, not_converged = 0;
  void add(const std::vector<probust::dataset_row>& block) {
    rows += block.size();
    for (const probust::dataset_row& row : block) {
      errors += row.status == probust::row_status::error;
      not_converged += row.status == probust::row_status::not_converged;
    }
  }
};

/// `probust-cli estimate`: reads, runs, writes; prints one closing line on stderr.
inline int run_estimate(const estimate_settings& s) {
  row_counts counts;
  std::uint64_t points = 0;
  std::string target;
  const std::vector<input_file> inputs = {{"--inputs", s.inputs}, {"--model", s.model}};
  with_output(s.output, s.format, inputs, [&](row_output& out) {
    target = out.target();
    const cli_model model = load_model(s.model, s.input_shape);
    const input_table table = read_inputs(s.inputs, s.input);
    if (static_cast<std::size_t>(input_dimension(model)) != table.features) {
      throw data_error("model '" + s.model + "' expects " +
                       std::to_string(input_dimension(model)) + " inputs but '" + s.inputs +
                       "' has " + std::to_string(table.features) + " feature columns" +
                       (s.input.labels == label_column::none
                            ? " (if one of them is the label, use --label-column first|last)"
                            : " (not counting the label column)"));
    }
    points = static_cast<std::uint64_t>(table.points.rows());

    probust::dataset_options options;
    options.threads = s.threads;
    options.first_id = table.first_id;  // this process holds only its shard's rows
    if (s.progress) options.progress = probust::progress_bar("probust-cli");
    // Rows ordered by σ, point id, estimator: the documented order of the output.
    const std::vector<probust::dataset_row> rows = std::visit(
        [&](const auto& m) {
          using model_type = std::decay_t<decltype(m)>;
          std::vector<probust::any_estimator<model_type>> estimators;
          for (const std::string& name : s.estimators) {
            estimators.push_back(make_estimator<model_type>(name, s));
          }
          return probust::run_dataset(m, table.points, table.labels, s.sigmas, options,
                                      estimators);
        },
        model);
    counts.add(rows);
    out.write(rows);
  });
  std::fprintf(stderr,
               "probust-cli: %s (%s, %s, %s) written to %s; %llu with status error, %llu not "
               "converged\n",
               count_of(counts.rows, "row").c_str(), count_of(points, "point").c_str(),
               count_of(s.estimators.size(), "estimator").c_str(),
               count_of(s.sigmas.size(), "sigma").c_str(), target.c_str(),
               static_cast<unsigned long long>(counts.errors),
               static_cast<unsigned long long>(counts.not_converged));
  return exit_success;
}

}  // namespace probust_cli
