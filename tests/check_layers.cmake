# Checks the include layers of docs/architecture.md on every header of include/probust:
#  1. a header includes only probust headers of its own layer or of earlier layers;
#  2. the models-and-noise layer does not include the MVN engine;
#  3. a private folder X/detail/ is included only from X/ (the root detail/ from anywhere);
#  4. every included probust header exists.
# Usage: cmake -DPROBUST_INCLUDE_DIR=<repo>/include -P tests/check_layers.cmake

if(NOT PROBUST_INCLUDE_DIR)
  message(FATAL_ERROR "check_layers: pass -DPROBUST_INCLUDE_DIR=<repository>/include")
endif()

# The layer of a header path relative to include/ (docs/architecture.md, "Layers").
function(probust_layer path out)
  set(layer "")
  if(path MATCHES "^probust/(version|config|errors)\\.hpp$" OR path MATCHES "^probust/detail/")
    set(layer 0)
  elseif(path MATCHES "^probust/(random|stats)\\.hpp$")
    set(layer 1)
  elseif(path MATCHES "^probust/mvn/")
    set(layer 2)
  elseif(path MATCHES "^probust/(model|noise|torch|jacobian_source)\\.hpp$"
         OR path MATCHES "^probust/models/")
    set(layer 3)
  elseif(path MATCHES "^probust/estimators/")
    set(layer 4)
  elseif(path MATCHES "^probust/(dataset|dataset_io|progress|curves|summary)\\.hpp$")
    set(layer 5)
  elseif(path STREQUAL "probust/probust.hpp")
    set(layer 6)
  endif()
  set(${out} "${layer}" PARENT_SCOPE)
endfunction()

file(GLOB_RECURSE headers RELATIVE "${PROBUST_INCLUDE_DIR}" "${PROBUST_INCLUDE_DIR}/probust/*.hpp")
list(SORT headers)
set(violations "")
foreach(header IN LISTS headers)
  probust_layer("${header}" own)
  if(own STREQUAL "")
    string(APPEND violations "\n  ${header}: not in any layer (add it to docs/architecture.md"
                             " and tests/check_layers.cmake)")
    continue()
  endif()
  get_filename_component(own_dir "${header}" DIRECTORY)
  file(STRINGS "${PROBUST_INCLUDE_DIR}/${header}" includes
       REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]probust/")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"].*$" "\\1" target "${line}")
    probust_layer("${target}" theirs)
    if(NOT EXISTS "${PROBUST_INCLUDE_DIR}/${target}")
      string(APPEND violations "\n  ${header} includes ${target}, which does not exist")
    elseif(theirs STREQUAL "")
      string(APPEND violations "\n  ${header} includes ${target}, which is in no layer")
    elseif(theirs GREATER own)
      string(APPEND violations
             "\n  ${header} (layer ${own}) includes ${target} of the later layer ${theirs}")
    elseif(own EQUAL 3 AND theirs EQUAL 2)
      string(APPEND violations
             "\n  ${header} (models and noise) includes the MVN engine: ${target}")
    endif()
    if(target MATCHES "^(probust/.+)/detail/")
      set(owner "${CMAKE_MATCH_1}")
      if(NOT (own_dir STREQUAL owner OR own_dir MATCHES "^${owner}/"))
        string(APPEND violations "\n  ${header} includes ${target}, private to ${owner}/")
      endif()
    endif()
  endforeach()
endforeach()

list(LENGTH headers count)
if(violations)
  message(FATAL_ERROR "check_layers: include layers violated:${violations}")
endif()
message(STATUS "check_layers: ${count} headers keep the include layers")
