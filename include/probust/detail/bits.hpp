#pragma once
/// \file bits.hpp
/// A portable count of trailing zero bits: std::countr_zero where the standard library
/// has it (C++20, __cpp_lib_bitops), a branch-free de Bruijn lookup otherwise.

#include <cstdint>
#if defined(__has_include)
#if __has_include(<version>)
#include <version>
#endif
#endif
#if defined(__cpp_lib_bitops)
#include <bit>
#endif

namespace probust::detail {

/// The index of the lowest set bit of x ≠ 0 by multiplication with a de Bruijn sequence:
/// x & −x isolates that bit, and the product with the sequence B(2, 6) puts a distinct
/// 6-bit pattern in the top bits for each of the 64 positions (C. E. Leiserson, H. Prokop,
/// K. H. Randall, "Using de Bruijn sequences to index a 1 in a computer word", MIT, 1998).
/// The result for x = 0 is 0 (callers pass non-zero values).
constexpr int countr_zero_fallback(std::uint64_t x) noexcept {
  constexpr std::uint64_t de_bruijn = 0x03f79d71b4cb0a89ULL;
  constexpr signed char index[64] = {
      0,  1,  48, 2,  57, 49, 28, 3,  61, 58, 50, 42, 38, 29, 17, 4,
      62, 55, 59, 36, 53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5,
      63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11,
      46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9,  13, 8,  7,  6};
  return index[((x & (~x + 1u)) * de_bruijn) >> 58];
}

/// The number of trailing zero bits of x ≠ 0 (its lowest set bit's index).
inline int countr_zero(std::uint64_t x) noexcept {
#if defined(__cpp_lib_bitops)
  return std::countr_zero(x);
#else
  return countr_zero_fallback(x);
#endif
}

/// The same for 32-bit words.
inline int countr_zero(std::uint32_t x) noexcept {
#if defined(__cpp_lib_bitops)
  return std::countr_zero(x);
#else
  return countr_zero_fallback(x);
#endif
}

}  // namespace probust::detail
