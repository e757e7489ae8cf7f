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
  double value = 0.0;  ///< p = exp(log_scale)·value
  double error = 0.0;  ///< 3 standard errors of the mean over randomizations, same scale
  double log_scale = 0.0;
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
    // Linear mode: product of the factors e_j (0 = dead point). Log mode: Σ log e_j.
    const double dead = log_offset_ == 0.0 ? 0.0 : -std::numeric_limits<double>::infinity();
    double product[block];
    std::fill(product, product + n, log_offset_ == 0.0 ? 1.0 : 0.0);
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
      // The interval [lo, hi] of w_j at every point: the intersection over the rows owned
      // by column j (loops over points, so they vectorize).
      std::fill(lo_, lo_ + n, -std::numeric_limits<double>::infinity());
      std::fill(hi_, hi_ + n, std::numeric_limits<double>::infinity());
      for (int i = row_begin; i < row_begin + rows; ++i) {
        const double c = f_.factor(i, j);
        const double* s = &sums_(0, i);
        const double lower = f_.lower(i) / c, upper = f_.upper(i) / c;
        const double inv = 1.0 / c;
        if (c > 0.0) {
          for (int p = 0; p < n; ++p) {
            lo_[p] = std::max(lo_[p], lower - s[p] * inv);
            hi_[p] = std::min(hi_[p], upper - s[p] * inv);
          }
        } else {
          for (int p = 0; p < n; ++p) {
            lo_[p] = std::max(lo_[p], upper - s[p] * inv);
            hi_[p] = std::min(hi_[p], lower - s[p] * inv);
          }
        }
      }
      if (two_sided_[static_cast<std::size_t>(j)] || log_offset_ != 0.0) {
        scalar_step(j, n, uniforms, product, dead);
      } else {
        batch_step(j, n, uniforms, product);
      }
      const int later = f_.owner_begin[static_cast<std::size_t>(j) + 1];
      if ((j + 1) % panel == 0 && later < k) {  // panel complete: update every later row
        sums_.rightCols(k - later).noalias() +=
            w_.middleCols(panel_begin, panel) *
            f_.factor.block(later, panel_begin, k - later, panel).transpose();
      }
    }
    double total = 0.0;
    for (int p = 0; p < n; ++p) {
      total += log_offset_ == 0.0 ? product[p] : std::exp(std::min(product[p] - log_offset_, 700.0));
    }
    return total;
  }

  /// Integrate exp(Σ log e_j − offset) instead of Π e_j, for p too small for double
  /// (offset ≈ log p, so the values stay near 1); 0 restores the plain product.
  void set_log_offset(double offset) noexcept { log_offset_ = offset; }

 private:
  const ordered_factor& f_;
  Eigen::MatrixXd w_;     // block × rank: sampled variables, column j contiguous over points
  Eigen::MatrixXd sums_;  // block × k: Σ_m L_im w_m over the completed panels
  std::vector<bool> two_sided_;
  double log_offset_ = 0.0;
  double lo_[block], hi_[block];  // limits of the current variable at each point
  double q_[block];               // batch: Φ(hi), then u·Φ(hi); scalar: w
  double w_batch_[block];         // batch: Φ⁻¹(u·Φ(hi))

  /// w_(·, j) = w, clamped into [lo, hi] ∩ [−40, 40] (Φ⁻¹ of a rounded-off 0 or 1 is ±∞),
  /// 0 at dead points.
  void store_w(int j, int n, const double* product, double dead, const double* w) {
    for (int p = 0; p < n; ++p) {
      w_(p, j) = product[p] == dead
                     ? 0.0
                     : std::clamp(w[p], std::max(lo_[p], -40.0), std::min(hi_[p], 40.0));
    }
  }

  /// Variable j at every point, one point at a time (two-sided limits or log mode):
  /// e = Φ(hi) − Φ(lo) (or log e) enters the product, w = Φ⁻¹(Φ(lo) + u·e) is stored.
  void scalar_step(int j, int n, const Eigen::MatrixXd& uniforms, double* product,
                   double dead) {
    const bool need_w = j + 1 < f_.rank;
    for (int p = 0; p < n; ++p) {
      double w = 0.0;
      if (product[p] == dead || !(hi_[p] > lo_[p])) {
        product[p] = dead;
      } else {
        const double u = need_w ? uniforms(j, p) : 0.5;
        double* w_out = need_w ? &w : nullptr;
        if (log_offset_ == 0.0) {
          product[p] *= step(lo_[p], hi_[p], u, w_out);
        } else {
          product[p] += log_step(lo_[p], hi_[p], u, w_out);
        }
      }
      q_[p] = w;
    }
    if (need_w) store_w(j, n, product, dead, q_);
  }

  /// Variable j at every point when its limits are one-sided, in linear mode (the
  /// robustness problem): e = Φ(hi), w = Φ⁻¹(u·e), both evaluated as vectorized batches
  /// (dead points keep product 0).
  void batch_step(int j, int n, const Eigen::MatrixXd& uniforms, double* product) {
    const bool need_w = j + 1 < f_.rank;
    normal_cdf_batch(hi_, q_, n);
    for (int p = 0; p < n; ++p) {
      product[p] *= q_[p];
      q_[p] = need_w ? uniforms(j, p) * q_[p] : 0.5;
    }
    if (need_w) {
      normal_quantile_batch(q_, w_batch_, n);
      store_w(j, n, product, 0.0, w_batch_);
    }
  }

  /// e = Φ(hi) − Φ(lo) and, unless w is null, w = Φ⁻¹(Φ(lo) + u·e), on the side of 0
  /// that keeps precision.
  static double step(double lo, double hi, double u, double* w) {
    if (lo > 0.0) {  // both limits in the upper half: use upper tails
      const double tail_lo = normal_ccdf(lo);
      const double e = tail_lo - normal_ccdf(hi);
      if (w) *w = -normal_quantile(tail_lo - u * e);
      return e;
    }
    const double cdf_lo = normal_cdf(lo);
    const double e = normal_cdf(hi) - cdf_lo;
    if (w) *w = normal_quantile(cdf_lo + u * e);
    return e;
  }

  /// log e and w as in step, computed from log Φ so that nothing underflows:
  /// for hi ≤ 0, Φ(lo) + u·e = Φ(hi)·(r + u(1 − r)) with r = Φ(lo)/Φ(hi), and w comes from
  /// log of that through normal_quantile_from_log; symmetrically on upper tails for lo ≥ 0.
  static double log_step(double lo, double hi, double u, double* w) {
    if (hi <= 0.0) {
      const double log_hi = log_normal_cdf(hi);
      const double r = std::exp(log_normal_cdf(lo) - log_hi);
      if (w) *w = normal_quantile_from_log(log_hi + std::log(r + u * (1.0 - r)));
      return log_hi + std::log1p(-r);
    }
    if (lo >= 0.0) {
      const double log_lo = log_normal_cdf(-lo);
      const double r = std::exp(log_normal_cdf(-hi) - log_lo);
      if (w) *w = -normal_quantile_from_log(log_lo + std::log1p(-u * (1.0 - r)));
      return log_lo + std::log1p(-r);
    }
    return std::log(step(lo, hi, u, w));
  }
};

