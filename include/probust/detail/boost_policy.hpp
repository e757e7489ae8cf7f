#pragma once
/// \file boost_policy.hpp
/// The one Boost.Math policy of the library, and the one place where Boost.Math's errors
/// become probust exceptions. Every Boost.Math call in probust passes boost_policy and
/// runs inside call_boost.
///
/// boost_policy computes doubles in double: Boost's default promotes them to long double,
/// 4–10× slower for a last-bit difference. Errors keep Boost's default action (throw);
/// call_boost translates them: std::domain_error (an argument outside the function's
/// domain, a pole) becomes probust::invalid_argument, any other std::runtime_error
/// (overflow, an evaluation that did not converge, a rounding error) probust::numerical_error,
/// with the message "<function>: Boost.Math: <Boost's message>". Exceptions that are already
/// probust's (thrown by a functor Boost calls back) pass unchanged.

#include <boost/math/policies/policy.hpp>
#include <stdexcept>
#include <string>
#include <utility>

#include "probust/errors.hpp"

namespace probust::detail {

/// Doubles and floats are computed at their own precision; errors throw (Boost's default).
using boost_policy = boost::math::policies::policy<boost::math::policies::promote_float<false>,
                                                   boost::math::policies::promote_double<false>>;

/// Returns call(), with Boost.Math's exceptions translated for the probust function
/// `function` (see the file comment).
template <class Call>
auto call_boost(const char* function, Call&& call) -> decltype(std::forward<Call>(call)()) {
  try {
    return std::forward<Call>(call)();
  } catch (const probust::invalid_argument&) {
    throw;
  } catch (const probust::numerical_error&) {
    throw;
  } catch (const std::domain_error& e) {
    throw_invalid_argument(function, std::string("Boost.Math: ") + e.what());
  } catch (const std::runtime_error& e) {
    throw_numerical_error(function, std::string("Boost.Math: ") + e.what());
  }
}

}  // namespace probust::detail
