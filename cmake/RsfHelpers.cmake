# Helpers in the style of Abseil's absl_cc_library: one call declares a target,
# its sources and its dependencies on other rsf modules.

add_library(rsf_warnings INTERFACE)
target_compile_options(rsf_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Werror=unused-result
  $<$<BOOL:${RSF_WERROR}>:-Werror>)

# rsf_cc_library(NAME ledger SRCS ... DEPS rsf::common ... [PRIVATE_DEPS ...])
function(rsf_cc_library)
  cmake_parse_arguments(RSF "" "NAME" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(rsf_${RSF_NAME} STATIC ${RSF_SRCS})
  add_library(rsf::${RSF_NAME} ALIAS rsf_${RSF_NAME})
  target_include_directories(rsf_${RSF_NAME}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(rsf_${RSF_NAME} PUBLIC ${RSF_DEPS} PRIVATE ${RSF_PRIVATE_DEPS} rsf_warnings)
endfunction()

# rsf_cc_test(NAME ledger_merkle_test SRCS ... DEPS ...) — registers each TEST with CTest.
function(rsf_cc_test)
  cmake_parse_arguments(RSF "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${RSF_NAME} ${RSF_SRCS})
  target_include_directories(${RSF_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${RSF_NAME} PRIVATE ${RSF_DEPS} rsf_testing GTest::gmock GTest::gtest_main rsf_warnings)
  gtest_discover_tests(${RSF_NAME}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES ENVIRONMENT "RSF_BINARY_DIR=${PROJECT_BINARY_DIR};RSF_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
               LABELS "${RSF_LABELS}"
    DISCOVERY_TIMEOUT 60)
endfunction()

# rsf_cc_fuzzer(NAME ledger_proof SRCS ... DEPS ...): always builds a replay binary that
# runs every file of fuzz/corpus/<NAME>/ as a CTest test; with RSF_BUILD_FUZZERS (clang)
# also builds the libFuzzer binary <NAME>_fuzzer.
function(rsf_cc_fuzzer)
  cmake_parse_arguments(RSF "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${RSF_NAME}_replay ${RSF_SRCS} ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cc)
  target_link_libraries(${RSF_NAME}_replay PRIVATE ${RSF_DEPS} rsf_warnings)
  add_test(NAME fuzz_replay.${RSF_NAME}
           COMMAND ${RSF_NAME}_replay ${PROJECT_SOURCE_DIR}/fuzz/corpus/${RSF_NAME})
  if(RSF_BUILD_FUZZERS)
    add_executable(${RSF_NAME}_fuzzer ${RSF_SRCS})
    target_compile_options(${RSF_NAME}_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${RSF_NAME}_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${RSF_NAME}_fuzzer PRIVATE ${RSF_DEPS})
  endif()
endfunction()
