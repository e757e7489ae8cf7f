# Run with `cmake -P`. Drives the consumer-project tests (see tests/CMakeLists.txt).
#   CONSUMER_MODE=install       cmake --install PROBUST_BINARY_DIR into PROBUST_INSTALL_PREFIX
#   CONSUMER_MODE=find_package  build CONSUMER_SOURCE_DIR (examples/cmake_project) against
#                               that prefix, run it
#   CONSUMER_MODE=subdirectory  build it with add_subdirectory(PROBUST_SOURCE_DIR), run it
#   CONSUMER_TORCH=ON           also build and run its torch_check (probust::torch)
cmake_minimum_required(VERSION 3.15)

function(run)
  string(REPLACE ";" " " _shown "${ARGN}")
  message(STATUS "run: ${_shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "command failed (${_rc}): ${_shown}")
  endif()
endfunction()

if(NOT CONSUMER_BUILD_TYPE OR CONSUMER_BUILD_TYPE STREQUAL "")
  set(CONSUMER_BUILD_TYPE Release)
endif()

if(CONSUMER_MODE STREQUAL "install")
  file(REMOVE_RECURSE "${PROBUST_INSTALL_PREFIX}")
  run("${CMAKE_COMMAND}" --install "${PROBUST_BINARY_DIR}"
      --prefix "${PROBUST_INSTALL_PREFIX}" --config "${CONSUMER_BUILD_TYPE}")
  if(NOT EXISTS "${PROBUST_INSTALL_PREFIX}/include/probust/version.hpp")
    message(FATAL_ERROR "install did not put the headers under ${PROBUST_INSTALL_PREFIX}")
  endif()
  return()
endif()

string(REPLACE "|" ";" _prefix_path "${CONSUMER_PREFIX_PATH}")
set(_configure
  "${CMAKE_COMMAND}" -S "${CONSUMER_SOURCE_DIR}" -B "${CONSUMER_BINARY_DIR}"
  -G "${CONSUMER_GENERATOR}"
  "-DCMAKE_CXX_COMPILER=${CONSUMER_CXX_COMPILER}"
  "-DCMAKE_BUILD_TYPE=${CONSUMER_BUILD_TYPE}"
  "-DPROBUST_CONSUMER_MODE=${CONSUMER_MODE}"
  "-DPROBUST_VERSION_REQUIRED=${PROBUST_VERSION_REQUIRED}")
if(CONSUMER_TORCH)
  list(APPEND _configure -DPROBUST_CONSUMER_TORCH=ON)
endif()
foreach(_dep Eigen3 Boost Torch)
  if(CONSUMER_${_dep}_DIR AND NOT CONSUMER_${_dep}_DIR MATCHES "NOTFOUND$")
    list(APPEND _configure "-D${_dep}_DIR=${CONSUMER_${_dep}_DIR}")
  endif()
endforeach()
if(CONSUMER_MODE STREQUAL "find_package")
  list(PREPEND _prefix_path "${PROBUST_INSTALL_PREFIX}")
  # Make sure the installed copy is used, not a stray one from the user package registry.
  list(APPEND _configure -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
elseif(CONSUMER_MODE STREQUAL "subdirectory")
  list(APPEND _configure "-DPROBUST_SOURCE_DIR=${PROBUST_SOURCE_DIR}")
else()
  message(FATAL_ERROR "unknown CONSUMER_MODE '${CONSUMER_MODE}'")
endif()

file(REMOVE_RECURSE "${CONSUMER_BINARY_DIR}")
if(_prefix_path)
  # A list cannot pass through execute_process intact; hand it over in an initial cache.
  set(_init "${CONSUMER_BINARY_DIR}-init.cmake")
  file(WRITE "${_init}" "set(CMAKE_PREFIX_PATH [==[${_prefix_path}]==] CACHE STRING \"\")\n")
  list(APPEND _configure -C "${_init}")
endif()
run(${_configure})
run("${CMAKE_COMMAND}" --build "${CONSUMER_BINARY_DIR}" --config "${CONSUMER_BUILD_TYPE}")

find_program(_exe robustness_check
  PATHS "${CONSUMER_BINARY_DIR}" "${CONSUMER_BINARY_DIR}/${CONSUMER_BUILD_TYPE}"
  NO_DEFAULT_PATH)
if(NOT _exe)
  message(FATAL_ERROR "robustness_check executable not found in ${CONSUMER_BINARY_DIR}")
endif()
run("${_exe}")

if(CONSUMER_TORCH)
  find_program(_torch_exe torch_check
    PATHS "${CONSUMER_BINARY_DIR}" "${CONSUMER_BINARY_DIR}/${CONSUMER_BUILD_TYPE}"
    NO_DEFAULT_PATH)
  if(NOT _torch_exe)
    message(FATAL_ERROR "torch_check executable not found in ${CONSUMER_BINARY_DIR}")
  endif()
  run("${_torch_exe}")
endif()
