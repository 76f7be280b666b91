#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include <arpa/inet.h>

#include <toml++/toml.h>

#include "config/access_keys.hpp"
#include "config/config.hpp"
#include "config/keys.hpp"
#include "config/paths.hpp"
#include "domain/audit.hpp"
#include "domain/duration.hpp"
#include "domain/utf8.hpp"

namespace cdp {

namespace {

using errors = std::vector<std::string>;

/// Where each key got its value (the file or the override), so a value that
/// fails validation is reported where the operator can fix it.
using origins = std::map<std::string, std::string, std::less<>>;

void assign(config& cfg, const std::string& source, const std::string& name,
            const toml::node& node, errors& out, origins& from, config_reader reader) {
  if (access_keys::is_access_key(name)) {
    if (reader == config_reader::client)
      return;
    auto found = access_keys::assign(cfg, name, node);
    for (auto& why : found)
      out.push_back(source + ": " + why);
    if (found.empty())
      from[name] = source;
    return;
  }
  const auto* k = config_keys::find(name);
  if (k == nullptr) {
    out.push_back(source + ": unknown key '" + name
                  + "' (see config.toml for every key)");
    return;
  }
  if (auto why = k->assign(cfg, node))
    out.push_back(source + ": " + name + ": " + *why);
  else
    from[name] = source;
}

// Walks tables down to their leaves; arrays are values, not tables.
void walk(config& cfg, const std::string& source, const toml::table& table,
          const std::string& prefix, errors& out, origins& from, config_reader reader) {
  for (const auto& [name, node] : table) {
    auto path = prefix.empty() ? std::string{name.str()}
                               : prefix + "." + std::string{name.str()};
    const auto* sub = node.as_table();
    if (sub && !access_keys::is_access_key(path))
      walk(cfg, source, *sub, path, out, from, reader);
    else
      assign(cfg, source, path, node, out, from, reader);
  }
}

void apply_override(config& cfg, const std::string& text, errors& out, origins& from,
                    config_reader reader) {
  // A TOML file is UTF-8 by definition (toml++ refuses one that is not); the
  // command line is held to the same rule, and its bytes are not echoed.
  if (!is_utf8(text)) {
    out.push_back("--set: an argument that is not valid UTF-8");
    return;
  }
  auto source = "--set " + text;
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    out.push_back(source + ": expected key=value");
    return;
  }
  auto name = text.substr(0, eq);
  auto raw = text.substr(eq + 1);
  // A value is read as TOML (numbers, booleans, arrays, quoted strings); what
  // is not TOML (5m, sqlite://x) is taken as a plain string.
  try {
    auto doc = toml::parse("v = " + raw);
    if (const auto* node = doc.get("v")) {
      assign(cfg, source, name, *node, out, from, reader);
      return;
    }
  } catch (const toml::parse_error&) {
  }
  assign(cfg, source, name, toml::value<std::string>{raw}, out, from, reader);
}

bool valid_timezone(const std::string& tz) {
  if (tz == "UTC")
    return true;
  if (tz.empty() || tz.front() == '/' || tz.find("..") != std::string::npos)
    return false;
  std::error_code ec;
  return tz.size() < 256 && std::filesystem::is_regular_file("/usr/share/zoneinfo/" + tz, ec);
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.rfind(prefix, 0) == 0;
}

void validate(const config& c, const origins& from, errors& out) {
  auto need = [&](bool ok, const std::string& key, const std::string& why) {
    if (ok)
      return;
    auto it = from.find(key);
    out.push_back((it == from.end() ? std::string{"default"} : it->second) + ": "
                  + key + ": " + why);
  };
  using std::chrono::milliseconds;
  need(c.schedule.tick_interval > milliseconds{0}, "schedule.tick_interval",
       "must be longer than 0ms");
  need(valid_timezone(c.schedule.timezone), "schedule.timezone",
       "unknown time zone '" + c.schedule.timezone
         + "' (use UTC or a name under /usr/share/zoneinfo, e.g. Asia/Seoul)");
  need(c.backfill_months >= 1 && c.backfill_months <= 120, "backfill.months",
       "must be between 1 and 120, got " + std::to_string(c.backfill_months));
  need(c.retry.max_retries >= 0 && c.retry.max_retries <= 100, "retry.max_retries",
       "must be between 0 and 100, got " + std::to_string(c.retry.max_retries));
  need(c.retry.backoff_factor >= 1.0 && c.retry.backoff_factor <= 100.0,
       "retry.backoff_factor", "must be between 1.0 and 100.0");
  need(c.retry.backoff_max >= c.retry.backoff_base, "retry.backoff_max",
       "must not be shorter than retry.backoff_base");
  need(c.retry.jitter >= 0.0 && c.retry.jitter <= 1.0, "retry.jitter",
       "must be between 0.0 and 1.0");
  need(c.reaper.interval > milliseconds{0}, "reaper.interval", "must be longer than 0ms");
  need(c.audit.retention >= std::chrono::hours{24}, "audit.retention",
       "must be at least 1d: an auditor asks about yesterday");
  need(c.reaper.stale_after > milliseconds{0}, "reaper.stale_after",
       "must be longer than 0ms");
  need(c.pool.core_size >= 1 && c.pool.core_size <= 1024, "batch.thread-pool.core-size",
       "must be between 1 and 1024, got " + std::to_string(c.pool.core_size));
  need(c.pool.max_size >= c.pool.core_size && c.pool.max_size <= 1024,
       "batch.thread-pool.max-size",
       "must be at least batch.thread-pool.core-size ("
         + std::to_string(c.pool.core_size) + ") and at most 1024, got "
         + std::to_string(c.pool.max_size));
  need(c.pool.queue_capacity >= 1, "batch.thread-pool.queue-capacity",
       "must be at least 1, got " + std::to_string(c.pool.queue_capacity));
  need(c.pool.backfill_share >= 0.0 && c.pool.backfill_share <= 1.0, "batch.backfill_share",
       "must be between 0.0 (no share kept for backfills) and 1.0");
  static constexpr std::array kinds{"cdp-profile", "command", "simulated"};
  need(std::find(kinds.begin(), kinds.end(), c.job.kind) != kinds.end(), "job.kind",
       "must be cdp-profile, command or simulated, got '" + c.job.kind + "'");
  need(c.job.timeout > milliseconds{0}, "job.timeout", "must be longer than 0ms");
  need(c.job.kind != "command" || !c.job.command_argv.empty(), "job.command.argv",
       "must name a program when job.kind is \"command\"");
  need(c.job.simulated.failure_rate >= 0.0 && c.job.simulated.failure_rate <= 1.0,
       "job.simulated.failure_rate", "must be between 0.0 and 1.0");
  bool sqlite = starts_with(c.store.url, "sqlite://") && c.store.url.size() > 9;
  bool pg = starts_with(c.store.url, "postgresql://") || starts_with(c.store.url, "postgres://");
  need(sqlite || pg, "store.url",
       "expected sqlite://PATH or postgresql://user:pass@host:port/db, got '"
         + c.store.url + "'");
  auto http = parse_listen_address(c.http.listen);
  need(http.has_value(), "http.listen",
       "expected HOST:PORT such as 127.0.0.1:8080, got '" + c.http.listen + "'");
  need(!http || !api_tokens(c).empty() || c.api.allow_anonymous || is_loopback_host(http->host),
       "http.listen",
       "'" + c.http.listen + "' is reachable from other hosts and no API token is set: anyone "
         "there could change the engine. Set http.token (or CDPBATCH_API_TOKEN) or "
         "[[api.tokens]], listen on 127.0.0.1, or set api.allow_anonymous = true if that is "
         "meant");
  for (auto& why : access_keys::problems(c))
    out.push_back(std::move(why));
  need(c.http.request_timeout >= milliseconds{100}, "http.request_timeout",
       "must be at least 100ms, or no client can send a request");
  need(c.http.max_body >= 1024 && c.http.max_body <= (int64_t{1} << 40), "http.max_body",
       "must be between 1024 bytes and 1 TiB, got " + std::to_string(c.http.max_body));
  auto admin = parse_listen_address(c.admin.listen);
  need(admin.has_value(), "admin.listen",
       "expected HOST:PORT such as 127.0.0.1:4242, got '" + c.admin.listen + "'");
  int tls_parts = !c.admin.tls_cert.empty() + !c.admin.tls_key.empty() + !c.admin.tls_ca.empty();
  need(tls_parts == 0 || tls_parts == 3, "admin.tls.cert",
       "admin.tls.cert, admin.tls.key and admin.tls.ca go together (TLS without all three is not authenticated)");
  need(!admin || tls_parts == 3 || is_loopback_host(admin->host), "admin.listen",
       "'" + c.admin.listen + "' is reachable from other hosts: set admin.tls.cert, admin.tls.key "
         "and admin.tls.ca (mutual TLS) to listen there, or listen on 127.0.0.1");
  need(c.admin.heartbeat_interval > milliseconds{0}, "admin.heartbeat_interval",
       "must be longer than 0ms");
  need(c.admin.connection_timeout >= 2 * c.admin.heartbeat_interval, "admin.connection_timeout",
       "must be at least twice admin.heartbeat_interval, or live consoles are dropped");
  auto check_path = [&](const char* key, const std::string& path, path_use use) {
    auto problem = path_problem(path, use);
    need(!problem, key, problem.value_or(""));
  };
  for (const auto& [key, path] : {std::pair{"admin.tls.cert", c.admin.tls_cert},
                                  std::pair{"admin.tls.key", c.admin.tls_key},
                                  std::pair{"admin.tls.ca", c.admin.tls_ca}})
    if (!path.empty())
      check_path(key, path, path_use::read_file);
  if (sqlite)
    check_path("store.url", c.store.url.substr(std::string_view{"sqlite://"}.size()),
               path_use::write_file);
  if (c.job.kind == "command" && !c.job.command_argv.empty()
      && c.job.command_argv.front().find('/') != std::string::npos)
    check_path("job.command.argv", c.job.command_argv.front(), path_use::run_program);
  static constexpr std::array levels{"trace", "debug", "info", "warn", "error", "critical", "off"};
  need(std::find(levels.begin(), levels.end(), c.log.level) != levels.end(), "log.level",
       "must be one of trace, debug, info, warn, error, critical, off; got '" + c.log.level + "'");
  check_path("log.file", c.log.file, path_use::write_file);
  need(c.node.id.size() <= 100
         && c.node.id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789_.-")
              == std::string::npos,
       "node.id", "must be at most 100 characters of A-Z a-z 0-9 _ . - (or \"\" for the host name)");
  need(c.node.heartbeat > milliseconds{0}, "node.heartbeat", "must be longer than 0ms");
  need(c.node.lease_ttl >= 2 * c.node.heartbeat, "node.lease_ttl",
       "must be at least twice node.heartbeat (" + format_duration(c.node.heartbeat)
         + "), or one late heartbeat would hand this node's advertisers to another");
  need(c.node.lease_batch >= 1, "node.lease_batch", "must be at least 1");
  need(c.probe.interval > milliseconds{0}, "probe.interval",
       "must be longer than 0ms: the time between a deactivated advertiser's trial runs");
}

} // namespace

