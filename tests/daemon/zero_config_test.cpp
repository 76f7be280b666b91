// cdpbatchd with no configuration file, its default file, its version, and
// configured paths the OS refuses.
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include <httplib.h>

#include "daemon/daemon_fixture.hpp"

using namespace cdp;
using namespace cdp::test;
using namespace std::chrono_literals;

namespace {

/// cdpbatchd run in `cwd` by env(1), with XDG_STATE_HOME set to `state` or
/// unset when empty, and nothing else but `args`.
std::vector<std::string> in_folder(const std::filesystem::path& cwd, const std::string& state,
                                   std::vector<std::string> args) {
  std::vector<std::string> a{"/usr/bin/env", "-C", cwd.string()};
  if (state.empty())
    a.push_back("-u");
  a.push_back(state.empty() ? "XDG_STATE_HOME" : "XDG_STATE_HOME=" + state);
  a.push_back(program("cdpbatchd"));
  a.insert(a.end(), args.begin(), args.end());
  return a;
}

/// Port 0 in place of 8080 and 4242, so this test never fights another
/// daemon for them: the only keys set.
const std::vector<std::string> own_ports{"--set", "http.listen=127.0.0.1:0", "--set",
                                         "admin.listen=127.0.0.1:0"};

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in{p};
  return {std::istreambuf_iterator<char>{in}, {}};
}

} // namespace

TEST_CASE_METHOD(daemon_fixture, "cdpbatchd without a configuration file runs on the built-in defaults and says where its store is") {
  auto cwd = dir / "empty";
  std::filesystem::create_directories(cwd);
  {
    process check{in_folder(cwd, "", {"--check-config"}), dir / "check.log"};
    REQUIRE(check.wait(10s) == 0);
    auto out = check.output();
    CHECK(out.find("built-in defaults: no configuration file") != std::string::npos);
    CHECK(out.find("http.listen = '127.0.0.1:8080'") != std::string::npos);
    CHECK(out.find("admin.listen = '127.0.0.1:4242'") != std::string::npos);
    CHECK(out.find("store.url = 'sqlite://var/cdpbatch.db'") != std::string::npos);
  }
  process daemon{in_folder(cwd, "", own_ports), dir / "out.log"};
  REQUIRE(eventually([&] { return logged_port(daemon, "http://") > 0; }));
  auto line = "running on built-in defaults, store sqlite://" + (cwd / "var/cdpbatch.db").string();
  CHECK(daemon.output().find(line) != std::string::npos);
  CHECK(std::filesystem::exists(cwd / "var/cdpbatch.db"));
  CHECK(std::filesystem::exists(cwd / "var/log/cdpbatchd.log"));
  httplib::Client api{"127.0.0.1", logged_port(daemon, "http://")};
  auto status = api.Get("/api/v2/batch/status");
  REQUIRE(status);
  CHECK(status->status == 200);
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(15s) == 0);
}

TEST_CASE_METHOD(daemon_fixture, "cdpbatchd without a configuration file keeps its state under XDG_STATE_HOME when that is set") {
  auto cwd = dir / "empty";
  auto state = dir / "state";
  std::filesystem::create_directories(cwd);
  process daemon{in_folder(cwd, state.string(), own_ports), dir / "out.log"};
  REQUIRE(eventually([&] { return logged_port(daemon, "http://") > 0; }));
  CHECK(daemon.output().find("store sqlite://" + (state / "cdpbatch/cdpbatch.db").string())
        != std::string::npos);
  CHECK(std::filesystem::exists(state / "cdpbatch/cdpbatch.db"));
  CHECK(std::filesystem::exists(state / "cdpbatch/cdpbatchd.log"));
  CHECK_FALSE(std::filesystem::exists(cwd / "var"));
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(15s) == 0);
}

