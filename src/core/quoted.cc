#include "core/quoted.h"

namespace logsvc {

std::string Quoted(std::string_view value) {
  size_t chars = 0, cut = 0;
  for (; cut < value.size(); ++cut) {
    // A code point starts at every byte that is not a continuation byte.
    if ((static_cast<unsigned char>(value[cut]) & 0xC0) != 0x80 && ++chars > kMaxQuotedChars) {
      break;
    }
  }
  std::string out = "'";
  out.append(value.substr(0, cut));
  if (cut < value.size()) out.append("...");
  out.push_back('\'');
  return out;
}

}  // namespace logsvc