std::vector<api_token> api_tokens(const config& cfg) {
  std::vector<api_token> out;
  if (!cfg.http.token.empty())
    out.push_back({default_caller, role::operate, cfg.http.token});
  out.insert(out.end(), cfg.api.tokens.begin(), cfg.api.tokens.end());
  return out;
}

std::optional<listen_address> parse_listen_address(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return std::nullopt;
  auto port_text = text.substr(colon + 1);
  if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  auto port = std::stoi(port_text);
  if (port > 65535)
    return std::nullopt;
  auto host = text.substr(0, colon);
  // [::1]:4242 names an IPv6 host; sockets want it without the brackets.
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.find_first_of(" /\t[]") != std::string::npos)
    return std::nullopt;
  return listen_address{host, static_cast<uint16_t>(port)};
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host == "::1")
    return true;
  in_addr v4{};
  return ::inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

config_result load_config(const std::string& path,
                          const std::vector<std::string>& overrides,
                          const config& defaults, config_reader reader) {
  config cfg = defaults;
  errors out;
  origins from;
  auto unreadable = path.empty() ? std::nullopt : path_problem(path, path_use::read_file);
  if (unreadable) {
    out.push_back("cannot read the configuration file: " + *unreadable);
  } else if (!path.empty()) {
    try {
      auto table = toml::parse_file(path);
      walk(cfg, path, table, "", out, from, reader);
    } catch (const toml::parse_error& e) {
      std::ostringstream msg;
      msg << path << ":" << e.source().begin.line << ":" << e.source().begin.column
          << ": not valid TOML: " << e.description();
      out.push_back(msg.str());
    }
  }
  if (const char* token = std::getenv("CDPBATCH_API_TOKEN"); token && *token) {
    cfg.http.token = token;
    from["http.token"] = "environment CDPBATCH_API_TOKEN";
  }
  for (const auto& o : overrides)
    apply_override(cfg, o, out, from, reader);
  if (out.empty())
    validate(cfg, from, out);
  if (!out.empty())
    return {std::nullopt, std::move(out)};
  return {std::move(cfg), {}};
}

config defaults_without_file(const char* xdg_state_home) {
  config cfg;
  if (xdg_state_home == nullptr || xdg_state_home[0] != '/')
    return cfg;
  auto dir = std::string{xdg_state_home} + "/cdpbatch";
  cfg.store.url = "sqlite://" + dir + "/cdpbatch.db";
  cfg.log.file = dir + "/cdpbatchd.log";
  return cfg;
}

std::string redact_password(const std::string& url) {
  auto scheme = url.find("://");
  auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme)
    return url;
  auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at)
    return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

std::string render_config(const config& cfg) {
  auto shown = cfg;
  shown.store.url = redact_password(cfg.store.url);
  std::string out;
  for (const auto& k : config_keys::all())
    out += std::string{k.name} + " = " + k.render(shown) + "\n";
  return out + access_keys::render(cfg);
}

} // namespace cdp
