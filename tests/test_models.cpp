// The model interface, the built-in models, the model file and the noise types:
// analytic Jacobians against central finite differences computed in long double on an
// independent forward pass, batched against column-by-column forward passes, float
// against double, exact file round trips, one test per malformed-file defect (with its
// line number), and noise factors and sample covariances against Σ.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "catch_shim.hpp"
#include "probust/model.hpp"
#include "probust/models/affine.hpp"
#include "probust/models/dense_network.hpp"
#include "probust/models/model_file.hpp"
#include "probust/noise.hpp"
#include "probust/random.hpp"

namespace {

using probust::activation;

const std::vector<activation> all_activations = {
    activation::identity, activation::relu,     activation::leaky_relu, activation::tanh,
    activation::sigmoid,  activation::softplus, activation::gelu};

// A network with the given layer sizes and activations; weights N(0, 1/in), biases
// N(0, 1/4), drawn from point_engine(seed, 0).
probust::dense_network<double> random_network(const std::vector<int>& sizes,
                                              const std::vector<activation>& activations,
                                              std::uint64_t seed, double slope = 0.01) {
  auto engine = probust::point_engine(seed, 0);
  std::vector<probust::dense_layer<double>> layers;
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    probust::dense_layer<double> layer;
    layer.weights.resize(sizes[l + 1], sizes[l]);
    probust::fill_standard_normal(engine, layer.weights);
    layer.weights /= std::sqrt(static_cast<double>(sizes[l]));
    layer.bias.resize(sizes[l + 1]);
    probust::fill_standard_normal(engine, layer.bias);
    layer.bias *= 0.5;
    layer.activation = activations[l];
    layer.slope = slope;
    layers.push_back(layer);
  }
  return probust::dense_network<double>(layers);
}

template <class U, class T>
probust::dense_network<U> cast_network(const probust::dense_network<T>& net) {
  std::vector<probust::dense_layer<U>> layers;
  for (const auto& layer : net.layers()) {
    layers.push_back({layer.weights.template cast<U>(), layer.bias.template cast<U>(),
                      layer.activation, static_cast<U>(layer.slope)});
  }
  return probust::dense_network<U>(layers);
}

// An independent forward pass in long double (written out here, not probust's), also
// reporting the smallest |pre-activation| of the kinked activations.
template <class T>
Eigen::Matrix<long double, -1, 1> reference_forward(const probust::dense_network<T>& net,
                                                    Eigen::Matrix<long double, -1, 1> a,
                                                    long double* min_kink_distance = nullptr) {
  for (const auto& layer : net.layers()) {
    const Eigen::Matrix<long double, -1, -1> w = layer.weights.template cast<long double>();
    const Eigen::Matrix<long double, -1, 1> b = layer.bias.template cast<long double>();
    Eigen::Matrix<long double, -1, 1> z = w * a + b;
    for (Eigen::Index i = 0; i < z.size(); ++i) {
      const long double v = z(i);
      switch (layer.activation) {
        case activation::identity: break;
        case activation::relu: z(i) = v > 0 ? v : 0; break;
        case activation::leaky_relu:
          z(i) = v > 0 ? v : static_cast<long double>(layer.slope) * v;
          break;
        case activation::tanh: z(i) = std::tanh(v); break;
        case activation::sigmoid: z(i) = 1 / (1 + std::exp(-v)); break;
        case activation::softplus: z(i) = std::log1p(std::exp(v)); break;
        case activation::gelu: z(i) = v * 0.5L * (1 + std::erf(v / std::sqrt(2.0L))); break;
      }
      if (min_kink_distance != nullptr &&
          (layer.activation == activation::relu || layer.activation == activation::leaky_relu)) {
        *min_kink_distance = std::min(*min_kink_distance, std::abs(v));
      }
    }
    a = z;
  }
  return a;
}

// Central differences of reference_forward in long double with the step ε_ld^{1/3}: its
// error is of order ε_ld^{2/3} (≈ 2e-13 with x87 long double, 4e-11 where long double is
// double), far below the tolerance used against it.
Eigen::MatrixXd reference_jacobian(const probust::dense_network<double>& net,
                                   const Eigen::VectorXd& x) {
  const long double h = std::cbrt(std::numeric_limits<long double>::epsilon());
  const Eigen::Matrix<long double, -1, 1> x0 = x.cast<long double>();
  Eigen::MatrixXd J(net.output_dimension(), x.size());
  for (Eigen::Index j = 0; j < x.size(); ++j) {
    Eigen::Matrix<long double, -1, 1> plus = x0, minus = x0;
    plus(j) += h;
    minus(j) -= h;
    J.col(j) = ((reference_forward(net, plus) - reference_forward(net, minus)) /
                (plus(j) - minus(j)))
                   .cast<double>();
  }
  return J;
}

// Allowed |analytic − reference| relative to max(1, max|J|): 100 times the reference's
// own error ε_ld^{2/3}, and never below 64 ε of double.
double jacobian_tolerance() {
  return std::max(100 * std::pow(std::numeric_limits<long double>::epsilon(), 2.0L / 3.0L),
                  64.0L * std::numeric_limits<double>::epsilon());
}

double max_abs(const Eigen::MatrixXd& m) { return m.cwiseAbs().maxCoeff(); }

Eigen::VectorXd random_vector(Eigen::Index n, std::uint64_t seed, std::uint64_t id) {
  auto engine = probust::point_engine(seed, id);
  Eigen::VectorXd v(n);
  probust::fill_standard_normal(engine, v);
  return v;
}

