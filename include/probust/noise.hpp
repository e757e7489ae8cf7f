#pragma once
/// \file noise.hpp
/// Gaussian input noise ε ~ N(0, Σ) as value types: isotropic (Σ = σ²I), diagonal
/// (Σ = diag(σ₁², …, σ_d²)) and full covariance. Each keeps a factor F with Σ = F Fᵀ,
/// computed once, and offers the same interface:
///
///     dimension()                  d, or 0 for "any d" (isotropic)
///     check_dimension(d, fn)       throws probust::invalid_argument unless d fits
///     apply_factor(M)              M·F for M with d columns (G Σ Gᵀ = (G F)(G F)ᵀ)
///     covariance(d)                Σ as a d × d matrix
///     sample(engine, out)          one draw ε = F z, z ~ N(0, I), into a d-vector
///     sample_batch(engine, out)    n draws into the columns of a d × n matrix, the same
///                                  numbers as n successive calls of sample
///
/// Normals come from probust::standard_normal (the same bits for a given engine state on
/// IEEE-754 platforms, up to the rare draws that call exp/log; see random.hpp).

#include <Eigen/Dense>
#include <cmath>
#include <string>
#include <type_traits>
#include <utility>

#include "probust/errors.hpp"
#include "probust/detail/validate.hpp"
#include "probust/random.hpp"

namespace probust {
namespace detail {

/// Throws "<function>: the input has dimension d but the noise has dimension n" unless
/// d == n.
inline void require_noise_dimension(Eigen::Index d, Eigen::Index n, const char* function) {
  if (d != n) {
    throw_invalid_argument(function, "the input has dimension " + std::to_string(d) +
                                         " but the noise has dimension " + std::to_string(n));
  }
}

/// The floating-point type a noise parameter of type U deduces: U itself if it is
/// floating-point, else double (so `isotropic_gaussian noise{1}` is a double noise).
template <class U>
using noise_scalar_t = std::conditional_t<std::is_floating_point<U>::value, U, double>;

}  // namespace detail

/// Isotropic Gaussian noise ε ~ N(0, σ² I_d) for any dimension d; factor F = σ I
/// (implicit, never stored).
template <class T = double>
class isotropic_gaussian {
  static_assert(std::is_floating_point<T>::value,
                "probust::isotropic_gaussian: T must be a floating-point type");

 public:
  using scalar_type = T;
  using vector_type = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  using matrix_type = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

  /// The standard deviation σ of every coordinate. Throws probust::invalid_argument
  /// unless σ is finite and > 0.
  explicit isotropic_gaussian(T sigma) : sigma_(sigma) {
    if (!(std::isfinite(sigma) && sigma > T(0))) {
      detail::throw_invalid_argument("probust::isotropic_gaussian",
                                     "sigma must be positive and finite, got " +
                                         std::to_string(sigma));
    }
  }

  /// σ.
  T sigma() const noexcept { return sigma_; }
  /// 0: the noise adapts to the dimension of the input.
  Eigen::Index dimension() const noexcept { return 0; }
  /// Accepts every dimension (isotropic noise exists in all of them).
  void check_dimension(Eigen::Index /*d*/, const char* /*function*/) const noexcept {}

  /// M·F = σ M.
  template <class Derived>
  matrix_type apply_factor(const Eigen::MatrixBase<Derived>& m) const {
    return sigma_ * m;
  }

  /// Σ = σ² I_d.
  matrix_type covariance(Eigen::Index d) const {
    return matrix_type::Identity(d, d) * (sigma_ * sigma_);
  }

  /// One draw σ z, z ~ N(0, I), into `out` (its size is the dimension).
  template <class Engine>
  void sample(Engine& engine, Eigen::Ref<vector_type> out) const {
    fill_standard_normal(engine, out);
    out *= sigma_;
  }

  /// out.cols() draws into the columns of `out`.
  template <class Engine>
  void sample_batch(Engine& engine, Eigen::Ref<matrix_type> out) const {
    fill_standard_normal(engine, out);
    out *= sigma_;
  }

 private:
  T sigma_;
};

/// `isotropic_gaussian noise{0.1}` is a double noise, and so is `isotropic_gaussian{1}`.
template <class U>
isotropic_gaussian(U) -> isotropic_gaussian<detail::noise_scalar_t<U>>;

/// Independent Gaussian noise per feature, ε ~ N(0, diag(σ₁², …, σ_d²)); factor
/// F = diag(σ).
template <class T = double>
class diagonal_gaussian {
  static_assert(std::is_floating_point<T>::value,
                "probust::diagonal_gaussian: T must be a floating-point type");

 public:
  using scalar_type = T;
  using vector_type = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  using matrix_type = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

