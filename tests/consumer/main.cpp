// Downstream smoke test: the umbrella header compiles and links through probust::probust.
#include <probust/probust.hpp>

#include <cmath>
#include <cstdio>

int main() {
  const double p = probust::normal_cdf(1.0);
  std::printf("probust %d: normal_cdf(1.0) = %.12f\n", PROBUST_VERSION, p);
  if (!(std::fabs(p - 0.841344746068543) < 1e-9)) {
    std::fprintf(stderr, "unexpected value of normal_cdf(1.0)\n");
    return 1;
  }
  return 0;
}
