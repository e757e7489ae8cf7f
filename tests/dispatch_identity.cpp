// Prints normal_cdf_batch and normal_quantile_batch on a fixed grid of inputs, one value
// per line in hexadecimal floating point. tests/CMakeLists.txt builds it twice — with the
// AVX2/baseline clones of detail/target_clones.hpp and with PROBUST_NO_TARGET_CLONES — and
// the test `dispatch_identity` requires the two outputs to be identical: on an AVX2 machine
// that compares the AVX2 clone with the baseline code, bit for bit.
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "probust/mvn/univariate.hpp"

int main() {
  // x: a fine grid over [−40, 40] (both tails, the centre, the chunk seams), then the
  // special values; lengths that are not multiples of the 64-point chunk.
  std::vector<double> x;
  for (int i = -40000; i <= 40000; i += 7) x.push_back(i * 1e-3);
  x.push_back(-std::numeric_limits<double>::infinity());
  x.push_back(std::numeric_limits<double>::infinity());
  x.push_back(-0.0);
  x.push_back(std::numeric_limits<double>::denorm_min());
  // p: (0, 1) on a grid, plus the deep tails 10^-e and 1 − 10^-e, and the end points.
  std::vector<double> p;
  for (int i = 1; i < 20000; i += 3) p.push_back(i / 20000.0);
  for (int e = 1; e <= 300; ++e) p.push_back(std::pow(10.0, -e));
  for (int e = 1; e <= 16; ++e) p.push_back(1.0 - std::pow(10.0, -e));
  p.push_back(0.0);
  p.push_back(1.0);
  std::vector<double> cdf(x.size()), quantile(p.size());
  probust::detail::normal_cdf_batch(x.data(), cdf.data(), static_cast<int>(x.size()));
  probust::detail::normal_quantile_batch(p.data(), quantile.data(), static_cast<int>(p.size()));
  for (double v : cdf) std::printf("%a\n", v);
  for (double v : quantile) std::printf("%a\n", v);
#if defined(__GNUC__) && defined(__x86_64__)
  std::fprintf(stderr, "dispatch_identity: this CPU %s AVX2\n",
               __builtin_cpu_supports("avx2") ? "has" : "does not have");
#endif
  return 0;
}
