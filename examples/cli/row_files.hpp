#pragma once
// row_files.hpp — the result files of probust-cli: rows of probust::run_dataset as CSV or
// JSON Lines (the schema of docs/dataset_format.md, written by <probust/dataset_io.hpp>,
// read by its read_csv and jsonl_reader.hpp), the choice of format, and safe writing.
//
// Safe writing: rows go to a partial file FILE.partial-XXXXXXXXXXXXXXXX (16 random hex
// digits) next to FILE, created exclusively (fopen "wx": it never existed before, so two
// runs with the same --output never share one), and renamed to FILE only when everything
// has been written and closed without error. Concurrent runs with the same --output each
// rename their own complete file: FILE is the output of the one that finished last. A
// failed run removes its partial file and says so; FILE is never left truncated (an older
// FILE stays as it was). A run killed by a signal leaves its partial file, never FILE.
//
// The target is checked first (usage error, exit status 2): FILE must not be a directory
// or a special file (FIFO, device, socket: they are never replaced; write to stdout and
// redirect instead), nor the same file (st_dev/st_ino, through links) as an input of the
// command, which the rename would replace.

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <probust/dataset.hpp>
#include <probust/dataset_io.hpp>
#include <random>
#include <string>
#include <utility>
#include <system_error>
#include <vector>

#include "arguments.hpp"
#include "jsonl_reader.hpp"

namespace probust_cli {

enum class row_format { csv, jsonl };

inline const char* format_name(row_format f) { return f == row_format::csv ? "csv" : "jsonl"; }

/// "csv" or "jsonl" (--format).
inline row_format parse_format(const std::string& option, const std::string& text) {
  return parse_choice(option, text, {"csv", "jsonl"}) == "csv" ? row_format::csv
                                                               : row_format::jsonl;
}

/// True if `path` ends in `suffix`.
inline bool ends_with(const std::string& path, const std::string& suffix) {
  return path.size() >= suffix.size() &&
         path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The format of an output path: .jsonl / .ndjson / .json → jsonl, .csv → csv, anything
/// else (stdout included) → `fallback`.
inline row_format format_of_path(const std::string& path, row_format fallback) {
  if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson") || ends_with(path, ".json")) {
    return row_format::jsonl;
  }
  if (ends_with(path, ".csv")) return row_format::csv;
  return fallback;
}

/// True when `path` means standard output ("" = no --output, or "-").
inline bool is_stdout(const std::string& path) { return path.empty() || path == "-"; }

/// The rows of a result file, and its format.
struct row_file {
  std::string path;
  row_format format = row_format::csv;
  std::vector<probust::dataset_row> rows;
};

/// Reads a result file written by probust-cli (or probust::write_csv / write_jsonl). The
/// format is recognized by the content: JSON Lines starts with '{', anything else is CSV;
/// an empty file (the JSON Lines output of an empty shard) has no rows. Throws data_error
/// "<file>:<line>: <problem>" for a malformed file, or if it is a directory or cannot be
/// opened.
inline row_file read_rows(const std::string& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    throw data_error("'" + path + "' is a directory, not a result file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) throw data_error("cannot open '" + path + "': " + std::strerror(errno));
  row_file file;
  file.path = path;
  char first = 0;  // the first character that is not white space
  while (in.get(first) && std::isspace(static_cast<unsigned char>(first))) continue;
  if (!in) return file;  // empty or blank: no rows
  file.format = first == '{' ? row_format::jsonl : row_format::csv;
  in.clear();
  in.seekg(0);
  try {
    file.rows = file.format == row_format::jsonl ? read_jsonl(in, path)
                                                 : probust::read_csv(in, path);
  } catch (const probust::invalid_argument& e) {  // "<reader>: <file>:<line>: ..."
    throw data_error(without_prefix(without_prefix(e.what(), "probust::read_csv: "),
                                    "probust_cli::read_jsonl: "));
  }
  if (in.bad()) throw data_error("reading '" + path + "' failed");
  return file;
}

/// A file the command reads, which --output must not be: the option that names it
/// ("--inputs", "--model", "part") and its path.
struct input_file {
  std::string option;
  std::string path;
};

/// Checks that `path` (--output) may be replaced by a regular file: it does not exist, or
/// it is a regular file (or a link to one) that is none of `inputs` (compared as files:
/// device and inode, so other spellings, symbolic and hard links count). Throws
/// usage_error otherwise.
inline void check_output_target(const std::string& path, const std::vector<input_file>& inputs) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (status.type() == fs::file_type::not_found) return;
  if (status.type() == fs::file_type::directory) {
    throw usage_error("--output " + path + " is a directory; give a file name");
  }
  if (status.type() != fs::file_type::regular) {
    throw usage_error("--output " + path +
                      " is not a regular file (a FIFO, device or socket); probust-cli writes "
                      "a new file and renames it over FILE, which would replace it. Leave out "
                      "--output and redirect stdout instead (> " + path + ")");
  }
  for (const input_file& input : inputs) {
    if (fs::equivalent(path, input.path, error)) {
      throw usage_error("--output " + path + " is the same file as " + input.option + " " +
                        input.path + ", which it would replace; choose another output file");
    }
  }
}

/// Creates a new, empty partial file for `path` ("<path>.partial-" and 16 random hex
/// digits) exclusively: it did not exist before (std::fopen mode "wx"), so no other run
/// writes to it. Returns its name; throws data_error if it cannot be created.
inline std::string create_partial_file(const std::string& path) {
  std::random_device random;
  const auto digits = [&random] {
    std::uint64_t bits = static_cast<std::uint64_t>(random()) << 32 | random();
    std::string hex(16, '0');
    for (char& c : hex) {
      c = "0123456789abcdef"[bits >> 60];
      bits <<= 4;
    }
    return hex;
  };
  std::string name;
  for (int attempt = 0; attempt < 100; ++attempt) {
    name = path + ".partial-" + digits();
    errno = 0;
    if (std::FILE* file = std::fopen(name.c_str(), "wbx")) {
      if (std::fclose(file) == 0) return name;
      const int close_error = errno;
      std::remove(name.c_str());
      errno = close_error;
      break;
    }
    if (errno != EEXIST) break;  // EEXIST: that name is taken, try another
  }
  throw data_error("cannot create '" + name + "' (for --output " + path +
                   "): " + std::strerror(errno));
}

/// Where the rows go: a file (through a partial file, see the file comment) or stdout.
///
///     row_output out(path, format, inputs); // checks the target, creates the partial file
///     out.write(rows); out.write(more);     // in the order of the file
///     out.commit();                         // closes and renames the partial file to FILE
///
/// If commit() is never reached (an exception), the destructor removes the partial file;
/// abandon() does it earlier and returns a sentence saying what happened.
class row_output {
 public:
  /// Throws usage_error if `path` may not be written (check_output_target against
  /// `inputs`), data_error if the partial file cannot be created.
  row_output(std::string path, row_format format, const std::vector<input_file>& inputs = {})
      : path_(std::move(path)), format_(format) {
    if (is_stdout(path_)) return;
    check_output_target(path_, inputs);
    partial_ = create_partial_file(path_);
    file_.open(partial_, std::ios::binary | std::ios::trunc);
    if (!file_.is_open()) {
      const int open_error = errno;
      std::remove(partial_.c_str());
      throw data_error("cannot open '" + partial_ + "' (for --output " + path_ +
                       "): " + std::strerror(open_error));
    }
  }
  row_output(const row_output&) = delete;
  row_output& operator=(const row_output&) = delete;
  ~row_output() { remove_partial(); }

