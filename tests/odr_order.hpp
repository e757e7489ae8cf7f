#pragma once
/// \file odr_order.hpp
/// Two translation units, odr_order_a.cpp and odr_order_b.cpp, include dense_network.hpp
/// and mv_sigmoid.hpp in opposite orders; each evaluates the sigmoid activation path and
/// detail::logistic on the same inputs. test_odr_order.cpp checks they agree.

#include <Eigen/Dense>

namespace probust_test {

/// apply_activation(z, sigmoid) evaluated in the TU that includes dense_network.hpp first.
Eigen::VectorXd sigmoid_activation_a(const Eigen::VectorXd& z);
/// detail::logistic evaluated entry by entry in that TU.
Eigen::VectorXd logistic_a(const Eigen::VectorXd& z);
/// The same in the TU that includes mv_sigmoid.hpp first.
Eigen::VectorXd sigmoid_activation_b(const Eigen::VectorXd& z);
Eigen::VectorXd logistic_b(const Eigen::VectorXd& z);

}  // namespace probust_test