// Checks the analytic Jacobian of `net` at 6 random points against reference_jacobian,
// keeping ReLU-type pre-activations at least 1e-3 from their kink (the step is ~1e-6).
void check_jacobian(const probust::dense_network<double>& net, std::uint64_t seed) {
  int checked = 0;
  for (std::uint64_t id = 0; checked < 6 && id < 100; ++id) {
    const Eigen::VectorXd x = random_vector(net.input_dimension(), seed, id);
    long double kink = std::numeric_limits<long double>::infinity();
    const Eigen::VectorXd f_ref =
        reference_forward(net, x.cast<long double>(), &kink).cast<double>();
    if (kink < 1e-3L) continue;
    ++checked;
    CHECK((net(x) - f_ref).cwiseAbs().maxCoeff() <= 64 * 2.3e-16 * std::max(1.0, max_abs(f_ref)));
    const Eigen::MatrixXd J_ref = reference_jacobian(net, x);
    const Eigen::MatrixXd J = net.jacobian(x);
    REQUIRE(J.rows() == net.output_dimension());
    REQUIRE(J.cols() == net.input_dimension());
    CHECK(max_abs(J - J_ref) <= jacobian_tolerance() * std::max(1.0, max_abs(J_ref)));
  }
  CHECK(checked == 6);
}

// A file in the temporary directory, removed at scope exit; the name is unique per run so
// concurrent test runs do not collide.
struct temp_file {
  std::string path;
  explicit temp_file(const std::string& stem) {
    static const std::string run = std::to_string(std::random_device{}());
    path = (std::filesystem::temp_directory_path() / ("probust_" + run + "_" + stem + ".txt"))
               .string();
  }
  temp_file(const std::string& stem, const std::string& content) : temp_file(stem) {
    std::ofstream(path, std::ios::binary) << content;
  }
  ~temp_file() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
};

