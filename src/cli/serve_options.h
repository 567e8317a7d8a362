// The settings of `logsvc serve`, from flags and LOGSVC_* environment
// variables (a flag wins over its variable).
#ifndef LOGSVC_CLI_SERVE_OPTIONS_H_
#define LOGSVC_CLI_SERVE_OPTIONS_H_

#include <cstdint>
#include <string>

#include "logsvc/status.h"

namespace logsvc::cli {

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./data";
  int threads = 0;  // 0: one per core but one (at least one)
  uint64_t max_body_bytes = 1 << 20;
  uint64_t max_connections = 0;  // 0: DefaultMaxConnections of the descriptor limit
  uint64_t max_pending_response_bytes = uint64_t{256} << 20;
  int write_timeout_seconds = 10;
  bool access_log = false;
  std::string store = "rocksdb";  // or "dynamodb"
  std::string dynamodb_table;
  std::string aws_region;         // "": from the environment, as the AWS tools
  std::string dynamodb_endpoint;  // "": from the environment, as the AWS SDKs
  int dynamodb_index_shards = 1;
  std::string min_free_disk;  // "": the larger of 256 MiB and 2%; see ParseDiskReserve
  std::string cors_origins;   // "": same-origin pages only; "*" or a list (api::CorsPolicy)
  std::string allowed_hosts;  // "": the defaults of api::HostPolicy::ForServer; "*" or a list
  std::string auth_keys;      // "": no keys, every route open; else the keys file
  // Per key without its own (or per client address without keys); 0: none.
  uint64_t rate_limit_requests = 0;
  uint64_t rate_limit_entries = 0;
  // "": GET /metrics on --listen (with the admin scope when there are keys);
  // else HOST:PORT of a second listener serving /metrics and /healthz, no keys.
  std::string metrics_listen;
  std::string retention;            // "": keep everything; see ParseRetention
  std::string max_disk_bytes;       // "": no bound; see ParseMaxDiskBytes
  uint64_t max_tail_clients = 256;  // GET /logs/tail streams at once
  int tail_heartbeat_seconds = 15;  // a comment on a tail stream idle this long
};

// The free space the RocksDB store keeps on its disk (--min-free-disk).
struct DiskReserve {
  uint64_t bytes;
  double fraction;  // of the file system's size; the larger of the two counts
};

// "" (the default: 256 MiB or 2%, the larger), "0" (none), a size in bytes
// with an optional unit (B, KB, MB, GB, TB; KiB, MiB, GiB, TiB; "512MiB"), or a
// percentage of the file system ("5%", up to 50%). kInvalidArgument naming
// the flag otherwise.
Result<DiskReserve> ParseDiskReserve(const std::string& text);

// --retention: "" or "0" (keep all: 0), or a whole number of seconds,
// minutes, hours or days ("30d", "12h", "90m", "3600s"), in milliseconds.
Result<int64_t> ParseRetention(const std::string& text);

// --max-disk-bytes: "" or "0" (no bound: 0), or a size as --min-free-disk
// takes, at least kMinMaxDiskBytes.
inline constexpr uint64_t kMinMaxDiskBytes = uint64_t{128} << 20;
Result<uint64_t> ParseMaxDiskBytes(const std::string& text);

struct HostPort {
  std::string host;
  uint16_t port;
};

// "127.0.0.1:8080", "[::1]:8080", "localhost:0". kInvalidArgument if malformed.
Result<HostPort> ParseListenAddress(const std::string& listen);

// Whether only this machine can reach a server listening on `host`
// (127.0.0.0/8, ::1, localhost).
bool IsLoopbackHost(const std::string& host);

// File descriptors kept for everything but client connections: the store's
// files (RocksDB's max_open_files: 256), its logs, the DynamoDB client's
// sockets, the listener.
constexpr uint64_t kReservedDescriptors = 512;
// The connection cap however low the descriptor limit.
constexpr uint64_t kMinConnections = 64;

// The default --max-connections for a process that may open `descriptors`
// files: all but kReservedDescriptors, and at least kMinConnections.
uint64_t DefaultMaxConnections(uint64_t descriptors);

}  // namespace logsvc::cli

#endif  // LOGSVC_CLI_SERVE_OPTIONS_H_
