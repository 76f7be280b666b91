#include <catch2/catch.hpp>

#include "console/table.hpp"
#include "console/text_views.hpp"
#include "console/watch_view.hpp"

using namespace cdp;
using namespace cdp::console;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  for (size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

timestamp at(int64_t s) {
  return timestamp{std::chrono::seconds{s}};
}

} // namespace

TEST_CASE("a table aligns its columns by characters, numbers to the right, no trailing blanks") {
  table t{{"ID", "NAME", "MONTHS"}};
  t.right(2);
  t.add({"A", "Émile Café", "3"});
  t.add({"LONGER", "x", "24"});
  CHECK(t.render() == "ID      NAME        MONTHS\n"
                      "A       Émile Café       3\n"
                      "LONGER  x               24\n");
  t.add({"B"});
  CHECK(lines_of(t.render()).back() == "B");
}

TEST_CASE("lines are clipped to a width with an ellipsis, whole characters kept") {
  CHECK(clip("abcdef", 6) == "abcdef");
  CHECK(clip("abcdef", 4) == "abc\xE2\x80\xA6");
  CHECK(clip("ÉÉÉÉÉ", 3) == "ÉÉ\xE2\x80\xA6");
  CHECK(display_width(clip("ÉÉÉÉÉ", 3)) == 3);
}

TEST_CASE("labelled fields line their values up") {
  fields f;
  f.add("a", "1").add("longer", "2");
  CHECK(f.render() == "a:       1\nlonger:  2\n");
}

TEST_CASE("spans and times read at a glance") {
  using namespace std::chrono;
  CHECK(span(seconds{42}) == "42s");
  CHECK(span(seconds{252}) == "4m12s");
  CHECK(span(minutes{125}) == "2h05m");
  CHECK(span(hours{76}) == "3d04h");
  CHECK(span(seconds{-5}) == "0s");
  CHECK(when(at(1'733'041'800)) == "2024-12-01 08:30:00");
  CHECK(when(std::nullopt) == "-");
}

TEST_CASE("the cluster view shows each node's heartbeat age, advertisers and running jobs") {
  using namespace std::chrono;
  CHECK(heartbeat_age(milliseconds{420}) == "0.4s");
  CHECK(heartbeat_age(milliseconds{-3}) == "0.0s");
  CHECK(heartbeat_age(seconds{95}) == "1m35s");
  node_view live;
  live.node_id = "node-a";
  live.host = "vm1";
  live.pid = 4242;
  live.live = true;
  live.started_at = at(1'733'041'800);
  live.heartbeat_age_ms = 1200;
  live.advertisers_owned = 15;
  live.running_jobs = 2;
  node_view gone = live;
  gone.node_id = "node-b";
  gone.pid = 77;
  gone.live = false;
  gone.heartbeat_age_ms = 125'000;
  gone.stopped_at = at(1'733'041'900);
  gone.advertisers_owned = 0;
  gone.running_jobs = 0;
  auto lines = lines_of(render(node_list{live, gone}));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "NODE    HOST   PID  LIVE  HEARTBEAT  ADVERTISERS  RUNNING  STARTED              STOPPED");
  CHECK(lines[1] == "node-a  vm1   4242  yes   1.2s ago            15        2  2024-12-01 08:30:00  -");
  CHECK(lines[2] == "node-b  vm1     77  no    2m05s ago            0        0  2024-12-01 08:30:00  2024-12-01 08:31:40");
  CHECK(render(node_list{}) == lines_of(render(node_list{}))[0] + "\n(no nodes)\n");
}

TEST_CASE("a progress bar fills by the share done") {
  CHECK(progress_bar(0, 24, 10) == "[----------]");
  CHECK(progress_bar(12, 24, 10) == "[#####-----]");
  CHECK(progress_bar(24, 24, 10) == "[##########]");
  CHECK(progress_bar(3, 0, 4) == "[----]");
}

TEST_CASE("a watch screen has exactly the terminal's rows, none wider than its columns") {
  watch_frame f;
  f.status.node = "node-a";
  f.status.now = at(1'733'041'800);
  f.status.next_tick = at(1'733'041'860);
  for (int i = 0; i < 40; ++i) {
    running_job j;
    j.advertiser_id = "advertiser-with-a-long-name-" + std::to_string(i);
    j.month = *year_month::parse("2024-11");
    j.attempt = 1;
    j.node = "node-a";
    f.running.push_back(j);
  }
  advertiser_detail d;
  d.progress.who.id = "C";
  d.progress.progress = {24, 12, 0, 11, 1, 50.0, year_month::parse("2024-01")};
  d.eta = at(1'733'045'400);
  d.why = "running 2024-01";
  f.backfilling.push_back(d);
  auto screen = render_screen(f, {20, 60}, "q quits");
  auto lines = lines_of(screen);
  REQUIRE(lines.size() == 20);
  for (const auto& line : lines)
    CHECK(display_width(line) <= 60);
  CHECK(lines[0] == "cdpbatch node-a  2024-12-01 08:30:00 UTC  next tick in 1m00s");
  CHECK(screen.find("RUNNING (40)") != std::string::npos);
  CHECK(screen.find(" more") != std::string::npos);
  CHECK(screen.find("[##########----------]  12/24") != std::string::npos);
  CHECK(lines.back() == "q quits");

  auto whole = render_screen(f, {0, 200}, "");
  CHECK(whole.find("advertiser-with-a-long-name-39") != std::string::npos);
  CHECK(whole.find(" more") == std::string::npos);
  CHECK(whole.find("2024-12-01 09:30:00 (in 1h00m)  running 2024-01") != std::string::npos);
}

TEST_CASE("a watch frame as plain lines says one fact per line") {
  watch_frame f;
  f.status.node = "n";
  attempt_record failed;
  failed.advertiser_id = "D";
  failed.month = *year_month::parse("2024-11");
  failed.attempt = 2;
  failed.finished_at = at(1'733'041'800);
  failed.outcome = month_status::failed;
  failed.error_message = "boom";
  f.recent_failures.push_back(failed);
  auto text = render_lines(f);
  CHECK(text.rfind("status ", 0) == 0);
  CHECK(text.find("\nfailed D 2024-11 attempt 2 at 2024-12-01 08:30:00: boom\n") != std::string::npos);
}