std::string error_of_load(const std::string& path) {
  try {
    probust::load_dense_network(path);
  } catch (const probust::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

// The message of the probust::io_error that load_dense_network(path) throws.
std::string io_error_of_load(const std::string& path) {
  try {
    probust::load_dense_network(path);
  } catch (const probust::io_error& e) {
    return e.what();
  }
  return "(no io_error)";
}

// Σ̂ = (1/N) Σ ε εᵀ of zero-mean draws matches Σ entry by entry within 4.5 standard errors,
// se(Σ̂_ij) = √((Σ_ii Σ_jj + Σ_ij²)/N) (Gaussian fourth moments).
template <class Noise>
void check_sample_covariance(const Noise& noise, const Eigen::MatrixXd& sigma,
                             std::uint64_t seed) {
  const Eigen::Index d = sigma.rows();
  const int n = 40000;
  auto engine = probust::point_engine(seed, 7);
  Eigen::MatrixXd draws(d, n);
  for (int s = 0; s < n; ++s) noise.sample(engine, draws.col(s));
  const Eigen::MatrixXd estimate = draws * draws.transpose() / n;
  for (Eigen::Index i = 0; i < d; ++i) {
    for (Eigen::Index j = 0; j <= i; ++j) {
      const double se =
          std::sqrt((sigma(i, i) * sigma(j, j) + sigma(i, j) * sigma(i, j)) / n);
      INFO("entry (" << i << ", " << j << "): estimate " << estimate(i, j) << ", Σ "
                     << sigma(i, j) << ", se " << se);
      if (se == 0) {
        CHECK(std::abs(estimate(i, j)) <= 1e-12);
      } else {
        CHECK(std::abs(estimate(i, j) - sigma(i, j)) <= 4.5 * se);
      }
    }
  }
}

}  // namespace

// --- traits -----------------------------------------------------------------------------

namespace {
struct not_a_model {};
struct wrong_argument {
  Eigen::VectorXd operator()(const std::string&) const { return {}; }
};
struct float_model {
  Eigen::VectorXf operator()(const Eigen::VectorXf& x) const { return x; }
};
struct non_const_model {
  Eigen::VectorXd operator()(const Eigen::VectorXd& x) { return x; }
};
}  // namespace

TEST_CASE("model traits detect the call operator, jacobian and forward_batch") {
  const auto lambda = [](const Eigen::VectorXd& x) -> Eigen::VectorXd { return 2 * x; };
  const auto generic = [](const auto& x) { return (2 * x).eval(); };
  const auto jf = [](const Eigen::VectorXd& x) -> Eigen::MatrixXd {
    return 2 * Eigen::MatrixXd::Identity(x.size(), x.size());
  };
  using lambda_t = decltype(lambda);
  using pair_t = decltype(probust::with_jacobian(lambda, jf));
  STATIC_REQUIRE(probust::is_model_v<lambda_t>);
  STATIC_REQUIRE(probust::is_model_v<decltype(generic), float>);
  STATIC_REQUIRE(probust::is_model_v<decltype(generic), double>);
  STATIC_REQUIRE_FALSE(probust::has_jacobian_v<lambda_t>);
  STATIC_REQUIRE_FALSE(probust::has_forward_batch_v<lambda_t>);
  STATIC_REQUIRE(probust::is_model_v<pair_t>);
  STATIC_REQUIRE(probust::has_jacobian_v<pair_t>);
  STATIC_REQUIRE(probust::is_model_v<probust::affine_model<>>);
  STATIC_REQUIRE(probust::has_jacobian_v<probust::affine_model<>>);
  STATIC_REQUIRE(probust::has_forward_batch_v<const probust::affine_model<>&>);
  STATIC_REQUIRE(probust::is_model_v<probust::dense_network<float>, float>);
  STATIC_REQUIRE(probust::has_jacobian_v<probust::dense_network<float>, float>);
  STATIC_REQUIRE(probust::has_forward_batch_v<probust::dense_network<float>, float>);
  // Wrong scalar type, wrong argument, not callable, constness.
  STATIC_REQUIRE_FALSE(probust::is_model_v<probust::dense_network<float>, double>);
  STATIC_REQUIRE_FALSE(probust::is_model_v<float_model, double>);
  STATIC_REQUIRE(probust::is_model_v<float_model, float>);
  STATIC_REQUIRE_FALSE(probust::is_model_v<wrong_argument>);
  STATIC_REQUIRE_FALSE(probust::is_model_v<not_a_model>);
  STATIC_REQUIRE_FALSE(probust::is_model_v<int>);
  STATIC_REQUIRE(probust::is_model_v<non_const_model>);
  STATIC_REQUIRE_FALSE(probust::is_model_v<const non_const_model>);
#if PROBUST_HAS_CONCEPTS
  STATIC_REQUIRE(probust::model_of<lambda_t>);
  STATIC_REQUIRE(probust::model_of<probust::dense_network<float>, float>);
  STATIC_REQUIRE_FALSE(probust::model_of<probust::dense_network<float>, double>);
  STATIC_REQUIRE_FALSE(probust::model_of<not_a_model>);
#endif
}

// --- logit_jacobian, with_jacobian, forward_batch --------------------------------------

TEST_CASE("with_jacobian models report a user Jacobian and cost no model evaluations") {
  const Eigen::MatrixXd W = (Eigen::MatrixXd(3, 2) << 1, 2, -3, 4, 0.5, -1).finished();
  const Eigen::VectorXd b = Eigen::Vector3d(0.1, -0.2, 0.3);
  int calls = 0;
  const auto model = probust::with_jacobian(
      [&](const Eigen::VectorXd& x) -> Eigen::VectorXd {
        ++calls;
        return W * x + b;
      },
      [&](const Eigen::VectorXd&) -> Eigen::MatrixXd { return W; });
  const Eigen::VectorXd x = Eigen::Vector2d(0.3, -0.7);
  CHECK(model(x).isApprox(W * x + b));
  int evaluations = 5;
  const auto r = probust::logit_jacobian(model, x, &evaluations);
  CHECK(r.source == probust::jacobian_source::user);
  CHECK(r.jacobian == W);
  CHECK(evaluations == 5);
  CHECK(calls == 1);
}

TEST_CASE("finite-difference Jacobians: source, evaluation count and accuracy") {
  const auto net = random_network({6, 9, 8, 4}, {activation::tanh, activation::gelu,
                                                 activation::identity}, 11);
  int calls = 0;
  const auto plain = [&](const Eigen::VectorXd& x) -> Eigen::VectorXd {
    ++calls;
    return net(x);
  };
  const Eigen::VectorXd x = random_vector(6, 11, 1);
  int evaluations = 3;
  const auto r = probust::logit_jacobian(plain, x, &evaluations);
  CHECK(r.source == probust::jacobian_source::finite_difference);
  CHECK(evaluations == 3 + 2 * 6);
  CHECK(calls == 2 * 6);
  // Central differences with h = ε^{1/3}·max(|x_j|, 1) are accurate to O(ε^{2/3}) ≈ 4e-11
  // times the scale of f and its third derivative; allow 100 times that.
  const Eigen::MatrixXd J = net.jacobian(x);
  CHECK(max_abs(r.jacobian - J) <=
        100 * std::pow(std::numeric_limits<double>::epsilon(), 2.0 / 3.0) *
            std::max({1.0, max_abs(J), max_abs(net(x))}));
  // The nullptr default counts nothing and gives the same Jacobian.
  CHECK(probust::logit_jacobian(plain, x).jacobian == r.jacobian);
  // A model with its own Jacobian is not differenced.
  const auto user = probust::logit_jacobian(net, x);
  CHECK(user.source == probust::jacobian_source::user);
  CHECK(user.jacobian == J);
}

TEST_CASE("logit_jacobian rejects non-finite logits, changing output sizes and bad x") {
  const Eigen::VectorXd x = Eigen::Vector3d(0.5, 1.0, -2.0);
  const auto nan_model = [](const Eigen::VectorXd& v) -> Eigen::VectorXd {
    Eigen::VectorXd out = Eigen::Vector3d(v(0), std::nan(""), 1.0);
    return out;
  };
  CHECK_THROWS_WITH(probust::logit_jacobian(nan_model, x),
                    "probust::logit_jacobian: the model returned a non-finite logit at index 1");
  int calls = 0;
  const auto changing = [&calls](const Eigen::VectorXd& v) -> Eigen::VectorXd {
    return Eigen::VectorXd::Constant(++calls == 1 ? 3 : 4, v.sum());
  };
  CHECK_THROWS_AS(probust::logit_jacobian(changing, x), probust::invalid_argument);
  const auto empty = [](const Eigen::VectorXd&) { return Eigen::VectorXd(); };
  CHECK_THROWS_AS(probust::logit_jacobian(empty, x), probust::invalid_argument);
  const auto identity = [](const Eigen::VectorXd& v) -> Eigen::VectorXd { return v; };
  Eigen::VectorXd bad = x;
  bad(2) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(probust::logit_jacobian(identity, bad), probust::invalid_argument);
  CHECK_THROWS_AS(probust::logit_jacobian(identity, Eigen::VectorXd()), probust::invalid_argument);
  const auto bad_jacobian = probust::with_jacobian(
      identity, [](const Eigen::VectorXd& v) -> Eigen::MatrixXd {
        return Eigen::MatrixXd::Identity(v.size(), v.size() + 1);
      });
  CHECK_THROWS_AS(probust::logit_jacobian(bad_jacobian, x), probust::invalid_argument);
}

TEST_CASE("forward_batch equals column-by-column forward passes") {
  const auto net = random_network({5, 12, 7, 3}, {activation::relu, activation::softplus,
                                                  activation::identity}, 21);
  Eigen::MatrixXd X(5, 37);
  auto engine = probust::point_engine(21, 1);
  probust::fill_standard_normal(engine, X);
  const Eigen::MatrixXd batch = probust::forward_batch(net, X);
  REQUIRE(batch.rows() == 3);
  REQUIRE(batch.cols() == 37);
  // A matrix-matrix product may sum in another order than a matrix-vector product: equal
  // up to rounding (a few ulp of the largest logit).
  const auto generic = [&net](const Eigen::VectorXd& x) -> Eigen::VectorXd { return net(x); };
  const Eigen::MatrixXd by_column = probust::forward_batch(generic, X);
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    CHECK(by_column.col(j) == net(Eigen::VectorXd(X.col(j))));
  }
  CHECK(max_abs(batch - by_column) <= 16 * std::numeric_limits<double>::epsilon() *
                                          std::max(1.0, max_abs(by_column)));

  const probust::affine_model<> affine(net.layers()[0].weights, net.layers()[0].bias);
  const Eigen::MatrixXd affine_batch = probust::forward_batch(affine, X);
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    CHECK(affine_batch.col(j).isApprox(affine(Eigen::VectorXd(X.col(j))), 1e-14));
  }
  CHECK(probust::forward_batch(net, Eigen::MatrixXd(5, 0)).cols() == 0);

  const auto sometimes_nan = [](const Eigen::VectorXd& x) -> Eigen::VectorXd {
    return Eigen::VectorXd::Constant(2, x(0) > 1 ? std::nan("") : x(0));
  };
  Eigen::MatrixXd Y = Eigen::MatrixXd::Zero(1, 4);
  Y(0, 2) = 2;
  CHECK_THROWS_WITH(probust::forward_batch(sometimes_nan, Y),
                    Catch::Contains("non-finite logit at index 0"));
}

