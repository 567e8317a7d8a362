#include "formats/loki_push.h"

#include <simdjson.h>

#include <array>
#include <string>

#include "core/attributes.h"
#include "core/ingest_batch.h"
#include "core/ingest_entry.h"
#include "core/ingest_request.h"
#include "core/quoted.h"
#include "logsvc/log_store.h"

namespace logsvc::formats {
namespace {

constexpr int64_t kNanosPerMilli = 1'000'000;
constexpr int64_t kMillisPerSecond = 1000;

// The label and metadata keys a line's level is read from, in that order.
constexpr std::array<std::string_view, 3> kLevelKeys = {"level", "severity", "detected_level"};

std::string Count(size_t n) { return std::to_string(n); }

// One stream as both encodings give it.
struct Stream {
  size_t index;            // counts from 0 in the request
  std::string_view shown;  // how an error names its labels
  std::vector<Label> labels;
};

// The prefix of a sentence about line `line` of `stream`.
std::string Where(const Stream& stream, size_t line) {
  return "Stream " + Count(stream.index) + " " + Quoted(stream.shown) + ", line " + Count(line) +
         ": ";
}

// Lines of the whole request, counted as they are read.
Status CountLine(size_t* lines) {
  if (++*lines > kMaxBatchEntries) {
    return Status::InvalidArgument("The request has more than " + Count(kMaxBatchEntries) +
                                   " lines; send at most " + Count(kMaxBatchEntries) +
                                   " per request.");
  }
  return Status::Ok();
}

// The severity of a line: see kLevelKeys and the header.
Severity LevelOf(const std::vector<Label>& metadata, const std::vector<Label>& labels) {
  for (const std::vector<Label>* set : {&metadata, &labels}) {
    for (std::string_view key : kLevelKeys) {
      for (const Label& l : *set) {
        if (l.name != key) continue;
        Severity s = Severity::kInfo;
        return ParseLevelName(l.value, &s) ? s : Severity::kInfo;
      }
    }
  }
  return Severity::kInfo;
}

// Appends the entry of one line; `ms` is its time, already converted.
Status AddLine(const Stream& stream, size_t line_index, int64_t ms, std::string_view line,
               const std::vector<Label>& metadata, int64_t now_ms, std::vector<LogEntry>* out,
               size_t* bytes) {
  if (ms > now_ms + kMaxTimestampAheadMs) {
    return Status::InvalidArgument(Where(stream, line_index) +
                                   "the timestamp is more than 10 minutes in the future; send "
                                   "lines with the time they were logged.");
  }
  if (line.size() > kMaxShippedMessageBytes) {
    return Status::InvalidArgument(Where(stream, line_index) + "the line is " + Count(line.size()) +
                                   " bytes long; lines have at most " +
                                   Count(kMaxShippedMessageBytes) + " bytes.");
  }
  if (!simdjson::validate_utf8(line.data(), line.size())) {
    return Status::InvalidArgument(Where(stream, line_index) + "the line is not valid UTF-8.");
  }
  AttributeBuilder attributes(AttributeBuilder::Repeats::kLaterWins);
  for (const std::vector<Label>* set : {&stream.labels, &metadata}) {
    for (const Label& l : *set) {
      if (Status s = attributes.Add(l.name, l.value); !s.ok()) {
        return Status::InvalidArgument(Where(stream, line_index) + s.message());
      }
    }
  }
  Result<Attributes> attrs = attributes.Finish();
  if (!attrs.ok()) {
    return Status::InvalidArgument(Where(stream, line_index) + attrs.status().message());
  }
  out->push_back(LogEntry{
      {}, ms, LevelOf(metadata, stream.labels), std::string(line), std::move(attrs).value()});
  // A stream's labels are copied into each of its lines: bounded per request.
  *bytes += EntryBytes(out->back());
  if (*bytes > kMaxRequestEntryBytes) {
    return Status::InvalidArgument("The push's lines take more than " +
                                   Count(kMaxRequestEntryBytes >> 20) +
                                   " MiB once their stream's labels are given to each: send fewer "
                                   "lines a push.");
  }
  return Status::Ok();
}

// ---- JSON ----

simdjson::dom::parser& Parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

// A JSON object of string values (a stream's labels, a line's metadata).
Status StringMap(simdjson::dom::element value, std::string_view what, std::vector<Label>* out) {
  simdjson::dom::object object;
  if (value.get(object) != simdjson::SUCCESS) {
    return Status::InvalidArgument(std::string(what) + " must be a JSON object, not " +
                                   ingest::JsonTypeName(value.type()) + ".");
  }
  for (auto [key, v] : object) {
    std::string_view s;
    if (v.get(s) != simdjson::SUCCESS) {
      return Status::InvalidArgument(std::string(what) + " has " + Quoted(key) + " set to " +
                                     ingest::JsonTypeName(v.type()) + "; values are strings.");
    }
    // Bounded: AttributeBuilder refuses past 4 * kMaxAttributes additions,
    // and a line adds every label; refuse here before copying a million.
    if (out->size() >= 4 * kMaxAttributes) {
      return Status::InvalidArgument(std::string(what) + " has more than " +
                                     Count(4 * kMaxAttributes) + " keys.");
    }
    out->push_back(Label{std::string(key), std::string(s)});
  }
  return Status::Ok();
}

// Unix nanoseconds as Loki's JSON writes them: a decimal string.
Result<int64_t> NanosToMillis(simdjson::dom::element value) {
  std::string_view s;
  if (value.get(s) != simdjson::SUCCESS) {
    return Status::InvalidArgument("the timestamp must be a string of Unix nanoseconds, not " +
                                   std::string(ingest::JsonTypeName(value.type())) + ".");
  }
  if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string_view::npos) {
    return Status::InvalidArgument("the timestamp " + Quoted(s) +
                                   " is not Unix nanoseconds (1 to 19 decimal digits).");
  }
  uint64_t ns = 0;
  for (char c : s) ns = ns * 10 + static_cast<uint64_t>(c - '0');  // < 10^19: no overflow
  return static_cast<int64_t>(ns / kNanosPerMilli);                // < 2^63 / 10^6
}

Status ParseJsonStream(simdjson::dom::element value, size_t index, int64_t now_ms, size_t* lines,
                       std::vector<LogEntry>* out, size_t* bytes) {
  const std::string where = "Stream " + Count(index);
  simdjson::dom::object object;
  if (value.get(object) != simdjson::SUCCESS) {
    return Status::InvalidArgument(where + " must be a JSON object, not " +
                                   ingest::JsonTypeName(value.type()) + ".");
  }
  Stream stream{index, {}, {}};
  simdjson::dom::element labels;
  if (object["stream"].get(labels) == simdjson::SUCCESS) {
    if (Status s = StringMap(labels, where + ": 'stream'", &stream.labels); !s.ok()) return s;
  }
  // How errors show the labels: in Prometheus form, as the protobuf sends them.
  std::string shown = "{";
  for (const Label& l : stream.labels) {
    if (shown.size() > 1) shown += ", ";
    shown += l.name + "=\"" + l.value + "\"";
    if (shown.size() > 64) break;  // Quoted shows the first 40 characters
  }
  shown += "}";
  stream.shown = shown;

  simdjson::dom::element values_element;
  if (object["values"].get(values_element) != simdjson::SUCCESS) {
    return Status::InvalidArgument(where + " has no 'values' (its lines).");
  }
  simdjson::dom::array values;
  if (values_element.get(values) != simdjson::SUCCESS) {
    return Status::InvalidArgument(where + ": 'values' must be an array of lines, not " +
                                   ingest::JsonTypeName(values_element.type()) + ".");
  }
  size_t line_index = 0;
  std::vector<Label> metadata;
  for (simdjson::dom::element v : values) {
    if (Status s = CountLine(lines); !s.ok()) return s;
    simdjson::dom::array tuple;
    const size_t n = v.get(tuple) == simdjson::SUCCESS ? tuple.size() : 0;
    if (n != 2 && n != 3) {
      return Status::InvalidArgument(Where(stream, line_index) +
                                     "a line must be [\"<unix ns>\", \"<line>\"] or [\"<unix "
                                     "ns>\", \"<line>\", {<structured metadata>}].");
    }
    Result<int64_t> ms = NanosToMillis(tuple.at(0).value_unsafe());
    if (!ms.ok()) return Status::InvalidArgument(Where(stream, line_index) + ms.status().message());
    std::string_view line;
    simdjson::dom::element line_element = tuple.at(1).value_unsafe();
    if (line_element.get(line) != simdjson::SUCCESS) {
      return Status::InvalidArgument(Where(stream, line_index) + "the line must be a string, not " +
                                     ingest::JsonTypeName(line_element.type()) + ".");
    }
    metadata.clear();
    if (n == 3) {
      if (Status s = StringMap(tuple.at(2).value_unsafe(), "its structured metadata", &metadata);
          !s.ok()) {
        return Status::InvalidArgument(Where(stream, line_index) + s.message());
      }
    }
    if (Status s = AddLine(stream, line_index, ms.value(), line, metadata, now_ms, out, bytes);
        !s.ok()) {
      return s;
    }
    ++line_index;
  }
  return Status::Ok();
}

// ---- Protobuf ----

// Reads protobuf's wire format (varints, length-delimited fields) from a
// view, never past its end. Every method returns false on malformed input.
class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}

  bool done() const { return pos_ == data_.size(); }

  bool Varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ == data_.size()) return false;
      const auto byte = static_cast<unsigned char>(data_[pos_++]);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *out = v;
        return true;
      }
    }
    return false;  // more than 10 bytes
  }

  // A field's key: its number (1..2^29-1) and wire type.
  bool Tag(uint32_t* field, uint32_t* wire_type) {
    uint64_t key = 0;
    if (!Varint(&key) || key > UINT32_MAX) return false;
    *field = static_cast<uint32_t>(key >> 3);
    *wire_type = static_cast<uint32_t>(key & 7);
    return *field != 0;
  }

  bool Bytes(std::string_view* out) {
    uint64_t n = 0;
    if (!Varint(&n) || n > data_.size() - pos_) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }

  // Skips a field of a number this reader does not know.
  bool Skip(uint32_t wire_type) {
    uint64_t ignored = 0;
    std::string_view bytes;
    switch (wire_type) {
      case 0:
        return Varint(&ignored);
      case 1:
        return Advance(8);
      case 2:
        return Bytes(&bytes);
      case 5:
        return Advance(4);
      default:  // groups (3, 4) are not in these messages; 6 and 7 do not exist
        return false;
    }
  }

 private:
  bool Advance(size_t n) {
    if (n > data_.size() - pos_) return false;
    pos_ += n;
    return true;
  }

  std::string_view data_;
  size_t pos_ = 0;
};

