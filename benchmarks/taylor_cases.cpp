// Writes the linearized robustness problems of the digits benchmark, with probust's Taylor
// answers, for an independent high-precision check (benchmarks/taylor_agreement.py runs it).
//
//   taylor_cases <out.txt> [points]
//
// For both bundled networks, the first `points` (default 50) test images and
// σ ∈ {0.05, 0.1, 0.2, 0.4}: the margins g and the covariance C = σ²·G·Gᵀ of the
// linearized margins (so p_taylor = P(Y ≤ g), Y ~ N(0, C)), then probust's
// taylor_estimator at the default options (abs_tol 1e-4) and with mvn.abs_tol = 1e-6:
//   net point sigma k  g_1..g_k  C_11..C_kk (row-major)  p err  p_tight err_tight
// one case per line, numbers with 17 significant digits.

#include <cstdio>
#include <cstdlib>
#include <string>

#include <probust/probust.hpp>

#include "../examples/digits_data.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: taylor_cases <out.txt> [points]\n");
    return 2;
  }
  const int points = argc > 2 ? std::atoi(argv[2]) : 50;
  std::FILE* out = std::fopen(argv[1], "w");
  if (!out) {
    std::fprintf(stderr, "taylor_cases: cannot write %s\n", argv[1]);
    return 1;
  }
  const auto split = probust_examples::split_digits(
      probust_examples::load_digits(probust_examples::default_digits_path()));
  probust::taylor_options tight;
  tight.mvn.abs_tol = 1e-6;
  const probust::taylor_estimator<double> taylor, taylor_tight(tight);
  for (const std::string net_name : {"relu", "tanh"}) {
    const std::string file = net_name == "relu" ? "digits_relu_64_128_64_10.model"
                                                : "digits_tanh_64_64_10.model";
    const auto net =
        probust::load_dense_network(probust_examples::examples_data_dir() + "/" + file);
    for (int i = 0; i < points && i < split.test.size(); ++i) {
      const Eigen::VectorXd x = split.test.inputs.row(i).transpose();
      const auto lin = probust::linearize(net, x);
      for (double sigma : {0.05, 0.1, 0.2, 0.4}) {
        const probust::isotropic_gaussian<double> noise(sigma);
        const auto r = taylor.estimate(net, x, noise);
        const auto rt = taylor_tight.estimate(net, x, noise);
        const Eigen::MatrixXd c = sigma * sigma * lin.gradient * lin.gradient.transpose();
        std::fprintf(out, "%s %d %.17g %d", net_name.c_str(), i, sigma,
                     static_cast<int>(lin.margins.size()));
        for (Eigen::Index a = 0; a < lin.margins.size(); ++a) {
          std::fprintf(out, " %.17g", lin.margins(a));
        }
        for (Eigen::Index a = 0; a < c.rows(); ++a) {
          for (Eigen::Index b = 0; b < c.cols(); ++b) std::fprintf(out, " %.17g", c(a, b));
        }
        std::fprintf(out, " %.17g %.17g %.17g %.17g\n", r.probability, r.error, rt.probability,
                     rt.error);
      }
    }
  }
  return std::fclose(out) == 0 ? 0 : 1;
}
