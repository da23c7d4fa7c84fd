// include/rsf/common/status.h
//
// Status and Result<T>: rsf's errors are values. Every function that can fail returns a
// Status (no value) or a Result<T> (a value or a Status). No exception crosses a module API;
// third-party calls that throw are wrapped at the module edge.
//
// A decision is a value, not an error: a policy "deny" or a classifier "unsafe" is a
// successful Result. A non-OK Status means "could not do what was asked".
//
// Thread safety: Status and Result are values; distinct objects may be used concurrently.
//
// Example:
//   rsf::Result<int> ParsePort(std::string_view s);
//   rsf::Status Run() {
//     RSF_ASSIGN_OR_RETURN(int port, ParsePort("8080"));
//     RSF_RETURN_IF_ERROR(Listen(port));
//     return rsf::OkStatus();
//   }
#pragma once

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace rsf {

// A subset of Abseil's canonical codes; choose between them as Abseil's guidance says.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller's input is malformed, whatever the system's state
  kNotFound,            // a named thing does not exist
  kAlreadyExists,       // a thing to be created exists already
  kPermissionDenied,    // the caller may not do this (bad key, bad signature on a command)
  kFailedPrecondition,  // the system is not in a state where this can be done
  kResourceExhausted,   // quota, disk or size limit reached
  kDeadlineExceeded,    // a time limit ran out
  kUnavailable,         // a transient failure; retrying may succeed
  kDataLoss,            // stored or supplied data is corrupt or fails verification
  kInternal,            // an invariant broke, or an unexpected system error
  kUnimplemented,       // the operation is not supported here
};

// Returns "OK", "INVALID_ARGUMENT", ... for `code`.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "INVALID_ARGUMENT: entry.json: field 'time': expected RFC 3339 UTC" or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>"; OK stays OK.
  Status WithContext(std::string_view context) const;

  // Marks a deliberately ignored error; grep for IgnoreError to find them all.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status PermissionDeniedError(std::string message);
Status FailedPreconditionError(std::string message);
Status ResourceExhaustedError(std::string message);
Status DeadlineExceededError(std::string message);
Status UnavailableError(std::string message);
Status DataLossError(std::string message);
Status InternalError(std::string message);
Status UnimplementedError(std::string message);

// Result<T>: either a T or a non-OK Status. Constructing a Result from an OK Status is a
// programming error and yields an kInternal status instead.
template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(const T& value) : value_(value) {}             // NOLINT(google-explicit-constructor)
  Result(T&& value) : value_(std::move(value)) {}       // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.ok()) status_ = Status(StatusCode::kInternal, "Result built from an OK status");
  }
  template <typename U,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, T> &&
                                        !std::is_same_v<std::decay_t<U>, Status> &&
                                        !std::is_same_v<std::decay_t<U>, Result<T>>>>
  Result(U&& value) : value_(std::forward<U>(value)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return value_.has_value(); }
  const Status& status() const& { return status_; }
  Status status() && { return std::move(status_); }

  // REQUIRES: ok(). Aborts otherwise (a programming error, never user input).
  T& value() & { CheckOk(); return *value_; }
  const T& value() const& { CheckOk(); return *value_; }
  T&& value() && { CheckOk(); return std::move(*value_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void CheckOk() const;
  std::optional<T> value_;
  Status status_;
};

[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              std::string_view detail = {});

template <typename T>
void Result<T>::CheckOk() const {
  if (!value_.has_value()) CheckFailed(__FILE__, __LINE__, "Result::ok()", status_.ToString());
}

namespace internal {
inline const Status& AsStatus(const Status& s) { return s; }
template <typename T>
const Status& AsStatus(const Result<T>& r) { return r.status(); }
}  // namespace internal

}  // namespace rsf

#define RSF_CONCAT_INNER(a, b) a##b
#define RSF_CONCAT(a, b) RSF_CONCAT_INNER(a, b)

// Returns from the current function if `expr` (a Status or Result) is not OK.
#define RSF_RETURN_IF_ERROR(expr)                                            \
  do {                                                                       \
    const auto& _rsf_status_or = (expr);                                     \
    if (!_rsf_status_or.ok()) return ::rsf::internal::AsStatus(_rsf_status_or); \
  } while (false)

// Evaluates `expr` (a Result<T>); on error returns its status, else assigns or declares lhs.
#define RSF_ASSIGN_OR_RETURN(lhs, expr) \
  RSF_ASSIGN_OR_RETURN_IMPL(RSF_CONCAT(_rsf_result_, __LINE__), lhs, expr)
#define RSF_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).status();  \
  lhs = std::move(tmp).value()

// Always-on invariant check: aborts with file:line. Never use on user input.
#define RSF_CHECK(cond) \
  ((cond) ? (void)0 : ::rsf::CheckFailed(__FILE__, __LINE__, #cond))
#ifdef NDEBUG
#define RSF_DCHECK(cond) ((void)0)
#else
#define RSF_DCHECK(cond) RSF_CHECK(cond)
#endif
