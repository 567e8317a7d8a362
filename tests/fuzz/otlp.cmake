# Fuzz targets of the OTLP parsers (included under LOGSVC_FUZZ): OTLP logs
# bodies as binary protobuf and as OTLP/JSON (tests/fuzz/fuzz_otlp_protobuf.cc).
add_executable(fuzz_otlp_protobuf ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_otlp_protobuf.cc)
target_compile_options(fuzz_otlp_protobuf PRIVATE -fsanitize=fuzzer)
target_link_options(fuzz_otlp_protobuf PRIVATE -fsanitize=fuzzer)
target_link_libraries(fuzz_otlp_protobuf PRIVATE logsvc_formats_otlp)
# New inputs go to the build tree; the committed seed corpus is only read.
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-otlp)
add_test(NAME fuzz.otlp_protobuf
         COMMAND fuzz_otlp_protobuf -max_total_time=${LOGSVC_FUZZ_SECONDS} -max_len=8192
                 -print_final_stats=1 ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-otlp
                 ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus_otlp)
