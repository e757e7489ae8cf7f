#pragma once
/// \file curves.hpp
/// Robustness as a function of the noise level: the curve σ ↦ p(σ) of an estimator at
/// one input under isotropic noise N(0, σ²I), and the robustness radius σ*(x), the σ at
/// which p(σ) falls to a threshold τ:
///
///     p(σ) = P_{ε ~ N(0, σ²I)} [ argmax_i f_i(x + ε) = t ],     p(σ*) = τ.
///
/// Han, Srinivas & Lakkaraju (UAI 2024, arXiv 2307.13885) compare points by p at a few
/// fixed σ; σ* ranks them by a single number in input units instead. For the Taylor
/// estimator a whole curve costs one Jacobian: with the margins g and their gradient G
/// at x, and z ~ N(0, I),
///
///     p_taylor(σ) = P(g + σ G z > 0) = P(g/σ + G z > 0),
///
/// so only the MVN evaluation depends on σ. When every margin is positive (t is the
/// prediction) the events {g/σ + G z > 0} shrink as σ grows: p_taylor is non-increasing,
/// from 1 at σ → 0 to the orthant probability P(G z > 0) ≤ 1/2 as σ → ∞ (exactly 1/2
/// for two classes), so thresholds at or below that limit are never crossed.

#include <Eigen/Dense>
#include <algorithm>
#include <boost/math/tools/toms748_solve.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "probust/detail/boost_policy.hpp"
#include "probust/detail/charconv.hpp"
#include "probust/errors.hpp"
#include "probust/estimators/linearization.hpp"
#include "probust/estimators/mv_sigmoid.hpp"
#include "probust/estimators/result.hpp"
#include "probust/estimators/taylor.hpp"
#include "probust/model.hpp"
#include "probust/mvn/univariate.hpp"
#include "probust/noise.hpp"

