#pragma once
/// \file minimax_tilting.hpp
/// Small probabilities by minimax exponential tilting of the separation-of-variables
/// integrand: Z. I. Botev, "The normal law under linear restrictions: simulation and
/// estimation via minimax tilting", J. R. Statist. Soc. B 79 (2017) 125–148.
///
/// Scale the factor to unit diagonal: L̃ = D⁻¹L − I (strictly lower), l̃ = D⁻¹l, ũ = D⁻¹u.
/// Drawing each w_j from N(μ_j, 1) on its SOV interval, the integrand is exp ψ(w; μ),
///   ψ(x; μ) = Σ_j log[Φ(ũ_j − c_j − μ_j) − Φ(l̃_j − c_j − μ_j)] + μ_j²/2 − x_j μ_j,
///   c = L̃x,  x_d = μ_d = 0 (the last variable is integrated exactly, untilted).
/// The tilt is the saddle point of ψ (convex in μ, concave in x): min_μ max_x ψ. For fixed
/// x, ∂ψ/∂μ_j = 0 says that N(μ_j, 1) truncated to (l̃_j − c_j, ũ_j − c_j) has mean x_j: one
/// monotone equation per j. Eliminating μ that way leaves ψ̄(x) = ψ(x; μ(x)), strongly
/// concave on the polytope l̃_j < x_j + c_j < ũ_j (j < d) and −∞ on its boundary, with
///   ∇ψ̄ = L̃ᵀP − μ,          P_j = E[Z | Z ∈ I_j],  I_j = (l̃_j − c_j − μ_j, ũ_j − c_j − μ_j),
///   ∇²ψ̄ = L̂ᵀGL̂ − I,       L̂ = (L̃ + I) without its last column,
///   G_j = 1 − 1/v_j (j < d),  G_d = v_d − 1,  v_j = Var[Z | Z ∈ I_j]
/// (the Schur complement of Botev's Jacobian of ∇ψ). Newton with a backtracking line search
/// maximizes ψ̄ from the Genz–Bretz truncated means. ψ* = ψ̄(x*) is Botev's upper bound
/// log p ≤ ψ*; the tilted integrand is scaled by it, so its values stay below about 1.
///
/// Only factors with one row per variable (full rank) are tilted: with several rows per
/// owner column the interval of w_j is an intersection, ψ is no longer smooth, and the
/// plain SOV integrand is used instead (as it is whenever the solver fails).

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "probust/detail/math.hpp"
#include "probust/mvn/detail/genz_qmc.hpp"
#include "probust/mvn/detail/pivoted_cholesky.hpp"
#include "probust/mvn/options.hpp"
#include "probust/mvn/univariate.hpp"

