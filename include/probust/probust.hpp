#pragma once
#include "probust/version.hpp"
#include "probust/config.hpp"
#include "probust/errors.hpp"
#include "probust/mvn/univariate.hpp"
