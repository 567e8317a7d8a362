#include "core/query_string.h"

#include "core/ascii.h"
#include "core/quoted.h"

namespace logsvc {
namespace {

// Decodes `s` into `out`; false at a bad escape, whose position goes to `bad`.
bool Decode(std::string_view s, std::string* out, size_t* bad) {
  out->clear();
  out->reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out->push_back(' ');
    } else if (c != '%') {
      out->push_back(c);
    } else {
      int hi = i + 2 < s.size() ? ascii::HexValue(s[i + 1]) : -1;
      int lo = hi >= 0 ? ascii::HexValue(s[i + 2]) : -1;
      if (lo < 0) {
        *bad = i;
        return false;
      }
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    }
  }
  return true;
}

}  // namespace

Result<std::vector<QueryParam>> ParseQueryString(std::string_view raw) {
  std::vector<QueryParam> params;
  size_t pos = 0;
  while (pos <= raw.size()) {
    size_t amp = raw.find('&', pos);
    if (amp == std::string_view::npos) amp = raw.size();
    std::string_view pair = raw.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    if (params.size() == kMaxQueryParams) {
      return Status::InvalidArgument("The query string has more than " +
                                     std::to_string(kMaxQueryParams) + " parameters.");
    }
    size_t eq = pair.find('=');
    std::string_view raw_name = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    QueryParam p;
    size_t bad = 0;
    if (!Decode(raw_name, &p.name, &bad)) {
      return Status::InvalidArgument(
          "The query string has a parameter name with an invalid percent-escape " +
          Quoted(raw_name.substr(bad, 3)) + ": write a '%' as %25.");
    }
    if (!Decode(raw_value, &p.value, &bad)) {
      return Status::InvalidArgument("Parameter " + Quoted(p.name) +
                                     " has an invalid percent-escape " +
                                     Quoted(raw_value.substr(bad, 3)) + ": write a '%' as %25.");
    }
    params.push_back(std::move(p));
  }
  return params;
}

}  // namespace logsvc