namespace probust {

/// Options of robustness_radius. An aggregate; every member has its documented default.
struct radius_options {
  /// τ, the robustness level whose crossing defines σ*: p(σ*) = τ. In (0, 1); default 0.9.
  double threshold = 0.9;
  /// The first σ evaluated by the bracketing walk. 0 (default) = automatic (see
  /// robustness_radius); otherwise a value in [sigma_min, sigma_max].
  double sigma_start = 0.0;
  /// The smallest σ evaluated; finite, > 0 (and > 0 in the estimator's scalar type).
  /// Default 1e-6.
  double sigma_min = 1e-6;
  /// The largest σ evaluated; finite, > sigma_min (and representable in the estimator's
  /// scalar type). Default 1e6.
  double sigma_max = 1e6;
  /// The refinement stops when the bracket's relative width (upper − lower)/lower is at
  /// most this; > 0, default 1e-3. Widths below the resolution of a QMC- or Monte-Carlo-
  /// evaluated p(σ) only locate its noise (see robustness_radius).
  double relative_tolerance = 1e-3;
  /// Budget of p(σ) evaluations, bracketing and refinement together; ≥ 1, default 64
  /// (enough to walk the default [sigma_min, sigma_max] end to end and refine).
  unsigned max_evaluations = 64;
};

/// The robustness radius found by robustness_radius, with the bracket that shows it.
///
/// The bracket [lower, upper] satisfies p(lower) ≥ τ > p(upper) *as evaluated* (p the
/// estimate's `probability`). Its ends are evaluated σ, except an end at 0 or +∞, which
/// stands for "not reached" and has no estimate. The outcomes:
///
/// | found | converged | meaning                                      | radius | bracket         |
/// |-------|-----------|----------------------------------------------|--------|-----------------|
/// | true  | true      | σ* located to relative_tolerance             | σ̂      | both ends finite|
/// | true  | false     | σ* bracketed, budget ran out while refining  | σ̂      | both ends finite|
/// | false | true      | p(sigma_max) ≥ τ: not crossed in the range   | +∞     | [sigma_max, +∞) |
/// | false | true      | p(sigma_min) < τ: already below at sigma_min | 0      | (0, sigma_min]  |
/// | false | false     | budget ran out while bracketing upwards      | +∞     | [lower, +∞)     |
/// | false | false     | budget ran out while bracketing downwards    | 0      | (0, upper]      |
///
/// σ̂ is the secant (regula falsi) point of p − τ between the bracket ends, so
/// lower ≤ σ̂ < upper.
struct radius_result {
  /// σ̂ when found; otherwise +∞ (p ≥ τ up to `lower`, not crossed there) or 0 (p < τ
  /// already at `upper`), as in the table above.
  double radius = 0.0;
  double lower = 0.0;  ///< bracket end with p(lower) ≥ τ as evaluated; 0 = not reached
  double upper = std::numeric_limits<double>::infinity();  ///< p(upper) < τ; +∞ = not reached
  std::optional<robustness_result> at_lower;  ///< the estimate at lower (empty for lower = 0)
  std::optional<robustness_result> at_upper;  ///< the estimate at upper (empty for upper = +∞)
  /// A crossing was bracketed (both ends finite and evaluated) and refined.
  bool found = false;
  /// The search ended by its rule, not by max_evaluations: the bracket's relative width
  /// is ≤ relative_tolerance (found), or an end of [sigma_min, sigma_max] was reached.
  bool converged = false;
  /// p(σ) evaluations made (distinct σ; ≤ max_evaluations).
  unsigned evaluations = 0;
  /// Forward passes of the model in total. Taylor and Taylor-mvs: those of their one
  /// linearization (1, or 1 + 2d with finite differences), whatever the number of σ;
  /// other estimators: the sum over their estimates.
  std::uint64_t model_evaluations = 0;
};

namespace detail {

/// Estimators whose p(σ) is a formula of one linearization (g, G) at x, independent of
/// σ: `apply` fills a result exactly as the estimator's own estimate() does.
template <class Estimator>
struct linearized_formula : std::false_type {};

template <class T>
struct linearized_formula<taylor_estimator<T>> : std::true_type {
  using scalar_type = T;
  static int target(const taylor_estimator<T>& e) { return e.options().target; }
  template <class Noise>
  static void apply(const taylor_estimator<T>& e, const margin_linearization<T>& lin,
                    const Noise& noise, robustness_result& r) {
    r.estimator = e.name();
    taylor_from_linearization(lin, noise, e.options().mvn, e.options().paper_settings, r);
  }
};

template <class T>
struct linearized_formula<taylor_mv_sigmoid_estimator<T>> : std::true_type {
  using scalar_type = T;
  static int target(const taylor_mv_sigmoid_estimator<T>& e) { return e.options().target; }
  template <class Noise>
  static void apply(const taylor_mv_sigmoid_estimator<T>& e, const margin_linearization<T>& lin,
                    const Noise& noise, robustness_result& r) {
    r.estimator = e.name();
    mv_sigmoid_from_linearization(lin, noise, r);
  }
};

/// detail::linearize after the checks of x (require_input).
template <class Model, class T>
margin_linearization<T> checked_linearize(Model& model,
                                          const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                                          int target, const char* function) {
  require_input(x, function);
  return linearize(model, x, target, function);
}

/// p(σ) of a Taylor-type estimator: one linearization at construction, then the formula
/// per σ (bit-identical to estimator.estimate(model, x, isotropic_gaussian<T>(σ))).
template <class Estimator, class T>
class shared_linearization {
  using formula = linearized_formula<Estimator>;
  static_assert(std::is_same<typename formula::scalar_type, T>::value,
                "probust: the estimator's scalar type must be that of x (e.g. "
                "taylor_estimator<float> with an Eigen::VectorXf)");

 public:
  template <class Model>
  shared_linearization(const Estimator& estimator, Model& model,
                       const Eigen::Matrix<T, Eigen::Dynamic, 1>& x, const char* function)
      : estimator_(estimator), lin_(checked_linearize(model, x, formula::target(estimator),
                                                      function)) {}

  robustness_result operator()(double sigma) const {
    robustness_result r;
    formula::apply(estimator_, lin_, isotropic_gaussian<T>(static_cast<T>(sigma)), r);
    return r;
  }

