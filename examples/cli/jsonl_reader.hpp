#pragma once
// jsonl_reader.hpp — reading the JSON Lines result files of probust::write_jsonl back into
// probust::dataset_row, with nlohmann/json as the JSON parser. The library writes these
// files (<probust/dataset_io.hpp>) but does not read JSON, so its users need no JSON
// dependency; probust-cli (merge, summary) and the tests read them with this header.
//
// Numbers are not converted by the JSON parser: the reader takes the text of each number
// (nlohmann's SAX interface hands it over) and parses it like the CSV reader does
// (std::from_chars), so every double reads back bit for bit, independent of the locale.

#include <cstddef>
#include <cstdint>
#include <istream>
#include <nlohmann/json.hpp>
#include <probust/dataset.hpp>
#include <probust/dataset_io.hpp>
#include <string>
#include <utility>
#include <vector>

namespace probust_cli {
namespace detail {

using probust::detail::dataset_field;
using probust::detail::field_kind;

/// Null if `value` has a JSON kind the writer uses for column `column`, else what was
/// expected: strings for the text columns, numbers (or null for a missing label),
/// true/false, and a number, null, "inf" or "-inf" for doubles.
inline const char* json_kind_mismatch(std::size_t column, const dataset_field& value) {
  using namespace probust::detail;
  const field_kind k = value.kind;
  switch (static_cast<dataset_column>(column)) {
    case col_estimator:
    case col_jacobian:
    case col_status:
    case col_message:
      return k == field_kind::string ? nullptr : "expected a string";
    case col_label:
      return k == field_kind::number || k == field_kind::null ? nullptr
                                                              : "expected an integer or null";
    case col_converged:
      return k == field_kind::literal ? nullptr : "expected true or false";
    case col_sigma:
    case col_probability:
    case col_lower:
    case col_upper:
    case col_complement:
    case col_error:
    case col_variance_reduction:
    case col_seconds:
      return k == field_kind::number || k == field_kind::null ||
                     (k == field_kind::string && (value.text == "inf" || value.text == "-inf"))
                 ? nullptr
                 : "expected a number, null, \"inf\" or \"-inf\"";
    default:
      return k == field_kind::number ? nullptr : "expected an integer";
  }
}

/// A SAX handler of nlohmann::json that collects one flat JSON object: (key, value) pairs
/// in the order of the line, every value a string, a number (as its text), true, false or
/// null. Arrays, nested objects and a top-level value that is not an object are errors.
class flat_object_reader : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit flat_object_reader(const probust::detail::read_location& at) : at_(at) {}

  std::vector<std::pair<std::string, dataset_field>> members;

  bool null() override { return value({}); }
  bool boolean(bool b) override { return value({field_kind::literal, b ? "true" : "false"}); }
  // nlohmann reports a token with a minus sign and without '.' or exponent as a signed
  // integer, one without the sign as unsigned: a signed 0 was "-0" (the double −0).
  bool number_integer(number_integer_t v) override {
    return value({field_kind::number, v == 0 ? "-0" : std::to_string(v)});
  }
  bool number_unsigned(number_unsigned_t v) override {
    return value({field_kind::number, std::to_string(v)});
  }
  // `text` is the number as written, except that nlohmann puts the C locale's decimal
  // point in place of '.': a number token has no other character outside "0-9+-eE".
  bool number_float(number_float_t, const string_t& text) override {
    std::string number = text;
    for (char& c : number) {
      if (std::string("0123456789+-eE").find(c) == std::string::npos) c = '.';
    }
    return value({field_kind::number, std::move(number)});
  }
  bool string(string_t& s) override { return value({field_kind::string, s}); }
  bool binary(binary_t&) override { at_.fail("unexpected binary value"); }
  bool start_object(std::size_t) override {
    if (depth_++ != 0) at_.fail("expected a flat object (a value is an object)");
    return true;
  }
  bool key(string_t& k) override {
    key_ = k;
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    at_.fail(depth_ == 0 ? "expected an object" : "expected a flat object (a value is an array)");
  }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 5: ...".
    std::string what = e.what();
    const std::size_t colon = what.find(": ");
    what = colon == std::string::npos ? what : what.substr(colon + 2);
    at_.fail("malformed JSON at column " + std::to_string(position) + ": " + what);
  }

 private:
  bool value(dataset_field field) {
    if (depth_ == 0) at_.fail("expected an object");
    members.emplace_back(std::move(key_), std::move(field));
    return true;
  }

  const probust::detail::read_location& at_;
  int depth_ = 0;
  std::string key_;
};

}  // namespace detail

/// Reads rows written by probust::write_jsonl: one flat object per line with exactly the
/// keys of probust::dataset_columns, in any order, each value of the kind the writer uses.
/// Blank lines at the end are ignored. result.estimator is "". Throws
/// probust::invalid_argument "probust_cli::read_jsonl: <source>:<line>: <problem>" (as the
/// library's readers do) for malformed JSON (with the
/// column), an unknown, repeated or missing key, a value of the wrong kind or that does
/// not parse, or a blank line before the end.
inline std::vector<probust::dataset_row> read_jsonl(std::istream& in, const std::string& source) {
  namespace pd = probust::detail;
  constexpr const char* fn = "probust_cli::read_jsonl";
  constexpr std::size_t columns = probust::dataset_columns.size();
  std::vector<probust::dataset_row> rows;
  std::string line;
  std::size_t line_number = 0;
  std::size_t blank_line = 0;  // the first blank line, if any
  while (std::getline(in, line)) {
    ++line_number;
    if (pd::is_blank(line)) {
      if (blank_line == 0) blank_line = line_number;
      continue;
    }
    if (blank_line != 0) pd::throw_file_error(fn, source, blank_line, "blank line before the end");
    const pd::read_location at{fn, source, line_number};
    detail::flat_object_reader reader(at);
    nlohmann::json::sax_parse(line, &reader);
    std::vector<bool> seen(columns, false);
    probust::dataset_row row;
    for (const auto& [key, value] : reader.members) {
      const std::size_t c = pd::column_index(key);
      if (c == columns) at.fail("unknown key '" + key + "'");
      if (seen[c]) at.fail("key '" + key + "' appears twice");
      seen[c] = true;
      if (const char* expected = detail::json_kind_mismatch(c, value)) at.fail(c, expected);
      pd::set_row_field(row, c, value.text, at);
    }
    for (std::size_t c = 0; c < columns; ++c) {
      if (!seen[c]) at.fail(std::string("missing key '") + probust::dataset_columns[c] + "'");
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace probust_cli
