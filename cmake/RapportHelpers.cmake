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

# rapport_proto_library(NAME protos ROOT dir PROTOS a.proto ... GRPC a.proto ...
#                       [DESCRIPTOR_SET file.binpb])
#   -> static library rapport_NAME (alias rapport::NAME) with the generated
#      C++ (and gRPC stubs for the files listed under GRPC).
function(rapport_proto_library)
  cmake_parse_arguments(R "" "NAME;ROOT;DESCRIPTOR_SET" "PROTOS;GRPC;DEPS" ${ARGN})
  get_target_property(grpc_plugin gRPC::grpc_cpp_plugin LOCATION)
  set(gen_dir ${PROJECT_BINARY_DIR})
  set(gen_srcs)
  foreach(proto ${R_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" base ${proto})
    set(outs ${gen_dir}/${base}.pb.cc ${gen_dir}/${base}.pb.h)
    set(plugin_args)
    if(proto IN_LIST R_GRPC)
      list(APPEND outs ${gen_dir}/${base}.grpc.pb.cc ${gen_dir}/${base}.grpc.pb.h)
      set(plugin_args --grpc_out=${gen_dir} --plugin=protoc-gen-grpc=${grpc_plugin})
    endif()
    add_custom_command(
      OUTPUT ${outs}
      COMMAND protobuf::protoc --proto_path=${R_ROOT} --proto_path=${PROJECT_SOURCE_DIR}/protos
              --cpp_out=${gen_dir} ${plugin_args} ${R_ROOT}/${proto}
      DEPENDS ${R_ROOT}/${proto} protobuf::protoc
      COMMENT "protoc ${proto}")
    list(APPEND gen_srcs ${outs})
  endforeach()
  add_library(rapport_${R_NAME} STATIC ${gen_srcs})
  target_include_directories(rapport_${R_NAME} PUBLIC ${gen_dir})
  target_link_libraries(rapport_${R_NAME} PUBLIC protobuf::libprotobuf gRPC::grpc++ ${R_DEPS})
  add_library(rapport::${R_NAME} ALIAS rapport_${R_NAME})
  if(R_DESCRIPTOR_SET)
    add_custom_command(
      OUTPUT ${gen_dir}/${R_DESCRIPTOR_SET}
      COMMAND protobuf::protoc --proto_path=${R_ROOT} --include_imports
              --descriptor_set_out=${gen_dir}/${R_DESCRIPTOR_SET} ${R_PROTOS}
      DEPENDS ${R_PROTOS}
      WORKING_DIRECTORY ${R_ROOT})
    add_custom_target(rapport_${R_NAME}_descriptor_set ALL DEPENDS ${gen_dir}/${R_DESCRIPTOR_SET})
  endif()
endfunction()
