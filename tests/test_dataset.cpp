// The dataset runner and its file formats: rows bit-identical across thread counts and
// shard splits; stochastic estimators draw from point_engine(seed, point id); per-point error
// isolation; argument errors; progress reports (and a throwing callback stopping the run);
// exact CSV / JSON Lines round trips, and reader errors naming source and line.
#include <Eigen/Dense>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstddef>
#include <cstring>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "catch_shim.hpp"
#include "test_support.hpp"
#include "probust/estimators/any_estimator.hpp"
#include "probust/dataset.hpp"
#include "probust/dataset_io.hpp"
#include "probust/estimators/control_variate.hpp"
#include "probust/estimators/mmse.hpp"
#include "probust/estimators/monte_carlo.hpp"
#include "probust/estimators/taylor.hpp"
#include "probust/model.hpp"
#include "probust/models/affine.hpp"
#include "probust/noise.hpp"
#include "probust/progress.hpp"
#include "probust/random.hpp"

#if defined(PROBUST_TESTS_WITH_JSON)
#include "jsonl_reader.hpp"
#endif

namespace {

// f(x) = W tanh(x) + b (3 classes, 4 features) with its Jacobian W diag(1 − tanh²(x)).
Eigen::MatrixXd tanh_weights() {
  Eigen::MatrixXd w(3, 4);
  w << 1.0, -0.5, 0.3, 0.8,  //
      -0.7, 1.2, 0.4, -0.2,  //
      0.2, 0.1, -1.1, 0.6;
  return w;
}

auto tanh_model() {
  const Eigen::MatrixXd w = tanh_weights();
  const Eigen::Vector3d b(0.1, -0.2, 0.05);
  return probust::with_jacobian(
      [w, b](const Eigen::VectorXd& x) -> Eigen::VectorXd {
        return w * x.array().tanh().matrix() + b;
      },
      [w](const Eigen::VectorXd& x) -> Eigen::MatrixXd {
        return w * (1.0 - x.array().tanh().square()).matrix().asDiagonal();
      });
}

// n points (rows) of dimension 4 from probust's portable normals, scaled by 0.5.
Eigen::MatrixXd test_points(Eigen::Index n) {
  auto engine = probust::point_engine(0xda7a, 0);
  Eigen::MatrixXd points(n, 4);
  probust::fill_standard_normal(engine, points);
  return 0.5 * points;
}

probust::monte_carlo_estimator<> small_mc(std::uint64_t seed = 11) {
  probust::monte_carlo_options o;
  o.sampling.samples = 2000;
  o.sampling.seed = seed;
  return probust::monte_carlo_estimator<>(o);
}

probust::dataset_options quiet(unsigned threads) {
  probust::dataset_options o;
  o.threads = threads;
  return o;
}

// Rows as CSV with `seconds` zeroed: equal strings mean every other field is bit-identical.
std::string reproducible_csv(std::vector<probust::dataset_row> rows) {
  for (auto& row : rows) row.seconds = 0.0;
  std::ostringstream out;
  probust::write_csv(out, rows);
  return out.str();
}

// True if a and b have the same bits (so NaN equals the same NaN and −0 differs from 0).
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Every field of two rows equal, doubles bit for bit (result.estimator is not compared:
// rows read from files have "", the `estimator` member is authoritative).
void check_same_row(const probust::dataset_row& a, const probust::dataset_row& b) {
  INFO("point " << a.point_id << ", estimator " << a.estimator);
  CHECK(a.point_id == b.point_id);
  CHECK(a.label == b.label);
  CHECK(a.estimator == b.estimator);
  CHECK(same_bits(a.sigma, b.sigma));
  CHECK(a.result.predicted_class == b.result.predicted_class);
  CHECK(same_bits(a.result.probability, b.result.probability));
  CHECK(same_bits(a.result.lower, b.result.lower));
  CHECK(same_bits(a.result.upper, b.result.upper));
  CHECK(same_bits(a.result.complement, b.result.complement));
  CHECK(same_bits(a.result.error, b.result.error));
  CHECK(a.result.converged == b.result.converged);
  CHECK(a.result.model_evaluations == b.result.model_evaluations);
  CHECK(a.result.samples == b.result.samples);
  CHECK(a.result.jacobian == b.result.jacobian);
  CHECK(same_bits(a.result.variance_reduction, b.result.variance_reduction));
  CHECK(same_bits(a.seconds, b.seconds));
  CHECK(a.status == b.status);
  CHECK(a.message == b.message);
}

// check_same_row with the wall time `seconds` set aside.
void check_same_row_but_seconds(probust::dataset_row a, const probust::dataset_row& b) {
  a.seconds = b.seconds;
  check_same_row(a, b);
}

// Rows exercising every field and every awkward value of the formats.
std::vector<probust::dataset_row> awkward_rows() {
  std::vector<probust::dataset_row> rows(4);
  rows[0].point_id = std::numeric_limits<std::uint64_t>::max();
  rows[0].label = 7;
  rows[0].estimator = "taylor (paper settings)";
  rows[0].sigma = 0.1;
  rows[0].result.probability = 1.0 / 3.0;
  rows[0].result.lower = 0.0;
  rows[0].result.complement = 2.0 / 3.0;
  rows[0].result.error = 1e-300;
  rows[0].result.predicted_class = 2;
  rows[0].result.model_evaluations = 9;
  rows[0].result.jacobian = probust::jacobian_source::user;
  rows[0].result.variance_reduction = std::numeric_limits<double>::infinity();
  rows[0].seconds = 0.000123456789;
  rows[1].estimator = "odd, \"name\"";
  rows[1].result.probability = 4.9406564584124654e-324;  // the smallest subnormal
  rows[1].result.lower = -0.0;
  rows[1].result.upper = std::numeric_limits<double>::max();
  rows[1].result.jacobian = probust::jacobian_source::finite_difference;
  rows[1].result.converged = false;
  rows[1].status = probust::row_status::not_converged;
  rows[2].label = -5;
  rows[2].estimator = "monte_carlo";
  rows[2].sigma = 2.5e-17;
  rows[2].result.probability = std::numeric_limits<double>::quiet_NaN();
  rows[2].result.lower = -std::numeric_limits<double>::infinity();
  rows[2].result.upper = std::numeric_limits<double>::infinity();
  rows[2].result.samples = 123456789012345ULL;
  rows[2].status = probust::row_status::error;
  rows[2].message = "line one,\nline \"two\"\r\n\ttab \\ backslash \x01 ctrl, UTF-8 \xcf\x83 end";
  rows[3].estimator = "mmse";
  rows[3].status = probust::row_status::error;
  rows[3].message = "\"";
  return rows;
}

using probust_test::contains;
using probust_test::error_of;

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// `text` with the first occurrence of `from` replaced by `to` (which must occur).
std::string replace_first(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::vector<probust::dataset_row> csv_from(const std::string& text) {
  std::istringstream in(text);
  return probust::read_csv(in, "results.csv");
}

#if defined(PROBUST_TESTS_WITH_JSON)
// The JSON Lines reader is probust-cli's (examples/cli, nlohmann/json), not the library's.
std::vector<probust::dataset_row> jsonl_from(const std::string& text) {
  std::istringstream in(text);
  return probust_cli::read_jsonl(in, "results.jsonl");
}
#endif

}  // namespace

// ------------------------------------------------------------------------------------------
// run_dataset

TEST_CASE("run_dataset: rows are bit-identical for any thread count and shard split") {
  const auto model = tanh_model();
  const Eigen::MatrixXd points = test_points(12);
  std::vector<int> labels;
  for (int i = 0; i < 12; ++i) labels.push_back(i % 3);
  const probust::isotropic_gaussian noise{0.3};
  const probust::taylor_estimator<> taylor;
  const auto mc = small_mc();

  const auto one = probust::run_dataset(model, points, labels, noise, quiet(1), taylor, mc);
  REQUIRE(one.size() == 24);
  for (std::size_t r = 0; r < one.size(); ++r) {
    CHECK(one[r].point_id == r / 2);
    CHECK(one[r].label == static_cast<int>(r / 2 % 3));
    CHECK(one[r].estimator == (r % 2 == 0 ? "taylor" : "monte_carlo"));
    CHECK(one[r].sigma == 0.3);
    CHECK(one[r].status == probust::row_status::ok);
    CHECK(one[r].message.empty());
    CHECK(one[r].seconds >= 0.0);
  }
  const std::string expected = reproducible_csv(one);
  for (unsigned threads : {2U, 4U, 0U}) {
    INFO("threads " << threads);
    CHECK(reproducible_csv(probust::run_dataset(model, points, labels, noise, quiet(threads),
                                                taylor, mc)) == expected);
  }

  std::vector<probust::dataset_row> merged;
  for (std::size_t shard = 0; shard < 3; ++shard) {
    probust::dataset_options o = quiet(2);
    o.shard_index = shard;
    o.shard_count = 3;
    const auto part = probust::run_dataset(model, points, labels, noise, o, taylor, mc);
    CHECK(part.size() == 8);
    merged.insert(merged.end(), part.begin(), part.end());
  }
  CHECK(reproducible_csv(merged) == expected);

  // 5 shards of 12 points: sizes 2, 2, 3, 2, 3 by ⌊i·n/N⌋, together all points.
  std::vector<probust::dataset_row> five;
  for (std::size_t shard = 0; shard < 5; ++shard) {
    probust::dataset_options o = quiet(3);
    o.shard_index = shard;
    o.shard_count = 5;
    const auto part = probust::run_dataset(model, points, labels, noise, o, taylor, mc);
    five.insert(five.end(), part.begin(), part.end());
  }
  CHECK(reproducible_csv(five) == expected);

  // 6 classes (k = 5 margins: the quasi-Monte-Carlo MVN path) on an affine model.
  auto engine = probust::point_engine(0xaff1, 0);
  Eigen::MatrixXd w(6, 4);
  probust::fill_standard_normal(engine, w);
  const probust::affine_model<double> affine(w, Eigen::VectorXd::Zero(6));
  const auto serial = probust::run_dataset(affine, points, noise, quiet(1), taylor, mc);
  CHECK(reproducible_csv(probust::run_dataset(affine, points, noise, quiet(3), taylor, mc)) ==
        reproducible_csv(serial));
}

TEST_CASE("run_dataset: a runtime list and a sigma grid give the rows of the pack, bit for bit") {
  const auto model = tanh_model();
  using model_type = std::decay_t<decltype(model)>;
  Eigen::MatrixXd points = test_points(9);
  points(4, 2) = std::numeric_limits<double>::quiet_NaN();  // error rows, with their message
  std::vector<int> labels;
  for (int i = 0; i < 9; ++i) labels.push_back(i % 3);
  const probust::taylor_estimator<> taylor;
  probust::mmse_options mmse_options;
  mmse_options.seed = 5;
  const probust::mmse_estimator<> mmse(mmse_options);
  const auto mc = small_mc(7);
  probust::control_variate_options cv_options;
  cv_options.sampling.samples = 1000;
  const probust::control_variate_estimator<> cv(cv_options);
  const std::vector<probust::any_estimator<model_type>> list = {taylor, mmse, mc, cv};
  CHECK(std::string(list[2].name()) == "monte_carlo");
  CHECK_FALSE(list[0].stochastic());
  CHECK(list[3].stochastic());

  const std::vector<double> sigmas = {0.3, 0.05};
  for (unsigned threads : {1U, 2U}) {
    INFO("threads " << threads);
    std::vector<probust::dataset_row> pack;
    for (const double sigma : sigmas) {
      const probust::isotropic_gaussian<double> noise(sigma);
      const auto rows =
          probust::run_dataset(model, points, labels, noise, quiet(threads), taylor, mmse, mc, cv);
      CHECK(reproducible_csv(probust::run_dataset(model, points, labels, noise, quiet(threads),
                                                  list)) == reproducible_csv(rows));
      pack.insert(pack.end(), rows.begin(), rows.end());
    }
    REQUIRE(pack.size() == 2 * 9 * 4);
    CHECK(pack[4 * 4].status == probust::row_status::error);  // point 4, taylor, σ = 0.3
    const auto grid = probust::run_dataset(model, points, labels, sigmas, quiet(threads), list);
    CHECK(reproducible_csv(grid) == reproducible_csv(pack));

    // A shard of the grid: its points, still σ-major.
    probust::dataset_options o = quiet(threads);
    o.shard_index = 1;
    o.shard_count = 3;  // points 3, 4, 5
    std::vector<probust::dataset_row> expected;
    for (std::size_t s = 0; s < 2; ++s) {
      const auto first = pack.begin() + static_cast<std::ptrdiff_t>((s * 9 + 3) * 4);
      expected.insert(expected.end(), first, first + 12);
    }
    CHECK(reproducible_csv(probust::run_dataset(model, points, labels, sigmas, o, list)) ==
          reproducible_csv(expected));
  }

  // any_estimator forwards estimate with and without an engine.
  const Eigen::VectorXd x = points.row(0).transpose();
  const probust::isotropic_gaussian<double> noise(0.3);
  auto engine_a = probust::point_engine(7, 0);
  auto engine_b = probust::point_engine(7, 0);
  CHECK(list[2].estimate(model, x, noise, engine_a).probability ==
        mc.estimate(model, x, noise, engine_b).probability);
  CHECK(list[0].estimate(model, x, noise).probability ==
        taylor.estimate(model, x, noise).probability);

  const std::vector<probust::any_estimator<model_type>> none;
  CHECK(starts_with(
      error_of([&] { probust::run_dataset(model, points, labels, sigmas, quiet(1), none); }),
      "probust::run_dataset: the list of estimators is empty"));
  CHECK(starts_with(error_of([&] {
                      probust::run_dataset(model, points, labels, std::vector<double>{}, quiet(1),
                                           list);
                    }),
                    "probust::run_dataset: the list of sigmas is empty"));
  CHECK(starts_with(error_of([&] {
                      probust::run_dataset(model, points, labels, std::vector<double>{0.1, -1.0},
                                           quiet(1), list);
                    }),
                    "probust::run_dataset: sigmas[1]"));
}

TEST_CASE("run_dataset: stochastic estimators draw from point_engine(seed, point id)") {
  const auto model = tanh_model();
  Eigen::MatrixXd points = test_points(4);
  points.row(2) = points.row(1);  // two points with the same x
  const probust::isotropic_gaussian noise{0.8};
  const auto mc = small_mc(11);
  probust::mmse_options mo;
  mo.seed = 11;
  const probust::mmse_estimator<> mmse(mo);
  probust::control_variate_options co;
  co.sampling.samples = 2000;
  co.sampling.seed = 12;
  const probust::control_variate_estimator<> cv(co);
  probust::dataset_options o = quiet(2);
  o.first_id = 100;
  const auto rows = probust::run_dataset(model, points, noise, o, mc, mmse, small_mc(11), cv);
  REQUIRE(rows.size() == 16);

  for (Eigen::Index i = 0; i < 4; ++i) {
    const std::uint64_t id = 100 + static_cast<std::uint64_t>(i);
    const Eigen::VectorXd x = points.row(i).transpose();
    const auto row = [&](std::size_t j) { return rows[4 * static_cast<std::size_t>(i) + j]; };
    probust::random_engine engine = probust::point_engine(11, id);
    const probust::robustness_result direct = mc.estimate(model, x, noise, engine);
    CHECK(row(0).point_id == id);
    CHECK(row(0).label == -1);
    CHECK(row(0).result.probability == direct.probability);
    CHECK(row(0).result.lower == direct.lower);
    CHECK(row(0).result.upper == direct.upper);
    CHECK(row(0).result.samples == 2000);
    // Common random numbers: the second MC estimator with the same seed agrees exactly.
    CHECK(row(2).result.probability == direct.probability);
    probust::random_engine cv_engine = probust::point_engine(12, id);
    const probust::robustness_result cv_direct = cv.estimate(model, x, noise, cv_engine);
    CHECK(row(3).estimator == "control_variate");
    CHECK(row(3).result.probability == cv_direct.probability);
    CHECK(row(3).result.variance_reduction == cv_direct.variance_reduction);
  }
  CHECK(rows[0].result.probability > 0.05);
  CHECK(rows[0].result.probability < 0.95);
  // Identical x at ids 101 and 102: independent streams give different estimates.
  CHECK(rows[4].result.probability != rows[8].result.probability);
  CHECK(rows[5].result.probability != rows[9].result.probability);
}

// An estimator returning a NaN probability (a user-defined, non-stochastic estimator).
struct nan_estimator {
  const char* name() const noexcept { return "nan_estimator"; }
  template <class Model, class Noise>
  probust::robustness_result estimate(Model&&, const Eigen::VectorXd&, const Noise&) const {
    probust::robustness_result r;
    r.probability = std::numeric_limits<double>::quiet_NaN();
    return r;
  }
};

TEST_CASE("run_dataset: a failing point gives error rows, the others are unaffected") {
  const auto inner = tanh_model();
  // Throws a std::exception at x(0) == 4 and a non-std exception at x(0) == 5.
  const auto failing = probust::with_jacobian(
      [&inner](const Eigen::VectorXd& x) -> Eigen::VectorXd {
        if (x(0) == 4.0) throw std::runtime_error("model failed, \"badly\"");
        if (x(0) == 5.0) throw 7;
        return inner(x);
      },
      [&inner](const Eigen::VectorXd& x) -> Eigen::MatrixXd { return inner.jacobian(x); });
  Eigen::MatrixXd points = test_points(8);
  points(2, 1) = std::numeric_limits<double>::quiet_NaN();
  points(4, 0) = 4.0;
  points(6, 0) = 5.0;
  const probust::isotropic_gaussian noise{0.3};
  const auto rows = probust::run_dataset(failing, points, noise, quiet(2),
                                         probust::taylor_estimator<>(), small_mc());
  REQUIRE(rows.size() == 16);
  for (const auto& row : rows) {
    INFO("point " << row.point_id << " " << row.estimator << ": " << row.message);
    if (row.point_id == 2) {
      CHECK(row.status == probust::row_status::error);
      CHECK(starts_with(row.message, row.estimator == "taylor"
                                         ? "probust::taylor_estimator::estimate"
                                         : "probust::monte_carlo_estimator::estimate"));
      CHECK(row.message.find("non-finite") != std::string::npos);
    } else if (row.point_id == 4) {
      CHECK(row.status == probust::row_status::error);
      CHECK(row.message == "model failed, \"badly\"");
    } else if (row.point_id == 6) {
      CHECK(row.status == probust::row_status::error);
      CHECK(row.message == "unknown exception");
    } else {
      CHECK(row.status == probust::row_status::ok);
      CHECK(row.message.empty());
    }
  }

  const auto nan_rows =
      probust::run_dataset(tanh_model(), test_points(2), noise, quiet(1), nan_estimator{});
  REQUIRE(nan_rows.size() == 2);
  CHECK(nan_rows[1].estimator == "nan_estimator");
  CHECK(nan_rows[1].status == probust::row_status::error);
  CHECK(nan_rows[1].message ==
        "probust::run_dataset: the estimator returned a non-finite probability or bound");
}

TEST_CASE("run_dataset: argument errors throw probust::invalid_argument") {
  const auto model = tanh_model();
  const Eigen::MatrixXd points = test_points(5);
  const probust::isotropic_gaussian noise{0.3};
  const probust::taylor_estimator<> taylor;
  const auto run = [&](const probust::dataset_options& o, const std::vector<int>& labels,
                       const Eigen::MatrixXd& p) {
    return [&, o, labels, p] { probust::run_dataset(model, p, labels, noise, o, taylor); };
  };
  probust::dataset_options o = quiet(1);
  o.shard_count = 0;
  CHECK(error_of(run(o, {}, points)) == "probust::run_dataset: shard_count must be >= 1");
  o.shard_count = 3;
  o.shard_index = 3;
  CHECK(error_of(run(o, {}, points)) ==
        "probust::run_dataset: shard_index 3 is not below shard_count 3");
  CHECK(error_of(run(quiet(1), {0, 1}, points)) ==
        "probust::run_dataset: labels has 2 entries but points has 5 rows");
  CHECK(error_of(run(quiet(1), {}, Eigen::MatrixXd(3, 0))) ==
        "probust::run_dataset: points has no columns");
  const probust::diagonal_gaussian wrong_dimension{Eigen::VectorXd::Constant(3, 0.1)};
  CHECK(starts_with(
      error_of([&] { probust::run_dataset(model, points, wrong_dimension, quiet(1), taylor); }),
      "probust::run_dataset: "));

  // No points: no rows, one progress report 0/0. A non-isotropic noise: sigma is NaN.
  std::vector<probust::dataset_progress> reports;
  probust::dataset_options empty = quiet(4);
  empty.progress = [&](const probust::dataset_progress& p) { reports.push_back(p); };
  CHECK(probust::run_dataset(model, Eigen::MatrixXd(0, 0), noise, empty, taylor).empty());
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].done == 0);
  CHECK(reports[0].total == 0);
  const probust::diagonal_gaussian diagonal{Eigen::VectorXd::Constant(4, 0.1)};
  const auto rows = probust::run_dataset(model, points, diagonal, quiet(2), taylor);
  CHECK(std::isnan(rows[0].sigma));
}