  /// c = min_i g_i/‖G_i‖ over the rows with ‖G_i‖ > 0: the σ at which the tightest margin
  /// is one standard deviation of its noise away. 0 (no scale) when such a margin is ≤ 0
  /// or there is none.
  double scale() const {
    double c = std::numeric_limits<double>::infinity();
    for (Eigen::Index i = 0; i < lin_.margins.size(); ++i) {
      const double norm = static_cast<double>(lin_.gradient.row(i).norm());
      if (!(norm > 0.0)) continue;
      const double g = static_cast<double>(lin_.margins(i));
      if (!(g > 0.0)) return 0.0;
      c = std::min(c, g / norm);
    }
    return std::isfinite(c) ? c : 0.0;
  }

  /// The forward passes of the linearization: all there are.
  std::uint64_t model_evaluations() const { return lin_.model_evaluations; }

 private:
  const Estimator& estimator_;
  margin_linearization<T> lin_;
};

/// p(σ) of any other estimator: its estimate() under isotropic_gaussian<T>(σ) per σ.
template <class Estimator, class Model, class T>
class estimate_per_sigma {
 public:
  estimate_per_sigma(const Estimator& estimator, Model& model,
                     const Eigen::Matrix<T, Eigen::Dynamic, 1>& x, const char* /*function*/)
      : estimator_(estimator), model_(model), x_(x) {}

  robustness_result operator()(double sigma) {
    robustness_result r =
        estimator_.estimate(model_, x_, isotropic_gaussian<T>(static_cast<T>(sigma)));
    model_evaluations_ += r.model_evaluations;
    return r;
  }

  /// No natural scale without a linearization.
  double scale() const { return 0.0; }

  /// The forward passes of the estimates made so far.
  std::uint64_t model_evaluations() const { return model_evaluations_; }

