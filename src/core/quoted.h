// How an error sentence shows a value the client sent.
#ifndef LOGSVC_CORE_QUOTED_H_
#define LOGSVC_CORE_QUOTED_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace logsvc {

// `value` in single quotes, cut after kMaxQuotedChars code points (then
// "...") so that a huge value cannot make a huge reply. Bytes are kept as
// they are: the JSON encoder writes invalid UTF-8 as U+FFFD.
std::string Quoted(std::string_view value);

inline constexpr size_t kMaxQuotedChars = 40;

}  // namespace logsvc

#endif  // LOGSVC_CORE_QUOTED_H_