constexpr uint32_t kVarint = 0;
constexpr uint32_t kLengthDelimited = 2;

Status Malformed(std::string_view what) {
  return Status::InvalidArgument(
      "The request body is not a valid Loki protobuf PushRequest: " + std::string(what) + ".");
}

// google.protobuf.Timestamp into Unix milliseconds. `error`: why not.
bool DecodeTimestamp(std::string_view bytes, int64_t* seconds, int64_t* nanos) {
  WireReader r(bytes);
  while (!r.done()) {
    uint32_t field = 0, type = 0;
    if (!r.Tag(&field, &type)) return false;
    uint64_t v = 0;
    if (field == 1 || field == 2) {
      if (type != kVarint || !r.Varint(&v)) return false;
      if (field == 1) *seconds = static_cast<int64_t>(v);  // int64: two's complement
      if (field == 2) *nanos = static_cast<int32_t>(static_cast<uint32_t>(v));  // int32
    } else if (!r.Skip(type)) {
      return false;
    }
  }
  return true;
}

struct PbEntry {
  int64_t seconds = 0, nanos = 0;
  std::string_view line;
  std::vector<Label> metadata;
};

bool DecodeLabelPair(std::string_view bytes, Label* out) {
  WireReader r(bytes);
  while (!r.done()) {
    uint32_t field = 0, type = 0;
    if (!r.Tag(&field, &type)) return false;
    std::string_view s;
    if (field == 1 || field == 2) {
      if (type != kLengthDelimited || !r.Bytes(&s)) return false;
      (field == 1 ? out->name : out->value).assign(s);
    } else if (!r.Skip(type)) {
      return false;
    }
  }
  return true;
}

