#pragma once
/// \file reference.hpp
/// Independent reference values for the MVN tests and benchmarks. Nothing here calls the
/// probust MVN engine: these are 1-D and 2-D quadratures of closed-form integrands.

#include <Eigen/Dense>
#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/quadrature/gauss.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <cmath>
#include <limits>
#include <vector>

namespace probust_test {

inline double phi_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

/// log Φ(x) via Boost.Math (its complement keeps precision in the far tail).
inline double log_phi_cdf(double x) {
  if (x > -30.0) return std::log(phi_cdf(x));
  // Φ(x) = φ(x)/(-x) · (1 − 1/x² + 3/x⁴ − 15/x⁶ + 105/x⁸), relative error < 1e-9 for x < −30.
  const double t = 1.0 / (x * x);
  return -0.5 * x * x - 0.5 * std::log(2.0 * M_PI) - std::log(-x) +
         std::log1p(t * (-1.0 + t * (3.0 + t * (-15.0 + t * 105.0))));
}

/// One-factor model X_i = λ_i S + √(1 − λ_i²) Z_i (S, Z_i iid N(0,1)), covariance
/// R_ij = λ_i λ_j (i ≠ j), R_ii = 1. Its CDF is the 1-D integral
///   P(X ≤ b) = ∫ φ(s) Π_i Φ((b_i − λ_i s)/√(1 − λ_i²)) ds,
/// evaluated here in log space (adaptive Gauss–Kronrod around the integrand's peak).
struct one_factor {
  Eigen::VectorXd loadings;

  Eigen::MatrixXd correlation() const {
    Eigen::MatrixXd r = loadings * loadings.transpose();
    r.diagonal().setOnes();
    return r;
  }

  double log_integrand(const Eigen::VectorXd& b, double s) const {
    double v = -0.5 * s * s - 0.5 * std::log(2.0 * M_PI);
    for (Eigen::Index i = 0; i < b.size(); ++i) {
      const double l = loadings(i);
      v += log_phi_cdf((b(i) - l * s) / std::sqrt(1.0 - l * l));
    }
    return v;
  }

  /// log P(X ≤ b).
  double log_cdf(const Eigen::VectorXd& b) const {
    double peak = -std::numeric_limits<double>::infinity(), at = 0.0;
    for (double s = -40.0; s <= 40.0; s += 0.05) {
      const double v = log_integrand(b, s);
      if (v > peak) {
        peak = v;
        at = s;
      }
    }
    auto f = [&](double s) { return std::exp(log_integrand(b, s) - peak); };
    double err = 0.0;
    const double left = boost::math::quadrature::gauss_kronrod<double, 61>::integrate(
        f, -std::numeric_limits<double>::infinity(), at, 12, 1e-13, &err);
    const double right = boost::math::quadrature::gauss_kronrod<double, 61>::integrate(
        f, at, std::numeric_limits<double>::infinity(), 12, 1e-13, &err);
    return peak + std::log(left + right);
  }

  double cdf(const Eigen::VectorXd& b) const { return std::exp(log_cdf(b)); }

