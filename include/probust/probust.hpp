#pragma once
/// \file probust.hpp
/// Umbrella header: everything in probust.

#include "probust/config.hpp"
#include "probust/errors.hpp"
#include "probust/random.hpp"
#include "probust/stats.hpp"
#include "probust/stratified_interval.hpp"
#include "probust/version.hpp"

#include "probust/mvn/bivariate.hpp"
#include "probust/mvn/cdf.hpp"
#include "probust/mvn/options.hpp"
#include "probust/mvn/polytope.hpp"
#include "probust/mvn/rare_event.hpp"
#include "probust/mvn/trivariate.hpp"
#include "probust/mvn/univariate.hpp"

#include "probust/model.hpp"
#include "probust/models/affine.hpp"
#include "probust/models/dense_network.hpp"
#include "probust/models/model_file.hpp"
#include "probust/noise.hpp"

#include "probust/estimators/control_variate.hpp"
#include "probust/estimators/linearization.hpp"
#include "probust/estimators/mmse.hpp"
#include "probust/estimators/monte_carlo.hpp"
#include "probust/estimators/mv_sigmoid.hpp"
#include "probust/estimators/result.hpp"
#include "probust/estimators/softmax.hpp"
#include "probust/estimators/stratified_control_variate.hpp"
#include "probust/estimators/taylor.hpp"

#include "probust/curves.hpp"
#include "probust/dataset.hpp"
#include "probust/dataset_io.hpp"
#include "probust/summary.hpp"
