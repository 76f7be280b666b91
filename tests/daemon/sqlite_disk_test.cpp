// SQLite on a full and on a read-only disk: cdpbatchd runs in a private
// mount namespace (unshare, no real root needed) on a small tmpfs the test
// fills, frees and remounts read-only. The daemon says which database
// failed and why, backs off instead of spinning, keeps what was committed
// and resumes once the disk takes writes again. Without unshare the test
// says so and is skipped.
#include <fstream>
#include <regex>

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "cdpctl/run_program.hpp"
#include "daemon/api_daemon.hpp"

using namespace cdp;
using namespace cdp::test;
using namespace std::chrono_literals;

namespace {

const std::string v2 = "/api/v2/batch";

// Mounts the tmpfs and runs the daemon on it until SIGTERM. A file system
// cannot be remounted read-only while the daemon writes to it, so then it
// remounts the store read-only and starts the daemon there for a few
// seconds (its output and exit code in ro.out and ro.code), remounts it writable and runs the daemon again until the next
// SIGTERM. Afterwards it sleeps, keeping the namespace (and its files) open
// for a last look.
const char* const namespace_script = R"(store="$1"; shift
mount -t tmpfs -o size=16m tmpfs "$store" || exit 97
run() {
  "$@" &
  pid=$!
  trap 'kill -TERM $pid' TERM
  while kill -0 $pid 2>/dev/null; do wait $pid; done
}
run "$@"
mount -o remount,ro "$store" || exit 98
timeout -s KILL 4 "$@" > "$store/../ro.out" 2>&1
echo $? > "$store/../ro.code"
mount -o remount,rw "$store" || exit 99
run "$@"
exec sleep 60
)";

bool unshare_works(const std::filesystem::path& scratch) {
  auto r = run_program({"/usr/bin/unshare", "--user", "--map-root-user", "--mount", "/bin/sh", "-c",
                        "mount -t tmpfs -o size=1m tmpfs " + scratch.string()},
                       scratch, {}, 10s);
  return r.code == 0;
}

/// CPU time (user + system) of a process, in clock ticks.
int64_t cpu_ticks(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text{std::istreambuf_iterator<char>{in}, {}};
  auto after = text.substr(text.rfind(')') + 2);
  std::istringstream fields{after};
  std::string skip;
  for (int i = 0; i < 11; ++i)
    fields >> skip;
  int64_t user = 0, sys = 0;
  fields >> user >> sys;
  return user + sys;
}

/// The children of a process.
std::vector<pid_t> children_of(pid_t parent) {
  std::ifstream in{"/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent)
                   + "/children"};
  std::vector<pid_t> out;
  for (pid_t child = 0; in >> child;)
    out.push_back(child);
  return out;
}

/// The daemon: the namespace shell's child.
pid_t child_of(pid_t parent) {
  auto all = children_of(parent);
  return all.empty() ? 0 : all.front();
}

/// A process and everything it started: an orphaned daemon would keep the
/// namespace and its tmpfs alive, writing its log.
void kill_tree(pid_t pid) {
  for (auto child : children_of(pid))
    kill_tree(child);
  ::kill(pid, SIGKILL);
}

/// PRAGMA integrity_check of the database in `folder` (seen through
/// /proc/PID/root, which SQLite would resolve to this namespace's view, so
/// it checks a copy made while nothing commits).
std::string integrity(const std::filesystem::path& folder, const std::filesystem::path& scratch) {
  auto copy = scratch / "check";
  std::filesystem::remove_all(copy);
  std::filesystem::create_directories(copy);
  for (const auto* name : {"cdpbatch.db", "cdpbatch.db-wal"})
    if (std::filesystem::exists(folder / name))
      std::filesystem::copy_file(folder / name, copy / name);
  auto path = (copy / "cdpbatch.db").string();
  sqlite3* db = nullptr;
  std::string out = "cannot open";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK
        && sqlite3_step(st) == SQLITE_ROW)
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    else
      out = sqlite3_errmsg(db);
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

struct disk_daemon {
  temp_folder dir;
  std::filesystem::path store;
  std::unique_ptr<process> shell;
  std::unique_ptr<httplib::Client> http;

  disk_daemon() {
    dir.path = std::filesystem::temp_directory_path()
               / ("cdpbatchd-disk-" + std::to_string(::getpid()));
    store = dir.path / "store";
    std::filesystem::create_directories(store);
    std::ofstream{dir.path / "ns.sh"} << namespace_script;
  }

