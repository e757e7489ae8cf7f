#pragma once
/// \file genz_qmc.hpp
/// Genz's separation-of-variables (SOV) integrand for P(lower ≤ L w ≤ upper), evaluated
/// on randomized Sobol' points, with an error estimate from independent randomizations.
///
/// With L lower-trapezoidal (rows grouped by owner column j), the probability is
///   p = ∫_{[0,1]^{r−1}} Π_j e_j(u) du,  e_j = Φ(β_j) − Φ(α_j),
///   w_j = Φ⁻¹(Φ(α_j) + u_j e_j),
/// where [α_j, β_j] intersects the limits of every row i owned by column j,
/// (lower_i − Σ_{m<j} L_im w_m) / L_ij ≤ w_j ≤ (upper_i − Σ_{m<j} L_im w_m) / L_ij
/// (swapped when L_ij < 0). A. Genz, "Numerical computation of multivariate normal
/// probabilities", J. Comput. Graph. Statist. 1 (1992) 141–149; Genz & Bretz (2009) §4.

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "probust/mvn/detail/pivoted_cholesky.hpp"
#include "probust/mvn/detail/sobol.hpp"
#include "probust/mvn/options.hpp"
#include "probust/mvn/univariate.hpp"
#include "probust/random.hpp"

namespace probust::detail {

/// Outcome of a randomized-QMC integration.
struct qmc_estimate {
  double value = 0.0;
  double error = 0.0;  ///< 3 standard errors of the mean over randomizations
  std::uint64_t points = 0;
  bool converged = false;
};

/// Evaluates the SOV integrand for blocks of points. The conditional sums
/// Σ_{m<j} L_im w_m are accumulated panel by panel: after each panel of `panel` variables
/// one matrix product updates every later row, so the O(k·r) work per point runs as GEMM.
/// Scratch memory is owned by the object, so evaluation allocates nothing.
class sov_integrand {
 public:
  static constexpr int block = 64;  ///< points evaluated together
  static constexpr int panel = 16;  ///< variables between two GEMM updates

  explicit sov_integrand(const ordered_factor& f)
      : f_(f),
        w_(block, std::max(f.rank, 1)),
        sums_(block, std::max<Eigen::Index>(f.factor.rows(), 1)),
        two_sided_(static_cast<std::size_t>(f.rank), false) {
    for (int j = 0; j < f.rank; ++j) {
      for (int i = f.owner_begin[static_cast<std::size_t>(j)];
           i < f.owner_begin[static_cast<std::size_t>(j) + 1]; ++i) {
        const bool bounded_below = f.factor(i, j) > 0.0 ? std::isfinite(f.lower(i))
                                                        : std::isfinite(f.upper(i));
        if (bounded_below) two_sided_[static_cast<std::size_t>(j)] = true;
      }
    }
  }

  /// Number of uniforms per point (the last variable is integrated in closed form).
  int dimension() const noexcept { return f_.rank - 1; }

  /// Adds the integrand values at the n ≤ block points whose uniforms are the columns of
  /// `uniforms` (dimension() × block, column-major: point p at column p) and returns the sum.
  double sum_block(const Eigen::MatrixXd& uniforms, int n) {
    const int rank = f_.rank;
    const auto k = static_cast<int>(f_.factor.rows());
    double product[block];
    std::fill(product, product + n, 1.0);
    sums_.setZero();
    for (int j = 0; j < rank; ++j) {
      const int row_begin = f_.owner_begin[static_cast<std::size_t>(j)];
      const int rows = f_.owner_begin[static_cast<std::size_t>(j) + 1] - row_begin;
      const int panel_begin = j - j % panel;
      if (j > panel_begin) {  // contributions of this panel's earlier variables
        sums_.middleCols(row_begin, rows).noalias() +=
            w_.middleCols(panel_begin, j - panel_begin) *
            f_.factor.block(row_begin, panel_begin, rows, j - panel_begin).transpose();
      }
      const bool need_w = j + 1 < rank;
      const bool two_sided = two_sided_[static_cast<std::size_t>(j)];
      for (int p = 0; p < n; ++p) {
        if (product[p] == 0.0) {
          w_(p, j) = 0.0;
          continue;
        }
        double lo = -std::numeric_limits<double>::infinity();
        double hi = std::numeric_limits<double>::infinity();
        for (int i = row_begin; i < row_begin + rows; ++i) {
          const double c = f_.factor(i, j);
          const double s = sums_(p, i);
          double t_lo = (f_.lower(i) - s) / c, t_hi = (f_.upper(i) - s) / c;
          if (c < 0.0) std::swap(t_lo, t_hi);
          lo = std::max(lo, t_lo);
          hi = std::min(hi, t_hi);
        }
        if (!(hi > lo)) {
          product[p] = 0.0;
          w_(p, j) = 0.0;
          continue;
        }
        if (!two_sided) {
          const double e = normal_cdf(hi);
          product[p] *= e;
          if (need_w) w_(p, j) = normal_quantile(uniforms(j, p) * e);
        } else if (lo > 0.0) {
          // Both limits in the upper half: work with upper tails to keep precision.
          const double tail_lo = normal_ccdf(lo), tail_hi = normal_ccdf(hi);
          const double e = tail_lo - tail_hi;
          product[p] *= e;
          if (need_w) w_(p, j) = -normal_quantile(tail_lo - uniforms(j, p) * e);
        } else {
          const double cdf_lo = normal_cdf(lo);
          const double e = normal_cdf(hi) - cdf_lo;
          product[p] *= e;
          if (need_w) w_(p, j) = normal_quantile(cdf_lo + uniforms(j, p) * e);
        }
        if (need_w && !std::isfinite(w_(p, j))) w_(p, j) = std::clamp(w_(p, j), lo, hi);
      }
      const int later = f_.owner_begin[static_cast<std::size_t>(j) + 1];
      if ((j + 1) % panel == 0 && later < k) {  // panel complete: update every later row
        sums_.rightCols(k - later).noalias() +=
            w_.middleCols(panel_begin, panel) *
            f_.factor.block(later, panel_begin, k - later, panel).transpose();
      }
    }
    double total = 0.0;
    for (int p = 0; p < n; ++p) total += product[p];
    return total;
  }

