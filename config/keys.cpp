#include "config/keys.hpp"

#include <limits>
#include <sstream>

#include "domain/duration.hpp"

namespace cdp::config_keys {

namespace {

using reason = std::optional<std::string>;

std::string describe(const toml::node& node) {
  std::ostringstream out;
  node.visit([&out](const auto& value) { out << value; });
  return out.str();
}

std::string quote(const std::string& s) {
  std::ostringstream out;
  out << toml::value<std::string>{s};
  return out.str();
}

template <class Get>
key text(std::string_view name, Get get) {
  return {name,
          [get](config& c, const toml::node& n) -> reason {
            auto v = n.value_exact<std::string>();
            if (!v)
              return "expected a string, got " + describe(n);
            get(c) = *v;
            return std::nullopt;
          },
          [get](const config& c) { return quote(get(c)); }};
}

template <class Get>
key duration(std::string_view name, Get get) {
  return {name,
          [get](config& c, const toml::node& n) -> reason {
            auto v = n.value_exact<std::string>();
            auto d = v ? parse_duration(*v) : std::nullopt;
            if (!d)
              return "expected a duration such as \"250ms\", \"30s\", \"5m\" or \"1h\", got "
                     + describe(n);
            // Timers add a duration to the clock in nanoseconds: ten years
            // is far above any sensible setting and far below an overflow.
            constexpr std::chrono::milliseconds longest = std::chrono::hours{24 * 3650};
            if (*d > longest)
              return "must be at most \"3650d\" (ten years), got " + describe(n);
            get(c) = *d;
            return std::nullopt;
          },
          [get](const config& c) {
            return quote(format_duration(get(c)));
          }};
}

template <class Get>
key integer(std::string_view name, Get get) {
  return {name,
          [get](config& c, const toml::node& n) -> reason {
            auto v = n.value_exact<int64_t>();
            using target = std::remove_reference_t<decltype(get(c))>;
            if (!v)
              return "expected an integer, got " + describe(n);
            if (*v < static_cast<int64_t>(std::numeric_limits<target>::min())
                || static_cast<uint64_t>(*v) > std::numeric_limits<target>::max())
              return "integer " + std::to_string(*v) + " is out of range";
            get(c) = static_cast<target>(*v);
            return std::nullopt;
          },
          [get](const config& c) { return std::to_string(get(c)); }};
}

template <class Get>
key real(std::string_view name, Get get) {
  return {name,
          [get](config& c, const toml::node& n) -> reason {
            if (auto i = n.value_exact<int64_t>()) {
              get(c) = static_cast<double>(*i);
              return std::nullopt;
            }
            auto v = n.value_exact<double>();
            if (!v)
              return "expected a number, got " + describe(n);
            get(c) = *v;
            return std::nullopt;
          },
          [get](const config& c) {
            std::ostringstream out;
            out << toml::value<double>{get(c)};
            return out.str();
          }};
}

template <class Get>
key boolean(std::string_view name, Get get) {
  return {name,
          [get](config& c, const toml::node& n) -> reason {
            auto v = n.value_exact<bool>();
            if (!v)
              return "expected true or false, got " + describe(n);
            get(c) = *v;
            return std::nullopt;
          },
          [get](const config& c) {
            return std::string{get(c) ? "true" : "false"};
          }};
}

key month_key() {
  return {"schedule.current_month",
          [](config& c, const toml::node& n) -> reason {
            auto v = n.value_exact<std::string>();
            if (!v)
              return "expected a month \"YYYY-MM\" or \"\", got " + describe(n);
            if (v->empty()) {
              c.schedule.current_month.reset();
              return std::nullopt;
            }
            auto m = year_month::parse(*v);
            if (!m)
              return "expected a month \"YYYY-MM\" between 1970-01 and 9999-12, or \"\", got "
                     + describe(n);
            c.schedule.current_month = m;
            return std::nullopt;
          },
          [](const config& c) {
            return quote(c.schedule.current_month ? c.schedule.current_month->to_string()
                                                  : std::string{});
          }};
}

key argv_key() {
  return {"job.command.argv",
          [](config& c, const toml::node& n) -> reason {
            auto* arr = n.as_array();
            if (arr == nullptr)
              return "expected an array of strings, got " + describe(n);
            std::vector<std::string> argv;
            for (const auto& item : *arr) {
              auto s = item.value_exact<std::string>();
              if (!s)
                return "expected an array of strings, found " + describe(item);
              argv.push_back(*s);
            }
            c.job.command_argv = std::move(argv);
            return std::nullopt;
          },
          [](const config& c) {
            toml::array arr;
            for (const auto& s : c.job.command_argv)
              arr.push_back(s);
            std::ostringstream out;
            out << arr;
            return out.str();
          }};
}

key token_key() {
  auto k = text("http.token", [](auto& c) -> auto& { return c.http.token; });
  k.render = [](const config& c) {
    return quote(c.http.token.empty() ? "" : "<redacted>");
  };
  return k;
}

std::vector<key> make_all() {
  // clang-format off
  return {
    duration("schedule.tick_interval", [](auto& c) -> auto& { return c.schedule.tick_interval; }),
    text("schedule.timezone", [](auto& c) -> auto& { return c.schedule.timezone; }),
    month_key(),
    integer("backfill.months", [](auto& c) -> auto& { return c.backfill_months; }),
    integer("retry.max_retries", [](auto& c) -> auto& { return c.retry.max_retries; }),
    duration("retry.backoff_base", [](auto& c) -> auto& { return c.retry.backoff_base; }),
    real("retry.backoff_factor", [](auto& c) -> auto& { return c.retry.backoff_factor; }),
    duration("retry.backoff_max", [](auto& c) -> auto& { return c.retry.backoff_max; }),
    real("retry.jitter", [](auto& c) -> auto& { return c.retry.jitter; }),
    duration("reaper.interval", [](auto& c) -> auto& { return c.reaper.interval; }),
    duration("reaper.stale_after", [](auto& c) -> auto& { return c.reaper.stale_after; }),
    integer("batch.thread-pool.core-size", [](auto& c) -> auto& { return c.pool.core_size; }),
    integer("batch.thread-pool.max-size", [](auto& c) -> auto& { return c.pool.max_size; }),
    integer("batch.thread-pool.queue-capacity", [](auto& c) -> auto& { return c.pool.queue_capacity; }),
    real("batch.backfill_share", [](auto& c) -> auto& { return c.pool.backfill_share; }),
    text("job.kind", [](auto& c) -> auto& { return c.job.kind; }),
    duration("job.timeout", [](auto& c) -> auto& { return c.job.timeout; }),
    argv_key(),
    duration("job.simulated.latency", [](auto& c) -> auto& { return c.job.simulated.latency; }),
    duration("job.simulated.latency_jitter", [](auto& c) -> auto& { return c.job.simulated.latency_jitter; }),
    real("job.simulated.failure_rate", [](auto& c) -> auto& { return c.job.simulated.failure_rate; }),
    integer("job.simulated.seed", [](auto& c) -> auto& { return c.job.simulated.seed; }),
    boolean("job.simulated.fail_first_attempt_only", [](auto& c) -> auto& { return c.job.simulated.fail_first_attempt_only; }),
    text("store.url", [](auto& c) -> auto& { return c.store.url; }),
    text("http.listen", [](auto& c) -> auto& { return c.http.listen; }),
    token_key(),
    duration("http.request_timeout", [](auto& c) -> auto& { return c.http.request_timeout; }),
    integer("http.max_body", [](auto& c) -> auto& { return c.http.max_body; }),
    boolean("api.allow_anonymous", [](auto& c) -> auto& { return c.api.allow_anonymous; }),
    duration("audit.retention", [](auto& c) -> auto& { return c.audit.retention; }),
    text("admin.listen", [](auto& c) -> auto& { return c.admin.listen; }),
    text("admin.tls.cert", [](auto& c) -> auto& { return c.admin.tls_cert; }),
    text("admin.tls.key", [](auto& c) -> auto& { return c.admin.tls_key; }),
    text("admin.tls.ca", [](auto& c) -> auto& { return c.admin.tls_ca; }),
    duration("admin.heartbeat_interval", [](auto& c) -> auto& { return c.admin.heartbeat_interval; }),
    duration("admin.connection_timeout", [](auto& c) -> auto& { return c.admin.connection_timeout; }),
    text("log.level", [](auto& c) -> auto& { return c.log.level; }),
    text("log.file", [](auto& c) -> auto& { return c.log.file; }),
    text("node.id", [](auto& c) -> auto& { return c.node.id; }),
    duration("node.heartbeat", [](auto& c) -> auto& { return c.node.heartbeat; }),
    duration("node.lease_ttl", [](auto& c) -> auto& { return c.node.lease_ttl; }),
    integer("node.lease_batch", [](auto& c) -> auto& { return c.node.lease_batch; }),
    boolean("probe.enabled", [](auto& c) -> auto& { return c.probe.enabled; }),
    duration("probe.interval", [](auto& c) -> auto& { return c.probe.interval; }),
  };
  // clang-format on
}

} // namespace

const std::vector<key>& all() {
  static const std::vector<key> keys = make_all();
  return keys;
}

const key* find(std::string_view name) {
  for (const auto& k : all())
    if (k.name == name)
      return &k;
  return nullptr;
}

} // namespace cdp::config_keys
