# Loki push (JSON, and snappy-compressed protobuf decoded by hand: no protoc
# needed) and Elasticsearch bulk: pure parsers into entries. The snappy
# library is linked here for the api layer, which undoes a Loki body's snappy
# block (api/content_coding.h's DecodeSnappyBlock) before parsing.
find_package(Snappy REQUIRED)
add_library(logsvc_formats_loki_es STATIC src/formats/loki_push.cc src/formats/es_bulk.cc)
target_link_libraries(logsvc_formats_loki_es PUBLIC logsvc_core Snappy::snappy)
