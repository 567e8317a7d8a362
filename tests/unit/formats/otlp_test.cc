// Unit tests of OTLP logs ingest: src/formats/otlp_logs.h (requests built
// with the generated protobuf classes, and OTLP/JSON bodies) and
// src/api/otlp_ingest.cc (statuses, content types, reply bodies), and POST
// /v1/logs through the Api on a real RocksDB store.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <future>
#include <optional>
#include <string>

#include "api/api.h"
#include "api/ingest_format.h"
#include "core/attributes.h"
#include "core/ingest_batch.h"
#include "formats/otlp_logs.h"
#include "logsvc/log_store.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "store/rocksdb_store.h"
#include "temp_dir.h"

namespace logsvc::otlp {
namespace {

using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using opentelemetry::proto::collector::logs::v1::ExportLogsServiceResponse;
using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::common::v1::KeyValue;
using opentelemetry::proto::logs::v1::LogRecord;
using opentelemetry::proto::logs::v1::ScopeLogs;

constexpr int64_t kNow = 1'796'000'000'000;             // the server's clock in these tests (2026)
constexpr uint64_t kNanos = 1'795'000'000'123'456'789;  // a record's time: ms 1795000000123

void SetString(KeyValue* kv, std::string key, std::string value) {
  kv->set_key(std::move(key));
  kv->mutable_value()->set_string_value(std::move(value));
}

// A request with one resource (service.name=checkout) and one scope.
struct RequestBuilder {
  ExportLogsServiceRequest request;
  ScopeLogs* scope;

