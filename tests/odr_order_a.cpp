// Includes dense_network.hpp, then mv_sigmoid.hpp (see odr_order.hpp).
#include "probust/models/dense_network.hpp"
#include "probust/estimators/mv_sigmoid.hpp"
#include "odr_order.hpp"

namespace probust_test {

Eigen::VectorXd sigmoid_activation_a(const Eigen::VectorXd& z) {
  Eigen::VectorXd out = z;
  probust::detail::apply_activation(out, probust::activation::sigmoid, 0.0);
  return out;
}

Eigen::VectorXd logistic_a(const Eigen::VectorXd& z) {
  return z.unaryExpr([](double v) { return probust::detail::logistic(v); });
}

}  // namespace probust_test
