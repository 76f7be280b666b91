#include <random>

#include "daemon/api_daemon.hpp"

using namespace cdp;
using namespace cdp::test;

namespace {

const std::string v2 = "/api/v2/batch";

/// Random requests from a fixed seed: methods, paths made of the API's own
/// words and garbage, query strings, tokens and bodies.
struct fuzzer {
  std::mt19937 rng{20261201};

  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>{0, n - 1}(rng); }
  bool chance(int percent) { return static_cast<int>(pick(100)) < percent; }

  std::string garbage(size_t max_len) {
    std::string s(pick(max_len + 1), '\0');
    for (auto& c : s)
      c = static_cast<char>(pick(256));
    return s;
  }

  std::string encoded(const std::string& raw) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : raw)
      out += std::string{'%', hex[c >> 4], hex[c & 15]};
    return out;
  }

  std::string segment() {
    static const std::vector<std::string> words{
      "status", "health", "running-jobs", "advertisers", "C", "E", "nobody", "trigger",
      "retry", "activate", "deactivate", "months", "attempts", "backfill-progress",
      "processing-states", "2024-12", "2023-01", "2024-13", "0000-00", "..", ".", "%00",
      "%2F", "%C3%A4", "metrics", "nodes", "api", "v2", "batch"};
    switch (pick(4)) {
      case 0: return encoded(garbage(12));
      case 1: return std::string(pick(3000) + 1, 'a');
      default: return words[pick(words.size())];
    }
  }

  std::string path() {
    if (chance(5))
      return "/metrics";
    std::string p = chance(85) ? v2 : "";
    for (size_t n = pick(6); n > 0; --n)
      p += "/" + segment();
    if (p.empty())
      p = "/";
    if (chance(30)) {
      static const std::vector<std::string> keys{"limit", "after", "lifecycle", "active", "x"};
      p += "?";
      for (size_t n = pick(4) + 1; n > 0; --n)
        p += keys[pick(keys.size())] + "=" + (chance(50) ? std::to_string(static_cast<int>(pick(3000)) - 1000)
                                                         : encoded(garbage(8)))
             + "&";
    }
    return p;
  }

  std::string body() {
    switch (pick(6)) {
      case 0: return "";
      case 1: return garbage(2000);
      case 2: return std::string(70 * 1024, '{');
      case 3: return R"({"advertiserId":)" + std::to_string(pick(100)) + R"(,"type":"NEW"})";
      case 4: return R"({"advertiserId":"Z)" + std::to_string(pick(100)) + R"(","type":"NEW","name":)"
                     + (chance(50) ? "null" : "[1,2]") + "}";
      default: return R"({"advertiserId":"C","name":"dup","type":"EXISTING"})";
    }
  }

  /// Never the daemon's token: everything that would change the store is refused.
  std::string token() {
    if (chance(40))
      return "";
    return chance(50) ? "x" + garbage(5) : "wrong-token";
  }
};

} // namespace

TEST_CASE("REST fuzz: thousands of random requests get 2xx/4xx JSON, the daemon stays up, the store is unchanged") {
  api_daemon d{"sqlite", {"--set", "http.token=s3cret"}};
  for (const auto* body : {R"({"advertiserId":"C","type":"NEW"})", R"({"advertiserId":"E","type":"EXISTING"})"})
    REQUIRE(d.post(v2 + "/advertisers", body, "s3cret").status == 201);
  REQUIRE(api_daemon::eventually([&] {
    auto c = d.get(v2 + "/advertisers/C");
    auto e = d.get(v2 + "/advertisers/E");
    return c.doc.value("lifecycle", "") == "LIVE" && e.doc.value("lifecycle", "") == "LIVE";
  }));
  auto before = d.dump();
  fuzzer f;
  static const std::vector<std::string> methods{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"};
  std::map<int, int> statuses;
  for (int i = 0; i < 3000; ++i) {
    auto method = methods[f.pick(methods.size())];
    auto path = f.path();
    auto a = d.request(method, path, f.body(), f.token());
    ++statuses[a.status];
    INFO("request " << i << ": " << method << " " << path.substr(0, 120) << " → " << a.status
                    << " " << a.body.substr(0, 200));
    REQUIRE(a.status >= 200);
    REQUIRE(a.status < 500);
    // "/" is the operator's web page, HTML.
    bool page = (method == "GET" || method == "HEAD") && (path == "/" || path.rfind("/?", 0) == 0);
    if (method != "HEAD" && path != "/metrics" && !page)
      REQUIRE(a.doc.is_object());
  }
  for (const auto& [status, n] : statuses)
    UNSCOPED_INFO(status << ": " << n);
  CHECK(statuses.size() >= 5);
  CHECK(d.get(v2 + "/health").status == 200);
  CHECK(d.dump() == before);
}