namespace probust::detail {

/// Above this Genz–Bretz estimate of p (ordered_factor::log_estimate) the plain SOV
/// integrand is used without further checks (the estimate errs low, never much high).
inline constexpr double tilting_threshold = 1e-2;

/// log P(Z ∈ (a, b)), E[Z | Z ∈ (a, b)] and Var[Z | Z ∈ (a, b)] for Z ~ N(0, 1), a < b.
struct truncated_moments {
  double log_mass = 0.0;
  double mean = 0.0;
  double variance = 1.0;
};

/// The moments from the density ratios r = φ(limit)/P on the side where P does not
/// cancel: mean = r_a − r_b, variance = 1 + a r_a − b r_b − mean². Where that difference
/// cancels — an interval narrower than 1e-3, or beyond 40 standard deviations, where the
/// law is an exponential of rate t = |limit| truncated to the width w — the variance comes
/// from the limiting law: w²/12, or 1/t² − w² e^{−tw}/(1 − e^{−tw})² (1/t² − 6/t⁴ one-sided).
inline truncated_moments standard_truncated_moments(double a, double b) {
  if (a > 0.0) {  // reflect into the lower half, where Φ(b) does not round to 1
    const truncated_moments m = standard_truncated_moments(-b, -a);
    return {m.log_mass, -m.mean, m.variance};
  }
  truncated_moments m;
  m.log_mass = log_normal_interval(a, b);
  const double width = b - a;
  if (width < 1e-3) {  // nearly uniform: mean ≈ midpoint shifted by −(w²/12)·midpoint
    const double mid = 0.5 * (a + b);
    m.mean = mid - width * width / 12.0 * mid;
    m.variance = width * width / 12.0;
    return m;
  }
  const double ra =
      std::isinf(a) ? 0.0 : std::exp(-0.5 * a * a - log_sqrt_2pi<double> - m.log_mass);
  const double rb =
      std::isinf(b) ? 0.0 : std::exp(-0.5 * b * b - log_sqrt_2pi<double> - m.log_mass);
  m.mean = ra - rb;
  if (b < -40.0) {
    const double t = -b;
    if (std::isinf(a)) {
      m.variance = 1.0 / (t * t) - 6.0 / (t * t * t * t);
    } else {
      const double decay = std::exp(-t * width);
      m.variance = 1.0 / (t * t) - width * width * decay / ((1.0 - decay) * (1.0 - decay));
    }
  } else {
    m.variance = 1.0 + (std::isinf(a) ? 0.0 : a * ra) - (std::isinf(b) ? 0.0 : b * rb) -
                 m.mean * m.mean;
  }
  m.variance = std::clamp(m.variance, 1e-300, 1.0);
  return m;
}

/// The tilt μ with E[Y] = x for Y ~ N(μ, 1) truncated to (a, b), a < x < b, by Newton's
/// method safeguarded with bisection (E[Y] increases in μ with slope Var Y ∈ (0, 1]).
/// The bracket: E[Y | Y > a] < a + 1/(a − μ) for μ < a, so μ = a − 1/(x − a) is below the
/// root (μ = x if a = −∞), and symmetrically b + 1/(b − x) is above it. Returns the
/// moments of Y − μ with μ in `mu`.
inline truncated_moments solve_tilt(double a, double b, double x, double& mu) {
  double lo = std::isinf(a) ? x : a - 1.0 / (x - a);
  double hi = std::isinf(b) ? x : b + 1.0 / (b - x);
  if (!(mu > lo && mu < hi)) mu = std::isinf(a) || std::isinf(b) ? x : 0.5 * (lo + hi);
  truncated_moments m = standard_truncated_moments(a - mu, b - mu);
  for (int iteration = 0; iteration < 200; ++iteration) {
    const double h = mu + m.mean - x;
    if (std::abs(h) <= 1e-13 * (1.0 + std::abs(x))) break;
    (h < 0.0 ? lo : hi) = mu;
    double next = mu - h / m.variance;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (next == mu || hi - lo <= 1e-15 * (1.0 + std::abs(mu))) break;
    mu = next;
    m = standard_truncated_moments(a - mu, b - mu);
  }
  return m;
}

/// The saddle point (x*, μ*) (one entry per variable, the last ones 0) and ψ* = ψ(x*; μ*),
/// with log p ≤ ψ*.
struct tilting_point {
  Eigen::VectorXd x;
  Eigen::VectorXd mu;
  double log_bound = 0.0;
  int iterations = 0;
  bool found = false;
};

/// ψ̄ and its derivatives at one x (see the file comment).
class tilting_objective {
 public:
  explicit tilting_objective(const ordered_factor& f)
      : d_(f.rank), scaled_(f.factor), lower_(f.lower), upper_(f.upper) {
    for (int j = 0; j < d_; ++j) {
      const double diagonal = f.factor(j, j);
      scaled_.row(j) /= diagonal;
      lower_(j) /= diagonal;
      upper_(j) /= diagonal;
      scaled_(j, j) = 0.0;
    }
    mu_.setZero(d_);
    p_.setZero(d_);
    variance_.setOnes(d_);
    unit_ = scaled_.leftCols(d_ - 1);
    unit_.diagonal().setOnes();  // L̂ = L̃ + I, last column dropped
    gram_ = unit_ * unit_.transpose();
  }