  RequestBuilder() {
    auto* rl = request.add_resource_logs();
    SetString(rl->mutable_resource()->add_attributes(), "service.name", "checkout");
    scope = rl->add_scope_logs();
  }
  LogRecord* Add(std::string body) {
    LogRecord* r = scope->add_log_records();
    r->set_time_unix_nano(kNanos);
    r->mutable_body()->set_string_value(std::move(body));
    return r;
  }
  std::string Bytes() const { return request.SerializeAsString(); }
};

ExportedLogs ParseOk(const std::string& body, Encoding encoding = Encoding::kProtobuf) {
  auto r = ParseExportLogsRequest(body, encoding, kNow);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : ExportedLogs{};
}

// The message a request is refused with ("" and a failure if it is not).
std::string Refusal(const std::string& body, Encoding encoding) {
  auto r = ParseExportLogsRequest(body, encoding, kNow);
  EXPECT_FALSE(r.ok()) << body.substr(0, 200);
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  return r.status().message();
}

std::string Attr(const LogEntry& e, std::string_view key) {
  const std::string* v = FindAttribute(e.attributes, key);
  return v ? *v : "<absent>";
}

// The one entry of a protobuf request, or a failure.
LogEntry OnlyEntry(const RequestBuilder& b) {
  ExportedLogs logs = ParseOk(b.Bytes());
  EXPECT_EQ(logs.rejected, 0) << logs.first_rejection;
  EXPECT_EQ(logs.entries.size(), 1u);
  return logs.entries.empty() ? LogEntry{"", 0, Severity::kInfo, "<none>"} : logs.entries[0];
}

TEST(OtlpProtobuf, RecordBecomesEntry) {
  RequestBuilder b;
  b.scope->mutable_scope()->set_name("shop.payments");
  b.scope->mutable_scope()->set_version("1.4.2");
  LogRecord* r = b.Add("payment failed: card declined\r\n");
  r->set_severity_number(opentelemetry::proto::logs::v1::SEVERITY_NUMBER_ERROR);
  r->set_severity_text("ERROR");
  SetString(r->add_attributes(), "user.id", "u-42");
  KeyValue* count = r->add_attributes();
  count->set_key("retry.count");
  count->mutable_value()->set_int_value(3);
  KeyValue* ratio = r->add_attributes();
  ratio->set_key("ratio");
  ratio->mutable_value()->set_double_value(0.25);
  KeyValue* ok = r->add_attributes();
  ok->set_key("ok");
  ok->mutable_value()->set_bool_value(false);
  KeyValue* tags = r->add_attributes();
  tags->set_key("tags");
  tags->mutable_value()->mutable_array_value()->add_values()->set_string_value("a\"b");
  tags->mutable_value()->mutable_array_value()->add_values()->set_int_value(7);
  KeyValue* http = r->add_attributes();
  http->set_key("http");
  auto* kvlist = http->mutable_value()->mutable_kvlist_value();
  KeyValue* status = kvlist->add_values();
  status->set_key("status");
  status->mutable_value()->set_int_value(502);
  KeyValue* req = kvlist->add_values();
  req->set_key("request");
  SetString(req->mutable_value()->mutable_kvlist_value()->add_values(), "method", "POST");
  KeyValue* raw = r->add_attributes();
  raw->set_key("raw");
  raw->mutable_value()->set_bytes_value(std::string("\x00\x01\xfe\xff", 4));
  KeyValue* empty = r->add_attributes();
  empty->set_key("nothing");  // no value: left out
  r->set_trace_id(
      std::string("\x4b\xf9\x2f\x35\x77\xb3\x4d\xa6\xa3\xce\x92\x9d\x0e\x0e\x47\x36", 16));
  r->set_span_id(std::string("\x00\xf0\x67\xaa\x0b\xa9\x02\xb7", 8));
  r->set_event_name("payment.declined");

  LogEntry e = OnlyEntry(b);
  EXPECT_EQ(e.message, "payment failed: card declined");
  EXPECT_EQ(e.timestamp_ms, 1'795'000'000'123);
  EXPECT_EQ(e.severity, Severity::kError);
  EXPECT_TRUE(e.log_id.empty());
  Attributes want = {
      {"event.name", "payment.declined"},
      {"http.request.method", "POST"},
      {"http.status", "502"},
      {"ok", "false"},
      {"otel.scope.name", "shop.payments"},
      {"otel.scope.version", "1.4.2"},
      {"ratio", "0.25"},
      {"raw", "AAH+/w=="},
      {"retry.count", "3"},
      {"service.name", "checkout"},
      {"span_id", "00f067aa0ba902b7"},
      {"tags", R"(["a\"b",7])"},
      {"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"},
      {"user.id", "u-42"},
  };
  EXPECT_EQ(e.attributes, want);  // no severity_text: "ERROR" is the severity's name
}

TEST(OtlpProtobuf, TruncatedBodyIsRefused) {
  RequestBuilder b;
  b.Add("a record whose body is long enough to be cut in the middle");
  const std::string bytes = b.Bytes();
  ParseOk(bytes);  // whole, it parses
  std::string message = Refusal(bytes.substr(0, bytes.size() - 5), Encoding::kProtobuf);
  EXPECT_NE(message.find("not an OTLP ExportLogsServiceRequest"), std::string::npos) << message;
  Refusal("this is not protobuf at all", Encoding::kProtobuf);
  // A string that is not UTF-8: protobuf's parser refuses it (quietly).
  RequestBuilder bad;
  bad.Add("ok");
  std::string invalid = bad.Bytes();
  invalid[invalid.size() - 1] = '\xff';
  Refusal(invalid, Encoding::kProtobuf);
}

TEST(OtlpProtobuf, EmptyRequestAndEmptyBody) {
  EXPECT_TRUE(ParseOk("").entries.empty());  // no records: nothing to store
  RequestBuilder b;
  b.scope->add_log_records()->set_time_unix_nano(kNanos);  // no body at all
  EXPECT_EQ(OnlyEntry(b).message, "");
}

TEST(OtlpProtobuf, BodyTypes) {
  RequestBuilder b;
  b.Add("")->mutable_body()->set_int_value(-42);
  b.Add("")->mutable_body()->set_double_value(2.5);
  b.Add("")->mutable_body()->set_bool_value(true);
  b.Add("")->mutable_body()->set_bytes_value("hi!");
  auto* kv = b.Add("")->mutable_body()->mutable_kvlist_value();
  SetString(kv->add_values(), "user", "ü\n");
  KeyValue* n = kv->add_values();
  n->set_key("n");
  n->mutable_value()->mutable_array_value()->add_values();  // an empty value: null
  b.Add("line one\nline two\n\n");
  ExportedLogs logs = ParseOk(b.Bytes());
  ASSERT_EQ(logs.entries.size(), 6u);
  EXPECT_EQ(logs.entries[0].message, "-42");
  EXPECT_EQ(logs.entries[1].message, "2.5");
  EXPECT_EQ(logs.entries[2].message, "true");
  EXPECT_EQ(logs.entries[3].message, "aGkh");
  EXPECT_EQ(logs.entries[4].message, R"({"user":"ü\n","n":[null]})");
  EXPECT_EQ(logs.entries[5].message, "line one\nline two");
}

TEST(OtlpSeverity, NumberMapping) {
  const Severity want[6] = {Severity::kTrace,   Severity::kDebug, Severity::kInfo,
                            Severity::kWarning, Severity::kError, Severity::kFatal};
  for (int n = 1; n <= 24; ++n) {
    EXPECT_EQ(SeverityOfNumber(n), want[(n - 1) / 4]) << n;
  }
  EXPECT_EQ(SeverityOfNumber(0), std::nullopt);
  EXPECT_EQ(SeverityOfNumber(25), std::nullopt);
  EXPECT_EQ(SeverityOfNumber(-1), std::nullopt);
}

TEST(OtlpSeverity, NumberThenTextThenInfo) {
  struct Case {
    int number;
    std::string text;
    Severity severity;
    std::string severity_text;  // the attribute, or <absent>
  } cases[] = {
      {13, "", Severity::kWarning, "<absent>"},
      {14, "WARN", Severity::kWarning, "<absent>"},  // the same severity: not kept
      {9, "ERROR", Severity::kInfo, "ERROR"},        // the number wins; the text is kept
      {0, "Error", Severity::kError, "<absent>"},    // no number: the text decides
      {0, "warn", Severity::kWarning, "<absent>"},
      {0, "FATAL3", Severity::kFatal, "<absent>"},
      {0, "", Severity::kInfo, "<absent>"},         // neither: info
      {0, "chatty", Severity::kInfo, "chatty"},     // not a level name: kept
      {30, "debug", Severity::kDebug, "<absent>"},  // a number out of range is no number
      {21, "critical", Severity::kFatal, "<absent>"},
  };
  for (const Case& c : cases) {
    RequestBuilder b;
    LogRecord* r = b.Add("x");
    r->set_severity_number(static_cast<opentelemetry::proto::logs::v1::SeverityNumber>(c.number));
    r->set_severity_text(c.text);
    LogEntry e = OnlyEntry(b);
    EXPECT_EQ(e.severity, c.severity) << c.number << " " << c.text;
    EXPECT_EQ(Attr(e, "severity_text"), c.severity_text) << c.number << " " << c.text;
  }
}

TEST(OtlpAttributes, RecordOverScopeOverResource) {
  RequestBuilder b;
  auto* resource = b.request.mutable_resource_logs(0)->mutable_resource();
  SetString(resource->add_attributes(), "host", "resource");
  SetString(resource->add_attributes(), "env", "resource");
  SetString(resource->add_attributes(), "region", "resource");
  auto* scope = b.scope->mutable_scope();
  SetString(scope->add_attributes(), "host", "scope");
  SetString(scope->add_attributes(), "env", "scope");
  LogRecord* r = b.Add("x");
  SetString(r->add_attributes(), "host", "record");
  LogEntry e = OnlyEntry(b);
  EXPECT_EQ(Attr(e, "host"), "record");
  EXPECT_EQ(Attr(e, "env"), "scope");
  EXPECT_EQ(Attr(e, "region"), "resource");
  EXPECT_EQ(Attr(e, "service.name"), "checkout");
  // The record's fields over its attributes of the same name.
  SetString(r->add_attributes(), "trace_id", "from an attribute");
  r->set_trace_id(std::string(15, '\0') + "\x01");
  EXPECT_EQ(Attr(OnlyEntry(b), "trace_id"), "00000000000000000000000000000001");
  // An all-zero id is no id.
  r->set_trace_id(std::string(16, '\0'));
  EXPECT_EQ(Attr(OnlyEntry(b), "trace_id"), "from an attribute");
}

TEST(OtlpTime, TimeThenObservedThenNow) {
  RequestBuilder b;
  b.Add("a")->set_time_unix_nano(1'999'999);  // floor: 1 ms
  LogRecord* observed = b.Add("b");
  observed->set_time_unix_nano(0);
  observed->set_observed_time_unix_nano(1'700'000'000'000'999'999);
  b.Add("c")->set_time_unix_nano(0);
  LogRecord* both = b.Add("e");  // the time of the event, not when it was seen
  both->set_observed_time_unix_nano(kNanos + 5'000'000'000);
  // Up to kMaxTimestampAheadMs ahead is taken.
  b.Add("d")->set_time_unix_nano(uint64_t(kNow + kMaxTimestampAheadMs) * 1'000'000);
  ExportedLogs logs = ParseOk(b.Bytes());
  ASSERT_EQ(logs.entries.size(), 5u) << logs.first_rejection;
  EXPECT_EQ(logs.entries[0].timestamp_ms, 1);
  EXPECT_EQ(logs.entries[1].timestamp_ms, 1'700'000'000'000);
  EXPECT_EQ(logs.entries[2].timestamp_ms, kNow);
  EXPECT_EQ(logs.entries[3].timestamp_ms, 1'795'000'000'123);
  EXPECT_EQ(logs.entries[4].timestamp_ms, kNow + kMaxTimestampAheadMs);
}

TEST(OtlpPartialSuccess, BadRecordsAreRejectedOneByOne) {
  RequestBuilder b;
  b.Add("kept 0");
  b.Add("from the future")
      ->set_time_unix_nano(uint64_t(kNow + kMaxTimestampAheadMs + 1) * 1'000'000);
  b.Add("kept 2");
  b.Add(std::string(kMaxShippedMessageBytes + 1, 'x'));
  b.Add("bad id")->set_span_id("\x01\x02\x03");
  b.Add(std::string(kMaxShippedMessageBytes, 'y'));  // at the limit: kept
  ExportedLogs logs = ParseOk(b.Bytes());
  ASSERT_EQ(logs.entries.size(), 3u);
  EXPECT_EQ(logs.entries[0].message, "kept 0");
  EXPECT_EQ(logs.entries[1].message, "kept 2");
  EXPECT_EQ(logs.entries[2].message.size(), kMaxShippedMessageBytes);
  EXPECT_EQ(logs.rejected, 3);
  EXPECT_EQ(logs.first_rejection.rfind("resourceLogs[0].scopeLogs[0].logRecords[1]: ", 0), 0u)
      << logs.first_rejection;
  EXPECT_NE(logs.first_rejection.find("ahead of the server's clock"), std::string::npos)
      << logs.first_rejection;
}

TEST(OtlpLimits, AttributesPastTheLimitsRejectTheRecord) {
  RequestBuilder b;
  LogRecord* many = b.Add("too many attributes");
  for (size_t i = 0; i < kMaxAttributes; ++i) {  // plus service.name: one too many
    SetString(many->add_attributes(), "k" + std::to_string(i), "v");
  }
  SetString(b.Add("value too long")->add_attributes(), "k",
            std::string(kMaxAttributeValueBytes + 1, 'v'));
  SetString(b.Add("key too long")->add_attributes(), std::string(kMaxAttributeKeyBytes + 1, 'k'),
            "v");
  SetString(b.Add("empty key")->add_attributes(), "", "v");
  LogRecord* ok = b.Add("just fits");
  for (size_t i = 0; i + 1 < kMaxAttributes; ++i) {
    SetString(ok->add_attributes(), "k" + std::to_string(i), "v");
  }
  ExportedLogs logs = ParseOk(b.Bytes());
  EXPECT_EQ(logs.rejected, 4);
  ASSERT_EQ(logs.entries.size(), 1u);
  EXPECT_EQ(logs.entries[0].message, "just fits");
  EXPECT_EQ(logs.entries[0].attributes.size(), kMaxAttributes);
  EXPECT_NE(logs.first_rejection.find("attributes"), std::string::npos) << logs.first_rejection;
}

TEST(OtlpLimits, ResourceAttributesPastTheLimitsRejectItsRecords) {
  RequestBuilder b;
  auto* resource = b.request.mutable_resource_logs(0)->mutable_resource();
  SetString(resource->add_attributes(), "", "empty key");
  b.Add("a");
  b.Add("b");
  ExportedLogs logs = ParseOk(b.Bytes());
  EXPECT_EQ(logs.rejected, 2);
  EXPECT_TRUE(logs.entries.empty());
}

TEST(OtlpLimits, MoreThanABatchOfRecordsIsRefused) {
  RequestBuilder b;
  for (size_t i = 0; i < kMaxBatchEntries; ++i) b.Add("x");
  EXPECT_EQ(ParseOk(b.Bytes()).entries.size(), kMaxBatchEntries);
  b.Add("one too many");
  EXPECT_NE(Refusal(b.Bytes(), Encoding::kProtobuf).find("10001 log records; send at most 10000"),
            std::string::npos);
  std::string json = R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[)";
  for (size_t i = 0; i <= kMaxBatchEntries; ++i) json += i ? ",{}" : "{}";
  json += "]}]}]}";
  EXPECT_NE(Refusal(json, Encoding::kJson).find("more than 10000 log records"), std::string::npos);
}

// A resource's attributes are given to each of its records: a request whose
// records would take more than kMaxRequestEntryBytes once parsed is refused.
TEST(OtlpLimits, ResourceAttributesGivenToEveryRecordAreBounded) {
  RequestBuilder b;
  auto* resource = b.request.mutable_resource_logs(0)->mutable_resource();
  for (int i = 0; i < 7; ++i) {
    SetString(resource->add_attributes(), "k" + std::to_string(i), std::string(8000, 'v'));
  }
  for (int i = 0; i < 1000; ++i) b.Add("x");
  EXPECT_EQ(ParseOk(b.Bytes()).entries.size(), 1000u);  // 56 MB
  for (int i = 0; i < 300; ++i) b.Add("x");
  EXPECT_LT(b.Bytes().size(), 80'000u);
  EXPECT_NE(Refusal(b.Bytes(), Encoding::kProtobuf).find("MiB once their resource's"),
            std::string::npos);
}

TEST(OtlpJson, CamelCaseRequest) {
  const std::string body = R"({
    "resourceLogs": [{
      "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "cart"}}]},
      "scopeLogs": [{
        "scope": {"name": "cart.lib", "version": "2"},
        "logRecords": [{
          "timeUnixNano": "1795000000123456789",
          "observedTimeUnixNano": 1795000000999000000,
          "severityNumber": 13,
          "severityText": "Warning",
          "body": {"stringValue": "stock low\n"},
          "attributes": [
            {"key": "count", "value": {"intValue": "12"}},
            {"key": "n", "value": {"intValue": 7}},
            {"key": "price", "value": {"doubleValue": 9.5}},
            {"key": "nan", "value": {"doubleValue": "NaN"}},
            {"key": "flag", "value": {"boolValue": true}},
            {"key": "bin", "value": {"bytesValue": "AAH-_w"}},
            {"key": "list", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "1"}]}}},
            {"key": "map", "value": {"kvlistValue": {"values": [{"key": "x", "value": {"stringValue": "y"}}]}}},
            {"key": "none", "value": {}},
            {"key": "null", "value": null}
          ],
          "droppedAttributesCount": 0,
          "flags": 1,
          "traceId": "4BF92F3577B34DA6A3CE929D0E0E4736",
          "spanId": "00f067aa0ba902b7",
          "eventName": "",
          "someFutureField": {"ignored": true}
        }]
      }]
    }]
  })";
  ExportedLogs logs = ParseOk(body, Encoding::kJson);
  ASSERT_EQ(logs.entries.size(), 1u) << logs.first_rejection;
  const LogEntry& e = logs.entries[0];
  EXPECT_EQ(e.message, "stock low");
  EXPECT_EQ(e.timestamp_ms, 1'795'000'000'123);
  EXPECT_EQ(e.severity, Severity::kWarning);
  Attributes want = {
      {"bin", "AAH+/w=="},
      {"count", "12"},
      {"flag", "true"},
      {"list", R"(["a",1])"},
      {"map.x", "y"},
      {"n", "7"},
      {"nan", "NaN"},
      {"otel.scope.name", "cart.lib"},
      {"otel.scope.version", "2"},
      {"price", "9.5"},
      {"service.name", "cart"},
      {"span_id", "00f067aa0ba902b7"},
      {"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"},
  };
  EXPECT_EQ(e.attributes, want);
}

