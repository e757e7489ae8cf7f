// detail::countr_zero and its portable fallback against a bit-by-bit loop (and against
// std::countr_zero when the standard library has it), on every single-bit word and on
// pseudo-random 32- and 64-bit words.
#include <cstdint>
#include <random>

#include "catch_shim.hpp"
#include "probust/detail/bits.hpp"  // <version>, and <bit> under __cpp_lib_bitops

namespace {

// Trailing zeros by shifting one bit at a time (x ≠ 0).
int trailing_zeros_by_loop(std::uint64_t x) {
  int n = 0;
  while ((x & 1u) == 0u) {
    x >>= 1;
    ++n;
  }
  return n;
}

void check_word(std::uint64_t x) {
  INFO("x = " << x);
  const int expected = trailing_zeros_by_loop(x);
  CHECK(probust::detail::countr_zero_fallback(x) == expected);
  CHECK(probust::detail::countr_zero(x) == expected);
#if defined(__cpp_lib_bitops)
  CHECK(std::countr_zero(x) == expected);
#endif
  if (x <= 0xffffffffu) {
    CHECK(probust::detail::countr_zero(static_cast<std::uint32_t>(x)) == expected);
  }
}

}  // namespace

TEST_CASE("countr_zero and its fallback count trailing zeros of every single-bit word") {
  for (int bit = 0; bit < 64; ++bit) {
    const std::uint64_t one = std::uint64_t{1} << bit;
    check_word(one);
    check_word(one | (std::uint64_t{1} << 63));  // a high bit must not matter
  }
}

TEST_CASE("countr_zero and its fallback count trailing zeros of random 32- and 64-bit words") {
  std::mt19937_64 engine(20240611);
  for (int i = 0; i < 2000; ++i) {
    const std::uint64_t word = engine();
    const int shift = static_cast<int>(engine() % 64);  // vary the number of zeros
    const std::uint64_t x64 = (word | 1u) << shift;
    check_word(x64);
    const std::uint64_t x32 = (x64 & 0xffffffffu) != 0u ? (x64 & 0xffffffffu) : 0x80000000u;
    check_word(x32);
  }
}