TEST_CASE("row_status_name: the spellings of the status column") {
  CHECK(std::string(probust::row_status_name(probust::row_status::ok)) == "ok");
  CHECK(std::string(probust::row_status_name(probust::row_status::not_converged)) ==
        "not_converged");
  CHECK(std::string(probust::row_status_name(probust::row_status::error)) == "error");
}

TEST_CASE("shard_begin: floor(i*n/N) exactly for any 64-bit n, i <= N", "[reliability]") {
  constexpr std::uint64_t top = std::numeric_limits<std::uint64_t>::max();
  // The 128-bit product as the independent reference (GCC and Clang).
  __extension__ using uint128 = unsigned __int128;
  const auto reference = [](std::uint64_t n, std::uint64_t i, std::uint64_t count) {
    return static_cast<std::uint64_t>(static_cast<uint128>(i) * n / count);
  };
  std::vector<std::uint64_t> values = {0, 1, 2, 3, 40, 41, (1ULL << 32) - 1, 1ULL << 32,
                                       (1ULL << 32) + 1, (1ULL << 63) - 1, 1ULL << 63,
                                       (1ULL << 63) + 1, top - 1, top};
  auto engine = probust::point_engine(0x5ca1e, 0);
  for (int j = 0; j < 40; ++j) values.push_back(engine() >> (engine() % 64));
  for (const std::uint64_t n : values) {
    for (const std::uint64_t count : values) {
      if (count == 0) continue;
      for (const std::uint64_t i : {std::uint64_t{0}, std::uint64_t{1}, count / 3, count / 2,
                                    count - 1, count}) {
        if (i > count) continue;
        INFO("n " << n << ", i " << i << ", N " << count);
        REQUIRE(probust::shard_begin(n, i, count) == reference(n, i, count));
      }
    }
  }
  // The case: shard 2^63 - 1 of 2^63 over 41 points is point 40.
  CHECK(probust::shard_begin(41, (1ULL << 63) - 1, 1ULL << 63) == 40);
  CHECK(probust::shard_begin(41, 1ULL << 63, 1ULL << 63) == 41);
}

