/// \file hard_cases.cpp
/// Ill-conditioned and rank-deficient MVN problems the engine was not tuned on, timed at one
/// tolerance; with --out DIR the problems are written for the anchors (hard_cases.py runs
/// R mvtnorm on the same files).
///
/// Families (all one-sided, P(X ≤ b), X ~ N(0, R) with R a correlation matrix):
///   hard_k9    benchmarks/data/hard_k9.txt: a 64-128-64-10 ReLU digits network at σ = 0.4
///              that the project did not train (R's eigenvalues 0.005 … 4.6).
///   taylor     the Taylor problems P(g + σGε > 0) = P(σGε ≤ g), ε ~ N(0, I₆₄), of the
///              held-out network (train_digits --held-out: 64-96-96-10 ReLU, 300 epochs, no
///              weight decay) on the first --points test images at σ ∈ {0.05, 0.1, 0.2, 0.4};
///              k = 9, called as the Taylor estimator calls the engine
///              (mvn_cdf_from_factor(g, σG)).
///   spread_kK  R = D^(-1/2) Q Λ Qᵀ D^(-1/2), Q a random orthogonal matrix, Λ log-spaced
///              from 1e-3 to 1 (then rescaled to unit diagonal by D = diag(QΛQᵀ)),
///              b_i ∈ U[0.5, 2.5] + 0.3·log(K/9) (p moderate); K = 9, 19, 99.
///   rank_kK_rR P(F z ≤ b), z ~ N(0, I_R), F = K × R with rows a + c_i (a common component
///              of norm √2 along the first axis, c_i ~ N(0, I_R), so rows correlate ≈ 0.5 as
///              margin gradients do), b_i = ‖F_i‖·U[0.25, 2] + 0.3·log(K/9)·‖F_i‖;
///              (K, R) = (9, 5), (19, 10), (99, 20); called with the factor.
/// Random numbers: std::mt19937_64 with fixed seeds, so every run sees the same problems.
///
/// Output (stdout, and DIR/probust.tsv): one line per problem with the median wall time of
/// ≥ 3 calls (more until --min-time seconds per problem), p, the reported error, points,
/// converged, and R's smallest and largest eigenvalue. DIR/NAME.R.txt and NAME.b.txt hold
/// R (singular for rank_*) and b as %.17g.
///
///   hard_cases --network MODEL [--out DIR] [--points N] [--tol T] [--min-time S]
///              [--filter SUBSTRING]

#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <probust/probust.hpp>

#include "../examples/digits_data.hpp"
#include "case_files.hpp"

