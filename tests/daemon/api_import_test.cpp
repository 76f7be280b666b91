#include "daemon/api_daemon.hpp"

using namespace cdp;
using namespace cdp::test;

namespace {

const std::string bulk = "/api/v2/batch/advertisers:bulk";

/// The id's month rows once one of them is COMPLETED: its actor ran it.
bool ran(api_daemon& d, const std::string& id) {
  return api_daemon::eventually([&] {
    auto states = d.get("/api/v2/batch/advertisers/" + id + "/processing-states");
    if (states.status != 200)
      return false;
    for (const auto& m : states.doc)
      if (m["status"] == "COMPLETED")
        return true;
    return false;
  });
}

std::vector<int64_t> refused_rows(const json& report) {
  std::vector<int64_t> rows;
  for (const auto& r : report["firstRefused"])
    rows.push_back(r["row"].get<int64_t>());
  return rows;
}

} // namespace

TEST_CASE("REST: a CSV import creates, skips and refuses row by row, and the created ones run") {
  api_daemon d{each_backend(), {}};
  if (!d)
    return;
  REQUIRE(d.post("/api/v2/batch/advertisers", R"({"advertiserId":"old-1","type":"EXISTING"})")
            .status == 201);
  auto a = d.post(bulk, "advertiserId,type,active\r\n"
                        "imp-1,NEW,true\r\n"
                        "imp-2,EXISTING,true\r\n"
                        "old-1,EXISTING,true\r\n"
                        "bad id,NEW,true\r\n"
                        "imp-3,EXISTING\r\n"
                        "old-1,NEW,true\r\n"
                        "imp-4,EXISTING,false\r\n");
  INFO(a.body);
  REQUIRE(a.status == 200);
  CHECK(a.doc["dryRun"] == false);
  CHECK(a.doc["rows"] == 7);
  CHECK(a.doc["created"] == 3);
  CHECK(a.doc["skipped"] == 1);
  CHECK(a.doc["refused"] == 3);
  CHECK(refused_rows(a.doc) == std::vector<int64_t>{5, 6, 7});
  CHECK(a.doc["firstRefused"][2]["reason"].get<std::string>().find("exists as EXISTING")
        != std::string::npos);
  // Started through the supervisor at once, not at the next tick (1h away).
  CHECK(ran(d, "imp-2"));
  CHECK(ran(d, "imp-1"));
  auto off = d.get("/api/v2/batch/advertisers/imp-4");
  CHECK(off.doc["active"] == false);
  CHECK(off.doc["lifecycle"] == "DEACTIVATED");
  CHECK(d.get("/api/v2/batch/advertisers/imp-3").status == 404);

  // The same file again: everything that was created is skipped.
  auto again = d.post(bulk, "advertiserId,type,active\nimp-1,NEW,true\nimp-2,EXISTING,true\n");
  CHECK(again.doc["created"] == 0);
  CHECK(again.doc["skipped"] == 2);
}

TEST_CASE("REST: a JSON lines import takes the query's type for lines without one") {
  api_daemon d{each_backend(), {}};
  if (!d)
    return;
  auto a = d.post(bulk + "?type=EXISTING", "{\"advertiserId\":\"j-1\"}\n"
                                           "{\"advertiserId\":\"j-2\",\"type\":\"NEW\"}\n"
                                           "{oops\n"
                                           "{\"advertiserId\":\"j-3\",\"active\":false}\n");
  INFO(a.body);
  REQUIRE(a.status == 200);
  CHECK(a.doc["created"] == 3);
  CHECK(refused_rows(a.doc) == std::vector<int64_t>{3});
  CHECK(d.get("/api/v2/batch/advertisers/j-1").doc["advertiserType"] == "EXISTING");
  CHECK(d.get("/api/v2/batch/advertisers/j-2").doc["advertiserType"] == "NEW");
  auto untyped = d.post(bulk, "{\"advertiserId\":\"j-4\"}\n");
  CHECK(untyped.doc["refused"] == 1);
  CHECK(d.post(bulk + "?type=existing", "{\"advertiserId\":\"j-5\"}\n").status == 400);
}

TEST_CASE("REST: a malformed or oversized import file is refused whole and nothing is written") {
  api_daemon d{each_backend(), {"--set", "http.max_body=2048"}};
  if (!d)
    return;
  // EXISTING, once its month ran: nothing changes it until the next tick (1h).
  REQUIRE(d.post("/api/v2/batch/advertisers", R"({"advertiserId":"there","type":"EXISTING"})")
            .status == 201);
  REQUIRE(ran(d, "there"));
  auto before = d.dump();
  // Each file's first rows are good: they must not be written either.
  auto bad_header = d.post(bulk, "id,type\nm-1,NEW\n");
  CHECK(bad_header.status == 400);
  CHECK(bad_header.doc["detail"].get<std::string>().find("bad header") != std::string::npos);
  auto not_utf8 = d.post(bulk, "advertiserId,type,name\nm-1,NEW,ok\nm-2,NEW,caf\xE9\n");
  CHECK(not_utf8.status == 400);
  CHECK(not_utf8.doc["detail"].get<std::string>().find("not UTF-8") != std::string::npos);
  std::string big = "advertiserId,type\n";
  for (int i = 0; big.size() <= 2048; ++i)
    big += "m-" + std::to_string(i) + ",EXISTING\n";
  auto too_big = d.post(bulk, big);
  CHECK(too_big.status == 413);
  CHECK(too_big.doc["detail"].get<std::string>().find("http.max_body") != std::string::npos);
  CHECK(too_big.doc["detail"].get<std::string>().find("split the file") != std::string::npos);
  CHECK(d.post(bulk, "").status == 400);
  CHECK(d.dump() == before);
  // Other bodies keep their own limit; a file under the import's limit goes through.
  CHECK(d.post(bulk, "advertiserId,type\nm-1,EXISTING\n").doc["created"] == 1);
}

TEST_CASE("REST: an import dry run reports what it would do and writes nothing") {
  api_daemon d{each_backend(), {}};
  if (!d)
    return;
  // EXISTING, once its month ran: nothing changes it until the next tick (1h).
  REQUIRE(d.post("/api/v2/batch/advertisers", R"({"advertiserId":"there","type":"EXISTING"})")
            .status == 201);
  REQUIRE(ran(d, "there"));
  auto before = d.dump();
  auto a = d.post(bulk + "?dryRun=true",
                  "advertiserId,type\nthere,EXISTING\nthere,NEW\ndry-1,NEW\nx y,NEW\n");
  INFO(a.body);
  REQUIRE(a.status == 200);
  CHECK(a.doc["dryRun"] == true);
  CHECK(a.doc["created"] == 1);
  CHECK(a.doc["skipped"] == 1);
  CHECK(a.doc["refused"] == 2);
  CHECK(d.dump() == before);
  CHECK(d.post(bulk + "?dryRun=maybe", "advertiserId,type\nq,NEW\n").status == 400);
}

TEST_CASE("REST: an import needs the token, refused before its body is read") {
  api_daemon d{"sqlite", {"--set", "http.token=s3cret"}};
  if (!d)
    return;
  auto before = d.dump();
  CHECK(d.post(bulk, "advertiserId,type\nt-1,NEW\n").status == 401);
  CHECK(d.dump() == before);
  CHECK(d.post(bulk, "advertiserId,type\nt-1,NEW\n", "s3cret").doc["created"] == 1);
}
