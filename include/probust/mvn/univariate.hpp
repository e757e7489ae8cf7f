#pragma once
/// \file univariate.hpp
/// The standard normal distribution: Φ, its complement, log Φ and Φ⁻¹, to full double
/// precision in both tails. These are the building blocks of every MVN routine.

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>

#include "probust/detail/math.hpp"
#include "probust/detail/target_clones.hpp"

namespace probust {

/// Standard normal CDF Φ(x) = ½·erfc(−x/√2). Full relative precision for x → −∞.
inline double normal_cdf(double x) noexcept {
  return 0.5 * std::erfc(-x * detail::inv_sqrt2<double>);
}

/// Upper tail Φ̄(x) = 1 − Φ(x) = Φ(−x), computed without cancellation.
inline double normal_ccdf(double x) noexcept { return normal_cdf(-x); }

/// Standard normal density φ(x) = exp(−x²/2)/√(2π).
inline double normal_pdf(double x) noexcept {
  return detail::inv_sqrt_2pi<double> * std::exp(-0.5 * x * x);
}

/// log Φ(x), finite for every finite x. For x < −37 (where Φ underflows) it uses
/// Φ(x) = φ(x)·M(−x) with the Mills ratio M(t) evaluated by Lentz's continued fraction
/// M(t) = 1/(t + 1/(t + 2/(t + 3/(t + …))))  (Abramowitz & Stegun 26.2.14).
inline double log_normal_cdf(double x) noexcept {
  if (x > -5.0) {
    return std::log1p(-0.5 * std::erfc(x * detail::inv_sqrt2<double>));
  }
  if (x > -37.0) return std::log(normal_cdf(x));
  if (std::isinf(x)) return -std::numeric_limits<double>::infinity();
  const double t = -x;
  // Evaluate the continued fraction bottom-up with a fixed depth (ample for t ≥ 37).
  double cf = t;
  for (int n = 40; n >= 1; --n) cf = t + n / cf;
  return -0.5 * x * x - detail::log_sqrt_2pi<double> - std::log(cf);
}

/// P(a < X < b) = Φ(b) − Φ(a) for a standard normal X and a ≤ b, taken from the tail in
/// which both probabilities are small so that the difference does not cancel.
inline double normal_interval(double a, double b) noexcept {
  return a >= 0.0 ? normal_ccdf(a) - normal_ccdf(b) : normal_cdf(b) - normal_cdf(a);
}

/// log(Φ(b) − Φ(a)) for a ≤ b, accurate when the difference is tiny in either tail:
/// for b ≤ 0, log Φ(b) + log1p(−Φ(a)/Φ(b)); for a ≥ 0 the same on upper tails.
inline double log_normal_interval(double a, double b) noexcept {
  if (!(b > a)) return -std::numeric_limits<double>::infinity();
  if (b <= 0.0) {
    const double lb = log_normal_cdf(b);
    return lb + std::log1p(-std::exp(log_normal_cdf(a) - lb));
  }
  if (a >= 0.0) {
    const double la = log_normal_cdf(-a);
    return la + std::log1p(-std::exp(log_normal_cdf(-b) - la));
  }
  return std::log(normal_interval(a, b));
}

/// Inverse standard normal CDF Φ⁻¹(p), p ∈ [0, 1]; ±∞ at 0 and 1, NaN outside.
/// Wichura's algorithm AS 241 (PPND16), relative accuracy about 1e-16.
/// M. J. Wichura, Applied Statistics 37 (1988) 477–484.
inline double normal_quantile(double p) noexcept;

namespace detail {

/// The lower tail of AS 241 as a function of r = √(−log p), valid for r > √(−log 0.075).
inline double normal_quantile_tail(double r) noexcept {
  if (r <= 5.0) {
    r -= 1.6;
    return -(((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r +
                  0.24178072517745061177) * r + 1.27045825245236838258) * r +
                3.64784832476320460504) * r + 5.7694972214606914055) * r +
              4.6303378461565452959) * r + 1.42343711074968357734) /
           (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r +
                 0.0151986665636164571966) * r + 0.14810397642748007459) * r +
               0.68976733498510000455) * r + 1.6763848301838038494) * r +
             2.05319162663775882187) * r + 1.0);
  }
  r -= 5.0;
  return -(((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r +
                0.0012426609473880784386) * r + 0.026532189526576123093) * r +
              0.29656057182850489123) * r + 1.7848265399172913358) * r +
            5.4637849111641143699) * r + 6.6579046435011037772) /
         (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r +
               1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r +
             0.0148753612908506148525) * r + 0.13692988092273580531) * r +
           0.59983220655588793769) * r + 1.0);
}

/// Φ⁻¹(exp(log_p)) for log_p ≤ 0, without forming p: usable when p underflows
/// (AS 241's tail branch needs only √(−log p)).
inline double normal_quantile_from_log(double log_p) noexcept {
  if (log_p > -2.59) return normal_quantile(std::exp(log_p));  // p > 0.075: central part
  return normal_quantile_tail(std::sqrt(-log_p));
}

/// The central part of AS 241 as a function of q = p − ½, valid for |q| ≤ 0.425.
inline double normal_quantile_central(double q) noexcept {
  const double r = 0.180625 - q * q;
  return q *
         (((((((2509.0809287301226727 * r + 33430.575583588128105) * r +
               67265.770927008700853) * r + 45921.953931549871457) * r +
             13731.693765509461125) * r + 1971.5909503065514427) * r +
           133.14166789178437745) * r + 3.387132872796366608) /
         (((((((5226.495278852545925 * r + 28729.085735721942674) * r +
               39307.89580009271061) * r + 21213.794301586595867) * r +
             5394.1960214247511077) * r + 687.1870074920579083) * r +
           42.313330701600911252) * r + 1.0);
}

}  // namespace detail