// --- built-in models --------------------------------------------------------------------

TEST_CASE("affine_model: logits, Jacobian, batch and validation") {
  const Eigen::MatrixXd W = (Eigen::MatrixXd(2, 3) << 1, -2, 0.5, 3, 0, -1).finished();
  const Eigen::VectorXd b = Eigen::Vector2d(0.25, -1);
  const probust::affine_model model{W, b};
  const Eigen::VectorXd x = Eigen::Vector3d(1, 2, 3);
  CHECK(model(x) == W * x + b);
  CHECK(model.jacobian(x) == W);
  CHECK(model.input_dimension() == 3);
  CHECK(model.output_dimension() == 2);
  CHECK_THROWS_WITH(model(Eigen::Vector2d(1, 2)),
                    "probust::affine_model: x has size 2 but the input dimension is 3");
  CHECK_THROWS_WITH((probust::affine_model<>{W, Eigen::Vector3d(1, 2, 3)}),
                    Catch::StartsWith("probust::affine_model: b has size 3"));
  Eigen::MatrixXd W_nan = W;
  W_nan(1, 2) = std::nan("");
  CHECK_THROWS_WITH((probust::affine_model<>{W_nan, b}),
                    Catch::StartsWith("probust::affine_model: W has a non-finite entry at (1, 2)"));
  Eigen::VectorXd b_inf = b;
  b_inf(0) = -std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH((probust::affine_model<>{W, b_inf}), Catch::Contains("b has a non-finite"));
  CHECK_THROWS_AS((probust::affine_model<>{Eigen::MatrixXd(0, 3), Eigen::VectorXd(0)}),
                  probust::invalid_argument);
}

TEST_CASE("dense_network: analytic Jacobian of every activation matches finite differences") {
  std::uint64_t seed = 100;
  for (const activation a : all_activations) {
    INFO("activation " << probust::activation_name(a));
    // The same activation on every layer, output included, so the output-side scaling
    // diag(σ_L'(z_L)) is exercised too.
    seed += 2;
    check_jacobian(random_network({5, 7, 6, 4}, {a, a, a}, seed, 0.2), seed);
    check_jacobian(random_network({3, 4}, {a}, seed + 1, 0.05), seed + 1);
  }
}

TEST_CASE("dense_network: analytic Jacobian of mixed networks matches finite differences") {
  check_jacobian(random_network({6, 9, 8, 5}, {activation::gelu, activation::leaky_relu,
                                               activation::identity}, 200, 0.1), 200);
  check_jacobian(random_network({8, 16, 12, 10}, {activation::relu, activation::sigmoid,
                                                  activation::softplus}, 201), 201);
  check_jacobian(random_network({4, 10, 10, 10, 3}, {activation::tanh, activation::softplus,
                                                     activation::relu, activation::identity},
                                202), 202);
}

TEST_CASE("dense_network: activation values at known points") {
  // One 1 → 1 identity-weight layer per activation, evaluated at z = ±2 and 0.
  const auto value = [](activation a, double z) {
    probust::dense_layer<double> layer{Eigen::MatrixXd::Ones(1, 1), Eigen::VectorXd::Zero(1), a,
                                       0.25};
    return probust::dense_network<double>({layer})(Eigen::VectorXd::Constant(1, z))(0);
  };
  CHECK(value(activation::identity, -2) == -2);
  CHECK(value(activation::relu, -2) == 0);
  CHECK(value(activation::relu, 2) == 2);
  CHECK(value(activation::leaky_relu, -2) == -0.5);
  CHECK(value(activation::tanh, 2) == Approx(std::tanh(2.0)).epsilon(1e-15));
  CHECK(value(activation::sigmoid, -2) == Approx(1 / (1 + std::exp(2.0))).epsilon(1e-15));
  CHECK(value(activation::sigmoid, 800) == 1);  // e^{800} overflows: no inf/inf = NaN
  CHECK(value(activation::sigmoid, -800) == 0);
  CHECK(value(activation::softplus, 2) == Approx(std::log1p(std::exp(2.0))).epsilon(1e-15));
  CHECK(value(activation::softplus, 800) == 800);
  CHECK(value(activation::gelu, 0) == 0);
  // GELU(−2) = −2 Φ(−2), Φ(−2) = 0.022750131948179207.
  CHECK(value(activation::gelu, -2) == Approx(-2 * 0.022750131948179207).epsilon(1e-15));
}

