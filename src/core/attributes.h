// Entry attributes: the one place that decides what an attribute may be and
// how each format's structured values become the flat map an entry keeps.
// Every ingest format (POST /logs, OTLP, Loki push, Elasticsearch bulk) builds
// its entries' attributes with an AttributeBuilder, so all take and refuse the
// same attributes with the same sentences. Pure, no I/O; a builder is used by
// one thread at a time.
//
// The rules (docs/ingest.md tells users):
//   - a key is 1..kMaxAttributeKeyBytes bytes of UTF-8 with no control
//     characters (U+0000..U+001F, U+007F);
//   - a value is 0..kMaxAttributeValueBytes bytes of UTF-8;
//   - an entry has at most kMaxAttributes of them, each key once, and at most
//     kMaxAttributeBytes of keys and values together;
//   - nested JSON objects are flattened to dotted keys ({"http":{"status":
//     500}} is http.status=500); numbers and booleans are kept as their JSON
//     text, arrays as their JSON text (minified), and null values are left out.
// Past a limit the entry is refused (the caller answers 400, or rejects that
// record where its protocol reports records one by one): never cut short.
#ifndef LOGSVC_CORE_ATTRIBUTES_H_
#define LOGSVC_CORE_ATTRIBUTES_H_

#include <simdjson.h>

#include <string>
#include <string_view>

#include "logsvc/log_entry.h"
#include "logsvc/status.h"

namespace logsvc {

class AttributeBuilder {
 public:
  // What a key given twice means. kRefuse: the entry is refused (one JSON
  // object, where a reader could not tell which was meant). kLaterWins: the
  // value added later replaces the earlier one (OTLP: a record's attributes
  // over its scope's over its resource's, added in that order reversed).
  enum class Repeats { kRefuse, kLaterWins };

  explicit AttributeBuilder(Repeats repeats = Repeats::kRefuse) : repeats_(repeats) {}

  // Adds key=value. kInvalidArgument, naming the key, past a limit.
  Status Add(std::string_view key, std::string_view value);

  // Adds a JSON value under `key` (or, with an empty key, the members of an
  // object at the top), by the flattening rules above. `value` must be valid
  // until Finish: only the texts are copied.
  Status AddJson(std::string_view key, simdjson::dom::element value);

  // Adds every member of a JSON object, flattened. `what` names the object in
  // a type error ("Field 'attributes'").
  Status AddJsonObject(simdjson::dom::element object, std::string_view what);

  bool empty() const { return attributes_.empty(); }

  // The attributes, sorted by key; kInvalidArgument for a repeated key
  // (kRefuse) or more than kMaxAttributes keys. Leaves the builder empty.
  Result<Attributes> Finish();

 private:
  Status AddFlattened(std::string* key, simdjson::dom::element value, int depth);

  Repeats repeats_;
  Attributes attributes_;
};

// The value of `key` in `attributes`, or nullptr.
const std::string* FindAttribute(const Attributes& attributes, std::string_view key);

// The sentence of an attribute key that breaks the rules above, or "" if it
// is a valid key. Shared with the search parameter attr.<key>.
std::string AttributeKeyProblem(std::string_view key);

}  // namespace logsvc

#endif  // LOGSVC_CORE_ATTRIBUTES_H_
