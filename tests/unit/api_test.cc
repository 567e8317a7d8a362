// Unit tests of src/api: routes, statuses, headers and bodies, on a real
// RocksDB store (with a failing disk where the test needs one).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <future>
#include <optional>

#include "api/api.h"
#include "faulty_fs.h"
#include "store/rocksdb_store.h"
#include "temp_dir.h"

namespace logsvc::api {
namespace {

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(nullptr); }

  void Open(rocksdb::Env* env) {
    store_.reset();
    auto r = store::RocksDbStore::Open({.path = dir_.path(), .env = env});
    ASSERT_TRUE(r.ok()) << r.status().message();
    store_ = std::move(r).value();
    api_.emplace(*store_);
  }

  Response Call(std::string_view method, std::string_view target, std::string body = "") {
    std::promise<Response> p;
    api_->Handle({method, target, std::move(body)}, [&](Response r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }

  static std::optional<std::string> HeaderOf(const Response& r, std::string_view name) {
    for (const auto& h : r.headers) {
      if (h.name == name) return h.value;
    }
    return std::nullopt;
  }

  static simdjson::dom::element Json(simdjson::dom::parser& parser, const Response& r) {
    simdjson::dom::element doc;
    EXPECT_EQ(parser.parse(std::string(r.Body())).get(doc), simdjson::SUCCESS) << r.Body();
    return doc;
  }

  // Asserts the status is also in the body, as the original design sends it.
  static void ExpectStatus(const Response& r, int status) {
    EXPECT_EQ(r.status, status) << r.Body();
    simdjson::dom::parser parser;
    int64_t code = 0;
    ASSERT_EQ(Json(parser, r)["statusCode"].get(code), simdjson::SUCCESS) << r.Body();
    EXPECT_EQ(code, status);
    EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/json");
    EXPECT_EQ(HeaderOf(r, "Access-Control-Allow-Origin"), "*");
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

  Response list = Call("GET", "/logs?ignored=1");
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
  ExpectStatus(Call("GET", "/"), 404);
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
  EXPECT_EQ(HeaderOf(pre, "Access-Control-Allow-Origin"), "*");
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

}  // namespace
}  // namespace logsvc::api
