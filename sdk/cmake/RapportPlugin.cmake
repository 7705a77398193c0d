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
