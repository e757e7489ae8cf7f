#pragma once
/// \file pivoted_cholesky.hpp
/// Rank-revealing Cholesky factorization of a correlation matrix with the Genz–Bretz
/// variable ordering, producing the lower-trapezoidal factor the separation-of-variables
/// integrand needs. A rank-deficient matrix is factored exactly (no jitter): constraints
/// that are linear combinations of earlier ones become extra limits on an earlier variable.

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "probust/detail/math.hpp"
#include "probust/errors.hpp"
#include "probust/mvn/univariate.hpp"

namespace probust::detail {

/// P(lower ≤ L w ≤ upper), w ~ N(0, I_rank), in the form the SOV integrand consumes.
/// Rows are sorted by their owner: the last column with a non-zero entry. Rows
/// [owner_begin[j], owner_begin[j+1]) bound variable w_j given w_0..w_{j−1}.
struct ordered_factor {
  Eigen::MatrixXd factor;        ///< k × rank, entries right of the owner column are 0
  Eigen::VectorXd lower, upper;  ///< limits of each row (±inf allowed)
  std::vector<int> owner_begin;  ///< size rank + 1
  std::vector<int> row_index;    ///< original index of each row
  int rank = 0;
  /// Σ_j log P(α_j ≤ w_j ≤ β_j) at the truncated means: a first guess of log p, used to
  /// scale the integrand when p is too small for double (log_mode below).
  double log_estimate = 0.0;
};

/// Mean of a standard normal truncated to (a, b), computed without cancellation in the
/// tails: E = (φ(a) − φ(b)) / (Φ(b) − Φ(a)), evaluated on the side away from the mass.
inline double truncated_normal_mean(double a, double b) {
  if (a > 0.0) return -truncated_normal_mean(-b, -a);  // reflect into the lower half
  // Now a ≤ 0: the mass is not in the far upper tail; use ratios of densities to Φ(b).
  const double log_phi_b = std::isinf(b) ? -std::numeric_limits<double>::infinity()
                                         : -0.5 * b * b - log_sqrt_2pi<double>;
  const double log_phi_a = std::isinf(a) ? -std::numeric_limits<double>::infinity()
                                         : -0.5 * a * a - log_sqrt_2pi<double>;
  const double log_mass_b = log_normal_cdf(b);
  const double mass_a_over_b = std::exp(log_normal_cdf(a) - log_mass_b);
  const double denominator = 1.0 - mass_a_over_b;
  if (!(denominator > 1e-12)) return 0.5 * (a + b);  // interval too narrow to matter
  const double numerator = std::exp(log_phi_a - log_mass_b) - std::exp(log_phi_b - log_mass_b);
  return std::clamp(numerator / denominator, a, b);
}

/// Pivoted Cholesky of the correlation matrix `correlation` (k × k, unit diagonal, PSD)
/// with the Genz–Bretz ordering: at each step the remaining variable with the smallest
/// conditional probability Φ(b′) − Φ(a′) is taken next, its limits shifted by the
/// truncated means of the variables already chosen (A. Genz & F. Bretz, "Computation of
/// Multivariate Normal and t Probabilities", Springer 2009, §4.1.3).
/// Rank is decided by size, not by that order: only variables whose residual variance is at
/// least `pivot_floor` times the largest remaining one are candidates, so a nearly dependent
/// row is never a pivot (its 1/√residual would amplify rounding into the later rows, as in
/// the rank-revealing Cholesky of Higham, "Accuracy and Stability of Numerical Algorithms",
/// §10.3, which pivots on the largest residual). The factorization ends when the largest
/// residual is ≤ tol = max(rank_tol, 8·k·ε) (relative: the diagonal is 1); the remaining
/// rows are then exact linear combinations of the chosen ones. Throws invalid_argument
/// (naming `argument`) when a residual variance is clearly negative, i.e. the matrix is not
/// PSD, unless `psd_by_construction` (a matrix F Fᵀ: negative residuals are rounding).
inline ordered_factor pivoted_cholesky(const Eigen::MatrixXd& correlation,
                                       const Eigen::VectorXd& lower, const Eigen::VectorXd& upper,
                                       double rank_tol, const char* function,
                                       const char* argument, bool psd_by_construction = false) {
  // A candidate pivot's residual must be ≥ pivot_floor · the largest: rounding in the later
  // rows then grows by at most 1/pivot_floor per step.
  constexpr double pivot_floor = 1e-3;
  const int k = static_cast<int>(correlation.rows());
  std::vector<int> perm(static_cast<std::size_t>(k));
  std::iota(perm.begin(), perm.end(), 0);
  Eigen::MatrixXd l = Eigen::MatrixXd::Zero(k, k);  // rows follow perm
  Eigen::VectorXd residual = correlation.diagonal();
  Eigen::VectorXd shift = Eigen::VectorXd::Zero(k);  // Σ_m L_im y_m
  Eigen::VectorXd a = lower, b = upper;
  int rank = 0;
  double log_estimate = 0.0;
  const double tol = std::max(rank_tol, 8.0 * k * std::numeric_limits<double>::epsilon());
  for (int j = 0; j < k; ++j) {
    double largest = 0.0;
    for (int i = j; i < k; ++i) {
      if (residual(i) < -1e3 * tol - 1e-12 && !psd_by_construction) {
        throw_invalid_argument(function, std::string(argument) +
                                             " is not positive semi-definite (negative pivot " +
                                             std::to_string(residual(i)) + ")");
      }
      largest = std::max(largest, residual(i));
    }
    if (largest <= tol) break;
    const double floor = pivot_floor * largest;
    int best = -1;
    double best_log_prob = std::numeric_limits<double>::infinity();
    double best_a = 0.0, best_b = 0.0;
    for (int i = j; i < k; ++i) {
      if (residual(i) < floor) continue;
      const double sd = std::sqrt(residual(i));
      const double ai = (a(i) - shift(i)) / sd, bi = (b(i) - shift(i)) / sd;
      const double log_prob = log_normal_interval(ai, bi);
      if (best < 0 || log_prob < best_log_prob) {
        best_log_prob = log_prob;
        best = i;
        best_a = ai;
        best_b = bi;
      }
    }
    if (best != j) {
      std::swap(perm[static_cast<std::size_t>(j)], perm[static_cast<std::size_t>(best)]);
      l.row(j).swap(l.row(best));
      std::swap(residual(j), residual(best));
      std::swap(shift(j), shift(best));
      std::swap(a(j), a(best));
      std::swap(b(j), b(best));
    }
    log_estimate += best_log_prob;
    const double pivot = std::sqrt(residual(j));
    l(j, j) = pivot;
    const int rest = k - j - 1;
    if (rest > 0) {
      Eigen::VectorXd column(rest);
      const int pivot_index = perm[static_cast<std::size_t>(j)];
      for (int i = 0; i < rest; ++i) {
        column(i) = correlation(perm[static_cast<std::size_t>(j + 1 + i)], pivot_index);
      }
      column.noalias() -= l.block(j + 1, 0, rest, j) * l.row(j).head(j).transpose();
      column /= pivot;
      l.block(j + 1, j, rest, 1) = column;
      const double y = truncated_normal_mean(best_a, best_b);
      residual.tail(rest) -= column.cwiseAbs2();
      shift.tail(rest) += column * y;
    }
    rank = j + 1;
  }

  // Every pivot column owns at least its pivot row, so owner_begin has no empty group.
  // Owner of each row: its pivot column, or for a dependent row the last column whose
  // coefficient is distinguishable from rounding (|L_ij| > √tol).
  const double owner_tol = std::sqrt(tol);
  std::vector<int> owner(static_cast<std::size_t>(k));
  for (int i = 0; i < k; ++i) {
    if (i < rank) {
      owner[static_cast<std::size_t>(i)] = i;
      continue;
    }
    int o = rank - 1;
    while (o > 0 && std::abs(l(i, o)) <= owner_tol) --o;
    owner[static_cast<std::size_t>(i)] = o;
  }
  std::vector<int> order(static_cast<std::size_t>(k));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
    return owner[static_cast<std::size_t>(x)] < owner[static_cast<std::size_t>(y)];
  });

  ordered_factor out;
  out.rank = rank;
  out.log_estimate = log_estimate;
  out.factor.setZero(k, rank);
  out.lower.resize(k);
  out.upper.resize(k);
  out.row_index.resize(static_cast<std::size_t>(k));
  out.owner_begin.assign(static_cast<std::size_t>(rank) + 1, k);
  for (int r = k - 1; r >= 0; --r) {
    const int i = order[static_cast<std::size_t>(r)];
    const int o = owner[static_cast<std::size_t>(i)];
    out.factor.row(r).head(o + 1) = l.row(i).head(o + 1);
    out.lower(r) = a(i);
    out.upper(r) = b(i);
    out.row_index[static_cast<std::size_t>(r)] = perm[static_cast<std::size_t>(i)];
    out.owner_begin[static_cast<std::size_t>(o)] = r;
  }
  return out;
}

}  // namespace probust::detail