namespace {

struct hard_case {
  std::string name, family;
  Eigen::VectorXd b;       ///< standardized limits (for the anchors)
  Eigen::MatrixXd r;       ///< correlation matrix (for the anchors)
  Eigen::VectorXd upper;   ///< limits as given to probust
  Eigen::MatrixXd factor;  ///< if non-empty: probust gets P(factor z ≤ upper)
  int rank = 0;
};

// Correlation matrix and standardized limits of P(F z ≤ u).
void standardize(hard_case& c) {
  const Eigen::VectorXd norms = c.factor.rowwise().norm();
  const Eigen::MatrixXd unit = norms.cwiseInverse().asDiagonal() * c.factor;
  c.r = unit * unit.transpose();
  c.r.diagonal().setOnes();
  c.b = c.upper.cwiseQuotient(norms);
  c.rank = static_cast<int>(c.factor.fullPivLu().rank());
}

Eigen::MatrixXd random_orthogonal(int k, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  Eigen::MatrixXd a(k, k);
  for (int j = 0; j < k; ++j) {
    for (int i = 0; i < k; ++i) a(i, j) = normal(rng);
  }
  return Eigen::HouseholderQR<Eigen::MatrixXd>(a).householderQ();
}

std::vector<hard_case> spread_cases(int k, int count) {
  std::mt19937_64 rng(9000 + static_cast<unsigned>(k));
  std::uniform_real_distribution<double> unif(0.5, 2.5);
  std::vector<hard_case> out;
  for (int n = 0; n < count; ++n) {
    const Eigen::MatrixXd q = random_orthogonal(k, rng);
    Eigen::VectorXd lambda(k);
    for (int i = 0; i < k; ++i) lambda(i) = std::pow(10.0, -3.0 + 3.0 * i / (k - 1));
    const Eigen::MatrixXd s = q * lambda.asDiagonal() * q.transpose();
    const Eigen::VectorXd d = s.diagonal().cwiseSqrt().cwiseInverse();
    hard_case c;
    c.family = "spread_k" + std::to_string(k);
    c.name = c.family + "_" + std::to_string(n);
    c.r = d.asDiagonal() * s * d.asDiagonal();
    c.r.diagonal().setOnes();
    c.b.resize(k);
    for (int i = 0; i < k; ++i) c.b(i) = unif(rng) + 0.3 * std::log(k / 9.0);
    c.upper = c.b;
    c.rank = k;
    out.push_back(c);
  }
  return out;
}

std::vector<hard_case> rank_cases(int k, int rank, int count) {
  std::mt19937_64 rng(7000 + static_cast<unsigned>(k));
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unif(0.25, 2.0);
  std::vector<hard_case> out;
  for (int n = 0; n < count; ++n) {
    hard_case c;
    c.family = "rank_k" + std::to_string(k) + "_r" + std::to_string(rank);
    c.name = c.family + "_" + std::to_string(n);
    c.factor.resize(k, rank);
    for (int i = 0; i < k; ++i) {
      for (int j = 0; j < rank; ++j) c.factor(i, j) = normal(rng) + (j == 0 ? std::sqrt(2.0) : 0.0);
    }
    c.upper.resize(k);
    for (int i = 0; i < k; ++i) {
      c.upper(i) = c.factor.row(i).norm() * (unif(rng) + 0.3 * std::log(k / 9.0));
    }
    standardize(c);
    out.push_back(c);
  }
  return out;
}

hard_case file_case(const std::string& path) {
  hard_case c;
  c.name = c.family = "hard_k9";
  probust_bench::read_problem_file(path, c.b, c.r);
  c.upper = c.b;
  c.rank = static_cast<int>(c.b.size());
  return c;
}

std::vector<hard_case> taylor_cases(const std::string& model, int points) {
  const probust::dense_network<double> net = probust::load_dense_network<double>(model);
  const auto split = probust_examples::split_digits(
      probust_examples::load_digits(probust_examples::default_digits_path()));
  std::vector<hard_case> out;
  for (int p = 0; p < points && p < split.test.size(); ++p) {
    const Eigen::VectorXd x = split.test.inputs.row(p).transpose();
    const auto lin = probust::linearize(net, x);
    for (double sigma : {0.05, 0.1, 0.2, 0.4}) {
      hard_case c;
      c.family = "taylor";
      std::ostringstream name;
      name << "taylor_" << p << "_s" << sigma;
      c.name = name.str();
      c.upper = lin.margins;
      c.factor = sigma * lin.gradient;
      standardize(c);
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out, filter, network;
  double min_time = 0.05, tol = 1e-4;
  int points = 25;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (a == "--network" && i + 1 < argc) {
      network = argv[++i];
    } else if (a == "--points" && i + 1 < argc) {
      points = std::atoi(argv[++i]);
    } else if (a == "--tol" && i + 1 < argc) {
      tol = std::atof(argv[++i]);
    } else if (a == "--min-time" && i + 1 < argc) {
      min_time = std::atof(argv[++i]);
    } else if (a == "--filter" && i + 1 < argc) {
      filter = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: %s --network MODEL [--out DIR] [--points N] [--tol T] "
                   "[--min-time S] [--filter SUBSTRING]\n",
                   argv[0]);
      return 2;
    }
  }
  if (network.empty()) {
    std::fprintf(stderr, "hard_cases: --network MODEL is required (train_digits --held-out)\n");
    return 2;
  }
  std::vector<hard_case> cases;
  cases.push_back(file_case(std::string(PROBUST_BENCH_SOURCE_DIR) + "/data/hard_k9.txt"));
  for (const hard_case& c : taylor_cases(network, points)) cases.push_back(c);
  for (int k : {9, 19, 99}) {
    for (const hard_case& c : spread_cases(k, 10)) cases.push_back(c);
  }
  for (const auto& [k, rank] : {std::pair{9, 5}, std::pair{19, 10}, std::pair{99, 20}}) {
    for (const hard_case& c : rank_cases(k, rank, 10)) cases.push_back(c);
  }

  std::ofstream timings;
  if (!out.empty()) {
    timings.open(out + "/probust.tsv");
    if (!timings) {
      std::fprintf(stderr, "hard_cases: cannot write into %s\n", out.c_str());
      return 2;
    }
    timings << "name\tfamily\tk\trank\tlambda_min\tlambda_max\ttime_s\tvalue\treported_err"
               "\tpoints\tconverged\n";
  }
  std::printf("%-22s %3s %4s %9s %7s %10s %9s %9s %9s %4s\n", "case", "k", "rank", "lam_min",
              "lam_max", "median_ms", "p", "reported", "points", "conv");
  probust::mvn_options opt;
  opt.abs_tol = tol;
  for (const hard_case& c : cases) {
    if (!filter.empty() && c.name.find(filter) == std::string::npos) continue;
    const Eigen::VectorXd eig = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(c.r).eigenvalues();
    const auto call = [&] {
      return c.factor.size() > 0 ? probust::mvn_cdf_from_factor(c.upper, c.factor, opt)
                                 : probust::mvn_cdf(c.upper, c.r, opt);
    };
    std::vector<double> times;
    probust::mvn_result r;
    double spent = 0.0;
    while (times.size() < 3 || (spent < min_time && times.size() < 1000)) {
      const auto t0 = std::chrono::steady_clock::now();
      r = call();
      const double t =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      times.push_back(t);
      spent += t;
    }
    std::sort(times.begin(), times.end());
    const std::size_t n = times.size();
    const double median = n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
    const int k = static_cast<int>(c.b.size());
    std::printf("%-22s %3d %4d %9.2e %7.2f %10.3f %9.6f %9.2e %9llu %4d\n", c.name.c_str(), k,
                c.rank, eig(0), eig(k - 1), 1e3 * median, r.probability, r.error,
                static_cast<unsigned long long>(r.points), r.converged ? 1 : 0);
    std::fflush(stdout);
    if (!out.empty()) {
      probust_bench::write_matrix(out + "/" + c.name + ".R.txt", c.r);
      probust_bench::write_matrix(out + "/" + c.name + ".b.txt", c.b);
      timings << c.name << '\t' << c.family << '\t' << k << '\t' << c.rank << '\t'
              << std::setprecision(6) << eig(0) << '\t' << eig(k - 1) << '\t' << median << '\t'
              << std::setprecision(17) << r.probability << std::setprecision(6) << '\t'
              << r.error << '\t' << r.points << '\t' << (r.converged ? 1 : 0) << '\n';
      timings.flush();
    }
  }
  return 0;
}
