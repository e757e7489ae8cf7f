// torch_check — a program of your own that uses probust's TorchScript models (built by
// CMakeLists.txt next to it when PROBUST_CONSUMER_TORCH is on; links probust::torch).
//
// It builds a linear two-class TorchScript module f(x) = Wx + b in C++ (the same
// classifier as main.cpp; in practice the module comes from torch.jit.save in Python),
// loads it back through probust::load_torch_model, and checks that the autograd Jacobian
// equals W and that Taylor reproduces the closed form p = Φ((f_0 − f_1) / (σ‖w_0 − w_1‖)).
// Exit status 1 if either fails.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <probust/probust.hpp>
#include <probust/torch.hpp>

int main() {
  torch::jit::Module linear("linear");
  linear.register_parameter("weight",
                            torch::tensor({1.0, 0.5, -0.2, -0.3, 0.4, 0.6}, torch::kFloat64)
                                .reshape({2, 3}),
                            false);
  linear.register_parameter("bias", torch::tensor({0.1, -0.1}, torch::kFloat64), false);
  linear.define(R"(
def forward(self, x):
    return x.matmul(self.weight.t()) + self.bias
)");
  const std::string file =
      (std::filesystem::temp_directory_path() / "probust_torch_check.pt").string();
  linear.save(file);
  const probust::torch_model model = probust::load_torch_model(file, {3});
  std::filesystem::remove(file);

  Eigen::MatrixXd W(2, 3);
  W << 1.0, 0.5, -0.2, -0.3, 0.4, 0.6;
  Eigen::VectorXd x(3);
  x << 0.5, 0.2, 0.1;
  const double sigma = 0.3;
  const Eigen::VectorXd logits = model(x);
  const double exact =
      probust::normal_cdf((logits(0) - logits(1)) / (sigma * (W.row(0) - W.row(1)).norm()));
  const double taylor =
      probust::taylor_estimator<>{}.estimate(model, x, probust::isotropic_gaussian<>{sigma})
          .probability;
  const double jacobian_error = (model.jacobian(x) - W).cwiseAbs().maxCoeff();
  std::printf("probust::torch: linear TorchScript module, |J - W| = %g, Taylor p = %.12f, "
              "closed form %.12f\n", jacobian_error, taylor, exact);
  const bool ok = jacobian_error < 1e-15 && std::fabs(taylor - exact) < 1e-12;
  std::printf("%s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