 private:
  const Estimator& estimator_;
  Model& model_;
  const Eigen::Matrix<T, Eigen::Dynamic, 1>& x_;
  std::uint64_t model_evaluations_ = 0;
};

/// The evaluator of p(σ) for Estimator: shared_linearization for Taylor-type estimators,
/// estimate_per_sigma otherwise.
template <class Estimator, class Model, class T>
using sigma_evaluator =
    std::conditional_t<linearized_formula<Estimator>::value, shared_linearization<Estimator, T>,
                       estimate_per_sigma<Estimator, std::remove_reference_t<Model>, T>>;

/// True if σ is a valid noise level in scalar type T: finite, > 0, representable, and
/// not rounded to 0 by the conversion to T.
template <class T>
bool valid_sigma(double sigma) {
  return std::isfinite(sigma) && sigma > 0.0 &&
         sigma <= static_cast<double>(std::numeric_limits<T>::max()) &&
         static_cast<T>(sigma) > T(0);
}

/// Throws probust::invalid_argument naming the first invalid member of `o`.
template <class T>
void check_radius_options(const radius_options& o, const char* fn) {
  const auto fail = [fn](const char* member, const char* rule, double value) {
    throw_invalid_argument(fn, std::string("options.") + member + " must be " + rule + ", got " +
                                   format_number(value));
  };
  if (!(o.threshold > 0.0 && o.threshold < 1.0)) fail("threshold", "in (0, 1)", o.threshold);
  if (!valid_sigma<T>(o.sigma_min)) {
    fail("sigma_min", "positive and finite in the scalar type of x", o.sigma_min);
  }
  if (!(valid_sigma<T>(o.sigma_max) && o.sigma_max > o.sigma_min)) {
    fail("sigma_max", "finite in the scalar type of x and > sigma_min", o.sigma_max);
  }
  if (!(o.sigma_start == 0.0 || (o.sigma_start >= o.sigma_min && o.sigma_start <= o.sigma_max))) {
    fail("sigma_start", "0 (automatic) or in [sigma_min, sigma_max]", o.sigma_start);
  }
  if (!(o.relative_tolerance > 0.0 && std::isfinite(o.relative_tolerance))) {
    fail("relative_tolerance", "positive and finite", o.relative_tolerance);
  }
  if (o.max_evaluations < 1) fail("max_evaluations", "at least 1", o.max_evaluations);
}

/// The automatic first σ: with the evaluator's scale c (Taylor: min_i g_i/‖G_i‖),
/// c / Φ⁻¹(τ) for τ > 1/2 — the single-margin radius, where Φ(c/σ) = τ; an upper bound
/// of σ* for Taylor, since p(σ) ≤ Φ(c/σ), and exact for two classes — or c for τ ≤ 1/2;
/// without a scale the geometric mean √(sigma_min·sigma_max) (1 for the defaults).
/// Clamped to [sigma_min, sigma_max].
inline double automatic_start(double scale, const radius_options& o) {
  double start = std::sqrt(o.sigma_min) * std::sqrt(o.sigma_max);
  if (scale > 0.0) start = o.threshold > 0.5 ? scale / normal_quantile(o.threshold) : scale;
  return std::clamp(start, o.sigma_min, o.sigma_max);
}

/// The bracketing walk and the TOMS748 refinement of robustness_radius (see there).
template <class Evaluator>
radius_result find_radius(Evaluator& p, const radius_options& o) {
  const double tau = o.threshold;
  std::vector<std::pair<double, robustness_result>> seen;  // every σ evaluated, in order
  const auto at = [&](double sigma) {
    for (const auto& s : seen) {
      if (s.first == sigma) return s.second;
    }
    seen.emplace_back(sigma, p(sigma));
    return seen.back().second;
  };
  const auto budget_left = [&] { return seen.size() < o.max_evaluations; };
  const auto finish = [&](radius_result& out) {
    out.evaluations = static_cast<unsigned>(seen.size());
    out.model_evaluations = p.model_evaluations();
    return out;
  };

  // Bracketing: from the start, ×2 (while p ≥ τ) or ÷2 (while p < τ) steps, clamped to
  // [sigma_min, sigma_max], until p changes side.
  radius_result out;
  double sigma = o.sigma_start > 0.0 ? o.sigma_start : automatic_start(p.scale(), o);
  robustness_result r = at(sigma);
  double lo = 0.0, hi = 0.0;
  robustness_result r_lo, r_hi;
  if (r.probability >= tau) {
    lo = sigma;
    r_lo = r;
    while (true) {
      if (lo >= o.sigma_max || !budget_left()) {
        out.radius = std::numeric_limits<double>::infinity();
        out.lower = lo;
        out.at_lower = r_lo;
        out.converged = lo >= o.sigma_max;
        return finish(out);
      }
      sigma = std::min(2.0 * lo, o.sigma_max);
      r = at(sigma);
      if (r.probability < tau) break;
      lo = sigma;
      r_lo = r;
    }
    hi = sigma;
    r_hi = r;
  } else {
    hi = sigma;
    r_hi = r;
    while (true) {
      if (hi <= o.sigma_min || !budget_left()) {
        out.radius = 0.0;
        out.upper = hi;
        out.at_upper = r_hi;
        out.converged = hi <= o.sigma_min;
        return finish(out);
      }
      sigma = std::max(hi / 2.0, o.sigma_min);
      r = at(sigma);
      if (r.probability >= tau) break;
      hi = sigma;
      r_hi = r;
    }
    lo = sigma;
    r_lo = r;
  }

  // Refinement: TOMS748 (Alefeld, Potra & Shi, ACM TOMS 21 (1995) 327–344) on
  // h(σ) = p(σ) − τ over [lo, hi], h(lo) ≥ 0 > h(hi). An exact zero is moved to the
  // smallest positive double so that every bracket end keeps its side (p = τ counts as
  // p ≥ τ). The search runs in σ itself: over a factor-2 bracket p is as smooth in σ as in
  // log σ, and σ > 0 keeps Boost's relative step guards meaningful (in log σ they
  // degenerate at σ = 1).
  const auto h = [&](double s) {
    const double excess = at(s).probability - tau;
    return excess >= 0.0 ? std::max(excess, std::numeric_limits<double>::min()) : excess;
  };
  const auto narrow = [&](double a, double b) { return b - a <= o.relative_tolerance * a; };
  std::uintmax_t iterations = o.max_evaluations - seen.size();
  const std::pair<double, double> bracket = call_boost("probust::robustness_radius", [&] {
    return boost::math::tools::toms748_solve(h, lo, hi, h(lo), h(hi), narrow, iterations,
                                             boost_policy());
  });
  out.lower = bracket.first;
  out.upper = bracket.second;
  out.at_lower = at(out.lower);  // both ends were evaluated: no new evaluation
  out.at_upper = at(out.upper);
  const double h_lo = h(out.lower), h_hi = h(out.upper);
  out.radius = out.lower + h_lo / (h_lo - h_hi) * (out.upper - out.lower);
  out.found = true;
  out.converged = narrow(out.lower, out.upper);
  return finish(out);
}

}  // namespace detail

/// The robustness curve of `estimator` at x: for each σ in `sigmas` (any order, repeats
/// allowed; each finite and > 0), the estimate under isotropic_gaussian<T>(σ), in the
/// order of `sigmas`.
///
/// * taylor_estimator<T> and taylor_mv_sigmoid_estimator<T> linearize once (one forward
///   pass and one Jacobian: detail::linearize) and apply their formula per σ, so the
///   curve costs one Jacobian plus the MVN (or sigmoid) evaluations. Every result is
///   bit-identical to estimator.estimate(model, x, isotropic_gaussian<T>(σ)), including
///   its model_evaluations, which count that one linearization — the whole curve's
///   forward passes, not per σ.
/// * Every other estimator is called per σ. The stochastic ones (Monte Carlo, MMSE, …)
///   then draw from probust::point_engine(seed, 0) at every σ: the same standard normals z_j
///   scaled to ε_j = σ z_j (common random numbers), so the curve is smooth in σ rather
///   than jittered by independent noise — for Monte Carlo on an affine model
///   p̂(σ) = #{j : f(x + σ z_j) keeps t}/n is exactly non-increasing in σ. The noise of
///   different σ is then correlated, not independent.
///
/// Empty `sigmas` give an empty curve without calling the model. Throws
/// probust::invalid_argument for an invalid σ (naming its index), and whatever the
/// estimator's estimate() throws.
template <class Estimator, class Model, class T>
std::vector<robustness_result> robustness_curve(const Estimator& estimator, Model&& model,
                                                const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                                                const std::vector<double>& sigmas) {
  static_assert(detail::check_model<std::remove_reference_t<Model>, T>());
  constexpr const char* fn = "probust::robustness_curve";
  for (std::size_t i = 0; i < sigmas.size(); ++i) {
    if (!detail::valid_sigma<T>(sigmas[i])) {
      detail::throw_invalid_argument(fn, "sigmas[" + std::to_string(i) +
                                             "] must be positive and finite in the scalar "
                                             "type of x, got " +
                                             detail::format_number(sigmas[i]));
    }
  }
  std::vector<robustness_result> curve;
  if (sigmas.empty()) return curve;
  curve.reserve(sigmas.size());
  detail::sigma_evaluator<Estimator, Model, T> p(estimator, model, x, fn);
  for (double sigma : sigmas) curve.push_back(p(sigma));
  return curve;
}

/// The robustness radius σ*(x) of `estimator` at x: the noise level at which its p(σ)
/// under isotropic_gaussian<T>(σ) crosses τ = options.threshold,
///
///     σ* : p(σ*) = τ,   p(σ) ≥ τ just below σ*, p(σ) < τ just above.
///
/// Bracketing by doubling/halving from options.sigma_start, then Boost's TOMS748 until
/// (upper − lower)/lower ≤ relative_tolerance; every evaluation counts against
/// max_evaluations, and running out is a result (converged = false). The outcomes and the
/// meaning of each member are tabulated at radius_result. If p(σ) is not monotone, σ* is
/// the crossing reached from sigma_start. The algorithm, the automatic start, and how the
/// estimator's own error limits the accuracy of σ*: docs/curves.md.
///
/// Throws probust::invalid_argument naming the member for invalid options (threshold
/// outside (0, 1), sigma_min ≤ 0, sigma_max ≤ sigma_min or non-finite, sigma_start ≠ 0
/// outside the range, relative_tolerance ≤ 0, max_evaluations = 0), and whatever the
/// estimator throws for the model and x.
template <class Estimator, class Model, class T>
radius_result robustness_radius(const Estimator& estimator, Model&& model,
                                const Eigen::Matrix<T, Eigen::Dynamic, 1>& x,
                                const radius_options& options = {}) {
  static_assert(detail::check_model<std::remove_reference_t<Model>, T>());
  constexpr const char* fn = "probust::robustness_radius";
  detail::check_radius_options<T>(options, fn);
  detail::sigma_evaluator<Estimator, Model, T> p(estimator, model, x, fn);
  return detail::find_radius(p, options);
}

}  // namespace probust