  /// Evaluates ψ̄(x) (x has d − 1 entries) with μ(x), P and v; false outside the polytope
  /// or when anything is not finite. μ from the previous call is the Newton start.
  bool evaluate(const Eigen::VectorXd& x) {
    const Eigen::VectorXd c = scaled_.leftCols(d_ - 1) * x;
    value_ = 0.0;
    for (int j = 0; j < d_; ++j) {
      const double a = lower_(j) - c(j), b = upper_(j) - c(j);
      if (!(a < b)) return false;
      truncated_moments m;
      if (j + 1 < d_) {
        if (!(a < x(j) && x(j) < b)) return false;
        m = solve_tilt(a, b, x(j), mu_(j));
        value_ += m.log_mass + mu_(j) * (0.5 * mu_(j) - x(j));
      } else {
        m = standard_truncated_moments(a, b);
        value_ += m.log_mass;
      }
      p_(j) = m.mean;
      variance_(j) = m.variance;
    }
    return std::isfinite(value_);
  }

  double value() const noexcept { return value_; }
  const Eigen::VectorXd& mu() const noexcept { return mu_; }

  /// ∇ψ̄ = L̃ᵀP − μ (first d − 1 entries).
  Eigen::VectorXd gradient() const {
    return scaled_.leftCols(d_ - 1).transpose() * p_ - mu_.head(d_ - 1);
  }

  /// The Newton direction (−∇²ψ̄)⁻¹∇ψ̄ with −∇²ψ̄ = I + BᵀB, B = |G|^½L̂, by the
  /// push-through identity (I + BᵀB)⁻¹ = I − Bᵀ(I + BBᵀ)⁻¹B: BBᵀ = |G|^½(L̂L̂ᵀ)|G|^½ reuses the
  /// Gram matrix L̂L̂ᵀ formed once, so an iteration costs one Cholesky factorization.
  /// False if that factorization fails.
  bool newton_direction(const Eigen::VectorXd& gradient, Eigen::VectorXd& direction) const {
    Eigen::VectorXd root(d_);  // |G|^½
    for (int j = 0; j < d_; ++j) {
      const double g = j + 1 < d_ ? 1.0 / variance_(j) - 1.0 : 1.0 - variance_(j);
      root(j) = std::sqrt(std::max(g, 0.0));
    }
    Eigen::MatrixXd inner = root.asDiagonal() * gram_ * root.asDiagonal();
    inner.diagonal().array() += 1.0;
    const Eigen::LLT<Eigen::MatrixXd> factor(inner);
    if (factor.info() != Eigen::Success) return false;
    const Eigen::VectorXd b_gradient = root.cwiseProduct(unit_ * gradient);
    direction = gradient - unit_.transpose() * root.cwiseProduct(factor.solve(b_gradient));
    return direction.allFinite();
  }

  /// The start: the Genz–Bretz point, x_j the truncated mean of its interval given x_{<j}.
  Eigen::VectorXd start() const {
    Eigen::VectorXd x = Eigen::VectorXd::Zero(d_ - 1);
    for (int j = 0; j + 1 < d_; ++j) {
      const double c = scaled_.row(j).head(j).dot(x.head(j));
      x(j) = truncated_normal_mean(lower_(j) - c, upper_(j) - c);
    }
    return x;
  }

