#pragma once
/// \file probust.hpp
/// Umbrella header: everything in probust.

#include "probust/config.hpp"
#include "probust/errors.hpp"
#include "probust/random.hpp"
#include "probust/version.hpp"

#include "probust/mvn/bivariate.hpp"
#include "probust/mvn/cdf.hpp"
#include "probust/mvn/options.hpp"
#include "probust/mvn/polytope.hpp"
#include "probust/mvn/rare_event.hpp"
#include "probust/mvn/trivariate.hpp"
#include "probust/mvn/univariate.hpp"
