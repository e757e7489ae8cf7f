// train_digits — train two small digit classifiers, bit-for-bit reproducibly, and save them
// as probust model files.
//
// probust measures how robust a trained classifier is to Gaussian noise on its input; it
// does not train networks. This example makes the two networks the other examples and the
// benchmarks study, from the bundled 8×8 handwritten digits (examples/data/digits.csv, 64
// pixels in [0, 1] → 10 logits):
//   relu   64 → 128 → 64 → 10, ReLU hidden layers, identity output (the logits);
//   tanh   64 → 64 → 10, tanh hidden layer, identity output.
//
// Training is the textbook recipe, written out in full with Eigen so that each step can be
// read (and nothing depends on a deep-learning framework):
//   * initialisation  b = 0 and W uniform with variance s²: He's s² = 2/fan_in before a
//                     ReLU, Glorot's s² = 2/(fan_in + fan_out) otherwise (He et al. 2015;
//                     Glorot & Bengio 2010), from probust::random_engine and
//                     probust::uniform_open01, which give the same numbers everywhere;
//   * loss            softmax cross-entropy, mean over a mini-batch, plus ½λ‖W‖² on the
//                     weights (L2 weight decay, not on the biases);
//   * gradients       backpropagation over a mini-batch of B columns X (64 × B): with
//                     A₀ = X, Zₗ = Wₗ Aₗ₋₁ + bₗ 1ᵀ, Aₗ = σₗ(Zₗ), the output error is
//                     Δ_L = (softmax(Z_L) − Y)/B (Y one-hot), and going back
//                     ∂/∂Wₗ = Δₗ Aₗ₋₁ᵀ + λWₗ,  ∂/∂bₗ = Δₗ 1,  Δₗ₋₁ = (Wₗᵀ Δₗ) ∘ σ'(Zₗ₋₁);
//   * optimiser       Adam (Kingma & Ba 2015) on mini-batches of 32, in an order that a
//                     Fisher–Yates shuffle draws afresh each epoch from
//                     probust::point_engine(seed, 1 + epoch).
// The data are split by digits_data.hpp's split_digits: 1347 training and 450 test images,
// chosen by a seeded shuffle that is the same on every platform.
// Re-running gives identical files on the same platform and compiler; other platforms may
// differ in the last bits (summation order inside Eigen's products, libm's tanh and exp),
// not in accuracy.
//
// Usage: train_digits [--held-out] [output_dir]     (default: the current directory)
// The shipped examples/data/*.model files were made by `train_digits examples/data`.
// --held-out trains only a third network for the hard MVN benchmark cases instead
// (64 → 96 → 96 → 10 ReLU, its own seed, 300 epochs, no weight decay; not shipped:
// benchmarks/hard_cases.py makes it).
// After saving, each file is loaded back with probust::load_dense_network and must give
// exactly the in-memory network's logits on the test set. Exit status 1 if that fails or
// a test accuracy is below 0.93.
#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <probust/models/dense_network.hpp>
#include <probust/models/model_file.hpp>
#include <probust/random.hpp>

#include "digits_data.hpp"

namespace {

using matrix = Eigen::MatrixXd;
using layer = probust::dense_layer<double>;

struct training_options {
  int epochs = 40;
  Eigen::Index batch_size = 32;
  double learning_rate = 2e-3;  // Adam step size α
  double beta1 = 0.9;           // Adam decay rates of the first and second moments
  double beta2 = 0.999;
  double epsilon = 1e-8;
  double weight_decay = 1e-4;  // λ of the ½λ‖W‖² penalty
  std::uint64_t seed = probust::default_seed;
};

// σ applied to every entry of Z (only the activations this example trains with).
void activate(matrix& z, probust::activation a) {
  switch (a) {
    case probust::activation::relu: z = z.cwiseMax(0.0); break;
    case probust::activation::tanh: z = z.array().tanh().matrix(); break;
    default: break;  // identity
  }
}

// σ'(Z), written through the layer's output A = σ(Z): ReLU 1[A > 0], tanh 1 − A².
matrix derivative_from_output(const matrix& a, probust::activation act) {
  switch (act) {
    case probust::activation::relu: return (a.array() > 0.0).cast<double>().matrix();
    case probust::activation::tanh: return (1.0 - a.array().square()).matrix();
    default: return matrix::Ones(a.rows(), a.cols());
  }
}

// Layers of the given widths (sizes[0] inputs, …, sizes.back() logits), hidden layers with
// activation `hidden`, the last with identity; b = 0 and W uniform on (−a, a), a = √(3s²)
// (so Var W = s²), with u = probust::uniform_open01 from point_engine(seed, 0) and W = a(2u − 1),
// column by column: exact IEEE arithmetic, the same weights on every platform.
std::vector<layer> initial_layers(const std::vector<int>& sizes, probust::activation hidden,
                                  std::uint64_t seed) {
  probust::random_engine engine = probust::point_engine(seed, 0);
  std::vector<layer> layers;
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    const int fan_in = sizes[l];
    const int fan_out = sizes[l + 1];
    const bool last = l + 2 == sizes.size();
    layer current;
    current.activation = last ? probust::activation::identity : hidden;
    const double variance = current.activation == probust::activation::relu
                                ? 2.0 / fan_in               // He
                                : 2.0 / (fan_in + fan_out);  // Glorot
    const double a = std::sqrt(3.0 * variance);
    current.weights.resize(fan_out, fan_in);
    for (Eigen::Index j = 0; j < fan_in; ++j) {
      for (Eigen::Index i = 0; i < fan_out; ++i) {
        current.weights(i, j) = a * (2.0 * probust::uniform_open01(engine) - 1.0);
      }
    }
    current.bias = Eigen::VectorXd::Zero(fan_out);
    layers.push_back(std::move(current));
  }
  return layers;
}