 private:
  int d_;
  Eigen::MatrixXd scaled_;          // L̃
  Eigen::MatrixXd unit_;            // L̂
  Eigen::MatrixXd gram_;            // L̂L̂ᵀ
  Eigen::VectorXd lower_, upper_;   // l̃, ũ
  Eigen::VectorXd mu_, p_, variance_;
  double value_ = 0.0;
};

/// Newton's method with Armijo backtracking on the concave ψ̄; once the Newton decrement
/// ∇ψ̄ᵀ(−∇²ψ̄)⁻¹∇ψ̄ (twice the predicted gain) is ≤ 1e-8, full steps (the gain is then below
/// the resolution of ψ̄'s rounding) until it is ≤ 1e-20 or stops falling quadratically.
/// `found` is false for factors it does not apply to (rank < 2, several rows per variable),
/// a start outside the polytope, a failed line search or factorization, or no convergence
/// within max_iterations.
inline tilting_point minimax_tilting_point(const ordered_factor& f, int max_iterations = 50) {
  tilting_point out;
  const int d = f.rank;
  if (d < 2 || f.factor.rows() != d) return out;
  tilting_objective psi(f);
  Eigen::VectorXd x = psi.start();
  if (!psi.evaluate(x)) return out;
  double previous = std::numeric_limits<double>::infinity();  // the last decrement
  for (int iteration = 0; iteration < max_iterations; ++iteration) {
    out.iterations = iteration + 1;
    const Eigen::VectorXd gradient = psi.gradient();
    Eigen::VectorXd direction;
    if (!psi.newton_direction(gradient, direction)) return out;
    const double decrement = gradient.dot(direction);
    if (!(decrement >= 0.0)) return out;  // NaN
    // Converged at 1e-20, or when quadratic convergence stalls at the rounding floor.
    if (decrement <= 1e-20 || (decrement <= 1e-8 && decrement > 1e-2 * previous)) {
      out.found = true;
      break;
    }
    previous = decrement;
    if (decrement <= 1e-8) {  // quadratic convergence: full steps, below Armijo's resolution
      const Eigen::VectorXd trial = x + direction;
      if (!psi.evaluate(trial)) {
        psi.evaluate(x);
        out.found = true;
        break;
      }
      x = trial;
      continue;
    }
    const double value = psi.value();
    bool moved = false;
    for (double step = 1.0; step >= 1e-10 && !moved; step *= 0.5) {
      const Eigen::VectorXd trial = x + step * direction;
      moved = psi.evaluate(trial) && psi.value() >= value + 1e-4 * step * decrement;
      if (moved) x = trial;
    }
    if (!moved) {  // no step gains although the decrement is large: a failure
      psi.evaluate(x);
      break;
    }
  }
  if (!out.found) return out;
  out.x = Eigen::VectorXd::Zero(d);
  out.x.head(d - 1) = x;
  out.mu = Eigen::VectorXd::Zero(d);
  out.mu.head(d - 1) = psi.mu().head(d - 1);
  out.log_bound = psi.value();
  return out;
}

/// The SOV integral, tilted where the small-p contract needs it: when the Genz–Bretz
/// estimate of p is below tilting_threshold and a pilot round of the plain integrand
/// (randomizations × initial_points points) does not already show p ≥ abs_tol (mean − error
/// ≥ abs_tol: then abs_tol alone is the target and the plain integrand is the faster), and
/// the tilting point is found (within `newton_iterations`). Otherwise the plain
/// integrate_sov.
inline qmc_estimate integrate_small_p(const ordered_factor& f, const mvn_options& opt,
                                      int newton_iterations = 50) {
  if (!(f.log_estimate < std::log(tilting_threshold))) return integrate_sov(f, opt);
  mvn_options pilot_options = opt;
  pilot_options.max_points = std::min<std::uint64_t>(
      opt.max_points,
      opt.initial_points * static_cast<std::uint64_t>(std::max(2, opt.randomizations)));
  const qmc_estimate pilot = integrate_sov(f, pilot_options);
  if (std::exp(pilot.log_scale) * (pilot.value - pilot.error) >= opt.abs_tol &&
      opt.abs_tol > 0.0) {
    return integrate_sov(f, opt);
  }
  const tilting_point tilt = minimax_tilting_point(f, newton_iterations);
  if (!tilt.found) return integrate_sov(f, opt);
  sov_integrand integrand(f);
  integrand.set_tilt(tilt.mu, tilt.log_bound);
  qmc_estimate out = integrate_randomized(integrand, tilt.log_bound, opt);
  out.tilted = true;
  return out;
}

}  // namespace probust::detail
