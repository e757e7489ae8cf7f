#pragma once
/// \file dataset_io.hpp
/// The rows of run_dataset as CSV (RFC 4180) and JSON Lines, written so that they read
/// back bit for bit, and the reader of these CSV files. The schema (one list of columns
/// for both formats) is documented in docs/dataset_format.md. Reading JSON Lines needs a
/// JSON parser, which the library does not depend on: probust-cli's
/// examples/cli/jsonl_reader.hpp reads them with nlohmann/json.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <istream>
#include <limits>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "probust/dataset.hpp"
#include "probust/detail/charconv.hpp"
#include "probust/errors.hpp"
#include "probust/estimators/result.hpp"
#include "probust/model.hpp"

namespace probust {

/// The columns of the CSV header and the keys of the JSON Lines objects, in the order
/// in which the writers write them.
inline constexpr std::array<const char*, 18> dataset_columns = {
    "point_id", "label",    "estimator",          "sigma",   "predicted_class", "probability",
    "lower",    "upper",    "complement",         "error",   "converged",       "model_evaluations",
    "samples",  "jacobian", "variance_reduction", "seconds", "status",          "message"};

namespace detail {

/// Column indices, in the order of dataset_columns.
enum dataset_column : std::size_t {
  col_point_id,
  col_label,
  col_estimator,
  col_sigma,
  col_predicted_class,
  col_probability,
  col_lower,
  col_upper,
  col_complement,
  col_error,
  col_converged,
  col_model_evaluations,
  col_samples,
  col_jacobian,
  col_variance_reduction,
  col_seconds,
  col_status,
  col_message
};

/// What a value is in JSON (CSV does not distinguish): a string, a number, a literal
/// true/false, or null (an empty CSV field).
enum class field_kind { string, number, literal, null };

/// One field of a row, as text (the CSV spelling) and kind.
struct dataset_field {
  field_kind kind = field_kind::null;
  std::string text;
};

using dataset_fields = std::array<dataset_field, dataset_columns.size()>;

/// An unsigned or signed integer field.
template <class Integer>
dataset_field integer_field(Integer value) {
  return {field_kind::number, std::to_string(value)};
}

/// A double field: the shortest decimal that reads back bit-identically
/// (detail::format_double, no locale); NaN → null; ±inf → the string "inf" / "-inf".
inline dataset_field real_field(double value) {
  if (std::isnan(value)) return {};
  if (std::isinf(value)) return {field_kind::string, value > 0 ? "inf" : "-inf"};
  return {field_kind::number, format_double(value)};
}

/// The file spelling of a jacobian_source.
inline const char* jacobian_name(jacobian_source source) noexcept {
  switch (source) {
    case jacobian_source::user:
      return "user";
    case jacobian_source::finite_difference:
      return "finite_difference";
    case jacobian_source::not_used:
      return "not_used";
  }
  return "not_used";
}

/// The fields of `row` in the order of dataset_columns.
inline dataset_fields row_fields(const dataset_row& row) {
  const robustness_result& r = row.result;
  const auto literal = [](bool b) {
    return dataset_field{field_kind::literal, b ? "true" : "false"};
  };
  const auto text = [](std::string s) { return dataset_field{field_kind::string, std::move(s)}; };
  return {integer_field(row.point_id),
          row.label == -1 ? dataset_field{} : integer_field(row.label),
          text(row.estimator),
          real_field(row.sigma),
          integer_field(r.predicted_class),
          real_field(r.probability),
          real_field(r.lower),
          real_field(r.upper),
          real_field(r.complement),
          real_field(r.error),
          literal(r.converged),
          integer_field(r.model_evaluations),
          integer_field(r.samples),
          text(jacobian_name(r.jacobian)),
          real_field(r.variance_reduction),
          real_field(row.seconds),
          text(row_status_name(row.status)),
          text(row.message)};
}

/// `text` as a CSV field: quoted (quotes doubled) when it contains a comma, a quote, a
/// carriage return or a newline (RFC 4180), else as is.
inline void write_csv_field(std::ostream& out, const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) {
    out << text;
    return;
  }
  out << '"';
  for (const char c : text) {
    if (c == '"') out << '"';
    out << c;
  }
  out << '"';
}

/// The length of the well-formed UTF-8 sequence at text[i] (1 to 4), or, when there is
/// none, minus the length of its maximal subpart (the longest prefix of a well-formed
/// sequence, at least one byte). Well-formed: the Unicode Standard, Table 3-7 (no overlong
/// forms, no surrogates, nothing above U+10FFFF); maximal subparts: §3.9, U+FFFD
/// substitution.
inline int utf8_sequence(const std::string& text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  int length = 0;
  unsigned char low = 0x80, high = 0xbf;  // the range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return -1;  // 80–C1, F5–FF never start a sequence
  }
  for (int k = 1; k < length; ++k) {
    if (i + k >= text.size()) return -k;
    const unsigned char c = byte(i + k);
    if (k == 1 ? (c < low || c > high) : (c < 0x80 || c > 0xbf)) return -k;
  }
  return length;
}

