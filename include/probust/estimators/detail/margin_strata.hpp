#pragma once
/// \file margin_strata.hpp
/// Strata of the noise by the linearized margin and exact samplers of the noise
/// conditioned on a stratum (stratified_control_variate_estimator's internals).
///
/// With z ~ N(0, I_r) the standardized noise (ε = F z, Σ = F Fᵀ) and the active margin
/// rows i (non-zero (GF)_i), the linearized margin in units of its own standard deviation
/// is s_i(z) = ĝ_i + u_i·z, ĝ_i = g_i / ‖(GF)_i‖, u_i = (GF)_i / ‖(GF)_i‖, and
/// s(z) = min_i s_i(z): the linearization is robust exactly when s > 0. The strata are
/// the intervals of s between boundaries b_1 < … < b_J; their probabilities are
/// differences of F(b) = P(s > b) = P(U z ≤ ĝ − b), a Gaussian orthant probability.

#include <Eigen/Dense>
#include <boost/math/special_functions/erf.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "probust/errors.hpp"
#include "probust/mvn/cdf.hpp"
#include "probust/mvn/options.hpp"
#include "probust/random.hpp"

namespace probust {
namespace detail {

/// Q(x) = P(Z > x) for Z ~ N(0, 1), accurate in the upper tail (Q(±∞) = 0, 1).
inline double normal_upper_tail(double x) {
  return 0.5 * boost::math::erfc(x / std::sqrt(2.0));
}

/// P(a < Z ≤ b) for Z ~ N(0, 1), a ≤ b (±∞ legal), from whichever tail is accurate.
inline double normal_interval_probability(double a, double b) {
  if (!(a < b)) return 0.0;
  if (a >= 0.0) return normal_upper_tail(a) - normal_upper_tail(b);
  if (b <= 0.0) return normal_upper_tail(-b) - normal_upper_tail(-a);
  return 1.0 - normal_upper_tail(-a) - normal_upper_tail(b);
}

/// Z ~ N(0, 1) conditioned on a < Z ≤ b, from u ~ U(0, 1) by inversion in the tail that
/// holds the interval: for a ≥ 0, Z = Q⁻¹(Q(b) + u (Q(a) − Q(b))) with
/// Q⁻¹(q) = √2 erfc⁻¹(2q); for b ≤ 0 the mirror image; otherwise Φ⁻¹ between Φ(a) and
/// Φ(b). Exact up to rounding (the result is kept inside [a, b]). L. Devroye,
/// Non-Uniform Random Variate Generation (1986), §II.2 (the inversion method).
inline double truncated_standard_normal(double a, double b, double u) {
  const auto upper_inverse = [](double q) {
    return std::sqrt(2.0) * boost::math::erfc_inv(2.0 * q);
  };
  double z;
  if (a >= 0.0) {
    const double qb = normal_upper_tail(b);
    z = upper_inverse(qb + u * (normal_upper_tail(a) - qb));
  } else if (b <= 0.0) {
    const double qa = normal_upper_tail(-a);
    z = -upper_inverse(qa + u * (normal_upper_tail(-b) - qa));
  } else {
    const double pa = normal_upper_tail(-a);  // Φ(a) = Q(−a)
    z = -upper_inverse(pa + u * (1.0 - normal_upper_tail(b) - pa));
  }
  return std::clamp(z, a, b);
}

/// The strata of the linearized margin at one point.
struct margin_strata {
  Eigen::VectorXd offsets;       ///< ĝ_i for the active rows
  Eigen::MatrixXd directions;    ///< u_i as rows (k_active × r), unit norm
  std::vector<double> bounds;    ///< b_1 < … < b_J; stratum j is (b_j, b_{j+1}], b_0 = −∞
  std::vector<double> weights;   ///< J + 1 stratum probabilities (≥ 0)
  double weight_error = 0.0;     ///< bound on |Σ_j (w_j − ŵ_j) μ_j| for μ ∈ [0, 1]^J
  bool constant = false;         ///< s is deterministic (no active row): one stratum
  /// Per stratum with a finite upper end: P(A_i) = P(s_i ∈ stratum) for each row i.
  std::vector<std::vector<double>> row_masses;

