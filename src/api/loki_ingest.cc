// POST /loki/api/v1/push (api/ingest_format.h): Loki's push API, answered as
// Loki answers it: 204 No Content once every line is stored; a plain-text
// sentence with 400 (malformed, nothing stored), 413 (a snappy block larger
// than the body limit once uncompressed), 415 (another media type), 503 with
// Retry-After when the store cannot take the write (clients retry 5xx).
//
// The body is JSON when the Content-Type's media type is application/json;
// otherwise (application/x-protobuf, or none: Loki's own rule) a snappy block
// holding a protobuf PushRequest. Parsing: src/formats/loki_push.h.
#include "api/content_coding.h"
#include "api/ingest_format.h"
#include "core/ascii.h"
#include "formats/loki_push.h"

namespace logsvc::api {
namespace {

// Loki's errors are text/plain, one line.
Response Text(int status, std::string_view sentence) {
  Response r;
  r.status = status;
  r.headers.reserve(4);
  r.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  r.body = std::string(sentence) + "\n";
  return r;
}

// The media type of a Content-Type value: lower-case, without parameters.
std::string MediaType(std::string_view content_type) {
  return ascii::Lower(ascii::TrimOws(content_type.substr(0, content_type.find(';'))));
}

}  // namespace

ParsedIngest ParseLokiRequest(const Request& req, std::string_view body, const FormatLimits& limits,
                              int64_t now_ms) {
  ParsedIngest p;
  const std::string media = MediaType(req.headers.Get("Content-Type").value_or(""));
  Result<std::vector<LogEntry>> entries = std::vector<LogEntry>();
  if (media == "application/json") {
    entries = formats::ParseLokiJson(body, now_ms);
  } else if (media.empty() || media == "application/x-protobuf") {
    std::string message;
    if (auto error = DecodeSnappyBlock(body, limits.max_body_bytes, &message)) {
      p.refused = Text(error->status, error->message);
      return p;
    }
    entries = formats::ParseLokiProtobuf(message, now_ms);
  } else {
    p.refused = Text(415, "Content-Type '" + media.substr(0, 100) +
                              "' is not supported; send application/json, or a snappy-compressed "
                              "protobuf PushRequest as application/x-protobuf.");
    return p;
  }
  if (!entries.ok()) {
    p.refused = Text(400, entries.status().message());
    return p;
  }
  p.entries = std::move(entries).value();
  p.created = [](const std::vector<std::string>&) {
    Response r;
    r.status = 204;
    return r;
  };
  p.failed = [](const Status& s) {
    if (s.code() == Status::Code::kUnavailable) {
      Response r = Text(503, "The log store cannot take requests right now; try again later.");
      r.headers.push_back({"Retry-After", "1"});
      return r;
    }
    if (s.code() == Status::Code::kInvalidArgument) return Text(400, s.message());
    return Text(500, "Internal error.");
  };
  return p;
}

}  // namespace logsvc::api
