// The Catch2 main. With Catch2 v3 the main comes from Catch2::Catch2WithMain instead, and
// this file compiles to nothing.
#if !defined(PROBUST_CATCH2_V3)
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#endif
