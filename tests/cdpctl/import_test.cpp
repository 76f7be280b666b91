#include <nlohmann/json.hpp>

#include "cdpctl/console_daemon.hpp"

using namespace cdp;
using namespace cdp::test;

namespace {

std::filesystem::path write_file(const console_daemon& d, const std::string& name,
                                 const std::string& text) {
  auto path = d.dir / name;
  std::ofstream{path, std::ios::binary} << text;
  return path;
}

} // namespace

TEST_CASE("cdpctl import sends a file of more than 1,000 rows in parts and reports the whole") {
  console_daemon d;
  std::string text = "advertiserId,active\n";
  for (int i = 0; i < 2100; ++i)
    text += i == 1500 ? std::string{"bad;id,true\n"} : "c-" + std::to_string(i) + ",true\n";
  text += "A,true\n";  // a demo advertiser, EXISTING: skipped
  text += "C,true\n";  // the demo's NEW one: refused as EXISTING
  auto file = write_file(d, "many.csv", text);

  auto dry = d.ctl({"import", file.string(), "--type", "EXISTING", "--dry-run"});
  INFO(dry.err);
  REQUIRE(dry.code == 0);
  CHECK(contains(dry.out, "would create:  2099\n"));
  CHECK(contains(dry.out, "dry run:       yes, nothing was written\n"));
  auto db = d.open();
  CHECK_FALSE(db->get_advertiser("c-0"));

  auto run = d.ctl({"-o", "json", "import", file.string(), "--type", "EXISTING"}, {}, 60s);
  INFO(run.err);
  REQUIRE(run.code == 0);
  auto report = nlohmann::json::parse(run.out);
  CHECK(report["rows"] == 2102);
  CHECK(report["created"] == 2099);
  CHECK(report["skipped"] == 1);
  CHECK(report["refused"] == 2);
  CHECK(report["firstRefused"][0]["row"] == 1502);
  CHECK(report["firstRefused"][1]["row"] == 2103);
  auto last = db->get_advertiser("c-2099");
  REQUIRE(last);
  CHECK(last->type == advertiser_type::existing);
  // Started at once: its current month runs without waiting for a tick.
  CHECK(eventually([&] {
    auto months = db->list_months("c-2099");
    return months && !months->empty() && months->back().status == month_status::completed;
  }));

  auto table = d.ctl({"import", file.string(), "--type", "EXISTING"}, {}, 60s);
  REQUIRE(table.code == 0);
  CHECK(contains(table.out, "created:  0\n"));
  CHECK(contains(table.out, "skipped:  2100"));
  CHECK(contains(table.out, "ROW  ADVERTISER  REASON"));
}

TEST_CASE("cdpctl import refuses a malformed file whole, names a file it cannot read") {
  console_daemon d;
  auto file = write_file(d, "bad.csv", "advertiserId,type\nok-1,NEW\nok-2,NEW\xFF\n");
  auto bad = d.ctl({"import", file.string()});
  CHECK(bad.code == 1);
  CHECK(contains(bad.err, "not UTF-8"));
  CHECK(contains(bad.err, "nothing was imported"));
  auto db = d.open();
  CHECK_FALSE(db->get_advertiser("ok-1"));
  auto missing = d.ctl({"import", (d.dir / "nope.csv").string()});
  CHECK(missing.code == 2);
  CHECK(contains(missing.err, "cannot read"));
  auto wrong_type = d.ctl({"import", file.string(), "--type", "OLD"});
  CHECK(wrong_type.code == 2);
}

TEST_CASE("cdpctl import needs the token when the daemon has one") {
  console_daemon d{"", {"--set", "http.token=s3cret"}};
  auto file = write_file(d, "one.jsonl", "{\"advertiserId\":\"t-1\",\"type\":\"NEW\"}\n");
  auto without = d.ctl({"import", file.string()});
  CHECK(without.code == 1);
  CHECK(contains(without.err, "token"));
  auto with = d.ctl({"import", file.string()}, {"CDPBATCH_API_TOKEN=s3cret"});
  INFO(with.err);
  CHECK(with.code == 0);
  CHECK(contains(with.out, "created:  1\n"));
}