TEST_CASE("dense_network validates its layer shapes at construction") {
  using layer = probust::dense_layer<double>;
  const layer a{Eigen::MatrixXd::Ones(2, 3), Eigen::VectorXd::Zero(2), activation::relu};
  const layer b{Eigen::MatrixXd::Ones(2, 3), Eigen::VectorXd::Zero(2), activation::identity};
  CHECK_THROWS_WITH(probust::dense_network<double>({a, b}),
                    "probust::dense_network: layer 2 has 3 inputs but layer 1 has 2 outputs");
  CHECK_THROWS_WITH(probust::dense_network<double>({}), Catch::Contains("no layers"));
  layer wrong_bias = a;
  wrong_bias.bias = Eigen::VectorXd::Zero(3);
  CHECK_THROWS_WITH(probust::dense_network<double>({wrong_bias}),
                    Catch::Contains("layer 1: b has size 3 but W has 2 rows"));
  layer nan_weight = a;
  nan_weight.weights(1, 0) = std::nan("");
  CHECK_THROWS_WITH(probust::dense_network<double>({nan_weight}),
                    Catch::Contains("layer 1 W has a non-finite entry at (1, 0)"));
  layer bad_activation = a;
  bad_activation.activation = static_cast<activation>(42);
  CHECK_THROWS_AS(probust::dense_network<double>({bad_activation}), probust::invalid_argument);
  const probust::dense_network<double> ok({a});
  CHECK_THROWS_WITH(ok(Eigen::VectorXd::Zero(2)),
                    "probust::dense_network: x has size 2 but the input dimension is 3");
  CHECK_THROWS_AS(ok.forward_batch(Eigen::MatrixXd::Zero(4, 2)), probust::invalid_argument);
}

TEST_CASE("float and double networks agree to float precision") {
  const auto net = random_network({8, 16, 12, 5}, {activation::gelu, activation::tanh,
                                                   activation::identity}, 300);
  const auto net_f = cast_network<float>(net);
  const double eps_f = std::numeric_limits<float>::epsilon();
  for (std::uint64_t id = 0; id < 5; ++id) {
    const Eigen::VectorXd x = random_vector(8, 300, id);
    const Eigen::VectorXf x_f = x.cast<float>();
    // Rounding x and the weights to float and summing in float: each of the 3 layers adds
    // a relative error of about ten ε_f (dot products of length ≤ 16).
    const double tol = 32 * eps_f;
    CHECK(max_abs(net_f(x_f).cast<double>() - net(x)) <= tol * std::max(1.0, max_abs(net(x))));
    const Eigen::MatrixXd J = net.jacobian(x);
    CHECK(max_abs(net_f.jacobian(x_f).cast<double>() - J) <= tol * std::max(1.0, max_abs(J)));
    // Finite differences in float: error ≈ (a few ulp of f)/h with h = ε_f^{1/3}, i.e. of
    // order ε_f^{2/3} ≈ 2.4e-5 times the scale; allow 100 times that.
    const auto plain = [&net_f](const Eigen::VectorXf& v) -> Eigen::VectorXf { return net_f(v); };
    int evaluations = 0;
    const auto fd = probust::logit_jacobian(plain, x_f, &evaluations);
    CHECK(fd.source == probust::jacobian_source::finite_difference);
    CHECK(evaluations == 16);
    CHECK(max_abs(fd.jacobian.cast<double>() - J) <=
          100 * std::pow(eps_f, 2.0 / 3.0) * std::max({1.0, max_abs(J), max_abs(net(x))}));
  }
  Eigen::MatrixXf X(8, 6);
  auto engine = probust::point_engine(300, 99);
  probust::fill_standard_normal(engine, X);
  const Eigen::MatrixXd batch_f = probust::forward_batch(net_f, X).cast<double>();
  const Eigen::MatrixXd batch = probust::forward_batch(net, Eigen::MatrixXd(X.cast<double>()));
  CHECK(max_abs(batch_f - batch) <= 32 * eps_f * std::max(1.0, max_abs(batch)));
}

// --- model file -------------------------------------------------------------------------

TEST_CASE("model file round trip is exact, for double and float") {
  std::vector<probust::dense_layer<double>> layers =
      random_network({4, 6, 5, 5, 5, 5, 5, 3},
                     {activation::relu, activation::leaky_relu, activation::tanh,
                      activation::sigmoid, activation::softplus, activation::gelu,
                      activation::identity},
                     400, 0.1 / 3)
          .layers();
  layers[0].weights(0, 0) = -0.0;
  layers[0].weights(1, 1) = 1e-300;
  layers[0].weights(2, 2) = std::numeric_limits<double>::denorm_min();
  layers[0].weights(3, 3) = std::numeric_limits<double>::max();
  const probust::dense_network<double> net(layers);
  const temp_file file("roundtrip");
  probust::save_dense_network(net, file.path);
  const auto loaded = probust::load_dense_network(file.path);
  REQUIRE(loaded.layers().size() == net.layers().size());
  for (std::size_t l = 0; l < net.layers().size(); ++l) {
    INFO("layer " << l + 1);
    CHECK(loaded.layers()[l].weights == net.layers()[l].weights);
    CHECK(loaded.layers()[l].bias == net.layers()[l].bias);
    CHECK(loaded.layers()[l].activation == net.layers()[l].activation);
    if (net.layers()[l].activation == activation::leaky_relu) {
      CHECK(loaded.layers()[l].slope == net.layers()[l].slope);
    }
  }
  CHECK(std::signbit(loaded.layers()[0].weights(0, 0)));

  const auto net_f = cast_network<float>(random_network({3, 7, 2}, {activation::gelu,
                                                                     activation::identity}, 401));
  std::stringstream stream;
  stream.imbue(std::locale::classic());
  probust::write_dense_network(stream, net_f);
  const auto loaded_f = probust::read_dense_network<float>(stream, "memory");
  for (std::size_t l = 0; l < net_f.layers().size(); ++l) {
    CHECK(loaded_f.layers()[l].weights == net_f.layers()[l].weights);
    CHECK(loaded_f.layers()[l].bias == net_f.layers()[l].bias);
  }
}

