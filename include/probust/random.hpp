#pragma once
/// \file random.hpp
/// Explicit, reproducible randomness that does not depend on the standard library:
/// SplitMix64 (seeding and hashing), xoshiro256** (the engine), independent streams per
/// (seed, id), open-interval uniforms and standard normals (a 256-layer ziggurat)
/// generated in-house.
///
/// Seeding convention. Every randomized routine of probust takes a seed whose default is
/// probust::default_seed (config.hpp). Work item `id` (a data point, a batch, a
/// randomization) draws from `point_engine(seed, id)`, never from a shared engine, so the
/// numbers it sees — and hence the result — do not depend on thread count or sharding.

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include <Eigen/Core>

#include "probust/config.hpp"
#include "probust/detail/ziggurat_tables.hpp"

namespace probust {
namespace detail {

/// The SplitMix64 output function (Stafford's "Mix13" variant of the MurmurHash3
/// finalizer), a bijection of 64-bit words with full avalanche:
/// z ← (z ⊕ z≫30)·0xbf58476d1ce4e5b9, z ← (z ⊕ z≫27)·0x94d049bb133111eb, z ⊕ z≫31.
/// G. L. Steele, D. Lea, C. H. Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t rotl64(std::uint64_t x, int k) noexcept {
  return (x << k) | (x >> (64 - k));
}

/// SplitMix64: state ← state + 0x9e3779b97f4a7c15 (the golden-ratio increment), output
/// mix64(state). Used to expand one 64-bit seed into an engine state (Steele, Lea & Flood,
/// OOPSLA 2014; the seeding generator recommended for xoshiro by Blackman & Vigna).
class splitmix64 {
 public:
  using result_type = std::uint64_t;

  constexpr explicit splitmix64(std::uint64_t seed = default_seed) noexcept : state_(seed) {}

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

  constexpr result_type operator()() noexcept {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
  }

 private:
  std::uint64_t state_;
};

}  // namespace detail

/// xoshiro256**: 256-bit xorshift state with the "**" scrambler
/// out = rotl(s₁·5, 7)·9; period 2²⁵⁶ − 1, passes BigCrush and PractRand.
/// D. Blackman, S. Vigna, "Scrambled linear pseudorandom number generators",
/// ACM Trans. Math. Softw. 47 (2021) 36. Satisfies UniformRandomBitGenerator, so it also
/// drives <random> distributions (whose output, unlike this engine's, is not portable).
class random_engine {
 public:
  using result_type = std::uint64_t;

  /// State = four consecutive outputs of splitmix64(seed). SplitMix64 is a bijection of
  /// distinct counters, so the state is never all zero.
  explicit random_engine(std::uint64_t seed = default_seed) noexcept {
    detail::splitmix64 seeder(seed);
    for (auto& word : s_) word = seeder();
  }

  /// An engine in the given raw state (must not be all zero); for reference vectors and
  /// checkpoints.
  explicit random_engine(const std::array<std::uint64_t, 4>& state) noexcept : s_(state) {}

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