  /// 1 − P(X ≤ b) = ∫ φ(s) [1 − Π_i Φ(·)] ds with the bracket as −expm1(Σ log Φ(·)), so it
  /// keeps relative precision when the result is tiny.
  double complement(const Eigen::VectorXd& b) const {
    auto f = [&](double s) {
      double sum = 0.0;
      for (Eigen::Index i = 0; i < b.size(); ++i) {
        const double l = loadings(i);
        const double x = (b(i) - l * s) / std::sqrt(1.0 - l * l);
        sum += x > 0 ? std::log1p(-phi_cdf(-x)) : log_phi_cdf(x);
      }
      return std::exp(-0.5 * s * s) / std::sqrt(2.0 * M_PI) * -std::expm1(sum);
    };
    double err = 0.0;
    // The integrand is concentrated where λ s is large; split at 0 to help the adaptivity.
    return boost::math::quadrature::gauss_kronrod<double, 61>::integrate(
               f, -std::numeric_limits<double>::infinity(), 0.0, 12, 1e-13, &err) +
           boost::math::quadrature::gauss_kronrod<double, 61>::integrate(
               f, 0.0, std::numeric_limits<double>::infinity(), 12, 1e-13, &err);
  }
};

/// P(G z ≤ b) for z ~ N(0, I_2), G k × 2, b > 0 (the origin is inside the polygon), by
/// integrating the radial χ₂ law over angle: P = (1/2π) ∫_0^{2π} (1 − exp(−ρ(θ)²/2)) dθ
/// with ρ(θ) = min_{i: g_i·u(θ) > 0} b_i / (g_i·u(θ)). The integrand is smooth between the
/// angles where the active constraint changes, so each of those pieces is integrated by
/// adaptive Gauss–Kronrod separately.
inline double polygon_probability(const Eigen::MatrixXd& g, const Eigen::VectorXd& b) {
  auto radial = [&](double theta) {
    const double ux = std::cos(theta), uy = std::sin(theta);
    double rho = std::numeric_limits<double>::infinity();
    for (Eigen::Index i = 0; i < g.rows(); ++i) {
      const double proj = g(i, 0) * ux + g(i, 1) * uy;
      if (proj > 0) rho = std::min(rho, b(i) / proj);
    }
    return std::isinf(rho) ? 1.0 : -std::expm1(-0.5 * rho * rho);
  };
  // Breakpoints: angles where two constraints' radial limits coincide or a projection
  // changes sign. Collect all candidates; extra breakpoints do no harm.
  std::vector<double> cuts{0.0, 2.0 * M_PI};
  const Eigen::Index k = g.rows();
  for (Eigen::Index i = 0; i < k; ++i) {
    const double base = std::atan2(g(i, 1), g(i, 0));
    for (double t : {base + M_PI / 2, base - M_PI / 2})
      cuts.push_back(std::fmod(t + 4 * M_PI, 2 * M_PI));
    for (Eigen::Index j = i + 1; j < k; ++j) {
      // b_j g_i·u = b_i g_j·u  ⇔  (b_j g_i − b_i g_j)·u = 0.
      const double cx = b(j) * g(i, 0) - b(i) * g(j, 0), cy = b(j) * g(i, 1) - b(i) * g(j, 1);
      const double base2 = std::atan2(cy, cx);
      for (double t : {base2 + M_PI / 2, base2 - M_PI / 2})
        cuts.push_back(std::fmod(t + 4 * M_PI, 2 * M_PI));
    }
  }
  std::sort(cuts.begin(), cuts.end());
  double total = 0.0;
  for (std::size_t c = 0; c + 1 < cuts.size(); ++c) {
    if (cuts[c + 1] - cuts[c] < 1e-15) continue;
    double err = 0.0;
    total += boost::math::quadrature::gauss_kronrod<double, 31>::integrate(
        radial, cuts[c], cuts[c + 1], 10, 1e-14, &err);
  }
  return total / (2.0 * M_PI);
}

/// log P(X_i ≤ b, i = 1..k) for the stationary Gaussian AR(1) chain with unit variance and
/// lag-one correlation ρ (R_ij = ρ^|i−j|), by its Markov recursion
///   g_1 = φ,  g_{i+1}(y) = ∫_{−∞}^b g_i(x) φ((y − ρx)/s)/s dx  (s = √(1 − ρ²)),  P = ∫_{−∞}^b g_k,
/// discretized (Nyström) with 20-point Gauss–Legendre panels of width s/2 on
/// [min(b, 0) − 12, b]; g is renormalized at each step and its log scale accumulated.
inline double ar1_log_cdf(int k, double rho, double b) {
  using rule = boost::math::quadrature::gauss<double, 20>;
  const double s = std::sqrt(1.0 - rho * rho);
  const double lo = std::min(b, 0.0) - 12.0;
  const int panels = static_cast<int>(std::ceil((b - lo) / (0.5 * s)));
  const double width = (b - lo) / panels;
  std::vector<double> node, weight;
  for (int q = 0; q < panels; ++q) {
    const double mid = lo + (q + 0.5) * width;
    for (std::size_t i = 0; i < rule::abscissa().size(); ++i) {
      const double x = rule::abscissa()[i], w = rule::weights()[i];
      for (double sign : {-1.0, 1.0}) {
        if (x == 0.0 && sign < 0) continue;
        node.push_back(mid + sign * x * 0.5 * width);
        weight.push_back(w * 0.5 * width);
      }
    }
  }
  const auto n = static_cast<Eigen::Index>(node.size());
  Eigen::MatrixXd kernel(n, n);  // kernel(y, x) = φ((y − ρx)/s)/s · weight(x)
  Eigen::VectorXd g(n);
  for (Eigen::Index y = 0; y < n; ++y) {
    const double ny = node[static_cast<std::size_t>(y)];
    g(y) = std::exp(-0.5 * ny * ny) / std::sqrt(2.0 * M_PI);
    for (Eigen::Index x = 0; x < n; ++x) {
      const double z = (ny - rho * node[static_cast<std::size_t>(x)]) / s;
      kernel(y, x) = std::exp(-0.5 * z * z) / (s * std::sqrt(2.0 * M_PI)) *
                     weight[static_cast<std::size_t>(x)];
    }
  }
  double log_scale = 0.0;
  for (int i = 1; i < k; ++i) {
    g = (kernel * g).eval();
    const double top = g.maxCoeff();
    g /= top;
    log_scale += std::log(top);
  }
  const Eigen::Map<const Eigen::VectorXd> w(weight.data(), n);
  return log_scale + std::log(w.dot(g));
}

}  // namespace probust_test
