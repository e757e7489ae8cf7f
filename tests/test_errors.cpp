// The error contract (errors.hpp): each kind of failure throws its probust type, with a
// message that starts with the name of the probust function.
#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <cmath>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "catch_shim.hpp"
#include "probust/detail/boost_policy.hpp"
#include "probust/errors.hpp"
#include "probust/models/model_file.hpp"
#include "probust/stats.hpp"

namespace {

// Runs f, which must throw E; returns the message.
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  FAIL("no exception of the expected type");
  return {};
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

TEST_CASE("a Boost.Math domain error becomes probust::invalid_argument naming the caller") {
  const std::string what = message_of<probust::invalid_argument>([] {
    probust::detail::call_boost("probust::some_function", [] {
      // p = 2 is outside the domain [0, 1] of the normal quantile.
      return boost::math::quantile(
          boost::math::normal_distribution<double, probust::detail::boost_policy>(), 2.0);
    });
  });
  INFO(what);
  CHECK(starts_with(what, "probust::some_function: Boost.Math: "));
}

TEST_CASE("a Boost.Math overflow becomes probust::numerical_error naming the caller") {
  const std::string what = message_of<probust::numerical_error>([] {
    probust::detail::call_boost("probust::other_function", [] {
      // Β(a, b) with a = b = 1e-320: 1/a overflows.
      return boost::math::beta(1e-320, 1e-320, probust::detail::boost_policy());
    });
  });
  INFO(what);
  CHECK(starts_with(what, "probust::other_function: Boost.Math: "));
}

TEST_CASE("call_boost passes probust's own exceptions through unchanged") {
  const std::string what = message_of<probust::numerical_error>([] {
    probust::detail::call_boost("probust::outer", []() -> double {
      probust::detail::throw_numerical_error("probust::inner", "broke down");
    });
  });
  CHECK(what == "probust::inner: broke down");
}

TEST_CASE("boost_policy computes in double to within a few ulp of long double") {
  // Clopper–Pearson bounds (Beta quantiles) against Boost's long-double evaluation.
  for (const double a : {1.0, 3.0, 57.0, 950.0}) {
    for (const double b : {2.0, 40.0, 1000.0}) {
      for (const double p : {1e-10, 0.025, 0.5}) {
        const double ours = boost::math::ibeta_inv(a, b, p, probust::detail::boost_policy());
        const long double truth = boost::math::ibeta_inv(static_cast<long double>(a),
                                                         static_cast<long double>(b),
                                                         static_cast<long double>(p));
        INFO("a = " << a << ", b = " << b << ", p = " << p);
        CHECK(ours == Approx(static_cast<double>(truth)).epsilon(1e-13));
      }
    }
  }
}

TEST_CASE("error contract: a contract violation is a probust::invalid_argument") {
  const std::string what = message_of<probust::invalid_argument>(
      [] { probust::clopper_pearson_interval(1, 0, 0.95); });
  INFO(what);
  CHECK(starts_with(what, "probust::clopper_pearson_interval: "));
  // A malformed model file is a contract violation too, not an I/O error.
  const std::string malformed = message_of<probust::invalid_argument>([] {
    std::istringstream in("not a model\n");
    probust::read_dense_network(in, "garbage.txt");
  });
  INFO(malformed);
  CHECK(starts_with(malformed, "probust::read_dense_network: garbage.txt:1: "));
}

TEST_CASE("error contract: a file that cannot be opened is a probust::io_error") {
  // A directory that does not exist, under the temporary directory.
  const std::string missing_dir =
      (std::filesystem::temp_directory_path() /
       ("probust_no_such_dir_" + std::to_string(std::random_device{}())))
          .string();
  const std::string path = missing_dir + "/model.txt";
  const std::string load = message_of<probust::io_error>(
      [&] { probust::load_dense_network(path); });
  INFO(load);
  CHECK(starts_with(load, "probust::load_dense_network: cannot open '" + path + "'"));

  probust::dense_layer<double> layer;
  layer.weights = Eigen::MatrixXd::Identity(2, 2);
  layer.bias = Eigen::VectorXd::Zero(2);
  const probust::dense_network<double> net(std::vector<probust::dense_layer<double>>{layer});
  const std::string save = message_of<probust::io_error>(
      [&] { probust::save_dense_network(net, path); });
  INFO(save);
  CHECK(starts_with(save, "probust::save_dense_network: cannot open '" + path + "'"));
  // io_error is neither of the other two kinds.
  CHECK_THROWS_AS(probust::load_dense_network(path), std::runtime_error);
  CHECK_NOTHROW([&] {
    try {
      probust::load_dense_network(path);
    } catch (const probust::invalid_argument&) {
      FAIL("an invalid_argument");
    } catch (const probust::numerical_error&) {
      FAIL("a numerical_error");
    } catch (const probust::io_error&) {
    }
  }());
}
