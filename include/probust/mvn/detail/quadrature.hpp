#pragma once
/// \file quadrature.hpp
/// Adaptive 1-D quadrature for the bivariate and trivariate normal integrals.

#include <algorithm>
#include <cmath>

namespace probust::detail {

/// Globally adaptive Gauss–Kronrod quadrature of f over [breaks[0], breaks[count − 1]]
/// (increasing breakpoints, count ≤ 128): starting from the intervals between consecutive
/// breakpoints, bisects the interval with the largest error estimate until the total
/// estimate is at most max(abs_tol, rel_tol·∫|f|, 1e-300) or 128 intervals are in use. Each
/// interval gets the 7-point Gauss / 15-point Kronrod pair and QUADPACK's QK15 error
/// estimate ρ·min(1, (200·|K15 − G7|/ρ)^1.5), ρ = ∫|f − mean f|, floored at 2ε·∫|f|.
/// R. Piessens, E. de Doncker-Kapenga, C. Überhuber & D. Kahaner, QUADPACK (Springer 1983).
template <class F>
double integrate_adaptive(const F& f, const double* breaks, int count, double abs_tol,
                          double rel_tol) {
  // Kronrod nodes on [0, 1) (even indices are the Gauss nodes), their weights, and the
  // 7-point Gauss weights of the nodes 0, x₂, x₄, x₆.
  static constexpr double xk[8] = {0.0,
                                   0.20778495500789846760,
                                   0.40584515137739716691,
                                   0.58608723546769113029,
                                   0.74153118559939443986,
                                   0.86486442335976907279,
                                   0.94910791234275852453,
                                   0.99145537112081263921};
  static constexpr double wk[8] = {0.20948214108472782801, 0.20443294007529889241,
                                   0.19035057806478540991, 0.16900472663926790283,
                                   0.14065325971552591875, 0.10479001032225018384,
                                   0.06309209262997855329, 0.02293532201052922496};
  static constexpr double wg[4] = {0.41795918367346938776, 0.38183005050511894495,
                                   0.27970539148927666790, 0.12948496616886969327};
  struct segment {
    double a, b, value, error, l1;
  };
  const auto rule = [&f](double a, double b) {
    const double half = 0.5 * (b - a);
    const double mid = 0.5 * (a + b);
    double fv[15];
    fv[0] = f(mid);
    for (int i = 1; i < 8; ++i) {
      fv[2 * i - 1] = f(mid - half * xk[i]);
      fv[2 * i] = f(mid + half * xk[i]);
    }
    double kronrod = wk[0] * fv[0];
    double gauss = wg[0] * fv[0];
    double l1 = wk[0] * std::fabs(fv[0]);
    for (int i = 1; i < 8; ++i) {
      const double pair = fv[2 * i - 1] + fv[2 * i];
      kronrod += wk[i] * pair;
      l1 += wk[i] * (std::fabs(fv[2 * i - 1]) + std::fabs(fv[2 * i]));
      if (i % 2 == 0) gauss += wg[i / 2] * pair;
    }
    const double mean = 0.5 * kronrod;
    double spread = wk[0] * std::fabs(fv[0] - mean);
    for (int i = 1; i < 15; ++i) spread += wk[(i + 1) / 2] * std::fabs(fv[i] - mean);
    double error = std::fabs(kronrod - gauss);
    if (spread > 0.0 && error > 0.0) {
      error = spread * std::min(1.0, std::pow(200.0 * error / spread, 1.5));
    }
    error = std::max(error, 4.4e-16 * l1);
    return segment{a, b, half * kronrod, half * error, half * l1};
  };
  constexpr int capacity = 128;
  segment seg[capacity];
  int n = 0;
  for (int i = 1; i < count; ++i) {
    if (breaks[i] > breaks[i - 1]) seg[n++] = rule(breaks[i - 1], breaks[i]);
  }
  for (;;) {
    double value = 0.0;
    double error = 0.0;
    double l1 = 0.0;
    int worst = 0;
    for (int i = 0; i < n; ++i) {
      value += seg[i].value, error += seg[i].error, l1 += seg[i].l1;
      if (seg[i].error > seg[worst].error) worst = i;
    }
    if (error <= std::max({abs_tol, rel_tol * l1, 1e-300}) || n == capacity) return value;
    const segment old = seg[worst];
    const double mid = 0.5 * (old.a + old.b);
    seg[worst] = rule(old.a, mid);
    seg[n++] = rule(mid, old.b);
  }
}

}  // namespace probust::detail