TEST(OtlpJson, SnakeCaseNamesAndEnumNames) {
  const std::string body = R"({"resource_logs": [{"scope_logs": [{"log_records": [{
      "time_unix_nano": 1795000000123456789, "severity_number": "SEVERITY_NUMBER_FATAL2",
      "body": {"kvlist_value": {"values": [{"key": "a", "value": {"int_value": 1}}]}},
      "trace_id": "", "span_id": null}]}]}]})";
  ExportedLogs logs = ParseOk(body, Encoding::kJson);
  ASSERT_EQ(logs.entries.size(), 1u) << logs.first_rejection;
  EXPECT_EQ(logs.entries[0].severity, Severity::kFatal);
  EXPECT_EQ(logs.entries[0].message, R"({"a":1})");
  EXPECT_EQ(logs.entries[0].timestamp_ms, 1'795'000'000'123);
  EXPECT_TRUE(logs.entries[0].attributes.empty());
  EXPECT_TRUE(ParseOk("{}", Encoding::kJson).entries.empty());
}

TEST(OtlpJson, WrongTypesAreRefused) {
  auto record = [](std::string fields) {
    return R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{)" + fields + "}]}]}]}";
  };
  struct Case {
    std::string body;
    std::string says;
  } cases[] = {
      {"[]", "must be a JSON object"},
      {"{\"resourceLogs\": {}}", "'resourceLogs' must be an array, not an object"},
      {R"({"resourceLogs":[{"scopeLogs":[{"logRecords":{}}]}]})", "logRecords' must be an array"},
      {record(R"("timeUnixNano": "soon")"),
       "'resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano' must be a non-negative integer"},
      {record(R"("timeUnixNano": -1)"), "timeUnixNano' is out of range"},
      {record(R"("timeUnixNano": 1.5)"), "timeUnixNano' must be a non-negative integer"},
      {record(R"("severityNumber": true)"), "severityNumber' must be an integer"},
      {record(R"("severityNumber": "SEVERITY_NUMBER_LOUD")"), "severityNumber' must be an integer"},
      {record(R"("severityText": 3)"), "severityText' must be a string"},
      {record(R"("body": "plain")"), "body' must be an object (an AnyValue)"},
      {record(R"("body": {"stringValue": "a", "intValue": 1})"), "an AnyValue has at most one"},
      {record(R"("body": {"intValue": "12abc"})"), "body.intValue' must be an integer"},
      {record(R"("body": {"bytesValue": "not base64!"})"), "body.bytesValue' is not valid base64"},
      {record(R"("body": {"arrayValue": {"values": [1]}})"),
       "body.arrayValue.values[0]' must be an object (an AnyValue)"},
      {record(R"("traceId": "S/kvNXezTaajzpKdDg5HNg==")"), "OTLP/JSON ids are hex, not base64"},
      {record(R"("spanId": "abc")"), "spanId' must be hex digits"},
      {record(R"("attributes": [{"key": 1}])"), "attributes[0].key' must be a string"},
      {record(R"("attributes": [null])"), "attributes[0]' must be an object (a KeyValue)"},
      {record(R"("flags": "x")"), "flags' must be a non-negative integer"},
      {record(R"("body": {"stringValue": "a"}, "body": {"stringValue": "b"})"), "more than once"},
      {record(R"("spanId": "00f067aa0ba902b7", "span_id": "00f067aa0ba902b7")"), "more than once"},
      {"{\"resourceLogs\": [", "not valid JSON"},
      {"{\"resourceLogs\": [\"\xff\"]}", "not valid UTF-8"},
  };
  for (const Case& c : cases) {
    std::string message = Refusal(c.body, Encoding::kJson);
    EXPECT_NE(message.find(c.says), std::string::npos) << c.body << "\n  => " << message;
  }
}