/// `text` as a JSON string: quoted, with quote and backslash escaped and control
/// characters as \uXXXX; well-formed UTF-8 as it is, and every maximal subpart of an
/// ill-formed sequence as \ufffd (U+FFFD REPLACEMENT CHARACTER), so the file is always
/// valid UTF-8 JSON.
inline void write_json_string(std::ostream& out, const std::string& text) {
  static constexpr char hex[] = "0123456789abcdef";
  out << '"';
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out << '\\' << c;
    } else if (byte < 0x20) {
      out << "\\u00" << hex[byte >> 4] << hex[byte & 0xf];
    } else {
      const int length = utf8_sequence(text, i);
      if (length < 0) {
        out << "\\ufffd";
        i += static_cast<std::size_t>(-length);
      } else {
        out.write(text.data() + i, length);
        i += static_cast<std::size_t>(length);
      }
      continue;
    }
    ++i;
  }
  out << '"';
}

/// Throws probust::invalid_argument "<function>: <source>:<line>: <problem>" (the reading
/// function's name first, as every probust error; then the place in the file).
[[noreturn]] inline void throw_file_error(const char* function, const std::string& source,
                                          std::size_t line, const std::string& problem) {
  throw_invalid_argument(function, source + ":" + std::to_string(line) + ": " + problem);
}

/// Where a reader is: its function name, the file name and the line, for error messages.
struct read_location {
  const char* function;
  const std::string& source;
  std::size_t line;

  [[noreturn]] void fail(const std::string& problem) const {
    throw_file_error(function, source, line, problem);
  }
  [[noreturn]] void fail(std::size_t column, const std::string& problem) const {
    fail(std::string("column '") + dataset_columns[column] + "': " + problem);
  }
};

/// An integer field (decimal, no sign for unsigned types), exactly as written.
template <class Integer>
Integer parse_integer(const std::string& text, std::size_t column, const read_location& at) {
  const parsed_number<Integer> parsed = try_parse_integer<Integer>(text);
  if (parsed.error == number_error::out_of_range) {
    at.fail(column, "'" + text + "' is out of range");
  }
  if (!parsed) at.fail(column, "'" + text + "' is not an integer");
  return parsed.value;
}

