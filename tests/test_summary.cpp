// Dataset summaries (summary.hpp) on hand-made rows with values worked out here: Student-t
// intervals from a published t quantile, ranking by 1 − p with ties, Spearman's ρ of a small
// example with a tie (computed by hand), and the rules for error rows and mixed series;
// then a run of the dataset runner on an affine model, where Taylor is exact and must agree
// with Monte Carlo within its intervals.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "catch_shim.hpp"
#include "probust/dataset.hpp"
#include "probust/estimators/monte_carlo.hpp"
#include "probust/estimators/taylor.hpp"
#include "probust/models/affine.hpp"
#include "probust/noise.hpp"
#include "probust/summary.hpp"
#include "test_support.hpp"

namespace {

probust::dataset_row row(std::uint64_t id, const std::string& estimator, double p,
                         int predicted, int label = -1, double sigma = 0.1) {
  probust::dataset_row r;
  r.point_id = id;
  r.label = label;
  r.estimator = estimator;
  r.sigma = sigma;
  r.result.probability = p;
  r.result.complement = 1.0 - p;
  r.result.lower = p - 0.01;
  r.result.upper = p + 0.01;
  r.result.predicted_class = predicted;
  return r;
}

probust::dataset_row error_row(std::uint64_t id, const std::string& estimator, int label) {
  probust::dataset_row r;
  r.point_id = id;
  r.label = label;
  r.estimator = estimator;
  r.sigma = 0.1;
  r.status = probust::row_status::error;
  r.message = "model threw";
  return r;
}

}  // namespace

TEST_CASE("per_class_summary: means and Student-t intervals per class") {
  // Class 0: p = 0.5, 0.6, 0.7, 0.8, 0.9 → mean 0.7, s = √(0.1/4) = 0.158114; the 95%
  // interval uses t_{0.975, 4} = 2.776445 (published tables): 0.7 ∓ 2.776445·s/√5.
  // Class 3: one point → [0, 1]. Label 7: one error row and one point.
  std::vector<probust::dataset_row> rows;
  const double ps[] = {0.5, 0.6, 0.7, 0.8, 0.9};
  for (int i = 0; i < 5; ++i) rows.push_back(row(i, "taylor", ps[i], 0, 0));
  rows.push_back(row(5, "taylor", 0.95, 3, 3));
  rows.push_back(error_row(6, "taylor", 7));
  rows.push_back(row(7, "taylor", 0.25, 7, 7));

  const auto by_label = probust::per_class_summary(rows, probust::class_key::label);
  REQUIRE(by_label.size() == 3);
  const double s = std::sqrt(0.1 / 4.0);
  const double half = 2.776445105197799 * s / std::sqrt(5.0);
  CHECK(by_label[0].class_id == 0);
  CHECK(by_label[0].points == 5);
  CHECK(by_label[0].mean == Approx(0.7));
  CHECK(by_label[0].deviation == Approx(s));
  CHECK(by_label[0].lower == Approx(0.7 - half).epsilon(1e-9));
  CHECK(by_label[0].upper == Approx(0.7 + half).epsilon(1e-9));
  CHECK(by_label[0].estimate_lower == Approx(0.69));
  CHECK(by_label[0].estimate_upper == Approx(0.71));
  CHECK(by_label[1].class_id == 3);
  CHECK(by_label[1].lower == 0.0);
  CHECK(by_label[1].upper == 1.0);
  CHECK(by_label[2].class_id == 7);
  CHECK(by_label[2].points == 1);
  CHECK(by_label[2].errors == 1);
  CHECK(by_label[2].mean == Approx(0.25));

  // By predicted class: the error row has no class and is left out of every group.
  const auto by_prediction = probust::per_class_summary(rows);
  REQUIRE(by_prediction.size() == 3);
  CHECK(by_prediction[2].errors == 0);

  // A 90% interval is narrower: t_{0.95, 4} = 2.131847.
  const auto ninety = probust::per_class_summary(rows, probust::class_key::label, 0.9);
  CHECK(ninety[0].upper - ninety[0].mean == Approx(2.131846786326649 * s / std::sqrt(5.0)));

  // Mixed estimators or σ, a missing label, a bad confidence: errors, not wrong numbers.
  auto mixed = rows;
  mixed.push_back(row(8, "monte_carlo", 0.5, 0, 0));
  CHECK_THROWS_AS(probust::per_class_summary(mixed), probust::invalid_argument);
  auto sigmas = rows;
  sigmas.push_back(row(8, "taylor", 0.5, 0, 0, 0.2));
  CHECK_THROWS_AS(probust::per_class_summary(sigmas), probust::invalid_argument);
  auto unlabelled = rows;
  unlabelled.push_back(row(8, "taylor", 0.5, 0));
  CHECK_THROWS_AS(probust::per_class_summary(unlabelled, probust::class_key::label),
                  probust::invalid_argument);
  CHECK_NOTHROW(probust::per_class_summary(unlabelled));
  CHECK_THROWS_AS(probust::per_class_summary(rows, probust::class_key::label, 1.0),
                  probust::invalid_argument);
}