 private:
  const ordered_factor& f_;
  Eigen::MatrixXd w_;     // block × rank: sampled variables, column j contiguous over points
  Eigen::MatrixXd sums_;  // block × k: Σ_m L_im w_m over the completed panels
  std::vector<bool> two_sided_;
};

/// Randomized QMC integration of the SOV integrand: `randomizations` independently
/// scrambled Sobol' sequences, each extended in powers of two (so every estimate uses a
/// complete net) until 3·SE ≤ max(abs_tol, rel_tol·p) or the point budget is spent.
inline qmc_estimate integrate_sov(const ordered_factor& f, const mvn_options& opt) {
  sov_integrand integrand(f);
  qmc_estimate out;
  const int dim = integrand.dimension();
  if (dim <= 0) {  // rank 1: a single variable, integrated exactly
    Eigen::MatrixXd none(0, sov_integrand::block);
    out.value = integrand.sum_block(none, 1);
    out.points = 1;
    out.converged = true;
    return out;
  }
  const int m = std::max(2, opt.randomizations);
  std::vector<scrambled_sobol> sequences;
  sequences.reserve(static_cast<std::size_t>(m));
  for (int s = 0; s < m; ++s) {
    sequences.emplace_back(static_cast<std::size_t>(dim),
                           stream(opt.seed, static_cast<std::uint64_t>(s)));
  }
  std::vector<double> sums(static_cast<std::size_t>(m), 0.0);
  Eigen::MatrixXd uniforms(dim, sov_integrand::block);
  const std::uint64_t budget =
      std::max<std::uint64_t>(opt.max_points / static_cast<std::uint64_t>(m), 1);
  std::uint64_t done = 0;
  std::uint64_t target = std::min(std::max<std::uint64_t>(opt.initial_points, 1), budget);
  for (;;) {
    for (int s = 0; s < m; ++s) {
      scrambled_sobol& sequence = sequences[static_cast<std::size_t>(s)];
      for (std::uint64_t start = done; start < target; start += sov_integrand::block) {
        const int n =
            static_cast<int>(std::min<std::uint64_t>(sov_integrand::block, target - start));
        for (int p = 0; p < n; ++p) {
          sequence.next(start + static_cast<std::uint64_t>(p), uniforms.col(p).data(), 1);
        }
        sums[static_cast<std::size_t>(s)] += integrand.sum_block(uniforms, n);
      }
    }
    done = target;
    const double n = static_cast<double>(done);
    double mean = 0.0;
    for (double v : sums) mean += v / n;
    mean /= m;
    double var = 0.0;
    for (double v : sums) var += (v / n - mean) * (v / n - mean);
    var /= static_cast<double>(m) * static_cast<double>(m - 1);
    out.value = mean;
    out.error = 3.0 * std::sqrt(var);
    out.points = done * static_cast<std::uint64_t>(m);
    out.converged = out.error <= std::max(opt.abs_tol, opt.rel_tol * mean);
    if (out.converged || done >= budget) break;
    target = std::min(2 * done, budget);
  }
  return out;
}

}  // namespace probust::detail