Status DecodeEntry(std::string_view bytes, const Stream& stream, size_t line_index, PbEntry* out) {
  WireReader r(bytes);
  while (!r.done()) {
    uint32_t field = 0, type = 0;
    if (!r.Tag(&field, &type)) return Malformed(Where(stream, line_index) + "a truncated field");
    std::string_view sub;
    if (field >= 1 && field <= 3) {
      if (type != kLengthDelimited || !r.Bytes(&sub)) {
        return Malformed(Where(stream, line_index) + "a field of the wrong type, or truncated");
      }
      if (field == 1 && !DecodeTimestamp(sub, &out->seconds, &out->nanos)) {
        return Malformed(Where(stream, line_index) + "its timestamp does not decode");
      }
      if (field == 2) out->line = sub;
      if (field == 3) {
        if (out->metadata.size() >= 4 * kMaxAttributes) {
          return Status::InvalidArgument(Where(stream, line_index) + "the line has more than " +
                                         Count(4 * kMaxAttributes) + " structured metadata pairs.");
        }
        Label l;
        if (!DecodeLabelPair(sub, &l)) {
          return Malformed(Where(stream, line_index) + "its structured metadata does not decode");
        }
        out->metadata.push_back(std::move(l));
      }
    } else if (!r.Skip(type)) {
      return Malformed(Where(stream, line_index) + "a truncated field");
    }
  }
  return Status::Ok();
}

