# Fuzz targets of the Loki push and Elasticsearch bulk parsers (included under
# LOGSVC_FUZZ from tests/CMakeLists.txt; built like the others in the root
# CMakeLists.txt, run for LOGSVC_FUZZ_SECONDS each).
add_executable(fuzz_loki_protobuf ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_loki_protobuf.cc)
target_compile_options(fuzz_loki_protobuf PRIVATE -fsanitize=fuzzer)
target_link_options(fuzz_loki_protobuf PRIVATE -fsanitize=fuzzer)
target_link_libraries(fuzz_loki_protobuf PRIVATE logsvc_api logsvc_formats_loki_es)
add_executable(fuzz_es_bulk ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_es_bulk.cc)
target_compile_options(fuzz_es_bulk PRIVATE -fsanitize=fuzzer)
target_link_options(fuzz_es_bulk PRIVATE -fsanitize=fuzzer)
target_link_libraries(fuzz_es_bulk PRIVATE logsvc_formats_loki_es)

# Loki: protobuf (plain and snappy), Prometheus labels, JSON; byte 0 picks.
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-loki)
add_test(NAME fuzz.loki_protobuf
         COMMAND fuzz_loki_protobuf -max_total_time=${LOGSVC_FUZZ_SECONDS} -max_len=4096
                 -print_final_stats=1 ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-loki
                 ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus_loki)
# Elasticsearch bulk NDJSON; byte 0 picks the field names.
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-es)
add_test(NAME fuzz.es_bulk
         COMMAND fuzz_es_bulk -max_total_time=${LOGSVC_FUZZ_SECONDS} -max_len=4096
                 -print_final_stats=1 ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-es
                 ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus_es)
