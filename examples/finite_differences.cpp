// finite_differences — a model without a Jacobian.
//
// Taylor, MMSE and the control variate need the logit Jacobian J = ∂f/∂x (K × d). If the
// model has no jacobian(x) member — a plain lambda, a network from a library without
// autodiff — probust builds it by central differences, one input coordinate at a time:
//
//     J(:, j) ≈ (f(x + h_j e_j) − f(x − h_j e_j)) / (2 h_j),   h_j = ε^{1/3} · max(|x_j|, 1),
//
// with ε = 2.2e-16, so h ≈ 6e-6 and the error is O(ε^{2/3}) ≈ 1e-10 relative: far below
// anything a robustness probability can notice. The price is 2d extra forward passes per
// Jacobian, and the result says so: result.jacobian == jacobian_source::finite_difference
// and result.model_evaluations == 1 + 2d (Taylor). Give the model a jacobian(x) (see
// own_model.cpp) when 2d forward passes cost more than one backward pass.
// Look at: the same p from both Jacobians (differences ~1e-10 in J, less in p), the
// call counts.
// Exits with 1 if the finite-difference answer is not that close to the analytic one.
#include <Eigen/Dense>
#include <cmath>
#include <cstdio>
#include <probust/probust.hpp>

int main() {
  // A 2-layer tanh network, f(x) = W₂ tanh(W₁x + b₁) + b₂, with random weights.
  const int d = 10, hidden = 16, K = 5;
  probust::random_engine rng(7);
  Eigen::MatrixXd W1(hidden, d), W2(K, hidden);
  Eigen::VectorXd b1(hidden), b2(K);
  probust::fill_standard_normal(rng, W1);
  probust::fill_standard_normal(rng, W2);
  probust::fill_standard_normal(rng, b1);
  probust::fill_standard_normal(rng, b2);
  W1 /= std::sqrt(double(d));
  W2 /= std::sqrt(double(hidden));

  // The model as a plain lambda: logits only, no Jacobian.
  const auto f = [&](const Eigen::VectorXd& x) -> Eigen::VectorXd {
    return W2 * (W1 * x + b1).array().tanh().matrix() + b2;
  };
  // For comparison, the same model with its analytic Jacobian W₂ diag(1 − h²) W₁.
  const auto analytic = probust::with_jacobian(f, [&](const Eigen::VectorXd& x) {
    const Eigen::ArrayXd h = (W1 * x + b1).array().tanh();
    return Eigen::MatrixXd(W2 * (1.0 - h.square()).matrix().asDiagonal() * W1);
  });

  const Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(d, -2.0, 0.0);
  const probust::isotropic_gaussian<> noise{1.0};
  const probust::taylor_estimator<> taylor;
  const probust::mmse_estimator<> mmse;

  const probust::robustness_result fd = taylor.estimate(f, x, noise);
  const probust::robustness_result an = taylor.estimate(analytic, x, noise);
  const probust::robustness_result fd_mmse = mmse.estimate(f, x, noise);
  const probust::robustness_result an_mmse = mmse.estimate(analytic, x, noise);

  // The Jacobians themselves, as the estimators see them.
  const auto j_fd = probust::logit_jacobian(f, x);
  const auto j_an = probust::logit_jacobian(analytic, x);
  const double j_diff = (j_fd.jacobian - j_an.jacobian).cwiseAbs().maxCoeff();

  const auto source = [](probust::jacobian_source s) {
    return s == probust::jacobian_source::user ? "user (analytic)" : "finite_difference";
  };
  std::printf("tanh net %d -> %d -> %d, sigma = 1, predicted class %d\n\n", d, hidden, K,
              fd.predicted_class);
  std::printf("%-10s %-18s %-14s %-14s %s\n", "estimator", "jacobian", "p", "1 - p", "model calls");
  for (const probust::robustness_result* r : {&an, &fd, &an_mmse, &fd_mmse}) {
    std::printf("%-10s %-18s %-14.10f %-14.6e %llu\n", r->estimator, source(r->jacobian),
                r->probability, r->complement,
                static_cast<unsigned long long>(r->model_evaluations));
  }
  const double p_diff = std::abs(fd.probability - an.probability);
  const double mmse_diff = std::abs(fd_mmse.probability - an_mmse.probability);
  std::printf("\nmax |J_fd - J_analytic| over the %d x %d entries: %.2e\n", K, d, j_diff);
  std::printf("|p_fd - p_analytic|: Taylor %.2e, MMSE %.2e\n", p_diff, mmse_diff);
  std::printf(
      "model calls: Taylor 1 + 2d = %d with finite differences, 1 with a Jacobian; "
      "MMSE 1 + N(1 + 2d) = %d\n",
      1 + 2 * d, static_cast<int>(fd_mmse.model_evaluations));

  const bool ok = fd.jacobian == probust::jacobian_source::finite_difference &&
                  an.jacobian == probust::jacobian_source::user &&
                  fd.model_evaluations == static_cast<unsigned>(1 + 2 * d) &&
                  an.model_evaluations == 1 && j_diff < 1e-8 && p_diff < 1e-6 && mmse_diff < 1e-6;
  std::printf("\nchecks (sources, 1 + 2d calls, |dJ| < 1e-8, |dp| < 1e-6): %s\n",
              ok ? "passed" : "FAILED");
  return ok ? 0 : 1;
}
