// RequestHeaders: the header fields of one request, as its transport received
// them. The fields are views into the transport's buffers (the HTTP server's
// parsed request, the Lambda event's headers) and stay valid only while the
// Api handles the request (see api::Request); nothing is copied. Names
// compare without regard to letter case (RFC 9110 section 5.1); a name may
// appear more than once, in the order received.
#ifndef LOGSVC_API_REQUEST_HEADERS_H_
#define LOGSVC_API_REQUEST_HEADERS_H_

#include <optional>
#include <span>
#include <string_view>

#include "core/ascii.h"

namespace logsvc::api {

struct HeaderField {
  std::string_view name;
  std::string_view value;
};

class RequestHeaders {
 public:
  RequestHeaders() = default;
  explicit RequestHeaders(std::span<const HeaderField> fields) : fields_(fields) {}

  // The value of the first field named `name`; nullopt if there is none.
  std::optional<std::string_view> Get(std::string_view name) const {
    for (const HeaderField& f : fields_) {
      if (ascii::EqualsIgnoreCase(f.name, name)) return f.value;
    }
    return std::nullopt;
  }

  // Calls f(value) for every field named `name`, in order.
  template <typename F>
  void ForEach(std::string_view name, F&& f) const {
    for (const HeaderField& field : fields_) {
      if (ascii::EqualsIgnoreCase(field.name, name)) f(field.value);
    }
  }

  std::span<const HeaderField> fields() const { return fields_; }

 private:
  std::span<const HeaderField> fields_;
};

}  // namespace logsvc::api

#endif  // LOGSVC_API_REQUEST_HEADERS_H_
