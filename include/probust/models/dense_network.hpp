#pragma once
/// \file dense_network.hpp
/// A dense feed-forward network f(x) = σ_L(W_L σ_{L−1}(⋯ σ_1(W_1 x + b_1) ⋯) + b_L) with an
/// analytic logit Jacobian and a batched forward pass (one matrix product per layer).

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "probust/detail/math.hpp"
#include "probust/errors.hpp"
#include "probust/detail/validate.hpp"

namespace probust {

/// Element-wise activation functions σ of a dense layer (z is the pre-activation):
///
///   identity     σ(z) = z
///   relu         σ(z) = max(z, 0)                      σ'(0) taken as 0
///   leaky_relu   σ(z) = z if z > 0, else a·z           a = dense_layer::slope (default 0.01);
///                                                       σ'(0) taken as a
///   tanh         σ(z) = tanh z
///   sigmoid      σ(z) = 1 / (1 + e^{−z})
///   softplus     σ(z) = log(1 + e^{z})                 σ' = sigmoid
///   gelu         σ(z) = z Φ(z) = ½ z (1 + erf(z/√2))    exact (erf) form, not the tanh
///                                                       approximation; Hendrycks & Gimpel,
///                                                       arXiv:1606.08415
///
/// The derivative conventions at the kinks are those of PyTorch's autograd.
enum class activation { identity, relu, leaky_relu, tanh, sigmoid, softplus, gelu };

/// The lower-case name of an activation as used in model files ("identity", "relu",
/// "leaky_relu", "tanh", "sigmoid", "softplus", "gelu"), or "unknown" for a value outside
/// the enumeration.
inline const char* activation_name(activation a) noexcept {
  switch (a) {
    case activation::identity: return "identity";
    case activation::relu: return "relu";
    case activation::leaky_relu: return "leaky_relu";
    case activation::tanh: return "tanh";
    case activation::sigmoid: return "sigmoid";
    case activation::softplus: return "softplus";
    case activation::gelu: return "gelu";
  }
  return "unknown";
}

namespace detail {

/// Φ(z) = ½ erfc(−z/√2) (the erfc form keeps relative accuracy for z ≪ 0).
template <class T>
T gelu_cdf(T z) {
  return T(0.5) * std::erfc(-z * inv_sqrt2<T>);
}

/// Applies σ in place to every entry of `z` (a vector or a matrix of pre-activations).
template <class Derived>
void apply_activation(Eigen::MatrixBase<Derived>& z, activation a,
                      typename Derived::Scalar slope) {
  using T = typename Derived::Scalar;
  switch (a) {
    case activation::identity: return;
    case activation::relu: z = z.cwiseMax(T(0)); return;
    case activation::leaky_relu:
      z = z.unaryExpr([slope](T v) { return v > T(0) ? v : slope * v; });
      return;
    case activation::tanh: z.array() = z.array().tanh(); return;
    case activation::sigmoid: z = z.unaryExpr([](T v) { return logistic(v); }); return;
    case activation::softplus: z = z.unaryExpr([](T v) { return softplus(v); }); return;
    case activation::gelu: z = z.unaryExpr([](T v) { return v * gelu_cdf(v); }); return;
  }
}

/// σ'(z) entry by entry: identity 1; relu 1[z > 0]; leaky_relu 1 or a; tanh 1 − tanh²z;
/// sigmoid s(1 − s); softplus logistic(z); gelu Φ(z) + z φ(z).
template <class T>
Eigen::Matrix<T, Eigen::Dynamic, 1> activation_derivative(
    const Eigen::Matrix<T, Eigen::Dynamic, 1>& z, activation a, T slope) {
  switch (a) {
    case activation::identity: break;
    case activation::relu:
      return z.unaryExpr([](T v) { return v > T(0) ? T(1) : T(0); });
    case activation::leaky_relu:
      return z.unaryExpr([slope](T v) { return v > T(0) ? T(1) : slope; });
    case activation::tanh:
      return z.unaryExpr([](T v) {
        const T t = std::tanh(v);
        return T(1) - t * t;
      });
    case activation::sigmoid:
      return z.unaryExpr([](T v) {
        const T s = logistic(v);
        return s * (T(1) - s);
      });
    case activation::softplus: return z.unaryExpr([](T v) { return logistic(v); });
    case activation::gelu:
      return z.unaryExpr([](T v) {
        return gelu_cdf(v) + v * inv_sqrt_2pi<T> * std::exp(T(-0.5) * v * v);
      });
  }
  return Eigen::Matrix<T, Eigen::Dynamic, 1>::Ones(z.size());
}

}  // namespace detail

/// One dense layer: a = σ(W a_prev + b), W of size out × in, b of size out.
template <class T = double>
struct dense_layer {
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> weights;  ///< W (out × in)
  Eigen::Matrix<T, Eigen::Dynamic, 1> bias;                  ///< b (out)
  probust::activation activation = probust::activation::identity;  ///< σ
  T slope = T(0.01);  ///< negative-side slope a of leaky_relu (ignored by the others)
};

/// A dense feed-forward network: layer l maps a_{l−1} to a_l = σ_l(W_l a_{l−1} + b_l),
/// a_0 = x, logits f(x) = a_L. The last layer is usually `activation::identity` (the
/// logits), but any activation is allowed.
///
/// Jacobian (reverse accumulation of the chain rule, with z_l = W_l a_{l−1} + b_l):
///
///     ∂f/∂x = diag(σ_L'(z_L)) W_L · diag(σ_{L−1}'(z_{L−1})) W_{L−1} ⋯ diag(σ_1'(z_1)) W_1,
///
/// multiplied from the output side so every product has only K rows (K × d in all).
template <class T = double>
class dense_network {
  static_assert(std::is_floating_point<T>::value,
                "probust::dense_network: T must be a floating-point type");