// Column-wise softmax of logits Z (K × B), shifted by each column's maximum so exp cannot
// overflow.
matrix softmax_columns(const matrix& z) {
  matrix p = (z.rowwise() - z.colwise().maxCoeff()).array().exp().matrix();
  p.array().rowwise() /= p.colwise().sum().array();
  return p;
}

// Adam's running moment estimates for one layer.
struct adam_moments {
  matrix m_w, v_w;
  Eigen::VectorXd m_b, v_b;
};

// Trains `layers` in place on (inputs, labels) and returns the mean loss of the last epoch.
double train(std::vector<layer>& layers, const probust_examples::digits_dataset& data,
             const training_options& opt) {
  const std::size_t n_layers = layers.size();
  const Eigen::Index n = data.size();
  const Eigen::Index classes = layers.back().weights.rows();
  const matrix inputs_t = data.inputs.transpose();  // 64 × n: one column per image

  std::vector<adam_moments> moments(n_layers);
  for (std::size_t l = 0; l < n_layers; ++l) {
    moments[l].m_w = matrix::Zero(layers[l].weights.rows(), layers[l].weights.cols());
    moments[l].v_w = moments[l].m_w;
    moments[l].m_b = Eigen::VectorXd::Zero(layers[l].bias.size());
    moments[l].v_b = moments[l].m_b;
  }
  double beta1_t = 1.0;  // β₁ᵗ and β₂ᵗ for the bias correction
  double beta2_t = 1.0;

  std::vector<matrix> a(n_layers + 1);  // A₀ = X, A₁, …, A_L = Z_L (identity output)
  double epoch_loss = 0.0;
  for (int epoch = 0; epoch < opt.epochs; ++epoch) {
    probust::random_engine engine =
        probust::point_engine(opt.seed, 1 + static_cast<std::uint64_t>(epoch));
    const std::vector<Eigen::Index> order = probust_examples::random_permutation(n, engine);
    epoch_loss = 0.0;
    for (Eigen::Index start = 0; start < n; start += opt.batch_size) {
      const Eigen::Index b = std::min(opt.batch_size, n - start);
      a[0].resize(inputs_t.rows(), b);
      matrix y = matrix::Zero(classes, b);  // one-hot labels
      for (Eigen::Index k = 0; k < b; ++k) {
        const Eigen::Index i = order[static_cast<std::size_t>(start + k)];
        a[0].col(k) = inputs_t.col(i);
        y(data.labels(i), k) = 1.0;
      }

      // Forward: Zₗ = Wₗ Aₗ₋₁ + bₗ 1ᵀ, Aₗ = σₗ(Zₗ).
      for (std::size_t l = 0; l < n_layers; ++l) {
        a[l + 1].noalias() = layers[l].weights * a[l];
        a[l + 1].colwise() += layers[l].bias;
        activate(a[l + 1], layers[l].activation);
      }
      const matrix p = softmax_columns(a[n_layers]);
      epoch_loss -= (p.array() * y.array()).colwise().sum().log().sum();

      // Backward, updating each layer once the error for the layer below is computed.
      matrix delta = (p - y) / static_cast<double>(b);  // Δ_L = ∂loss/∂Z_L
      beta1_t *= opt.beta1;
      beta2_t *= opt.beta2;
      const double step = opt.learning_rate * std::sqrt(1.0 - beta2_t) / (1.0 - beta1_t);
      for (std::size_t l = n_layers; l-- > 0;) {
        layer& current = layers[l];
        const matrix grad_w = delta * a[l].transpose() + opt.weight_decay * current.weights;
        const Eigen::VectorXd grad_b = delta.rowwise().sum();
        if (l > 0) {
          delta = (current.weights.transpose() * delta).cwiseProduct(
              derivative_from_output(a[l], layers[l - 1].activation));
        }
        // Adam: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − α·m̂/(√v̂ + ε) with the
        // bias corrections folded into `step` (Kingma & Ba, Algorithm 1, last paragraph
        // of Sec. 2).
        adam_moments& mo = moments[l];
        mo.m_w = opt.beta1 * mo.m_w + (1.0 - opt.beta1) * grad_w;
        mo.v_w = opt.beta2 * mo.v_w + (1.0 - opt.beta2) * grad_w.cwiseAbs2();
        mo.m_b = opt.beta1 * mo.m_b + (1.0 - opt.beta1) * grad_b;
        mo.v_b = opt.beta2 * mo.v_b + (1.0 - opt.beta2) * grad_b.cwiseAbs2();
        current.weights.array() -= step * mo.m_w.array() / (mo.v_w.array().sqrt() + opt.epsilon);
        current.bias.array() -= step * mo.m_b.array() / (mo.v_b.array().sqrt() + opt.epsilon);
      }
    }
    epoch_loss /= static_cast<double>(n);
  }
  return epoch_loss;
}

