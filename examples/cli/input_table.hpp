#pragma once
// input_table.hpp — reading the points to evaluate from a CSV file (RFC 4180, read with
// probust::read_csv_record): one point per record, numbers separated by commas, an
// optional header line, optionally a label column.
//
// Only the block of rows that this process evaluates is kept in memory (the rows chosen
// by --rows, then shard i of N of them), so a job of a cluster array holds 1/N of a large
// data set; every line of the file is still parsed and checked, so every shard reports
// the same errors. Errors name the file, the line and the column:
//     inputs.csv:17: column 3: 'x' is not a number

#include <Eigen/Dense>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <probust/dataset.hpp>
#include <probust/detail/charconv.hpp>
#include <probust/dataset_io.hpp>
#include <probust/errors.hpp>
#include <string>
#include <vector>

#include "arguments.hpp"

namespace probust_cli {

enum class label_column { none, first, last };
enum class header_mode { automatic, present, absent };

/// How to read an inputs file and which of its rows to keep.
struct input_options {
  label_column labels = label_column::none;
  header_mode header = header_mode::automatic;
  double scale = 1.0;  ///< every feature is multiplied by this
  row_range rows;      ///< --rows a:b (data rows, 0-based)
  shard_spec shard;    ///< --shard i/N of the selected rows
};

/// The rows this process evaluates.
struct input_table {
  Eigen::MatrixXd points;           ///< one point per row (features × scale)
  std::vector<int> labels;          ///< one per row, or empty without a label column
  std::uint64_t first_id = 0;       ///< point id of row 0 = its 0-based data row in the file
  std::uint64_t file_rows = 0;      ///< data rows in the file (header and blank lines not counted)
  std::uint64_t selected_rows = 0;  ///< rows in --rows (before sharding)
  std::size_t features = 0;         ///< numbers per point (columns without the label)
};

namespace detail {

/// The fields of the CSV record that starts with `line`, line `line_number` of `path`
/// (probust::read_csv_record, RFC 4180: a field in double quotes may hold commas, quotes
/// and line breaks), each trimmed of spaces and tabs; `line_number` becomes the record's
/// last line. A malformed record is a data_error "<path>:<line>: <problem>".
inline std::vector<std::string> read_fields(std::istream& in, const std::string& line,
                                            const std::string& path,
                                            std::uint64_t& line_number) {
  std::vector<std::string> fields;
  try {
    line_number = probust::read_csv_record(in, line, path,
                                           static_cast<std::size_t>(line_number), fields);
  } catch (const probust::invalid_argument& e) {  // "probust::read_csv_record: <file>:<line>: "
    throw data_error(without_prefix(e.what(), "probust::read_csv_record: "));
  }
  for (std::string& field : fields) field = trim(field);
  return fields;
}

/// Reads the next line without its line end ('\n', "\r\n") and, on line 1, without a
/// UTF-8 byte order mark (spreadsheets write one). False at the end of the file.
inline bool next_line(std::istream& in, std::string& line, std::uint64_t& line_number) {
  if (!std::getline(in, line)) return false;
  ++line_number;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line_number == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
  return true;
}

inline bool is_blank(const std::string& line) { return trim(line).empty(); }

/// True if every field is a number (a line of data rather than a header).
inline bool all_numbers(const std::vector<std::string>& fields) {
  double value = 0.0;
  for (const std::string& f : fields) {
    if (!to_real(f, value)) return false;
  }
  return true;
}

/// The first non-blank line and whether it is a header.
struct first_line_info {
  std::uint64_t line_number = 0;  ///< 0: the file has no non-blank line
  std::size_t columns = 0;
  bool header = false;
};

/// Pass 1: finds the first line, decides whether it is a header, counts the data rows.
inline first_line_info scan(std::istream& in, const std::string& path, header_mode mode,
                            std::uint64_t& data_rows) {
  first_line_info first;
  std::string line;
  std::uint64_t line_number = 0;
  data_rows = 0;
  while (next_line(in, line, line_number)) {
    if (is_blank(line)) continue;
    const std::uint64_t start = line_number;
    const std::vector<std::string> fields = read_fields(in, line, path, line_number);
    if (first.line_number == 0) {
      first.line_number = start;
      first.columns = fields.size();
      first.header =
          mode == header_mode::present || (mode == header_mode::automatic && !all_numbers(fields));
      if (first.header) continue;
    }
    ++data_rows;
  }
  return first;
}

/// The label in field `text`: a non-negative integer.
inline int parse_label(const std::string& text, const std::string& where) {
  const auto parsed = probust::detail::try_parse_integer<int>(text);
  if (!parsed || parsed.value < 0) {
    throw data_error(where + "label '" + text + "' is not a non-negative integer");
  }
  return parsed.value;
}

}  // namespace detail

/// Reads the inputs file `path` (see the file comment) and keeps the rows of this
/// process: data rows [a, b) of --rows, then shard i of N of those. Throws data_error
/// naming the file and line for an unreadable file, a line with another number of fields
/// than the first line, an empty field, a field that is not a finite number, a bad label,
/// or --rows beyond the end of the file.
inline input_table read_inputs(const std::string& path, const input_options& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    throw data_error("cannot open inputs file '" + path + "': " + std::strerror(errno));
  }
  input_table table;
  const detail::first_line_info first = detail::scan(in, path, options.header, table.file_rows);
  if (in.bad()) throw data_error("reading '" + path + "' failed");
  if (first.line_number == 0) throw data_error(path + ": the file is empty");
  const std::size_t label_fields = options.labels == label_column::none ? 0 : 1;
  if (first.columns <= label_fields) {
    throw data_error(path + ":" + std::to_string(first.line_number) + ": " +
                     std::to_string(first.columns) +
                     " column(s) leave no feature next to the label column");
  }
  table.features = first.columns - label_fields;

