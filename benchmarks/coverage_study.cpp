/// \file coverage_study.cpp
/// Coverage of the MVN engine's reported error: on random problems with exact references,
/// the fraction where |p − reference| ≤ error (mvn_result::error), per family and
/// tolerance. Nothing here calls probust to make a reference:
///   one_factor      R = λλᵀ + diag(1 − λ²), λ_i ∈ U[0.3, 0.9]; reference: the 1-D
///                   integral ∫ φ(s) Π Φ((b_i − λ_i s)/√(1 − λ_i²)) ds (tests/reference.hpp).
///   one_factor_ill  λ_i = ±U[0.95, 0.999] (random signs: negative correlations too); R's
///                   smallest eigenvalues ≈ 1 − λ² down to 0.002; same reference.
///   two_factor_ill  R = ΛΛᵀ + diag(1 − ‖Λ_i‖²), rows Λ_i of norm U[0.9, 0.995] at a random
///                   angle; reference: the 2-D integral
///                   ∫∫ φ(s)φ(t) Π Φ((b_i − Λ_i1 s − Λ_i2 t)/√(1 − ‖Λ_i‖²)) dt ds by nested
///                   adaptive Gauss–Kronrod (two_factor_cdf below).
///   rank2           P(G z ≤ b), z ~ N(0, I₂), G = k × 2 with rows a + c_i (rank 2, called
///                   with the factor); reference: polygon_probability (tests/reference.hpp)
///                   on the polygon's edges (cases.hpp's polygon_truth).
///   near_one        one_factor (λ ∈ U[0.3, 0.9]) and two_factor_ill problems with limits
///                   shifted up so that 1 − p ≈ 10^U[−3, −1] (the QMC path near 1 and the
///                   1 − p paths).
/// k is drawn from {4, 5, 9, 19} (rank2 and one_factor: also 49), limits b_i ∈ U[−0.5, 2.5]
/// (+0.3·log(k/4), so p stays moderate). std::mt19937_64 with fixed seeds.
///
///   coverage_study [--problems N] [--tols 1e-3,1e-4] [--out FILE.tsv]
/// prints a markdown table (family × tol: problems, coverage, median and max of
/// |p − ref| / error, median points) and, with --out, one line per (problem, tol).

#include <Eigen/Dense>
#include <algorithm>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <probust/mvn/cdf.hpp>

#include "cases.hpp"
#include "reference.hpp"

namespace {

struct problem {
  std::string family;
  Eigen::MatrixXd covariance;  ///< or empty when factor is set
  Eigen::MatrixXd factor;      ///< rank2: P(factor z ≤ b)
  Eigen::VectorXd b;
  double reference = 0.0;
};

/// P(X ≤ b) for X_i = Λ_i1 S + Λ_i2 T + √(1 − ‖Λ_i‖²) Z_i: nested adaptive Gauss–Kronrod
/// (31 points, relative tolerance `tol`) on [−9, 9]² (the normal mass outside is < 1e-18).
double two_factor_cdf(const Eigen::MatrixXd& loadings, const Eigen::VectorXd& b,
                      double tol = 1e-10) {
  using gk = boost::math::quadrature::gauss_kronrod<double, 31>;
  const Eigen::VectorXd d = (1.0 - loadings.rowwise().squaredNorm().array()).sqrt();
  const auto phi = [](double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI); };
  const auto inner = [&](double s) {
    const auto f = [&](double t) {
      double v = phi(t);
      for (Eigen::Index i = 0; i < b.size() && v > 0.0; ++i) {
        v *= probust_test::phi_cdf((b(i) - loadings(i, 0) * s - loadings(i, 1) * t) / d(i));
      }
      return v;
    };
    double err = 0.0;
    return phi(s) * gk::integrate(f, -9.0, 9.0, 15, tol, &err);
  };
  double err = 0.0;
  return gk::integrate(inner, -9.0, 9.0, 15, tol, &err);
}

Eigen::MatrixXd one_factor_covariance(const Eigen::VectorXd& l) {
  return probust_test::one_factor{l}.correlation();
}

Eigen::MatrixXd two_factor_covariance(const Eigen::MatrixXd& l) {
  Eigen::MatrixXd r = l * l.transpose();
  r.diagonal().setOnes();
  return r;
}

/// Limits shifted up by a common amount chosen by bisection so that 1 − p ≈ `target`
/// (∈ [1e-3, 1e-1]) on the cheap reference `rough`; returns the shifted limits.
template <class Reference>
Eigen::VectorXd shift_near_one(const Eigen::VectorXd& b, const Reference& rough, double target) {
  double lo = -3.0, hi = 8.0;  // 1 − p decreases with the shift
  for (int it = 0; it < 14; ++it) {
    const double mid = 0.5 * (lo + hi);
    (1.0 - rough((b.array() + mid).matrix()) > target ? lo : hi) = mid;
  }
  return (b.array() + 0.5 * (lo + hi)).matrix();
}

