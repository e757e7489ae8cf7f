#pragma once
/// \file bivariate.hpp
/// The standard bivariate normal distribution with correlation ρ ∈ [−1, 1]: the upper
/// orthant probability P(X > h, Y > k) and the CDF P(X ≤ a, Y ≤ b), accurate to about
/// 1e-16 absolute and, in the tails, to about 1e-14 relative.

#include <algorithm>
#include <cmath>
#include <string>

#include "probust/detail/math.hpp"
#include "probust/errors.hpp"
#include "probust/mvn/detail/quadrature.hpp"
#include "probust/mvn/univariate.hpp"

namespace probust {
namespace detail {

/// Validates a correlation: throws probust::invalid_argument for NaN or |ρ| > 1 + 1e-12
/// and clamps values within that tolerance to [−1, 1].
inline double checked_correlation(const char* function, const char* name, double rho) {
  if (!(std::fabs(rho) <= 1.0 + 1e-12)) {
    throw_invalid_argument(function, std::string(name) + " must be a correlation in [-1, 1]");
  }
  return std::clamp(rho, -1.0, 1.0);
}

/// Throws probust::invalid_argument when a limit is NaN (±∞ are legal limits).
inline void check_limit(const char* function, const char* name, double x) {
  if (std::isnan(x)) throw_invalid_argument(function, std::string(name) + " is NaN");
}

/// Limits beyond ±40 act as ±∞ in double precision: Φ̄(40) ≈ 4e-350 is below the smallest
/// subnormal. Clamping to them keeps every intermediate (h·k, h² + k²) finite.
inline constexpr double normal_limit_cutoff = 40.0;

/// Genz's BVNU: P(X > h, Y > k) for a standard bivariate normal with correlation r, finite
/// h, k and 0 < |r| < 1; absolute error about 1e-16.
///   |r| < 0.925: Drezner & Wesolowsky's form
///     P = Φ̄(h)Φ̄(k) + (1/2π) ∫_0^{asin r} exp(−(h² + k² − 2hk sin θ)/(2cos²θ)) dθ
///   by 6-, 12- or 20-point Gauss–Legendre for |r| < 0.3, < 0.75, < 0.925;
///   |r| ≥ 0.925: the integral taken from the nearer singular end ρ = ±1 in the variable
///   x = √(1 − ρ²), the leading terms of its expansion integrated in closed form and the
///   remainder by 20-point Gauss–Legendre.
/// Z. Drezner & G. O. Wesolowsky, J. Statist. Comput. Simul. 35 (1990) 101–107;
/// A. Genz, Statistics and Computing 14 (2004) 251–260.
inline double bivariate_normal_upper_genz(double h, double k, double r) noexcept {
  // Gauss–Legendre nodes x_i > 0 and weights on [−1, 1]: 6, 12 and 20 points.
  static constexpr double w6[3] = {0.1713244923791705, 0.3607615730481384, 0.4679139345726904};
  static constexpr double x6[3] = {0.9324695142031522, 0.6612093864662647, 0.2386191860831970};
  static constexpr double w12[6] = {0.04717533638651177, 0.1069393259953183, 0.1600783285433464,
                                    0.2031674267230659,  0.2334925365383547, 0.2491470458134029};
  static constexpr double x12[6] = {0.9815606342467191, 0.9041172563704750, 0.7699026741943050,
                                    0.5873179542866171, 0.3678314989981802, 0.1252334085114692};
  static constexpr double w20[10] = {0.01761400713915212, 0.04060142980038694, 0.06267204833410906,
                                     0.08327674157670475, 0.1019301198172404,  0.1181945319615184,
                                     0.1316886384491766,  0.1420961093183821,  0.1491729864726037,
                                     0.1527533871307259};
  static constexpr double x20[10] = {0.9931285991850949, 0.9639719272779138, 0.9122344282513259,
                                     0.8391169718222188, 0.7463319064601508, 0.6360536807265150,
                                     0.5108670019508271, 0.3737060887154196, 0.2277858511416451,
                                     0.07652652113349733};
  const double ar = std::fabs(r);
  const double* w = w20;
  const double* x = x20;
  int n = 10;
  if (ar < 0.3) {
    w = w6, x = x6, n = 3;
  } else if (ar < 0.75) {
    w = w12, x = x12, n = 6;
  }
  double hk = h * k;
  if (ar < 0.925) {
    const double hs = 0.5 * (h * h + k * k);
    const double asr = 0.5 * std::asin(r);
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
      for (const double xi : {1.0 - x[i], 1.0 + x[i]}) {
        const double sn = std::sin(asr * xi);
        sum += w[i] * std::exp((sn * hk - hs) / ((1.0 - sn) * (1.0 + sn)));
      }
    }
    return normal_ccdf(h) * normal_ccdf(k) + sum * asr / two_pi<double>;
  }
  if (r < 0.0) {
    k = -k;
    hk = -hk;
  }
  const double as = (1.0 - ar) * (1.0 + ar);
  double a = std::sqrt(as);
  const double bs = (h - k) * (h - k);
  const double c = (4.0 - hk) / 8.0;
  const double d = (12.0 - hk) / 16.0;
  double bvn = a * std::exp(-0.5 * (bs / as + hk)) *
               (1.0 - c * (bs - as) * (1.0 - d * bs / 5.0) / 3.0 + c * d * as * as / 5.0);
  if (hk > -160.0) {  // otherwise exp(−hk/2)·Φ(−b/a) is below the double range
    const double b = std::sqrt(bs);
    bvn -= std::exp(-0.5 * hk) * std::sqrt(two_pi<double>) * normal_cdf(-b / a) * b *
           (1.0 - c * bs * (1.0 - d * bs / 5.0) / 3.0);
  }
  a *= 0.5;
  for (int i = 0; i < n; ++i) {
    for (const double xi : {1.0 - x[i], 1.0 + x[i]}) {
      const double xs = (a * xi) * (a * xi);
      const double rs = std::sqrt(1.0 - xs);
      // e^(−(bs/xs + hk)/2)·(e^(−hk(1 − rs)/(2(1 + rs)))/rs − 1 − c·xs·(1 + d·xs)), the first
      // product's exponent simplified to −bs/(2xs) − hk/(1 + rs) so that it cannot overflow.
      bvn += a * w[i] *
             (std::exp(-0.5 * bs / xs - hk / (1.0 + rs)) / rs -
              std::exp(-0.5 * (bs / xs + hk)) * (1.0 + c * xs * (1.0 + d * xs)));
    }
  }
  bvn = -bvn / two_pi<double>;
  if (r > 0.0) return bvn + normal_ccdf(std::max(h, k));
  return -bvn + (h < k ? normal_interval(h, k) : 0.0);
}

/// P(X > h, Y > k) as a sum of non-negative terms, for relative accuracy where it is small
/// (finite h, k; 0 < |r| < 1). With θ = asin ρ, s = sin θ and φ = (π/2 − θ)/2 in
/// Drezner & Wesolowsky's integral, h² + k² − 2hks over 2cos²θ becomes
/// ((h − k)²/sin²φ + (h + k)²/cos²φ)/8, so that, with G(φ; u, v) = exp(−(u²/sin²φ + v²/cos²φ)/8),
///   r > 0:  P = Φ̄(h)Φ̄(k)         + (1/π) ∫_{acos(r)/2}^{π/4} G(φ; h − k, h + k) dφ,
///   r < 0:  P = P(h < X < −k)⁺ + (1/π) ∫_0^{acos(−r)/2}  G(φ; h + k, h − k) dφ
/// (the second integrates from ρ = −1, where P = P(h < X < −k)⁺). ℓ = log G is concave with
/// its maximum over the range at p (the mode, tan²φ = |u/v|, or an end). The range is cut
/// where the quadratic model of ℓ at p has dropped by 3, 10, 22 and 45, and truncated there
/// when concavity bounds the rest by 1e-17 of the first piece; the integral is then
/// adaptive (integrate_adaptive) to an estimated 1e-13 relative (the QK15 estimate is
/// pessimistic: the measured error is 1e-15 to 1e-14 relative).
inline double bivariate_normal_upper_tail(double h, double k, double r) noexcept {
  double base;
  double u;
  double v;
  double lo;
  double hi;
  if (r > 0.0) {
    base = normal_ccdf(h) * normal_ccdf(k);
    u = h - k, v = h + k;
    lo = 0.5 * std::acos(r), hi = 0.25 * pi<double>;
  } else {
    base = h < -k ? normal_interval(h, -k) : 0.0;
    u = h + k, v = h - k;
    lo = 0.0, hi = 0.5 * std::acos(-r);
  }
  const double u2 = u * u / 8.0;
  const double v2 = v * v / 8.0;
  const auto g = [u2, v2](double phi) {
    const double s = std::sin(phi);
    const double c = std::cos(phi);
    return std::exp(-u2 / (s * s) - v2 / (c * c));
  };
  // ℓ(φ) = −u2/sin²φ − v2/cos²φ; a zero u2 drops its term (also at φ = 0).
  const auto ell = [u2, v2](double phi) {
    const double s = std::sin(phi);
    const double c = std::cos(phi);
    return -(u2 == 0.0 ? 0.0 : u2 / (s * s)) - v2 / (c * c);
  };
  const double mode = std::atan(std::sqrt(std::fabs(u / v)));  // NaN if u = v = 0: G ≡ 1
  const double p = mode >= hi ? hi : (mode > lo ? mode : lo);
  // |ℓ'(p)| = 2|u2·cot/sin² − v2·tan/cos²|, −ℓ''(p) = 2(u2(1 + 3cot²)/sin² + v2(1 + 3tan²)/cos²).
  const double sp = std::sin(p);
  const double cp = std::cos(p);
  const double tp = sp / cp;
  double slope = -v2 / (cp * cp) * tp;
  double curvature = v2 / (cp * cp) * (1.0 + 3.0 * tp * tp);
  if (u2 != 0.0) {
    slope += u2 / (sp * sp) / tp;
    curvature += u2 / (sp * sp) * (1.0 + 3.0 / (tp * tp));
  }
  slope = 2.0 * std::fabs(slope);
  curvature *= 2.0;
  const double lp = ell(p);
  // Breakpoints at distances d with slope·d + curvature·d²/2 = 3, 10, 22, 45 on each side.
  const auto walk = [&](double direction, double end, double* out) {
    int count = 0;
    double first = 0.0;
    for (const double level : {3.0, 10.0, 22.0, 45.0}) {
      const double d = 2.0 * level / (slope + std::sqrt(slope * slope + 2.0 * curvature * level));
      if (!(d < std::fabs(end - p))) break;
      out[count++] = p + direction * d;
      if (first == 0.0) first = d;
      if (level == 45.0) {
        const double drop = lp - ell(out[count - 1]);  // concavity: the rest ≤ e^(−drop)·d/drop
        if (drop > 30.0 && std::exp(-drop) * d / drop < 1e-17 * first) return count;
      }
    }
    out[count++] = end;
    return count;
  };
  double below[5];
  double above[5];
  const int n_below = p > lo ? walk(-1.0, lo, below) : 0;
  const int n_above = p < hi ? walk(1.0, hi, above) : 0;
  double breaks[11];
  int n = 0;
  for (int i = n_below - 1; i >= 0; --i) breaks[n++] = below[i];
  breaks[n++] = p;
  for (int i = 0; i < n_above; ++i) breaks[n++] = above[i];
  return base + integrate_adaptive(g, breaks, n, 1e-13 * pi<double> * base, 1e-13) / pi<double>;
}

/// Below this value Genz's result (absolute error ~1e-16) is replaced by the tail form.
inline constexpr double bivariate_tail_threshold = 1e-3;

/// bivariate_normal_upper without argument checks: h, k not NaN, r ∈ [−1, 1].
inline double bivariate_normal_upper_unchecked(double h, double k, double r) noexcept {
  if (h >= normal_limit_cutoff || k >= normal_limit_cutoff) return 0.0;
  if (h <= -normal_limit_cutoff) return normal_ccdf(k);
  if (k <= -normal_limit_cutoff) return normal_ccdf(h);
  if (r == 0.0) return normal_ccdf(h) * normal_ccdf(k);
  if (r == 1.0) return normal_ccdf(std::max(h, k));
  if (r == -1.0) return h < -k ? normal_interval(h, -k) : 0.0;
  const double p = bivariate_normal_upper_genz(h, k, r);
  if (p < bivariate_tail_threshold) return bivariate_normal_upper_tail(h, k, r);
  return std::min(p, 1.0);
}

}  // namespace detail

