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
/// calls, repeated until they take 1 s together (millisecond calls vary by 2× from one call
/// to the next); 1 call when it takes over 2 s.
///
///   small_p_cases [--out DIR] [--rel-tol X] [--filter NAME]
/// --rel-tol sets mvn_options::small_p_rel_tol (default 1e-3; k = 999 cases use 1e-2).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iomanip>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "probust/mvn/cdf.hpp"
#include "case_files.hpp"
#include "reference.hpp"

namespace {

struct small_p_case {
  std::string name;
  Eigen::MatrixXd correlation;
  Eigen::VectorXd upper;
  double log_truth;
};

// Equicorrelated ρ: the common limit c with p ≈ 10^log10_p, by bisection on a coarse
// version of the 1-D integral (log-sum-exp on a grid of step 0.01: all limits are equal, so
// the integrand is φ(s) Φ((c − √ρ s)/√(1 − ρ))^k); the reference is then the adaptive one.
small_p_case equicorrelated(int k, double rho, double log10_p) {
  const auto coarse_log_cdf = [&](double c) {
    double top = -std::numeric_limits<double>::infinity(), sum = 0.0;
    for (double s = -40.0; s <= 40.0; s += 0.01) {
      const double v = -0.5 * s * s +
                       k * probust_test::log_phi_cdf((c - std::sqrt(rho) * s) / std::sqrt(1 - rho));
      if (v > top) {
        sum = sum * std::exp(top - v) + 1.0;
        top = v;
      } else {
        sum += std::exp(v - top);
      }
    }
    return top + std::log(sum * 0.01 / std::sqrt(2.0 * M_PI));
  };
  const double log_p = log10_p * std::log(10.0);
  double lo = -40.0, hi = 5.0;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    (coarse_log_cdf(mid) < log_p ? lo : hi) = mid;
  }
  const probust_test::one_factor model{Eigen::VectorXd::Constant(k, std::sqrt(rho))};
  const Eigen::VectorXd b = Eigen::VectorXd::Constant(k, 0.5 * (lo + hi));
  return {"", model.correlation(), b, model.log_cdf(b)};
}

small_p_case ar1(int k, double rho, double b) {
  Eigen::MatrixXd r(k, k);
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < k; ++j) r(i, j) = std::pow(rho, std::abs(i - j));
  }
  return {"", r, Eigen::VectorXd::Constant(k, b), probust_test::ar1_log_cdf(k, rho, b)};
}

// The cases by name, each built (reference included) only when it is run.
std::vector<std::pair<std::string, std::function<small_p_case()>>> all_cases() {
  std::vector<std::pair<std::string, std::function<small_p_case()>>> cases;
  const auto eq = [&](int k, double log10_p) {
    cases.emplace_back("eq" + std::to_string(k) + "_1e" + std::to_string(int(log10_p)),
                       [=] { return equicorrelated(k, 0.5, log10_p); });
  };
  const auto ar = [&](int k, double b) {
    cases.emplace_back("ar1_k" + std::to_string(k), [=] { return ar1(k, 0.7, b); });
  };
  for (int k : {9, 19, 99, 199}) eq(k, -8.0);
  for (double log10_p : {-20.0, -100.0, -300.0}) eq(19, log10_p);
  eq(99, -100.0);
  ar(100, 0.5);  // R mvtnorm's regression case
  eq(999, -8.0);
  ar(999, 2.0);
  return cases;
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
  for (const auto& [name, make] : all_cases()) {
    if (!filter.empty() && name != filter) continue;
    small_p_case c = make();
    c.name = name;
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
    double total = 0.0;
    while (times.size() < 3 || total < 1.0) {
      const auto start = std::chrono::steady_clock::now();
      r = probust::mvn_cdf(c.upper, c.correlation, opt);
      times.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      total += times.back();
      if (times.front() > 2.0) break;
    }
    std::sort(times.begin(), times.end());
    const double median = times[times.size() / 2];
    char line[512];
    std::snprintf(line, sizeof line, "%s\t%.3g\t%.6g\t%zu\t%.17g\t%.3e\t%.3e\t%llu\t%d\t%s\n",
                  c.name.c_str(), opt.small_p_rel_tol, median, times.size(), r.log_probability,
                  std::abs(std::expm1(r.log_probability - c.log_truth)),
                  r.log_probability_error, static_cast<unsigned long long>(r.points),
                  r.converged ? 1 : 0, probust_bench::method_name(r.method));
    std::fputs(line, stdout);
    std::fflush(stdout);
    if (timings.is_open()) timings << line;
  }
  return 0;
}
