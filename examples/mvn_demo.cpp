// mvn_demo — the probability that a Gaussian vector satisfies k linear constraints.
//
// Every robustness estimate in probust ends in one number: p = P(X ≤ b) for a
// multivariate normal X ~ N(0, Σ) (the MVN CDF), or more generally P(Aε ≤ b). For a
// classifier with K classes, k = K − 1 constraints say "the predicted class still beats
// class i". This demo evaluates a few such problems and prints, for each, p, the
// error estimate, 1 − p (accurate on its own even when p is within 1e-12 of 1) and
// log p (meaningful when p underflows), with the method the engine chose:
//   k ≤ 3   closed forms (Φ via erfc, Genz's bivariate and trivariate algorithms);
//   k ≥ 4   Genz's separation of variables on randomized Sobol' points, which stops when
//           the error estimate (3 standard errors over 8 independent randomizations)
//           reaches opt.abs_tol;
//   p ≈ 1   1 − p by importance sampling of the union of the rare violations.
#include <Eigen/Dense>
#include <chrono>
#include <cstdio>
#include <probust/probust.hpp>

namespace {

const char* method_name(probust::mvn_method m) {
  switch (m) {
    case probust::mvn_method::trivial: return "trivial";
    case probust::mvn_method::univariate: return "erfc";
    case probust::mvn_method::bivariate: return "Genz BVN";
    case probust::mvn_method::trivariate: return "Genz TVN";
    case probust::mvn_method::genz_qmc: return "Genz SOV + Sobol'";
    case probust::mvn_method::minimax_tilting: return "SOV + minimax tilting";
    case probust::mvn_method::bound: return "bound";
    case probust::mvn_method::rare_event: return "rare-event IS";
  }
  return "?";
}

// A correlation matrix shaped like the robustness problem: every margin g_i = f_t − f_i
// shares the predicted class's logit, so the constraints share one common factor
// (correlation λ_i λ_j, here about 0.5).
Eigen::MatrixXd common_factor_correlation(int k) {
  Eigen::VectorXd loading(k);
  for (int i = 0; i < k; ++i) loading(i) = 0.6 + 0.2 * static_cast<double>(i % 5) / 4.0;
  Eigen::MatrixXd r = loading * loading.transpose();
  r.diagonal().setOnes();
  return r;
}

void show(const char* name, const probust::mvn_result& r, double ms) {
  std::printf("%-34s p = %-12.8g ± %-8.1e 1-p = %-11.4e log p = %-10.4g %-18s %7.2f ms\n", name,
              r.probability, r.error, r.complement, r.log_probability, method_name(r.method), ms);
}

template <class F>
void timed(const char* name, F&& f) {
  const auto start = std::chrono::steady_clock::now();
  const probust::mvn_result r = f();
  const auto stop = std::chrono::steady_clock::now();
  show(name, r, std::chrono::duration<double, std::milli>(stop - start).count());
}

}  // namespace

int main() {
  std::printf("probust %d.%d.%d — multivariate normal probabilities\n\n", PROBUST_VERSION_MAJOR,
              PROBUST_VERSION_MINOR, PROBUST_VERSION_PATCH);

  // k = 2: an orthant probability with a closed form, 1/4 + asin(ρ)/2π.
  Eigen::Matrix2d s2;
  s2 << 1.0, 0.5, 0.5, 1.0;
  timed("k=2 orthant, rho=0.5 (exact 1/3)", [&] { return probust::mvn_cdf(Eigen::Vector2d::Zero(), s2); });

  // k = 9 (a 10-class model) and k = 99 (100 classes), equicorrelation 1/2 at 0: 1/(k+1).
  for (int k : {9, 99}) {
    Eigen::MatrixXd r = Eigen::MatrixXd::Constant(k, k, 0.5);
    r.diagonal().setOnes();
    probust::mvn_options opt;
    opt.abs_tol = k < 50 ? 1e-4 : 1e-3;
    char name[64];
    std::snprintf(name, sizeof name, "k=%d equicorrelated (exact %.4g)", k, 1.0 / (k + 1));
    timed(name, [&] { return probust::mvn_cdf(Eigen::VectorXd::Zero(k), r, opt); });
  }

  // A robustness-shaped problem: common factor, margins of different sizes.
  const int k = 9;
  const Eigen::MatrixXd r = common_factor_correlation(k);
  Eigen::VectorXd margins(k);
  margins << 0.3, 0.8, 1.1, 1.5, 1.9, 2.2, 2.6, 3.0, 3.5;
  timed("k=9 common factor, mixed margins", [&] { return probust::mvn_cdf(margins, r); });

  // A very robust point: every margin is 7 standard deviations; 1 − p ≈ 1e-11 is still
  // resolved to about 1% (p itself prints as 1).
  timed("k=9 common factor, margins 7 sd", [&] {
    return probust::mvn_cdf(Eigen::VectorXd::Constant(k, 7.0), r);
  });

  // A hopeless point: log p is still meaningful when p is tiny.
  timed("k=9 common factor, margins -6 sd", [&] {
    return probust::mvn_cdf(Eigen::VectorXd::Constant(k, -6.0), r);
  });

  // Fewer noise dimensions than constraints: P(G z ≤ b) with G 30 × 2 is a 2-D problem,
  // computed exactly from the factor (a singular 30 × 30 covariance, no jitter).
  Eigen::MatrixXd g(30, 2);
  for (int i = 0; i < 30; ++i) {
    g(i, 0) = std::cos(0.21 * i);
    g(i, 1) = std::sin(0.21 * i);
  }
  timed("k=30, rank 2 (P(G z <= 2))", [&] {
    return probust::mvn_cdf_from_factor(Eigen::VectorXd::Constant(30, 2.0), g);
  });
  return 0;
}
