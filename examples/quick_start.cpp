// quick_start — how robust is a prediction to Gaussian noise on the input?
//
// For a classifier f with K classes, an input x with prediction t = argmax_i f_i(x) and
// noise ε ~ N(0, σ²I), probust estimates the average-case robustness
//
//     p(x) = P[ argmax_i f_i(x + ε) = t ].
//
// The Taylor estimator linearizes the margins g_i = f_t − f_i at x (one Jacobian G) and
// returns p = P(g + Gε > 0) = Φ_{K−1}(g; GΣGᵀ), a multivariate normal CDF. Monte Carlo
// counts how many of n noisy copies keep the prediction and gives an exact interval.
// Here f(x) = Wx + b is affine, so the linearization *is* the model: the Taylor value is
// exact and must fall inside the Monte-Carlo interval (the program exits with 1 if not).
// Look at: the two probabilities, the interval, and what each result field means.
#include <Eigen/Dense>
#include <cstdio>
#include <probust/probust.hpp>

int main() {
  // A 3-class linear classifier on 4 features: logits = W x + b.
  Eigen::MatrixXd W(3, 4);
  W << 1.0, -0.5, 0.3, 0.0,  // class 0
      0.2, 0.8, -0.4, 0.5,   // class 1
      -0.6, 0.1, 0.9, -0.3;  // class 2
  Eigen::VectorXd b(3);
  b << 0.1, 0.0, -0.2;
  const probust::affine_model<> model(W, b);  // has jacobian(x) and forward_batch(X)

  Eigen::VectorXd x(4);
  x << 0.8, 0.2, 0.1, 0.3;                         // logits (0.83, 0.43, -0.66): class 0
  const probust::isotropic_gaussian<> noise{0.5};  // ε ~ N(0, 0.5² I)

  const probust::taylor_estimator<> taylor;  // one Jacobian + one MVN CDF
  probust::monte_carlo_options mc_options;
  mc_options.sampling.samples = 100'000;  // default 10⁴; more for a tighter interval
  const probust::monte_carlo_estimator<> mc(mc_options);

  const probust::robustness_result t = taylor.estimate(model, x, noise);
  const probust::robustness_result m = mc.estimate(model, x, noise);

  std::printf("3-class affine model, d = 4, sigma = 0.5, predicted class %d\n\n",
              t.predicted_class);
  std::printf("%-12s %-10s %-24s %-12s %-12s %s\n", "estimator", "p", "interval [lower, upper]",
              "1 - p", "model calls", "jacobian");
  for (const probust::robustness_result* r : {&t, &m}) {
    std::printf("%-12s %-10.6f [%.6f, %.6f]%-4s %-12.4e %-12llu %s\n", r->estimator, r->probability,
                r->lower, r->upper, "", r->complement,
                static_cast<unsigned long long>(r->model_evaluations),
                r->jacobian == probust::jacobian_source::user ? "user (analytic)" : "not used");
  }

  std::printf(
      "\nThe fields of probust::robustness_result:\n"
      "  probability        the estimate of p\n"
      "  lower, upper       Taylor: p -/+ the MVN integration error (k = 2 margins: closed\n"
      "                     form, so lower = upper = p); Monte Carlo: 95%% Clopper-Pearson\n"
      "  complement         1 - p, accurate relative to itself when p is near 1\n"
      "  predicted_class    t = argmax f(x), the class whose survival is measured\n"
      "  model_evaluations  forward passes (Taylor 1; Monte Carlo 1 + samples)\n"
      "  jacobian           where the Jacobian came from: user, finite_difference, not_used\n"
      "  converged, error, samples, estimator: budget flag, error estimate, draws, name\n\n");

  // For an affine model Taylor is exact: it must lie in the Monte-Carlo interval.
  const bool inside = m.lower <= t.probability && t.probability <= m.upper;
  std::printf("Taylor p = %.6f %s the Monte-Carlo 95%% interval [%.6f, %.6f]: %s\n", t.probability,
              inside ? "lies in" : "is OUTSIDE", m.lower, m.upper,
              inside ? "as it must for an affine model" : "ERROR");
  return inside ? 0 : 1;
}
