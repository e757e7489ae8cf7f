/// \file sov_variance_probe.cpp
/// Where the QMC error of the separation-of-variables integrand comes from on the hard
/// cases, and whether cheap variants reduce it. For each problem file pair NAME.R.txt /
/// NAME.b.txt written by `hard_cases --out DIR` (full-rank ones only), the standard
/// deviation over 16 independent randomizations of the estimate from n = 2^14 integrand
/// evaluations, for:
///   engine     the engine's factor (Genz–Bretz ordering, detail::pivoted_cholesky);
///   largest    Cholesky in the order of largest residual variance first (the pivoting of
///              Eigen's LDLT), which puts the small pivots last;
///   smallest   smallest residual variance first, which clusters near-dependent variables;
///   antithetic the engine's factor on n/2 pairs (u, 1 − u) (same number of evaluations);
///   mc         the engine's factor on plain Monte-Carlo points (QMC's gain = mc / engine);
///   sobol_d    Sobol' in the first d = dimension/2 coordinates only, Monte Carlo in the
///              rest (close to `engine` when the error lives in the leading coordinates);
///   rate       the engine's observed convergence rate r, spread ∝ n^(−r), from 2^12 and
///              2^14 points (1/2 for Monte Carlo, up to ~1 for smooth integrands).
///
///   sov_variance_probe DIR NAME...

#include <Eigen/Dense>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include <probust/mvn/detail/genz_qmc.hpp>
#include <probust/mvn/detail/pivoted_cholesky.hpp>
#include <probust/random.hpp>

namespace {

using probust::detail::ordered_factor;

/// Factor of P(X ≤ b) taking the variables in the order `order`: plain Cholesky of the
/// permuted matrix (full rank), each row owned by its own column.
ordered_factor factor_in_order(const Eigen::MatrixXd& r, const Eigen::VectorXd& b,
                               const std::vector<int>& order) {
  const int k = static_cast<int>(b.size());
  Eigen::MatrixXd rp(k, k);
  ordered_factor f;
  f.rank = k;
  f.lower = Eigen::VectorXd::Constant(k, -std::numeric_limits<double>::infinity());
  f.upper.resize(k);
  for (int i = 0; i < k; ++i) {
    f.upper(i) = b(order[static_cast<std::size_t>(i)]);
    for (int j = 0; j < k; ++j) {
      rp(i, j) = r(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
    }
  }
  f.factor = Eigen::LLT<Eigen::MatrixXd>(rp).matrixL();
  f.owner_begin.resize(static_cast<std::size_t>(k) + 1);
  std::iota(f.owner_begin.begin(), f.owner_begin.end(), 0);
  f.row_index = order;
  return f;
}

/// Greedy order by residual variance (largest or smallest first, above 1e-10).
std::vector<int> residual_order(const Eigen::MatrixXd& r, bool largest) {
  const int k = static_cast<int>(r.rows());
  std::vector<int> order, rest(static_cast<std::size_t>(k));
  std::iota(rest.begin(), rest.end(), 0);
  Eigen::MatrixXd s = r;  // Schur complement on the remaining variables
  while (!rest.empty()) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < rest.size(); ++i) {
      const double v = s(rest[i], rest[i]), w = s(rest[best], rest[best]);
      if (largest ? v > w : (v < w && v > 1e-10) || w <= 1e-10) best = i;
    }
    const int p = rest[best];
    order.push_back(p);
    rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(best));
    const Eigen::VectorXd col = s.col(p) / std::sqrt(s(p, p));
    s -= col * col.transpose();
  }
  return order;
}

enum class points { sobol, antithetic, monte_carlo, sobol_half };

double spread(const ordered_factor& f, points kind, std::uint64_t n = 1u << 14) {
  probust::detail::sov_integrand integrand(f);
  const int dim = integrand.dimension();
  constexpr int randomizations = 16;
  constexpr int block = probust::detail::sov_integrand::block;
  std::vector<double> estimates;
  Eigen::MatrixXd u(block, dim);  // point p at row p
  for (int s = 0; s < randomizations; ++s) {
    const auto index = static_cast<std::uint64_t>(s);
    probust::detail::scrambled_sobol sequence(static_cast<std::size_t>(dim),
                                              probust::point_engine(12345, index));
    probust::random_engine engine = probust::point_engine(777, index);
    const std::uint64_t count = kind == points::antithetic ? n / 2 : n;
    double sum = 0.0;
    for (std::uint64_t start = 0; start < count; start += block) {
      for (int p = 0; p < block; ++p) {
        sequence.next(start + static_cast<std::uint64_t>(p), &u(p, 0), block);
        const int first_random = kind == points::monte_carlo  ? 0
                                 : kind == points::sobol_half ? dim / 2
                                                              : dim;
        for (int j = first_random; j < dim; ++j) u(p, j) = probust::uniform_open01(engine);
      }
      sum += integrand.sum_block(u, block);
      if (kind == points::antithetic) {
        const Eigen::MatrixXd mirrored = (1.0 - u.array()).matrix();
        sum += integrand.sum_block(mirrored, block);
      }
    }
    estimates.push_back(sum / static_cast<double>(n));
  }
  double mean = 0.0, var = 0.0;
  for (double e : estimates) mean += e / randomizations;
  for (double e : estimates) var += (e - mean) * (e - mean) / (randomizations - 1);
  return std::sqrt(var);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DIR NAME...\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::printf("| case | engine | largest | smallest | antithetic | mc | sobol_d | rate |\n"
              "|---|---|---|---|---|---|---|---|\n");
  for (int a = 2; a < argc; ++a) {
    const std::string name = argv[a];
    std::ifstream bf(dir + "/" + name + ".b.txt"), rf(dir + "/" + name + ".R.txt");
    std::vector<double> bv;
    for (double x; bf >> x;) bv.push_back(x);
    const int k = static_cast<int>(bv.size());
    Eigen::VectorXd b = Eigen::Map<Eigen::VectorXd>(bv.data(), k);
    Eigen::MatrixXd r(k, k);
    for (int i = 0; i < k; ++i) {
      for (int j = 0; j < k; ++j) rf >> r(i, j);
    }
    if (!rf || k < 4) {
      std::fprintf(stderr, "sov_variance_probe: cannot read %s in %s\n", name.c_str(),
                   dir.c_str());
      return 2;
    }
    const Eigen::VectorXd lower = Eigen::VectorXd::Constant(k, -INFINITY);
    const ordered_factor engine =
        probust::detail::pivoted_cholesky(r, lower, b, 1e-10, "probe", "R");
    if (engine.rank < k) {
      std::fprintf(stderr, "sov_variance_probe: %s is rank-deficient, skipped\n", name.c_str());
      continue;
    }
    const double at_n = spread(engine, points::sobol);
    const double rate = std::log(spread(engine, points::sobol, 1u << 12) / at_n) / std::log(4.0);
    std::printf("| %s | %.2e | %.2e | %.2e | %.2e | %.2e | %.2e | %.2f |\n", name.c_str(), at_n,
                spread(factor_in_order(r, b, residual_order(r, true)), points::sobol),
                spread(factor_in_order(r, b, residual_order(r, false)), points::sobol),
                spread(engine, points::antithetic), spread(engine, points::monte_carlo),
                spread(engine, points::sobol_half), rate);
    std::fflush(stdout);
  }
  return 0;
}
