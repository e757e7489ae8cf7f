// The logistic function has one definition: translation units that include the model and
// estimator headers in either order compute the same sigmoid, equal to 1/(1 + e^{−x}).
#include <Eigen/Dense>
#include <cmath>

#include "catch_shim.hpp"
#include "odr_order.hpp"

TEST_CASE("sigmoid is the same in TUs with either include order and equals 1/(1+e^-x)") {
  Eigen::VectorXd z(9);
  z << -40.0, -7.5, -1.0, -0.125, 0.0, 0.3, 2.0, 9.0, 40.0;
  const Eigen::VectorXd act_a = probust_test::sigmoid_activation_a(z);
  const Eigen::VectorXd act_b = probust_test::sigmoid_activation_b(z);
  const Eigen::VectorXd log_a = probust_test::logistic_a(z);
  const Eigen::VectorXd log_b = probust_test::logistic_b(z);
  for (Eigen::Index i = 0; i < z.size(); ++i) {
    INFO("x = " << z(i));
    CHECK(act_a(i) == act_b(i));
    CHECK(log_a(i) == log_b(i));
    CHECK(act_a(i) == log_a(i));
    // The closed form, evaluated here independently (exact to a few ulp for these x).
    const double closed = 1.0 / (1.0 + std::exp(-z(i)));
    CHECK(act_a(i) == Approx(closed).epsilon(1e-15));
  }
}