// The predicted class (index of the largest logit) of every column of `logits`.
Eigen::VectorXi predictions(const matrix& logits) {
  Eigen::VectorXi result(logits.cols());
  for (Eigen::Index j = 0; j < logits.cols(); ++j) logits.col(j).maxCoeff(&result(j));
  return result;
}

double accuracy(const probust::dense_network<double>& net,
                const probust_examples::digits_dataset& data) {
  const Eigen::VectorXi predicted = predictions(net.forward_batch(data.inputs.transpose()));
  return static_cast<double>((predicted.array() == data.labels.array()).count()) /
         static_cast<double>(data.size());
}

// Trains one network, saves it to `path`, reloads it and checks the reloaded network gives
// exactly the same test logits. Returns false if the reload differs or test accuracy is
// below `min_accuracy`.
bool make_network(const char* name, const std::vector<int>& sizes, probust::activation hidden,
                  const probust_examples::digits_split& split, const std::string& path,
                  double min_accuracy, const training_options& opt = {}) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<layer> layers = initial_layers(sizes, hidden, opt.seed);
  const double loss = train(layers, split.train, opt);
  // Weight decay shrinks the weights of pixels that are blank in every training image
  // geometrically, to ~1e-44: harmless in double, but subnormal when the network is loaded
  // as float, and subnormal arithmetic is 10-100x slower on x86. Such weights are set to 0.
  for (layer& l : layers) {
    l.weights = (l.weights.array().abs() < 1e-30).select(0.0, l.weights);
  }
  const probust::dense_network<double> net(std::move(layers));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double train_accuracy = accuracy(net, split.train);
  const double test_accuracy = accuracy(net, split.test);
  std::printf("%-18s %d epochs, cross-entropy %.4f, train accuracy %.4f, test accuracy %.4f"
              " (%.2f s)\n",
              name, opt.epochs, loss, train_accuracy, test_accuracy, seconds);

  probust::save_dense_network(net, path);
  const probust::dense_network<double> reloaded = probust::load_dense_network(path);
  const matrix x_test = split.test.inputs.transpose();
  const matrix logits = net.forward_batch(x_test);
  const matrix logits_reloaded = reloaded.forward_batch(x_test);
  const bool same_logits = logits == logits_reloaded;
  const bool same_predictions = predictions(logits) == predictions(logits_reloaded);
  std::printf("  wrote %s; reloaded: %s\n", path.c_str(),
              same_logits ? "identical test logits"
                          : (same_predictions ? "DIFFERENT logits (same predictions)"
                                              : "DIFFERENT predictions"));

  bool ok = same_logits;
  if (test_accuracy < min_accuracy) {
    std::printf("  FAILED: test accuracy %.4f < %.2f\n", test_accuracy, min_accuracy);
    ok = false;
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const bool held_out = argc > 1 && std::string(argv[1]) == "--held-out";
  const int first_path = held_out ? 2 : 1;
  if (argc > first_path + 1) {
    std::fprintf(stderr, "usage: %s [--held-out] [output_dir]\n", argv[0]);
    return 2;
  }
  const std::string output_dir = argc == first_path + 1 ? argv[first_path] : ".";
  try {
    const std::string data_path = probust_examples::default_digits_path();
    const probust_examples::digits_split split =
        probust_examples::split_digits(probust_examples::load_digits(data_path));
    std::printf("digits: %s, %ld training and %ld test images\n", data_path.c_str(),
                static_cast<long>(split.train.size()), static_cast<long>(split.test.size()));

    constexpr double min_accuracy = 0.93;
    if (held_out) {
      // A network the MVN engine was never tuned on (benchmarks/hard_cases.cpp): its own
      // seed and widths, 300 epochs and no weight decay, so the logits grow large and the
      // Jacobian rows of the margins become nearly dependent.
      training_options opt;
      opt.epochs = 300;
      opt.weight_decay = 0.0;
      opt.seed = 20261203;
      return make_network("relu 64-96-96-10 held-out", {64, 96, 96, 10},
                          probust::activation::relu, split,
                          output_dir + "/digits_relu_64_96_96_10_heldout.model", min_accuracy,
                          opt)
                 ? 0
                 : 1;
    }
    bool ok = make_network("relu 64-128-64-10", {64, 128, 64, 10}, probust::activation::relu,
                           split, output_dir + "/digits_relu_64_128_64_10.model", min_accuracy);
    ok = make_network("tanh 64-64-10", {64, 64, 10}, probust::activation::tanh, split,
                      output_dir + "/digits_tanh_64_64_10.model", min_accuracy) &&
         ok;
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_digits: %s\n", e.what());
    return 1;
  }
}
