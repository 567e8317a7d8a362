// Status and Result: how errors cross module boundaries in logsvc.
//
// A Status is either OK or a code plus a sentence meant for a human (it may be
// sent to a client verbatim, so it never contains secrets or internal paths
// unless the code is kInternal, which the HTTP layer does not echo).
// Result<T> holds either a T or a non-OK Status. Both are plain values: cheap
// to move, safe to copy between threads, no exceptions.
#ifndef LOGSVC_STATUS_H_
#define LOGSVC_STATUS_H_

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace logsvc {

class Status {
 public:
  enum class Code {
    kOk,
    kInvalidArgument,  // the caller's input is wrong; retrying it unchanged fails again
    kNotFound,         // the thing asked for does not exist
    kUnavailable,      // the store cannot serve right now; retrying later may succeed
    kInternal,         // a bug or an unexpected failure; details go to the service log
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Result<T>: a T, or the Status that explains why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "a Result needs a value or an error");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  // The error; Status::Ok() when the Result holds a value.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace logsvc

#endif  // LOGSVC_STATUS_H_