TEST(OtlpJson, NestingIsBounded) {
  std::string value = R"({"stringValue":"deep"})";
  for (int i = 0; i < 70; ++i) value = R"({"arrayValue":{"values":[)" + value + "]}}";
  const std::string body =
      R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":)" + value + "}]}]}]}";
  EXPECT_NE(Refusal(body, Encoding::kJson).find("nested more than 64 levels"), std::string::npos);
}

TEST(OtlpReplies, ResponseAndStatusBodies) {
  EXPECT_EQ(ExportResponseBody(Encoding::kProtobuf, 0, ""), "");
  EXPECT_EQ(ExportResponseBody(Encoding::kJson, 0, ""), "{}");
  ExportLogsServiceResponse response;
  ASSERT_TRUE(response.ParseFromString(ExportResponseBody(Encoding::kProtobuf, 2, "why")));
  EXPECT_EQ(response.partial_success().rejected_log_records(), 2);
  EXPECT_EQ(response.partial_success().error_message(), "why");
  EXPECT_EQ(ExportResponseBody(Encoding::kJson, 2, "why \"so\""),
            R"({"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"why \"so\""}})");
  // google.rpc.Status: code (field 1, varint), message (field 2).
  EXPECT_EQ(StatusBody(Encoding::kProtobuf, 3, "bad"), std::string("\x08\x03\x12\x03"
                                                                   "bad"));
  EXPECT_EQ(StatusBody(Encoding::kJson, 14, "later"), R"({"code":14,"message":"later"})");
}