  /// Appends rows (CSV: the header line before the first rows).
  void write(const std::vector<probust::dataset_row>& rows) {
    std::ostream& out = stream();
    if (format_ == row_format::csv) {
      probust::write_csv(out, rows, !header_written_);
      header_written_ = true;
    } else {
      probust::write_jsonl(out, rows);
    }
    written_ += rows.size();
    if (!out) throw data_error("writing " + name() + " failed: " + std::strerror(errno));
  }

  /// Finishes the output: writes the CSV header if there were no rows, flushes, closes and
  /// renames the partial file to FILE (replacing an older FILE).
  void commit() {
    if (format_ == row_format::csv && !header_written_) write({});
    std::ostream& out = stream();
    out.flush();
    if (!out) throw data_error("writing " + name() + " failed: " + std::strerror(errno));
    if (partial_.empty()) return;
    file_.close();
    if (file_.fail())
      throw data_error("closing '" + partial_ + "' failed: " + std::strerror(errno));
    std::error_code error;
    std::filesystem::rename(partial_, path_, error);
    if (error) {
      throw data_error("cannot rename '" + partial_ + "' to '" + path_ + "': " + error.message());
    }
    partial_.clear();
  }

  /// Gives up: removes the partial file and returns what the user should know ("out.csv
  /// was not written (removed the incomplete out.csv.partial-…)"), or "" when nothing
  /// needs saying.
  std::string abandon() {
    if (!partial_.empty()) {
      const std::string partial = partial_;
      remove_partial();
      return path_ + " was not written (removed the incomplete " + partial + ")";
    }
    if (written_ > 0) return "the rows already written to stdout are incomplete";
    return "";
  }

  /// "'out.csv'" or "stdout", for messages.
  std::string name() const { return is_stdout(path_) ? "stdout" : "'" + path_ + "'"; }
  /// The path given, or "stdout".
  std::string target() const { return is_stdout(path_) ? "stdout" : path_; }
  row_format format() const { return format_; }

 private:
  std::ostream& stream() { return partial_.empty() ? std::cout : file_; }

  void remove_partial() noexcept {
    if (partial_.empty()) return;
    file_.close();
    std::remove(partial_.c_str());
    partial_.clear();
  }

  std::string path_;
  row_format format_;
  std::string partial_;  // the partial file while it exists, else empty
  std::ofstream file_;
  bool header_written_ = false;
  std::uint64_t written_ = 0;
};

/// Runs `work(out)` with a row_output for `path` (which must not be one of `inputs`); if
/// it throws, removes the partial file and rethrows the error with a line saying that FILE
/// was not written.
template <class Work>
void with_output(const std::string& path, row_format format,
                 const std::vector<input_file>& inputs, Work&& work) {
  row_output out(path, format, inputs);
  try {
    work(out);
    out.commit();
  } catch (const std::exception& e) {
    const std::string note = out.abandon();
    const int code = dynamic_cast<const cli_error*>(&e)
                         ? static_cast<const cli_error&>(e).exit_code()
                         : exit_data_error;
    throw cli_error(std::string(e.what()) + (note.empty() ? "" : "\nprobust-cli: " + note), code);
  }
}

}  // namespace probust_cli
