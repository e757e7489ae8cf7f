#pragma once
// arguments.hpp — probust-cli's command-line vocabulary: the two kinds of failure (a bad
// command line, exit code 2; bad data or a failed run, exit code 1), the command line of
// a command (CLI11), and the parsers of option values (numbers, lists, i/N, a:b) whose
// messages name the option: "--sigma: 'abc' is not a number".

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <probust/detail/charconv.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace probust_cli {

/// Exit codes (documented in docs/cli.md and in --help).
inline constexpr int exit_success = 0;
inline constexpr int exit_data_error = 1;   ///< unreadable or malformed file, failed run
inline constexpr int exit_usage_error = 2;  ///< the command line is wrong

/// A failure that ends the program with `exit_code`; main prints "probust-cli: " + what().
class cli_error : public std::runtime_error {
 public:
  cli_error(const std::string& message, int code) : std::runtime_error(message), code_(code) {}
  int exit_code() const noexcept { return code_; }

 private:
  int code_;
};

/// The command line is wrong (unknown option, missing or bad value): exit code 2.
class usage_error : public cli_error {
 public:
  explicit usage_error(const std::string& message) : cli_error(message, exit_usage_error) {}
};

/// A file cannot be read or is malformed, or the run failed: exit code 1.
class data_error : public cli_error {
 public:
  explicit data_error(const std::string& message) : cli_error(message, exit_data_error) {}
};

/// `message` without `prefix` (a library function's name) when it starts with it:
/// "probust::read_csv: in.csv:17: ..." → "in.csv:17: ...", as the CLI reports file errors.
inline std::string without_prefix(const std::string& message, const std::string& prefix) {
  return message.compare(0, prefix.size(), prefix) == 0 ? message.substr(prefix.size())
                                                        : message;
}

/// The command line of one command, parsed by CLI11 (<CLI/CLI.hpp>): options
/// "--name value" or "--name=value" (a value may start with '-': "--sigma -1" reaches the
/// check that σ > 0), flags, positional arguments, "--" ending the options, -h / --help.
/// Each option's text goes to its handler, which parses and checks it with the parsers
/// below (their messages name the option: "--sigma: 'abc' is not a number"); handlers run
/// in the order the options were declared. CLI11's own errors become usage_error in
/// probust-cli's wording ("unknown option '--bogus'", "--samples: missing value",
/// "--sigma is given twice").
///
///     command_line cl("estimate");
///     cl.option("--sigma", [&](const std::string& v) { sigma = parse_positive("--sigma", v); });
///     cl.flag("--no-progress", [&] { progress = false; });
///     if (!cl.parse(argc, argv)) { print the help; }
class command_line {
 public:
  explicit command_line(std::string command) : command_(std::move(command)) {
    app_.set_help_flag();  // --help is ours: the commands print their own help texts
    app_.add_flag("-h,--help", help_);
    app_.allow_extras();  // unknown options and stray arguments: reported by parse()
  }

  /// An option with one value, passed to `handle`.
  void option(const std::string& name, std::function<void(const std::string&)> handle) {
    auto& values = values_.emplace_back();
    app_.add_option(name, values)
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->allow_extra_args(false);
    handlers_.push_back([this, name, &values, handle = std::move(handle)] {
      if (values.size() > 1) throw usage_error(name + " is given twice");
      if (!values.empty()) handle(values.front());
    });
  }

  /// A flag without a value; `handle` is called if it is given.
  void flag(const std::string& name, std::function<void()> handle) {
    auto& count = counts_.emplace_back(0);
    app_.add_flag(name, count);
    handlers_.push_back([name, &count, handle = std::move(handle)] {
      if (count > 1) throw usage_error(name + " is given twice");
      if (count == 1) handle();
    });
  }

  /// Accepts positional arguments, appended to `into` (without it they are errors).
  void positionals(std::vector<std::string>& into) {
    app_.add_option("arguments", into)->expected(0, -1);
  }

  /// Parses argv[2], …; false if --help (or -h) was given, else runs the handlers, then
  /// rejects unknown options and (unless positionals() was called) stray arguments.
  bool parse(int argc, const char* const* argv) {
    std::vector<std::string> args;
    for (int i = argc - 1; i >= 2; --i) args.emplace_back(argv[i]);  // CLI11: reversed
    try {
      app_.parse(args);
    } catch (const CLI::ArgumentMismatch& e) {
      const std::string what = e.what();  // "--samples: 1 required TEXT missing"
      throw usage_error(what.substr(0, what.find(':')) + ": missing value");
    } catch (const CLI::ParseError& e) {
      throw usage_error(command_ + ": " + e.what() + " (see probust-cli " + command_ +
                        " --help)");
    }
    if (help_) return false;
    for (const auto& handler : handlers_) handler();  // value errors first, as written
    for (const std::string& extra : app_.remaining()) {
      if (extra.size() > 1 && extra[0] == '-') {
        throw usage_error("unknown option '" + extra.substr(0, extra.find('=')) +
                          "' (see probust-cli " + command_ + " --help)");
      }
      throw usage_error(command_ + ": unexpected argument '" + extra +
                        "' (options start with --; see probust-cli " + command_ + " --help)");
    }
    return true;
  }

 private:
  std::string command_;
  CLI::App app_;
  bool help_ = false;
  std::deque<std::vector<std::string>> values_;  // deque: stable addresses for CLI11
  std::deque<int> counts_;
  std::vector<std::function<void()>> handlers_;
};

/// `text` without leading and trailing spaces and tabs.
inline std::string trim(const std::string& text) {
  const std::size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

/// The comma-separated items of `text`, trimmed; an empty item is an error.
inline std::vector<std::string> parse_list(const std::string& option, const std::string& text) {
  std::vector<std::string> items;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = text.find(',', begin);
    const std::string item =
        trim(text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin));
    if (item.empty()) throw usage_error(option + ": empty item in '" + text + "'");
    items.push_back(item);
    if (comma == std::string::npos) return items;
    begin = comma + 1;
  }
}

