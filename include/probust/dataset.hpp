#pragma once
/// \file dataset.hpp
/// The batch runner: every estimator at every point of a data set, on a pool of threads,
/// with progress reporting (a callback; probust/progress.hpp has a terminal bar), sharding
/// and per-point error isolation. The rows it returns
/// are reproducible bit for bit (all fields but the wall time `seconds`) whatever the
/// thread count and the shard split. dataset_io.hpp writes and reads them (CSV, JSON Lines).

#include <Eigen/Dense>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "probust/estimators/any_estimator.hpp"
#include "probust/detail/thread_pool.hpp"
#include "probust/errors.hpp"
#include "probust/estimators/result.hpp"
#include "probust/noise.hpp"
#include "probust/random.hpp"

namespace probust {

/// The outcome of one (point, estimator) evaluation of run_dataset.
enum class row_status {
  ok,             ///< the estimate is valid and converged
  not_converged,  ///< the estimate is valid but its budget ran out (result.converged false)
  error           ///< the estimate threw, or returned a non-finite probability or bound
};

/// "ok", "not_converged" or "error" (the spelling of the `status` column of the files).
inline const char* row_status_name(row_status status) noexcept {
  switch (status) {
    case row_status::ok:
      return "ok";
    case row_status::not_converged:
      return "not_converged";
    case row_status::error:
      return "error";
  }
  return "error";
}

/// The former name of row_status_name.
[[deprecated("use probust::row_status_name")]] inline const char* to_string(
    row_status status) noexcept {
  return row_status_name(status);
}

/// One (point, estimator) evaluation of run_dataset: which point and estimator, the
/// result, the wall time and the status. Every field except `seconds` is reproducible
/// bit for bit (see run_dataset).
struct dataset_row {
  /// options.first_id + the index of the point's row in `points`.
  std::uint64_t point_id = 0;
  /// The point's true label when labels were given, else −1.
  int label = -1;
  /// estimator.name() (authoritative; result.estimator may be "" for rows read from files).
  std::string estimator;
  /// σ of an isotropic_gaussian noise; NaN for other noise types.
  double sigma = std::numeric_limits<double>::quiet_NaN();
  /// The estimate; meaningful unless status == row_status::error (then it holds the
  /// default values, or the non-finite result that caused the error).
  robustness_result result{};
  /// Wall time of this estimate in seconds: the only field that is not reproducible.
  double seconds = 0.0;
  /// ok; not_converged when !result.converged; error when the estimate threw or returned
  /// a non-finite probability, lower or upper.
  row_status status = row_status::ok;
  /// The error text (e.what(), or "unknown exception") when status == error, else empty.
  std::string message;
};

/// The progress of a run_dataset call, in points of the shard.
struct dataset_progress {
  std::size_t done = 0;          ///< points whose estimates are all finished
  std::size_t total = 0;         ///< points of the shard
  double elapsed_seconds = 0.0;  ///< wall time since the run started
};

/// The first row of shard `index` of `count` over n rows, ⌊index·n/count⌋, exact for every
/// n, index ≤ count and count ≥ 1 of 64 bits (shard i is rows [shard_begin(n, i, N),
/// shard_begin(n, i + 1, N))). With n = q·count + r (0 ≤ r < count),
///
///     ⌊index·n/count⌋ = index·q + ⌊index·r/count⌋,
///
/// where index·q ≤ n, and ⌊index·r/count⌋ is computed by binary long multiplication
/// modulo count (the bits of index from the top: double, then add r, each step keeping
/// the remainder below count and carrying into the quotient), so no intermediate value
/// exceeds 2⁶⁴ − 1 although index·r may. Returns 0 when count is 0.
inline std::uint64_t shard_begin(std::uint64_t n, std::uint64_t index,
                                 std::uint64_t count) noexcept {
  if (count == 0) return 0;
  const std::uint64_t r = n % count;
  std::uint64_t quotient = 0, remainder = 0;  // of (the bits of index so far)·r by count
  for (int bit = 63; bit >= 0; --bit) {
    // (quotient, remainder) ← 2·(quotient, remainder); remainder < count never overflows.
    quotient *= 2;
    if (remainder >= count - remainder) {
      remainder -= count - remainder;
      ++quotient;
    } else {
      remainder *= 2;
    }
    if ((index >> bit) & 1U) {  // + r
      if (remainder >= count - r) {
        remainder -= count - r;
        ++quotient;
      } else {
        remainder += r;
      }
    }
  }
  return index * (n / count) + quotient;
}

/// Options of run_dataset. An aggregate; every member has its documented default.
struct dataset_options {
  /// Worker threads; 0 (default) = std::thread::hardware_concurrency() (at least 1).
  /// Never more than the number of points of the shard. 1 runs everything on the calling
  /// thread (no thread is started), for models that are not thread-safe.
  unsigned threads = 0;
  /// The shard this call evaluates, in [0, shard_count) (default 0).
  std::size_t shard_index = 0;
  /// Number of shards (default 1: all points), any value ≥ 1. The n points are split into
  /// contiguous blocks, shard i = rows [⌊i·n/N⌋, ⌊(i+1)·n/N⌋) (probust::shard_begin), so
  /// concatenating the rows of shards 0, …, N−1 in order reproduces the unsharded run
  /// exactly.
  std::size_t shard_count = 1;
  /// The point id of row 0 of `points` (default 0); row i has id first_id + i. The id
  /// selects the random stream of stochastic estimators, so a data set split over several
  /// calls (or files) reproduces the single call when each part gets its true first_id.
  /// The ids must not wrap: first_id + n − 1 ≤ 2⁶⁴ − 1 for n rows (else run_dataset
  /// throws, as two points would share a random stream).
  std::uint64_t first_id = 0;
  /// Called with the progress on the calling thread, at the start (done = 0), at most
  /// every 100 ms while running, and once at the end (done == total); done never
  /// decreases. If it throws, the workers finish their current point, are joined, and the
  /// exception propagates out of run_dataset. Empty (default): no progress is reported
  /// and nothing is drawn. For a bar on the terminal, include <probust/progress.hpp> and
  /// set `progress = probust::progress_bar{}`.
  std::function<void(const dataset_progress&)> progress;
};

namespace detail {

/// σ of an isotropic_gaussian noise, NaN for any other noise type.
template <class Noise>
double isotropic_sigma(const Noise&) noexcept {
  return std::numeric_limits<double>::quiet_NaN();
}
template <class U>
double isotropic_sigma(const isotropic_gaussian<U>& noise) noexcept {
  return static_cast<double>(noise.sigma());
}

/// The message of the exception `error`: what() of a std::exception, else
/// "unknown exception".
inline std::string exception_message(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

/// Marks `row` as an error with the message of `error`.
inline void set_error(dataset_row& row, const std::exception_ptr& error) {
  row.status = row_status::error;
  row.message = exception_message(error);
}

/// Fills result, status, message and seconds of `row` from `estimate()`, a call of one
/// estimator at one point; an exception becomes an error row.
template <class Estimate>
void evaluate_row(dataset_row& row, Estimate&& estimate) noexcept {
  const auto start = std::chrono::steady_clock::now();
  try {
    row.result = estimate();
    const robustness_result& r = row.result;
    if (!(std::isfinite(r.probability) && std::isfinite(r.lower) && std::isfinite(r.upper))) {
      row.status = row_status::error;
      row.message =
          "probust::run_dataset: the estimator returned a non-finite probability or "
          "bound";
    } else {
      row.status = r.converged ? row_status::ok : row_status::not_converged;
    }
  } catch (...) {
    set_error(row, std::current_exception());
  }
  row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Reports progress through options.progress (or not at all, when it is empty), at most
/// once per 100 ms except for the first and the final report.
class progress_reporter {
 public:
  progress_reporter(const dataset_options& options, std::size_t total)
      : callback_(options.progress), total_(total), start_(clock::now()) {}

  /// Reports `done` if it is new and 100 ms have passed since the last report (or it is
  /// the first report).
  void update(std::size_t done) {
    const clock::time_point now = clock::now();
    if (reported_ && (done == last_done_ || now - last_report_ < interval)) return;
    report(done, now);
  }

  /// The final report, done == total (unless that was already reported).
  void finish() {
    if (!reported_ || last_done_ != total_) report(total_, clock::now());
  }

 private:
  using clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds interval{100};

  void report(std::size_t done, clock::time_point now) {
    reported_ = true;
    last_done_ = done;
    last_report_ = now;
    if (callback_) {
      const double elapsed = std::chrono::duration<double>(now - start_).count();
      callback_(dataset_progress{done, total_, elapsed});
    }
  }

  const std::function<void(const dataset_progress&)>& callback_;  // the user's, not a copy
  std::size_t total_;
  clock::time_point start_;
  clock::time_point last_report_{};
  std::size_t last_done_ = 0;
  bool reported_ = false;
};

/// The points of the shard of a run_dataset call: rows [begin, begin + count) of `points`.
struct shard_rows {
  std::size_t begin = 0;
  std::size_t count = 0;
};

/// Checks the arguments common to every run_dataset overload (see run_dataset's Errors)
/// and returns the shard's rows.
template <class T, class Noise>
shard_rows check_run(const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& points,
                     const std::vector<int>& labels, const Noise& noise,
                     const dataset_options& options) {
  constexpr const char* fn = "probust::run_dataset";
  const auto n = static_cast<std::size_t>(points.rows());
  if (options.shard_count == 0) throw_invalid_argument(fn, "shard_count must be >= 1");
  if (options.shard_index >= options.shard_count) {
    throw_invalid_argument(fn, "shard_index " + std::to_string(options.shard_index) +
                                   " is not below shard_count " +
                                   std::to_string(options.shard_count));
  }
  if (!labels.empty() && labels.size() != n) {
    throw_invalid_argument(fn, "labels has " + std::to_string(labels.size()) +
                                   " entries but points has " + std::to_string(n) + " rows");
  }
  if (n > 0 && points.cols() == 0) throw_invalid_argument(fn, "points has no columns");
  if (n > 0) noise.check_dimension(points.cols(), fn);

  if (n > 0 && options.first_id > std::numeric_limits<std::uint64_t>::max() - (n - 1)) {
    throw_invalid_argument(
        fn, "first_id " + std::to_string(options.first_id) + " + " + std::to_string(n) +
                " rows - 1 exceeds 2^64 - 1: the point ids would wrap and reuse the random "
                "streams of other points");
  }
  const auto begin =
      static_cast<std::size_t>(shard_begin(n, options.shard_index, options.shard_count));
  const auto end =
      static_cast<std::size_t>(shard_begin(n, options.shard_index + 1, options.shard_count));
  return {begin, end - begin};
}

/// Evaluates a grid of (σ index s < sigmas.size(), point i of the shard, estimator e <
/// names.size()) into rows ordered by s, then point, then e: row ((s·count + i)·E + e).
/// `evaluate(row, x, s, e)` fills result, status, message and seconds of one row and must
/// not throw (detail::evaluate_row). Threads and progress as run_dataset documents.
template <class T, class Evaluate>
std::vector<dataset_row> run_grid(const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& points,
                                  const std::vector<int>& labels, const dataset_options& options,
                                  const shard_rows& shard, const std::vector<double>& sigmas,
                                  const std::vector<const char*>& names, const Evaluate& evaluate) {
  const std::size_t count = shard.count;
  const std::size_t k = names.size();
  std::vector<dataset_row> rows(sigmas.size() * count * k);
  const auto row_of = [&](std::size_t s, std::size_t i, std::size_t e) -> dataset_row& {
    return rows[(s * count + i) * k + e];
  };
  for (std::size_t s = 0; s < sigmas.size(); ++s) {
    for (std::size_t i = 0; i < count; ++i) {
      for (std::size_t e = 0; e < k; ++e) {
        dataset_row& row = row_of(s, i, e);
        row.point_id = options.first_id + (shard.begin + i);
        row.label = labels.empty() ? -1 : labels[shard.begin + i];
        row.estimator = names[e];
        row.sigma = sigmas[s];
      }
    }
  }

  // All rows of point i of the shard; never throws (failures become error rows).
  const auto evaluate_point = [&](std::size_t i) noexcept {
    Eigen::Matrix<T, Eigen::Dynamic, 1> x;
    try {
      x = points.row(static_cast<Eigen::Index>(shard.begin + i)).transpose();
    } catch (...) {
      for (std::size_t s = 0; s < sigmas.size(); ++s) {
        for (std::size_t e = 0; e < k; ++e) set_error(row_of(s, i, e), std::current_exception());
      }
      return;
    }
    for (std::size_t s = 0; s < sigmas.size(); ++s) {
      for (std::size_t e = 0; e < k; ++e) evaluate(row_of(s, i, e), x, s, e);
    }
  };

  unsigned threads = options.threads != 0 ? options.threads : std::thread::hardware_concurrency();
  threads = static_cast<unsigned>(std::min<std::size_t>(std::max(threads, 1U), count));
  progress_reporter reporter(options, count);
  reporter.update(0);
  run_parallel(count, threads, evaluate_point, [&](std::size_t done) { reporter.update(done); });
  reporter.finish();
  return rows;
}

}  // namespace detail

/// Evaluates every estimator at every point of one shard of a data set:
///
///     for each point x_i (row i of `points`) in the shard, for each estimator e:
///         row = e.estimate(model, x_i, noise)        (or with an engine, see below)
///
/// `points` holds one point per row (n × d, as read from a CSV file); `labels` is empty
/// or holds the true label of each row (copied into the rows, not used otherwise).
///
/// Rows. The result has exactly one row per (point of the shard, estimator), ordered by
/// point id and then by the order of the estimators in the call — never a missing row.
///
/// Reproducibility. A stochastic estimator (one with `estimate(model, x, noise, engine)`
/// and a seed in its options, `seed` or `sampling.seed`: monte_carlo, mmse,
/// mmse_mv_sigmoid, control_variate) gets the engine probust::point_engine(seed, point id) at
/// each point; the others are called
/// as estimate(model, x, noise). So every field except `seconds` is bit-identical for
/// any thread count and any shard split (the concatenation of shards 0, …, N−1 is the
/// unsharded run), and a row equals the direct call
/// `e.estimate(model, x, noise, probust::point_engine(seed, id))`. Two stochastic
/// estimators with the same seed see the same noise stream at a point (common random
/// numbers, which makes their differences less noisy); give them different seeds for
/// independent noise.
///
/// Threads. Workers (options.threads, see dataset_options) take the next point from an
/// atomic counter and write its rows into preallocated slots; the calling thread waits
/// and reports progress to options.progress (nothing is drawn unless it is set). The
/// model and the estimators are used concurrently from several threads through the
/// references passed here (`model` with the constness it is passed with): their call
/// operators and `estimate` must be thread-safe for concurrent calls (true of probust's
/// models and estimators); use threads = 1 otherwise.
///
/// Errors. An exception from an estimate (std::exception: its what(); anything else:
/// "unknown exception") or a non-finite probability or bound becomes a row with status
/// error and the message; the run continues. A non-finite input row therefore gives error
/// rows (the estimators reject it). Argument errors of the call itself throw
/// probust::invalid_argument with a message starting "probust::run_dataset": shard_count
/// == 0, shard_index ≥ shard_count, labels neither empty nor one per row, points with
/// rows but no columns, a noise of another dimension than the points, first_id + n − 1
/// beyond 2⁶⁴ − 1 (wrapping point ids). An exception from the progress callback stops the
/// run (workers finish their current point and are joined) and propagates.
template <class Model, class T, class Noise, class... Estimators>
std::vector<dataset_row> run_dataset(Model&& model,
                                     const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& points,
                                     const std::vector<int>& labels, const Noise& noise,
                                     const dataset_options& options,
                                     const Estimators&... estimators) {
  static_assert(sizeof...(Estimators) > 0, "probust::run_dataset: give at least one estimator");
  const detail::shard_rows shard = detail::check_run(points, labels, noise, options);
  const std::vector<const char*> names = {estimators.name()...};
  const auto evaluate = [&](dataset_row& row, const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                            std::size_t, std::size_t e) noexcept {
    std::size_t j = 0;  // the estimator e of the pack
    const auto if_e = [&](const auto& estimator) {
      if (j++ != e) return;
      detail::evaluate_row(
          row, [&] { return detail::estimate_at(estimator, model, x, noise, row.point_id); });
    };
    (if_e(estimators), ...);
  };
  return detail::run_grid(points, labels, options, shard, {detail::isotropic_sigma(noise)}, names,
                          evaluate);
}

/// run_dataset with the estimators chosen at run time: the rows of the call with the same
/// estimators as a pack, in the order of the list (bit for bit: every stochastic estimator
/// draws from probust::point_engine(seed, point id)). `estimators` must not be empty.
template <class M, class Model, class T, class Noise,
          class = std::enable_if_t<std::is_same_v<std::decay_t<M>, Model>>>
std::vector<dataset_row> run_dataset(
    M&& model, const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& points,
    const std::vector<int>& labels, const Noise& noise, const dataset_options& options,
    const std::vector<any_estimator<Model, T, Noise>>& estimators) {
  if (estimators.empty()) {
    detail::throw_invalid_argument("probust::run_dataset", "the list of estimators is empty");
  }
  const detail::shard_rows shard = detail::check_run(points, labels, noise, options);
  std::vector<const char*> names;
  for (const auto& estimator : estimators) names.push_back(estimator.name());
  const auto evaluate = [&](dataset_row& row, const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                            std::size_t, std::size_t e) noexcept {
    detail::evaluate_row(row,
                         [&] { return estimators[e].estimate_at(model, x, noise, row.point_id); });
  };
  return detail::run_grid(points, labels, options, shard, {detail::isotropic_sigma(noise)}, names,
                          evaluate);
}

/// run_dataset on a grid of noise levels: isotropic_gaussian<T>(σ) for each σ of `sigmas`
/// (finite, > 0, no repeats needed but allowed), with the estimators chosen at run time.
/// Rows are ordered by σ (as given), then point id, then estimator (as listed): the
/// concatenation of the single-σ calls, bit for bit (the random stream of a point depends
/// on the seed and the point id only, not on σ). A worker evaluates all σ and estimators of
/// a point, so progress counts points. Throws probust::invalid_argument
/// "probust::run_dataset: ..." for an empty list of σ or estimators or a σ that is not
/// finite and > 0, besides the errors of run_dataset.
template <class M, class Model, class T,
          class = std::enable_if_t<std::is_same_v<std::decay_t<M>, Model>>>
std::vector<dataset_row> run_dataset(
    M&& model, const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& points,
    const std::vector<int>& labels, const std::vector<double>& sigmas,
    const dataset_options& options,
    const std::vector<any_estimator<Model, T, isotropic_gaussian<T>>>& estimators) {
  constexpr const char* fn = "probust::run_dataset";
  if (estimators.empty()) detail::throw_invalid_argument(fn, "the list of estimators is empty");
  if (sigmas.empty()) detail::throw_invalid_argument(fn, "the list of sigmas is empty");
  std::vector<isotropic_gaussian<T>> noises;
  std::vector<double> row_sigmas;
  for (std::size_t s = 0; s < sigmas.size(); ++s) {
    if (!(std::isfinite(sigmas[s]) && sigmas[s] > 0.0)) {
      detail::throw_invalid_argument(fn, "sigmas[" + std::to_string(s) + "] = " +
                                             std::to_string(sigmas[s]) + " is not finite and > 0");
    }
    noises.emplace_back(static_cast<T>(sigmas[s]));
    row_sigmas.push_back(detail::isotropic_sigma(noises.back()));
  }
  const detail::shard_rows shard = detail::check_run(points, labels, noises.front(), options);
  std::vector<const char*> names;
  for (const auto& estimator : estimators) names.push_back(estimator.name());
  const auto evaluate = [&](dataset_row& row, const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                            std::size_t s, std::size_t e) noexcept {
    detail::evaluate_row(
        row, [&] { return estimators[e].estimate_at(model, x, noises[s], row.point_id); });
  };
  return detail::run_grid(points, labels, options, shard, row_sigmas, names, evaluate);
}

/// run_dataset without labels (every row has label −1).
template <class Model, class T, class Noise, class... Estimators>
std::vector<dataset_row> run_dataset(Model&& model,
                                     const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>& points,
                                     const Noise& noise, const dataset_options& options,
                                     const Estimators&... estimators) {
  return run_dataset(std::forward<Model>(model), points, std::vector<int>{}, noise, options,
                     estimators...);
}

}  // namespace probust