  /// The per-feature standard deviations σ (a vector of any Eigen scalar type, converted
  /// to T). Throws probust::invalid_argument if σ is empty or not a vector, or if an
  /// entry is non-finite or ≤ 0.
  template <class Derived>
  explicit diagonal_gaussian(const Eigen::MatrixBase<Derived>& sigmas) {
    constexpr const char* fn = "probust::diagonal_gaussian";
    if (sigmas.size() == 0 || (sigmas.rows() != 1 && sigmas.cols() != 1)) {
      detail::throw_invalid_argument(fn, "sigmas must be a non-empty vector, got " +
                                             std::to_string(sigmas.rows()) + " x " +
                                             std::to_string(sigmas.cols()));
    }
    sigmas_ = sigmas.reshaped().template cast<T>();
    for (Eigen::Index i = 0; i < sigmas_.size(); ++i) {
      if (!(std::isfinite(sigmas_(i)) && sigmas_(i) > T(0))) {
        detail::throw_invalid_argument(fn, "sigmas must be positive and finite, got " +
                                               std::to_string(sigmas_(i)) + " at index " +
                                               std::to_string(i));
      }
    }
  }

  /// σ.
  const vector_type& sigmas() const noexcept { return sigmas_; }
  /// d.
  Eigen::Index dimension() const noexcept { return sigmas_.size(); }
  /// Throws probust::invalid_argument (message starting with `function`) unless d is the
  /// noise dimension.
  void check_dimension(Eigen::Index d, const char* function) const {
    detail::require_noise_dimension(d, dimension(), function);
  }

  /// M·F = M diag(σ) (column j of M scaled by σ_j). Throws probust::invalid_argument
  /// unless M has d columns.
  template <class Derived>
  matrix_type apply_factor(const Eigen::MatrixBase<Derived>& m) const {
    check_dimension(m.cols(), "probust::diagonal_gaussian::apply_factor");
    return m * sigmas_.asDiagonal();
  }

  /// Σ = diag(σ²).
  matrix_type covariance() const { return sigmas_.array().square().matrix().asDiagonal(); }
  /// Σ, after checking that d is the noise dimension.
  matrix_type covariance(Eigen::Index d) const {
    check_dimension(d, "probust::diagonal_gaussian::covariance");
    return covariance();
  }

  /// One draw σ ⊙ z, z ~ N(0, I), into `out` (size d).
  template <class Engine>
  void sample(Engine& engine, Eigen::Ref<vector_type> out) const {
    check_dimension(out.size(), "probust::diagonal_gaussian::sample");
    fill_standard_normal(engine, out);
    out.array() *= sigmas_.array();
  }

  /// out.cols() draws into the columns of `out` (d × n).
  template <class Engine>
  void sample_batch(Engine& engine, Eigen::Ref<matrix_type> out) const {
    check_dimension(out.rows(), "probust::diagonal_gaussian::sample_batch");
    fill_standard_normal(engine, out);
    out = sigmas_.asDiagonal() * out;
  }

 private:
  vector_type sigmas_;
};

/// `diagonal_gaussian noise{sigmas}` takes its scalar type from `sigmas`.
template <class Derived>
diagonal_gaussian(const Eigen::MatrixBase<Derived>&)
    -> diagonal_gaussian<detail::noise_scalar_t<typename Derived::Scalar>>;

/// Gaussian noise with a full covariance, ε ~ N(0, Σ), Σ symmetric positive
/// semi-definite (singular allowed). Factor F = Pᵀ L with L lower triangular and P a
/// permutation: the Cholesky factor (P = I) when Σ is positive definite, otherwise
/// L = L̃ D^{1/2} from the pivoted LDLᵀ factorization Σ = Pᵀ L̃ D L̃ᵀ P (Golub & Van Loan,
/// Matrix Computations, 4th ed., §4.2), so rank-deficient Σ is represented exactly.
/// The factorization is computed in double whatever T is.
template <class T = double>
class gaussian {
  static_assert(std::is_floating_point<T>::value,
                "probust::gaussian: T must be a floating-point type");

 public:
  using scalar_type = T;
  using vector_type = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  using matrix_type = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