/// A double written in decimal or exponent notation (probust::detail::try_parse_number:
/// std::from_chars, no locale, nothing left over). False if `text` is not such a number.
inline bool to_real(const std::string& text, double& value) {
  const probust::detail::parsed_number<double> parsed =
      probust::detail::try_parse_number<double>(text);
  value = parsed.value;
  return static_cast<bool>(parsed);
}

/// A finite number; "--sigma: 'abc' is not a number".
inline double parse_real(const std::string& option, const std::string& text) {
  double value = 0.0;
  if (!to_real(text, value)) throw usage_error(option + ": '" + text + "' is not a number");
  if (!std::isfinite(value)) throw usage_error(option + ": '" + text + "' is not finite");
  return value;
}

/// A number > 0.
inline double parse_positive(const std::string& option, const std::string& text) {
  const double value = parse_real(option, text);
  if (!(value > 0.0)) throw usage_error(option + ": " + text + " is not positive");
  return value;
}

/// A non-negative integer in decimal or, with a 0x prefix, hexadecimal.
inline std::uint64_t parse_count(const std::string& option, const std::string& text) {
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const auto parsed = probust::detail::try_parse_integer<std::uint64_t>(
      std::string_view(text).substr(hex ? 2 : 0), hex ? 16 : 10);
  if (!parsed) throw usage_error(option + ": '" + text + "' is not a non-negative integer");
  return parsed.value;
}

/// An integer ≥ 1.
inline std::uint64_t parse_positive_count(const std::string& option, const std::string& text) {
  const std::uint64_t value = parse_count(option, text);
  if (value == 0) throw usage_error(option + ": must be at least 1");
  return value;
}

/// One of `choices`.
inline std::string parse_choice(const std::string& option, const std::string& text,
                                const std::vector<std::string>& choices) {
  std::string list;
  for (const std::string& c : choices) {
    if (c == text) return text;
    list += (list.empty() ? "" : ", ") + c;
  }
  throw usage_error(option + ": '" + text + "' is not one of " + list);
}

/// "--shard i/N": shard i (0-based) of N.
struct shard_spec {
  std::uint64_t index = 0;
  std::uint64_t count = 1;
};

inline shard_spec parse_shard(const std::string& option, const std::string& text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string::npos) {
    throw usage_error(option + ": '" + text + "' is not of the form i/N (e.g. 0/4)");
  }
  shard_spec s;
  s.index = parse_count(option, text.substr(0, slash));
  s.count = parse_positive_count(option, text.substr(slash + 1));
  if (s.index >= s.count) {
    throw usage_error(option + ": shard index " + std::to_string(s.index) +
                      " must be below the shard count " + std::to_string(s.count) +
                      " (shards are numbered 0 to N-1)");
  }
  return s;
}

/// "--rows a:b": data rows a, …, b − 1 (0-based); either end may be left out.
struct row_range {
  std::uint64_t begin = 0;
  std::uint64_t end = UINT64_MAX;  ///< UINT64_MAX: to the end of the file
};

inline row_range parse_rows(const std::string& option, const std::string& text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos) {
    throw usage_error(option + ": '" + text + "' is not of the form a:b (e.g. 0:100)");
  }
  row_range r;
  const std::string a = text.substr(0, colon);
  const std::string b = text.substr(colon + 1);
  if (!a.empty()) r.begin = parse_count(option, a);
  if (!b.empty()) r.end = parse_count(option, b);
  if (r.end < r.begin) throw usage_error(option + ": '" + text + "' ends before it begins");
  return r;
}

/// "1 point", "40 points".
inline std::string count_of(std::uint64_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

/// The shortest text that reads back as `value` ("0.1", "1e-05").
inline std::string format_number(double value) { return probust::detail::format_double(value); }

}  // namespace probust_cli