namespace {
// A valid model file; the malformed cases below edit one line of it.
const std::vector<std::string> valid_lines = {
    "# a small test network",             //  1
    "probust-model 1",                    //  2
    "input 3",                            //  3
    "layers 2",                           //  4
    "",                                   //  5
    "dense 3 2 leaky_relu 0.1  # layer 1", //  6
    "1 2 3",                              //  7
    "4 5 6",                              //  8
    "0.5 -0.5",                           //  9
    "dense 2 2 identity",                 // 10
    "1 0",                                // 11
    "0 1",                                // 12
    "0 0",                                // 13
};

std::string join(const std::vector<std::string>& lines, const std::string& end = "\n") {
  std::string text;
  for (const std::string& line : lines) text += line + end;
  return text;
}

// The valid file with line `number` (1-based) replaced by `replacement`.
std::string with_line(int number, const std::string& replacement) {
  std::vector<std::string> lines = valid_lines;
  lines[static_cast<std::size_t>(number - 1)] = replacement;
  return join(lines);
}
}  // namespace

TEST_CASE("a valid model file loads, with comments, blank lines and CRLF line ends") {
  for (const std::string& text : {join(valid_lines), join(valid_lines, "\r\n")}) {
    const temp_file file("valid", text);
    const auto net = probust::load_dense_network(file.path);
    REQUIRE(net.layers().size() == 2);
    CHECK(net.layers()[0].weights == (Eigen::MatrixXd(2, 3) << 1, 2, 3, 4, 5, 6).finished());
    CHECK(net.layers()[0].bias == Eigen::Vector2d(0.5, -0.5));
    CHECK(net.layers()[0].activation == activation::leaky_relu);
    CHECK(net.layers()[0].slope == 0.1);
    CHECK(net.layers()[1].weights == Eigen::MatrixXd::Identity(2, 2));
    // z₁ = W₁x + b₁ = (−1.5, −2.5), leaky slope 0.1, then the identity layer.
    CHECK(net(Eigen::Vector3d(1, 0, -1)) == Eigen::Vector2d(0.1 * -1.5, 0.1 * -2.5));
  }
  std::istringstream stream(with_line(6, "dense 3 2 leaky_relu"));
  CHECK(probust::read_dense_network(stream, "memory").layers()[0].slope == 0.01);
}

TEST_CASE("malformed model files name the file, the line and the problem") {
  struct bad_case {
    const char* label;
    std::string text;
    int line;
    const char* problem;
  };
  std::vector<std::string> truncated(valid_lines.begin(), valid_lines.begin() + 11);
  std::vector<std::string> extra = valid_lines;
  extra.push_back("# comments after the end are fine");
  extra.push_back("0 0");
  std::vector<std::string> extra_row = valid_lines;
  extra_row.insert(extra_row.begin() + 8, "7 8 9");
  const std::vector<bad_case> cases = {
      {"empty", "", 1, "unexpected end of file: expected the header 'probust-model 1'"},
      {"magic", with_line(2, "probust-modle 1"), 2, "not a probust model file"},
      {"header_tokens", with_line(2, "probust-model"), 2, "not a probust model file"},
      {"version", with_line(2, "probust-model 2"), 2,
       "unsupported model file version 2 (this probust reads version 1)"},
      {"version_text", with_line(2, "probust-model one"), 2, "expected a positive integer"},
      {"input_keyword", with_line(3, "inputs 3"), 3, "expected 'input <number of input features>'"},
      {"input_zero", with_line(3, "input 0"), 3, "expected a positive integer"},
      {"input_negative", with_line(3, "input -3"), 3, "found '-3'"},
      {"layers_text", with_line(4, "layers two"), 4, "found 'two'"},
      {"layer_keyword", with_line(6, "conv 3 2 relu"), 6, "expected the header of layer 1"},
      {"layer_tokens", with_line(6, "dense 3 2"), 6, "expected the header of layer 1"},
      {"first_layer_size", with_line(6, "dense 4 2 relu"), 6,
       "layer 1 has 4 inputs but the input dimension is 3"},
      {"layer_sizes", with_line(10, "dense 3 2 identity"), 10,
       "layer 2 has 3 inputs but layer 1 has 2 outputs"},
      {"activation", with_line(10, "dense 2 2 swish"), 10, "unknown activation 'swish'"},
      {"parameter", with_line(10, "dense 2 2 relu 0.5"), 10,
       "activation 'relu' takes no parameter"},
      {"slope_nan", with_line(6, "dense 3 2 leaky_relu nan"), 6, "non-finite number 'nan'"},
      {"too_few_numbers", with_line(8, "4 5"), 8,
       "expected 3 numbers, found 2 (row 2 of 2 of W in layer 1)"},
      {"too_many_numbers", with_line(12, "0 1 2"), 12, "expected 2 numbers, found 3"},
      {"bias_count", with_line(9, "0.5"), 9, "expected 2 numbers, found 1 (the bias of layer 1)"},
      {"not_a_number", with_line(7, "1 x2 3"), 7, "expected a number, found 'x2'"},
      {"trailing_garbage", with_line(7, "1 2 3.0f"), 7, "expected a number, found '3.0f'"},
      {"nan_weight", with_line(11, "NaN 0"), 11, "non-finite number 'NaN'"},
      {"inf_bias", with_line(9, "0.5 -inf"), 9, "non-finite number '-inf'"},
      {"overflow", with_line(12, "0 1e999"), 12, "number '1e999' is out of range"},
      {"truncated", join(truncated), 12,
       "unexpected end of file: expected row 2 of 2 of W in layer 2"},
      {"truncated_mid_line", join(valid_lines).substr(0, join(valid_lines).size() - 7), 12,
       "expected 2 numbers, found 1"},
      {"missing_layer", with_line(4, "layers 3"), 14,
       "unexpected end of file: expected the header of layer 3"},
      {"trailing_data", join(extra), 15, "unexpected data after the last of the 2 layers"},
      {"extra_weight_row", join(extra_row), 9, "expected 2 numbers, found 3 (the bias of layer 1)"},
  };
  for (const bad_case& c : cases) {
    INFO("case " << c.label);
    const temp_file file(c.label, c.text);
    const std::string message = error_of_load(file.path);
    const std::string where =
        "probust::load_dense_network: " + file.path + ":" + std::to_string(c.line) + ": ";
    CHECK_THAT(message, Catch::StartsWith(where) && Catch::Contains(c.problem));
  }
  // The stream reader uses the given name.
  std::istringstream stream(with_line(8, "4 5"));
  CHECK_THROWS_WITH(probust::read_dense_network(stream, "model.txt"),
                    "probust::read_dense_network: model.txt:8: expected 3 numbers, found 2 (row "
                    "2 of 2 of W in layer 1)");
  // Values that overflow float but not double.
  std::istringstream big(with_line(7, "1 2 1e39"));
  CHECK_THROWS_WITH(probust::read_dense_network<float>(big, "f.txt"),
                    Catch::Contains("f.txt:7: number '1e39' is out of range"));
  const temp_file missing("does_not_exist");
  CHECK_THAT(io_error_of_load(missing.path),
             Catch::StartsWith("probust::load_dense_network: cannot open '" + missing.path));
}

