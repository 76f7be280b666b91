#pragma once

#include <memory>
#include <string>

#include "persistence/store.hpp"

namespace cdp {

/// A persistence worker's own connection, opened on first use and reopened
/// after the database went away, so a worker outlives an outage.
class store_link {
public:
  store_link(std::string url, store_options options)
    : url_(std::move(url)), options_(options) {}

  /// The connection, or errc::store_unavailable when it cannot be opened.
  expected<store*> get();

  /// Runs `call` on the connection; drops the connection when the database
  /// proved unreachable so the next call reconnects.
  template <class F>
  auto with(F&& call) -> decltype(call(std::declval<store&>())) {
    auto db = get();
    if (!db)
      return std::move(db).error();
    auto result = call(**db);
    if (!result && result.error().code == errc::store_unavailable)
      db_.reset();
    return result;
  }

private:
  std::string url_;
  store_options options_;
  std::unique_ptr<store> db_;
};

} // namespace cdp
