#pragma once
/// \file case_files.hpp
/// What the case programs (mvn_cases, small_p_cases, hard_cases) share when they write a
/// case directory for the anchor scripts: matrices as text and the name of an MVN method.

#include <Eigen/Dense>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <string>

#include "probust/mvn/options.hpp"

namespace probust_bench {

/// Writes m as text, one row per line, 17 significant digits (read back exactly by R's
/// read.table and numpy.loadtxt); exits with 2 naming the file if it cannot be written.
inline void write_matrix(const std::string& path, const Eigen::MatrixXd& m) {
  std::ofstream f(path);
  f << std::setprecision(17);
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    for (Eigen::Index j = 0; j < m.cols(); ++j) f << (j ? " " : "") << m(i, j);
    f << '\n';
  }
  if (!f) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(2);
  }
}

/// Reads an MVN problem file (benchmarks/data/hard_k9.txt): lines starting with '#' are
/// comments; then k, the k upper limits b and the k × k correlation matrix R, whitespace
/// separated. Exits with 2 naming the file if it cannot be read.
inline void read_problem_file(const std::string& path, Eigen::VectorXd& b, Eigen::MatrixXd& r) {
  std::ifstream in(path);
  std::stringstream body;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') body << line << '\n';
  }
  int k = 0;
  body >> k;
  if (k > 0) {
    b.resize(k);
    r.resize(k, k);
    for (int i = 0; i < k; ++i) body >> b(i);
    for (int i = 0; i < k; ++i) {
      for (int j = 0; j < k; ++j) body >> r(i, j);
    }
  }
  if (!body || k <= 0) {
    std::fprintf(stderr, "cannot read the MVN problem file %s\n", path.c_str());
    std::exit(2);
  }
}

/// The enumerator's name, as written in the `method` column of the case programs.
inline const char* method_name(probust::mvn_method m) {
  switch (m) {
    case probust::mvn_method::trivial: return "trivial";
    case probust::mvn_method::univariate: return "univariate";
    case probust::mvn_method::bivariate: return "bivariate";
    case probust::mvn_method::trivariate: return "trivariate";
    case probust::mvn_method::genz_qmc: return "genz_qmc";
    case probust::mvn_method::minimax_tilting: return "minimax_tilting";
    case probust::mvn_method::bound: return "bound";
    case probust::mvn_method::rare_event: return "rare_event";
  }
  return "?";
}

}  // namespace probust_bench
