# OTLP logs (POST /v1/logs): defines logsvc_formats_otlp, the parser of
# ExportLogsServiceRequest bodies (src/formats/otlp_logs.h), on C++ classes
# generated at build time by Debian's protoc (libprotobuf 3.21) from the
# official .proto files vendored in src/formats/proto (see its README.md).
find_package(Protobuf REQUIRED)

set(otlp_proto_root ${CMAKE_CURRENT_SOURCE_DIR}/src/formats/proto)
set(otlp_generated_dir ${CMAKE_BINARY_DIR}/generated/otlp)
set(otlp_proto_files)
set(otlp_generated_files)
foreach(name common/v1/common resource/v1/resource logs/v1/logs collector/logs/v1/logs_service)
  list(APPEND otlp_proto_files ${otlp_proto_root}/opentelemetry/proto/${name}.proto)
  list(APPEND otlp_generated_files ${otlp_generated_dir}/opentelemetry/proto/${name}.pb.cc
                                   ${otlp_generated_dir}/opentelemetry/proto/${name}.pb.h)
endforeach()
# protoc directly rather than protobuf_generate: the files import each other by
# their path under src/formats/proto, which must be protoc's only -I.
add_custom_command(
  OUTPUT ${otlp_generated_files}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${otlp_generated_dir}
  COMMAND ${Protobuf_PROTOC_EXECUTABLE} --cpp_out=${otlp_generated_dir} -I ${otlp_proto_root}
          ${otlp_proto_files}
  DEPENDS ${otlp_proto_files} ${Protobuf_PROTOC_EXECUTABLE}
  COMMENT "Generating the OTLP logs classes with protoc"
  VERBATIM)

# The generated classes: not our code, so not held to our warnings; their
# headers are SYSTEM includes for the same reason.
add_library(logsvc_otlp_proto STATIC ${otlp_generated_files})
target_compile_options(logsvc_otlp_proto PRIVATE -w)
target_include_directories(logsvc_otlp_proto SYSTEM PUBLIC ${otlp_generated_dir} ${Protobuf_INCLUDE_DIRS})
target_link_libraries(logsvc_otlp_proto PUBLIC protobuf::libprotobuf)

add_library(logsvc_formats_otlp STATIC src/formats/otlp_logs.cc)
target_link_libraries(logsvc_formats_otlp PUBLIC logsvc_core logsvc_otlp_proto)