/// Upper orthant probability P(X > h, Y > k) of a standard bivariate normal (X, Y) with
/// correlation rho: Genz's BVNU (Drezner & Wesolowsky's integral, Gauss–Legendre with
/// 6/12/20 points, series near |ρ| = 1), about 1e-16 absolute; below 1e-3 an adaptive
/// integral of non-negative terms keeps the relative error near 1e-14 in every tail (it
/// grows like |log P|·ε, the conditioning of P, down to about 1e-13 at P ≈ 1e-300).
/// h and k may be ±∞; ρ = 0 and ρ = ±1 are exact (Φ̄(h)Φ̄(k), Φ̄(max(h, k)),
/// P(h < X < −k)⁺). Arguments must not be NaN and rho must lie in [−1, 1]; otherwise
/// throws probust::invalid_argument.
/// A. Genz, Statistics and Computing 14 (2004) 251–260.
inline double bivariate_normal_upper(double h, double k, double rho) {
  constexpr const char* function = "probust::bivariate_normal_upper";
  detail::check_limit(function, "h", h);
  detail::check_limit(function, "k", k);
  return detail::bivariate_normal_upper_unchecked(
      h, k, detail::checked_correlation(function, "rho", rho));
}

/// Bivariate normal CDF P(X ≤ a, Y ≤ b) = P(−X > −a, −Y > −b) = bivariate_normal_upper(−a, −b, ρ).
/// Same accuracy, limits and argument contract as bivariate_normal_upper.
inline double bivariate_normal_cdf(double a, double b, double rho) {
  constexpr const char* function = "probust::bivariate_normal_cdf";
  detail::check_limit(function, "a", a);
  detail::check_limit(function, "b", b);
  return detail::bivariate_normal_upper_unchecked(
      -a, -b, detail::checked_correlation(function, "rho", rho));
}

}  // namespace probust
