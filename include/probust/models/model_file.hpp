#pragma once
/// \file model_file.hpp
/// The probust model file: a versioned plain-text format for dense_network, its reader
/// and its writer. (Full description with an example: docs/model_format.md.)
///
/// Format, version 1. The file is read line by line. '#' starts a comment that runs to the
/// end of the line; blank lines (after removing comments) are ignored, as are spaces, tabs
/// and a trailing '\r' (CRLF files), and a UTF-8 byte order mark at the start of the file
/// (editors on Windows write one). A line may hold at most max_model_line_length
/// characters (so that a stream without line ends, such as /dev/zero, fails instead of
/// filling the memory). Tokens are separated by spaces or tabs. In order:
///
///     probust-model 1                       magic word and format version
///     input <d>                             number of input features
///     layers <L>                            number of dense layers
///     then L layer blocks, each:
///     dense <in> <out> <activation> [<slope>]
///     <out> lines of <in> numbers           W row by row: line i holds W(i, 0 .. in−1),
///                                           the weights into output unit i
///     1 line of <out> numbers               the bias b
///
/// `<d>`, `<L>`, `<in>`, `<out>` are positive decimal integers (at most 9 digits); `<in>`
/// equals d for the first layer and the previous layer's `<out>` afterwards. `<activation>`
/// is one of identity, relu, leaky_relu, tanh, sigmoid, softplus, gelu (see
/// probust::activation); `<slope>`, the negative-side slope of leaky_relu, may follow
/// leaky_relu only (default 0.01). Numbers are decimal floating-point literals in the C
/// locale ("-1.25e-3", "0.5", "+2", ".5"); nan and inf are rejected, as are values that
/// overflow the scalar type. After the last layer only comments and blank lines may follow.
///
/// save_dense_network writes max_digits10 significant digits, so saving and loading with
/// the same scalar type reproduces every weight exactly.
///
/// Errors: a malformed file throws probust::invalid_argument with the message
/// "<function>: <file>:<line>: <problem>", e.g.
/// "probust::load_dense_network: model.txt:17: expected 64 numbers, found 63 (row 3 of W in
/// layer 1)". Lines are counted from 1; an unexpected end of file is reported at the line
/// after the last one. A file that cannot be opened or read (or a directory) throws
/// probust::io_error instead.

#include <Eigen/Dense>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <locale>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "probust/detail/charconv.hpp"
#include "probust/errors.hpp"
#include "probust/models/dense_network.hpp"

namespace probust {

/// The model file format version written by save_dense_network and read by
/// load_dense_network.
inline constexpr int model_file_version = 1;

/// The longest line the model file reader accepts: 64 MiB, about 2.5 million weights of
/// max_digits10 precision in one row of W. A longer line is an error naming its number.
inline constexpr std::size_t max_model_line_length = std::size_t{64} << 20;

namespace detail {

/// Reads a model file line by line, dropping comments and blank lines, keeping the line
/// number and the tokens of the current line, and formats errors as
/// "<function>: <name>:<line>: <problem>".
class model_file_lines {
 public:
  model_file_lines(std::istream& in, const std::string& name, const char* function)
      : in_(in), name_(name), function_(function) {}

  /// Advances to the next line that has tokens; false (and the line number one past the
  /// last line) at the end of the input.
  bool next() {
    std::string line;
    while (read_line(line)) {
      ++line_number_;
      if (line_number_ == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
      const std::size_t hash = line.find('#');
      if (hash != std::string::npos) line.erase(hash);
      tokens_.clear();
      std::size_t pos = 0;
      const char* blanks = " \t\r\v\f";
      while ((pos = line.find_first_not_of(blanks, pos)) != std::string::npos) {
        const std::size_t end = line.find_first_of(blanks, pos);
        tokens_.push_back(line.substr(pos, end == std::string::npos ? end : end - pos));
        pos = end;
      }
      if (!tokens_.empty()) return true;
    }
    if (in_.bad()) {
      throw_io_error(function_, name_ + ":" + std::to_string(line_number_) + ": read error");
    }
    ++line_number_;
    tokens_.clear();
    return false;
  }

  /// Calls next() and fails with "unexpected end of file: expected <what>" at the end.
  void require_next(const std::string& what) {
    if (!next()) fail("unexpected end of file: expected " + what);
  }

  const std::vector<std::string>& tokens() const noexcept { return tokens_; }

  /// The current line's tokens joined by single spaces, cut after 60 characters.
  std::string quoted_line() const {
    std::string text;
    for (const std::string& token : tokens_) text += (text.empty() ? "" : " ") + token;
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return "'" + text + "'";
  }

  [[noreturn]] void fail(const std::string& problem) const {
    throw_invalid_argument(function_, name_ + ":" + std::to_string(line_number_) + ": " + problem);
  }

  /// A positive decimal integer of at most 9 digits.
  Eigen::Index parse_count(const std::string& token, const std::string& what) const {
    bool digits = !token.empty() && token.size() <= 9;
    for (char c : token) digits = digits && std::isdigit(static_cast<unsigned char>(c)) != 0;
    const Eigen::Index value = digits ? static_cast<Eigen::Index>(std::stol(token)) : 0;
    if (value <= 0) {
      fail("expected a positive integer (" + what + ", at most 9 digits), found '" + token + "'");
    }
    return value;
  }

  /// A finite number of type T in decimal or exponent notation (detail::try_parse_number:
  /// correctly rounded, no locale).
  template <class T>
  T parse_number(const std::string& token, const std::string& where) {
    const parsed_number<T> parsed = try_parse_number<T>(token);
    if (parsed && std::isfinite(parsed.value)) return parsed.value;
    if (parsed) fail("non-finite number '" + token + "' (" + where + ")");
    if (parsed.error == number_error::out_of_range) {
      fail("number '" + token + "' is out of range (" + where + ")");
    }
    fail("expected a number, found '" + token + "' (" + where + ")");
  }

  /// Parses the current line as exactly `count` numbers, appending them to `out`.
  template <class T>
  void parse_numbers(Eigen::Index count, const std::string& where, std::vector<T>& out) {
    if (static_cast<Eigen::Index>(tokens_.size()) != count) {
      fail("expected " + std::to_string(count) + " numbers, found " +
           std::to_string(tokens_.size()) + " (" + where + ")");
    }
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
      out.push_back(parse_number<T>(tokens_[i], where + ", column " + std::to_string(i + 1)));
    }
  }

