#pragma once
/// \file digits_data.hpp
/// The 8×8 handwritten digits bundled in examples/data/digits.csv (UCI "Optical Recognition
/// of Handwritten Digits", the 1797-image copy shipped by scikit-learn; provenance and
/// licence in examples/data/README.md): a loader and the fixed, platform-independent
/// train/test split used by the examples and benchmarks.
///
/// File format: one image per line, no header, 65 comma-separated integers — the 64 pixels
/// of the 8×8 image row by row (top row first), each a count 0..16 of "on" pixels in a 4×4
/// block of the original 32×32 bitmap, then the label 0..9.
///
///     #include "digits_data.hpp"
///     const auto all = probust_examples::load_digits(probust_examples::default_digits_path());
///     const auto [train, test] = probust_examples::split_digits(all);
///     // train.inputs: 1347 × 64 in [0, 1]; test.labels: 450 labels 0..9

#include <Eigen/Core>
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <probust/config.hpp>
#include <probust/random.hpp>

namespace probust_examples {

/// The directory holding the bundled data and model files: the compile definition
/// PROBUST_EXAMPLES_DATA_DIR (examples/CMakeLists.txt sets it to the absolute path of
/// examples/data), or "examples/data" — relative to the repository root — without it.
inline std::string examples_data_dir() {
#ifdef PROBUST_EXAMPLES_DATA_DIR
  return PROBUST_EXAMPLES_DATA_DIR;
#else
  return "examples/data";
#endif
}

/// examples_data_dir() + "/digits.csv".
inline std::string default_digits_path() { return examples_data_dir() + "/digits.csv"; }

/// Pixels per image (8 × 8), classes (digits 0..9) and the largest raw pixel value.
inline constexpr int digits_pixels = 64;
inline constexpr int digits_classes = 10;
inline constexpr int digits_max_pixel = 16;

/// A set of labelled images: row i of `inputs` is image i, its 64 pixels row by row,
/// scaled from 0..16 to [0, 1] (divided by 16); labels(i) ∈ {0, …, 9} is its digit.
struct digits_dataset {
  Eigen::MatrixXd inputs;  ///< n × 64, one row per image, entries in [0, 1]
  Eigen::VectorXi labels;  ///< n digits 0..9

  /// n, the number of images.
  Eigen::Index size() const noexcept { return labels.size(); }
};

/// Reads a digits CSV file (format: see the file comment). Blank lines and a trailing '\r'
/// (CRLF files) are accepted. Throws std::runtime_error "load_digits: <path>:<line>:
/// <problem>" if the file cannot be opened, a row does not have 65 fields, a field is not
/// an integer, a pixel is outside 0..16 or a label outside 0..9, and
/// "load_digits: <path>: no data" for a file without rows.
inline digits_dataset load_digits(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file.is_open()) throw std::runtime_error("load_digits: cannot open '" + path + "'");

  constexpr int columns = digits_pixels + 1;
  std::vector<int> values;  // all fields, row after row
  std::string line;
  for (std::size_t line_number = 1; std::getline(file, line); ++line_number) {
    const auto fail = [&](const std::string& problem) {
      throw std::runtime_error("load_digits: " + path + ":" + std::to_string(line_number) +
                               ": " + problem);
    };
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;

    // Split at commas and parse each field as a decimal integer (std::from_chars: no
    // locale, no leading spaces, no '+', nothing left over).
    int column = 0;
    std::size_t begin = 0;
    while (true) {
      const std::size_t comma = std::min(line.find(',', begin), line.size());
      ++column;
      if (column <= columns) {
        const char* first = line.data() + begin;
        const char* last = line.data() + comma;
        int value = 0;
        const auto [end, error] = std::from_chars(first, last, value);
        if (error != std::errc() || end != last) {
          fail("column " + std::to_string(column) + ": expected an integer, found '" +
               std::string(first, last) + "'");
        }
        if (column <= digits_pixels && (value < 0 || value > digits_max_pixel)) {
          fail("column " + std::to_string(column) + ": pixel " + std::to_string(value) +
               " is outside 0.." + std::to_string(digits_max_pixel));
        }
        if (column == columns && (value < 0 || value >= digits_classes)) {
          fail("label " + std::to_string(value) + " is outside 0.." +
               std::to_string(digits_classes - 1));
        }
        values.push_back(value);
      }
      if (comma == line.size()) break;
      begin = comma + 1;
    }
    if (column != columns) {
      fail("expected " + std::to_string(columns) + " comma-separated fields (64 pixels and " +
           "the label), found " + std::to_string(column));
    }
  }
  if (file.bad()) throw std::runtime_error("load_digits: reading '" + path + "' failed");
  if (values.empty()) throw std::runtime_error("load_digits: " + path + ": no data");

