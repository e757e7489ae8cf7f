// robustness_check — a program of your own that uses probust (built by CMakeLists.txt
// next to it; see there for find_package and add_subdirectory).
//
// It asks how robust a linear two-class classifier f(x) = Wx + b is at x under noise
// ε ~ N(0, σ²I). For two classes the answer has a closed form,
//     p = Φ( (f_0(x) − f_1(x)) / (σ ‖w_0 − w_1‖) ),
// which the Taylor estimator must reproduce (it is exact for linear models) and which must
// lie in the Monte-Carlo 95% interval. Exit status 1 if either fails.
#include <cmath>
#include <cstdio>
#include <probust/probust.hpp>

int main() {
  Eigen::MatrixXd W(2, 3);
  W << 1.0, 0.5, -0.2,  // class 0
      -0.3, 0.4, 0.6;   // class 1
  Eigen::VectorXd b(2);
  b << 0.1, -0.1;
  const probust::affine_model<> model(W, b);
  Eigen::VectorXd x(3);
  x << 0.5, 0.2, 0.1;
  const double sigma = 0.3;
  const probust::isotropic_gaussian<> noise{sigma};

  const probust::robustness_result taylor = probust::taylor_estimator<>{}.estimate(model, x, noise);
  const probust::robustness_result mc =
      probust::monte_carlo_estimator<>{}.estimate(model, x, noise);

  const Eigen::VectorXd logits = model(x);  // class 0 is predicted
  const double exact =
      probust::normal_cdf((logits(0) - logits(1)) / (sigma * (W.row(0) - W.row(1)).norm()));

  std::printf("probust %d.%d.%d, linear 2-class model, sigma = %g\n", PROBUST_VERSION_MAJOR,
              PROBUST_VERSION_MINOR, PROBUST_VERSION_PATCH, sigma);
  std::printf("  closed form  p = %.12f\n", exact);
  std::printf("  Taylor       p = %.12f\n", taylor.probability);
  std::printf("  Monte Carlo  p = %.4f, 95%% interval [%.4f, %.4f] (%llu samples)\n",
              mc.probability, mc.lower, mc.upper, static_cast<unsigned long long>(mc.samples));

  const bool ok =
      std::fabs(taylor.probability - exact) < 1e-12 && mc.lower <= exact && exact <= mc.upper;
  std::printf("%s\n", ok ? "ok"
                         : "FAILED: Taylor differs from the closed form, or it lies "
                           "outside the Monte-Carlo interval");
  return ok ? 0 : 1;
}