TEST(OtlpReplies, ContentTypes) {
  EXPECT_EQ(EncodingOf("application/x-protobuf"), Encoding::kProtobuf);
  EXPECT_EQ(EncodingOf(" Application/X-Protobuf ; charset=binary"), Encoding::kProtobuf);
  EXPECT_EQ(EncodingOf("application/json; charset=utf-8"), Encoding::kJson);
  EXPECT_EQ(EncodingOf("application/jsonl"), std::nullopt);
  EXPECT_EQ(EncodingOf("text/plain"), std::nullopt);
  EXPECT_EQ(EncodingOf(""), std::nullopt);
}

}  // namespace
}  // namespace logsvc::otlp

namespace logsvc::api {
namespace {

using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;

std::optional<std::string> HeaderOf(const Response& r, std::string_view name) {
  for (const auto& h : r.headers) {
    if (h.name == name) return h.value;
  }
  return std::nullopt;
}

ParsedIngest Parse(std::string content_type, const std::string& body) {
  std::vector<HeaderField> fields = {{"Content-Type", content_type}};
  Request req{"POST", "/v1/logs", body, RequestHeaders(fields)};
  return ParseOtlpRequest(req, body, FormatLimits{1 << 20}, 1'796'000'000'000);
}

TEST(OtlpIngest, StatusesAndContentTypes) {
  ParsedIngest p = Parse("text/plain", "{}");
  ASSERT_TRUE(p.refused);
  EXPECT_EQ(p.refused->status, 415);
  EXPECT_EQ(HeaderOf(*p.refused, "Content-Type"), "application/json");
  EXPECT_NE(p.refused->body.find("application/x-protobuf or application/json"), std::string::npos);

  p = Parse("application/json", "{\"resourceLogs\": 1}");
  ASSERT_TRUE(p.refused);
  EXPECT_EQ(p.refused->status, 400);
  EXPECT_EQ(HeaderOf(*p.refused, "Content-Type"), "application/json");
  EXPECT_EQ(
      p.refused->body.rfind("{\"code\":3,\"message\":\"Field 'resourceLogs' must be an array", 0),
      0u)
      << p.refused->body;

  p = Parse("application/x-protobuf", "\x0a\x09trunc");
  ASSERT_TRUE(p.refused);
  EXPECT_EQ(p.refused->status, 400);
  EXPECT_EQ(HeaderOf(*p.refused, "Content-Type"), "application/x-protobuf");
  EXPECT_EQ(p.refused->body.substr(0, 2), "\x08\x03");

  const std::string json =
      R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"a"}},
          {"timeUnixNano":"9999999999999999999"}]}]}]})";
  p = Parse("application/json", json);
  ASSERT_FALSE(p.refused);
  ASSERT_EQ(p.entries.size(), 1u);
  Response created = p.created({"id"});
  EXPECT_EQ(created.status, 200);
  EXPECT_EQ(HeaderOf(created, "Content-Type"), "application/json");
  EXPECT_NE(created.body.find("\"rejectedLogRecords\":\"1\""), std::string::npos) << created.body;

  Response unavailable = p.failed(Status::Unavailable("disk full"));
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_EQ(HeaderOf(unavailable, "Retry-After"), "1");
  EXPECT_EQ(unavailable.body.rfind("{\"code\":14,", 0), 0u) << unavailable.body;
  EXPECT_EQ(p.failed(Status::Internal("secret path")).status, 500);
  EXPECT_EQ(p.failed(Status::Internal("secret path")).body.find("secret"), std::string::npos);
}

