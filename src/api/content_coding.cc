#include "api/content_coding.h"

#include "core/ascii.h"

namespace logsvc::api {

std::optional<std::string_view> UnsupportedContentCoding(const RequestHeaders& headers) {
  std::optional<std::string_view> unsupported;
  headers.ForEach("Content-Encoding", [&](std::string_view list) {
    ascii::ForEachListItem(list, [&](std::string_view coding) {
      if (!unsupported && !ascii::EqualsIgnoreCase(coding, kAcceptedContentCodings)) {
        unsupported = coding;
      }
    });
  });
  return unsupported;
}

}  // namespace logsvc::api
