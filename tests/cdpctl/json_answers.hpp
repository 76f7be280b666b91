#pragma once

#include <set>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cdpctl/console_daemon.hpp"

// cdpctl's `--output json` next to the REST API's answers: both must carry
// the same fields.

namespace cdp::test {

using json = nlohmann::ordered_json;

inline json parsed(const program_result& r) {
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  return json::parse(r.out);
}

/// The field names of `j`, nested ones as a.b, arrays by their first element.
inline std::set<std::string> keys_of(const json& j, const std::string& prefix = "") {
  std::set<std::string> out;
  if (j.is_array() && !j.empty())
    return keys_of(j.front(), prefix + "[].");
  if (!j.is_object())
    return out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    out.insert(prefix + it.key());
    auto inner = keys_of(it.value(), prefix + it.key() + ".");
    out.insert(inner.begin(), inner.end());
  }
  return out;
}

/// GET on the daemon's REST API (its port from its log).
inline json rest_get(const console_daemon& d, const std::string& path) {
  const std::string marker = "REST API listening on http://127.0.0.1:";
  auto log = d.daemon->output();
  auto at = log.find(marker);
  REQUIRE(at != std::string::npos);
  httplib::Client http{"127.0.0.1", std::stoi(log.substr(at + marker.size()))};
  auto res = http.Get(("/api/v2/batch" + path).c_str());
  REQUIRE(res);
  return json::parse(res->body);
}

} // namespace cdp::test