std::vector<problem> make_problems(int count) {
  std::mt19937_64 rng(20261203);
  std::uniform_real_distribution<double> unif(0.0, 1.0);
  std::normal_distribution<double> normal;
  const std::vector<std::string> families = {"one_factor", "one_factor_ill", "two_factor_ill",
                                             "rank2", "near_one"};
  std::vector<problem> out;
  for (int n = 0; n < count; ++n) {
    problem pr;
    pr.family = families[static_cast<std::size_t>(n) % families.size()];
    const bool wide = pr.family == "one_factor" || pr.family == "rank2";
    const std::vector<int> ks = wide ? std::vector<int>{4, 5, 9, 19, 49}
                                     : std::vector<int>{4, 5, 9, 19};
    const int k = ks[static_cast<std::size_t>(unif(rng) * static_cast<double>(ks.size()))];
    pr.b.resize(k);
    for (int i = 0; i < k; ++i) pr.b(i) = -0.5 + 3.0 * unif(rng) + 0.3 * std::log(k / 4.0);
    const bool near_one = pr.family == "near_one";
    const double target = std::pow(10.0, -1.0 - 2.0 * unif(rng));  // near_one: 1 − p
    const bool two = pr.family == "two_factor_ill" || (near_one && unif(rng) < 0.5);
    if (pr.family == "rank2") {
      pr.factor.resize(k, 2);
      for (int i = 0; i < k; ++i) {
        pr.factor(i, 0) = std::sqrt(2.0) + normal(rng);
        pr.factor(i, 1) = normal(rng);
        pr.b(i) = pr.factor.row(i).norm() * (0.25 + 2.25 * unif(rng));
      }
      pr.reference = probust_bench::polygon_truth(pr.factor, pr.b);
    } else if (two) {
      Eigen::MatrixXd l(k, 2);
      for (int i = 0; i < k; ++i) {
        const double radius = 0.9 + 0.095 * unif(rng), angle = 2.0 * M_PI * unif(rng);
        l(i, 0) = radius * std::cos(angle);
        l(i, 1) = radius * std::sin(angle);
      }
      pr.covariance = two_factor_covariance(l);
      if (near_one) {
        const auto rough = [&](const Eigen::VectorXd& b) { return two_factor_cdf(l, b, 1e-6); };
        pr.b = shift_near_one(pr.b, rough, target);
      }
      pr.reference = two_factor_cdf(l, pr.b);
    } else {
      Eigen::VectorXd l(k);
      const bool ill = pr.family == "one_factor_ill";
      for (int i = 0; i < k; ++i) {
        const double sign = ill && unif(rng) < 0.5 ? -1.0 : 1.0;  // the sign is drawn first
        l(i) = ill ? sign * (0.95 + 0.049 * unif(rng)) : 0.3 + 0.6 * unif(rng);
      }
      pr.covariance = one_factor_covariance(l);
      const probust_test::one_factor model{l};
      const auto cdf = [&](const Eigen::VectorXd& b) { return model.cdf(b); };
      if (near_one) pr.b = shift_near_one(pr.b, cdf, target);
      pr.reference = model.cdf(pr.b);
    }
    out.push_back(pr);
  }
  return out;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct tally {
  int problems = 0, covered = 0, qmc = 0;
  std::vector<double> ratios, points;
};

}  // namespace

int main(int argc, char** argv) {
  int count = 1200;
  std::vector<double> tols = {1e-3, 1e-4};
  std::string out;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--problems" && i + 1 < argc) {
      count = std::atoi(argv[++i]);
    } else if (a == "--tols" && i + 1 < argc) {
      tols.clear();
      std::stringstream s(argv[++i]);
      for (std::string t; std::getline(s, t, ',');) tols.push_back(std::atof(t.c_str()));
    } else if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--problems N] [--tols 1e-3,1e-4] [--out FILE.tsv]\n",
                   argv[0]);
      return 2;
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<problem> problems = make_problems(count);
  const double ref_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::ofstream rows;
  if (!out.empty()) {
    rows.open(out);
    rows << "family\tk\ttol\treference\tp\terror\tabs_err\tpoints\tmethod_qmc\n";
  }
  std::map<std::pair<std::string, double>, tally> tallies;
  for (const double tol : tols) {
    probust::mvn_options opt;
    opt.abs_tol = tol;
    for (const problem& pr : problems) {
      const probust::mvn_result r =
          pr.factor.size() > 0 ? probust::mvn_cdf_from_factor(pr.b, pr.factor, opt)
                               : probust::mvn_cdf(pr.b, pr.covariance, opt);
      const double err = std::abs(r.probability - pr.reference);
      for (const std::string& fam : {pr.family, std::string("all")}) {
        tally& t = tallies[{fam, tol}];
        ++t.problems;
        t.covered += err <= r.error ? 1 : 0;
        t.qmc += r.method == probust::mvn_method::genz_qmc ? 1 : 0;
        t.ratios.push_back(r.error > 0.0 ? err / r.error : (err > 0.0 ? INFINITY : 0.0));
        t.points.push_back(static_cast<double>(r.points));
      }
      if (rows) {
        rows << pr.family << '\t' << pr.b.size() << '\t' << tol << '\t' << pr.reference << '\t'
             << r.probability << '\t' << r.error << '\t' << err << '\t' << r.points << '\t'
             << (r.method == probust::mvn_method::genz_qmc ? 1 : 0) << '\n';
      }
    }
  }
  std::printf("%zu problems (references in %.1f s)\n\n", problems.size(), ref_seconds);
  std::printf("| family | abs_tol | problems | QMC | covered | coverage | median |p − ref| / "
              "error | max | median points |\n|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& [key, t] : tallies) {
    const double max_ratio = *std::max_element(t.ratios.begin(), t.ratios.end());
    std::printf("| %s | %g | %d | %d | %d | %.1f%% | %.2f | %.2f | %.0f |\n",
                key.first.c_str(), key.second, t.problems, t.qmc, t.covered,
                100.0 * t.covered / t.problems, median(t.ratios), max_ratio, median(t.points));
  }
  return 0;
}