 private:
  /// Reads the next line without its '\n' into `line`, at most max_model_line_length
  /// characters (fails beyond); false at the end of the input.
  bool read_line(std::string& line) {
    line.clear();
    std::streambuf* buffer = in_.rdbuf();
    if (!in_.good() || buffer == nullptr) return false;
    while (true) {
      const int c = buffer->sbumpc();
      if (c == std::char_traits<char>::eof()) {
        in_.setstate(std::ios::eofbit);
        return !line.empty();
      }
      if (c == '\n') return true;
      if (line.size() == max_model_line_length) {
        ++line_number_;
        fail("line longer than " + std::to_string(max_model_line_length) +
             " characters (is this a model file?)");
      }
      line.push_back(static_cast<char>(c));
    }
  }

  std::istream& in_;
  std::string name_;
  const char* function_;
  std::size_t line_number_ = 0;
  std::vector<std::string> tokens_;
};

/// Parses an activation name; false if unknown.
inline bool parse_activation(const std::string& name, activation& result) {
  for (int a = 0; a <= static_cast<int>(activation::gelu); ++a) {
    if (name == activation_name(static_cast<activation>(a))) {
      result = static_cast<activation>(a);
      return true;
    }
  }
  return false;
}

/// The reader behind read_dense_network and load_dense_network (`function` names the
/// caller in error messages).
template <class T>
dense_network<T> read_dense_network(std::istream& in, const std::string& name,
                                    const char* function) {
  model_file_lines lines(in, name, function);
  const std::string magic = "probust-model";
  lines.require_next("the header '" + magic + " " + std::to_string(model_file_version) + "'");
  if (lines.tokens().size() != 2 || lines.tokens()[0] != magic) {
    lines.fail("not a probust model file: expected the header '" + magic + " " +
               std::to_string(model_file_version) + "', found " + lines.quoted_line());
  }
  const Eigen::Index version = lines.parse_count(lines.tokens()[1], "the format version");
  if (version != model_file_version) {
    lines.fail("unsupported model file version " + std::to_string(version) +
               " (this probust reads version " + std::to_string(model_file_version) + ")");
  }

  // Reads "<keyword> <positive integer>".
  const auto keyword_count = [&lines](const std::string& keyword, const std::string& what) {
    lines.require_next("'" + keyword + " <" + what + ">'");
    if (lines.tokens().size() != 2 || lines.tokens()[0] != keyword) {
      lines.fail("expected '" + keyword + " <" + what + ">', found " + lines.quoted_line());
    }
    return lines.parse_count(lines.tokens()[1], what);
  };
  const Eigen::Index input = keyword_count("input", "number of input features");
  const Eigen::Index n_layers = keyword_count("layers", "number of layers");

  std::vector<dense_layer<T>> layers;
  std::vector<T> values;
  for (Eigen::Index l = 1; l <= n_layers; ++l) {
    const std::string layer = "layer " + std::to_string(l);
    const std::string layer_syntax = "'dense <inputs> <outputs> <activation> [<slope>]'";
    lines.require_next("the header of " + layer + " (" + layer_syntax + ")");
    const std::vector<std::string>& head = lines.tokens();
    if (head[0] != "dense" || head.size() < 4 || head.size() > 5) {
      lines.fail("expected the header of " + layer + " (" + layer_syntax + "), found " +
                 lines.quoted_line());
    }
    const Eigen::Index inputs = lines.parse_count(head[1], "number of inputs of " + layer);
    const Eigen::Index out = lines.parse_count(head[2], "number of outputs of " + layer);
    const Eigen::Index expected_in =
        layers.empty() ? input : layers.back().weights.rows();
    if (inputs != expected_in) {
      lines.fail(layer + " has " + std::to_string(inputs) + " inputs but " +
                 (layers.empty() ? std::string("the input dimension is ")
                                 : "layer " + std::to_string(l - 1) + " has ") +
                 std::to_string(expected_in) + (layers.empty() ? "" : " outputs"));
    }
    dense_layer<T> current;
    if (!parse_activation(head[3], current.activation)) {
      lines.fail("unknown activation '" + head[3] +
                 "' (expected identity, relu, leaky_relu, tanh, sigmoid, softplus or gelu)");
    }
    if (head.size() == 5) {
      if (current.activation != activation::leaky_relu) {
        lines.fail("activation '" + head[3] + "' takes no parameter, found '" + head[4] + "'");
      }
      current.slope = lines.parse_number<T>(head[4], "the leaky_relu slope of " + layer);
    }

    values.clear();
    for (Eigen::Index i = 1; i <= out; ++i) {
      const std::string row =
          "row " + std::to_string(i) + " of " + std::to_string(out) + " of W in " + layer;
      lines.require_next(row);
      lines.parse_numbers(inputs, row, values);
    }
    current.weights =
        Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            values.data(), out, inputs);
    values.clear();
    lines.require_next("the bias line of " + layer);
    lines.parse_numbers(out, "the bias of " + layer, values);
    current.bias = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(values.data(), out);
    layers.push_back(std::move(current));
  }
  if (lines.next()) {
    lines.fail("unexpected data after the last of the " + std::to_string(n_layers) +
               " layers: " + lines.quoted_line());
  }
  return dense_network<T>(std::move(layers));
}

}  // namespace detail

