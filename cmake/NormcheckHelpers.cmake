# Project-wide build helpers: one place for warnings and for registering tests.

# The project's warning set, applied to every target we own (never to dependencies).
function(normcheck_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wconversion -Wshadow -Wno-sign-conversion>
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wconversion -Wshadow -Wno-sign-conversion>)
endfunction()

# normcheck_add_test(<name> TIER <smoke|sampled|exhaustive> [SAMPLED <gtest filter>]
#                    SOURCES <files...> LIBS <targets...>)
# Builds a GoogleTest executable with the project's warnings and lets ctest discover
# every test in it. Tests run from the source tree so they can read corpus/ files.
# Each discovered test gets two labels (docs/testing.md): exactly one tier, and the name
# of its folder (the layer it checks). TIER names the tier; in a smoke executable,
# SAMPLED names (as a --gtest_filter pattern) the tests that are sampled instead.
function(normcheck_add_test name)
  cmake_parse_arguments(ARG "" "TIER;SAMPLED" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_TIER MATCHES "^(smoke|sampled|exhaustive)$")
    message(FATAL_ERROR "normcheck_add_test(${name}): TIER must be smoke, sampled or exhaustive")
  endif()
  if(ARG_SAMPLED AND NOT ARG_TIER STREQUAL "smoke")
    message(FATAL_ERROR "normcheck_add_test(${name}): SAMPLED splits a smoke executable only")
  endif()
  add_executable(${name} ${ARG_SOURCES})
  normcheck_warnings(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  if(ARG_SAMPLED)
    _normcheck_discover(${name} smoke "-${ARG_SAMPLED}")
    _normcheck_discover(${name} sampled "${ARG_SAMPLED}")
  else()
    _normcheck_discover(${name} ${ARG_TIER} "")
  endif()
endfunction()

# Discovers the tests of <target> that <filter> selects ("": all) and labels them <tier>
# and the folder's name. The labels are set by a script that ctest reads after the
# discovered tests, from the list of their names: a list value in the discovery's
# PROPERTIES is split into separate arguments on its way, and a directory LABELS does not
# reach tests whose WORKING_DIRECTORY lies outside the build directory.
function(_normcheck_discover target tier filter)
  get_filename_component(layer ${CMAKE_CURRENT_SOURCE_DIR} NAME)
  set(list_var ${target}_${tier}_tests)
  set(filter_args "")
  if(filter)
    set(filter_args TEST_FILTER "${filter}")
  endif()
  gtest_discover_tests(${target} ${filter_args}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    DISCOVERY_TIMEOUT 60
    TEST_LIST ${list_var}
    PROPERTIES ENVIRONMENT "NORMCHECK_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  set(script ${CMAKE_CURRENT_BINARY_DIR}/${target}_${tier}_labels.cmake)
  file(CONFIGURE OUTPUT ${script} @ONLY CONTENT
    "if(@list_var@)\n  set_tests_properties(\${@list_var@} PROPERTIES LABELS \"@tier@;@layer@\")\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${script})
endfunction()
