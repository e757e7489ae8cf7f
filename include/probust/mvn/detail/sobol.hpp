#pragma once
/// \file sobol.hpp
/// Randomized Sobol' point sets: Joe–Kuo direction numbers (the table Boost.Random ships,
/// up to 3,667 dimensions), Matoušek's random linear scrambling plus a digital shift.
///
/// Scrambling acts on the direction numbers, so a scrambled point costs the same as a
/// plain one: x_n = x_{n−1} ⊕ v'_{ctz(n)} (Antonov–Saleev Gray-code order), with
/// v'_b = M·v_b for a random lower-triangular binary matrix M with unit diagonal, and the
/// output x_n ⊕ e for a random digit vector e. Each randomization is an unbiased
/// estimator with the Sobol' net's low discrepancy (J. Matoušek, "On the L2-discrepancy
/// for anchored boxes", J. Complexity 14 (1998); P. Bratley & B. L. Fox, ACM TOMS 14
/// (1988) for the direction-number recurrence). Dimensions beyond the table are filled
/// with pseudo-random digits (plain Monte Carlo in those coordinates, still unbiased).

#include <boost/random/sobol.hpp>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "probust/detail/bits.hpp"
#include "probust/random.hpp"

namespace probust::detail {

/// One randomization of the first 2^32 points of a Sobol' sequence in `dimension`
/// dimensions. Points are produced in Gray-code order, which visits exactly the same set as
/// the natural order over every block [0, 2^m).
class scrambled_sobol {
 public:
  using table = boost::random::default_sobol_table;  // Joe–Kuo, public in Boost.Random
  static constexpr std::size_t table_dimension = table::max_dimension;
  static constexpr int bits = 32;

  /// Draws the scrambling matrices and digital shifts from `engine`.
  scrambled_sobol(std::size_t dimension, random_engine engine)
      : dimension_(dimension),
        sobol_dims_(dimension < table_dimension ? dimension : table_dimension),
        directions_(sobol_dims_ * bits),
        state_(dimension, 0u),
        extra_seed_(engine()) {
    std::vector<std::uint32_t> m(bits);
    for (std::size_t d = 0; d < sobol_dims_; ++d) {
      initial_directions(d, m);
      // Random lower-triangular scrambling matrix M, stored by columns: column l (input
      // digit l, bit 31 − l) has a 1 on the diagonal and random entries below it (the
      // later, less significant digits). Then M·v is the XOR of the columns of v's digits.
      std::uint32_t columns[bits];
      for (int l = 0; l < bits; ++l) {
        const std::uint32_t diagonal = 1u << (bits - 1 - l);
        columns[l] = (static_cast<std::uint32_t>(engine() >> 32) & (diagonal - 1u)) | diagonal;
      }
      for (int b = 0; b < bits; ++b) {
        std::uint32_t v = m[b] << (bits - 1 - b);
        std::uint32_t scrambled = 0;
        while (v != 0u) {
          const int bit = countr_zero(v);  // lowest set bit, cleared below
          scrambled ^= columns[bits - 1 - bit];
          v &= v - 1u;
        }
        directions_[static_cast<std::size_t>(b) * sobol_dims_ + d] = scrambled;
      }
      state_[d] = static_cast<std::uint32_t>(engine() >> 32);  // the digital shift (point 0)
    }
  }

  std::size_t dimension() const noexcept { return dimension_; }

  /// Writes point `index` (0-based, Gray-code order) into out[d * stride], d < dimension,
  /// as doubles in (0, 1). Points must be requested with consecutive indices from 0.
  void next(std::uint64_t index, double* out, std::size_t stride) {
    constexpr double scale = 1.0 / 4294967296.0;  // 2^-32
    if (index > 0) {
      const auto bit = static_cast<std::size_t>(countr_zero(index));
      const std::uint32_t* v = &directions_[bit * sobol_dims_];  // contiguous over d
      for (std::size_t d = 0; d < sobol_dims_; ++d) state_[d] ^= v[d];
    }
    for (std::size_t d = 0; d < sobol_dims_; ++d) {
      out[d * stride] = (static_cast<double>(state_[d]) + 0.5) * scale;
    }
    for (std::size_t d = sobol_dims_; d < dimension_; ++d) {
      const std::uint64_t h = mix64(extra_seed_ ^ mix64(index * 0x100000001b3ULL + d));
      out[d * stride] = (static_cast<double>(h >> 11) + 0.5) * 0x1.0p-53;
    }
  }

 private:
  /// Unscrambled direction integers m_b (b-th binary digit, before the 2^(31−b) shift) of
  /// dimension d, by the Bratley–Fox recurrence on the primitive polynomial of the table.
  static void initial_directions(std::size_t d, std::vector<std::uint32_t>& m) {
    if (d == 0) {
      for (int b = 0; b < bits; ++b) m[b] = 1u;
      return;
    }
    const unsigned poly = table::polynomial(d - 1);
    int degree = 0;
    while ((poly >> (degree + 1)) != 0u) ++degree;
    for (int b = 0; b < degree; ++b) m[b] = table::minit(d - 1, static_cast<std::size_t>(b));
    for (int b = degree; b < bits; ++b) {
      unsigned p = poly;
      std::uint32_t value = m[b - degree];
      for (int j = 0; j < degree; ++j, p >>= 1) {
        const int rem = degree - j;
        value ^= ((p & 1u) * m[b - rem]) << rem;
      }
      m[b] = value;
    }
  }

  std::size_t dimension_;
  std::size_t sobol_dims_;  // dimensions with direction numbers (the rest: pseudo-random)
  std::vector<std::uint32_t> directions_;  // v'_b of dimension d at [b · sobol_dims_ + d]
  std::vector<std::uint32_t> state_;
  std::uint64_t extra_seed_;
};

}  // namespace probust::detail