Result<int64_t> TimestampMillis(int64_t seconds, int64_t nanos, int64_t now_ms) {
  if (nanos < 0 || nanos >= 1'000'000'000) {
    return Status::InvalidArgument("the timestamp's nanos " + std::to_string(nanos) +
                                   " is not in 0..999999999.");
  }
  if (seconds < 0) return Status::InvalidArgument("the timestamp is before 1970.");
  // Past this it is in the future anyway (and seconds * 1000 could overflow).
  if (seconds > (now_ms + kMaxTimestampAheadMs) / kMillisPerSecond + 1) {
    return now_ms + kMaxTimestampAheadMs + 1;
  }
  return seconds * kMillisPerSecond + nanos / kNanosPerMilli;
}

Status DecodeStream(std::string_view bytes, size_t index, int64_t now_ms, size_t* lines,
                    std::vector<LogEntry>* out, size_t* out_bytes) {
  // First the labels (protobuf allows any field order), then the entries.
  std::string_view labels_text;
  bool has_labels = false;
  {
    WireReader r(bytes);
    while (!r.done()) {
      uint32_t field = 0, type = 0;
      if (!r.Tag(&field, &type)) return Malformed("stream " + Count(index) + " is truncated");
      if (field == 1) {
        if (type != kLengthDelimited || !r.Bytes(&labels_text)) {
          return Malformed("stream " + Count(index) + " has malformed labels");
        }
        has_labels = true;
      } else if (field == 2 && type != kLengthDelimited) {
        return Malformed("stream " + Count(index) + " has an entry of the wrong type");
      } else if (!r.Skip(type)) {
        return Malformed("stream " + Count(index) + " is truncated");
      }
    }
  }
  Stream stream{index, labels_text, {}};
  if (has_labels) {
    Result<std::vector<Label>> labels = ParsePrometheusLabels(labels_text);
    if (!labels.ok()) {
      return Status::InvalidArgument("Stream " + Count(index) + " " + Quoted(labels_text) + ": " +
                                     labels.status().message());
    }
    stream.labels = std::move(labels).value();
  }
  WireReader r(bytes);
  size_t line_index = 0;
  while (!r.done()) {
    uint32_t field = 0, type = 0;
    r.Tag(&field, &type);  // checked by the first pass
    if (field != 2) {
      r.Skip(type);
      continue;
    }
    std::string_view entry_bytes;
    r.Bytes(&entry_bytes);
    if (Status s = CountLine(lines); !s.ok()) return s;
    PbEntry entry;
    if (Status s = DecodeEntry(entry_bytes, stream, line_index, &entry); !s.ok()) return s;
    Result<int64_t> ms = TimestampMillis(entry.seconds, entry.nanos, now_ms);
    if (!ms.ok()) return Status::InvalidArgument(Where(stream, line_index) + ms.status().message());
    if (Status s = AddLine(stream, line_index, ms.value(), entry.line, entry.metadata, now_ms, out,
                           out_bytes);
        !s.ok()) {
      return s;
    }
    ++line_index;
  }
  return Status::Ok();
}

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '.'; }

}  // namespace

