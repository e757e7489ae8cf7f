#pragma once
/// \file version.hpp
/// The single source of the probust version; CMake parses these three macros.

#define PROBUST_VERSION_MAJOR 0
#define PROBUST_VERSION_MINOR 1
#define PROBUST_VERSION_PATCH 0

/// Version as one integer, e.g. 100 for 0.1.0 (major * 10000 + minor * 100 + patch).
#define PROBUST_VERSION \
  (PROBUST_VERSION_MAJOR * 10000 + PROBUST_VERSION_MINOR * 100 + PROBUST_VERSION_PATCH)