  /// The covariance Σ (d × d, any Eigen scalar type, converted to T). Throws
  /// probust::invalid_argument if Σ is empty, not square, non-finite, not symmetric (to
  /// 1e-10 relative), has a negative variance, or is not positive semi-definite: the
  /// factor, computed in double, must reproduce Σ to 1e-10·max|Σ_ij| (F Fᵀ = Σ − E,
  /// |E_ij| ≤ 1e-10·max|Σ|), which a matrix with an eigenvalue below −d·1e-10·max|Σ|
  /// cannot satisfy (‖E‖₂ ≤ d·max|E_ij|).
  template <class Derived>
  explicit gaussian(const Eigen::MatrixBase<Derived>& covariance) {
    constexpr const char* fn = "probust::gaussian";
    if (covariance.size() == 0) detail::throw_invalid_argument(fn, "covariance is empty");
    detail::require_covariance_shape(covariance, fn, "covariance");
    const Eigen::MatrixXd sigma = covariance.template cast<double>();
    const Eigen::Index d = sigma.rows();
    Eigen::MatrixXd lower;
    permutation_.resize(d);
    const Eigen::LLT<Eigen::MatrixXd> llt(sigma);
    if (llt.info() == Eigen::Success) {
      lower = llt.matrixL();
      permutation_.setIdentity();
    } else {
      // Positive semi-definite but singular, or indefinite. LDLT's info() is not used: it
      // also flags an exactly zero pivot whose column keeps rounding residue, which
      // singular PSD matrices have; the reconstruction test decides instead.
      const Eigen::LDLT<Eigen::MatrixXd> ldlt(sigma);
      lower = Eigen::MatrixXd(ldlt.matrixL()) *
              ldlt.vectorD().cwiseMax(0.0).cwiseSqrt().asDiagonal();
      permutation_ = ldlt.transpositionsP();
      const Eigen::MatrixXd factor = permutation_.transpose() * lower;
      const double scale = sigma.cwiseAbs().maxCoeff();
      if ((factor * factor.transpose() - sigma).cwiseAbs().maxCoeff() > 1e-10 * scale) {
        detail::throw_invalid_argument(fn, "covariance is not positive semi-definite");
      }
    }
    covariance_ = covariance.template cast<T>();
    lower_ = lower.cast<T>();
  }

  /// Σ as given (converted to T).
  const matrix_type& covariance() const noexcept { return covariance_; }
  /// Σ, after checking that d is the noise dimension.
  const matrix_type& covariance(Eigen::Index d) const {
    check_dimension(d, "probust::gaussian::covariance");
    return covariance_;
  }
  /// The factor F = Pᵀ L (d × d) with Σ = F Fᵀ.
  matrix_type factor() const { return permutation_.transpose() * lower_; }
  /// d.
  Eigen::Index dimension() const noexcept { return covariance_.rows(); }
  /// Throws probust::invalid_argument (message starting with `function`) unless d is the
  /// noise dimension.
  void check_dimension(Eigen::Index d, const char* function) const {
    detail::require_noise_dimension(d, dimension(), function);
  }

  /// M·F = (M Pᵀ) L, with a triangular product. Throws probust::invalid_argument unless M
  /// has d columns.
  template <class Derived>
  matrix_type apply_factor(const Eigen::MatrixBase<Derived>& m) const {
    check_dimension(m.cols(), "probust::gaussian::apply_factor");
    const matrix_type permuted = m * permutation_.transpose();
    return permuted * lower_.template triangularView<Eigen::Lower>();
  }

  /// One draw F z, z ~ N(0, I), into `out` (size d), computed in place (no allocation).
  template <class Engine>
  void sample(Engine& engine, Eigen::Ref<vector_type> out) const {
    check_dimension(out.size(), "probust::gaussian::sample");
    fill_standard_normal(engine, out);
    // out ← L out in place: column j, from the last, adds L(j+1:, j)·z_j below row j
    // after row j has been read and replaced by L(j, j)·z_j.
    const Eigen::Index d = out.size();
    for (Eigen::Index j = d; j-- > 0;) {
      const T z = out(j);
      out(j) = lower_(j, j) * z;
      out.tail(d - 1 - j) += lower_.col(j).tail(d - 1 - j) * z;
    }
    out = permutation_.transpose() * out;
  }

  /// out.cols() draws into the columns of `out` (d × n).
  template <class Engine>
  void sample_batch(Engine& engine, Eigen::Ref<matrix_type> out) const {
    check_dimension(out.rows(), "probust::gaussian::sample_batch");
    fill_standard_normal(engine, out);
    out = permutation_.transpose() * (lower_.template triangularView<Eigen::Lower>() * out);
  }

 private:
  matrix_type covariance_;
  matrix_type lower_;                                        // L, lower triangular
  Eigen::Transpositions<Eigen::Dynamic> permutation_;        // P (identity for Cholesky)
};

/// `gaussian noise{covariance}` takes its scalar type from `covariance`.
template <class Derived>
gaussian(const Eigen::MatrixBase<Derived>&)
    -> gaussian<detail::noise_scalar_t<typename Derived::Scalar>>;

}  // namespace probust