Result<std::vector<Label>> ParsePrometheusLabels(std::string_view text) {
  std::vector<Label> out;
  size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  };
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(
        "the labels are not a Prometheus label set {name=\"value\", "
        "...}: " +
        std::string(why) + " at byte " + Count(i) + ".");
  };
  skip_space();
  if (i == text.size() || text[i] != '{') return bad("no '{'");
  ++i;
  skip_space();
  if (i < text.size() && text[i] == '}') {
    ++i;
  } else {
    for (;;) {
      skip_space();
      const size_t name_start = i;
      if (i == text.size() || !IsNameStart(text[i])) return bad("a label name was expected");
      while (i < text.size() && IsNameChar(text[i])) ++i;
      Label label{std::string(text.substr(name_start, i - name_start)), {}};
      skip_space();
      if (i == text.size() || text[i] != '=') return bad("'=' was expected");
      ++i;
      skip_space();
      if (i == text.size() || text[i] != '"') return bad("a quoted value was expected");
      ++i;
      for (;;) {
        if (i == text.size()) return bad("a value is not closed");
        const char c = text[i++];
        if (c == '"') break;
        if (c != '\\') {
          label.value.push_back(c);
          continue;
        }
        if (i == text.size()) return bad("a value is not closed");
        const char e = text[i++];
        if (e == 'n') {
          label.value.push_back('\n');
        } else if (e == '"' || e == '\\') {
          label.value.push_back(e);
        } else {
          --i;
          return bad("an escape other than \\\", \\\\ or \\n");
        }
      }
      if (out.size() >= 4 * kMaxAttributes) return bad("too many labels");
      out.push_back(std::move(label));
      skip_space();
      if (i < text.size() && text[i] == ',') {
        ++i;
        skip_space();
        if (i < text.size() && text[i] == '}') {  // a trailing comma
          ++i;
          break;
        }
        continue;
      }
      if (i < text.size() && text[i] == '}') {
        ++i;
        break;
      }
      return bad("',' or '}' was expected");
    }
  }
  skip_space();
  if (i != text.size()) return bad("text after '}'");
  return out;
}

Result<std::vector<LogEntry>> ParseLokiJson(std::string_view body, int64_t now_ms) {
  if (!simdjson::validate_utf8(body.data(), body.size())) {
    return Status::InvalidArgument("The request body is not valid UTF-8.");
  }
  simdjson::dom::element doc;
  if (Parser().parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) {
    return Status::InvalidArgument("The request body is not valid JSON.");
  }
  simdjson::dom::object object;
  if (doc.get(object) != simdjson::SUCCESS) {
    return Status::InvalidArgument(
        "The request body must be a JSON object {\"streams\": [...]}, not " +
        std::string(ingest::JsonTypeName(doc.type())) + ".");
  }
  simdjson::dom::element streams_element;
  simdjson::dom::array streams;
  if (object["streams"].get(streams_element) != simdjson::SUCCESS) {
    return Status::InvalidArgument("The request body has no 'streams'.");
  }
  if (streams_element.get(streams) != simdjson::SUCCESS) {
    return Status::InvalidArgument("'streams' must be an array, not " +
                                   std::string(ingest::JsonTypeName(streams_element.type())) + ".");
  }
  std::vector<LogEntry> out;
  size_t lines = 0, index = 0, bytes = 0;
  for (simdjson::dom::element stream : streams) {
    if (Status s = ParseJsonStream(stream, index++, now_ms, &lines, &out, &bytes); !s.ok())
      return s;
  }
  return out;
}

Result<std::vector<LogEntry>> ParseLokiProtobuf(std::string_view message, int64_t now_ms) {
  std::vector<LogEntry> out;
  WireReader r(message);
  size_t lines = 0, index = 0, bytes = 0;
  while (!r.done()) {
    uint32_t field = 0, type = 0;
    if (!r.Tag(&field, &type)) return Malformed("a truncated or malformed field");
    if (field != 1) {
      if (!r.Skip(type)) return Malformed("a truncated or malformed field");
      continue;
    }
    std::string_view stream;
    if (type != kLengthDelimited || !r.Bytes(&stream)) {
      return Malformed("stream " + Count(index) + " is truncated or of the wrong type");
    }
    if (Status s = DecodeStream(stream, index++, now_ms, &lines, &out, &bytes); !s.ok()) return s;
  }
  return out;
}

}  // namespace logsvc::formats
