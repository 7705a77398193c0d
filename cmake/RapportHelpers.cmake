# rapport_cc_library / rapport_cc_test: the one helper every folder uses, in the
# spirit of Abseil's absl_cc_library, so each CMakeLists.txt is a few lines.
#
#   rapport_cc_library(NAME store SRCS a.cc HDRS a.h DEPS absl::status)
#     -> target rapport_store (static), alias rapport::store
#   rapport_cc_test(NAME key_codec_test SRCS key_codec_test.cc DEPS rapport::store)
#     -> executable + CTest test named key_codec_test, linked to gtest_main
include_guard(GLOBAL)

function(rapport_cc_library)
  cmake_parse_arguments(R "" "NAME" "SRCS;HDRS;DEPS;PUBLIC_DEPS" ${ARGN})
  set(target rapport_${R_NAME})
  if(R_SRCS)
    add_library(${target} STATIC ${R_SRCS} ${R_HDRS})
    target_link_libraries(${target} PUBLIC ${R_DEPS} ${R_PUBLIC_DEPS})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
    target_compile_options(${target} PRIVATE ${RAPPORT_WARNINGS})
  else()
    add_library(${target} INTERFACE)
    target_link_libraries(${target} INTERFACE ${R_DEPS} ${R_PUBLIC_DEPS})
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  endif()
  add_library(rapport::${R_NAME} ALIAS ${target})
endfunction()

function(rapport_cc_test)
  cmake_parse_arguments(R "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${R_NAME} ${R_SRCS})
  target_link_libraries(${R_NAME} PRIVATE ${R_DEPS} GTest::gmock GTest::gtest_main)
  target_include_directories(${R_NAME} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_compile_options(${R_NAME} PRIVATE ${RAPPORT_WARNINGS})
  add_test(NAME ${R_NAME} COMMAND ${R_NAME})
  if(NOT R_TIMEOUT)
    set(R_TIMEOUT 300)
  endif()
  set_tests_properties(${R_NAME} PROPERTIES TIMEOUT ${R_TIMEOUT} LABELS "${R_LABELS}")
endfunction()