namespace {

// A stream of `size` zero bytes without a line end, generated 64 KiB at a time (like
// /dev/zero, but finite so that a reader without a line cap cannot hang the test).
class zero_bytes : public std::streambuf {
 public:
  explicit zero_bytes(std::size_t size) : left_(size) {}

 protected:
  int_type underflow() override {
    if (left_ == 0) return traits_type::eof();
    const std::size_t n = std::min(left_, sizeof chunk_);
    left_ -= n;
    setg(chunk_, chunk_, chunk_ + n);
    return traits_type::to_int_type(chunk_[0]);
  }

 private:
  char chunk_[1 << 16] = {};
  std::size_t left_;
};

}  // namespace

TEST_CASE("model files: a byte order mark, a directory and a line without end",
          "[reliability]") {
  // A UTF-8 byte order mark before the first line (Windows editors) is accepted.
  const temp_file bom("bom", "\xEF\xBB\xBF" + join(valid_lines, "\r\n"));
  const auto net = probust::load_dense_network(bom.path);
  REQUIRE(net.layers().size() == 2);
  CHECK(net.layers()[0].weights == (Eigen::MatrixXd(2, 3) << 1, 2, 3, 4, 5, 6).finished());
  // Only at the start of the file: elsewhere it is not a number.
  CHECK_THAT(error_of_load(temp_file("bom7", with_line(7, "\xEF\xBB\xBF" "1 2 3")).path),
             Catch::Contains(":7: expected a number"));

  // A directory is named as such.
  const std::string dir = std::filesystem::temp_directory_path().string();
  CHECK(io_error_of_load(dir) ==
        "probust::load_dense_network: '" + dir + "' is a directory, not a model file");

  // 64 MiB + 1 bytes without a line end: an error at line 1, not a reader that keeps
  // reading (/dev/zero never ends).
  zero_bytes zeros(probust::max_model_line_length + 1);
  std::istream endless(&zeros);
  CHECK_THROWS_WITH(probust::read_dense_network(endless, "zeros"),
                    "probust::read_dense_network: zeros:1: line longer than 67108864 "
                    "characters (is this a model file?)");
}

// --- noise ------------------------------------------------------------------------------

TEST_CASE("noise constructors reject bad parameters") {
  const double inf = std::numeric_limits<double>::infinity();
  for (double sigma : {0.0, -0.1, inf, std::nan("")}) {
    CHECK_THROWS_WITH(probust::isotropic_gaussian<>{sigma},
                      Catch::StartsWith("probust::isotropic_gaussian: sigma must be positive"));
  }
  CHECK_THROWS_WITH(probust::diagonal_gaussian<>{Eigen::Vector3d(1, 0, 2)},
                    Catch::Contains("at index 1"));
  CHECK_THROWS_AS(probust::diagonal_gaussian<>{Eigen::Vector2d(1, -1)}, probust::invalid_argument);
  CHECK_THROWS_AS(probust::diagonal_gaussian<>{Eigen::Vector2d(std::nan(""), 1)},
                  probust::invalid_argument);
  CHECK_THROWS_AS(probust::diagonal_gaussian<>{Eigen::VectorXd()}, probust::invalid_argument);
  CHECK_THROWS_AS(probust::diagonal_gaussian<>{Eigen::MatrixXd::Ones(2, 2)},
                  probust::invalid_argument);

  CHECK_THROWS_WITH(probust::gaussian<>{Eigen::MatrixXd::Identity(2, 3)},
                    Catch::StartsWith("probust::gaussian: covariance must be square"));
  CHECK_THROWS_WITH(probust::gaussian<>{(Eigen::Matrix2d() << 1, 0.5, 0.4, 1).finished()},
                    Catch::Contains("not symmetric"));
  CHECK_THROWS_WITH(probust::gaussian<>{(Eigen::Matrix2d() << 1, 2, 2, 1).finished()},
                    Catch::Contains("not positive semi-definite"));
  CHECK_THROWS_WITH(probust::gaussian<>{(Eigen::Matrix2d() << 1, 0, 0, inf).finished()},
                    Catch::Contains("non-finite"));
  CHECK_THROWS_AS(probust::gaussian<>{Eigen::MatrixXd()}, probust::invalid_argument);

  // Dimension checks.
  const probust::diagonal_gaussian diagonal{Eigen::Vector3d(1, 2, 3)};
  CHECK_NOTHROW(diagonal.check_dimension(3, "f"));
  CHECK_THROWS_WITH(diagonal.check_dimension(4, "f"),
                    "f: the input has dimension 4 but the noise has dimension 3");
  CHECK_THROWS_AS(diagonal.apply_factor(Eigen::MatrixXd::Ones(2, 4)), probust::invalid_argument);
  const probust::gaussian full{Eigen::Matrix2d::Identity()};
  CHECK_THROWS_AS(full.check_dimension(3, "f"), probust::invalid_argument);
  const probust::isotropic_gaussian iso{0.5};
  CHECK_NOTHROW(iso.check_dimension(17, "f"));
  CHECK(iso.dimension() == 0);
  CHECK(diagonal.dimension() == 3);
  CHECK(full.dimension() == 2);
}