TEST_CASE("run_dataset: 2^63 shards evaluate the right point; wrapping ids are rejected",
          "[reliability]") {
  const auto model = tanh_model();
  const Eigen::MatrixXd points = test_points(41);
  const probust::isotropic_gaussian noise{0.3};
  const probust::monte_carlo_estimator<> mc = small_mc();
  probust::dataset_options o = quiet(1);
  o.shard_count = std::size_t{1} << 63;
  o.shard_index = o.shard_count - 1;
  const auto last = probust::run_dataset(model, points, noise, o, mc);
  REQUIRE(last.size() == 1);
  CHECK(last[0].point_id == 40);
  const auto all = probust::run_dataset(model, points, noise, quiet(1), mc);
  check_same_row_but_seconds(last[0], all[40]);
  o.shard_index = 0;  // shards 0 .. 2^63 - 42 are empty
  CHECK(probust::run_dataset(model, points, noise, o, mc).empty());

  // Ids up to 2^64 - 1 are fine; one more would wrap to 0 and reuse point 0's stream.
  constexpr std::uint64_t top = std::numeric_limits<std::uint64_t>::max();
  probust::dataset_options high = quiet(1);
  high.first_id = top - 2;
  const auto rows = probust::run_dataset(model, test_points(3), noise, high, mc);
  REQUIRE(rows.size() == 3);
  CHECK(rows[2].point_id == top);
  high.first_id = top - 1;
  CHECK(error_of([&] { probust::run_dataset(model, test_points(3), noise, high, mc); }) ==
        "probust::run_dataset: first_id 18446744073709551614 + 3 rows - 1 exceeds 2^64 - 1: "
        "the point ids would wrap and reuse the random streams of other points");
  // The check counts all rows, not only the shard's: a shard must not pass alone.
  high.shard_count = 3;
  high.shard_index = 0;
  CHECK(starts_with(
      error_of([&] { probust::run_dataset(model, test_points(3), noise, high, mc); }),
      "probust::run_dataset: first_id"));
}

