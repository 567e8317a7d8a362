#include "core/attributes.h"

#include <algorithm>

#include "core/quoted.h"

namespace logsvc {
namespace {

// Objects nested deeper than this are refused rather than walked: a key of
// 128 bytes holds at most 64 levels anyway.
constexpr int kMaxDepth = 64;

std::string Limit(size_t n) { return std::to_string(n); }

}  // namespace

std::string AttributeKeyProblem(std::string_view key) {
  if (key.empty()) return "An attribute key is empty; keys have 1 to 128 bytes.";
  if (key.size() > kMaxAttributeKeyBytes) {
    return "Attribute key " + Quoted(key.substr(0, 32)) + "... is " + Limit(key.size()) +
           " bytes long; keys have at most " + Limit(kMaxAttributeKeyBytes) + ".";
  }
  for (char c : key) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return "Attribute key " + Quoted(key) + " has a control character; keys are printable text.";
    }
  }
  if (!simdjson::validate_utf8(key.data(), key.size()))
    return "An attribute key is not valid UTF-8.";
  return "";
}

Status AttributeBuilder::Add(std::string_view key, std::string_view value) {
  if (std::string problem = AttributeKeyProblem(key); !problem.empty()) {
    return Status::InvalidArgument(std::move(problem));
  }
  if (value.size() > kMaxAttributeValueBytes) {
    return Status::InvalidArgument("Attribute " + Quoted(key) + " has a value of " +
                                   Limit(value.size()) + " bytes; values have at most " +
                                   Limit(kMaxAttributeValueBytes) + ".");
  }
  if (!simdjson::validate_utf8(value.data(), value.size())) {
    return Status::InvalidArgument("Attribute " + Quoted(key) + " has a value that is not UTF-8.");
  }
  // Checked as they come, so that a body of a million keys is refused
  // without holding them all (repeats may bring the count down again at
  // Finish, so the bound here is loose).
  if (attributes_.size() >= 4 * kMaxAttributes) {
    return Status::InvalidArgument("An entry has more than " + Limit(kMaxAttributes) +
                                   " attributes; send at most " + Limit(kMaxAttributes) + ".");
  }
  attributes_.push_back(Attribute{std::string(key), std::string(value)});
  return Status::Ok();
}

Status AttributeBuilder::AddFlattened(std::string* key, simdjson::dom::element value, int depth) {
  using T = simdjson::dom::element_type;
  switch (value.type()) {
    case T::OBJECT: {
      if (depth >= kMaxDepth) {
        return Status::InvalidArgument("Attributes are nested more than " + Limit(kMaxDepth) +
                                       " levels deep.");
      }
      const size_t base = key->size();
      simdjson::dom::object object;
      if (value.get(object) != simdjson::SUCCESS) return Status::Ok();  // not reached: an object
      for (auto [k, v] : object) {
        if (base > 0) key->push_back('.');
        key->append(k);
        // A key past the limit is refused here, before its children make it longer.
        if (key->size() > kMaxAttributeKeyBytes) return Add(*key, "");
        if (Status s = AddFlattened(key, v, depth + 1); !s.ok()) return s;
        key->resize(base);
      }
      return Status::Ok();
    }
    case T::STRING:
      return Add(*key, value.get_string().value_unsafe());
    case T::INT64:
      return Add(*key, std::to_string(value.get_int64().value_unsafe()));
    case T::UINT64:
      return Add(*key, std::to_string(value.get_uint64().value_unsafe()));
    case T::BOOL:
      return Add(*key, value.get_bool().value_unsafe() ? "true" : "false");
    case T::NULL_VALUE:
      return Status::Ok();
    case T::DOUBLE:
    case T::ARRAY:
      return Add(*key, simdjson::minify(value));
  }
  return Status::Ok();
}

Status AttributeBuilder::AddJson(std::string_view key, simdjson::dom::element value) {
  std::string k(key);
  return AddFlattened(&k, value, 0);
}

Status AttributeBuilder::AddJsonObject(simdjson::dom::element object, std::string_view what) {
  if (!object.is_object()) {
    return Status::InvalidArgument(std::string(what) +
                                   " must be a JSON object of attributes (keys and values).");
  }
  return AddJson("", object);
}

Result<Attributes> AttributeBuilder::Finish() {
  Attributes out = std::move(attributes_);
  attributes_.clear();
  // Stable: of equal keys, the one added later stays later.
  std::stable_sort(out.begin(), out.end(),
                   [](const Attribute& a, const Attribute& b) { return a.key < b.key; });
  size_t kept = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (kept > 0 && out[kept - 1].key == out[i].key) {
      if (repeats_ == Repeats::kRefuse) {
        return Status::InvalidArgument("Attribute " + Quoted(out[i].key) +
                                       " is given more than once; give each key once.");
      }
      out[kept - 1] = std::move(out[i]);
      continue;
    }
    if (kept != i) out[kept] = std::move(out[i]);
    ++kept;
  }
  out.resize(kept);
  if (out.size() > kMaxAttributes) {
    return Status::InvalidArgument("An entry has " + Limit(out.size()) +
                                   " attributes; send at most " + Limit(kMaxAttributes) + ".");
  }
  size_t bytes = 0;
  for (const Attribute& a : out) bytes += a.key.size() + a.value.size();
  if (bytes > kMaxAttributeBytes) {
    return Status::InvalidArgument("An entry's attributes have " + Limit(bytes) +
                                   " bytes of keys and values; send at most " +
                                   Limit(kMaxAttributeBytes) + ".");
  }
  return out;
}

const std::string* FindAttribute(const Attributes& attributes, std::string_view key) {
  auto it = std::lower_bound(attributes.begin(), attributes.end(), key,
                             [](const Attribute& a, std::string_view k) { return a.key < k; });
  return it != attributes.end() && it->key == key ? &it->value : nullptr;
}

}  // namespace logsvc
