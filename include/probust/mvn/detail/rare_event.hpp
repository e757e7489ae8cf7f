#pragma once
/// \file rare_event.hpp
/// The probability of a union of Gaussian half-space events, q = P(∪ᵢ {uᵢᵀz > cᵢ}),
/// z ~ N(0, I), accurate relative to itself when q is tiny — i.e. 1 − p for
/// p = P(Uz ≤ c) near 1. Union bounds and ALOE importance sampling.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "probust/errors.hpp"
#include "probust/mvn/bivariate.hpp"
#include "probust/mvn/univariate.hpp"
#include "probust/random.hpp"

namespace probust {
namespace detail {

/// Bounds on q = P(∪ᵢ Aᵢ), P(Aᵢ) = Φ̄(cᵢ): lower = maxᵢ Φ̄(cᵢ) ≤ q ≤ upper = Σᵢ Φ̄(cᵢ)
/// (Boole's inequality). Each term is computed as an upper tail (erfc), never as 1 − Φ.
struct union_bounds {
  double lower = 0.0;
  double upper = 0.0;
};

inline union_bounds union_bound(const Eigen::Ref<const Eigen::VectorXd>& c) {
  union_bounds b;
  for (Eigen::Index i = 0; i < c.size(); ++i) {
    const double tail = normal_ccdf(c[i]);
    b.upper += tail;
    b.lower = std::max(b.lower, tail);
  }
  return b;
}

/// Bonferroni–Hunter bounds on q = P(∪ᵢ Aᵢ), Aᵢ = {Xᵢ > cᵢ}, X standard normal with
/// corr(Xᵢ, Xⱼ) = rho(i, j); with qᵢ = Φ̄(cᵢ), qᵢⱼ = P(Aᵢ ∩ Aⱼ), S₁ = Σ qᵢ, S₂ = Σ_{i<j} qᵢⱼ:
///
///     max(maxᵢ qᵢ, S₁ − S₂)  ≤  q  ≤  S₁ − Σ_{(i,j) ∈ T} qᵢⱼ
///
/// (second-order Bonferroni below; Hunter's bound above, T a maximum-weight spanning tree
/// of the pair graph — D. Hunter, J. Appl. Prob. 13 (1976) 597–603). When the events are
/// rare and do not overlap much the two sides nearly meet, and q is pinned without any
/// sampling. Pair terms are Genz's BVN (bivariate.hpp, ~1e-14 relative). Only pairs that
/// can matter are integrated: a pair whose cheap bound on qᵢⱼ — qᵢqⱼ if ρ ≤ 0 (Slepian),
/// min(qᵢ, qⱼ) otherwise — is ≤ negligible / #pairs enters S₂ by that bound (so all such
/// pairs together widen the bracket by at most `negligible`) and T without it (a lower
/// bound on a tree weight keeps Hunter's bound valid). If more than `max_events` events
/// have qᵢ above that threshold, only Boole's bounds [maxᵢ qᵢ, S₁] are returned.
template <class Correlation>
union_bounds union_bonferroni_hunter(const Eigen::Ref<const Eigen::VectorXd>& c,
                                     const Correlation& rho, double negligible,
                                     Eigen::Index max_events = 64) {
  const Eigen::Index k = c.size();
  std::vector<double> q(static_cast<std::size_t>(k));
  std::vector<Eigen::Index> order(static_cast<std::size_t>(k));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  union_bounds b;
  for (Eigen::Index i = 0; i < k; ++i) {
    q[static_cast<std::size_t>(i)] = normal_ccdf(c[i]);
    b.upper += q[static_cast<std::size_t>(i)];
  }
  if (k == 0) return b;
  std::sort(order.begin(), order.end(), [&](Eigen::Index x, Eigen::Index y) {
    return q[static_cast<std::size_t>(x)] > q[static_cast<std::size_t>(y)];
  });
  const auto q_at = [&](Eigen::Index rank) {
    return q[static_cast<std::size_t>(order[static_cast<std::size_t>(rank)])];
  };
  b.lower = q_at(0);
  const double pairs = 0.5 * static_cast<double>(k) * static_cast<double>(k - 1);
  const double threshold = pairs > 0.0 ? negligible / pairs : 0.0;
  // Events ranked below m have qᵢ ≤ threshold; every pair they join has min(qᵢ, qⱼ) ≤ it.
  Eigen::Index m = 0;
  while (m < k && q_at(m) > threshold) ++m;
  if (m > max_events) return b;
  // S₂ ≤ Σ_{pairs} min(qᵢ, qⱼ) over pairs with an event ranked ≥ m (rank i is the
  // smaller of its i pairs with higher ranks), plus the pairs among the first m below.
  double s2 = 0.0;
  for (Eigen::Index i = m; i < k; ++i) s2 += q_at(i) * static_cast<double>(i);
  // weight(i, j) = qᵢⱼ for integrated pairs of the first m, 0 otherwise (Prim's tree).
  Eigen::MatrixXd weight = Eigen::MatrixXd::Zero(m, m);
  for (Eigen::Index j = 1; j < m; ++j) {
    for (Eigen::Index i = 0; i < j; ++i) {
      const Eigen::Index ei = order[static_cast<std::size_t>(i)];
      const Eigen::Index ej = order[static_cast<std::size_t>(j)];
      const double r = std::clamp(static_cast<double>(rho(ei, ej)), -1.0, 1.0);
      const double cheap = r <= 0.0 ? q_at(i) * q_at(j) : q_at(j);
      if (cheap <= threshold) {
        s2 += cheap;
        continue;
      }
      const double both = std::min(bivariate_normal_upper_unchecked(c[ei], c[ej], r), cheap);
      weight(i, j) = weight(j, i) = both;
      s2 += both;
    }
  }
  b.lower = std::max(b.lower, b.upper - s2);
  // Prim: grow the tree from rank 0, always adding the heaviest edge to a new vertex.
  std::vector<double> best(static_cast<std::size_t>(m), 0.0);
  std::vector<bool> in_tree(static_cast<std::size_t>(m), false);
  double tree = 0.0;
  for (Eigen::Index step = 0, next = 0; step < m; ++step) {
    in_tree[static_cast<std::size_t>(next)] = true;
    tree += best[static_cast<std::size_t>(next)];
    const Eigen::Index added = next;
    next = -1;
    for (Eigen::Index j = 0; j < m; ++j) {
      if (in_tree[static_cast<std::size_t>(j)]) continue;
      const auto uj = static_cast<std::size_t>(j);
      best[uj] = std::max(best[uj], weight(added, j));
      if (next < 0 || best[uj] > best[static_cast<std::size_t>(next)]) next = j;
    }
    if (next < 0) break;
  }
  b.upper = std::max(b.lower, b.upper - tree);
  return b;
}

/// Result of union_probability. `error` is absolute (3 standard errors, floored as
/// documented there); `converged` is false when max_samples ran out first.
struct rare_event_result {
  double value = 0.0;
  double error = 0.0;
  std::uint64_t samples = 0;
  bool converged = true;
};

/// q = P(∪ᵢ {uᵢᵀz > cᵢ}), z ~ N(0, I_r), U (k × r) with unit-norm rows uᵢ, finite c.
///
/// ALOE ("at least one event") importance sampling: draw i with probability Φ̄(cᵢ)/μ,
/// μ = Σⱼ Φ̄(cⱼ), then z ~ N(0, I) conditioned on Aᵢ (t = uᵢᵀz from N(0,1) truncated to
/// (cᵢ, ∞), the orthogonal part free). With S(z) = #{j : uⱼᵀz > cⱼ} ≥ 1,
/// q = μ·E[1/S(z)], so q̂ = μ·mean(1/S) is unbiased with relative variance
/// ≤ (μ/q − 1)/n: exact for one event, cheap whenever the events rarely overlap.
/// A. B. Owen, Y. Maximov, M. Chertkov, "Importance sampling the union of rare events with
/// an application to power systems analysis", Electron. J. Statist. 13 (2019) 231–254.
///
/// Exactly repeated rows are merged first (same uᵢ: keep the smallest cᵢ, the other events
/// are contained in it), so duplicated constraints cost nothing and a single distinct
/// event is returned exactly (error 0, no samples).
///
/// Samples come in batches of 1024 (batch b draws from point_engine(seed, b); the counts of a
/// batch are one matrix product U·Z). After each batch the error is
///   max(3·SE, μ·(1 − 1/k)·5.9/n),  SE = μ·sd(1/S)/√n;
/// the floor is the 3σ-equivalent (99.7 %) bound on E[1/S] when no sample has yet
/// deviated from the observed value of 1/S (P(unseen) ≤ −ln(0.0027)/n, 1/S ∈ [1/k, 1]),
/// so an all-equal sample never claims error 0. Sampling stops once
/// error ≤ rel_tol·value (converged) or at max_samples (converged = false).
/// If μ is below the smallest normal double (q ≤ μ < 2.3e-308, i.e. every cᵢ beyond about
/// 37.5) the result is 0 with error μ and no samples.
/// The same inputs and seed give the same bits.
inline rare_event_result union_probability(const Eigen::MatrixXd& U, const Eigen::VectorXd& c,
                                           double rel_tol, std::uint64_t max_samples,
                                           std::uint64_t seed) {
  constexpr const char* fn = "probust::detail::union_probability";
  if (U.rows() != c.size()) {
    throw_invalid_argument(fn, "U has " + std::to_string(U.rows()) + " rows but c has " +
                                   std::to_string(c.size()) + " entries");
  }
  if (!c.allFinite()) throw_invalid_argument(fn, "c must be finite");
  if (!U.allFinite()) throw_invalid_argument(fn, "U must be finite");
  for (Eigen::Index i = 0; i < U.rows(); ++i) {
    if (!(std::fabs(U.row(i).squaredNorm() - 1.0) <= 1e-8)) {
      throw_invalid_argument(fn, "row " + std::to_string(i) + " of U does not have unit norm");
    }
  }
  if (!(rel_tol >= 0.0)) throw_invalid_argument(fn, "rel_tol must be >= 0");
  if (max_samples == 0) throw_invalid_argument(fn, "max_samples must be >= 1");

  rare_event_result result;
  if (U.rows() == 0) return result;

  // Merge repeated directions: sort rows lexicographically (ties by c), keep the first
  // of each run of equal rows.
  const Eigen::MatrixXd Ut = U.transpose();  // column i = uᵢ, contiguous
  const Eigen::Index r = Ut.rows();
  std::vector<Eigen::Index> order(static_cast<std::size_t>(U.rows()));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  const auto same_row = [&](Eigen::Index a, Eigen::Index b) {
    return std::equal(Ut.col(a).data(), Ut.col(a).data() + r, Ut.col(b).data());
  };
  std::sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) {
    const double* ua = Ut.col(a).data();
    const double* ub = Ut.col(b).data();
    if (std::lexicographical_compare(ua, ua + r, ub, ub + r)) return true;
    if (std::lexicographical_compare(ub, ub + r, ua, ua + r)) return false;
    return c[a] < c[b] || (c[a] == c[b] && a < b);
  });
  order.erase(std::unique(order.begin(), order.end(), same_row), order.end());
  std::sort(order.begin(), order.end());  // keep the caller's order of the survivors
  const auto k = static_cast<Eigen::Index>(order.size());
  Eigen::MatrixXd u(k, r);
  Eigen::VectorXd cc(k);
  for (Eigen::Index i = 0; i < k; ++i) {
    u.row(i) = U.row(order[static_cast<std::size_t>(i)]);
    cc[i] = c[order[static_cast<std::size_t>(i)]];
  }

