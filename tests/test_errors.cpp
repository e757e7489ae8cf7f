// The error contract (errors.hpp): each kind of failure throws its probust type, with a
// message that starts with the name of the probust function.
#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <cmath>
#include <string>

#include "catch_shim.hpp"
#include "probust/detail/boost_policy.hpp"
#include "probust/errors.hpp"
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
