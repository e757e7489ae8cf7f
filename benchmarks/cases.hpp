#pragma once
/// \file cases.hpp
/// Robustness-shaped MVN benchmark cases shared by mvn_cdf_benchmark.cpp and mvn_cases.cpp,
/// with reference values that do not come from probust (tests/reference.hpp: 1-D and 2-D
/// adaptive Gauss–Kronrod quadratures).
///
///   one_factor  R = λλᵀ + diag(1 − λ²), λ_i ∈ U[0.55, 0.85] (mean correlation ≈ 0.49),
///               limits b_i ∈ U[0, 2.5] (a spread like robustness margins);
///               truth: probust_test::one_factor::cdf.
///   low_rank    P(G z ≤ b), z ~ N(0, I₂), G k × 2 with rows g_i = a + c_i (a common
///               component a = (√2, 0), c_i ~ N(0, I₂): mean correlation ≈ 0.5, rank 2),
///               b_i = ‖g_i‖ · U[0.25, 2.5]; truth: probust_test::polygon_probability on
///               the non-redundant rows (the polygon's edges; see polygon_truth).
///   near_one    the one_factor case with every b_i shifted up by the same amount so that
///               1 − p ≈ 1e-9; truth: probust_test::one_factor::complement (1 − p).
///
/// Everything is drawn from std::mt19937_64 with fixed seeds, so every run (and the
/// anchors run by compare_anchors.py on the files mvn_cases writes) sees the same numbers.

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "reference.hpp"

namespace probust_bench {

enum class case_kind { one_factor, low_rank, near_one };

struct mvn_case {
  std::string name;
  case_kind kind = case_kind::one_factor;
  int k = 0;
  double tol = 1e-4;           ///< abs_tol given to every method
  Eigen::VectorXd loadings;    ///< one_factor / near_one
  Eigen::MatrixXd factor;      ///< low_rank: G (k × 2)
  Eigen::VectorXd b;           ///< upper limits (of X = λ-model, or of G z)
  double truth = 0.0;          ///< p (one_factor, low_rank) or 1 − p (near_one)

