#pragma once
/// \file config.hpp
/// Compile-time configuration shared by all probust headers.

#include "probust/version.hpp"

#if defined(__cpp_concepts) && __cpp_concepts >= 201907L
/// Defined to 1 when C++20 concepts are available (better diagnostics for model types).
#define PROBUST_HAS_CONCEPTS 1
#else
#define PROBUST_HAS_CONCEPTS 0
#endif

namespace probust {

/// The default seed of every randomized computation in probust (documented, fixed, so
/// the same inputs give the same bits on every run).
inline constexpr unsigned long long default_seed = 0x5eed'2024'0a11'c0deULL;

}  // namespace probust
