// TorchScript models (probust/torch.hpp; compiled only when CMake finds Torch). torch.hpp is
// included first, so this file also checks that the header compiles on its own.
//   * Jacobian: equal to PyTorch's own torch.autograd.functional.jacobian (stored by
//     tests/torch_reference.py) on the bundled digits CNN, to 1e-12 in float64 and 1e-5
//     relative in float32; exactly W on an affine TorchScript module (closed form).
//   * forward_batch in chunks equals the one-input calls; Taylor on the affine module
//     equals Taylor on probust::affine_model with the same W, b.
//   * every bad input gives probust::invalid_argument naming the file or the shape;
//   * run_dataset rows are bit-identical for 1 and 2 threads.
#include "probust/torch.hpp"
#include "probust/torch.hpp"  // twice: the include guard

#include <Eigen/Dense>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "catch_shim.hpp"
#include "test_support.hpp"
#include "probust/dataset.hpp"
#include "probust/dataset_io.hpp"
#include "probust/estimators/monte_carlo.hpp"
#include "probust/estimators/taylor.hpp"
#include "probust/models/affine.hpp"
#include "probust/noise.hpp"

namespace {

using probust_test::contains;
using probust_test::error_of;

const std::string cnn_path = std::string(PROBUST_EXAMPLES_DATA_DIR) + "/digits_cnn.pt";

// A TorchScript module built in C++: parameters W (K × d) and b, with the given forward.
torch::jit::Module script_module(const Eigen::MatrixXd& w, const Eigen::VectorXd& b,
                                 const std::string& forward, torch::Dtype dtype) {
  torch::jit::Module m("probust_test_module");
  const Eigen::Matrix<double, -1, -1, Eigen::RowMajor> w_rows = w;
  m.register_parameter(
      "weight", torch::from_blob(const_cast<double*>(w_rows.data()), {w.rows(), w.cols()},
                                 torch::kFloat64).to(dtype, false, true), false);
  m.register_parameter(
      "bias", torch::from_blob(const_cast<double*>(b.data()), {b.size()}, torch::kFloat64)
                  .to(dtype, false, true), false);
  m.define(forward);
  return m;
}

// f(x) = W vec(x) + b for inputs of any shape (the batch dimension first).
const char* const affine_forward = R"(
def forward(self, x):
    return x.reshape(x.size(0), -1).matmul(self.weight.t()) + self.bias
)";

Eigen::MatrixXd test_weights() { return probust_test::normal_matrix(4, 6, 0x70c4, 0); }
Eigen::VectorXd test_bias() { return probust_test::normal_matrix(4, 1, 0x70c4, 1).col(0); }

// A file in the temporary directory, removed at the end of the scope.
struct temp_file {
  std::string path;
  explicit temp_file(const std::string& name)
      : path((std::filesystem::temp_directory_path() / name).string()) {}
  ~temp_file() { std::remove(path.c_str()); }
};

// The blocks of tests/data/digits_cnn_reference.txt.
struct reference_block {
  std::string dtype;
  Eigen::VectorXd x, logits;
  Eigen::MatrixXd jacobian;
};

std::vector<reference_block> read_reference() {
  std::ifstream in(std::string(PROBUST_TEST_DATA_DIR) + "/digits_cnn_reference.txt");
  REQUIRE(in.is_open());
  std::vector<reference_block> blocks;
  reference_block b;
  int row = 0;
  while (in >> b.dtype >> row) {
    b.x.resize(64);
    b.logits.resize(10);
    b.jacobian.resize(10, 64);
    for (Eigen::Index j = 0; j < 64; ++j) in >> b.x(j);
    for (Eigen::Index i = 0; i < 10; ++i) in >> b.logits(i);
    for (Eigen::Index i = 0; i < 10; ++i) {
      for (Eigen::Index j = 0; j < 64; ++j) in >> b.jacobian(i, j);
    }
    REQUIRE(in.good());
    blocks.push_back(b);
  }
  return blocks;
}

}  // namespace

