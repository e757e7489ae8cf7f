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
///
/// Optionally each w_j is drawn from N(μ_j, 1) instead of N(0, 1) on the same interval
/// (exponential tilting, minimax_tilting.hpp chooses μ); the integrand then becomes
///   Π_j [Φ(β_j − μ_j) − Φ(α_j − μ_j)] · exp(μ_j²/2 − μ_j w_j).

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
  bool tilted = false;  ///< sampled with minimax exponential tilting
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

  /// The work of one point in the units of mvn_options::max_work: k × rank.
  double work_per_point() const noexcept {
    return static_cast<double>(f_.factor.rows()) * f_.rank;
  }

  /// Number of uniforms per point (the last variable is integrated in closed form).
  int dimension() const noexcept { return f_.rank - 1; }

  /// Adds the integrand values at the n ≤ block points whose uniforms are the rows of
  /// `uniforms` (block × dimension(), column-major: point p at row p, so each coordinate is
  /// contiguous over the points) and returns the sum.
  double sum_block(const Eigen::MatrixXd& uniforms, int n) {
    double product[block];
    evaluate_block(uniforms, n, product);
    double total = 0.0;
    for (int p = 0; p < n; ++p) {
      total += log_mode_ ? std::exp(std::min(product[p] - log_offset_, 700.0)) : product[p];
    }
    return total;
  }

  /// log Σ_p (integrand at point p) over the n points, evaluated in log mode whatever the
  /// mode (−∞ when every point is dead): a pilot estimate of the scale of p.
  double log_sum_block(const Eigen::MatrixXd& uniforms, int n) {
    const bool was_log = log_mode_;
    log_mode_ = true;
    double log_value[block];
    evaluate_block(uniforms, n, log_value);
    log_mode_ = was_log;
    const double top = *std::max_element(log_value, log_value + n);
    if (top == -std::numeric_limits<double>::infinity()) return top;
    double total = 0.0;
    for (int p = 0; p < n; ++p) total += std::exp(log_value[p] - top);
    return top + std::log(total);
  }

  /// Integrate exp(Σ log e_j − offset) instead of Π e_j, for p too small for double
  /// (offset ≈ log p, so the values stay near 1).
  void set_log_offset(double offset) noexcept {
    log_mode_ = true;
    log_offset_ = offset;
  }

  /// Draw w_j from N(μ_j, 1) on its interval (μ = `tilt`, one entry per variable, the last
  /// one unused) and integrate in log mode with the given offset.
  void set_tilt(const Eigen::VectorXd& tilt, double offset) {
    tilt_ = tilt;
    set_log_offset(offset);
  }

 private:
  /// The integrand at the n points whose uniforms are the rows of `uniforms`: in
  /// linear mode Π_j e_j (0 = dead point), in log mode Σ_j log e_j (−∞ = dead point).
  void evaluate_block(const Eigen::MatrixXd& uniforms, int n, double* product) {
    const int rank = f_.rank;
    const auto k = static_cast<int>(f_.factor.rows());
    // Linear mode: product of the factors e_j (0 = dead point). Log mode: Σ log e_j.
    const double dead = log_mode_ ? -std::numeric_limits<double>::infinity() : 0.0;
    std::fill(product, product + n, log_mode_ ? 0.0 : 1.0);
    std::fill(linear_, linear_ + n, 1.0);
    sums_.setZero();
    for (int j = 0; j < rank; ++j) {
      const int row_begin = f_.owner_begin[static_cast<std::size_t>(j)];
      const int rows = f_.owner_begin[static_cast<std::size_t>(j) + 1] - row_begin;
      const int panel_begin = j - j % panel;
      // Contributions of this panel's earlier variables (fewer than `panel`, so plain loops
      // over the points: Eigen's product dispatch costs more than the work here).
      for (int i = row_begin; i < row_begin + rows; ++i) {
        double* s = &sums_(0, i);
        for (int m = panel_begin; m < j; ++m) {
          const double c = f_.factor(i, m);
          const double* w = &w_(0, m);
          for (int p = 0; p < n; ++p) s[p] += c * w[p];
        }
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
      if (two_sided_[static_cast<std::size_t>(j)] || (log_mode_ && tilt_.size() == 0)) {
        scalar_step(j, n, uniforms, product, dead);
      } else if (log_mode_) {
        tilted_batch_step(j, n, uniforms, product, dead);
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
    if (log_mode_) {  // the tilted batch steps' factors not yet in the log sum
      for (int p = 0; p < n; ++p) product[p] += std::log(linear_[p]);
    }
  }

  const ordered_factor& f_;
  Eigen::MatrixXd w_;     // block × rank: sampled variables, column j contiguous over points
  Eigen::MatrixXd sums_;  // block × k: Σ_m L_im w_m over the completed panels
  std::vector<bool> two_sided_;
  bool log_mode_ = false;
  double log_offset_ = 0.0;
  Eigen::VectorXd tilt_;  // μ_j, empty without tilting
  double lo_[block], hi_[block];  // limits of the current variable at each point
  double q_[block];               // batch: Φ(hi) (tilted: then u·Φ(hi)); scalar: w
  double w_batch_[block];         // batch: Φ⁻¹(u·Φ(hi))
  double linear_[block];          // tilted batch: product of the e_j not yet in the log

  /// w_(·, j) = shift + w, w clamped into [lo, hi] ∩ [−40, 40] (Φ⁻¹ of a rounded-off 0 or 1
  /// is ±∞), 0 at dead points.
  void store_w(int j, int n, const double* product, double dead, const double* w,
               double shift = 0.0) {
    // std::clamp as selects between values computed unconditionally, into a local array
    // (which nothing can alias), so that GCC vectorizes the loop even under its default
    // -ftrapping-math (an addition left inside a branch would keep it scalar; at dead
    // points shift + (−shift) is exactly +0).
    double stored[block];
    for (int p = 0; p < n; ++p) {
      const double value = w[p], lower = lo_[p], upper = hi_[p];
      const double lo = lower < -40.0 ? -40.0 : lower;
      const double hi = 40.0 < upper ? 40.0 : upper;
      const double below_hi = hi < value ? hi : value;
      stored[p] = value < lo ? lo : below_hi;
    }
    if (shift == 0.0) {  // a literal 0 shift would let GCC fold the select back into a branch
      for (int p = 0; p < n; ++p) {
        const double clamped = stored[p], current = product[p];
        stored[p] = current == dead ? 0.0 : clamped;
      }
    } else {
      for (int p = 0; p < n; ++p) {
        const double clamped = stored[p], current = product[p];
        stored[p] = shift + (current == dead ? -shift : clamped);
      }
    }
    std::copy(stored, stored + n, &w_(0, j));
  }

  /// Variable j at every point, one point at a time (two-sided limits or log mode):
  /// e = Φ(hi) − Φ(lo) (or log e) enters the product, w = Φ⁻¹(Φ(lo) + u·e) is stored.
  /// Tilted by μ: the same on [lo − μ, hi − μ], w shifted back by μ, and the likelihood
  /// ratio's μ²/2 − μ w added (log mode).
  void scalar_step(int j, int n, const Eigen::MatrixXd& uniforms, double* product,
                   double dead) {
    const bool need_w = j + 1 < f_.rank;
    const double mu = need_w && tilt_.size() > 0 ? tilt_(j) : 0.0;
    if (mu != 0.0) {
      for (int p = 0; p < n; ++p) {
        lo_[p] -= mu;
        hi_[p] -= mu;
      }
    }
    for (int p = 0; p < n; ++p) {
      double w = 0.0;
      if (product[p] == dead || !(hi_[p] > lo_[p])) {
        product[p] = dead;
      } else {
        const double u = need_w ? uniforms(p, j) : 0.5;
        double* w_out = need_w ? &w : nullptr;
        if (!log_mode_) {
          product[p] *= step(lo_[p], hi_[p], u, w_out);
        } else {
          product[p] += log_step(lo_[p], hi_[p], u, w_out);
        }
      }
      q_[p] = w;
    }
    if (!need_w) return;
    store_w(j, n, product, dead, q_, mu);
    if (mu != 0.0) {
      for (int p = 0; p < n; ++p) {
        if (product[p] != dead) product[p] += mu * (0.5 * mu - w_(p, j));
      }
    }
  }

  /// Variable j at every point when its limits are one-sided, in linear mode (the
  /// robustness problem): e = Φ(hi), w = Φ⁻¹(u·e), both evaluated as vectorized batches
  /// (dead points keep product 0).
  void batch_step(int j, int n, const Eigen::MatrixXd& uniforms, double* product) {
    const bool need_w = j + 1 < f_.rank;
    if (j == 0) {  // no earlier variable: the same limit, so the same Φ, at every point
      normal_cdf_batch(hi_, q_, 1);
      std::fill(q_ + 1, q_ + n, q_[0]);
    } else {
      normal_cdf_batch(hi_, q_, n);
    }
    for (int p = 0; p < n; ++p) product[p] *= q_[p];
    if (need_w) {
      const double* u = &uniforms(0, j);
      double scaled[block];  // local, so that no store can alias u and the loop vectorizes
      for (int p = 0; p < n; ++p) scaled[p] = u[p] * q_[p];
      normal_quantile_batch(scaled, w_batch_, n);
      store_w(j, n, product, 0.0, w_batch_);
    }
  }

  /// Variable j at every point when its limits are one-sided and the integrand is tilted:
  /// e = Φ(hi − μ) and w = μ + Φ⁻¹(u·e) as vectorized batches, e multiplied into linear_
  /// (moved into the log sum before it could underflow), μ²/2 − μ w added to the log sum.
  /// Limits beyond −33 (e < 1e-238) take the log-space scalar step.
  void tilted_batch_step(int j, int n, const Eigen::MatrixXd& uniforms, double* product,
                         double dead) {
    constexpr double deep = -33.0;
    const bool need_w = j + 1 < f_.rank;
    const double mu = need_w ? tilt_(j) : 0.0;
    double u[block];
    for (int p = 0; p < n; ++p) u[p] = need_w ? uniforms(p, j) : 0.5;
    bool any_deep = false;
    for (int p = 0; p < n; ++p) {
      hi_[p] -= mu;
      any_deep = any_deep || hi_[p] < deep;
    }
    normal_cdf_batch(hi_, q_, n);
    double smallest = 1.0;
    for (int p = 0; p < n; ++p) {
      linear_[p] *= hi_[p] < deep ? 1.0 : q_[p];
      smallest = std::min(smallest, linear_[p]);
      q_[p] *= u[p];
    }
    if (need_w) normal_quantile_batch(q_, w_batch_, n);
    for (int p = 0; any_deep && p < n; ++p) {
      if (hi_[p] < deep && product[p] != dead) {
        product[p] += log_step(lo_[p], hi_[p], u[p], need_w ? &w_batch_[p] : nullptr);
      }
    }
    for (int p = 0; smallest < 1e-200 && p < n; ++p) {
      product[p] += std::log(linear_[p]);
      linear_[p] = 1.0;
    }
    if (!need_w) return;
    store_w(j, n, product, dead, w_batch_, mu);
    const double* w = &w_(0, j);
    for (int p = 0; p < n; ++p) product[p] += mu * (0.5 * mu - w[p]);  // dead stays −∞
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

/// The error an estimate `mean` ± `error` (same units, abs_tol scaled to them) must reach:
/// max(abs_tol, rel_tol·p), except that when p may lie below abs_tol (mean − error <
/// abs_tol) p is held to max(small_p_rel_tol, rel_tol) relative — the small-p contract
/// (small_p_rel_tol = 0 switches it off).
inline double qmc_tolerance(double mean, double error, double abs_tol, const mvn_options& opt) {
  double tol = std::max(abs_tol, opt.rel_tol * mean);
  if (opt.small_p_rel_tol > 0.0 && mean - error < abs_tol) {
    tol = std::min(tol, std::max(opt.small_p_rel_tol, opt.rel_tol) * mean);
  }
  return tol;
}

/// Randomized QMC integration of `integrand` (whose values are p·exp(−log_scale)):
/// `randomizations` independently scrambled Sobol' sequences, each extended (to the size
/// the observed error predicts) until 3·SE ≤ qmc_tolerance or the budget (max_points,
/// max_work) is spent.
inline qmc_estimate integrate_randomized(sov_integrand& integrand, double log_scale,
                                         const mvn_options& opt) {
  qmc_estimate out;
  out.log_scale = log_scale;
  // In the scaled units; may be +inf (then met at once), never 0·inf.
  const double abs_tol = opt.abs_tol > 0.0 ? opt.abs_tol * std::exp(-out.log_scale) : 0.0;
  const int dim = integrand.dimension();
  const int m = opt.randomizations;
  if (dim <= 0) {  // rank 1: a single variable, integrated exactly
    Eigen::MatrixXd none(sov_integrand::block, 0);
    out.value = integrand.sum_block(none, 1);
    out.points = 1;
    out.converged = true;
    return out;
  }
  std::vector<scrambled_sobol> sequences;
  sequences.reserve(static_cast<std::size_t>(m));
  for (int s = 0; s < m; ++s) {
    sequences.emplace_back(static_cast<std::size_t>(dim),
                           point_engine(opt.seed, static_cast<std::uint64_t>(s)));
  }
  std::vector<double> sums(static_cast<std::size_t>(m), 0.0);
  Eigen::MatrixXd uniforms(sov_integrand::block, dim);
  const double work_points = std::floor(opt.max_work / integrand.work_per_point());
  const std::uint64_t points = work_points < static_cast<double>(opt.max_points)
                                   ? static_cast<std::uint64_t>(work_points)
                                   : opt.max_points;
  const std::uint64_t budget =
      std::max<std::uint64_t>(points / static_cast<std::uint64_t>(m), 1);
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
          sequence.next(start + static_cast<std::uint64_t>(p), &uniforms(p, 0),
                        sov_integrand::block);
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
        !first_round && std::isfinite(out.error)
            ? out.error * static_cast<double>(previous_points) / n
            : 0.0;
    out.error = std::max(3.0 * std::sqrt(var), previous_scaled);
    // Every point dead (possible when dependent rows cut the integrand's support): the
    // points say nothing about p beyond p ≥ 0, so the error is unknown, not 0.
    if (mean == 0.0) out.error = std::numeric_limits<double>::infinity();
    previous_points = done;
    out.points = done * static_cast<std::uint64_t>(m);
    // Never converged on the first round: its error estimate has no floor yet, and on the
    // coverage study (benchmarks/coverage_study.cpp) stopping there gave 97.2% coverage at
    // abs_tol 1e-3 (bands exceeded up to 6.8×) against 99.8% with a second round.
    const double tol = qmc_tolerance(mean, out.error, abs_tol, opt);
    out.converged = !first_round && out.error <= tol;
    if (out.converged || done >= budget) break;
    // Next size from the observed error, assuming error ∝ n^(−3/4) (randomized Sobol' on
    // these integrands converges like n^(−0.7…−1)), with 10% to spare; at least one more
    // block and at most four times as many points. In log mode (deep tails, heavy-tailed
    // values, a less reliable error estimate) at least twice as many.
    double grow = tol > 0.0 ? 1.1 * std::pow(out.error / tol, 4.0 / 3.0) : 4.0;
    if (out.log_scale != 0.0) grow = std::max(grow, 2.0);
    const auto wanted = static_cast<std::uint64_t>(std::min(grow, 4.0) * n);
    const std::uint64_t step = sov_integrand::block;
    target = std::min(std::max((wanted + step - 1) / step * step, done + step), budget);
  }
  return out;
}

/// log p below which integrate_sov runs the integrand in log mode (p ≈ 1e-130).
inline constexpr double log_mode_threshold = -300.0;

/// The SOV integral of `f` by integrate_randomized. When the ordering's estimate of log p
/// and a pilot measurement of it are below log_mode_threshold (p ≈ 1e-130), the integrand
/// runs in log mode scaled by the measured value, so p down to ~1e-300 and below keeps its
/// relative accuracy; the tolerance abs_tol is scaled accordingly.
inline qmc_estimate integrate_sov(const ordered_factor& f, const mvn_options& opt) {
  sov_integrand integrand(f);
  double log_scale = 0.0;
  const int dim = integrand.dimension();
  if (f.log_estimate < log_mode_threshold) {
    // The ordering's guess can be far too low (e.g. for a factor with nearly dependent
    // rows), so a pilot block on a Sobol' stream of its own measures log p; the offset is
    // a constant factor of the integrand, so choosing it from data cannot bias p.
    double scale = f.log_estimate;
    if (dim > 0) {
      scrambled_sobol pilot(static_cast<std::size_t>(dim),
                            point_engine(opt.seed, static_cast<std::uint64_t>(opt.randomizations)));
      Eigen::MatrixXd uniforms(sov_integrand::block, dim);
      for (int p = 0; p < sov_integrand::block; ++p) {
        pilot.next(static_cast<std::uint64_t>(p), &uniforms(p, 0), sov_integrand::block);
      }
      const double measured = integrand.log_sum_block(uniforms, sov_integrand::block) -
                              std::log(static_cast<double>(sov_integrand::block));
      if (measured > -std::numeric_limits<double>::infinity()) scale = measured;
    }
    if (scale < log_mode_threshold) {
      log_scale = scale;
      integrand.set_log_offset(scale);
    }
  }
  return integrate_randomized(integrand, log_scale, opt);
}

}  // namespace probust::detail
