# rapport_add_plugin: builds NAME.so and puts NAME.manifest.json beside it.
#
#   rapport_add_plugin(NAME hello
#                      SOURCES hello.cc
#                      PROTOS hello.proto            # the plugin's own API (optional)
#                      MANIFEST hello.manifest.json
#                      [OUTPUT_DIRECTORY dir])
#
# The plugin sees only the SDK headers and C++ generated from the Rapport
# protos (rapport/v1/*) plus its own, as protobuf *lite* code: lite messages
# register nothing in protobuf's global descriptor pool, so a plugin's copy of
# rapport.v1.Customer never collides with the host's. Only bytes cross the C
# ABI. Exported symbols: rapport_plugin_entry, nothing else.
#
# Needs RAPPORT_SDK_INCLUDE_DIR and RAPPORT_SDK_PROTO_DIR (set by
# RapportSDKConfig.cmake, or by the Rapport tree itself).
include_guard(GLOBAL)
find_package(Protobuf REQUIRED)

function(rapport_add_plugin)
  cmake_parse_arguments(P "" "NAME;MANIFEST;OUTPUT_DIRECTORY" "SOURCES;PROTOS" ${ARGN})
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/${P_NAME}_gen)
  file(MAKE_DIRECTORY ${gen})
  set(core_protos rapport/v1/common.proto rapport/v1/customer.proto rapport/v1/interaction.proto
                  rapport/v1/opportunity.proto rapport/v1/event.proto)
  set(srcs)
  foreach(proto ${core_protos})
    string(REGEX REPLACE "\\.proto$" "" base ${proto})
    add_custom_command(
      OUTPUT ${gen}/${base}.pb.cc ${gen}/${base}.pb.h
      COMMAND protobuf::protoc --proto_path=${RAPPORT_SDK_PROTO_DIR} --cpp_out=lite:${gen}
              ${RAPPORT_SDK_PROTO_DIR}/${proto}
      DEPENDS ${RAPPORT_SDK_PROTO_DIR}/${proto}
      COMMENT "protoc (lite) ${proto} for plugin ${P_NAME}")
    list(APPEND srcs ${gen}/${base}.pb.cc)
  endforeach()
  foreach(proto ${P_PROTOS})
    get_filename_component(abs ${proto} ABSOLUTE)
    get_filename_component(dir ${abs} DIRECTORY)
    get_filename_component(stem ${abs} NAME_WE)
    add_custom_command(
      OUTPUT ${gen}/${stem}.pb.cc ${gen}/${stem}.pb.h
      COMMAND protobuf::protoc --proto_path=${dir} --proto_path=${RAPPORT_SDK_PROTO_DIR}
              --cpp_out=lite:${gen} ${abs}
      DEPENDS ${abs}
      COMMENT "protoc (lite) ${proto} for plugin ${P_NAME}")
    list(APPEND srcs ${gen}/${stem}.pb.cc)
  endforeach()
  add_library(${P_NAME} MODULE ${P_SOURCES} ${srcs})
  set_target_properties(${P_NAME} PROPERTIES PREFIX "" CXX_VISIBILITY_PRESET hidden
                        VISIBILITY_INLINES_HIDDEN ON)
  if(P_OUTPUT_DIRECTORY)
    set_target_properties(${P_NAME} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIRECTORY})
  else()
    set(P_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  target_include_directories(${P_NAME} PRIVATE ${RAPPORT_SDK_INCLUDE_DIR} ${gen})
  target_compile_features(${P_NAME} PRIVATE cxx_std_17)
  target_link_libraries(${P_NAME} PRIVATE protobuf::libprotobuf)
  target_link_options(${P_NAME} PRIVATE -Wl,--no-undefined -Wl,-Bsymbolic)
  if(P_MANIFEST)
    configure_file(${P_MANIFEST} ${P_OUTPUT_DIRECTORY}/${P_NAME}.manifest.json COPYONLY)
  endif()
endfunction()

# rapport_add_plugin_test: a GoogleTest binary that links the plugin's
# sources with rapport/sdk/fake_host.h, so a plugin is tested without a
# server (see tests/plugins/fake_host_test.cc).
#
#   rapport_add_plugin_test(NAME guard_test PLUGIN_SOURCES guard.cc PROTOS api.proto
#                           SOURCES guard_test.cc)
function(rapport_add_plugin_test)
  cmake_parse_arguments(T "" "NAME" "PLUGIN_SOURCES;PROTOS;SOURCES" ${ARGN})
  find_package(GTest REQUIRED)
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/${T_NAME}_gen)
  file(MAKE_DIRECTORY ${gen})
  set(srcs)
  foreach(proto rapport/v1/common.proto rapport/v1/customer.proto rapport/v1/interaction.proto
                rapport/v1/opportunity.proto rapport/v1/event.proto)
    string(REGEX REPLACE "\\.proto$" "" base ${proto})
    add_custom_command(OUTPUT ${gen}/${base}.pb.cc ${gen}/${base}.pb.h
      COMMAND protobuf::protoc --proto_path=${RAPPORT_SDK_PROTO_DIR} --cpp_out=lite:${gen}
              ${RAPPORT_SDK_PROTO_DIR}/${proto}
      DEPENDS ${RAPPORT_SDK_PROTO_DIR}/${proto})
    list(APPEND srcs ${gen}/${base}.pb.cc)
  endforeach()
  foreach(proto ${T_PROTOS})
    get_filename_component(abs ${proto} ABSOLUTE)
    get_filename_component(dir ${abs} DIRECTORY)
    get_filename_component(stem ${abs} NAME_WE)
    add_custom_command(OUTPUT ${gen}/${stem}.pb.cc ${gen}/${stem}.pb.h
      COMMAND protobuf::protoc --proto_path=${dir} --proto_path=${RAPPORT_SDK_PROTO_DIR} --cpp_out=lite:${gen} ${abs}
      DEPENDS ${abs})
    list(APPEND srcs ${gen}/${stem}.pb.cc)
  endforeach()
  add_executable(${T_NAME} ${T_SOURCES} ${T_PLUGIN_SOURCES} ${srcs})
  target_include_directories(${T_NAME} PRIVATE ${RAPPORT_SDK_INCLUDE_DIR} ${gen})
  target_compile_features(${T_NAME} PRIVATE cxx_std_17)
  target_link_libraries(${T_NAME} PRIVATE protobuf::libprotobuf GTest::gtest_main)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
endfunction()
