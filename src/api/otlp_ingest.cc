// POST /v1/logs: OTLP/HTTP logs (api/ingest_format.h; the parsing and the
// reply bodies are src/formats/otlp_logs.h's). The replies, in the request's
// encoding (protobuf or JSON), as OTLP/HTTP specifies them:
//   200  an ExportLogsServiceResponse: empty when every record was stored,
//        else partialSuccess {rejectedLogRecords, errorMessage} (the records
//        rejected one by one; the others were stored);
//   400  a google.rpc.Status (INVALID_ARGUMENT): the request does not parse,
//        or has too many records; nothing stored;
//   415  a google.rpc.Status in JSON: a Content-Type other than
//        application/x-protobuf or application/json;
//   503  a google.rpc.Status (UNAVAILABLE) with Retry-After: the store cannot
//        take writes now; nothing stored (the client retries);
//   400  also when the store refuses an entry (kInvalidArgument);
//   500  a google.rpc.Status (INTERNAL): the store failed otherwise.
#include "api/ingest_format.h"
#include "core/quoted.h"
#include "formats/otlp_logs.h"

namespace logsvc::api {
namespace {

Response OtlpReply(int status, otlp::Encoding encoding, std::string body) {
  Response r;
  r.status = status;
  r.headers.reserve(4);  // Content-Type, Retry-After, the CORS headers
  r.headers.push_back({"Content-Type", std::string(otlp::ContentTypeOf(encoding))});
  r.body = std::move(body);
  return r;
}

Response OtlpError(int status, otlp::Encoding encoding, int code, std::string_view message) {
  return OtlpReply(status, encoding, otlp::StatusBody(encoding, code, message));
}

}  // namespace

ParsedIngest ParseOtlpRequest(const Request& req, std::string_view body, const FormatLimits&,
                              int64_t now_ms) {
  ParsedIngest p;
  const std::optional<std::string_view> content_type = req.headers.Get("Content-Type");
  const std::optional<otlp::Encoding> encoding = otlp::EncodingOf(content_type.value_or(""));
  if (!encoding) {
    const std::string sent = content_type
                                 ? "Content-Type " + Quoted(*content_type) + " is not supported"
                                 : "The request has no Content-Type";
    p.refused = OtlpError(415, otlp::Encoding::kJson, otlp::kGrpcInvalidArgument,
                          sent + "; send OTLP logs as application/x-protobuf or application/json.");
    return p;
  }
  Result<otlp::ExportedLogs> parsed = otlp::ParseExportLogsRequest(body, *encoding, now_ms);
  if (!parsed.ok()) {
    p.refused = OtlpError(400, *encoding, otlp::kGrpcInvalidArgument, parsed.status().message());
    return p;
  }
  otlp::ExportedLogs& logs = parsed.value();
  p.entries = std::move(logs.entries);
  p.created = [encoding = *encoding, rejected = logs.rejected,
               reason = std::move(logs.first_rejection)](const std::vector<std::string>&) {
    return OtlpReply(200, encoding, otlp::ExportResponseBody(encoding, rejected, reason));
  };
  p.failed = [encoding = *encoding](const Status& error) {
    if (error.code() == Status::Code::kUnavailable) {
      Response r = OtlpError(503, encoding, otlp::kGrpcUnavailable,
                             "The store cannot take writes right now; retry later.");
      r.headers.push_back({"Retry-After", "1"});
      return r;
    }
    if (error.code() == Status::Code::kInvalidArgument) {  // an entry the store cannot hold
      return OtlpError(400, encoding, otlp::kGrpcInvalidArgument, error.message());
    }
    // kInternal's sentence is for the service log, not the client.
    return OtlpError(500, encoding, otlp::kGrpcInternal, "Internal error.");
  };
  return p;
}

}  // namespace logsvc::api