 public:
  using scalar_type = T;
  using vector_type = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  using matrix_type = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using layer_type = dense_layer<T>;

  /// Takes the layers from input to output. Throws probust::invalid_argument, naming the
  /// layer (counted from 1), if there are no layers, a weight matrix is empty, a bias
  /// does not have W.rows() entries, a layer's input count differs from the previous
  /// layer's output count, a weight, bias or leaky_relu slope is non-finite, or an
  /// activation value is outside the enumeration.
  explicit dense_network(std::vector<layer_type> layers) : layers_(std::move(layers)) {
    constexpr const char* fn = "probust::dense_network";
    if (layers_.empty()) detail::throw_invalid_argument(fn, "the network has no layers");
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const layer_type& layer = layers_[l];
      const std::string name = "layer " + std::to_string(l + 1);
      if (layer.weights.size() == 0) {
        detail::throw_invalid_argument(fn, name + ": W is empty (" +
                                               std::to_string(layer.weights.rows()) + " x " +
                                               std::to_string(layer.weights.cols()) + ")");
      }
      if (layer.bias.size() != layer.weights.rows()) {
        detail::throw_invalid_argument(fn, name + ": b has size " +
                                               std::to_string(layer.bias.size()) + " but W has " +
                                               std::to_string(layer.weights.rows()) + " rows");
      }
      if (l > 0 && layer.weights.cols() != layers_[l - 1].weights.rows()) {
        detail::throw_invalid_argument(
            fn, name + " has " + std::to_string(layer.weights.cols()) + " inputs but layer " +
                    std::to_string(l) + " has " + std::to_string(layers_[l - 1].weights.rows()) +
                    " outputs");
      }
      detail::require_finite(layer.weights, fn, (name + " W").c_str());
      detail::require_finite(layer.bias, fn, (name + " b").c_str());
      if (static_cast<int>(layer.activation) < 0 ||
          static_cast<int>(layer.activation) > static_cast<int>(activation::gelu)) {
        detail::throw_invalid_argument(fn, name + " has an invalid activation value " +
                                               std::to_string(static_cast<int>(layer.activation)));
      }
      if (!std::isfinite(layer.slope)) {
        detail::throw_invalid_argument(fn, name + " has a non-finite leaky_relu slope");
      }
    }
  }