inline double normal_quantile(double p) noexcept {
  const double q = p - 0.5;
  if (std::fabs(q) <= 0.425) return detail::normal_quantile_central(q);
  if (!(p > 0.0 && p < 1.0)) {
    if (p == 0.0) return -std::numeric_limits<double>::infinity();
    if (p == 1.0) return std::numeric_limits<double>::infinity();
    return std::numeric_limits<double>::quiet_NaN();
  }
  const double value = detail::normal_quantile_tail(std::sqrt(-std::log(q < 0.0 ? p : 1.0 - p)));
  return q < 0.0 ? value : -value;
}

namespace detail {

/// out[i] = Φ⁻¹(p[i]) for i < n, the same values as normal_quantile (out may alias p).
/// The central rational is evaluated for the whole batch without branches, so the
/// compiler vectorizes it; the few entries in the tails (p < 0.075 or p > 0.925) are then
/// recomputed one by one. Several times faster than n scalar calls in the QMC integrand.
PROBUST_TARGET_CLONES inline void normal_quantile_batch(const double* p, double* out,
                                                      int n) noexcept {
  // Fixed-length loops over chunks (padded with ½) vectorize even at -O2.
  constexpr int chunk = 64;
  double ps[chunk];
  double ws[chunk];
  for (int begin = 0; begin < n; begin += chunk) {
    const int m = std::min(chunk, n - begin);
    std::copy(p + begin, p + begin + m, ps);
    std::fill(ps + m, ps + chunk, 0.5);
    int tails = 0;
    for (int i = 0; i < chunk; ++i) {
      ws[i] = detail::normal_quantile_central(ps[i] - 0.5);
      tails += std::fabs(ps[i] - 0.5) <= 0.425 ? 0 : 1;
    }
    for (int i = 0; tails > 0 && i < m; ++i) {
      if (!(std::fabs(ps[i] - 0.5) <= 0.425)) ws[i] = normal_quantile(ps[i]);
    }
    std::copy(ws, ws + m, out + begin);
  }
}

/// out[i] = Φ(x[i]) for i < n (out may alias x), without branches so that the compiler and
/// Eigen's packet exp vectorize it; agrees with normal_cdf to ~1e-15 relative in the lower
/// tail and ~1e-16 absolute above (tested against Boost.Math).
///
///     Φ(−u) = φ(u) · M(u),   M(u) = Φ̄(u)/φ(u) (Mills' ratio), u = |x|,
///     M(u) = t · m(t),       t = 1/(1 + u/4) ∈ (0, 1],
///
/// m smooth on [0, 1] (m(0) = 1/4): a 25-term Chebyshev series in s = 2t − 1 (coefficients
/// from mpmath at 40 digits; the next term is below 1e-17·m), converted at 40 digits to the
/// monomial form Σ a_k s^k, k ≤ 24 (|a_k| ≤ 0.48, so Horner's rule loses at most a few
/// units in the last place, and costs two operations per term against Clenshaw's three).
/// Φ(x) = Φ(−u) for x ≤ 0 and 1 − Φ(−u) above.
PROBUST_TARGET_CLONES inline void normal_cdf_batch(const double* x, double* out, int n) noexcept {
  static constexpr double a[25] = {
      0.47330476582712134042,   0.38094272770499585955,   0.24260238871689709798,
      0.11688524074958311722,   0.037847940578110868374,  0.0047251127154278144893,
      -0.0021805738185650310619, -0.0010219639203000178423, 0.000083561154058211022741,
      0.00014481732616196798553, -1.1958160648543020258e-6, -0.000022023932802680845202,
      4.4909928035101944573e-7,  3.7108194197700734105e-6,  -3.946916413669343438e-7,
      -6.4218882780743057411e-7, 1.707408457918366668e-7,   1.0012348231279275185e-7,
      -5.443548755509831737e-8,  -1.1182650128625807393e-8, 1.3427759412897393457e-8,
      3.6807497309365767257e-10, -2.3378351112060851526e-9, 7.5184949180996912555e-11,
      2.1327097150651324552e-10};
  // Fixed-length loops over a chunk (the tail of x padded with zeros), so that even the
  // cheap vectorizer of -O2 takes them.
  constexpr int chunk = 64;
  double xs[chunk];       // x
  double density[chunk];  // −u²/2, then φ(u)·√(2π)
  double mills[chunk];    // t
  double s[chunk];        // 2t − 1
  double m[chunk];        // Horner's recurrence for m(t), run across the chunk
  for (int begin = 0; begin < n; begin += chunk) {
    const int count = std::min(chunk, n - begin);
    std::copy(x + begin, x + begin + count, xs);
    std::fill(xs + count, xs + chunk, 0.0);
    for (int i = 0; i < chunk; ++i) {
      const double u = std::fabs(xs[i]);
      mills[i] = 1.0 / (1.0 + 0.25 * u);
      s[i] = 2.0 * mills[i] - 1.0;
      density[i] = -0.5 * u * u;
      m[i] = a[24];
    }
    for (int k = 23; k >= 0; --k) {
      for (int i = 0; i < chunk; ++i) m[i] = m[i] * s[i] + a[k];
    }
    Eigen::Map<Eigen::Array<double, chunk, 1>> e(density);
    e = e.exp();
    for (int i = 0; i < chunk; ++i) {
      const double lower = detail::inv_sqrt_2pi<double> * density[i] * mills[i] * m[i];
      xs[i] = xs[i] <= 0.0 ? lower : 1.0 - lower;
    }
    std::copy(xs, xs + count, out + begin);
  }
}

}  // namespace detail
}  // namespace probust
