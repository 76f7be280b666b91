#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "daemon/api_daemon.hpp"

using namespace cdp::test;

namespace {

const std::string v2 = "/api/v2/batch";

std::string source_file(const std::string& name) {
  std::ifstream in{std::string{CDP_SOURCE_DIR} + "/api/web/" + name, std::ios::binary};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

TEST_CASE("GET / serves the page's files as built in, open but locked down") {
  api_daemon d{"sqlite", {"--set", "http.token=s3cret"}};
  REQUIRE(d);
  for (auto [path, file, type] : {std::tuple{"/", "index.html", "text/html; charset=utf-8"},
                                  {"/app.js", "app.js", "text/javascript; charset=utf-8"},
                                  {"/app.css", "app.css", "text/css; charset=utf-8"}}) {
    INFO(path);
    auto a = d.get(path);
    CHECK(a.status == 200);
    CHECK(a.body == source_file(file));
    CHECK(a.header("Content-Type") == type);
    CHECK(a.header("Content-Security-Policy").find("script-src 'self'") != std::string::npos);
    CHECK(a.header("X-Content-Type-Options") == "nosniff");
  }
  CHECK(d.get("/index.html").status == 404);
  CHECK(d.post("/", "", "s3cret").status == 405);
}

TEST_CASE("auth tells the page whether its token is the configured one") {
  api_daemon d{"sqlite", {"--set", "http.token=s3cret"}};
  REQUIRE(d);
  auto none = d.get(v2 + "/auth");
  CHECK(none.status == 200);
  const json refused{{"tokenRequired", true}, {"tokenAccepted", false}, {"name", nullptr},
                     {"role", nullptr}};
  CHECK(none.doc == refused);
  auto wrong = d.request("GET", v2 + "/auth", "", "s3cre");
  CHECK(wrong.doc == refused);
  auto right = d.request("GET", v2 + "/auth", "", "s3cret");
  CHECK(right.doc == json{{"tokenRequired", true}, {"tokenAccepted", true}, {"name", "default"},
                          {"role", "operate"}});

  api_daemon open{"sqlite", {}};
  REQUIRE(open);
  CHECK(open.get(v2 + "/auth").doc == json{{"tokenRequired", false}, {"tokenAccepted", true},
                                           {"name", "anonymous"}, {"role", "operate"}});
}

TEST_CASE("watch answers the console's live frame over REST") {
  api_daemon d{"sqlite", {}};
  REQUIRE(d);
  REQUIRE(d.post(v2 + "/advertisers", R"({"advertiserId":"A","type":"EXISTING"})").status == 201);
  auto frame = d.get(v2 + "/watch");
  CHECK(frame.status == 200);
  CHECK(frame.doc["status"]["advertisers"]["total"] == 1);
  CHECK(frame.doc["running"].is_array());
  CHECK(frame.doc["backfilling"].is_array());
  CHECK(frame.doc["recentFailures"].is_array());
}