  // Mixture weights P(Aᵢ) and their running sums (for the index draw).
  Eigen::VectorXd tail(k);
  std::vector<double> cumulative(static_cast<std::size_t>(k));
  double mu = 0.0;
  for (Eigen::Index i = 0; i < k; ++i) {
    tail[i] = normal_ccdf(cc[i]);
    mu += tail[i];
    cumulative[static_cast<std::size_t>(i)] = mu;
  }
  if (mu < std::numeric_limits<double>::min()) {
    result.error = mu;
    return result;
  }
  if (k == 1) {
    result.value = tail[0];
    return result;
  }

  constexpr Eigen::Index batch_size = 1024;
  const double unseen = 5.9;  // −ln(0.0027): zero-event bound at 3σ confidence
  Eigen::MatrixXd Z(r, batch_size);
  Eigen::MatrixXd Y(k, batch_size);
  std::vector<Eigen::Index> chosen(static_cast<std::size_t>(batch_size));
  // histogram[s] = number of samples with S = s; exact integer sufficient statistic.
  std::vector<std::uint64_t> histogram(static_cast<std::size_t>(k) + 1, 0);
  std::uint64_t n = 0;

  for (std::uint64_t batch = 0; n < max_samples; ++batch) {
    const auto m = static_cast<Eigen::Index>(
        std::min<std::uint64_t>(static_cast<std::uint64_t>(batch_size), max_samples - n));
    random_engine engine = point_engine(seed, batch);
    fill_standard_normal(engine, Z.leftCols(m));
    for (Eigen::Index b = 0; b < m; ++b) {
      const double v = uniform_open01(engine) * mu;
      const auto hit = std::upper_bound(cumulative.begin(), cumulative.end(), v);
      const Eigen::Index i = std::min<Eigen::Index>(hit - cumulative.begin(), k - 1);
      chosen[static_cast<std::size_t>(b)] = i;
      // t ~ N(0,1) | t > cᵢ by inversion of the upper tail: Φ̄(t) = Φ̄(cᵢ)·u (floored at
      // the smallest subnormal so a subnormal Φ̄(cᵢ) cannot give t = ∞).
      const double t = -normal_quantile(std::max(tail[i] * uniform_open01(engine),
                                                 std::numeric_limits<double>::denorm_min()));
      // z = uᵢ t + (w − uᵢ uᵢᵀw)
      const double shift = t - u.row(i).dot(Z.col(b));
      Z.col(b) += shift * u.row(i).transpose();
    }
    Y.leftCols(m).noalias() = u * Z.leftCols(m);
    for (Eigen::Index b = 0; b < m; ++b) {
      const Eigen::Index i = chosen[static_cast<std::size_t>(b)];
      // Event i holds by construction; counting it directly guards against roundoff.
      const auto hits = static_cast<std::size_t>((Y.col(b).array() > cc.array()).count());
      ++histogram[Y(i, b) > cc[i] ? hits : hits + 1];
    }
    n += static_cast<std::uint64_t>(m);

    const double nd = static_cast<double>(n);
    double mean = 0.0;
    for (std::size_t s = 1; s < histogram.size(); ++s) {
      mean += static_cast<double>(histogram[s]) / static_cast<double>(s);
    }
    mean /= nd;
    double sum_sq = 0.0;
    for (std::size_t s = 1; s < histogram.size(); ++s) {
      const double d = 1.0 / static_cast<double>(s) - mean;
      sum_sq += static_cast<double>(histogram[s]) * d * d;
    }
    const double variance = n > 1 ? sum_sq / (nd - 1.0) : 0.0;
    result.value = mu * mean;
    result.error = std::max(3.0 * mu * std::sqrt(variance / nd),
                            mu * (1.0 - 1.0 / static_cast<double>(k)) * unseen / nd);
    result.samples = n;
    if (result.error <= rel_tol * result.value) return result;
  }
  result.converged = false;
  return result;
}

}  // namespace detail
}  // namespace probust