TEST_CASE("torch_model: the digits CNN's Jacobian equals PyTorch's own", "[torch]") {
  const std::vector<reference_block> blocks = read_reference();
  REQUIRE(blocks.size() == 4);
  const probust::torch_model cnn32 = probust::load_torch_model(cnn_path, {1, 8, 8});
  CHECK(cnn32.dtype() == torch::kFloat32);
  CHECK(cnn32.input_dimension() == 64);
  CHECK(cnn32.output_dimension() == 10);
  torch::jit::Module module64 = torch::jit::load(cnn_path);
  module64.to(torch::kFloat64);
  const probust::torch_model cnn64(module64, {1, 8, 8});
  CHECK(cnn64.dtype() == torch::kFloat64);

  for (const reference_block& b : blocks) {
    INFO(b.dtype);
    const bool single = b.dtype == "float32";
    const probust::torch_model& model = single ? cnn32 : cnn64;
    const Eigen::MatrixXd J = model.jacobian(b.x);
    const Eigen::VectorXd logits = model(b.x);
    const double scale = b.jacobian.cwiseAbs().maxCoeff();
    const double j_err = (J - b.jacobian).cwiseAbs().maxCoeff();
    const double f_err = (logits - b.logits).cwiseAbs().maxCoeff();
    INFO("max |J - J_torch| = " << j_err << ", max |J_torch| = " << scale);
    if (single) {
      CHECK(j_err <= 1e-5 * scale);
      CHECK(f_err <= 1e-5 * b.logits.cwiseAbs().maxCoeff());
    } else {
      CHECK(j_err <= 1e-12);
      CHECK(f_err <= 1e-12);
    }
  }
}

TEST_CASE("torch_model: an affine TorchScript module has J = W, batches equal single calls",
          "[torch]") {
  const Eigen::MatrixXd w = test_weights();
  const Eigen::VectorXd b = test_bias();
  const Eigen::MatrixXd X = probust_test::normal_matrix(6, 7, 0x70c4, 2);
  temp_file file("probust_test_affine.pt");
  script_module(w, b, affine_forward, torch::kFloat64).save(file.path);

  probust::torch_model_options o;
  o.batch_chunk = 3;  // 7 columns: chunks of 3, 3, 1
  const probust::torch_model model = probust::load_torch_model(file.path, {2, 3}, o);
  CHECK(model.dtype() == torch::kFloat64);
  CHECK(model.output_dimension() == 4);
  const Eigen::VectorXd x = X.col(0);
  CHECK((model.jacobian(x) - w).cwiseAbs().maxCoeff() <= 1e-15);
  CHECK((model(x) - (w * x + b)).cwiseAbs().maxCoeff() <= 1e-14);
  const Eigen::MatrixXd F = model.forward_batch(X);
  REQUIRE(F.rows() == 4);
  REQUIRE(F.cols() == 7);
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    const Eigen::VectorXd column = X.col(j);
    CHECK((F.col(j) - model(column)).cwiseAbs().maxCoeff() <= 1e-14);
  }
  CHECK(model.forward_batch(Eigen::MatrixXd(6, 0)).cols() == 0);

  // Taylor is exact for an affine model: the same value as on probust's own affine_model.
  const probust::isotropic_gaussian<> noise{0.8};
  const probust::taylor_estimator<> taylor;
  const probust::affine_model<double> reference(w, b);
  CHECK(taylor.estimate(model, x, noise).probability ==
        Approx(taylor.estimate(reference, x, noise).probability).margin(1e-12));

  // float32: the dtype is the module's, J is W rounded to float.
  const probust::torch_model single(script_module(w, b, affine_forward, torch::kFloat32),
                                    {6});
  CHECK(single.dtype() == torch::kFloat32);
  const Eigen::MatrixXd w_float = w.cast<float>().cast<double>();
  CHECK((single.jacobian(x) - w_float).cwiseAbs().maxCoeff() == 0.0);
}