TEST_CASE_METHOD(daemon_fixture, "cdpbatchd --print-default-config writes config.toml, a file that loads to the defaults") {
  process print{{program("cdpbatchd"), "--print-default-config"}, dir / "default.toml"};
  REQUIRE(print.wait(10s) == 0);
  CHECK(print.output() == read_file(std::string{CDP_SOURCE_DIR} + "/config.toml"));
  process check{{program("cdpbatchd"), "--check-config", "-c", (dir / "default.toml").string()},
                dir / "check.log"};
  REQUIRE(check.wait(10s) == 0);
  process defaults{in_folder(dir, "", {"--check-config"}), dir / "defaults.log"};
  REQUIRE(defaults.wait(10s) == 0);
  auto body = [](const std::string& out) { return out.substr(out.find('\n')); };
  CHECK(body(check.output()) == body(defaults.output()));
}

TEST_CASE_METHOD(daemon_fixture, "cdpbatchd --version and cdpctl --version name the release, the commit and the schema versions") {
  std::regex line{R"((cdpbatchd|cdpctl) \d+\.\d+\.\d+ \(commit ([0-9a-f]{12}(-dirty)?|unknown), schema: SQLite \d+, PostgreSQL \d+\)\n)"};
  for (auto name : {"cdpbatchd", "cdpctl"}) {
    process v{{program(name), "--version"}, dir / (std::string{name} + ".version")};
    REQUIRE(v.wait(10s) == 0);
    INFO(v.output());
    CHECK(std::regex_match(v.output(), line));
  }
  // Built from a checkout, the commit is its HEAD.
  process head{{"/usr/bin/git", "-C", CDP_SOURCE_DIR, "rev-parse", "--short=12", "HEAD"},
               dir / "head"};
  if (head.wait(10s) == 0) {
    process v{{program("cdpbatchd"), "--version"}, dir / "again.version"};
    REQUIRE(v.wait(10s) == 0);
    CHECK(v.output().find("commit " + head.output().substr(0, 12)) != std::string::npos);
  }
}

TEST_CASE_METHOD(daemon_fixture, "a configured path the OS refuses stops --check-config and a start with status 2, naming the key") {
  std::filesystem::create_directories(dir / "a-folder");
  std::ofstream{dir / "a-file"} << "x";
  auto too_long = "/tmp/" + std::string(5000, 'p');
  auto long_part = "/tmp/" + std::string(300, 'p') + "/x";
  struct refused {
    std::string set;
    std::string key;
    std::string why;
  };
  const refused cases[] = {
    {"store.url=sqlite://" + too_long, "store.url", "bytes long"},
    {"store.url=sqlite://" + long_part, "store.url", "a part of 300 bytes"},
    {"store.url=sqlite://" + (dir / "a-folder").string(), "store.url", "is a folder"},
    {"store.url=sqlite://" + (dir / "a-file/x.db").string(), "store.url", "is not a folder"},
    {"log.file=" + (dir / "a-folder").string(), "log.file", "is a folder"},
    {"log.file=" + too_long, "log.file", "bytes long"},
    {"admin.tls.ca=" + (dir / "missing.pem").string(), "admin.tls.ca", "no such file"},
    {"admin.tls.cert=" + long_part, "admin.tls.cert", "a part of 300 bytes"},
    {"schedule.timezone=" + std::string(5000, 'z'), "schedule.timezone", "unknown time zone"},
    {"schedule.tick_interval=106751991167d", "schedule.tick_interval", "at most"},
  };
  for (const auto& c : cases) {
    INFO(c.set.substr(0, 120));
    for (bool check_only : {true, false}) {
      auto args = argv({"--set", c.set});
      if (check_only)
        args.push_back("--check-config");
      process d{args, dir / "refused.log"};
      REQUIRE(d.wait(10s) == 2);
      auto out = d.output();
      INFO(out.substr(0, 400));
      CHECK(out.find("config error") != std::string::npos);
      CHECK(out.find(c.key + ": ") != std::string::npos);
      CHECK(out.find(c.why) != std::string::npos);
    }
  }
  CHECK_FALSE(std::filesystem::exists(dir / "cdpbatch.db"));
  for (const auto& file : {too_long, (dir / "a-folder").string(), (dir / "missing.toml").string()}) {
    process d{{program("cdpbatchd"), "--check-config", "-c", file}, dir / "refused.log"};
    REQUIRE(d.wait(10s) == 2);
    CHECK(d.output().find("cannot read the configuration file: ") != std::string::npos);
  }
}
