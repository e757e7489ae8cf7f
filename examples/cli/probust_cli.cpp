// probust-cli — average-case robustness of a classifier over a whole data set, from the
// command line.
//
// For every point x of a CSV file and a model file (docs/model_format.md), `estimate`
// computes p(x) = P[argmax f(x + ε) = t], ε ~ N(0, σ²I), the probability that Gaussian
// noise of level σ leaves the prediction t = argmax f(x) unchanged, with any of probust's
// estimators (Taylor / MMSE of Han, Srinivas & Lakkaraju, UAI 2024; Monte Carlo;
// control-variate Monte Carlo; ...), and writes one row per (σ, point, estimator) with the
// estimate, its error bar and its status:
//
//     probust-cli estimate --model net.model --inputs points.csv --label-column last
//                          --estimators taylor,monte_carlo --sigmas 0.05,0.1
//                          --output results.csv
//
// A large data set is split with --shard i/N (one process, machine or cluster array task
// per shard) and joined with `merge`, which checks that the parts fit together and
// reproduces the unsharded file; `summary` prints per-class robustness, the most
// vulnerable points and the agreement of the estimators with Monte Carlo. All commands
// and options: `probust-cli --help`, `probust-cli COMMAND --help`, docs/cli.md.
//
// The library does the work: probust::load_dense_network reads the model,
// probust::run_dataset evaluates an estimator at every point on a thread pool (each point's
// noise drawn from its own stream probust::point_engine(seed, point id), a failing point turned
// into a row with status error), probust::write_csv / write_jsonl and read_csv (with
// jsonl_reader.hpp for JSON Lines, nlohmann/json) store the rows exactly, and
// <probust/summary.hpp> summarizes them.
//
// Each command lives in its own header: estimate_command.hpp, merge_command.hpp,
// summary_command.hpp; input_table.hpp reads the points, row_files.hpp reads and safely
// writes result files, arguments.hpp parses the command line.

#include <cstdio>
#include <exception>
#include <new>
#include <probust/version.hpp>
#include <string>

#include "arguments.hpp"
#include "estimate_command.hpp"
#include "merge_command.hpp"
#include "summary_command.hpp"

namespace {

const char* const main_help = R"help(usage: probust-cli COMMAND [options]
       probust-cli --help | --version | COMMAND --help

Average-case robustness p(x) = P[argmax f(x + e) = t], e ~ N(0, sigma^2 I), of the
points of a CSV file under a probust model file (probust library, header-only C++).

Commands:
  estimate   estimate p(x) for every point and write one row per (sigma, point,
             estimator) as CSV or JSON Lines; --shard I/N evaluates one part of the data
  merge      join the outputs of the shards of one run into the unsharded result
  summary    per-class robustness, most vulnerable points and agreement with Monte
             Carlo of a result file, as text
  help       `probust-cli help COMMAND` is `probust-cli COMMAND --help`

Example (the bundled 8x8 digits, pixels 0..16, label in the last column):
  probust-cli estimate --model examples/data/digits_tanh_64_64_10.model \
      --inputs examples/data/digits.csv --label-column last --input-scale 0.0625 \
      --estimators taylor,monte_carlo --sigma 0.1 --output digits.csv
  probust-cli summary digits.csv

Cluster job array (task I of N): estimate ... --shard I/N --output part-I.csv, then
  probust-cli merge --output all.csv part-*.csv

Exit status: 0 success; 1 unreadable, malformed or incompatible file, or a failed run;
2 bad command line. Messages go to stderr and start with "probust-cli: ". Estimates that
fail at single points are rows with status `error`, not failures of the command.
Manual: docs/cli.md.
)help";

void print_version() {
  std::printf("probust-cli (probust %d.%d.%d)\n", PROBUST_VERSION_MAJOR, PROBUST_VERSION_MINOR,
              PROBUST_VERSION_PATCH);
}

/// Runs the command named by argv[1]; returns the exit code or throws a cli_error.
int run(int argc, const char* const* argv) {
  using namespace probust_cli;
  if (argc < 2) throw usage_error("no command given (see probust-cli --help)");
  std::string command = argv[1];
  if (command == "--help" || command == "-h") {
    std::fputs(main_help, stdout);
    return exit_success;
  }
  if (command == "--version") {
    print_version();
    return exit_success;
  }
  // "help COMMAND" is "COMMAND --help".
  const char* help_argv[] = {argv[0], argc > 2 ? argv[2] : "", "--help"};
  if (command == "help") {
    if (argc == 2) {
      std::fputs(main_help, stdout);
      return exit_success;
    }
    if (argc > 3) throw usage_error("help: give one command");
    command = argv[2];
    argc = 3;
    argv = help_argv;
  }
  if (command == "estimate") {
    estimate_settings settings;
    return parse_estimate(argc, argv, settings) ? run_estimate(settings) : exit_success;
  }
  if (command == "merge") {
    merge_settings settings;
    return parse_merge(argc, argv, settings) ? run_merge(settings) : exit_success;
  }
  if (command == "summary") {
    summary_settings settings;
    return parse_summary(argc, argv, settings) ? run_summary(settings) : exit_success;
  }
  throw usage_error("unknown command '" + command +
                    "' (commands: estimate, merge, summary; see probust-cli --help)");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const probust_cli::cli_error& e) {
    std::fprintf(stderr, "probust-cli: %s\n", e.what());
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "probust-cli: out of memory\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "probust-cli: %s\n", e.what());
  }
  return probust_cli::exit_data_error;
}