  /// The logits f(x). Throws probust::invalid_argument if x does not have d entries.
  vector_type operator()(const vector_type& x) const {
    check_input(x.size(), "x has size");
    vector_type a = x;
    for (const layer_type& layer : layers_) {
      vector_type z = layer.bias;
      z.noalias() += layer.weights * a;
      detail::apply_activation(z, layer.activation, layer.slope);
      a = std::move(z);
    }
    return a;
  }

  /// The K × d logit Jacobian ∂f_i/∂x_j at x (analytic; see the class comment). Throws
  /// probust::invalid_argument if x does not have d entries.
  matrix_type jacobian(const vector_type& x) const {
    check_input(x.size(), "x has size");
    const std::size_t n_layers = layers_.size();
    std::vector<vector_type> pre_activations(n_layers);
    vector_type a = x;
    for (std::size_t l = 0; l < n_layers; ++l) {
      const layer_type& layer = layers_[l];
      vector_type& z = pre_activations[l];
      z = layer.bias;
      z.noalias() += layer.weights * a;
      a = z;
      detail::apply_activation(a, layer.activation, layer.slope);
    }
    // Backward: J ← diag(σ_L'(z_L)) W_L, then J ← J diag(σ_l'(z_l)) W_l for l = L−1, …, 1.
    const layer_type& last = layers_.back();
    matrix_type J = last.weights;
    if (last.activation != activation::identity) {
      J.array().colwise() *= detail::activation_derivative(pre_activations.back(),
                                                           last.activation, last.slope)
                                 .array();
    }
    for (std::size_t l = n_layers - 1; l-- > 0;) {
      const layer_type& layer = layers_[l];
      if (layer.activation != activation::identity) {
        J.array().rowwise() *=
            detail::activation_derivative(pre_activations[l], layer.activation, layer.slope)
                .array()
                .transpose();
      }
      J = J * layer.weights;
    }
    return J;
  }

  /// The logits of the n columns of X (d × n) at once, K × n: one matrix product
  /// W_l A_{l−1} + b_l·1ᵀ per layer, no per-input allocation. Throws
  /// probust::invalid_argument if X does not have d rows.
  matrix_type forward_batch(const matrix_type& X) const {
    check_input(X.rows(), "X has row count");
    matrix_type current;
    matrix_type next;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const layer_type& layer = layers_[l];
      next.resize(layer.weights.rows(), X.cols());
      if (l == 0) {
        next.noalias() = layer.weights * X;
      } else {
        next.noalias() = layer.weights * current;
      }
      next.colwise() += layer.bias;
      detail::apply_activation(next, layer.activation, layer.slope);
      current.swap(next);
    }
    return current;
  }

  /// The layers, input side first.
  const std::vector<layer_type>& layers() const noexcept { return layers_; }
  /// d, the number of inputs of the first layer.
  Eigen::Index input_dimension() const noexcept { return layers_.front().weights.cols(); }
  /// K, the number of outputs (logits) of the last layer.
  Eigen::Index output_dimension() const noexcept { return layers_.back().weights.rows(); }

 private:
  // Throws unless `size` (of x, or the rows of X) equals d.
  void check_input(Eigen::Index size, const char* what) const {
    if (size != input_dimension()) {
      detail::throw_invalid_argument("probust::dense_network",
                                     std::string(what) + " " + std::to_string(size) +
                                         " but the input dimension is " +
                                         std::to_string(input_dimension()));
    }
  }

  std::vector<layer_type> layers_;
};

}  // namespace probust