TEST_CASE("select_rows and most_vulnerable: ranking by 1 − p, near 1 included") {
  std::vector<probust::dataset_row> rows;
  rows.push_back(row(0, "taylor", 0.9, 1));
  rows.push_back(row(1, "taylor", 1.0, 1));
  rows.back().result.complement = 1e-12;
  rows.push_back(row(2, "taylor", 1.0, 2));
  rows.back().result.complement = 1e-9;
  rows.push_back(row(3, "taylor", 0.9, 4));  // ties with point 0: id order
  rows.push_back(error_row(4, "taylor", 2));
  rows.push_back(row(5, "taylor", 0.3, 0));
  rows.push_back(row(5, "monte_carlo", 0.31, 0));
  rows.push_back(row(5, "taylor", 0.2, 0, -1, 0.4));

  const auto taylor = probust::select_rows(rows, "taylor", 0.1);
  CHECK(taylor.size() == 6);
  CHECK(probust::select_rows(rows, "taylor").size() == 7);
  const auto ranked = probust::most_vulnerable(taylor, 10);
  REQUIRE(ranked.size() == 5);  // the error row is not ranked
  const std::uint64_t expected[] = {5, 0, 3, 2, 1};
  for (std::size_t i = 0; i < 5; ++i) CHECK(ranked[i].point_id == expected[i]);
  CHECK(probust::most_vulnerable(taylor, 2).size() == 2);
  CHECK_THROWS_AS(probust::most_vulnerable(rows, 3), probust::invalid_argument);
}

TEST_CASE("agreement: MAE, max error, Spearman's ρ and reference coverage") {
  // p_ref = 1, 2, 3, 4, 5 (scaled by 0.1), p = 5, 6, 7, 8, 7 (scaled): ranks of p are
  // 1, 2, 3.5, 5, 3.5, so ρ = Σ dx·dy / √(Σdx² Σdy²) = 8 / √(10 · 9.5) = 0.820783.
  std::vector<probust::dataset_row> rows;
  const double ref[] = {0.1, 0.2, 0.3, 0.4, 0.5};
  const double est[] = {0.5, 0.6, 0.7, 0.8, 0.7};
  for (int i = 0; i < 5; ++i) {
    rows.push_back(row(i, "monte_carlo", ref[i], 0));
    rows.push_back(row(i, "taylor", est[i], 0));
  }
  rows[0].result.upper = 0.6;  // point 0: the estimate lies in the reference interval
  rows.push_back(row(9, "taylor", 0.5, 0));  // no partner
  rows.push_back(error_row(10, "monte_carlo", 0));
  rows.push_back(row(10, "taylor", 0.5, 0));  // partner is an error row
  rows.push_back(row(0, "softmax", 0.99, 0));  // another estimator: ignored
  const auto a = probust::agreement(rows, "taylor");
  CHECK(a.pairs == 5);
  CHECK(a.skipped == 3);
  CHECK(a.mae == Approx((0.4 + 0.4 + 0.4 + 0.4 + 0.2) / 5.0));
  CHECK(a.max_error == Approx(0.4));
  CHECK(a.rank_correlation == Approx(8.0 / std::sqrt(95.0)).epsilon(1e-12));
  CHECK(a.within_reference == Approx(0.2));
  CHECK_THROWS_AS(probust::agreement(rows, "mmse"), probust::invalid_argument);
  CHECK_THROWS_AS(probust::agreement(rows, "taylor", "taylor"), probust::invalid_argument);
  // A constant estimate has no ranking information: ρ = 0.
  for (auto& r : rows) {
    if (r.estimator == "taylor") r.result.probability = 1.0;
  }
  CHECK(probust::agreement(rows, "taylor").rank_correlation == 0.0);
}

TEST_CASE("summaries of a dataset run: Taylor is exact on an affine model") {
  // 60 points of a 4-class affine model in d = 5, σ = 0.5: Taylor's p is exact (up to the
  // MVN error ≤ 1e-4), so Monte Carlo (n = 4000, its own stream per point) must contain it
  // in its 95% interval at ≈ 95% of the points (≥ 80% of 60 fails with probability
  // < 1e-4 if the intervals are right), and the two rankings agree closely.
  const auto model = probust_test::random_affine(4, 5, 3, 0x5a11);
  const Eigen::MatrixXd points = 0.6 * probust_test::normal_matrix(60, 5, 0x9041, 0);
  std::vector<int> labels;
  for (int i = 0; i < 60; ++i) labels.push_back(i % 3);
  probust::monte_carlo_options mc_options;
  mc_options.sampling.samples = 4000;
  probust::dataset_options run;
  run.threads = 2;
  const auto rows = probust::run_dataset(model, points, labels, probust::isotropic_gaussian(0.5),
                                         run, probust::taylor_estimator<>(),
                                         probust::monte_carlo_estimator<>(mc_options));
  REQUIRE(rows.size() == 120);
  const auto a = probust::agreement(rows, "monte_carlo", "taylor");
  CHECK(a.pairs == 60);
  CHECK(a.skipped == 0);
  const auto reverse = probust::agreement(rows, "taylor", "monte_carlo");
  CHECK(reverse.within_reference >= 0.8);
  CHECK(reverse.mae < 0.02);  // ≈ the mean MC standard error, ≤ √(0.25/4000) = 0.008
  CHECK(reverse.rank_correlation > 0.9);
  const auto taylor = probust::select_rows(rows, "taylor");
  const auto classes = probust::per_class_summary(taylor, probust::class_key::label);
  REQUIRE(classes.size() == 3);
  for (const auto& c : classes) {
    CHECK(c.points == 20);
    CHECK(c.lower <= c.mean);
    CHECK(c.mean <= c.upper);
  }
  const auto worst = probust::most_vulnerable(taylor, 5);
  REQUIRE(worst.size() == 5);
  for (const auto& r : taylor) CHECK(r.result.complement <= worst.front().result.complement);
}
