// logsvc: the command line. `logsvc serve` runs the service; see --help.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "cli/import_command.h"
#include "cli/keys_command.h"
#include "cli/search_command.h"
#include "cli/send_command.h"
#include "cli/serve_command.h"
#include "cli/tail_command.h"
#include "store/dynamodb_store.h"
#include "version.h"

namespace {

constexpr const char* kCommands = "serve, keys, send, search, export, import and tail";

// Every usage error is one line on stderr and exit status 2, as with most Unix tools.
int UsageError(const std::string& what) {
  std::fprintf(stderr, "logsvc: error: %s (see 'logsvc --help')\n", what.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using logsvc::cli::ServeOptions;
  CLI::App app{
      "logsvc: a log service. Applications POST log entries over HTTP; people and "
      "tools read them back, newest first."};
  app.name("logsvc");
  app.set_version_flag("--version", std::string("logsvc ") + logsvc::kVersion);

  ServeOptions opts;
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Run the HTTP log service on an embedded, durable RocksDB store (default) or on a "
      "DynamoDB table shared by any number of instances.");
  serve->add_option("--listen", opts.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->envname("LOGSVC_LISTEN")
      ->capture_default_str();
  serve->add_option("--data-dir", opts.data_dir, "Directory of the database (created if missing)")
      ->envname("LOGSVC_DATA_DIR")
      ->capture_default_str();
  serve
      ->add_option("--threads", opts.threads,
                   "I/O threads (default: one per core but one, at least one)")
      ->envname("LOGSVC_THREADS")
      ->check(CLI::Range(1, 256));
  serve
      ->add_option("--max-body-bytes", opts.max_body_bytes,
                   "Largest request body accepted; larger gets 413")
      ->envname("LOGSVC_MAX_BODY_BYTES")
      ->check(CLI::Range(uint64_t{1}, uint64_t{64} << 20))
      ->capture_default_str();
  serve
      ->add_option("--max-connections", opts.max_connections,
                   "Open connections at most; past it a new one closes the oldest idle one, or "
                   "is refused (default: the file descriptor limit, raised to its hard limit, "
                   "less 512 for the store)")
      ->envname("LOGSVC_MAX_CONNECTIONS")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 24));
  serve
      ->add_option("--max-pending-response-bytes", opts.max_pending_response_bytes,
                   "Response bodies held for clients that have not read them, in total (one "
                   "shared GET /logs body counted once); past it a reply is a 503")
      ->envname("LOGSVC_MAX_PENDING_RESPONSE_BYTES")
      ->check(CLI::Range(uint64_t{1} << 16, uint64_t{1} << 40))
      ->capture_default_str();
  serve
      ->add_option("--write-timeout", opts.write_timeout_seconds,
                   "Seconds a reply may make no progress (a client not reading) before its "
                   "connection is closed")
      ->envname("LOGSVC_WRITE_TIMEOUT")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve->add_flag("--access-log", opts.access_log, "Log every request (one JSON line each)")
      ->envname("LOGSVC_ACCESS_LOG");
  serve
      ->add_option("--store", opts.store, "Where entries live: rocksdb (in --data-dir) or dynamodb")
      ->envname("LOGSVC_STORE")
      ->check(CLI::IsMember({"rocksdb", "dynamodb"}))
      ->capture_default_str();
  serve
      ->add_option("--dynamodb-table", opts.dynamodb_table,
                   "DynamoDB table (the original design's schema) for --store dynamodb")
      ->envname("LOGSVC_DYNAMODB_TABLE");
  serve->add_option("--aws-region", opts.aws_region,
                    "AWS region (default: AWS_REGION, then AWS_DEFAULT_REGION)");
  serve->add_option("--dynamodb-endpoint", opts.dynamodb_endpoint,
                    "DynamoDB endpoint URL (default: AWS_ENDPOINT_URL_DYNAMODB, then "
                    "AWS_ENDPOINT_URL, then AWS's own for the region)");
  serve
      ->add_option("--dynamodb-index-shards", opts.dynamodb_index_shards,
                   "Partitions of the TimestampIndex that writes spread over (1: type \"LOG\", "
                   "exactly the original; each takes ~1,000 writes/s)")
      ->envname("LOGSVC_DYNAMODB_INDEX_SHARDS")
      ->check(CLI::Range(1, logsvc::store::kMaxIndexShards))
      ->capture_default_str();
  serve
      ->add_option("--min-free-disk", opts.min_free_disk,
                   "Free space kept on the data dir's disk: below it writes get 503 and "
                   "/healthz 503, reads go on; writes resume once there is room (a size such "
                   "as 512MiB, a percentage such as 5%, or 0; default: the larger of 256MiB "
                   "and 2%)")
      ->envname("LOGSVC_MIN_FREE_DISK");
  serve
      ->add_option("--cors-origins", opts.cors_origins,
                   "Web origins (scheme://host[:port], comma-separated) whose pages may read "
                   "and add entries, or '*' for any (default: none, same-origin pages only)")
      ->envname("LOGSVC_CORS_ORIGINS");
  serve
      ->add_option("--allowed-hosts", opts.allowed_hosts,
                   "Host names (comma-separated, no port) answered besides IP addresses, "
                   "localhost and the --listen host; '*' for any (default on 0.0.0.0 or [::]: "
                   "any). Stops DNS rebinding")
      ->envname("LOGSVC_ALLOWED_HOSTS");
  serve
      ->add_option("--auth-keys", opts.auth_keys,
                   "File of API keys (made by 'logsvc keys create'): every route but /healthz "
                   "then needs a key with its scope; re-read on SIGHUP (default: none, open)")
      ->envname("LOGSVC_AUTH_KEYS");
  serve
      ->add_option("--rate-limit-requests", opts.rate_limit_requests,
                   "Requests a second each API key may make (unless its line says otherwise), "
                   "or, without keys, each client address; past it 429 (default: 0, none)")
      ->envname("LOGSVC_RATE_LIMIT_REQUESTS")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1000000000}));
  serve
      ->add_option("--rate-limit-entries", opts.rate_limit_entries,
                   "Entries a second each API key (or client address) may store; past it 429 "
                   "(default: 0, none)")
      ->envname("LOGSVC_RATE_LIMIT_ENTRIES")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1000000000}));
  serve
      ->add_option("--max-tail-clients", opts.max_tail_clients,
                   "Live-tail streams (GET /logs/tail) open at once at most; past it 503 "
                   "(default: 256)")
      ->envname("LOGSVC_MAX_TAIL_CLIENTS")
      ->check(CLI::Range(uint64_t{0}, uint64_t{100000}));
  serve
      ->add_option("--tail-heartbeat", opts.tail_heartbeat_seconds,
                   "Seconds without an event after which a live-tail stream gets a comment, so "
                   "proxies keep it open (default: 15)")
      ->envname("LOGSVC_TAIL_HEARTBEAT")
      ->check(CLI::Range(1, 3600));
  serve
      ->add_option("--metrics-listen", opts.metrics_listen,
                   "HOST:PORT of a second listener serving GET /metrics and /healthz without "
                   "keys, for a Prometheus on a private network (default: /metrics on --listen, "
                   "needing a key with the admin scope when there are keys)")
      ->envname("LOGSVC_METRICS_LISTEN");
  serve
      ->add_option("--retention", opts.retention,
                   "Delete entries older than this (30d, 12h, 90m, 3600s) in the background; "
                   "no read returns them after it (default: keep all). DynamoDB: items get an "
                   "expiresAt TTL attribute")
      ->envname("LOGSVC_RETENTION");
  serve
      ->add_option("--max-disk-bytes", opts.max_disk_bytes,
                   "While the data dir holds more than this (e.g. 20GiB, at least 128MiB), "
                   "delete the oldest entries (default: no bound)")
      ->envname("LOGSVC_MAX_DISK_BYTES");

  CLI::App* keys = app.add_subcommand("keys", "Manage the API keys file of --auth-keys.");
  keys->require_subcommand(1);
  CLI::App* create = keys->add_subcommand(
      "create",
      "Make a new random API key, append its SHA-256 to the keys file, print the key once");
  std::string keys_file, key_scopes, key_name;
  create->add_option("--auth-keys", keys_file, "The keys file (created if missing, mode 0600)")
      ->envname("LOGSVC_AUTH_KEYS")
      ->required();
  create
      ->add_option("--scopes", key_scopes,
                   "What the key may do: ingest, read, admin (comma-separated)")
      ->required();
  create->add_option("--name", key_name, "A name for the key (letters, digits, '.', '_', '-')");
  logsvc::api::RateLimits key_limits;
  create
      ->add_option("--requests-per-second", key_limits.requests_per_second,
                   "The key's own limit of requests a second (default: the server's)")
      ->check(CLI::Range(1.0, 1e9));
  create
      ->add_option("--entries-per-second", key_limits.entries_per_second,
                   "The key's own limit of entries stored a second (default: the server's)")
      ->check(CLI::Range(1.0, 1e9));
  keys->allow_extras(false);
  create->allow_extras(false);

  // The client: talks HTTP to any logsvc (standalone, or the Lambda URLs).
  logsvc::cli::ClientOptions client;
  auto add_client = [&](CLI::App* cmd) {
    cmd->add_option("--url", client.url, "The logsvc to talk to")
        ->envname("LOGSVC_URL")
        ->capture_default_str();
    cmd->add_option("--key", client.key, "An API key, sent as Authorization: Bearer")
        ->envname("LOGSVC_KEY");
    cmd->allow_extras(false);
  };
  logsvc::cli::SendOptions send_opts;
  CLI::App* send = app.add_subcommand(
      "send", "Store an entry (MESSAGE), or each line of stdin, batched (POST /logs)");
  add_client(send);
  send->add_option("--severity", send_opts.severity, "info, warning or error")
      ->capture_default_str();
  send->add_option("--attr", send_opts.attributes, "An attribute key=value (repeatable)")
      ->allow_extra_args(false);
  send->add_option("message", send_opts.message, "The message (default: the lines of stdin)");
  logsvc::cli::SearchOptions search_opts;
  auto add_search = [&](CLI::App* cmd) {
    add_client(cmd);
    cmd->add_option("query", search_opts.query, "Words, prefixes*, \"phrases\", -exclusions");
    cmd->add_option("--severity", search_opts.severity, "Severities, comma-separated");
    cmd->add_option("--from", search_opts.from, "Start: Unix ms, RFC 3339, now, or 15m/7d ago");
    cmd->add_option("--to", search_opts.to, "End (exclusive), as --from");
  };
  CLI::App* search = app.add_subcommand("search", "Search the entries (GET /logs)");
  add_search(search);
  search->add_option("--limit", search_opts.limit, "Entries a page (1 to 1000; default 100)")
      ->check(CLI::Range(1, 1000));
  search->add_flag("--all", search_opts.all, "Every page, following the cursors to the end");
  search->add_option("--order", search_opts.order, "desc (newest first, default) or asc");
  search->add_option("--output", search_opts.output, "table (default), json or ndjson");
  CLI::App* exporter = app.add_subcommand(
      "export", "Write every entry a search finds as NDJSON on stdout (GET /logs, all pages)");
  add_search(exporter);
  exporter->add_option("--order", search_opts.order, "desc (newest first, default) or asc");
  logsvc::cli::ImportOptions import_opts;
  CLI::App* importer = app.add_subcommand(
      "import",
      "Store files of entries (NDJSON, a JSON array, or plain text lines), batched, several "
      "requests at once; run it again after an interruption to go on without duplicates");
  add_client(importer);
  importer->add_option("files", import_opts.files, "The files")->required();
  importer->add_option("--severity", import_opts.severity,
                       "Plain text: every line's severity (default: guessed from the line)");
  importer->add_option("--concurrency", import_opts.concurrency, "Requests at once (default 4)")
      ->check(CLI::Range(1, 64));
  logsvc::cli::TailOptions tail_opts;
  CLI::App* tail = app.add_subcommand(
      "tail", "Follow new entries as they are stored (GET /logs/tail); reconnects by itself");
  add_client(tail);
  tail->add_option("query", tail_opts.query, "Words, prefixes*, \"phrases\", -exclusions");
  tail->add_option("--severity", tail_opts.severity, "Severities, comma-separated");
  tail->add_option("--output", tail_opts.output, "table (default) or ndjson");
  // Left-over words reach us instead of a generic "subcommand required", so
  // the error can name them.
  app.allow_extras(true);
  serve->allow_extras(false);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return UsageError(e.what());
  }
  if (!app.remaining().empty()) {
    const std::string word = app.remaining().front();
    return UsageError(word.rfind('-', 0) == 0
                          ? "unknown option '" + word + "'"
                          : "unknown command '" + word + "'; the commands are " +
                                std::string(kCommands));
  }
  if (serve->parsed()) return logsvc::cli::RunServe(opts);
  if (create->parsed())
    return logsvc::cli::RunKeysCreate(keys_file, key_scopes, key_name, key_limits);
  if (send->parsed()) {
    send_opts.message_given = send->count("message") > 0;
    return logsvc::cli::RunSend(client, send_opts);
  }
  if (search->parsed()) return logsvc::cli::RunSearch(client, search_opts);
  if (exporter->parsed()) return logsvc::cli::RunExport(client, search_opts);
  if (tail->parsed()) return logsvc::cli::RunTail(client, tail_opts);
  if (importer->parsed()) return logsvc::cli::RunImport(client, import_opts);
  return UsageError("no command given; the commands are " + std::string(kCommands));
}