TEST_CASE("run_dataset: progress reports are non-decreasing and end at the total") {
  const auto fast = tanh_model();
  const auto slow = probust::with_jacobian(
      [&fast](const Eigen::VectorXd& x) -> Eigen::VectorXd {
        std::this_thread::sleep_for(std::chrono::microseconds(1500));
        return fast(x);
      },
      [&fast](const Eigen::VectorXd& x) -> Eigen::MatrixXd { return fast.jacobian(x); });
  const Eigen::MatrixXd points = test_points(120);
  const probust::isotropic_gaussian noise{0.3};
  const probust::taylor_estimator<> taylor;
  for (unsigned threads : {1U, 2U}) {
    INFO("threads " << threads);
    std::vector<probust::dataset_progress> reports;
    probust::dataset_options o = quiet(threads);
    o.shard_index = 1;
    o.shard_count = 2;
    const std::thread::id caller = std::this_thread::get_id();
    bool on_caller = true;
    o.progress = [&](const probust::dataset_progress& p) {
      on_caller = on_caller && std::this_thread::get_id() == caller;
      reports.push_back(p);
    };
    const auto rows = probust::run_dataset(slow, points, noise, o, taylor);
    CHECK(rows.size() == 60);
    CHECK(on_caller);
    REQUIRE(reports.size() >= 2);  // the start and the end at least
    CHECK(reports.front().done == 0);
    CHECK(reports.back().done == 60);
    for (std::size_t i = 0; i < reports.size(); ++i) {
      CHECK(reports[i].total == 60);
      if (i > 0) {
        CHECK(reports[i].done >= reports[i - 1].done);
        CHECK(reports[i].elapsed_seconds >= reports[i - 1].elapsed_seconds);
      }
    }
  }
}