/// A double field: empty → NaN, "inf" / "-inf", else a decimal number read exactly (the
/// correctly rounded value, detail::try_parse_number, no locale).
inline double parse_real(const std::string& text, std::size_t column, const read_location& at) {
  if (text.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (text == "inf") return std::numeric_limits<double>::infinity();
  if (text == "-inf") return -std::numeric_limits<double>::infinity();
  // Only the characters the writer uses: no "nan", "infinity" or other spellings.
  parsed_number<double> parsed{0.0, number_error::not_a_number};
  if (text.find_first_not_of("0123456789+-.eE") == std::string::npos) {
    parsed = try_parse_number<double>(text);
  }
  if (!parsed) at.fail(column, "'" + text + "' " + describe(parsed.error));
  return parsed.value;
}

/// The value among `values` whose spelling name(value) is `text`; fails naming the choices.
template <class Enum, class Name>
Enum parse_name(const std::string& text, std::initializer_list<Enum> values, Name name,
                std::size_t column, const read_location& at) {
  std::string choices;
  for (const Enum value : values) {
    if (text == name(value)) return value;
    choices += (choices.empty() ? "" : ", ") + std::string(name(value));
  }
  at.fail(column, "'" + text + "' is not one of " + choices);
}

/// Sets the member of `row` that column `column` holds from its CSV spelling `text`.
inline void set_row_field(dataset_row& row, std::size_t column, const std::string& text,
                          const read_location& at) {
  robustness_result& r = row.result;
  switch (static_cast<dataset_column>(column)) {
    case col_point_id:
      row.point_id = parse_integer<std::uint64_t>(text, column, at);
      break;
    case col_label:
      row.label = text.empty() ? -1 : parse_integer<int>(text, column, at);
      break;
    case col_estimator:
      row.estimator = text;
      break;
    case col_sigma:
      row.sigma = parse_real(text, column, at);
      break;
    case col_predicted_class:
      r.predicted_class = parse_integer<int>(text, column, at);
      break;
    case col_probability:
      r.probability = parse_real(text, column, at);
      break;
    case col_lower:
      r.lower = parse_real(text, column, at);
      break;
    case col_upper:
      r.upper = parse_real(text, column, at);
      break;
    case col_complement:
      r.complement = parse_real(text, column, at);
      break;
    case col_error:
      r.error = parse_real(text, column, at);
      break;
    case col_converged:
      if (text != "true" && text != "false") at.fail(column, "'" + text + "' is not true or false");
      r.converged = text == "true";
      break;
    case col_model_evaluations:
      r.model_evaluations = parse_integer<std::uint64_t>(text, column, at);
      break;
    case col_samples:
      r.samples = parse_integer<std::uint64_t>(text, column, at);
      break;
    case col_jacobian:
      r.jacobian = parse_name(text, {jacobian_source::user, jacobian_source::finite_difference,
                                     jacobian_source::not_used},
                              jacobian_name, column, at);
      break;
    case col_variance_reduction:
      r.variance_reduction = parse_real(text, column, at);
      break;
    case col_seconds:
      row.seconds = parse_real(text, column, at);
      break;
    case col_status:
      row.status = parse_name(text, {row_status::ok, row_status::not_converged, row_status::error},
                              row_status_name, column, at);
      break;
    case col_message:
      row.message = text;
      break;
  }
}

/// The index of `name` in dataset_columns, or dataset_columns.size() if it is none.
inline std::size_t column_index(const std::string& name) noexcept {
  for (std::size_t i = 0; i < dataset_columns.size(); ++i) {
    if (name == dataset_columns[i]) return i;
  }
  return dataset_columns.size();
}

/// Reads the CSV record that starts with `line` (line number `at.line`) into `fields`,
/// reading further lines while a quoted field spans a newline (`last_line` is then the
/// number of the record's last line). A '\r' ending a line outside quotes is a CRLF line
/// end and is dropped; inside quotes it is data.
inline void parse_csv_record(std::istream& in, std::string line, const read_location& at,
                             std::size_t& last_line, std::vector<std::string>& fields) {
  enum class state { field_start, unquoted, quoted, closing_quote } s = state::field_start;
  fields.assign(1, std::string());
  last_line = at.line;
  std::size_t i = 0;
  for (;;) {
    if (i == line.size()) {
      if (s != state::quoted) return;
      if (!std::getline(in, line)) at.fail("unterminated quoted field");
      ++last_line;
      fields.back() += '\n';
      i = 0;
      continue;
    }
    const char c = line[i++];
    switch (s) {
      case state::field_start:
        if (c == '"') {
          s = state::quoted;
          break;
        }
        s = state::unquoted;
        [[fallthrough]];
      case state::unquoted:
        if (c == '\r' && i == line.size()) return;  // a CRLF line end
        if (c == ',') {
          fields.emplace_back();
          s = state::field_start;
        } else if (c == '"') {
          at.fail("a quote inside an unquoted field");
        } else {
          fields.back() += c;
        }
        break;
      case state::quoted:
        if (c == '"') {
          s = state::closing_quote;
        } else {
          fields.back() += c;
        }
        break;
      case state::closing_quote:
        if (c == '"') {  // a doubled quote
          fields.back() += '"';
          s = state::quoted;
        } else if (c == ',') {
          fields.emplace_back();
          s = state::field_start;
        } else if (c == '\r' && i == line.size()) {  // a CRLF line end
          return;
        } else {
          at.fail("a character after the closing quote of a field");
        }
        break;
    }
  }
}

/// True if `line` is empty or only spaces, tabs and a carriage return.
inline bool is_blank(const std::string& line) noexcept {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

}  // namespace detail

/// Writes `rows` as CSV: a header line with dataset_columns (unless `header` is false,
/// for appending to a file that has one), then one line per row, fields separated by
/// commas and quoted per RFC 4180 when they contain a comma, quote or line break; lines
/// end in "\n". Doubles are the shortest decimals that read back bit-identically;
/// NaN (sigma of a non-isotropic noise) and label −1 are empty fields; ±inf are `inf`
/// and `-inf`; booleans `true`/`false`. Independent of the stream's locale. Check the
/// stream's state for write errors.
inline void write_csv(std::ostream& out, const std::vector<dataset_row>& rows, bool header = true) {
  if (header) {
    for (std::size_t i = 0; i < dataset_columns.size(); ++i) {
      out << (i ? "," : "") << dataset_columns[i];
    }
    out << '\n';
  }
  for (const dataset_row& row : rows) {
    const detail::dataset_fields fields = detail::row_fields(row);
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i) out << ',';
      detail::write_csv_field(out, fields[i].text);
    }
    out << '\n';
  }
}

