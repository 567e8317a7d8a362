// Unit tests of src/api: routes, statuses, headers and bodies, on a real
// RocksDB store (with a failing disk where the test needs one).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <deque>
#include <future>
#include <optional>

#include "api/api.h"
#include "api/cursor.h"
#include "compress.h"
#include "faulty_fs.h"
#include "key_lines.h"
#include "store/rocksdb_store.h"
#include "temp_dir.h"

namespace logsvc::api {
namespace {

// API keys (api_keys.h): a key of each scope, as Bearer tokens.
std::vector<HeaderField> Bearer(std::string_view key) {
  static thread_local std::deque<std::string> values;  // outlive the call (deque: never moved)
  values.push_back("Bearer " + std::string(key));
  return {{"Authorization", values.back()}};
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(nullptr); }

  void Open(rocksdb::Env* env, ApiOptions options = {}) {
    api_.reset();
    store_.reset();
    auto r = store::RocksDbStore::Open({.path = dir_.path(), .env = env});
    ASSERT_TRUE(r.ok()) << r.status().message();
    store_ = std::move(r).value();
    api_.emplace(*store_, std::move(options));
  }

  Response Call(std::string_view method, std::string_view target, std::string body = "",
                std::vector<HeaderField> headers = {}) {
    std::promise<Response> p;
    api_->Handle({method, target, std::move(body), RequestHeaders(headers)},
                 [&](Response r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }

  static std::optional<std::string> HeaderOf(const Response& r, std::string_view name) {
    for (const auto& h : r.headers) {
      if (h.name == name) return h.value;
    }
    return std::nullopt;
  }

  // The body parsed; a body that is not JSON makes every lookup in it fail
  // (an error, not a crash).
  static simdjson::simdjson_result<simdjson::dom::element> Json(simdjson::dom::parser& parser,
                                                                const Response& r) {
    return parser.parse(std::string(r.Body()));
  }

  // Asserts the status is also in the body, as the original design sends it.
  static void ExpectStatus(const Response& r, int status) {
    EXPECT_EQ(r.status, status) << r.Body();
    simdjson::dom::parser parser;
    int64_t code = 0;
    ASSERT_EQ(Json(parser, r)["statusCode"].get(code), simdjson::SUCCESS) << r.Body();
    EXPECT_EQ(code, status);
    EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/json");
  }

  static std::string ErrorOf(const Response& r) {
    simdjson::dom::parser parser;
    std::string_view error;
    EXPECT_EQ(Json(parser, r)["error"].get(error), simdjson::SUCCESS) << r.body;
    return std::string(error);
  }

  // A store with three keys: "ingest-key", "read-key", "admin-key", each of its scope.
  void OpenWithKeys() {
    auto ring = KeyRing::Parse(testing::KeyLine("ingest-key", "scopes=ingest") +
                               testing::KeyLine("read-key", "scopes=read") +
                               testing::KeyLine("admin-key", "scopes=admin"));
    ASSERT_TRUE(ring.ok()) << ring.status().message();
    ApiOptions options;
    options.keys = std::make_shared<const KeyRing>(std::move(ring).value());
    Open(nullptr, std::move(options));
  }

  int64_t Count() {
    simdjson::dom::parser parser;
    Response r = Call("GET", "/logs");
    int64_t count = -1;
    EXPECT_EQ(Json(parser, r)["count"].get(count), simdjson::SUCCESS);
    return count;
  }

  testing::TempDir dir_;
  std::unique_ptr<store::RocksDbStore> store_;
  std::optional<Api> api_;
};

TEST_F(ApiTest, IngestCreatesAndReadsBack) {
  Response created = Call("POST", "/logs", R"({"severity":"Warning","message":" disk 91% "})");
  ExpectStatus(created, 201);
  simdjson::dom::parser parser;
  auto doc = Json(parser, created);
  std::string_view message, log_id;
  int64_t ts = 0;
  ASSERT_EQ(doc["message"].get(message), simdjson::SUCCESS);
  EXPECT_EQ(message, "Log entry created successfully");
  ASSERT_EQ(doc["logId"].get(log_id), simdjson::SUCCESS);
  ASSERT_EQ(doc["timestamp"].get(ts), simdjson::SUCCESS);
  std::string id(log_id);
  EXPECT_EQ(HeaderOf(created, "Location"), "/logs/" + id);

  Response one = Call("GET", "/logs/" + id);
  ExpectStatus(one, 200);
  simdjson::dom::parser p2;
  auto entry = Json(p2, one);
  std::string_view sev, msg;
  ASSERT_EQ(entry["severity"].get(sev), simdjson::SUCCESS);
  ASSERT_EQ(entry["message"].get(msg), simdjson::SUCCESS);
  EXPECT_EQ(sev, "warning");
  EXPECT_EQ(msg, "disk 91%");

  Response list = Call("GET", "/logs");
  ExpectStatus(list, 200);
  simdjson::dom::parser p3;
  auto body = Json(p3, list);
  simdjson::dom::array logs;
  ASSERT_EQ(body["logs"].get(logs), simdjson::SUCCESS);
  ASSERT_EQ(logs.size(), 1u);
  simdjson::dom::object first;
  ASSERT_EQ(logs.at(0).get(first), simdjson::SUCCESS);
  std::vector<std::string> keys;
  for (auto field : first) keys.emplace_back(field.key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"logId", "timestamp", "datetime", "severity", "message"}));
}

// GET /logs hands every caller the same immutable body while the newest
// entries stay the same, so connections writing it share one copy.
TEST_F(ApiTest, RecentSharesOneBodyUntilTheEntriesChange) {
  ExpectStatus(Call("POST", "/logs", R"({"severity":"info","message":"one"})"), 201);
  Response a = Call("GET", "/logs");
  Response b = Call("GET", "/logs");
  ASSERT_TRUE(a.shared_body);
  EXPECT_EQ(a.shared_body.get(), b.shared_body.get());
  EXPECT_TRUE(a.body.empty());
  EXPECT_EQ(a.Body(), *a.shared_body);
  ExpectStatus(Call("POST", "/logs", R"({"severity":"info","message":"two"})"), 201);
  Response c = Call("GET", "/logs");
  ASSERT_TRUE(c.shared_body);
  EXPECT_NE(c.shared_body.get(), a.shared_body.get());
  EXPECT_NE(c.Body(), a.Body());
}

TEST_F(ApiTest, BadBodiesAre400AndStoreNothing) {
  for (std::string body :
       {"", "{", "[]", R"({"severity":"info"})", R"({"severity":"fatal","message":"x"})",
        R"({"severity":"info","message":"   "})", "{\"severity\":\"info\",\"message\":\"\xFF\"}"}) {
    Response r = Call("POST", "/logs", body);
    ExpectStatus(r, 400);
    simdjson::dom::parser parser;
    std::string_view error;
    ASSERT_EQ(Json(parser, r)["error"].get(error), simdjson::SUCCESS);
    EXPECT_GT(error.size(), 10u) << "a sentence saying what is wrong";
  }
  EXPECT_EQ(Count(), 0);
}

TEST_F(ApiTest, RoutesMethodsAndPreflight) {
  ExpectStatus(Call("GET", "/index.html"), 404);
  ExpectStatus(Call("GET", "/v1/logs/x"), 404);
  // "/" is what Elasticsearch shippers ask before they send (api/ingest_format.h).
  EXPECT_EQ(Call("GET", "/").status, 200);
  // An index may be named "logs": its bulk is not an entry's path.
  EXPECT_EQ(Call("POST", "/logs/_bulk", "{\"create\":{}}\n{\"message\":\"m\"}\n").status, 200);
  ExpectStatus(Call("GET", "/logs/"), 404);
  ExpectStatus(Call("GET", "/logs/a/b"), 404);
  ExpectStatus(Call("GET", "/logs/00000000-0000-4000-8000-000000000000"), 404);
  ExpectStatus(Call("GET", "/logs/not-a-uuid"), 404);

  Response del = Call("DELETE", "/logs");
  ExpectStatus(del, 405);
  EXPECT_EQ(HeaderOf(del, "Allow"), "GET, HEAD, POST, OPTIONS");
  Response put = Call("PUT", "/logs/00000000-0000-4000-8000-000000000000");
  ExpectStatus(put, 405);
  EXPECT_EQ(HeaderOf(put, "Allow"), "GET, HEAD, OPTIONS");

  Response pre = Call("OPTIONS", "/logs");
  EXPECT_EQ(pre.status, 204);
  EXPECT_TRUE(pre.body.empty());
  EXPECT_EQ(HeaderOf(pre, "Access-Control-Allow-Origin"), std::nullopt);
  EXPECT_EQ(HeaderOf(pre, "Access-Control-Allow-Methods"), "GET, HEAD, POST, OPTIONS");
  EXPECT_TRUE(HeaderOf(pre, "Access-Control-Allow-Headers"));

  Response health = Call("GET", "/healthz");
  ExpectStatus(health, 200);
}

TEST_F(ApiTest, StoreFailureIs503AndHealthzSaysSo) {
  auto fs = std::make_shared<testing::FaultyFileSystem>();
  auto env = rocksdb::NewCompositeEnv(fs);
  Open(env.get());
  ExpectStatus(Call("POST", "/logs", R"({"severity":"info","message":"ok"})"), 201);
  fs->SetFailing(true);
  ExpectStatus(Call("POST", "/logs", R"({"severity":"info","message":"lost"})"), 503);
  ExpectStatus(Call("GET", "/healthz"), 503);
  EXPECT_EQ(Count(), 1) << "no 201, and nothing stored";
  fs->SetFailing(false);
  store_.reset();  // before env goes away
}

// The default policy (logsvc serve without --cors-origins): no CORS header on
// any response, and a foreign Origin refused before routing, so nothing is
// stored and nothing is read.
TEST_F(ApiTest, DefaultRefusesForeignOriginsBeforeRouting) {
  const std::string entry = R"({"severity":"info","message":"from a page"})";
  ExpectStatus(Call("POST", "/logs", entry), 201);
  EXPECT_EQ(HeaderOf(Call("GET", "/logs"), "Access-Control-Allow-Origin"), std::nullopt);

  const std::vector<HeaderField> evil = {{"Host", "127.0.0.1:8080"},
                                         {"origin", "https://evil.example"}};
  using Pairs = std::vector<std::pair<std::string_view, std::string_view>>;
  for (auto [method, target] :
       Pairs{{"POST", "/logs"}, {"GET", "/logs"}, {"OPTIONS", "/logs"}, {"DELETE", "/nowhere"}}) {
    Response r = Call(method, target, entry, evil);
    ExpectStatus(r, 403);
    EXPECT_EQ(ErrorOf(r),
              "Web pages from the origin 'https://evil.example' may not use this server; list "
              "that origin in --cors-origins to allow them.");
    EXPECT_EQ(HeaderOf(r, "Access-Control-Allow-Origin"), std::nullopt);
  }
  // Same origin: the page came from this server.
  ExpectStatus(Call("POST", "/logs", entry,
                    {{"Host", "127.0.0.1:8080"}, {"Origin", "http://127.0.0.1:8080"}}),
               201);
  EXPECT_EQ(Count(), 2);
}

TEST_F(ApiTest, ListedOriginsGetTheirOriginBackAndVary) {
  auto cors = CorsPolicy::Parse("https://app.example");
  ASSERT_TRUE(cors.ok());
  Open(nullptr, {.access = {.cors = cors.value()}});
  const std::vector<HeaderField> app = {{"Origin", "https://app.example"}};
  Response created = Call("POST", "/logs", R"({"severity":"info","message":"m"})", app);
  ExpectStatus(created, 201);
  EXPECT_EQ(HeaderOf(created, "Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(HeaderOf(created, "Vary"), "Origin");
  EXPECT_TRUE(HeaderOf(created, "Location"));
  Response pre = Call("OPTIONS", "/logs", "", app);
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(HeaderOf(pre, "Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(HeaderOf(pre, "Access-Control-Allow-Methods"), "GET, HEAD, POST, OPTIONS");
  // Without an Origin (curl, shippers): no CORS header.
  EXPECT_EQ(HeaderOf(Call("GET", "/healthz"), "Access-Control-Allow-Origin"), std::nullopt);
}

TEST_F(ApiTest, AnyOriginSaysStarOnEveryResponse) {
  Open(nullptr, {.access = {.cors = CorsPolicy::AnyOrigin()}});
  for (Response r : {Call("GET", "/logs"), Call("GET", "/nope", "", {{"Origin", "null"}}),
                     Call("POST", "/logs", "{}", {{"Origin", "https://any.example"}})}) {
    EXPECT_EQ(HeaderOf(r, "Access-Control-Allow-Origin"), "*") << r.body;
    EXPECT_EQ(HeaderOf(r, "Vary"), std::nullopt);
  }
}

TEST_F(ApiTest, UnknownHostIs421BeforeRouting) {
  auto hosts = HostPolicy::ForServer("127.0.0.1", "");
  ASSERT_TRUE(hosts.ok());
  Open(nullptr, {.access = {.hosts = hosts.value()}});
  Response r = Call("POST", "/logs", R"({"severity":"info","message":"rebound"})",
                    {{"Host", "attacker.example:8080"}});
  ExpectStatus(r, 421);
  EXPECT_EQ(ErrorOf(r),
            "This server does not answer to the Host 'attacker.example:8080'; add that name "
            "to --allowed-hosts to allow it.");
  ExpectStatus(Call("GET", "/healthz", "", {{"Host", "localhost:8080"}}), 200);
  EXPECT_EQ(Count(), 0);
}

TEST_F(ApiTest, ContentEncodingOtherThanGzipZstdOrIdentityIs415) {
  const std::string entry = R"({"severity":"info","message":"m"})";
  using Pairs = std::vector<std::pair<std::string_view, std::string_view>>;
  for (auto [encoding, named] : Pairs{{"br", "br"},
                                      {"deflate", "deflate"},
                                      {"identity, BR", "BR"},
                                      {" , compress", "compress"}}) {
    Response r = Call("POST", "/logs", entry, {{"Content-Encoding", encoding}});
    ExpectStatus(r, 415);
    EXPECT_EQ(ErrorOf(r),
              "Content-Encoding '" + std::string(named) +
                  "' is not supported; send the body uncompressed, or in gzip or zstd.");
    EXPECT_EQ(HeaderOf(r, "Accept-Encoding"), "gzip, zstd, identity");
  }
  // A plain body labelled gzip does not decode: 400.
  Response labelled = Call("POST", "/logs", entry, {{"Content-Encoding", "gzip"}});
  ExpectStatus(labelled, 400);
  EXPECT_EQ(ErrorOf(labelled).rfind("The request body is not valid gzip: ", 0), 0u);
  EXPECT_EQ(Count(), 0);
  ExpectStatus(Call("POST", "/logs", entry, {{"content-encoding", "Identity"}}), 201);
  ExpectStatus(Call("POST", "/logs", entry, {{"Content-Encoding", ""}}), 201);
  // Reads carry no body: their Content-Encoding is not looked at.
  ExpectStatus(Call("GET", "/logs", "", {{"Content-Encoding", "br"}}), 200);
  EXPECT_EQ(Count(), 2);
}

TEST_F(ApiTest, GzipAndZstdBodiesAreStoredAsIfSentPlain) {
  const std::string one = R"({"severity":"warning","message":"gzipped one"})";
  Response r = Call("POST", "/logs", testing::Gzip(one), {{"Content-Encoding", "gzip"}});
  ExpectStatus(r, 201);
  const std::string batch = R"({"severity":"info","message":"zstd a"})"
                            "\n"
                            R"({"severity":"error","message":"zstd b"})";
  r = Call("POST", "/logs", testing::Zstd(batch),
           {{"Content-Encoding", "zstd"}, {"Content-Type", "application/x-ndjson"}});
  ExpectStatus(r, 201);
  EXPECT_EQ(Count(), 3);
  Response found = Call("GET", "/logs?q=zstd&order=asc");
  ExpectStatus(found, 200);
  EXPECT_NE(found.body.find("\"zstd a\""), std::string::npos);
  EXPECT_NE(found.body.find("\"zstd b\""), std::string::npos);
}

TEST_F(ApiTest, ABodyOverTheLimitOnceDecodedIs413AndStoresNothing) {
  ApiOptions options;
  options.max_body_bytes = 4096;
  Open(nullptr, options);
  std::string batch = "[";
  for (int i = 0; i < 200; ++i) {
    batch += std::string(i ? "," : "") + R"({"severity":"info","message":"same line again"})";
  }
  batch += "]";
  ASSERT_GT(batch.size(), 4096u);
  const std::string sent = testing::Gzip(batch);
  ASSERT_LT(sent.size(), 4096u);
  Response r = Call("POST", "/logs", sent, {{"Content-Encoding", "gzip"}});
  ExpectStatus(r, 413);
  EXPECT_EQ(ErrorOf(r), "The request body is larger than 4096 bytes once decompressed.");
  EXPECT_EQ(Count(), 0);
}

// GET /logs/tail: a stream (its events: tests/unit/follow_test.cc and
// tests/integration/test_tail.py), only where kTailRoutes is served, at most
// max_tail_clients at once.
TEST_F(ApiTest, TailIsAStreamWithinItsClientBound) {
  Open(nullptr, {.access = {}, .max_tail_clients = 2});
  Response first = Call("GET", "/logs/tail?severity=error");
  EXPECT_EQ(first.status, 200);
  ASSERT_TRUE(first.stream);
  EXPECT_EQ(HeaderOf(first, "Content-Type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(HeaderOf(first, "Cache-Control"), "no-store");
  Response second = Call("GET", "/logs/tail");
  ASSERT_TRUE(second.stream);
  Response third = Call("GET", "/logs/tail");
  ExpectStatus(third, 503);
  EXPECT_FALSE(third.stream);
  EXPECT_EQ(ErrorOf(third),
            "The server has as many live-tail streams open as it takes (2); try again later.");
  first = Response();  // the stream ends: its place is free
  EXPECT_TRUE(Call("GET", "/logs/tail").stream);

  // Its first piece says what the tail is; an entry stored then is the next.
  std::promise<BodyStream::Piece> p1;
  second.stream->Next([&](BodyStream::Piece piece) { p1.set_value(std::move(piece)); });
  const BodyStream::Piece intro = p1.get_future().get();
  EXPECT_TRUE(intro.bytes.starts_with(": logsvc live tail: ")) << intro.bytes;
  EXPECT_NE(intro.bytes.find("\nretry: 1000\n\n"), std::string::npos) << intro.bytes;
  ExpectStatus(Call("POST", "/logs", R"({"severity":"error","message":"followed"})"), 201);
  std::string events;
  for (int i = 0; i < 100 && events.empty(); ++i) {
    std::promise<BodyStream::Piece> p;
    second.stream->Next([&](BodyStream::Piece piece) { p.set_value(std::move(piece)); });
    events = p.get_future().get().bytes;
  }
  EXPECT_TRUE(events.starts_with("id: ")) << events;
  EXPECT_NE(events.find("\ndata: {\"logId\":"), std::string::npos) << events;
  EXPECT_NE(events.find("\"message\":\"followed\"}\n\n"), std::string::npos) << events;

  ExpectStatus(Call("GET", "/logs/tail?to=now"), 400);
  ExpectStatus(Call("GET", "/logs/tail", "", {{"Last-Event-ID", "nonsense"}}), 400);
  // The Lambda read function does not stream: no tail there, and the path
  // is not taken for an id.
  Open(nullptr, {.access = {}, .routes = kReadRoutes});
  Response none = Call("GET", "/logs/tail");
  ExpectStatus(none, 404);
  EXPECT_TRUE(ErrorOf(none).starts_with("No such route.")) << ErrorOf(none);
}

// GET / is the viewer for a browser and Elasticsearch's probe for its
// shippers; /ui/* the viewer's files, with a policy that allows nothing else.
TEST_F(ApiTest, TheViewerForBrowsersAndTheProbeForShippers) {
  Response page = Call("GET", "/", "", {{"Accept", "text/html,application/xhtml+xml"}});
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(HeaderOf(page, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_TRUE(HeaderOf(page, "Content-Security-Policy")->starts_with("default-src 'none';"));
  EXPECT_NE(page.body.find("<script type=\"module\" src=\"/ui/app.js\">"), std::string::npos);
  Response probe = Call("GET", "/", "", {{"Accept", "application/json"}});
  EXPECT_EQ(probe.status, 200);
  EXPECT_NE(probe.body.find("\"cluster_name\""), std::string::npos);
  Response js = Call("GET", "/ui/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(HeaderOf(js, "Content-Type"), "text/javascript; charset=utf-8");
  ExpectStatus(Call("GET", "/ui/nope.js"), 404);
  // The Lambda functions do not serve it.
  Open(nullptr, {.access = {}, .routes = kReadRoutes});
  ExpectStatus(Call("GET", "/ui/app.js"), 404);
}

TEST_F(ApiTest, EachRouteGroupServesItsRoutesOnlyFromTheOneTable) {
  // What logsvc serve answers: every route.
  EXPECT_EQ(HeaderOf(Call("PUT", "/logs"), "Allow"), "GET, HEAD, POST, OPTIONS");
  EXPECT_EQ(HeaderOf(Call("OPTIONS", "/healthz"), "Allow"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(ErrorOf(Call("GET", "/nope")),
            "No such route. The API is POST /logs, GET /logs, GET /logs/stats, GET /logs/tail, "
            "GET /logs/{logId}, GET /healthz, POST /v1/logs (OTLP), POST /loki/api/v1/push "
            "(Loki), POST /_bulk (Elasticsearch), GET / (Elasticsearch) and GET / (the web "
            "viewer).");
  Response created = Call("POST", "/logs", R"({"severity":"info","message":"m"})");
  ExpectStatus(created, 201);
  EXPECT_TRUE(HeaderOf(created, "Location").has_value());

  // The ingest function: POST /logs only; no Location (nothing here serves it).
  Open(nullptr, {.access = {}, .routes = kIngestRoutes});
  Response get = Call("GET", "/logs");
  ExpectStatus(get, 405);
  EXPECT_EQ(HeaderOf(get, "Allow"), "POST, OPTIONS");
  EXPECT_EQ(Call("OPTIONS", "/logs").status, 204);
  EXPECT_EQ(HeaderOf(Call("OPTIONS", "/logs"), "Allow"), "POST, OPTIONS");
  ExpectStatus(Call("POST", "/logs/abc", R"({"severity":"info","message":"m"})"), 404);
  EXPECT_EQ(ErrorOf(Call("GET", "/healthz")),
            "No such route. The API is POST /logs, POST /v1/logs (OTLP), POST /loki/api/v1/push "
            "(Loki), POST /_bulk (Elasticsearch) and GET / (Elasticsearch).");
  created = Call("POST", "/logs", R"({"severity":"info","message":"m"})");
  ExpectStatus(created, 201);
  EXPECT_FALSE(HeaderOf(created, "Location").has_value());

  // The read function: GET /logs and GET /logs/{logId}.
  Open(nullptr, {.access = {}, .routes = kReadRoutes});
  Response post = Call("POST", "/logs", R"({"severity":"info","message":"m"})");
  ExpectStatus(post, 405);
  EXPECT_EQ(HeaderOf(post, "Allow"), "GET, HEAD, OPTIONS");
  ExpectStatus(Call("DELETE", "/logs/abc"), 405);
  ExpectStatus(Call("HEAD", "/logs"), 200);
  EXPECT_EQ(Count(), 2);
  EXPECT_EQ(ErrorOf(Call("GET", "/healthz")),
            "No such route. The API is GET /logs, GET /logs/stats and GET /logs/{logId}.");
}

TEST(Cursor, CarriesTheQueryWhole) {
  // Each severity set, not just all of them: a decoded cursor holds exactly
  // the severities that were encoded.
  for (uint32_t bits = 1; bits < 8; ++bits) {
    CursorState state;
    state.filter.severities = SeveritySet();
    for (unsigned v = 0; v < 3; ++v) {
      if ((bits >> v) & 1) state.filter.severities.Add(static_cast<Severity>(v));
    }
    state.filter.from_ms = 1000;
    state.filter.to_ms = 2000;
    state.filter.text = ParseText("timeo* -\"will retry\"").value();
    state.order = Order::kAsc;
    state.limit = 7;
    state.position = std::string("K\0\x01", 3);
    Result<CursorState> back = DecodeCursor(EncodeCursor(state), CursorKind::kSearch);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back.value().filter.severities, state.filter.severities) << bits;
    EXPECT_EQ(back.value().filter.from_ms, 1000);
    EXPECT_EQ(back.value().filter.to_ms, 2000);
    EXPECT_EQ(back.value().filter.text, state.filter.text);
    EXPECT_EQ(back.value().order, Order::kAsc);
    EXPECT_EQ(back.value().limit, 7u);
    EXPECT_EQ(back.value().position, state.position);
  }
}

TEST_F(ApiTest, KeysEachRouteNeedsItsScope) {
  const std::string entry = R"({"severity":"info","message":"hello"})";
  OpenWithKeys();
  struct Case {
    std::string_view method, target;
    std::string body;
  };
  // Every route of the table: with its scope's key, and with each other one.
  const std::pair<Case, std::string_view> routes[] = {
      {{"POST", "/logs", entry}, "ingest-key"},
      {{"GET", "/logs", ""}, "read-key"},
      {{"GET", "/logs?q=hello", ""}, "read-key"},
      {{"GET", "/logs/stats", ""}, "read-key"},
      {{"GET", "/logs/00000000-0000-4000-8000-000000000000", ""}, "read-key"},
      {{"POST", "/v1/logs", "{}"}, "ingest-key"},
      {{"POST", "/loki/api/v1/push", R"({"streams":[]})"}, "ingest-key"},
      {{"POST", "/_bulk", ""}, "ingest-key"},
      {{"GET", "/", ""}, "ingest-key"},
  };
  for (const auto& [c, good] : routes) {
    SCOPED_TRACE(std::string(c.method) + " " + std::string(c.target));
    const Response none = Call(c.method, c.target, c.body);
    EXPECT_EQ(none.status, 401) << none.Body();
    EXPECT_EQ(HeaderOf(none, "WWW-Authenticate"), R"(Bearer realm="logsvc", Basic realm="logsvc")");
    // A wrong key gets the very same reply: nothing says whether keys exist.
    const Response wrong = Call(c.method, c.target, c.body, Bearer("no-such-key"));
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(wrong.Body(), none.Body());
    for (std::string_view other : {"ingest-key", "read-key", "admin-key"}) {
      if (other == good) continue;
      const Response r = Call(c.method, c.target, c.body, Bearer(other));
      EXPECT_EQ(r.status, 403) << other << ": " << r.Body();
      EXPECT_NE(r.Body().find("scope"), std::string_view::npos);
    }
    const Response ok = Call(c.method, c.target, c.body, Bearer(good));
    EXPECT_NE(ok.status, 401);
    EXPECT_NE(ok.status, 403) << ok.Body();
  }
  // Nothing was stored by the refused POST /logs: only the one with the key.
  const Response list = Call("GET", "/logs", "", Bearer("read-key"));
  EXPECT_NE(list.Body().find("\"count\":1"), std::string_view::npos) << list.Body();
}

TEST_F(ApiTest, KeysHealthAndPreflightsStayOpenAndKeysCanBeReplaced) {
  OpenWithKeys();
  EXPECT_EQ(Call("GET", "/healthz").status, 200);
  EXPECT_EQ(Call("OPTIONS", "/logs").status, 204);
  EXPECT_EQ(Call("GET", "/nowhere").status, 404);
  EXPECT_EQ(Call("DELETE", "/logs").status, 405);
  EXPECT_EQ(Call("GET", "/logs", "", Bearer("read-key")).status, 200);
  auto ring = KeyRing::Parse(testing::KeyLine("new-key", "scopes=read"));
  api_->SetKeys(std::make_shared<const KeyRing>(std::move(ring).value()));
  EXPECT_EQ(Call("GET", "/logs", "", Bearer("read-key")).status, 401);
  EXPECT_EQ(Call("GET", "/logs", "", Bearer("new-key")).status, 200);
  api_->SetKeys(nullptr);  // none: open again
  EXPECT_EQ(Call("GET", "/logs").status, 200);
}

TEST_F(ApiTest, RateLimitsPerClientAddressWithoutKeys) {
  ApiOptions options;
  options.rate_limits = {2, 0};
  Open(nullptr, std::move(options));
  const auto call = [&](std::string_view client) {
    std::promise<Response> p;
    Request req{"GET", "/logs", "", RequestHeaders(), client};
    api_->Handle(req, [&](Response r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  };
  EXPECT_EQ(call("10.0.0.1").status, 200);
  EXPECT_EQ(call("10.0.0.1").status, 200);
  const Response refused = call("10.0.0.1");
  EXPECT_EQ(refused.status, 429) << refused.Body();
  EXPECT_EQ(HeaderOf(refused, "Retry-After"), "1");
  EXPECT_NE(ErrorOf(refused).find("client address"), std::string::npos);
  EXPECT_EQ(call("10.0.0.2").status, 200);
  EXPECT_EQ(call("10.0.0.1").status, 429);
  // /healthz is never limited.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Call("GET", "/healthz").status, 200);
}

TEST_F(ApiTest, RateLimitsOfEntriesPerKeyStoreNothingPastThem) {
  auto ring = KeyRing::Parse(testing::KeyLine("k", "scopes=ingest,read entries-per-second=5") +
                             testing::KeyLine("other", "scopes=ingest,read"));
  ApiOptions options;
  options.keys = std::make_shared<const KeyRing>(std::move(ring).value());
  options.rate_limits = {0, 1000000};  // the default, which key k's own replaces
  Open(nullptr, std::move(options));
  std::string batch = "[";
  for (int i = 0; i < 8; ++i)
    batch += std::string(i > 0 ? "," : "") + R"({"severity":"info","message":"e"})";
  batch += "]";
  // Eight at once: the bucket held five, so it is now three in debt.
  EXPECT_EQ(Call("POST", "/logs", batch, Bearer("k")).status, 201);
  const Response refused =
      Call("POST", "/logs", R"({"severity":"info","message":"late"})", Bearer("k"));
  EXPECT_EQ(refused.status, 429) << refused.Body();
  EXPECT_EQ(HeaderOf(refused, "Retry-After"), "1");
  EXPECT_NE(ErrorOf(refused).find("nothing was stored"), std::string::npos);
  // Another key is not limited by k's bucket.
  EXPECT_EQ(Call("POST", "/logs", R"({"severity":"info","message":"x"})", Bearer("other")).status,
            201);
  simdjson::dom::parser parser;
  int64_t count = -1;
  ASSERT_EQ(Json(parser, Call("GET", "/logs", "", Bearer("other")))["count"].get(count),
            simdjson::SUCCESS);
  EXPECT_EQ(count, 9);
}

}  // namespace
}  // namespace logsvc::api