/// Randomized QMC integration of the SOV integrand: `randomizations` independently
/// scrambled Sobol' sequences, each extended (to the size the observed error predicts)
/// until 3·SE ≤ max(abs_tol, rel_tol·p) or the point budget is spent.
/// When the ordering's estimate of log p is below log_mode_threshold (p ≈ 1e-130), the
/// integrand runs in log mode scaled by that estimate, so p down to ~1e-300 and below keeps
/// its relative accuracy; the tolerance abs_tol is scaled accordingly.
inline constexpr double log_mode_threshold = -300.0;

inline qmc_estimate integrate_sov(const ordered_factor& f, const mvn_options& opt) {
  sov_integrand integrand(f);
  qmc_estimate out;
  if (f.log_estimate < log_mode_threshold) {
    out.log_scale = f.log_estimate;
    integrand.set_log_offset(f.log_estimate);
  }
  // In the scaled units; may be +inf (then met at once), never 0·inf.
  const double abs_tol = opt.abs_tol > 0.0 ? opt.abs_tol * std::exp(-out.log_scale) : 0.0;
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
  std::uint64_t previous_points = 0;  // points per randomization of the previous round
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
    // 3 standard errors, but never below the previous round's error scaled by n_prev/n:
    // an error estimate from 8 randomizations is noisy, and stopping at the first round
    // whose estimate happens to be low would cover the truth less often than claimed;
    // randomized QMC errors rarely fall faster than 1/n.
    const bool first_round = previous_points == 0;
    const double previous_scaled =
        !first_round ? out.error * static_cast<double>(previous_points) / n : 0.0;
    out.error = std::max(3.0 * std::sqrt(var), previous_scaled);
    previous_points = done;
    out.points = done * static_cast<std::uint64_t>(m);
    // Never converged on the first round: its error estimate has no floor yet, and on the
    // coverage study (benchmarks/coverage_study.cpp) stopping there gave 97.2% coverage at
    // abs_tol 1e-3 (bands exceeded up to 6.8×) against 99.8% with a second round.
    out.converged = !first_round && out.error <= std::max(abs_tol, opt.rel_tol * mean);
    if (out.converged || done >= budget) break;
    // Next size from the observed error, assuming error ∝ n^(−3/4) (randomized Sobol' on
    // these integrands converges like n^(−0.7…−1)), with 10% to spare; at least one more
    // block and at most four times as many points. In log mode (deep tails, heavy-tailed
    // values, a less reliable error estimate) at least twice as many.
    const double tol = std::max(abs_tol, opt.rel_tol * mean);
    double grow = tol > 0.0 ? 1.1 * std::pow(out.error / tol, 4.0 / 3.0) : 4.0;
    if (out.log_scale != 0.0) grow = std::max(grow, 2.0);
    const auto wanted = static_cast<std::uint64_t>(std::min(grow, 4.0) * n);
    const std::uint64_t step = sov_integrand::block;
    target = std::min(std::max((wanted + step - 1) / step * step, done + step), budget);
  }
  return out;
}

}  // namespace probust::detail