/// Writes `rows` as JSON Lines: one flat object per row and line, with the keys of
/// dataset_columns in that order. Numbers as in write_csv (shortest round trip);
/// NaN (sigma of a non-isotropic noise) and label −1 are null; ±inf, which JSON numbers
/// cannot express, are the strings "inf" and "-inf"; booleans true/false; strings
/// escaped (quote, backslash, control characters as \uXXXX). The output is valid UTF-8:
/// bytes of a string that are not well-formed UTF-8 (e.g. a Latin-1 message) are each
/// maximal ill-formed subpart replaced by \ufffd (U+FFFD), so such a string does not read
/// back byte for byte (write_csv keeps every byte). Independent of the stream's locale.
/// Check the stream's state for write errors.
inline void write_jsonl(std::ostream& out, const std::vector<dataset_row>& rows) {
  for (const dataset_row& row : rows) {
    const detail::dataset_fields fields = detail::row_fields(row);
    out << '{';
    for (std::size_t i = 0; i < fields.size(); ++i) {
      out << (i ? ",\"" : "\"") << dataset_columns[i] << "\":";
      switch (fields[i].kind) {
        case detail::field_kind::string:
          detail::write_json_string(out, fields[i].text);
          break;
        case detail::field_kind::null:
          out << "null";
          break;
        default:
          out << fields[i].text;
          break;
      }
    }
    out << "}\n";
  }
}

/// Reads one CSV record (RFC 4180) whose first line, `line`, is line `line_number` of
/// `source` into `fields`: fields separated by commas; a field in double quotes may hold
/// commas, doubled quotes and line breaks (then further lines are read from `in`); a '\r'
/// ending a line outside quotes is a CRLF line end. Fields are not trimmed. Returns the
/// number of the record's last line. Throws probust::invalid_argument
/// "probust::read_csv_record: <source>:<line>: <problem>" for a quote inside an unquoted field, text after a closing quote, or an
/// unterminated quoted field. read_csv reads its records with it.
inline std::size_t read_csv_record(std::istream& in, std::string line, const std::string& source,
                                   std::size_t line_number, std::vector<std::string>& fields) {
  std::size_t last_line = line_number;
  detail::parse_csv_record(in, std::move(line), {"probust::read_csv_record", source, line_number},
                           last_line, fields);
  return last_line;
}

/// Reads rows written by write_csv (with its header; the columns may come in any order;
/// CRLF line ends are accepted too). Blank lines at the end are ignored. result.estimator is ""
/// (the `estimator` member holds the name). Throws probust::invalid_argument
/// "probust::read_csv: <source>:<line>: <problem>" for a missing, unknown or repeated header column, a line with the wrong number of
/// fields, a value that does not parse (e.g. "results.csv:17: column 'probability': 'abc' is not a
/// number"), a bad quote, or a blank line before the end.
inline std::vector<dataset_row> read_csv(std::istream& in, const std::string& source) {
  constexpr const char* fn = "probust::read_csv";
  std::vector<dataset_row> rows;
  std::string line;
  std::vector<std::string> fields;
  if (!std::getline(in, line)) detail::throw_file_error(fn, source, 1, "missing header line");
  std::size_t last_line = 1;
  detail::parse_csv_record(in, std::move(line), {fn, source, 1}, last_line, fields);
  std::vector<std::size_t> columns;  // columns[i] = the dataset column of field i
  std::vector<bool> seen(dataset_columns.size(), false);
  for (const std::string& name : fields) {
    const std::size_t c = detail::column_index(name);
    if (c == dataset_columns.size())
      detail::throw_file_error(fn, source, 1, "unknown column '" + name + "'");
    if (seen[c]) detail::throw_file_error(fn, source, 1, "column '" + name + "' appears twice");
    seen[c] = true;
    columns.push_back(c);
  }
  for (std::size_t c = 0; c < dataset_columns.size(); ++c) {
    if (!seen[c]) {
      detail::throw_file_error(fn, source, 1,
                               std::string("missing column '") + dataset_columns[c] + "'");
    }
  }

  std::size_t blank_line = 0;  // the first blank line, if any
  std::size_t line_number = last_line;
  while (std::getline(in, line)) {
    ++line_number;
    if (detail::is_blank(line)) {
      if (blank_line == 0) blank_line = line_number;
      continue;
    }
    if (blank_line != 0) {
      detail::throw_file_error(fn, source, blank_line, "blank line before the end");
    }
    const detail::read_location at{fn, source, line_number};
    detail::parse_csv_record(in, std::move(line), at, last_line, fields);
    if (fields.size() != columns.size()) {
      at.fail(std::to_string(fields.size()) + " fields, expected " +
              std::to_string(columns.size()));
    }
    dataset_row row;
    for (std::size_t i = 0; i < fields.size(); ++i)
      detail::set_row_field(row, columns[i], fields[i], at);
    rows.push_back(std::move(row));
    line_number = last_line;
  }
  return rows;
}

}  // namespace probust
