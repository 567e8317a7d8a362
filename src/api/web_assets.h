// The web viewer's files (src/web), compiled into the binary by
// cmake/embed_web_assets.cmake: `logsvc serve` answers GET / (from a browser:
// Accept text/html) with index.html and GET /ui/<name> with the rest, from
// memory, with a Content-Security-Policy that allows nothing but this origin.
#ifndef LOGSVC_API_WEB_ASSETS_H_
#define LOGSVC_API_WEB_ASSETS_H_

#include <cstddef>
#include <string_view>

namespace logsvc::api {

struct WebAsset {
  std::string_view path;  // "/" or "/ui/app.js"
  std::string_view content_type;
  std::string_view body;
};

extern const WebAsset kWebAssets[];
extern const size_t kWebAssetCount;

// The asset served at `path`, or nullptr.
inline const WebAsset* FindWebAsset(std::string_view path) {
  for (size_t i = 0; i < kWebAssetCount; ++i) {
    if (kWebAssets[i].path == path) return &kWebAssets[i];
  }
  return nullptr;
}

}  // namespace logsvc::api

#endif  // LOGSVC_API_WEB_ASSETS_H_
