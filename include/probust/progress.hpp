#pragma once
/// \file progress.hpp
/// probust::progress_bar, a terminal progress display for run_dataset. Opt-in: the
/// runner draws nothing unless given one,
///
///     probust::dataset_options options;
///     options.progress = probust::progress_bar{};   // on stderr, if it is a terminal
///
/// Not included by probust.hpp or dataset.hpp (it needs the platform's isatty).

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <string>
#include <utility>

#if defined(_WIN32)
#include <io.h>
#elif defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

#include "probust/dataset.hpp"

namespace probust {

namespace detail {

/// True if `stream` is a terminal (always false where this cannot be asked).
inline bool is_terminal(std::FILE* stream) noexcept {
#if defined(_WIN32)
  return _isatty(_fileno(stream)) != 0;
#elif defined(__unix__) || defined(__APPLE__)
  return isatty(fileno(stream)) != 0;
#else
  (void)stream;
  return false;
#endif
}

/// A duration for the progress bar: "12 s", "3 min 20 s", "2 h 05 min".
inline std::string format_duration(double seconds) {
  const long long s = static_cast<long long>(seconds + 0.5);
  char text[48];
  if (s < 60) {
    std::snprintf(text, sizeof text, "%lld s", s);
  } else if (s < 3600) {
    std::snprintf(text, sizeof text, "%lld min %02lld s", s / 60, s % 60);
  } else {
    std::snprintf(text, sizeof text, "%lld h %02lld min", s / 3600, s % 3600 / 60);
  }
  return text;
}

}  // namespace detail

/// A progress callback for dataset_options::progress that draws
///
///     probust: [=====>              ]  45%  450/1000 points  12 s elapsed  ~15 s left
///
/// in place on stderr (padded with spaces to the length of the previous line), with a
/// newline after the final state. It draws only if stderr is a terminal when the bar is
/// constructed (never into a log file or a pipe). `name` replaces "probust" at the start
/// of the line (e.g. a program's name). Copies share nothing; use one bar per run.
class progress_bar {
 public:
  explicit progress_bar(std::string name = "probust")
      : name_(std::move(name)), enabled_(detail::is_terminal(stderr)) {}

  /// False when stderr is not a terminal: then the bar draws nothing.
  bool enabled() const noexcept { return enabled_; }

  void operator()(const dataset_progress& p) {
    if (!enabled_) return;
    constexpr std::size_t width = 20;
    const double fraction =
        p.total == 0 ? 1.0 : static_cast<double>(p.done) / static_cast<double>(p.total);
    const auto filled = static_cast<std::size_t>(fraction * width);
    std::string bar(width, ' ');
    std::fill(bar.begin(), bar.begin() + static_cast<std::ptrdiff_t>(filled), '=');
    if (filled < width) bar[filled] = '>';
    std::string left;
    if (p.done > 0 && p.done < p.total) {
      left = "  ~" + detail::format_duration(p.elapsed_seconds / fraction - p.elapsed_seconds) +
             " left";
    }
    char text[256];
    std::snprintf(text, sizeof text, "%s: [%s] %3d%%  %zu/%zu points  %s elapsed%s", name_.c_str(),
                  bar.c_str(), static_cast<int>(fraction * 100.0), p.done, p.total,
                  detail::format_duration(p.elapsed_seconds).c_str(), left.c_str());
    std::string line = text;
    const std::size_t length = line.size();
    if (length < previous_length_) line.append(previous_length_ - length, ' ');
    previous_length_ = length;
    std::fprintf(stderr, "\r%s%s", line.c_str(), p.done == p.total ? "\n" : "");
    std::fflush(stderr);
  }

 private:
  std::string name_;
  bool enabled_;
  std::size_t previous_length_ = 0;
};

}  // namespace probust
