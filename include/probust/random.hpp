#pragma once
/// \file random.hpp
/// Explicit, reproducible randomness that does not depend on the standard library:
/// SplitMix64 (seeding and hashing), xoshiro256** (the engine), independent streams per
/// (seed, id), open-interval uniforms and standard normals generated in-house.
///
/// Seeding convention. Every randomized routine of probust takes a seed whose default is
/// probust::default_seed (config.hpp). Work item `id` (a data point, a batch, a
/// randomization) draws from `stream(seed, id)`, never from a shared engine, so the
/// numbers it sees — and hence the result — do not depend on thread count or sharding.

#include <array>
#include <cstdint>
#include <limits>

#include <Eigen/Core>

#include "probust/config.hpp"
#include "probust/mvn/univariate.hpp"

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

}  // namespace detail

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
    return detail::mix64(state_);
  }

 private:
  std::uint64_t state_;
};

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
    splitmix64 seeder(seed);
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

/// The engine of work item `id` under `seed`: random_engine(mix64(mix64(seed) ⊕ id)).
/// For a fixed seed distinct ids give distinct engine seeds (the map is a bijection), and
/// the double hashing decorrelates neighbouring ids and seeds — the usual way of deriving
/// independent streams from (seed, counter) pairs.
inline random_engine stream(std::uint64_t seed, std::uint64_t id) noexcept {
  return random_engine(detail::mix64(detail::mix64(seed) ^ id));
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

/// A standard normal variate by inversion, Φ⁻¹(u) with u = uniform_open01(engine)
/// (AS 241, see normal_quantile): one engine call per variate, identical bits on every
/// platform, |z| ≤ 8.3.
template <class Engine>
double standard_normal(Engine& engine) {
  return normal_quantile(uniform_open01(engine));
}

/// Fills a dense Eigen expression with independent standard normals in column-major
/// order (out(0,0), out(1,0), …, out(0,1), …). Accepts matrices, vectors and writable
/// blocks, including temporaries such as `m.col(j)`.
template <class Engine, class Derived>
void fill_standard_normal(Engine& engine, const Eigen::DenseBase<Derived>& out) {
  // Eigen's documented idiom for writing into an expression passed as a temporary.
  auto& target = const_cast<Eigen::DenseBase<Derived>&>(out);
  for (Eigen::Index j = 0; j < target.cols(); ++j) {
    for (Eigen::Index i = 0; i < target.rows(); ++i) target(i, j) = standard_normal(engine);
  }
}

}  // namespace probust