TEST_CASE("run_dataset: no progress by default; probust::progress_bar is a progress callback") {
  CHECK_FALSE(probust::dataset_options{}.progress);
  const auto model = tanh_model();
  const Eigen::MatrixXd points = test_points(5);
  const probust::isotropic_gaussian noise{0.3};
  probust::dataset_options with_bar = quiet(2);
  // Draws on stderr only if it is a terminal (not under ctest); the rows are the same.
  with_bar.progress = probust::progress_bar{};
  CHECK(reproducible_csv(probust::run_dataset(model, points, noise, with_bar, small_mc())) ==
        reproducible_csv(probust::run_dataset(model, points, noise, quiet(2), small_mc())));
}

TEST_CASE("run_dataset: a throwing progress callback stops the run and propagates") {
  const auto fast = tanh_model();
  std::atomic<int> calls{0};
  const auto slow = probust::with_jacobian(
      [&](const Eigen::VectorXd& x) -> Eigen::VectorXd {
        ++calls;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        return fast(x);
      },
      [&fast](const Eigen::VectorXd& x) -> Eigen::MatrixXd { return fast.jacobian(x); });
  const Eigen::MatrixXd points = test_points(400);
  const probust::isotropic_gaussian noise{0.3};
  probust::dataset_options o = quiet(2);
  o.progress = [](const probust::dataset_progress& p) {
    if (p.done > 0) throw std::runtime_error("cancelled");
  };
  CHECK_THROWS_WITH(probust::run_dataset(slow, points, noise, o, probust::taylor_estimator<>()),
                    "cancelled");
  // The first report after the start comes after ~100 ms, i.e. ~100 of the 400 points.
  CHECK(calls.load() < 400);
}

