/// \file mvn_cases.cpp
/// Times probust on the benchmark cases of cases.hpp and (with --out DIR) writes the cases
/// for the anchors run by compare_anchors.py:
///   DIR/cases.tsv       name kind k tol truth   (truth = p, or 1 − p for kind near_one)
///   DIR/NAME.R.txt      k × k correlation matrix (singular for low_rank), %.17g
///   DIR/NAME.b.txt      k standardized upper limits
///   DIR/probust.tsv     name time_s runs value abs_err reported_err points converged
///                       method dimension
/// time_s is the median wall time of ≥ 5 calls in this process (more for fast cases, until
/// --min-time seconds have been spent); value is p (1 − p for near_one); abs_err is
/// |value − truth| (relative, |value − truth| / truth, for near_one).
///
///   mvn_cases [--out DIR] [--min-time SECONDS] [--filter SUBSTRING]

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <string>
#include <vector>

#include "case_files.hpp"
#include "cases.hpp"
#include "probust/mvn/cdf.hpp"

namespace {

using probust_bench::case_kind;
using probust_bench::mvn_case;

const char* kind_name(case_kind k) {
  switch (k) {
    case case_kind::one_factor: return "one_factor";
    case case_kind::low_rank: return "low_rank";
    default: return "near_one";
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string out, filter;
  double min_time = 1.0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (a == "--min-time" && i + 1 < argc) {
      min_time = std::atof(argv[++i]);
    } else if (a == "--filter" && i + 1 < argc) {
      filter = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--out DIR] [--min-time SECONDS] [--filter SUBSTRING]\n",
                   argv[0]);
      return 2;
    }
  }

  std::vector<mvn_case> cases = probust_bench::all_cases();
  std::ofstream manifest, timings;
  if (!out.empty()) {
    manifest.open(out + "/cases.tsv");
    timings.open(out + "/probust.tsv");
    if (!manifest || !timings) {
      std::fprintf(stderr, "mvn_cases: cannot write into %s\n", out.c_str());
      return 2;
    }
    manifest << std::setprecision(17) << "name\tkind\tk\ttol\ttruth\n";
    timings << std::setprecision(6)
            << "name\ttime_s\truns\tvalue\tabs_err\treported_err\tpoints\tconverged\tmethod"
               "\tdimension\n";
  }
  std::printf("%-18s %5s %7s %12s %11s %10s %10s %9s %4s %5s %s\n", "case", "k", "tol",
              "median_ms", "value", "abs_err", "reported", "points", "conv", "runs", "method");
  for (const mvn_case& c : cases) {
    if (!filter.empty() && c.name.find(filter) == std::string::npos) continue;
    const bool near_one = c.kind == case_kind::near_one;
    if (!out.empty()) {
      manifest << c.name << '\t' << kind_name(c.kind) << '\t' << c.k << '\t' << c.tol << '\t'
               << c.truth << '\n';
      probust_bench::write_matrix(out + "/" + c.name + ".R.txt", c.correlation());
      probust_bench::write_matrix(out + "/" + c.name + ".b.txt", c.standardized_upper());
    }

    probust::mvn_options opt;
    opt.abs_tol = c.tol;
    const Eigen::MatrixXd cov = c.kind == case_kind::low_rank ? Eigen::MatrixXd() : c.covariance();
    const auto call = [&] {
      return c.kind == case_kind::low_rank ? probust::mvn_cdf_from_factor(c.b, c.factor, opt)
                                           : probust::mvn_cdf(c.b, cov, opt);
    };
    // Results are bit-reproducible (fixed seed), so every call returns this one.
    std::vector<double> times;
    probust::mvn_result r;
    double spent = 0.0;
    while (times.size() < 5 || (spent < min_time && times.size() < 1000)) {
      const auto t0 = std::chrono::steady_clock::now();
      r = call();
      const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      times.push_back(t);
      spent += t;
    }
    std::sort(times.begin(), times.end());
    const std::size_t n = times.size();
    const double median = n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
    const double value = near_one ? r.complement : r.probability;
    const double err = near_one ? std::abs(value - c.truth) / c.truth : std::abs(value - c.truth);
    const double reported = near_one ? (value > 0 ? r.complement_error / value : INFINITY)
                                     : r.error;
    std::printf("%-18s %5d %7.0e %12.4f %11.5g %10.2e %10.2e %9llu %4d %5zu %s\n",
                c.name.c_str(), c.k, c.tol, 1e3 * median, value, err, reported,
                static_cast<unsigned long long>(r.points), r.converged ? 1 : 0, n,
                probust_bench::method_name(r.method));
    std::fflush(stdout);
    if (!out.empty()) {
      timings << c.name << '\t' << median << '\t' << n << '\t' << std::setprecision(17) << value
              << std::setprecision(6) << '\t' << err << '\t' << reported << '\t' << r.points
              << '\t' << (r.converged ? 1 : 0) << '\t' << probust_bench::method_name(r.method) << '\t'
              << r.dimension << '\n';
      timings.flush();
    }
  }
  return 0;
}
