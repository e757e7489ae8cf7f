#pragma once
/// \file jacobian_source.hpp
/// Where a logit Jacobian came from (reported by logit_jacobian and in robustness_result).

namespace probust {

/// Where a logit Jacobian came from: the model's own `jacobian(x)`, central finite
/// differences, or nowhere (the estimator did not need one).
enum class jacobian_source { user, finite_difference, not_used };

}  // namespace probust