TEST_CASE("torch_model: bad input throws probust::invalid_argument naming it", "[torch]") {
  const Eigen::MatrixXd w = test_weights();
  const Eigen::VectorXd b = test_bias();

  // Files.
  const std::string missing = (std::filesystem::temp_directory_path() / "no_such.pt").string();
  std::string e;
  try {
    probust::load_torch_model(missing, {6});
  } catch (const probust::io_error& error) {
    e = error.what();
  }
  CHECK(contains(e, "probust::load_torch_model: cannot open " + missing));
  temp_file text("probust_test_not_torchscript.pt");
  std::ofstream(text.path) << "probust-model 1\n";
  e = error_of([&] { probust::load_torch_model(text.path, {6}); });
  CHECK(contains(e, "probust::load_torch_model: " + text.path + " is not a TorchScript archive"));

  // Shapes.
  e = error_of([&] { probust::load_torch_model(cnn_path, {64}); });
  CHECK(contains(e, "probust::torch_model: " + cnn_path +
                        " does not accept an input of shape [64]"));
  e = error_of([&] { probust::load_torch_model(cnn_path, {}); });
  CHECK(contains(e, "probust::torch_model: input_shape is empty"));
  e = error_of([&] { probust::load_torch_model(cnn_path, {1, 0, 8}); });
  CHECK(contains(e, "input_shape [1, 0, 8] has a dimension below 1"));
  const probust::torch_model cnn = probust::load_torch_model(cnn_path, {1, 8, 8});
  e = error_of([&] { cnn(Eigen::VectorXd::Zero(63)); });
  CHECK(contains(e, "probust::torch_model: x has size 63 but the input shape [1, 8, 8] of " +
                        cnn_path + " has 64 elements"));
  e = error_of([&] { cnn.jacobian(Eigen::VectorXd::Zero(65)); });
  CHECK(contains(e, "x has size 65"));
  e = error_of([&] { cnn.forward_batch(Eigen::MatrixXd::Zero(8, 3)); });
  CHECK(contains(e, "X has row count 8"));

  // Options.
  probust::torch_model_options o;
  o.batch_chunk = 0;
  e = error_of([&] { probust::load_torch_model(cnn_path, {1, 8, 8}, o); });
  CHECK(contains(e, "options.batch_chunk must be >= 1"));
  o = {};
  o.intra_op_threads = -1;
  e = error_of([&] { probust::load_torch_model(cnn_path, {1, 8, 8}, o); });
  CHECK(contains(e, "options.intra_op_threads must be >= 0"));

  // Outputs that are not n × K logits.
  e = error_of([&] {
    probust::torch_model(script_module(w, b, "def forward(self, x):\n    return x\n",
                                       torch::kFloat64), {2, 3}, {}, "identity.pt");
  });
  CHECK(contains(e, "identity.pt returned a tensor of shape [1, 2, 3] for one input of shape "
                    "[2, 3]; expected 1 x K logits"));
  e = error_of([&] {
    probust::torch_model(script_module(w, b, "def forward(self, x):\n    return (x, x)\n",
                                       torch::kFloat64), {6}, {}, "pair.pt");
  });
  CHECK(contains(e, "pair.pt returned a Tuple, expected a tensor of logits"));
  e = error_of([&] {
    probust::torch_model(script_module(w, b, affine_forward, torch::kFloat16), {6}, {},
                         "half.pt");
  });
  CHECK(contains(e, "half.pt has parameters of dtype Half"));

  // Logits that autograd cannot differentiate with respect to the input.
  const probust::torch_model constant(
      script_module(w, b, "def forward(self, x):\n    return self.bias.expand(x.size(0), 4)\n",
                    torch::kFloat64),
      {6}, {}, "constant.pt");
  e = error_of([&] { constant.jacobian(Eigen::VectorXd::Zero(6)); });
  CHECK(contains(e, "probust::torch_model::jacobian: the logits of constant.pt are not "
                    "connected to its input"));

  // NaN logits: f(x) = sqrt(x) is NaN where x < 0.
  const probust::torch_model root(
      script_module(w, b, "def forward(self, x):\n    return x.sqrt()\n", torch::kFloat64), {6},
      {}, "sqrt.pt");
  Eigen::VectorXd x = Eigen::VectorXd::Ones(6);
  x(4) = -1.0;
  e = error_of([&] { root(x); });
  CHECK(contains(e, "probust::torch_model: sqrt.pt returned a non-finite logit (NaN) at index 4 "
                    "for input 0"));
  e = error_of([&] { root.jacobian(x); });
  CHECK(contains(e, "sqrt.pt returned a non-finite logit (NaN) at index 4"));
  Eigen::MatrixXd X = Eigen::MatrixXd::Ones(6, 3);
  X(1, 2) = -2.0;
  e = error_of([&] { root.forward_batch(X); });
  CHECK(contains(e, "non-finite logit (NaN) at index 1 for input 2"));
}

TEST_CASE("torch_model: run_dataset rows are bit-identical for 1 and 2 threads", "[torch]") {
  const probust::torch_model cnn = probust::load_torch_model(cnn_path, {1, 8, 8});
  const std::vector<reference_block> blocks = read_reference();
  Eigen::MatrixXd points(6, 64);
  for (Eigen::Index i = 0; i < points.rows(); ++i) {
    // Reference images blended with noise, so the points differ.
    points.row(i) = (blocks[static_cast<std::size_t>(i) % 2].x +
                     0.05 * probust_test::normal_matrix(64, 1, 0xd15, i).col(0))
                        .transpose();
  }
  const probust::isotropic_gaussian<> noise{0.1};
  const probust::taylor_estimator<> taylor;
  probust::monte_carlo_options mc_options;
  mc_options.sampling.samples = 2000;
  const probust::monte_carlo_estimator<> mc(mc_options);
  const auto csv = [&](unsigned threads) {
    probust::dataset_options o;
    o.threads = threads;
    std::vector<probust::dataset_row> rows =
        probust::run_dataset(cnn, points, noise, o, taylor, mc);
    for (auto& row : rows) {
      CHECK(row.status == probust::row_status::ok);
      row.seconds = 0.0;
    }
    std::ostringstream out;
    probust::write_csv(out, rows);
    return out.str();
  };
  const std::string one = csv(1);
  CHECK(csv(2) == one);
}