  ~disk_daemon() {
    if (shell && !shell->wait(std::chrono::milliseconds{0}))
      kill_tree(shell->pid());
  }

  /// The REST port the daemon said it listens on, the `nth` time (from 1).
  int rest_port(int nth) const {
    static const std::regex listening{R"(REST API listening on http://127\.0\.0\.1:(\d+)/)"};
    auto out = shell->output();
    int seen = 0;
    for (auto it = std::sregex_iterator{out.begin(), out.end(), listening};
         it != std::sregex_iterator{}; ++it)
      if (++seen == nth)
        return std::stoi((*it)[1]);
    return 0;
  }

  void connect(int nth) {
    int port = 0;
    auto up = poll_until([&] { return (port = rest_port(nth)) > 0; }, 30s);
    INFO(shell->output());
    REQUIRE(up);
    http = std::make_unique<httplib::Client>("127.0.0.1", port);
    http->set_read_timeout(std::chrono::seconds{15});
  }

  void start() {
    std::vector<std::string> argv{"/usr/bin/unshare", "--user", "--map-root-user", "--mount",
                                  "/bin/sh", (dir.path / "ns.sh").string(), store.string(),
                                  program("cdpbatchd"),
                                  "--config", std::string{CDP_SOURCE_DIR} + "/config.toml",
                                  "--set", "store.url=sqlite://" + (store / "cdpbatch.db").string(),
                                  "--set", "log.file=" + (dir.path / "cdpbatchd.log").string(),
                                  "--set", "schedule.current_month=2024-12",
                                  "--set", "schedule.tick_interval=100ms",
                                  "--set", "job.kind=simulated",
                                  "--set", "job.simulated.latency=5ms",
                                  "--set", "retry.backoff_base=100ms",
                                  "--set", "http.listen=127.0.0.1:0",
                                  "--set", "admin.listen=127.0.0.1:0"};
    shell = std::make_unique<process>(argv, dir.path / "out.log");
    connect(1);
  }

  /// The store's folder as the daemon sees it (on its tmpfs).
  std::filesystem::path inside() const {
    return std::filesystem::path{"/proc/" + std::to_string(shell->pid()) + "/root"}
           / store.relative_path();
  }

  int post(const std::string& path, const std::string& body) {
    auto r = http->Post((v2 + path).c_str(), body, "application/json");
    return r ? r->status : 0;
  }

  json get(const std::string& path) {
    auto r = http->Get((v2 + path).c_str());
    REQUIRE(r);
    return json::parse(r->body, nullptr, false);
  }

  /// Attempts recorded for one advertiser's current month so far.
  size_t attempts(const std::string& id) {
    auto a = get("/advertisers/" + id + "/months/2024-12/attempts");
    return a.is_array() ? a.size() : 0;
  }

  size_t log_lines_with(const std::string& text) const {
    std::ifstream in{dir.path / "out.log"};
    size_t n = 0;
    for (std::string line; std::getline(in, line);)
      n += line.find(text) != std::string::npos;
    return n;
  }
};

/// Fills the file system holding `folder` up to its last byte.
void fill(const std::filesystem::path& folder) {
  std::ofstream out{folder / "filler", std::ios::binary};
  const std::string block(64 * 1024, 'x');
  while (out.write(block.data(), static_cast<std::streamsize>(block.size())))
    out.flush();
}

} // namespace