  /// The covariance handed to probust::mvn_cdf: R (one-factor) or G Gᵀ (low rank).
  Eigen::MatrixXd covariance() const {
    if (kind == case_kind::low_rank) return factor * factor.transpose();
    return probust_test::one_factor{loadings}.correlation();
  }
  /// Correlation matrix and standardized limits, as given to mvtnorm and scipy.
  Eigen::MatrixXd correlation() const {
    const Eigen::MatrixXd s = covariance();
    const Eigen::VectorXd d = s.diagonal().cwiseSqrt().cwiseInverse();
    return d.asDiagonal() * s * d.asDiagonal();
  }
  Eigen::VectorXd standardized_upper() const {
    return b.cwiseProduct(covariance().diagonal().cwiseSqrt().cwiseInverse());
  }
};

/// The tolerance: 1e-4 up to k = 9, 1e-3 above.
inline double tolerance_for(int k) { return k <= 9 ? 1e-4 : 1e-3; }

inline std::uint64_t seed_for(int k, std::uint64_t salt) {
  return 0x9E3779B97F4A7C15ull * (static_cast<std::uint64_t>(k) + 1) + salt;
}

inline void draw_one_factor(int k, Eigen::VectorXd& loadings, Eigen::VectorXd& b) {
  std::mt19937_64 gen(seed_for(k, 2024));
  std::uniform_real_distribution<double> lambda(0.55, 0.85), margin(0.0, 2.5);
  loadings.resize(k);
  b.resize(k);
  for (int i = 0; i < k; ++i) {
    loadings(i) = lambda(gen);
    b(i) = margin(gen);
  }
}

inline mvn_case one_factor_case(int k) {
  mvn_case c;
  c.name = "one_factor_k" + std::to_string(k);
  c.kind = case_kind::one_factor;
  c.k = k;
  c.tol = tolerance_for(k);
  draw_one_factor(k, c.loadings, c.b);
  c.truth = probust_test::one_factor{c.loadings}.cdf(c.b);
  return c;
}

/// The one-factor case shifted so that 1 − p ≈ target (bisection on the reference).
inline mvn_case near_one_case(int k, double target = 1e-9) {
  mvn_case c;
  c.name = "near_one_k" + std::to_string(k);
  c.kind = case_kind::near_one;
  c.k = k;
  c.tol = tolerance_for(k);
  Eigen::VectorXd b0;
  draw_one_factor(k, c.loadings, b0);
  const probust_test::one_factor model{c.loadings};
  double lo = 0.0, hi = 20.0;  // log(1 − p) is decreasing in the shift
  for (int it = 0; it < 60; ++it) {
    const double mid = 0.5 * (lo + hi);
    const Eigen::VectorXd shifted = (b0.array() + mid).matrix();
    (model.complement(shifted) > target ? lo : hi) = mid;
  }
  // Round the shift so the case is easy to describe; 1 − p stays within a factor ~1.1.
  const double shift = std::round(0.5 * (lo + hi) * 1000.0) / 1000.0;
  c.b = (b0.array() + shift).matrix();
  c.truth = model.complement(c.b);
  return c;
}

/// Rows of (G, b) that are edges of the polygon {z : G z ≤ b} (b > 0). Row i is redundant
/// unless g_i / b_i is a vertex of conv({0} ∪ {g_j / b_j}) (polar duality), so the exact
/// probability only needs those rows; this keeps the O(k²)-breakpoint quadrature of
/// polygon_probability cheap for k = 999. Andrew's monotone chain, collinear points dropped.
inline std::vector<int> polygon_edges(const Eigen::MatrixXd& g, const Eigen::VectorXd& b) {
  struct pt {
    double x, y;
    int id;  // −1 for the origin
  };
  std::vector<pt> p{{0.0, 0.0, -1}};
  for (int i = 0; i < g.rows(); ++i) p.push_back({g(i, 0) / b(i), g(i, 1) / b(i), i});
  std::sort(p.begin(), p.end(),
            [](const pt& u, const pt& v) { return u.x < v.x || (u.x == v.x && u.y < v.y); });
  const auto cross = [](const pt& o, const pt& u, const pt& v) {
    return (u.x - o.x) * (v.y - o.y) - (u.y - o.y) * (v.x - o.x);
  };
  std::vector<pt> hull(2 * p.size());
  std::size_t n = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {  // lower hull
    while (n >= 2 && cross(hull[n - 2], hull[n - 1], p[i]) <= 0) --n;
    hull[n++] = p[i];
  }
  for (std::size_t i = p.size() - 1, t = n + 1; i-- > 0;) {  // upper hull
    while (n >= t && cross(hull[n - 2], hull[n - 1], p[i]) <= 0) --n;
    hull[n++] = p[i];
  }
  std::vector<int> rows;
  for (std::size_t i = 0; i + 1 < n; ++i) {
    if (hull[i].id >= 0) rows.push_back(hull[i].id);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

/// Exact P(G z ≤ b) for G k × 2, b > 0: polygon_probability on the polygon's edges.
inline double polygon_truth(const Eigen::MatrixXd& g, const Eigen::VectorXd& b) {
  const std::vector<int> rows = polygon_edges(g, b);
  Eigen::MatrixXd gr(static_cast<Eigen::Index>(rows.size()), 2);
  Eigen::VectorXd br(static_cast<Eigen::Index>(rows.size()));
  for (std::size_t r = 0; r < rows.size(); ++r) {
    gr.row(static_cast<Eigen::Index>(r)) = g.row(rows[r]);
    br(static_cast<Eigen::Index>(r)) = b(rows[r]);
  }
  return probust_test::polygon_probability(gr, br);
}

inline mvn_case low_rank_case(int k) {
  mvn_case c;
  c.name = "low_rank_k" + std::to_string(k);
  c.kind = case_kind::low_rank;
  c.k = k;
  c.tol = tolerance_for(k);
  std::mt19937_64 gen(seed_for(k, 777));
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> margin(0.25, 2.5);
  c.factor.resize(k, 2);
  c.b.resize(k);
  for (int i = 0; i < k; ++i) {
    c.factor(i, 0) = std::sqrt(2.0) + normal(gen);
    c.factor(i, 1) = normal(gen);
    c.b(i) = c.factor.row(i).norm() * margin(gen);
  }
  c.truth = polygon_truth(c.factor, c.b);
  return c;
}

inline const std::vector<int>& one_factor_sizes() {
  static const std::vector<int> k{1, 2, 3, 9, 19, 49, 99, 199, 999};
  return k;
}
inline const std::vector<int>& low_rank_sizes() {
  static const std::vector<int> k{9, 99, 999};
  return k;
}
inline const std::vector<int>& near_one_sizes() {
  static const std::vector<int> k{9, 99};
  return k;
}

/// Every case, in the order of the README table.
inline std::vector<mvn_case> all_cases() {
  std::vector<mvn_case> out;
  for (int k : one_factor_sizes()) out.push_back(one_factor_case(k));
  for (int k : low_rank_sizes()) out.push_back(low_rank_case(k));
  for (int k : near_one_sizes()) out.push_back(near_one_case(k));
  return out;
}

}  // namespace probust_bench