  // The selected rows [a, b) and this shard's block [begin, end) of them: the split of
  // probust::dataset_options (probust::shard_begin), so the point ids are the same.
  const row_range& r = options.rows;
  const std::uint64_t b = r.end == UINT64_MAX ? table.file_rows : r.end;
  if (r.begin > table.file_rows || b > table.file_rows) {
    throw data_error("--rows " + std::to_string(r.begin) + ":" +
                     (r.end == UINT64_MAX ? "" : std::to_string(r.end)) + ": '" + path +
                     "' has only " + std::to_string(table.file_rows) + " data rows");
  }
  table.selected_rows = b - r.begin;
  const std::uint64_t begin =
      r.begin + probust::shard_begin(table.selected_rows, options.shard.index, options.shard.count);
  const std::uint64_t end =
      r.begin +
      probust::shard_begin(table.selected_rows, options.shard.index + 1, options.shard.count);
  table.first_id = begin;
  table.points.resize(static_cast<Eigen::Index>(end - begin),
                      static_cast<Eigen::Index>(table.features));
  if (label_fields) table.labels.resize(end - begin);

  // Pass 2: parse and check every data line, keep those in [begin, end).
  in.clear();
  in.seekg(0);
  std::string line;
  std::uint64_t line_number = 0;
  std::uint64_t row = 0;
  while (detail::next_line(in, line, line_number)) {
    if (detail::is_blank(line)) continue;
    const std::uint64_t start = line_number;
    const std::string where = path + ":" + std::to_string(start) + ": ";
    const std::vector<std::string> fields = detail::read_fields(in, line, path, line_number);
    if (first.header && start == first.line_number) continue;
    if (fields.size() != first.columns) {
      throw data_error(where + std::to_string(fields.size()) + " fields, expected " +
                       std::to_string(first.columns) + " (as on line " +
                       std::to_string(first.line_number) + ")");
    }
    const bool keep = row >= begin && row < end;
    const Eigen::Index i = keep ? static_cast<Eigen::Index>(row - begin) : 0;
    Eigen::Index feature = 0;
    for (std::size_t c = 0; c < fields.size(); ++c) {
      const bool is_label = (options.labels == label_column::first && c == 0) ||
                            (options.labels == label_column::last && c + 1 == fields.size());
      const std::string at = where + "column " + std::to_string(c + 1) + ": ";
      if (is_label) {
        const int label = detail::parse_label(fields[c], at);
        if (keep) table.labels[static_cast<std::size_t>(i)] = label;
        continue;
      }
      double value = 0.0;
      if (fields[c].empty()) throw data_error(at + "empty field");
      if (!to_real(fields[c], value)) throw data_error(at + "'" + fields[c] + "' is not a number");
      if (!std::isfinite(value)) throw data_error(at + "'" + fields[c] + "' is not finite");
      if (keep) table.points(i, feature) = value * options.scale;
      ++feature;
    }
    ++row;
  }
  if (in.bad()) throw data_error("reading '" + path + "' failed");
  return table;
}

}  // namespace probust_cli
