#pragma once
// merge_command.hpp — `probust-cli merge`: joins the outputs of `estimate --shard i/N`
// (in any order, CSV or JSON Lines) into the file the unsharded run writes: the same
// rows in the same order (σ as given, then point id, then estimator as given), so the
// merged file equals the unsharded output byte for byte except the `seconds` column.
//
// Before writing anything it checks that the parts fit together:
//   * every part has the same σ values and estimators, in the same order (same run);
//   * no (σ, point, estimator) appears twice, within a part or across parts;
//   * every point of a part has a row for every (σ, estimator) (no truncated part);
//   * the point ids have no holes between or inside the parts (a missing shard), unless
//     --allow-gaps; with --expect-points N, exactly N points in all (a missing first or
//     last shard leaves no hole, so only this catches it).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <probust/dataset.hpp>
#include <string>
#include <utility>
#include <vector>

#include "arguments.hpp"
#include "row_files.hpp"

namespace probust_cli {

inline const char* const merge_help = R"help(usage: probust-cli merge [options] PART...

Joins the result files of `probust-cli estimate --shard I/N` (CSV or JSON Lines, detected
from the content; in any order) into one file with the rows of the unsharded run in its
order: sigma (as given to estimate), then point id, then estimator (as given). The result
equals the unsharded output byte for byte except the `seconds` column.

Checks (any failure: exit status 1, nothing written):
  * all parts come from the same kind of run: the same sigma values and estimators, in the
    same order;
  * no (sigma, point, estimator) appears twice (e.g. a shard given twice, or shards of
    different --shard counts);
  * every point has a row for every (sigma, estimator) (a truncated part);
  * no point ids are missing between or inside parts (a missing shard); the message
    names the files on both sides of the gap.
  * every part is a readable, well-formed result file (not a directory).
Parts that were run with different options (--samples, --seed, ...) cannot be told apart
from the rows: use the same command line for every shard.

Options:
  --output FILE          merged file; written as FILE.partial-<16 hex digits> and renamed
                         when complete, as for estimate (not a part). Default: stdout.
  --format FORMAT        csv | jsonl. Default: from the extension of FILE (.jsonl, .ndjson,
                         .json: jsonl; .csv: csv), else the format of the first part.
  --allow-gaps           accept missing point ids (merge whatever shards are there).
  --expect-points N      require exactly N distinct points in all (detects a missing first
                         or last shard, which leaves no gap).

Exit status: 0 success, 1 unreadable, malformed or incompatible parts, 2 bad command line.
)help";

struct merge_settings {
  std::vector<std::string> parts;
  std::string output;
  bool format_given = false;
  row_format format = row_format::csv;
  bool allow_gaps = false;
  bool expect_points_given = false;
  std::uint64_t expect_points = 0;
};

/// Parses `probust-cli merge ...`. False if --help was printed.
inline bool parse_merge(int argc, const char* const* argv, merge_settings& s) {
  command_line cl("merge");
  cl.positionals(s.parts);
  cl.option("--output", [&](const std::string& v) { s.output = v; });
  cl.option("--format", [&](const std::string& v) {
    s.format = parse_format("--format", v);
    s.format_given = true;
  });
  cl.flag("--allow-gaps", [&] { s.allow_gaps = true; });
  cl.option("--expect-points", [&](const std::string& v) {
    s.expect_points = parse_count("--expect-points", v);
    s.expect_points_given = true;
  });
  if (!cl.parse(argc, argv)) {
    std::fputs(merge_help, stdout);
    return false;
  }
  if (s.parts.empty()) throw usage_error("merge: no input files (see probust-cli merge --help)");
  return true;
}

