#include "daemon/api_daemon.hpp"

using namespace cdp;
using namespace cdp::test;

namespace {

const std::string v2 = "/api/v2/batch";
const std::string token = "s3cret";

/// The trail's entries as "who action advertiser outcome", newest first.
std::vector<std::string> actions(api_daemon& d, const std::string& query = "") {
  auto page = d.get(v2 + "/audit" + query);
  REQUIRE(page.status == 200);
  std::vector<std::string> out;
  for (const auto& e : page.doc["entries"])
    out.push_back(e["who"].get<std::string>() + " " + e["action"].get<std::string>() + " "
                  + (e["advertiserId"].is_null() ? "-" : e["advertiserId"].get<std::string>())
                  + " " + e["outcome"].get<std::string>());
  return out;
}

} // namespace

TEST_CASE("REST: every change and every refused change is in the audit trail, with who and why") {
  api_daemon d{each_backend(), {"--set", "http.token=" + token}};
  REQUIRE(d.post(v2 + "/advertisers",
                 R"({"advertiserId":"C","name":"Cee","type":"EXISTING","reason":"onboarding"})",
                 token)
            .status
          == 201);
  REQUIRE(d.post(v2 + "/advertisers/C/trigger", R"({"reason":"data late"})", token).status == 200);
  // Refused: no token, no reason, an unknown advertiser.
  CHECK(d.post(v2 + "/advertisers/C/deactivate", R"({"reason":"x"})").status == 401);
  CHECK(d.post(v2 + "/advertisers/C/deactivate", "", token).status == 400);
  CHECK(d.post(v2 + "/advertisers/nobody/activate", "", token).status == 404);
  REQUIRE(d.post(v2 + "/advertisers/C/deactivate?reason=spam", "", token).status == 200);

  CHECK(actions(d) == std::vector<std::string>{"default deactivate C done",
                                               "default activate nobody refused",
                                               "default deactivate C refused",
                                               "unauthenticated deactivate C refused",
                                               "default trigger C done",
                                               "default create C done"});
  auto page = d.get(v2 + "/audit?advertiserId=C&limit=2");
  REQUIRE(page.doc["entries"].size() == 2);
  CHECK(page.doc["entries"][0]["reason"] == "spam");
  CHECK(page.doc["entries"][1]["error"].get<std::string>().find("reason") != std::string::npos);
  REQUIRE(page.doc["next"].is_string());
  auto older = d.get(v2 + "/audit?advertiserId=C&limit=2&next="
                     + page.doc["next"].get<std::string>());
  REQUIRE(older.doc["entries"].size() == 2);
  CHECK(older.doc["entries"][1]["action"] == "trigger");
  CHECK(older.doc["entries"][1]["reason"] == "data late");
  CHECK(actions(d, "?since=1h").size() == 6);

  auto detail = d.get(v2 + "/advertisers/C").doc;
  REQUIRE(detail["recentActions"].size() >= 4);
  CHECK(detail["recentActions"][0]["action"] == "deactivate");
  CHECK(detail["deactivationReason"] == "deactivated by default: spam");

  for (const auto* bad : {"?since=yesterday", "?limit=0", "?next=abc", "?advertiserId=a%20b"}) {
    INFO(bad);
    auto refused = d.get(v2 + "/audit" + bad);
    CHECK(refused.status == 400);
    CHECK_FALSE(refused.doc["detail"].get<std::string>().empty());
  }
}
