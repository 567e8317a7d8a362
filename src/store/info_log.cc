#include "store/info_log.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <vector>

namespace logsvc::store {
namespace {

int OpenLogFile(const std::string& path, uint64_t* size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  struct stat st {};
  *size = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  return fd;
}

}  // namespace

std::shared_ptr<InfoLog> InfoLog::Open(const std::string& dir, uint64_t max_bytes,
                                       std::function<bool()> may_create_files) {
  uint64_t size = 0;
  int fd = OpenLogFile(dir + "/LOG", &size);
  if (fd < 0) return nullptr;
  return std::shared_ptr<InfoLog>(
      new InfoLog(dir, fd, size, max_bytes, std::move(may_create_files)));
}

InfoLog::InfoLog(std::string dir, int fd, uint64_t size, uint64_t max_bytes,
                 std::function<bool()> may_create_files)
    : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL),
      dir_(std::move(dir)),
      max_bytes_(max_bytes),
      may_create_files_(std::move(may_create_files)),
      fd_(fd),
      size_(size) {}

InfoLog::~InfoLog() {
  util::MutexLock lock(&mu_);
  if (fd_ >= 0) ::close(fd_);
}

void InfoLog::Logv(const char* format, va_list ap) {
  // The same line prefix as RocksDB's own logger: time and thread id.
  char buf[4096];
  struct timeval now {};
  ::gettimeofday(&now, nullptr);
  struct tm t {};
  ::localtime_r(&now.tv_sec, &t);
  int n = std::snprintf(buf, sizeof buf, "%04d/%02d/%02d-%02d:%02d:%02d.%06ld %lx ",
                        t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                        static_cast<long>(now.tv_usec), static_cast<unsigned long>(pthread_self()));
  const size_t prefix = n > 0 ? static_cast<size_t>(n) : 0;
  va_list copy;
  va_copy(copy, ap);
  int body = std::vsnprintf(buf + prefix, sizeof buf - prefix, format, copy);
  va_end(copy);
  if (body < 0) return;
  std::string line;  // only for lines longer than buf (option dumps)
  const char* data = buf;
  size_t len = prefix + static_cast<size_t>(body);
  if (len + 1 >= sizeof buf) {
    line.assign(buf, prefix);
    line.resize(prefix + static_cast<size_t>(body) + 1);
    std::vsnprintf(line.data() + prefix, static_cast<size_t>(body) + 1, format, ap);
    line.back() = '\n';
    data = line.data();
    len = line.size();
  } else if (len == 0 || buf[len - 1] != '\n') {
    buf[len++] = '\n';
  }

  util::MutexLock lock(&mu_);
  if (size_ >= max_bytes_) RotateLocked();
  // One write per line, O_APPEND: a failed or short write loses this line only.
  ssize_t w = ::write(fd_, data, len);
  if (w > 0) {
    size_ += static_cast<uint64_t>(w);
  } else {
    ++dropped_;
  }
}

void InfoLog::RotateLocked() {
  if (may_create_files_ && !may_create_files_()) return;
  const std::string current = dir_ + "/LOG";
  if (::rename(current.c_str(), (dir_ + "/LOG.old").c_str()) != 0) return;
  uint64_t size = 0;
  int fd = OpenLogFile(current, &size);
  if (fd < 0) return;  // keep writing the renamed file
  ::close(fd_);
  fd_ = fd;
  size_ = size;
}

size_t InfoLog::GetLogFileSize() const {
  util::MutexLock lock(&mu_);
  return size_;
}

uint64_t InfoLog::dropped_lines() const {
  util::MutexLock lock(&mu_);
  return dropped_;
}

}  // namespace logsvc::store
