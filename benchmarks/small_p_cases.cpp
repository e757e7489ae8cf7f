/// \file small_p_cases.cpp
/// Small probabilities P(X ≤ b), X ~ N(0, R): times probust and (with --out DIR) writes the
/// cases for the anchors run by small_p_anchors.py:
///   DIR/cases.tsv     name k log_truth
///   DIR/NAME.R.txt    k × k correlation matrix, %.17g
///   DIR/NAME.b.txt    k upper limits
///   DIR/probust.tsv   name rel_tol time_s runs log_p rel_err reported_rel points converged
///                     method
/// The references do not come from probust: equicorrelated cases are the 1-D integral
/// ∫ φ(z) Π Φ((b_i − √ρ z)/√(1 − ρ)) dz, AR(1) cases the Markov recursion (both in
/// tests/reference.hpp). rel_err = |p̂/p − 1| = |expm1(log p̂ − log p)|, reported_rel the
/// reported error on log p (≈ relative error on p). time_s is the median wall time of ≥ 3
/// calls (1 when a call takes over 2 s).
///
///   small_p_cases [--out DIR] [--rel-tol X] [--filter NAME]
/// --rel-tol sets mvn_options::small_p_rel_tol (default 1e-3; k = 999 cases use 1e-2).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <string>
#include <vector>

#include "probust/mvn/cdf.hpp"
#include "reference.hpp"

namespace {

struct small_p_case {
  std::string name;
  Eigen::MatrixXd correlation;
  Eigen::VectorXd upper;
  double log_truth;
};

// Equicorrelated ρ: the common limit c with log p = log_p (bisection on the 1-D integral).
small_p_case equicorrelated(int k, double rho, double log10_p) {
  const probust_test::one_factor model{Eigen::VectorXd::Constant(k, std::sqrt(rho))};
  const double log_p = log10_p * std::log(10.0);
  double lo = -40.0, hi = 5.0;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    (model.log_cdf(Eigen::VectorXd::Constant(k, mid)) < log_p ? lo : hi) = mid;
  }
  const Eigen::VectorXd b = Eigen::VectorXd::Constant(k, 0.5 * (lo + hi));
  char name[64];
  std::snprintf(name, sizeof name, "eq%d_1e%d", k, static_cast<int>(log10_p));
  return {name, model.correlation(), b, model.log_cdf(b)};
}

small_p_case ar1(int k, double rho, double b) {
  Eigen::MatrixXd r(k, k);
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < k; ++j) r(i, j) = std::pow(rho, std::abs(i - j));
  }
  return {"ar1_k" + std::to_string(k), r, Eigen::VectorXd::Constant(k, b),
          probust_test::ar1_log_cdf(k, rho, b)};
}

std::vector<small_p_case> all_cases() {
  std::vector<small_p_case> cases;
  for (int k : {9, 19, 99, 199}) cases.push_back(equicorrelated(k, 0.5, -8.0));
  for (double log10_p : {-20.0, -100.0, -300.0}) cases.push_back(equicorrelated(19, 0.5, log10_p));
  cases.push_back(equicorrelated(99, 0.5, -100.0));
  cases.push_back(ar1(100, 0.7, 0.5));  // R mvtnorm's regression case
  cases.push_back(equicorrelated(999, 0.5, -8.0));
  cases.push_back(ar1(999, 0.7, 2.0));
  return cases;
}

const char* method_name(probust::mvn_method m) {
  return m == probust::mvn_method::minimax_tilting ? "minimax_tilting"
         : m == probust::mvn_method::genz_qmc      ? "genz_qmc"
                                                   : "other";
}

}  // namespace

int main(int argc, char** argv) {
  std::string out, filter;
  double rel_tol = 0.0;  // 0: the per-case default
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (a == "--rel-tol" && i + 1 < argc) {
      rel_tol = std::atof(argv[++i]);
    } else if (a == "--filter" && i + 1 < argc) {
      filter = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--out DIR] [--rel-tol X] [--filter NAME]\n", argv[0]);
      return 2;
    }
  }
  std::ofstream manifest, timings;
  if (!out.empty()) {
    manifest.open(out + "/cases.tsv");
    timings.open(out + "/probust.tsv");
    if (!manifest || !timings) {
      std::fprintf(stderr, "small_p_cases: cannot write into %s\n", out.c_str());
      return 2;
    }
    manifest << std::setprecision(17) << "name\tk\tlog_truth\n";
  }
  const char* header =
      "name\trel_tol\ttime_s\truns\tlog_p\trel_err\treported_rel\tpoints\tconverged\tmethod\n";
  std::fputs(header, stdout);
  if (timings.is_open()) timings << header;
  for (const small_p_case& c : all_cases()) {
    if (!filter.empty() && c.name != filter) continue;
    const auto k = c.upper.size();
    if (manifest.is_open()) {
      manifest << c.name << '\t' << k << '\t' << c.log_truth << '\n';
      std::ofstream r(out + "/" + c.name + ".R.txt"), b(out + "/" + c.name + ".b.txt");
      r << std::setprecision(17) << c.correlation << '\n';
      b << std::setprecision(17) << c.upper << '\n';
    }
    probust::mvn_options opt;
    opt.small_p_rel_tol = rel_tol > 0.0 ? rel_tol : (k >= 500 ? 1e-2 : 1e-3);
    std::vector<double> times;
    probust::mvn_result r;
    while (times.size() < 3) {
      const auto start = std::chrono::steady_clock::now();
      r = probust::mvn_cdf(c.upper, c.correlation, opt);
      times.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      if (times.front() > 2.0) break;
    }
    std::sort(times.begin(), times.end());
    const double median = times[times.size() / 2];
    char line[512];
    std::snprintf(line, sizeof line, "%s\t%.3g\t%.6g\t%zu\t%.17g\t%.3e\t%.3e\t%llu\t%d\t%s\n",
                  c.name.c_str(), opt.small_p_rel_tol, median, times.size(), r.log_probability,
                  std::abs(std::expm1(r.log_probability - c.log_truth)),
                  r.log_probability_error, static_cast<unsigned long long>(r.points),
                  r.converged ? 1 : 0, method_name(r.method));
    std::fputs(line, stdout);
    std::fflush(stdout);
    if (timings.is_open()) timings << line;
  }
  return 0;
}
