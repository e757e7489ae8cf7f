#pragma once
/// \file catch_shim.hpp
/// Include this (not Catch2 directly) in test files: it works with Catch2 v2 (Debian's) and
/// v3. CMake defines PROBUST_CATCH2_V3 when it finds Catch2 3.x.

#if defined(PROBUST_CATCH2_V3)
#include <catch2/catch_all.hpp>
using Catch::Approx;  // v2 puts Approx in the global namespace; keep test code identical.
#else
#include <catch2/catch.hpp>
#endif
