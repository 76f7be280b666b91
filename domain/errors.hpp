#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cdp {

/// Every way an operation of cdpbatch can fail. The REST gateway maps these to
/// HTTP statuses and the console prints them, so each one means one thing.
enum class errc : uint8_t {
  /// Malformed input: an id, a month, a JSON body, a config value.
  invalid_argument = 1,
  /// The advertiser or month does not exist.
  not_found,
  /// The current state forbids the operation (e.g. retrying a RUNNING month).
  conflict,
  /// The store cannot be reached; callers retry with backoff.
  store_unavailable,
  /// The store answered with an error that retrying will not fix.
  store_error,
  /// The database was migrated by a newer cdpbatch than this binary.
  schema_too_new,
  /// A request or job ran past its deadline.
  timeout,
  /// The job runners' queue is full; the caller defers, nothing is dropped.
  queue_full,
  /// A month job reported failure.
  job_failed,
  /// The daemon is draining and accepts no new work.
  shutting_down,
  /// A mutating call without the configured API token.
  unauthorized,
  /// The console and the daemon speak different admin protocol versions.
  incompatible_protocol,
  /// Another node holds the advertiser's lease now: the claim or outcome was
  /// refused and the sender drops the advertiser.
  lease_lost,
  /// A caller whose role (read) does not allow the change it asked for.
  forbidden,
};

std::string_view to_string(errc code);

/// An error value crossing a boundary: what went wrong, in words an operator
/// understands, plus the code that decides how callers react.
struct failure {
  errc code = errc::store_error;
  std::string message;
};

/// `expected`-style result (std::expected is C++23; g++ 12 targets C++20).
template <class T, class E = failure>
class expected {
public:
  expected(T value) : data_(std::move(value)) {}
  expected(E err) : data_(std::move(err)) {}

  bool has_value() const noexcept { return data_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const& { return std::get<1>(data_); }
  E&& error() && { return std::get<1>(std::move(data_)); }

private:
  std::variant<T, E> data_;
};

/// Success without a value.
struct ok_t {};
inline constexpr ok_t ok{};

using status = expected<ok_t>;

inline failure make_failure(errc code, std::string message) {
  return failure{code, std::move(message)};
}

} // namespace cdp