// ------------------------------------------------------------------------------------------
// CSV and JSON Lines

TEST_CASE("dataset_io: CSV and JSON Lines round trips are exact") {
  std::vector<probust::dataset_row> rows = awkward_rows();
  const auto model = tanh_model();
  const auto run = probust::run_dataset(model, test_points(3), std::vector<int>{2, 0, 1},
                                        probust::isotropic_gaussian{0.25}, quiet(2),
                                        probust::taylor_estimator<>(), small_mc());
  rows.insert(rows.end(), run.begin(), run.end());

  std::ostringstream csv;
  probust::write_csv(csv, rows);
  const auto from_csv = csv_from(csv.str());
  REQUIRE(from_csv.size() == rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) check_same_row(from_csv[i], rows[i]);

#if defined(PROBUST_TESTS_WITH_JSON)
  std::ostringstream jsonl;
  probust::write_jsonl(jsonl, rows);
  const auto from_jsonl = jsonl_from(jsonl.str());
  REQUIRE(from_jsonl.size() == rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) check_same_row(from_jsonl[i], rows[i]);
  CHECK(jsonl_from(jsonl.str() + "\n  \n").size() == rows.size());
#endif

  // Writing what was read gives the same text; blank trailing lines are ignored.
  std::ostringstream again;
  probust::write_csv(again, from_csv);
  CHECK(again.str() == csv.str());
  CHECK(csv_from(csv.str() + "\n\n").size() == rows.size());
  // CRLF line ends (rows without line breaks in their fields).
  std::ostringstream run_csv;
  probust::write_csv(run_csv, run);
  std::string crlf = run_csv.str();
  for (std::size_t at = crlf.find('\n'); at != std::string::npos; at = crlf.find('\n', at + 2)) {
    crlf.insert(at, "\r");
  }
  const auto from_crlf = csv_from(crlf + "\r\n");
  REQUIRE(from_crlf.size() == run.size());
  for (std::size_t i = 0; i < run.size(); ++i) check_same_row(from_crlf[i], run[i]);
}

