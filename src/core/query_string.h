// A URL query string ("a=1&b=x+y"), split and decoded strictly, as the search
// routes read their parameters. Pure functions, thread-safe.
#ifndef LOGSVC_CORE_QUERY_STRING_H_
#define LOGSVC_CORE_QUERY_STRING_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "logsvc/status.h"

namespace logsvc {

inline constexpr size_t kMaxQueryParams = 64;

struct QueryParam {
  std::string name;   // decoded; may be any bytes
  std::string value;  // decoded; "" for "name=" and for a bare "name"
};

// The parameters of `raw` (the part of the target after '?', without it), in
// order. Pairs are separated by '&'; empty pairs ("a=1&&b=2", a trailing '&')
// are skipped. In names and values '+' is a space and %XX (either case) is the
// byte XX (application/x-www-form-urlencoded, as browsers send forms); a '%'
// not followed by two hex digits is kInvalidArgument, naming the parameter, as
// are more than kMaxQueryParams pairs.
Result<std::vector<QueryParam>> ParseQueryString(std::string_view raw);

}  // namespace logsvc

#endif  // LOGSVC_CORE_QUERY_STRING_H_
