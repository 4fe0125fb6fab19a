# ndxp_proto_library(NAME <target> PROTOS <files relative to proto/> [GRPC]
#                    [DEPS <proto targets>] [IMPORT_DIRS <dirs>])
# Generates C++ (and gRPC stubs with GRPC) into ${CMAKE_BINARY_DIR}/gen and
# builds them as one static library. Imports resolve against proto/ and gRPC's
# own proto directory.
set(NDXP_GEN_DIR ${CMAKE_BINARY_DIR}/gen)
set(NDXP_PROTO_ROOT ${CMAKE_SOURCE_DIR}/proto)

function(ndxp_proto_library)
  cmake_parse_arguments(P "GRPC" "NAME;ROOT" "PROTOS;DEPS" ${ARGN})
  if(NOT P_ROOT)
    set(P_ROOT ${NDXP_PROTO_ROOT})
  endif()
  set(srcs)
  foreach(proto ${P_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" stem ${proto})
    set(outs ${NDXP_GEN_DIR}/${stem}.pb.cc ${NDXP_GEN_DIR}/${stem}.pb.h)
    set(plugin_args)
    if(P_GRPC)
      list(APPEND outs ${NDXP_GEN_DIR}/${stem}.grpc.pb.cc ${NDXP_GEN_DIR}/${stem}.grpc.pb.h)
      set(plugin_args --grpc_out=${NDXP_GEN_DIR}
          --plugin=protoc-gen-grpc=${NDXP_GRPC_CPP_PLUGIN})
    endif()
    add_custom_command(
      OUTPUT ${outs}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${NDXP_GEN_DIR}
      COMMAND ${NDXP_PROTOC} -I${NDXP_PROTO_ROOT} -I${NDXP_GRPC_PROTO_DIR}
              --cpp_out=${NDXP_GEN_DIR} ${plugin_args} ${P_ROOT}/${proto}
      DEPENDS ${P_ROOT}/${proto}
      COMMENT "protoc ${proto}")
    list(APPEND srcs ${outs})
  endforeach()
  add_library(${P_NAME} STATIC ${srcs})
  target_include_directories(${P_NAME} PUBLIC ${NDXP_GEN_DIR})
  target_link_libraries(${P_NAME} PUBLIC protobuf::libprotobuf ${P_DEPS})
  if(P_GRPC)
    target_link_libraries(${P_NAME} PUBLIC gRPC::grpc++)
  endif()
endfunction()

# ndxp_descriptor_set(NAME <target> OUTPUT <file> PROTOS <files relative to proto/>)
# Writes a FileDescriptorSet (with imports) the hub loads to know method types
# and to answer server reflection for the services it routes. It keeps the
# .proto files' comments (source info), which reflection passes on: grpcurl
# describe shows them.
function(ndxp_descriptor_set)
  cmake_parse_arguments(D "" "NAME;OUTPUT" "PROTOS" ${ARGN})
  set(inputs)
  foreach(proto ${D_PROTOS})
    list(APPEND inputs ${NDXP_PROTO_ROOT}/${proto})
  endforeach()
  # protoc does not create the output's directory; Ninja does, Make does not.
  get_filename_component(output_dir ${D_OUTPUT} DIRECTORY)
  add_custom_command(
    OUTPUT ${D_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${output_dir}
    COMMAND ${NDXP_PROTOC} -I${NDXP_PROTO_ROOT} -I${NDXP_GRPC_PROTO_DIR}
            --include_imports --include_source_info --descriptor_set_out=${D_OUTPUT}
            ${inputs}
    DEPENDS ${inputs}
    COMMENT "descriptor set ${D_OUTPUT}")
  add_custom_target(${D_NAME} ALL DEPENDS ${D_OUTPUT})
endfunction()
