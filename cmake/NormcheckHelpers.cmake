# Project-wide build helpers: one place for warnings and for registering tests.

# The project's warning set, applied to every target we own (never to dependencies).
function(normcheck_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wconversion -Wshadow -Wno-sign-conversion>
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wconversion -Wshadow -Wno-sign-conversion>)
endfunction()

# normcheck_add_test(<name> SOURCES <files...> LIBS <targets...>)
# Builds a GoogleTest executable with the project's warnings and lets ctest discover
# every test in it. Tests run from the source tree so they can read corpus/ files.
function(normcheck_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  normcheck_warnings(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "NORMCHECK_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
