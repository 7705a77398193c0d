# rapport_add_plugin: builds NAME.so and puts NAME.manifest.json beside it.
#
#   rapport_add_plugin(NAME hello
#                      SOURCES hello.cc
#                      PROTOS hello.proto            # the plugin's own API (optional)
#                      [PROTO_ROOT dir]              # PROTOS are relative to it
#                      MANIFEST hello.manifest.json
#                      [OUTPUT_DIRECTORY dir])
#
# The plugin sees only the SDK headers and C++ generated from the Rapport
# protos (rapport/v1/*) plus its own, as protobuf *lite* code: lite messages
# register nothing in protobuf's global descriptor pool, so a plugin's copy of
# rapport.v1.Customer never collides with the host's. Only bytes cross the C
# ABI. Exported symbols: rapport_plugin_entry, nothing else.
#
# With PROTOS, the plugin's FileDescriptorSet (with imports) is compiled into
# the .so and handed to the host at init, so server reflection lists and
# describes the plugin's services (grpcurl, grpc_cli) with no code.
#
# Without PROTO_ROOT each proto is compiled from its own directory (imported
# as "hello.proto"); with it, by its path under the root
# ("rapport/sfa/v1/sfa.proto", included as "rapport/sfa/v1/sfa.pb.h"), which
# keeps file names unique across plugins.
#
# Needs RAPPORT_SDK_INCLUDE_DIR and RAPPORT_SDK_PROTO_DIR (set by
# RapportSDKConfig.cmake, or by the Rapport tree itself).
include_guard(GLOBAL)
find_package(Protobuf REQUIRED)
# (CMAKE_CURRENT_FUNCTION_LIST_DIR, inside the function: CMake >= 3.17.)

# Lite C++ for the core protos a plugin may use plus the plugin's own; sets
# ${out_srcs} to the generated sources and ${out_files} to the plugin's proto
# files (absolute) with their proto_path in ${out_paths}.
function(_rapport_plugin_codegen gen proto_root protos out_srcs out_paths out_rel)
  file(MAKE_DIRECTORY ${gen})
  set(srcs)
  foreach(proto rapport/v1/common.proto rapport/v1/customer.proto rapport/v1/interaction.proto
                rapport/v1/opportunity.proto rapport/v1/event.proto)
    string(REGEX REPLACE "\\.proto$" "" base ${proto})
    add_custom_command(
      OUTPUT ${gen}/${base}.pb.cc ${gen}/${base}.pb.h
      COMMAND protobuf::protoc --proto_path=${RAPPORT_SDK_PROTO_DIR} --cpp_out=lite:${gen}
              ${RAPPORT_SDK_PROTO_DIR}/${proto}
      DEPENDS ${RAPPORT_SDK_PROTO_DIR}/${proto}
      COMMENT "protoc (lite) ${proto}")
    list(APPEND srcs ${gen}/${base}.pb.cc)
  endforeach()
  set(paths)
  set(rels)
  foreach(proto ${protos})
    if(proto_root)
      get_filename_component(root ${proto_root} ABSOLUTE)
      set(abs ${root}/${proto})
      set(rel ${proto})
      set(dir ${root})
    else()
      get_filename_component(abs ${proto} ABSOLUTE)
      get_filename_component(dir ${abs} DIRECTORY)
      get_filename_component(rel ${abs} NAME)
    endif()
    string(REGEX REPLACE "\\.proto$" "" base ${rel})
    add_custom_command(
      OUTPUT ${gen}/${base}.pb.cc ${gen}/${base}.pb.h
      COMMAND protobuf::protoc --proto_path=${dir} --proto_path=${RAPPORT_SDK_PROTO_DIR}
              --cpp_out=lite:${gen} ${abs}
      DEPENDS ${abs}
      COMMENT "protoc (lite) ${rel}")
    list(APPEND srcs ${gen}/${base}.pb.cc)
    list(APPEND paths --proto_path=${dir})
    list(APPEND rels ${abs})
  endforeach()
  list(REMOVE_DUPLICATES paths)
  set(${out_srcs} ${srcs} PARENT_SCOPE)
  set(${out_paths} ${paths} PARENT_SCOPE)
  set(${out_rel} ${rels} PARENT_SCOPE)
endfunction()

function(rapport_add_plugin)
  cmake_parse_arguments(P "" "NAME;MANIFEST;OUTPUT_DIRECTORY;PROTO_ROOT" "SOURCES;PROTOS" ${ARGN})
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/${P_NAME}_gen)
  _rapport_plugin_codegen(${gen} "${P_PROTO_ROOT}" "${P_PROTOS}" srcs paths files)
  if(P_PROTOS)
    # The descriptor set, embedded as rapport_plugin_descriptor_set().
    add_custom_command(
      OUTPUT ${gen}/${P_NAME}_descriptors.binpb
      COMMAND protobuf::protoc ${paths} --proto_path=${RAPPORT_SDK_PROTO_DIR} --include_imports
              --descriptor_set_out=${gen}/${P_NAME}_descriptors.binpb ${files}
      DEPENDS ${files}
      COMMENT "descriptor set for plugin ${P_NAME}")
    add_custom_command(
      OUTPUT ${gen}/${P_NAME}_descriptors.cc
      COMMAND ${CMAKE_COMMAND} -DINPUT=${gen}/${P_NAME}_descriptors.binpb
              -DOUTPUT=${gen}/${P_NAME}_descriptors.cc -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/RapportEmbed.cmake
      DEPENDS ${gen}/${P_NAME}_descriptors.binpb ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/RapportEmbed.cmake
      COMMENT "embedding the descriptor set of plugin ${P_NAME}")
    list(APPEND srcs ${gen}/${P_NAME}_descriptors.cc)
  endif()
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
#                           [PROTO_ROOT dir] SOURCES guard_test.cc)
function(rapport_add_plugin_test)
  cmake_parse_arguments(T "" "NAME;PROTO_ROOT" "PLUGIN_SOURCES;PROTOS;SOURCES" ${ARGN})
  find_package(GTest REQUIRED)
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/${T_NAME}_gen)
  _rapport_plugin_codegen(${gen} "${T_PROTO_ROOT}" "${T_PROTOS}" srcs paths files)
  add_executable(${T_NAME} ${T_SOURCES} ${T_PLUGIN_SOURCES} ${srcs})
  target_include_directories(${T_NAME} PRIVATE ${RAPPORT_SDK_INCLUDE_DIR} ${gen})
  target_compile_features(${T_NAME} PRIVATE cxx_std_17)
  target_link_libraries(${T_NAME} PRIVATE protobuf::libprotobuf GTest::gtest_main)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
endfunction()