/// Reads a dense_network in the probust model file format (see the file comment) from
/// `in`, reading to the end of the stream. `name_for_messages` stands for the file in
/// error messages: "probust::read_dense_network: <name>:<line>: <problem>". Throws
/// probust::invalid_argument on any malformed input.
template <class T = double>
dense_network<T> read_dense_network(std::istream& in, const std::string& name_for_messages) {
  return detail::read_dense_network<T>(in, name_for_messages, "probust::read_dense_network");
}

/// Loads a dense_network from the model file at `path` (format: see the file comment and
/// docs/model_format.md). Throws probust::io_error if the file is a directory or cannot be
/// opened, probust::invalid_argument if it is malformed; the message names the file (and
/// the line and the problem: "probust::load_dense_network: <path>:<line>: <problem>").
template <class T = double>
dense_network<T> load_dense_network(const std::string& path) {
  constexpr const char* fn = "probust::load_dense_network";
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    detail::throw_io_error(fn, "'" + path + "' is a directory, not a model file");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file.is_open()) detail::throw_io_error(fn, "cannot open '" + path + "'");
  return detail::read_dense_network<T>(file, path, fn);
}

/// Writes `net` to `out` in the probust model file format, version 1, with
/// max_digits10 significant digits (exact round trip) in the C locale, whatever `out`'s
/// locale and formatting flags. Check `out`'s state afterwards for I/O errors.
template <class T>
void write_dense_network(std::ostream& out, const dense_network<T>& net) {
  std::ostringstream text;
  text.imbue(std::locale::classic());
  text.precision(std::numeric_limits<T>::max_digits10);
  text << "probust-model " << model_file_version << "\n";
  text << "# dense network " << net.input_dimension();
  for (const dense_layer<T>& layer : net.layers()) text << " -> " << layer.weights.rows();
  text << " (format: probust docs/model_format.md)\n";
  text << "input " << net.input_dimension() << "\n";
  text << "layers " << net.layers().size() << "\n";
  std::size_t index = 0;
  for (const dense_layer<T>& layer : net.layers()) {
    text << "dense " << layer.weights.cols() << " " << layer.weights.rows() << " "
         << activation_name(layer.activation);
    if (layer.activation == activation::leaky_relu) text << " " << layer.slope;
    text << "  # layer " << ++index << "\n";
    for (Eigen::Index i = 0; i < layer.weights.rows(); ++i) {
      for (Eigen::Index j = 0; j < layer.weights.cols(); ++j) {
        text << (j == 0 ? "" : " ") << layer.weights(i, j);
      }
      text << "\n";
    }
    for (Eigen::Index i = 0; i < layer.bias.size(); ++i) {
      text << (i == 0 ? "" : " ") << layer.bias(i);
    }
    text << "\n";
  }
  out << text.str();
}

/// Saves `net` to the file at `path` (created or overwritten) in the probust model file
/// format; load_dense_network<T>(path) then returns identical weights. Throws
/// probust::io_error if the file cannot be opened or written.
template <class T>
void save_dense_network(const dense_network<T>& net, const std::string& path) {
  constexpr const char* fn = "probust::save_dense_network";
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file.is_open()) detail::throw_io_error(fn, "cannot open '" + path + "' for writing");
  write_dense_network(file, net);
  file.close();
  if (file.fail()) detail::throw_io_error(fn, "writing '" + path + "' failed");
}

}  // namespace probust