  result_type operator()() noexcept {
    const std::uint64_t result = detail::rotl64(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = detail::rotl64(s_[3], 45);
    return result;
  }

 private:
  std::array<std::uint64_t, 4> s_;
};

/// The random engine of work item (e.g. data point) `point_id` under `seed`:
/// random_engine(mix64(mix64(seed) ⊕ point_id)). For a fixed seed distinct ids give
/// distinct engine seeds (the map is a bijection), and the double hashing decorrelates
/// neighbouring ids and seeds — the usual way of deriving independent random streams from
/// (seed, counter) pairs.
inline random_engine point_engine(std::uint64_t seed, std::uint64_t point_id) noexcept {
  return random_engine(detail::mix64(detail::mix64(seed) ^ point_id));
}

/// The former name of point_engine (it returns an engine, not an I/O stream).
[[deprecated("use probust::point_engine")]] inline random_engine stream(
    std::uint64_t seed, std::uint64_t id) noexcept {
  return point_engine(seed, id);
}

/// A uniform double in the open interval (0, 1): u = (⌊x / 2¹²⌋ + ½)·2⁻⁵², the midpoints
/// of a 2⁻⁵² grid, so u ∈ [2⁻⁵³, 1 − 2⁻⁵³], never 0 or 1, and 1 − u is exact. (With 53
/// bits the top midpoint 1 − 2⁻⁵⁴ is not a double and rounds to 1.)
template <class Engine>
double uniform_open01(Engine& engine) {
  static_assert(Engine::min() == 0 && Engine::max() == std::numeric_limits<std::uint64_t>::max(),
                "uniform_open01: Engine must produce full 64-bit words");
  return (static_cast<double>(engine() >> 12) + 0.5) * 0x1.0p-52;
}

namespace detail {

/// (⌊w/2¹²⌋ + ½)·2⁻⁵², the uniform_open01 value of the word w, computed as
/// (1 + ⌊w/2¹²⌋·2⁻⁵²) − (1 − 2⁻⁵³): the first term is the double with w's top 52 bits as
/// its mantissa and the subtraction is exact (Sterbenz), so the result is bit-identical,
/// without an integer-to-double conversion.
inline double open01_from_word(std::uint64_t word) noexcept {
  const std::uint64_t bits = (word >> 12) | 0x3ff0000000000000ULL;
  double one_to_two;
  std::memcpy(&one_to_two, &bits, sizeof one_to_two);
  return one_to_two - (1.0 - 0x1.0p-53);
}

/// ±1 by bit 8 of a ziggurat word (multiplying by ±1 is exact; no branch on a coin flip).
inline constexpr double ziggurat_sign[2] = {1.0, -1.0};

/// A variate from the normal tail z > r (density ∝ exp(−z²/2) on (r, ∞)) by Marsaglia's
/// method: a = −ln(U₁)/r, b = −ln(U₂) with fresh open-interval uniforms, until 2b > a²;
/// then z = r + a. G. Marsaglia, "Generating a variable from the tail of the normal
/// distribution", Technometrics 6 (1964) 101–102.
template <class Engine>
double ziggurat_tail(Engine& engine) {
  for (;;) {
    const double a = -std::log(uniform_open01(engine)) / ziggurat_r;
    const double b = -std::log(uniform_open01(engine));
    if (2.0 * b > a * a) return ziggurat_r + a;
  }
}

/// The rectangle test of one ziggurat attempt (see standard_normal): with layer
/// i = w mod 2⁸ and z = open01_from_word(w)·xᵢ, true and `out` = ±z (minus if bit 8 is
/// set) if z < xᵢ₊₁.
inline bool ziggurat_rectangle(std::uint64_t word, double& out) noexcept {
  const double* x = ziggurat_x + (word & 0xffU);
  const double z = open01_from_word(word) * x[0];
  out = z * ziggurat_sign[(word >> 8) & 1U];
  return z < x[1];
}

/// The rest of a ziggurat attempt whose rectangle test failed (1.5% of the attempts): the
/// tail of the base layer or the wedge test, and new attempts until one is accepted.
/// Kept out of line so that the rectangle path inlines into the caller's loop.
template <class Engine>
#if defined(__GNUC__)
__attribute__((noinline))
#elif defined(_MSC_VER)
__declspec(noinline)
#endif
double ziggurat_rest(Engine& engine, std::uint64_t word) {
  for (;;) {
    double signed_z;
    if (ziggurat_rectangle(word, signed_z)) return signed_z;
    const unsigned layer = static_cast<unsigned>(word & 0xffU);
    const double sign = ziggurat_sign[(word >> 8) & 1U];
    if (layer == 0) return sign * ziggurat_tail(engine);
    const double z = open01_from_word(word) * ziggurat_x[layer];
    // Written without a·b + c so that FP contraction (FMA) cannot change the decision.
    const double gap = ziggurat_f[layer + 1] - ziggurat_f[layer];
    if (uniform_open01(engine) * gap < std::exp(-0.5 * z * z) - ziggurat_f[layer]) {
      return sign * z;
    }
    word = engine();
  }
}

}  // namespace detail

/// A standard normal variate by the ziggurat method with 256 layers (G. Marsaglia,
/// W. W. Tsang, "The ziggurat method for generating random variables", J. Stat. Softw.
/// 5(8), 2000), with Doornik's correction that the layer and the sign come from bits
/// independent of the uniform (J. A. Doornik, "An improved ziggurat method to generate
/// normal random samples", University of Oxford, 2005). The layers have equal area under
/// f(x) = exp(−x²/2); tables x₀ = v/f(r) > x₁ = r > … > x₂₅₅ > x₂₅₆ = 0 and fᵢ = f(xᵢ),
/// r ≈ 3.6541528853610088, in detail/ziggurat_tables.hpp (generated at 80 digits by
/// scripts/ziggurat_tables.py).
///
/// Each attempt takes one 64-bit word w = engine(): layer i = w mod 2⁸, sign = bit 8,
/// U = (⌊w/2¹²⌋ + ½)·2⁻⁵² ∈ (0, 1) from the top 52 bits (the uniform_open01 grid; bits 9–11
/// are unused), z = U·xᵢ. Then
///   * z < xᵢ₊₁: return ±z (the rectangle; 98.5% of the attempts, no transcendental call);
///   * i = 0 (base layer, z ≥ r): return ±(a variate of the tail z > r) by Marsaglia's
///     method: a = −ln(U₁)/r, b = −ln(U₂) until 2b > a², then r + a, with fresh uniforms
///     from the same engine;
///   * 1 ≤ i ≤ 255 (wedge): return ±z if U′·(fᵢ₊₁ − fᵢ) < exp(−z²/2) − fᵢ for a fresh
///     uniform U′ (a uniform point of the layer lies under the curve); else start over.
/// On average 1.022 engine calls per variate.
///
/// Reproducibility: for a given engine state the variates are bit-identical on every
/// IEEE-754 platform (the tables are hexadecimal literals, the rectangle path is one
/// rounded product, and no test is written as a·b + c that FP contraction could fuse),
/// except for the ~1.5% of variates that go through a wedge or the tail: these call
/// std::exp / std::log, whose last bits can differ between C libraries (and, with
/// probability of order 2⁻⁵² per such variate, flip an acceptance and so shift the rest
/// of the stream).
template <class Engine>
double standard_normal(Engine& engine) {
  static_assert(Engine::min() == 0 && Engine::max() == std::numeric_limits<std::uint64_t>::max(),
                "standard_normal: Engine must produce full 64-bit words");
  const std::uint64_t word = engine();
  double z;
  if (detail::ziggurat_rectangle(word, z)) return z;
  return detail::ziggurat_rest(engine, word);
}

/// Fills a dense Eigen expression with independent standard normals in column-major
/// order (out(0,0), out(1,0), …, out(0,1), …), the same values as successive calls of
/// standard_normal. Accepts matrices, vectors and writable blocks, including temporaries
/// such as `m.col(j)`.
template <class Engine, class Derived>
void fill_standard_normal(Engine& engine, const Eigen::DenseBase<Derived>& out) {
  static_assert(Engine::min() == 0 && Engine::max() == std::numeric_limits<std::uint64_t>::max(),
                "fill_standard_normal: Engine must produce full 64-bit words");
  // Eigen's documented idiom for writing into an expression passed as a temporary.
  auto& target = const_cast<Eigen::DenseBase<Derived>&>(out);
  if constexpr (std::is_trivially_copy_constructible_v<Engine> &&
                std::is_trivially_copy_assignable_v<Engine> && sizeof(Engine) <= 64) {
    // A small engine is advanced in a local copy whose address never escapes (the rare
    // slow path gets a copy of its own), so its state can live in registers.
    Engine local = engine;
    for (Eigen::Index j = 0; j < target.cols(); ++j) {
      for (Eigen::Index i = 0; i < target.rows(); ++i) {
        const std::uint64_t word = local();
        double z;
        if (!detail::ziggurat_rectangle(word, z)) {
          Engine spill = local;
          z = detail::ziggurat_rest(spill, word);
          local = spill;
        }
        target(i, j) = z;
      }
    }
    engine = local;
  } else {
    for (Eigen::Index j = 0; j < target.cols(); ++j) {
      for (Eigen::Index i = 0; i < target.rows(); ++i) target(i, j) = standard_normal(engine);
    }
  }
}

}  // namespace probust
