#pragma once
// Small helpers shared by the test files: the standard normal CDF from std::erfc
// (independent of probust's own Φ), reproducible random test data from probust's portable
// normals, and the message of an expected probust::invalid_argument.
#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <string>

#include "probust/errors.hpp"
#include "probust/models/affine.hpp"
#include "probust/random.hpp"

namespace probust_test {

/// One randomized result at a fixed seed against the truth: within twice its reported
/// error (6 standard errors: a false alarm has probability below 1e-3 for 8
/// randomizations). Whether the reported error itself (3 standard errors) covers the truth
/// at its nominal rate is tested separately, over many seeds.
inline bool within_error(double estimate, double truth, double error) {
  return std::abs(estimate - truth) <= 2.0 * error;
}

/// The k × k equicorrelation matrix: 1 on the diagonal, rho elsewhere.
inline Eigen::MatrixXd equicorrelated(int k, double rho) {
  Eigen::MatrixXd r = Eigen::MatrixXd::Constant(k, k, rho);
  r.diagonal().setOnes();
  return r;
}

/// Φ(x) = erfc(−x/√2)/2.
inline double phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

/// A rows × cols matrix of standard normals from probust::point_engine(seed, id): the same
/// numbers on every platform.
inline Eigen::MatrixXd normal_matrix(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed,
                                     std::uint64_t id) {
  auto engine = probust::point_engine(seed, id);
  Eigen::MatrixXd m(rows, cols);
  probust::fill_standard_normal(engine, m);
  return m;
}

/// An affine model with standard-normal W (K × d, point_engine(weight_seed, id)) and b.
inline probust::affine_model<double> random_affine(int classes, int d, std::uint64_t id,
                                                   std::uint64_t weight_seed) {
  return {normal_matrix(classes, d, weight_seed, id), normal_matrix(classes, 1, 0xb1a5, id).col(0)};
}

/// The message of the probust::invalid_argument thrown by f ("" if none is thrown).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const probust::invalid_argument& e) {
    return e.what();
  }
  return "";
}

/// Whether `part` occurs in `text`.
inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace probust_test
