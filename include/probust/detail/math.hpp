#pragma once
/// \file math.hpp
/// The numerics shared across the library, each defined once: constants of the normal
/// density and the logistic family of functions.

#include <algorithm>
#include <cmath>

namespace probust::detail {

/// 1/√2, 1/√(2π), log √(2π), 2π and π, correctly rounded to T.
template <class T>
inline constexpr T inv_sqrt2 = T(0.707106781186547524400844362104849039L);
template <class T>
inline constexpr T inv_sqrt_2pi = T(0.398942280401432677939946059934381868L);
template <class T>
inline constexpr T log_sqrt_2pi = T(0.918938533204672741780329736405617640L);
template <class T>
inline constexpr T two_pi = T(6.283185307179586476925286766559005768L);
template <class T>
inline constexpr T pi = T(3.141592653589793238462643383279502884L);

/// The logistic function 1/(1 + e^{−z}), evaluated without overflow for either sign of z.
template <class T>
T logistic(T z) noexcept {
  if (z >= T(0)) return T(1) / (T(1) + std::exp(-z));
  const T e = std::exp(z);
  return e / (T(1) + e);
}

/// log(1 + e^z) = max(z, 0) + log1p(e^{−|z|}), without overflow or cancellation.
template <class T>
T softplus(T z) noexcept {
  return std::max(z, T(0)) + std::log1p(std::exp(-std::abs(z)));
}

}  // namespace probust::detail
