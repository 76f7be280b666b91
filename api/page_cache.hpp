#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace cdp::api {

/// An answer as it goes out: HTTP status and JSON body.
struct rendered {
  int status = 200;
  std::string body;
};

/// The REST gateway's rendered list pages (GET /advertisers), so that
/// dashboards polling the same page read the store and build its JSON
/// about once per `max_age` instead of once per request.
///
/// A page is never older than `max_age`, as with the system status: past
/// half of it the first caller renders a fresh one while the others keep
/// getting the cached one; past all of it every caller waits for that one
/// render. A change made through this gateway (`changed`) drops every page,
/// so a caller sees its own changes at once; the engine's own progress
/// shows within `max_age`. Failures are never kept. Thread-safe.
class page_cache {
public:
  using clock_type = std::chrono::steady_clock;
  using render_fn = std::function<rendered()>;

  /// `max_age` zero: nothing is kept. At most `max_pages` distinct queries
  /// are kept, so a caller walking every cursor cannot grow it.
  explicit page_cache(std::chrono::milliseconds max_age, size_t max_pages = 64);

  /// The page for `key` (path and query) at `now`, rendered by `render`
  /// when there is none young enough.
  rendered get(const std::string& key, clock_type::time_point now, const render_fn& render);

  /// The page for `key` if `get` would answer it at `now` without a render;
  /// never waits for one (the REST server answers these on its I/O threads).
  std::optional<rendered> peek(const std::string& key, clock_type::time_point now);

  /// Something changed through the gateway: no page made before it is served.
  void changed();

private:
  struct page {
    /// None until a render succeeds.
    std::optional<rendered> answer;
    clock_type::time_point made{};
    /// `changes_` when its render started.
    uint64_t generation = 0;
    /// One caller is rendering it afresh.
    bool rendering = false;
  };

  /// The page's answer if it may still be served at `now`.
  const rendered* servable(const page& p, clock_type::time_point now) const;
  /// Past half its age and nobody rendering it: the caller renders it afresh.
  bool due(const page& p, clock_type::time_point now) const;
  /// Renders outside the lock and keeps the answer if nothing changed meanwhile.
  rendered refresh(std::unique_lock<std::mutex>& lock, const std::string& key,
                   clock_type::time_point now, const render_fn& render);
  void make_room(clock_type::time_point now);

  std::chrono::milliseconds max_age_;
  size_t max_pages_;
  std::mutex mutex_;
  std::condition_variable rendered_;
  std::unordered_map<std::string, page> pages_;
  uint64_t changes_ = 0;
};

} // namespace cdp::api