TEST_CASE("noise scalar types are deduced as documented") {
  const probust::isotropic_gaussian a{0.1};
  const probust::isotropic_gaussian b{1};
  const probust::isotropic_gaussian c{0.1f};
  const probust::diagonal_gaussian d{Eigen::Vector2f(1, 2)};
  const probust::gaussian e{Eigen::Matrix2d::Identity()};
  STATIC_REQUIRE(std::is_same<decltype(a), const probust::isotropic_gaussian<double>>::value);
  STATIC_REQUIRE(std::is_same<decltype(b), const probust::isotropic_gaussian<double>>::value);
  STATIC_REQUIRE(std::is_same<decltype(c), const probust::isotropic_gaussian<float>>::value);
  STATIC_REQUIRE(std::is_same<decltype(d), const probust::diagonal_gaussian<float>>::value);
  STATIC_REQUIRE(std::is_same<decltype(e), const probust::gaussian<double>>::value);
}

namespace {
// A covariance of rank 2 in dimension 4 (Σ = B Bᵀ, B 4 × 2), and a full-rank one.
Eigen::MatrixXd singular_covariance() {
  Eigen::MatrixXd B(4, 2);
  B << 1, 0.5, -0.3, 2, 0.7, 0.7, 0, -1;
  return B * B.transpose();
}
Eigen::MatrixXd full_rank_covariance() {
  Eigen::MatrixXd B(4, 4);
  B << 1, 0.5, -0.3, 2, 0.7, 0.7, 0, -1, 0.2, 0.1, 1.5, 0, -0.4, 0, 0.3, 0.9;
  return B * B.transpose();
}
}  // namespace

TEST_CASE("apply_factor(M) equals M·F and F Fᵀ = Σ") {
  Eigen::MatrixXd M(3, 4);
  M << 1, -2, 0.5, 3, 0.25, 1, -1, 2, 0, 0, 1, -3;
  const probust::isotropic_gaussian iso{0.3};
  CHECK(iso.apply_factor(M) == 0.3 * M);
  CHECK(iso.covariance(4) == 0.09 * Eigen::MatrixXd::Identity(4, 4));
  const Eigen::Vector4d sigmas(0.5, 1, 2, 0.1);
  const probust::diagonal_gaussian diagonal{sigmas};
  CHECK(diagonal.apply_factor(M) == M * sigmas.asDiagonal());
  CHECK(diagonal.covariance() ==
        Eigen::MatrixXd(sigmas.array().square().matrix().asDiagonal()));
  for (const Eigen::MatrixXd& sigma : {full_rank_covariance(), singular_covariance()}) {
    const probust::gaussian full{sigma};
    const Eigen::MatrixXd F = full.factor();
    CHECK(max_abs(F * F.transpose() - sigma) <= 1e-14 * max_abs(sigma));
    CHECK(max_abs(full.apply_factor(M) - M * F) <= 1e-14 * max_abs(M) * max_abs(F));
    CHECK(full.covariance() == sigma);
  }
  // float noise
  const probust::gaussian full_f{full_rank_covariance().cast<float>()};
  const Eigen::MatrixXf F_f = full_f.factor();
  CHECK((F_f * F_f.transpose()).isApprox(full_rank_covariance().cast<float>(), 1e-6f));
}

TEST_CASE("sample draws have covariance Σ (within 4.5 standard errors, fixed seed)") {
  check_sample_covariance(probust::isotropic_gaussian{0.7}, 0.49 * Eigen::MatrixXd::Identity(3, 3),
                          1);
  const Eigen::Vector3d sigmas(0.1, 1, 3);
  check_sample_covariance(probust::diagonal_gaussian{sigmas},
                          Eigen::MatrixXd(sigmas.array().square().matrix().asDiagonal()), 2);
  check_sample_covariance(probust::gaussian{full_rank_covariance()}, full_rank_covariance(), 3);
  check_sample_covariance(probust::gaussian{singular_covariance()}, singular_covariance(), 4);
}

TEST_CASE("sample_batch columns are the draws of successive sample calls") {
  const probust::isotropic_gaussian iso{0.7};
  const probust::diagonal_gaussian diagonal{Eigen::Vector4d(0.1, 1, 3, 2)};
  const probust::gaussian full{full_rank_covariance()};
  const probust::gaussian singular{singular_covariance()};
  const auto compare = [](const auto& noise) {
    auto one = probust::point_engine(5, 0);
    auto batch = probust::point_engine(5, 0);
    Eigen::MatrixXd by_sample(4, 9);
    for (Eigen::Index j = 0; j < 9; ++j) noise.sample(one, by_sample.col(j));
    Eigen::MatrixXd by_batch(4, 9);
    noise.sample_batch(batch, by_batch);
    CHECK(max_abs(by_batch - by_sample) <= 1e-14 * max_abs(by_sample));
  };
  compare(iso);
  compare(diagonal);
  compare(full);
  compare(singular);
  // sample(F z) uses the factor: same engine state, z drawn explicitly.
  auto engine = probust::point_engine(6, 0);
  auto engine_z = probust::point_engine(6, 0);
  Eigen::VectorXd eps(4), z(4);
  singular.sample(engine, eps);
  probust::fill_standard_normal(engine_z, z);
  CHECK(max_abs(eps - singular.factor() * z) <= 1e-14 * max_abs(eps));
}
