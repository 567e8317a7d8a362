// A temporary directory for one test, removed with everything in it.
#ifndef LOGSVC_TESTS_UNIT_TEMP_DIR_H_
#define LOGSVC_TESTS_UNIT_TEMP_DIR_H_

#include <cstdlib>
#include <filesystem>
#include <string>

namespace logsvc::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "logsvc-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace logsvc::testing

#endif  // LOGSVC_TESTS_UNIT_TEMP_DIR_H_