  const Eigen::Index n = static_cast<Eigen::Index>(values.size()) / columns;
  digits_dataset data;
  data.inputs.resize(n, digits_pixels);
  data.labels.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < digits_pixels; ++j) {
      data.inputs(i, j) = values[static_cast<std::size_t>(i * columns + j)] /
                          static_cast<double>(digits_max_pixel);
    }
    data.labels(i) = values[static_cast<std::size_t>(i * columns + digits_pixels)];
  }
  return data;
}

/// A random permutation of 0..n−1 by the Fisher–Yates shuffle, drawing j uniformly from
/// 0..i as ⌊u·(i+1)⌋ with u = probust::uniform_open01(engine) ∈ (0, 1). Plain double
/// arithmetic on probust's engine, so the permutation is the same on every platform —
/// unlike std::shuffle and std::uniform_int_distribution, whose algorithms the standard
/// leaves to the library. (u lies on a grid of 2⁵² points, so each j's probability is off
/// by a relative amount of order (i+1)·2⁻⁵² at most.)
inline std::vector<Eigen::Index> random_permutation(Eigen::Index n,
                                                    probust::random_engine& engine) {
  std::vector<Eigen::Index> order(static_cast<std::size_t>(std::max<Eigen::Index>(n, 0)));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<Eigen::Index>(i);
  for (std::size_t i = order.size(); i-- > 1;) {
    const double u = probust::uniform_open01(engine);
    const std::size_t j = std::min(static_cast<std::size_t>(u * static_cast<double>(i + 1)), i);
    std::swap(order[i], order[j]);
  }
  return order;
}

/// The rows `rows` of `data`, in that order.
inline digits_dataset select_rows(const digits_dataset& data,
                                  const std::vector<Eigen::Index>& rows) {
  digits_dataset subset;
  subset.inputs.resize(static_cast<Eigen::Index>(rows.size()), data.inputs.cols());
  subset.labels.resize(static_cast<Eigen::Index>(rows.size()));
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const Eigen::Index i = static_cast<Eigen::Index>(k);
    subset.inputs.row(i) = data.inputs.row(rows[k]);
    subset.labels(i) = data.labels(rows[k]);
  }
  return subset;
}

/// A training set and a held-out test set.
struct digits_split {
  digits_dataset train;
  digits_dataset test;
};

/// The fixed split used throughout the examples and benchmarks: a random permutation of
/// the n images (random_permutation with probust::random_engine(seed)) puts its first
/// test_size images in the test set and the other n − test_size in the training set, each
/// part then kept in file order. With the defaults (450 = a quarter of 1797, seed
/// probust::default_seed) that is 1347 training and 450 test images, the same on every
/// platform. Shuffling matters: the file is ordered by writer, and the last quarter,
/// written by people barely seen in the first three, is a harder test set. Throws
/// std::invalid_argument unless 0 < test_size < data.size().
inline digits_split split_digits(const digits_dataset& data, Eigen::Index test_size = 450,
                                 std::uint64_t seed = probust::default_seed) {
  const Eigen::Index n = data.size();
  if (test_size <= 0 || test_size >= n) {
    throw std::invalid_argument("split_digits: test_size " + std::to_string(test_size) +
                                " must lie strictly between 0 and the " + std::to_string(n) +
                                " images");
  }
  probust::random_engine engine(seed);
  const std::vector<Eigen::Index> order = random_permutation(n, engine);
  std::vector<Eigen::Index> test_rows(order.begin(), order.begin() + test_size);
  std::vector<Eigen::Index> train_rows(order.begin() + test_size, order.end());
  std::sort(test_rows.begin(), test_rows.end());
  std::sort(train_rows.begin(), train_rows.end());
  return {select_rows(data, train_rows), select_rows(data, test_rows)};
}

}  // namespace probust_examples