TEST_CASE("dataset_io: the spelling of the files") {
  probust::dataset_row row;
  row.point_id = 3;
  row.estimator = "taylor";
  row.result.probability = 0.25;
  row.result.lower = 0.125;
  row.result.upper = 0.5;
  row.result.complement = 0.75;
  row.result.error = 0.1;
  row.result.predicted_class = 1;
  row.result.model_evaluations = 1;
  row.result.jacobian = probust::jacobian_source::user;
  row.seconds = 0.5;
  std::ostringstream csv;
  probust::write_csv(csv, {row});
  CHECK(csv.str() ==
        "point_id,label,estimator,sigma,predicted_class,probability,lower,upper,complement,"
        "error,converged,model_evaluations,samples,jacobian,variance_reduction,seconds,status,"
        "message\n"
        "3,,taylor,,1,0.25,0.125,0.5,0.75,0.1,true,1,0,user,0,0.5,ok,\n");
  std::ostringstream jsonl;
  probust::write_jsonl(jsonl, {row});
  CHECK(jsonl.str() ==
        "{\"point_id\":3,\"label\":null,\"estimator\":\"taylor\",\"sigma\":null,"
        "\"predicted_class\":1,\"probability\":0.25,\"lower\":0.125,\"upper\":0.5,"
        "\"complement\":0.75,\"error\":0.1,\"converged\":true,"
        "\"model_evaluations\":1,\"samples\":0,\"jacobian\":\"user\",\"variance_reduction\":0,"
        "\"seconds\":0.5,"
        "\"status\":\"ok\",\"message\":\"\"}\n");
  row.message = "a,\"b\"\nc\x1f";
  row.status = probust::row_status::error;
  std::ostringstream quoted;
  probust::write_csv(quoted, {row}, false);
  CHECK(quoted.str() ==
        "3,,taylor,,1,0.25,0.125,0.5,0.75,0.1,true,1,0,user,"
        "0,0.5,error,\"a,\"\"b\"\"\nc\x1f\"\n");
  std::ostringstream escaped;
  probust::write_jsonl(escaped, {row});
  CHECK(escaped.str().find("\"message\":\"a,\\\"b\\\"\\u000ac\\u001f\"}") != std::string::npos);

  // The readers take keys and columns in any order, and standard JSON escapes.
#if defined(PROBUST_TESTS_WITH_JSON)
  const std::string reordered =
      "{\"message\":\"x\\n\\u00e9\\ud83d\\ude00\",\"status\":\"error\",\"seconds\":1,"
      "\"variance_reduction\":\"inf\","
      "\"jacobian\":\"not_used\",\"samples\":5,\"model_evaluations\":6,\"converged\":false,"
      "\"error\":0,\"complement\":1,\"upper\":\"inf\",\"lower\":0,\"probability\":0,"
      "\"predicted_class\":0,\"sigma\":null,\"estimator\":\"e\",\"label\":4,\"point_id\":9}";
  const auto read = jsonl_from(reordered);
  REQUIRE(read.size() == 1);
  CHECK(read[0].message == "x\n\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(read[0].point_id == 9);
  CHECK(read[0].label == 4);
  CHECK(std::isinf(read[0].result.upper));
  CHECK(std::isinf(read[0].result.variance_reduction));
  CHECK(read[0].status == probust::row_status::error);
#endif
  const auto permuted = csv_from(
      "message,status,seconds,variance_reduction,jacobian,samples,model_evaluations,converged,"
      "error,complement,upper,lower,probability,predicted_class,sigma,estimator,label,point_id\n"
      "hi,ok,1,2.5,user,0,1,true,0,0.5,0.5,0.5,0.5,1,0.2,t,,8\n");
  REQUIRE(permuted.size() == 1);
  CHECK(permuted[0].point_id == 8);
  CHECK(permuted[0].label == -1);
  CHECK(permuted[0].sigma == 0.2);
  CHECK(permuted[0].message == "hi");
  CHECK(permuted[0].result.variance_reduction == 2.5);
}

TEST_CASE("dataset_io: JSON Lines is valid UTF-8, ill-formed bytes become U+FFFD",
          "[reliability]") {
  // Lone continuation byte, cut 3-byte sequence, overlong '/', surrogate, above U+10FFFF,
  // FF, then valid σ, €, U+1D11E, and a 4-byte sequence cut at the end. The expected
  // replacement is Python's bytes.decode("utf-8", "replace") (one U+FFFD per maximal
  // subpart, Unicode §3.9): 13 of them.
  probust::dataset_row row;
  row.estimator = "taylor";
  row.status = probust::row_status::error;
  row.message = "a\x80" "b\xe2\x82" "x\xc0\xaf" "y\xed\xa0\x80" "z\xf4\x90\x80\x80"
                "w\xff\xcf\x83\xe2\x82\xac\xf0\x9d\x84\x9e\xf0\x9d\x84";
  std::ostringstream out;
  probust::write_jsonl(out, {row});
  const std::string expected =
      "\"message\":\"a\\ufffdb\\ufffdx\\ufffd\\ufffdy\\ufffd\\ufffd\\ufffdz\\ufffd\\ufffd\\ufffd"
      "\\ufffdw\\ufffd\xcf\x83\xe2\x82\xac\xf0\x9d\x84\x9e\\ufffd\"}\n";
  const std::string text = out.str();
  REQUIRE(text.size() >= expected.size());
  CHECK(text.substr(text.size() - expected.size()) == expected);
  // It reads back, with U+FFFD (EF BF BD) in place of the ill-formed bytes.
#if defined(PROBUST_TESTS_WITH_JSON)
  const auto back = jsonl_from(text);
  REQUIRE(back.size() == 1);
  std::string replaced = "a";
  for (const char* part : {"b", "x", "", "y", "", "", "z", "", "", "", "w"}) {
    replaced += "\xef\xbf\xbd";
    replaced += part;
  }
  replaced += "\xef\xbf\xbd\xcf\x83\xe2\x82\xac\xf0\x9d\x84\x9e\xef\xbf\xbd";
  CHECK(back[0].message == replaced);
#endif
  // CSV keeps every byte.
  std::ostringstream csv;
  probust::write_csv(csv, {row});
  CHECK(csv_from(csv.str())[0].message == row.message);
}

TEST_CASE("dataset_io: reader errors name the source and the line") {
  std::vector<probust::dataset_row> rows(3);
  for (std::size_t i = 0; i < 3; ++i) {
    rows[i].point_id = i;
    rows[i].estimator = "taylor";
  }
  rows[1].result.probability = 0.375;
  rows[2].message = "two\nlines";
  rows[2].status = probust::row_status::error;
  std::ostringstream out;
  probust::write_csv(out, rows);
  const std::string csv = out.str();
  REQUIRE(csv_from(csv).size() == 3);

  const auto csv_error = [](const std::string& text) { return error_of([&] { csv_from(text); }); };
  const std::string at = "probust::read_csv: results.csv:";  // function name, then the place
  CHECK(csv_error(replace_first(csv, ",0.375,", ",abc,")) ==
        at + "3: column 'probability': 'abc' is not a number");
  CHECK(csv_error(replace_first(csv, ",ok,", ",maybe,")) ==
        at + "2: column 'status': 'maybe' is not one of ok, not_converged, error");
  CHECK(csv_error(replace_first(csv, ",true,", ",yes,")) ==
        at + "2: column 'converged': 'yes' is not true or false");
  CHECK(csv_error(replace_first(csv, "\n0,", "\n-1,")) ==
        at + "2: column 'point_id': '-1' is not an integer");
  CHECK(csv_error(csv + "1,2,3\n") == at + "6: 3 fields, expected 18");
  CHECK(csv_error(replace_first(csv, "seconds", "secs")) == at + "1: unknown column 'secs'");
  CHECK(csv_error(replace_first(csv, ",message", "")) == at + "1: missing column 'message'");
  CHECK(csv_error(replace_first(csv, ",message", ",label")) ==
        at + "1: column 'label' appears twice");
  CHECK(csv_error(replace_first(csv, "\n1,", "\n\n1,")) ==
        at + "3: blank line before the end");
  CHECK(csv_error(csv + "5,,\"open") == at + "6: unterminated quoted field");
  CHECK(csv_error("") == at + "1: missing header line");
  CHECK(csv_from(csv.substr(0, csv.find('\n') + 1)).empty());
  CHECK_THROWS_AS(csv_from(replace_first(csv, ",0.375,", ",abc,")), probust::invalid_argument);

#if defined(PROBUST_TESTS_WITH_JSON)
  const std::string jat = "probust_cli::read_jsonl: results.jsonl:";
  std::ostringstream jout;
  probust::write_jsonl(jout, rows);
  const std::string jsonl = jout.str();
  const auto jsonl_error = [](const std::string& text) {
    return error_of([&] { jsonl_from(text); });
  };
  CHECK(jsonl_error(replace_first(jsonl, "0.375", "\"abc\"")) ==
        jat + "2: column 'probability': expected a number, null, \"inf\" or \"-inf\"");
  // Malformed JSON: nlohmann/json's message, after the line and the column.
  const std::string not_json = jsonl_error(replace_first(jsonl, "0.375", "1.2.3"));
  CHECK(starts_with(not_json, jat + "2: malformed JSON at column "));
  CHECK(contains(not_json, "'1.2.'"));
  CHECK(jsonl_error(replace_first(jsonl, "\"ok\"", "\"maybe\"")) ==
        jat + "1: column 'status': 'maybe' is not one of ok, not_converged, error");
  CHECK(jsonl_error(replace_first(jsonl, "\"seconds\"", "\"secs\"")) ==
        jat + "1: unknown key 'secs'");
  CHECK(jsonl_error(replace_first(jsonl, ",\"message\":\"\"}", "}")) ==
        jat + "1: missing key 'message'");
  CHECK(jsonl_error(replace_first(jsonl, "\"message\"", "\"label\"")) ==
        jat + "1: key 'label' appears twice");
  const std::string no_colon = jsonl_error(replace_first(jsonl, "\"sigma\":", "\"sigma\""));
  CHECK(starts_with(no_colon, jat + "1: malformed JSON at column "));
  CHECK(contains(no_colon, "expected ':'"));
  CHECK(jsonl_error(jsonl + "\n{}\n") == jat + "4: blank line before the end");
  const std::string trailing = jsonl_error(jsonl + "{\"point_id\":1} x\n");
  CHECK(starts_with(trailing, jat + "4: malformed JSON at column 16: "));  // the x
  CHECK(contains(trailing, "expected end of input"));
  CHECK(jsonl_error(jsonl + "[1]\n") == jat + "4: expected an object");
  CHECK(jsonl_error(jsonl + "{\"message\":[\"a\"]}\n") ==
        jat + "4: expected a flat object (a value is an array)");
  CHECK(jsonl_error(jsonl + "{\"message\":{}}\n") ==
        jat + "4: expected a flat object (a value is an object)");
#endif
}
