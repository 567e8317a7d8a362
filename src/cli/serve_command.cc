#include "cli/serve_command.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <thread>

#include "api/api.h"
#include "cli/keys_command.h"
#include "http/server.h"
#include "store/dynamodb_store.h"
#include "store/rocksdb_store.h"
#include "util/log.h"
#include "version.h"

namespace logsvc::cli {
namespace {

int ConfigError(const std::string& what) {
  log::Error("cannot start").Str("error", what);
  return 2;
}

// Raises the soft limit on open files to the hard one, as servers do (the
// soft one is often 1024); returns the limit in force.
// How often the retention thread looks: every 10 s, or a tenth of a short
// retention (at least 250 ms), so that nothing outlives it by much.
std::chrono::milliseconds RetentionEvery(int64_t retention_ms) {
  if (retention_ms <= 0) return std::chrono::seconds(10);
  return std::chrono::milliseconds(std::clamp<int64_t>(retention_ms / 10, 250, 10000));
}

uint64_t RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? uint64_t{1} << 20 : limit.rlim_cur;
}

}  // namespace

int RunServe(const ServeOptions& options) {
  auto address = ParseListenAddress(options.listen);
  if (!address.ok()) return ConfigError(address.status().message());
  auto hosts = api::HostPolicy::ForServer(address.value().host, options.allowed_hosts);
  if (!hosts.ok()) return ConfigError(hosts.status().message());
  auto cors = api::CorsPolicy::Parse(options.cors_origins);
  if (!cors.ok()) return ConfigError(cors.status().message());
  std::shared_ptr<const api::KeyRing> keys;
  if (!options.auth_keys.empty()) {
    auto loaded = LoadKeyFile(options.auth_keys);
    if (!loaded.ok()) return ConfigError(loaded.status().message());
    keys = std::move(loaded).value();
  }
  std::optional<HostPort> metrics_address;
  if (!options.metrics_listen.empty()) {
    auto parsed = ParseListenAddress(options.metrics_listen);
    if (!parsed.ok()) return ConfigError("--metrics-listen: " + parsed.status().message());
    metrics_address = parsed.value();
  }
  auto retention = ParseRetention(options.retention);
  if (!retention.ok()) return ConfigError(retention.status().message());
  auto max_disk = ParseMaxDiskBytes(options.max_disk_bytes);
  if (!max_disk.ok()) return ConfigError(max_disk.status().message());
  auto metrics = std::make_shared<metrics::Metrics>();
  const api::ApiOptions api_options{
      .access = {.hosts = hosts.value(), .cors = cors.value()},
      .max_body_bytes = options.max_body_bytes,
      .keys = keys,
      .rate_limits = {static_cast<double>(options.rate_limit_requests),
                      static_cast<double>(options.rate_limit_entries)},
      .metrics = metrics,
      .max_tail_clients = options.max_tail_clients,
      .tail_heartbeat = std::chrono::seconds(options.tail_heartbeat_seconds)};
  // Default: one I/O thread per core but one, which is left to the writer
  // thread and RocksDB's flushes. On a 2-core machine with its clients beside
  // it, two I/O threads raised GET /logs p99 from 0.35 ms to 4 ms (three busy
  // threads on two cores wait out scheduler ticks) and gained no ingest speed.
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  const int threads = options.threads > 0 ? options.threads : std::max(1, cores - 1);
  const uint64_t descriptors = RaiseDescriptorLimit();
  const uint64_t max_connections =
      options.max_connections > 0 ? options.max_connections : DefaultMaxConnections(descriptors);

  // Signals are taken by one thread with sigwait(); every other thread,
  // including those RocksDB and the server start, inherits this mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);  // re-reads --auth-keys
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<LogStore> store;
  store::DynamoDbStore* dynamo = nullptr;  // store, when it is DynamoDB's
  store::RocksDbStore* rocks = nullptr;    // store, when it is RocksDB's
  if (options.store == "dynamodb") {
    store::DynamoDbSettings settings{.table = options.dynamodb_table,
                                     .region = options.aws_region,
                                     .endpoint = options.dynamodb_endpoint,
                                     .index_shards = options.dynamodb_index_shards,
                                     .retention_ms = retention.value()};
    auto opened = store::DynamoDbStore::Open(settings, ::getenv);
    if (!opened.ok()) return ConfigError(opened.status().message());
    dynamo = opened.value().get();
    store = std::move(opened).value();
  } else {
    auto reserve = ParseDiskReserve(options.min_free_disk);
    if (!reserve.ok()) return ConfigError(reserve.status().message());
    auto opened = store::RocksDbStore::Open({.path = options.data_dir,
                                             .min_free_bytes = reserve.value().bytes,
                                             .min_free_fraction = reserve.value().fraction,
                                             .metrics = metrics.get(),
                                             .retention_ms = retention.value(),
                                             .max_disk_bytes = max_disk.value(),
                                             .retention_every = RetentionEvery(retention.value())});
    if (!opened.ok()) return ConfigError(opened.status().message());
    rocks = opened.value().get();
    store = std::move(opened).value();
  }

  api::Api api(*store, api_options);
  http::ServerOptions server_options;
  server_options.host = address.value().host;
  server_options.port = address.value().port;
  server_options.threads = threads;
  server_options.max_body_bytes = options.max_body_bytes;
  server_options.access_log = options.access_log;
  server_options.max_connections = max_connections;
  server_options.max_pending_response_bytes = options.max_pending_response_bytes;
  server_options.write_timeout = std::chrono::seconds(options.write_timeout_seconds);
  http::Server server(server_options, api);
  if (Status s = server.Listen(); !s.ok()) return ConfigError(s.message());
  if (rocks) {
    metrics->OnScrape([rocks, m = metrics.get()] {
      m->SetQueuedEntries(static_cast<int64_t>(rocks->QueuedEntries()));
      m->SetDiskBytes(static_cast<int64_t>(rocks->DiskBytes()));
      m->SetRetentionDeleted(rocks->RetentionDeleted());
    });
  }
  // --metrics-listen: /metrics and /healthz, no keys, one I/O thread.
  std::optional<api::Api> metrics_api;
  std::optional<http::Server> metrics_server;
  if (metrics_address) {
    // The Host check of the main listener's kind, for the metrics address.
    auto metrics_hosts = api::HostPolicy::ForServer(metrics_address->host, options.allowed_hosts);
    if (!metrics_hosts.ok()) return ConfigError(metrics_hosts.status().message());
    metrics_api.emplace(*store,
                        api::ApiOptions{.access = {.hosts = metrics_hosts.value(),
                                                   .cors = api::CorsPolicy::SameOriginOnly()},
                                        .routes = api::kMetricsRoutes | api::kHealthRoutes,
                                        .metrics = metrics});
    http::ServerOptions metrics_options = server_options;
    metrics_options.host = metrics_address->host;
    metrics_options.port = metrics_address->port;
    metrics_options.threads = 1;
    metrics_options.max_connections = 64;
    metrics_server.emplace(metrics_options, *metrics_api);
    if (Status s = metrics_server->Listen(); !s.ok()) {
      return ConfigError("--metrics-listen: " + s.message());
    }
  }

  std::string host = address.value().host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  {
    log::Line started = log::Info("logsvc started");
    started.Str("version", kVersion)
        .Str("listen", host + ":" + std::to_string(server.port()))
        .Str("store", options.store);
    if (dynamo) {
      started.Str("dynamodb_table", dynamo->table())
          .Str("dynamodb_endpoint", dynamo->client().endpoint_url())
          .Str("aws_region", dynamo->client().region())
          .Int("dynamodb_index_shards", dynamo->index_shards());
    } else {
      started.Str("data_dir", options.data_dir)
          .Int("min_free_disk_bytes", static_cast<int64_t>(rocks->min_free_bytes()))
          .Int("max_disk_bytes", static_cast<int64_t>(max_disk.value()));
    }
    started.Int("threads", threads)
        .Int("max_body_bytes", static_cast<int64_t>(options.max_body_bytes))
        .Int("max_connections", static_cast<int64_t>(max_connections))
        .Int("max_pending_response_bytes", static_cast<int64_t>(options.max_pending_response_bytes))
        .Int("write_timeout_s", options.write_timeout_seconds)
        .Int("file_descriptors", static_cast<int64_t>(descriptors))
        .Bool("access_log", options.access_log)
        .Str("cors_origins", api_options.access.cors.Describe())
        .Str("allowed_hosts", api_options.access.hosts.Describe())
        .Int("api_keys", keys ? static_cast<int64_t>(keys->size()) : 0)
        .Int("rate_limit_requests", static_cast<int64_t>(options.rate_limit_requests))
        .Int("rate_limit_entries", static_cast<int64_t>(options.rate_limit_entries))
        .Int("retention_s", retention.value() / 1000);
    if (metrics_server) {
      std::string mhost = metrics_address->host;
      if (mhost.find(':') != std::string::npos) mhost = "[" + mhost + "]";
      started.Str("metrics_listen", mhost + ":" + std::to_string(metrics_server->port()));
    }
  }
  if ((!keys || keys->empty()) && api_options.access.cors.any()) {
    // With keys, '*' is safe: a page gets nothing without one.
    log::Warn(
        "--cors-origins '*' without API keys (--auth-keys): any web page that a user of this "
        "server visits can read and add entries");
  }
  if ((!keys || keys->empty()) && !IsLoopbackHost(address.value().host)) {
    log::Warn(
        "no API keys (--auth-keys): anyone who can reach this address can add and read every "
        "entry")
        .Str("listen", host + ":" + std::to_string(server.port()));
  }
  if (rocks && !rocks->Healthy()) {
    log::Warn("store cannot take writes at start; answering 503 to writes until it can")
        .Str("reason", rocks->UnhealthyReason());
  }
  if (max_connections > DefaultMaxConnections(descriptors)) {
    log::Warn("--max-connections leaves the store too few of the file descriptor limit")
        .Int("max_connections", static_cast<int64_t>(max_connections))
        .Int("file_descriptors", static_cast<int64_t>(descriptors));
  }
  if (dynamo && !dynamo->unreachable_at_start().empty()) {
    log::Warn("dynamodb unreachable at start; answering 503 until it answers")
        .Str("error", dynamo->unreachable_at_start());
  }

  std::thread signal_waiter([&] {
    int sig = 0;
    while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) {
      // The keys in force stay until a file that parses replaces them; the
      // connections and requests in progress are not touched.
      if (options.auth_keys.empty()) {
        log::Info("SIGHUP: no --auth-keys file to re-read");
        continue;
      }
      auto reloaded = LoadKeyFile(options.auth_keys);
      if (!reloaded.ok()) {
        log::Error("keys file not re-read; the keys in force stay")
            .Str("error", reloaded.status().message());
        continue;
      }
      log::Info("keys file re-read")
          .Int("api_keys", static_cast<int64_t>(reloaded.value()->size()));
      api.SetKeys(std::move(reloaded).value());
    }
    if (sig == SIGTERM || sig == SIGINT) {
      log::Info("stopping").Str("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    }
    server.Stop();
    if (metrics_server) metrics_server->Stop();
  });

  std::thread metrics_thread;
  if (metrics_server) metrics_thread = std::thread([&] { metrics_server->Run(); });
  server.Run();
  if (metrics_server) {
    metrics_server->Stop();
    metrics_thread.join();
  }
  // Whatever the store still holds is written (and its callbacks, bound for
  // the stopped server, dropped) before the database closes.
  store->Close();
  // Wake the signal thread if the server stopped for another reason.
  pthread_kill(signal_waiter.native_handle(), SIGTERM);
  signal_waiter.join();
  log::Info("logsvc stopped");
  return 0;
}

}  // namespace logsvc::cli