  std::size_t size() const noexcept { return weights.size(); }
  double lower(std::size_t j) const {
    return j == 0 ? -std::numeric_limits<double>::infinity() : bounds[j - 1];
  }
  double upper(std::size_t j) const {
    return j == bounds.size() ? std::numeric_limits<double>::infinity() : bounds[j];
  }
  /// s(z) = min_i (ĝ_i + u_i·z).
  double margin(const Eigen::Ref<const Eigen::VectorXd>& z) const {
    return (offsets + directions * z).minCoeff();
  }
};

/// Builds the strata from the candidate boundaries `grid` (increasing): F(b) = P(s > b)
/// for each (Φ(ĝ − b) for one active row, else the MVN engine with `mvn`); then drops the
/// top boundaries while the top stratum (b_J, ∞) — sampled by rejection — has probability
/// < top_min, and merges every stratum of probability < min_weight into its neighbour
/// away from 0 (into the one towards 0 at the ends). `impossible`: a deterministic margin
/// fails (s ≡ −∞); with no active row either, s is constant and there is one stratum.
/// weight_error = Σ_j e_j over the kept boundaries (e_j the MVN error of F(b_j)), twice
/// that if a difference had to be clipped at 0.
inline margin_strata make_margin_strata(const Eigen::VectorXd& g, const Eigen::MatrixXd& gf,
                                        const std::vector<int>& active, bool impossible,
                                        const std::vector<double>& grid, double top_min,
                                        double min_weight, const mvn_options& mvn) {
  margin_strata out;
  const Eigen::Index k = static_cast<Eigen::Index>(active.size());
  if (impossible || k == 0) {
    out.constant = true;
    out.weights = {1.0};
    return out;
  }
  out.offsets.resize(k);
  out.directions.resize(k, gf.cols());
  for (Eigen::Index i = 0; i < k; ++i) {
    const double norm = gf.row(active[static_cast<std::size_t>(i)]).norm();
    out.offsets(i) = g(active[static_cast<std::size_t>(i)]) / norm;
    out.directions.row(i) = gf.row(active[static_cast<std::size_t>(i)]) / norm;
  }
  std::vector<double> bounds = grid, tail, error;
  for (const double b : bounds) {
    if (k == 1) {
      tail.push_back(normal_upper_tail(b - out.offsets(0)));
      error.push_back(0.0);
    } else {
      const Eigen::VectorXd upper = out.offsets.array() - b;
      const mvn_result r = mvn_cdf_from_factor(upper, out.directions, mvn);
      tail.push_back(r.probability);
      error.push_back(r.error);
    }
  }
  while (!bounds.empty() && tail.back() < top_min) {
    bounds.pop_back();
    tail.pop_back();
    error.pop_back();
  }
  const auto weight = [&](std::size_t j) {  // stratum j of the current boundaries
    const double above = j == 0 ? 1.0 : tail[j - 1];
    const double below = j == bounds.size() ? 0.0 : tail[j];
    return std::max(0.0, above - below);
  };
  for (bool merged = true; merged && !bounds.empty();) {
    merged = false;
    for (std::size_t j = 0; j <= bounds.size(); ++j) {
      if (weight(j) >= min_weight) continue;
      // Remove the boundary on the side away from 0: the lower one for a stratum below 0.
      const bool below_zero = j < bounds.size() && bounds[j] <= 0.0;
      std::size_t drop = below_zero ? (j == 0 ? 0 : j - 1) : (j == bounds.size() ? j - 1 : j);
      bounds.erase(bounds.begin() + static_cast<std::ptrdiff_t>(drop));
      tail.erase(tail.begin() + static_cast<std::ptrdiff_t>(drop));
      error.erase(error.begin() + static_cast<std::ptrdiff_t>(drop));
      merged = true;
      break;
    }
  }
  out.bounds = bounds;
  for (std::size_t j = 0; j <= bounds.size(); ++j) out.weights.push_back(weight(j));
  // |Σ_j (w_j − ŵ_j) μ_j| ≤ Σ_j e_j by summation by parts when the estimated F(b_j) are
  // decreasing (no difference clipped); each clipped difference can add its two errors.
  bool monotone = true;
  for (std::size_t j = 1; j < tail.size(); ++j) monotone = monotone && tail[j] <= tail[j - 1];
  for (const double e : error) out.weight_error += monotone ? e : 2.0 * e;
  for (std::size_t j = 0; j < out.weights.size(); ++j) {
    std::vector<double> mass(static_cast<std::size_t>(k));
    for (Eigen::Index i = 0; i < k; ++i) {
      mass[static_cast<std::size_t>(i)] = normal_interval_probability(
          out.lower(j) - out.offsets(i), out.upper(j) - out.offsets(i));
    }
    out.row_masses.push_back(mass);
  }
  return out;
}

/// Draws z ~ N(0, I_r) conditioned on stratum j, exactly:
///  * the top stratum (b_J, ∞) and a constant s: rejection from unconditional draws
///    (acceptance P(stratum) ≥ top_min);
///  * a stratum (lo, hi] with hi finite is B ∩ ∪_i A_i, A_i = {s_i ∈ (lo, hi]},
///    B = {s_i > lo ∀i}. Propose row i with probability P(A_i)/Σ P(A_l), then t = u_i·z
///    from N(0, 1) truncated to (lo − ĝ_i, hi − ĝ_i] (truncated_standard_normal) and the
///    rest of z free, z = u_i t + (I − u_i u_iᵀ) z′ with z′ ~ N(0, I); the proposal density
///    is φ(z) N(z) / Σ P(A_l), N(z) = #{i : z ∈ A_i}, so accepting with probability
///    1[B] / N(z) leaves exactly φ(z) 1[stratum] / P(stratum). This is the union sampler
///    of R. M. Karp, M. Luby, N. Madras, "Monte-Carlo approximation algorithms for
///    enumeration problems", J. Algorithms 10 (1989) 429–448.
/// Throws probust::numerical_error after 10⁶ rejected proposals in a row.
template <class Engine>
void sample_stratum(const margin_strata& s, std::size_t j, Engine& engine,
                    Eigen::Ref<Eigen::VectorXd> z) {
  constexpr const char* fn = "probust::stratified_control_variate_estimator::estimate";
  const double lo = s.lower(j), hi = s.upper(j);
  const Eigen::Index rows = s.offsets.size();
  for (int attempt = 0; attempt < 1'000'000; ++attempt) {
    fill_standard_normal(engine, z);
    if (s.constant) return;
    if (!std::isfinite(hi)) {
      if (s.margin(z) > lo) return;
      continue;
    }
    // Proposal: a row i with probability ∝ P(A_i).
    const std::vector<double>& mass = s.row_masses[j];
    double total = 0.0;
    for (const double m : mass) total += m;
    double pick = uniform_open01(engine) * total;
    Eigen::Index i = 0;
    while (i + 1 < rows && pick >= mass[static_cast<std::size_t>(i)]) {
      pick -= mass[static_cast<std::size_t>(i)];
      ++i;
    }
    const double t = truncated_standard_normal(lo - s.offsets(i), hi - s.offsets(i),
                                               uniform_open01(engine));
    const Eigen::VectorXd u = s.directions.row(i).transpose();
    z += u * (t - u.dot(z));
    const Eigen::VectorXd margins = s.offsets + s.directions * z;
    if (margins.minCoeff() <= lo) continue;
    const double hits = static_cast<double>((margins.array() <= hi).count());
    if (hits >= 1.0 && uniform_open01(engine) * hits < 1.0) return;
  }
  throw_numerical_error(fn, "the conditional sampler of a margin stratum rejected 10^6 "
                            "proposals in a row");
}

}  // namespace detail
}  // namespace probust