TEST_CASE("SQLite on a full disk: a clear error naming the database, backoff, nothing lost, and it resumes when space returns, and on a read-only disk it waits, saying so, and resumes once writable") {
  disk_daemon d;
  if (!unshare_works(d.store)) {
    WARN("SKIPPED: 'unshare --user --map-root-user --mount' is not permitted here, so no small "
         "file system can be mounted for this test");
    return;
  }
  d.start();
  auto db_path = (d.store / "cdpbatch.db").string();
  for (int i = 0; i < 10; ++i)
    REQUIRE(d.post("/advertisers", R"({"advertiserId":"E)" + std::to_string(i)
                                     + R"(","name":"e","type":"EXISTING"})")
            == 201);
  REQUIRE(d.post("/advertisers", R"({"advertiserId":"C","name":"c","type":"NEW"})") == 201);
  REQUIRE(poll_until([&] { return d.get("/advertisers/C")["backfillCompleted"] == true; }, 20s));
  auto months_of_c = d.get("/advertisers/C/processing-states");
  REQUIRE(months_of_c.size() == 24);
  auto daemon = child_of(d.shell->pid());
  REQUIRE(daemon > 0);

  {  // full
    fill(d.inside());
    // The advertisers refresh their month every tick: soon a commit needs a
    // page the disk does not have.
    const std::string full = "sqlite " + db_path + ": database or disk is full while COMMIT (free "
                             "space on its disk; cdpbatchd retries until a write succeeds)";
    REQUIRE(poll_until([&] { return d.log_lines_with(full) > 0; }, 15s));
    // The advertiser whose step failed says when it tries again, once the
    // failure reached it: a line of its own, a moment after the store's.
    CHECK(poll_until([&] { return d.log_lines_with("trying again in") > 0; }, 10s));
    // The store still answers reads; health says that writes do not go through.
    json health;
    CHECK(poll_until([&] { return (health = d.get("/health"))["status"] == "DOWN"; }, 10s));
    INFO(health.dump());
    CHECK(health["components"]["store"]["status"] == "UP");
    CHECK(health["components"]["writes"]["status"] == "DOWN");
    CHECK(health["components"]["writes"]["detail"].get<std::string>().find(
            "database or disk is full") != std::string::npos);
    // Backing off, not spinning.
    auto ticks = cpu_ticks(daemon);
    std::this_thread::sleep_for(2s);
    auto busy = static_cast<double>(cpu_ticks(daemon) - ticks) / ::sysconf(_SC_CLK_TCK) / 2.0;
    INFO("CPU while the disk is full: " << busy * 100 << "% of a core");
    CHECK(busy < 0.5);
    CHECK(d.shell->wait(0ms) == std::nullopt);
    CHECK(child_of(d.shell->pid()) == daemon);
    // A new advertiser cannot be stored: refused as unavailable, not half-made.
    auto refused = d.post("/advertisers", R"({"advertiserId":"F","name":"f","type":"NEW"})");
    CHECK((refused == 503 || refused == 201));
    CHECK(integrity(d.inside(), d.dir.path) == "ok");

    std::filesystem::remove(d.inside() / "filler");
    auto before = d.attempts("E0");
    CHECK(poll_until([&] { return d.attempts("E0") > before + 2; }, 40s));
    CHECK(poll_until([&] { return d.get("/health")["status"] == "UP"; }, 10s));
    CHECK(poll_until([&] { return d.post("/advertisers", R"({"advertiserId":"G","name":"g","type":"EXISTING"})") == 201; }, 10s));
  }
  {  // read-only: stopped, remounted read-only and started there
    d.shell->signal(SIGTERM);
    auto code_file = d.dir.path / "ro.code";
    REQUIRE(poll_until([&] { return std::filesystem::exists(code_file)
                                    && std::filesystem::file_size(code_file) > 0; }, 40s));
    auto ro_out = slurp(d.dir.path / "ro.out");
    INFO(ro_out);
    // It waits for a writable store, saying why and backing off, until killed.
    CHECK(slurp(code_file) == std::to_string(128 + SIGKILL) + "\n");
    CHECK(ro_out.find("store unreachable: sqlite " + db_path + ": ") != std::string::npos);
    CHECK(ro_out.find("the file system holding it is read-only") != std::string::npos);
    CHECK(ro_out.find("retrying in 2s") != std::string::npos);
    // Writable again, it starts and resumes where it stopped.
    d.connect(2);
    daemon = child_of(d.shell->pid());
    auto before = d.attempts("E1");
    CHECK(poll_until([&] { return d.attempts("E1") > before + 2; }, 40s));
  }
  // What was committed before either stays as it was (the current month,
  // 2024-12, runs again on every tick).
  auto now_c = d.get("/advertisers/C/processing-states");
  REQUIRE(now_c.size() == 24);
  for (size_t i = 0; i < 23; ++i) {
    INFO(now_c[i].dump());
    CHECK(now_c[i]["status"] == "COMPLETED");
    CHECK(now_c[i]["processingMonth"] == months_of_c[i]["processingMonth"]);
    CHECK(now_c[i]["completedAt"] == months_of_c[i]["completedAt"]);
  }
  CHECK(d.get("/status")["lifecycles"]["DEACTIVATED"] == 0);
  CHECK(integrity(d.inside(), d.dir.path) == "ok");
  d.shell->signal(SIGTERM);
  CHECK(poll_until([&] { return child_of(d.shell->pid()) != daemon; }, 20s));
  CHECK(integrity(d.inside(), d.dir.path) == "ok");
}