// POST /v1/logs end to end through the Api, on a real RocksDB store.
TEST(OtlpIngest, StoredAndReadBack) {
  logsvc::testing::TempDir dir;
  auto opened = store::RocksDbStore::Open({.path = dir.path()});
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  std::unique_ptr<store::RocksDbStore> store = std::move(opened).value();
  Api api(*store);
  auto call = [&](std::string method, std::string target, std::string body,
                  std::vector<HeaderField> headers) {
    std::promise<Response> p;
    api.Handle({method, target, std::move(body), RequestHeaders(headers)},
               [&](Response r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  };
  ExportLogsServiceRequest request;
  auto* rl = request.add_resource_logs();
  auto* kv = rl->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("otlp-unit");
  auto* scope = rl->add_scope_logs();
  auto* record = scope->add_log_records();
  record->set_severity_number(opentelemetry::proto::logs::v1::SEVERITY_NUMBER_WARN);
  record->mutable_body()->set_string_value("disk almost full");
  scope->add_log_records();  // an empty record: an empty message at the time of the request
  Response r = call("POST", "/v1/logs", request.SerializeAsString(),
                    {{"Content-Type", "application/x-protobuf"}});
  ASSERT_EQ(r.status, 200) << r.Body();
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/x-protobuf");
  EXPECT_EQ(r.Body(), "");

  Response recent = call("GET", "/logs?q=almost&attr.service.name=otlp-unit", "", {});
  ASSERT_EQ(recent.status, 200) << recent.Body();
  EXPECT_NE(recent.Body().find("\"count\":1"), std::string::npos) << recent.Body();
  EXPECT_NE(recent.Body().find("\"severity\":\"warning\""), std::string::npos) << recent.Body();
  Response all = call("GET", "/logs", "", {});
  EXPECT_NE(all.Body().find("\"count\":2"), std::string::npos) << all.Body();

  // A truncated body stores nothing.
  std::string bytes = request.SerializeAsString();
  r = call("POST", "/v1/logs", bytes.substr(0, bytes.size() - 3),
           {{"Content-Type", "application/x-protobuf"}});
  EXPECT_EQ(r.status, 400);
  all = call("GET", "/logs", "", {});
  EXPECT_NE(all.Body().find("\"count\":2"), std::string::npos) << all.Body();
}

}  // namespace
}  // namespace logsvc::api