namespace detail {

/// σ values compare equal when equal or both NaN (rows of a non-isotropic noise).
inline bool same_sigma(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

inline std::string sigma_text(double sigma) {
  return std::isnan(sigma) ? "(none)" : format_number(sigma);
}

/// The σ values and estimators of a part, in the order of their first appearance — the
/// order of --sigmas and --estimators of the run that wrote it.
struct run_layout {
  std::vector<double> sigmas;
  std::vector<std::string> estimators;

  std::size_t sigma_index(double sigma) const {
    for (std::size_t i = 0; i < sigmas.size(); ++i) {
      if (same_sigma(sigmas[i], sigma)) return i;
    }
    return sigmas.size();
  }
  std::size_t estimator_index(const std::string& name) const {
    return static_cast<std::size_t>(std::find(estimators.begin(), estimators.end(), name) -
                                    estimators.begin());
  }
  std::string describe() const {
    std::string text = "sigma ";
    for (std::size_t i = 0; i < sigmas.size(); ++i) text += (i ? "," : "") + sigma_text(sigmas[i]);
    text += "; estimators ";
    for (std::size_t i = 0; i < estimators.size(); ++i) text += (i ? "," : "") + estimators[i];
    return text;
  }
  bool operator==(const run_layout& o) const {
    return estimators == o.estimators && sigmas.size() == o.sigmas.size() &&
           std::equal(sigmas.begin(), sigmas.end(), o.sigmas.begin(), same_sigma);
  }
};

inline run_layout layout_of(const std::vector<probust::dataset_row>& rows) {
  run_layout layout;
  for (const probust::dataset_row& row : rows) {
    if (layout.sigma_index(row.sigma) == layout.sigmas.size()) layout.sigmas.push_back(row.sigma);
    if (layout.estimator_index(row.estimator) == layout.estimators.size()) {
      layout.estimators.push_back(row.estimator);
    }
  }
  return layout;
}

/// Where a row goes in the merged order: (σ index, point id, estimator index).
struct row_key {
  std::size_t sigma;
  std::uint64_t point;
  std::size_t estimator;
  bool operator<(const row_key& o) const {
    if (sigma != o.sigma) return sigma < o.sigma;
    if (point != o.point) return point < o.point;
    return estimator < o.estimator;
  }
};

/// Checks one part on its own (no duplicate, no missing (σ, estimator) of a point) and
/// returns its point ids, ascending.
inline std::vector<std::uint64_t> check_part(const row_file& part, const run_layout& layout) {
  std::map<std::uint64_t, std::vector<bool>> seen;  // point → (σ, estimator) cells present
  const std::size_t cells = layout.sigmas.size() * layout.estimators.size();
  for (std::size_t r = 0; r < part.rows.size(); ++r) {
    const probust::dataset_row& row = part.rows[r];
    std::vector<bool>& point = seen[row.point_id];
    point.resize(cells, false);
    const std::size_t cell = layout.sigma_index(row.sigma) * layout.estimators.size() +
                             layout.estimator_index(row.estimator);
    if (point[cell]) {
      throw data_error(part.path + ": row " + std::to_string(r + 1) + ": a second row for point " +
                       std::to_string(row.point_id) + ", sigma " + sigma_text(row.sigma) +
                       ", estimator " + row.estimator);
    }
    point[cell] = true;
  }
  std::vector<std::uint64_t> ids;
  for (const auto& [id, present] : seen) {
    for (std::size_t cell = 0; cell < cells; ++cell) {
      if (!present[cell]) {
        throw data_error(part.path + ": point " + std::to_string(id) + " has no row for sigma " +
                         sigma_text(layout.sigmas[cell / layout.estimators.size()]) +
                         ", estimator " + layout.estimators[cell % layout.estimators.size()] +
                         " (is the file incomplete?)");
      }
    }
    ids.push_back(id);
  }
  return ids;
}

/// Checks the point ids of all parts together: none in two parts, no gap (unless
/// allowed), the expected count. `ids[p]` are the ascending ids of part p.
inline void check_points(const std::vector<row_file>& parts,
                         const std::vector<std::vector<std::uint64_t>>& ids,
                         const merge_settings& s) {
  std::vector<std::pair<std::uint64_t, std::size_t>> all;  // (point id, part)
  for (std::size_t p = 0; p < parts.size(); ++p) {
    for (const std::uint64_t id : ids[p]) all.emplace_back(id, p);
  }
  std::sort(all.begin(), all.end());
  for (std::size_t i = 1; i < all.size(); ++i) {
    const auto [id, part] = all[i];
    const auto [previous, previous_part] = all[i - 1];
    if (id == previous) {
      throw data_error("point " + std::to_string(id) + " is in both " + parts[previous_part].path +
                       " and " + parts[part].path +
                       " (the same shard twice, or shards of different --shard counts?)");
    }
    if (id != previous + 1 && !s.allow_gaps) {
      const std::string missing =
          id == previous + 2
              ? "point " + std::to_string(previous + 1) + " is"
              : "points " + std::to_string(previous + 1) + " to " + std::to_string(id - 1) + " are";
      const std::string where = part == previous_part
                                    ? "inside " + parts[part].path
                                    : "between " + parts[previous_part].path + " (its last point " +
                                          std::to_string(previous) + ") and " + parts[part].path +
                                          " (its first point " + std::to_string(id) + ")";
      throw data_error(missing + " missing " + where +
                       ": is a shard missing? (--allow-gaps merges anyway)");
    }
  }
  if (s.expect_points_given && all.size() != s.expect_points) {
    throw data_error("the parts have " + std::to_string(all.size()) + " points, --expect-points " +
                     "wants " + std::to_string(s.expect_points) + ": is a shard missing?");
  }
}

}  // namespace detail

/// `probust-cli merge`: reads and checks every part, then writes the rows in the order of
/// the unsharded run. Prints one closing line on stderr.
inline int run_merge(const merge_settings& s) {
  std::vector<row_file> parts;
  for (const std::string& path : s.parts) parts.push_back(read_rows(path));

  // The layout of the run: that of the first part with rows; every other part must match.
  const row_file* reference = nullptr;
  for (const row_file& part : parts) {
    if (!part.rows.empty() && !reference) reference = &part;
  }
  const detail::run_layout layout =
      reference ? detail::layout_of(reference->rows) : detail::run_layout{};
  std::vector<std::vector<std::uint64_t>> ids;
  std::size_t total = 0;
  for (const row_file& part : parts) {
    if (!part.rows.empty() && !(detail::layout_of(part.rows) == layout)) {
      throw data_error(part.path + " and " + reference->path + " come from different runs: " +
                       detail::layout_of(part.rows).describe() + " vs " + layout.describe());
    }
    ids.push_back(detail::check_part(part, layout));
    total += part.rows.size();
  }
  detail::check_points(parts, ids, s);

  // All rows in the unsharded order.
  std::vector<std::pair<detail::row_key, probust::dataset_row*>> order;
  order.reserve(total);
  for (row_file& part : parts) {
    for (probust::dataset_row& row : part.rows) {
      order.emplace_back(detail::row_key{layout.sigma_index(row.sigma), row.point_id,
                                         layout.estimator_index(row.estimator)},
                         &row);
    }
  }
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<probust::dataset_row> merged;
  merged.reserve(total);
  for (auto& entry : order) merged.push_back(std::move(*entry.second));

  const row_format fallback = reference ? reference->format : parts.front().format;
  const row_format format = s.format_given ? s.format : format_of_path(s.output, fallback);
  std::vector<input_file> inputs;
  for (const std::string& path : s.parts) inputs.push_back({"part", path});
  std::string target;
  with_output(s.output, format, inputs, [&](row_output& out) {
    target = out.target();
    out.write(merged);
  });
  std::uint64_t points = 0;
  for (const auto& part_ids : ids) points += part_ids.size();
  std::fprintf(stderr, "probust-cli: merged %zu parts: %zu rows, %llu points (%s) written to %s\n",
               parts.size(), merged.size(), static_cast<unsigned long long>(points),
               layout.describe().c_str(), target.c_str());
  return exit_success;
}

}  // namespace probust_cli
