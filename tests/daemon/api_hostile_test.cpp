// The REST port under hostile input, against a real cdpbatchd over real
// sockets: oversized bodies, slow clients, ids made to escape a path or a
// query, and a thousand connections at once. Each answer is a 4xx/503 or a
// closed connection, the store is unchanged, memory stays bounded and the
// daemon keeps serving.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>

#include <sys/resource.h>

#include "daemon/api_daemon.hpp"
#include "daemon/raw_http.hpp"

using namespace cdp;
using namespace cdp::test;
using namespace std::chrono_literals;

namespace {

const std::string v2 = "/api/v2/batch";

/// A daemon with advertisers A (EXISTING) and C (NEW) on SQLite.
struct hostile_fixture {
  api_daemon d;
  explicit hostile_fixture(std::vector<std::string> sets = {}) : d("sqlite", std::move(sets)) {
    REQUIRE(d.post(v2 + "/advertisers", R"({"advertiserId":"A","name":"A","type":"EXISTING"})").status
            == 201);
    REQUIRE(d.post(v2 + "/advertisers", R"({"advertiserId":"C","name":"C","type":"NEW"})").status
            == 201);
    // At rest, so a dump changes only when a request changed something.
    for (const auto* id : {"A", "C"})
      REQUIRE(d.post(v2 + "/advertisers/" + id + "/deactivate", R"({"reason":"at rest"})").status
              == 200);
    REQUIRE(d.eventually([&] { return d.get(v2 + "/running-jobs").doc == json::array(); }));
  }
};

/// A field of /proc/<pid>/status ("VmRSS", "Threads") as its number (kB for sizes).
int64_t proc_status(pid_t pid, const std::string& field) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0)
      return std::stoll(line.substr(field.size() + 1));
  return -1;
}

std::chrono::milliseconds since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t);
}

std::string post_head(const std::string& path, const std::string& framing) {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         + framing + "\r\n";
}

} // namespace

TEST_CASE("REST hostile: a body over the limit gets 413 before it is read, declared or chunked, and changes nothing") {
  hostile_fixture f;
  auto& d = f.d;
  auto before = d.dump();

  // A gigabyte announced: the answer cannot wait for it.
  raw_http declared{d.port()};
  REQUIRE(declared.ok());
  auto started = std::chrono::steady_clock::now();
  REQUIRE(declared.send(post_head(v2 + "/advertisers", "Content-Length: 1073741824\r\n")));
  auto line = declared.status_line(3s);
  CHECK(line == "HTTP/1.1 413 Payload Too Large");
  CHECK(since(started) < 1s);
  auto text = declared.read(1s, [](const std::string& s) { return s.find("}") != std::string::npos; });
  CHECK(text.find(R"("error":"payload_too_large")") != std::string::npos);
  // The rest of that body is never read: the connection ends.
  CHECK(declared.closed_within(2s));

  // Chunked, past the limit and never finished: refused once past the
  // limit. (The last chunk stops short of its line end, so nothing sent is
  // left unread: unread bytes would make the close a reset that can swallow
  // the answer.)
  raw_http chunked{d.port()};
  REQUIRE(chunked.ok());
  started = std::chrono::steady_clock::now();
  REQUIRE(chunked.send(post_head(v2 + "/advertisers", "Transfer-Encoding: chunked\r\n")));
  const std::string chunk = "1000\r\n" + std::string(4096, ' ');
  for (int i = 0; i < 16; ++i)
    REQUIRE(chunked.send(chunk + "\r\n"));
  REQUIRE(chunked.send(chunk));
  CHECK(chunked.status_line(3s) == "HTTP/1.1 413 Payload Too Large");
  CHECK(since(started) < 1500ms);
  CHECK(chunked.closed_within(2s));

  // A chunked body within the limit is read and served as any other.
  raw_http small{d.port()};
  REQUIRE(small.ok());
  std::string body = R"({"advertiserId":"D","name":"D","type":"EXISTING"})";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  REQUIRE(small.send(post_head(v2 + "/advertisers", "Transfer-Encoding: chunked\r\n") + size + "\r\n"
                     + body + "\r\n0\r\n\r\n"));
  CHECK(small.status_line(3s) == "HTTP/1.1 201 Created");

  auto after = d.dump();
  CHECK(after != before);
  CHECK(d.db().get_advertiser("D"));
  CHECK_FALSE(d.db().get_advertiser(""));
  CHECK(d.get(v2 + "/status").status == 200);
}

TEST_CASE("REST hostile: what is not HTTP, and a head over 64 KiB, get a JSON 400 or 431 and the end of the connection") {
  hostile_fixture f;
  auto& d = f.d;
  auto before = d.dump();
  const std::vector<std::pair<std::string, std::string>> cases{
    {"GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request"},
    {std::string{"\x00\x01\x02\r\n\r\n", 7}, "HTTP/1.1 400 Bad Request"},
    {"POST " + v2 + "/advertisers HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nContent-Length: 13\r\n\r\n",
     "HTTP/1.1 400 Bad Request"},
    {"GET " + v2 + "/status HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n",
     "HTTP/1.1 431 Request Header Fields Too Large"}};
  for (const auto& [raw, status] : cases) {
    INFO(status << " for " << raw.substr(0, 60));
    raw_http peer{d.port()};
    REQUIRE(peer.ok());
    peer.send(raw);
    auto text = peer.read(3s, [](const std::string& s) { return s.find('}') != std::string::npos; });
    CHECK(text.rfind(status, 0) == 0);
    CHECK(text.find(R"("detail":")") != std::string::npos);
    CHECK(peer.closed_within(3s));
  }
  CHECK(d.dump() == before);
  CHECK(d.get(v2 + "/status").status == 200);
}

TEST_CASE("REST hostile: slow clients are cut off by the request timeout and do not keep others from being served") {
  hostile_fixture f{{"--set", "http.request_timeout=1s"}};
  auto& d = f.d;
  constexpr int slow_clients = 50;
  std::vector<std::unique_ptr<raw_http>> slow;
  for (int i = 0; i < slow_clients; ++i) {
    slow.push_back(std::make_unique<raw_http>(d.port()));
    REQUIRE(slow.back()->ok());
  }
  // One byte of the headers each 100 ms: well inside any per-read timeout.
  const std::string request = "GET " + v2 + "/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
                              + std::string(200, 'z');
  auto started = std::chrono::steady_clock::now();
  std::atomic<bool> served_fast{false};
  std::atomic<int64_t> normal_ms{-1};
  std::thread normal{[&] {
    std::this_thread::sleep_for(300ms);
    httplib::Client client{"127.0.0.1", d.port()};
    client.set_read_timeout(std::chrono::seconds{5});
    auto asked = std::chrono::steady_clock::now();
    auto r = client.Get((v2 + "/status").c_str());
    normal_ms = since(asked).count();
    served_fast = r && r->status == 200;
  }};
  std::vector<std::chrono::milliseconds> cut_after(slow_clients, -1ms);
  for (size_t byte = 0; byte < request.size() && since(started) < 3s; ++byte) {
    for (int i = 0; i < slow_clients; ++i)
      if (cut_after[i] < 0ms && !slow[i]->send(request.substr(byte, 1)))
        cut_after[i] = since(started);
    std::this_thread::sleep_for(100ms);
  }
  normal.join();
  INFO("a normal request took " << normal_ms << "ms");
  CHECK(served_fast);
  CHECK(normal_ms < 1000);
  // Each slow client was cut off (a refused byte, or the end of the stream).
  for (int i = 0; i < slow_clients; ++i) {
    INFO("slow client " << i);
    CHECK((cut_after[i] >= 0ms || slow[i]->closed_within(1s)));
    if (cut_after[i] >= 0ms)
      CHECK(cut_after[i] < 2500ms);
  }
  CHECK(d.daemon().wait(0ms) == std::nullopt);
  CHECK(d.get(v2 + "/status").status == 200);
}

TEST_CASE("REST hostile: ids built for path traversal or SQL injection get 400/404 and the store is unchanged") {
  hostile_fixture f;
  auto& d = f.d;
  auto before = d.dump();
  const std::vector<std::string> ids{
    "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%2e%2e", "..",
    "1;DROP%20TABLE%20advertisers", "1%3BDROP%20TABLE%20advertisers", "'%20OR%201=1%20--",
    "%27%20OR%20%271%27=%271", "A%00", "%00", "A%27--", "A%22", "%25", "A%2FB",
    std::string(300, 'x'), std::string(7000, 'y')};
  for (const auto& id : ids) {
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/advertisers/" + id},
           {"GET", "/advertisers/" + id + "/backfill-progress"},
           {"GET", "/advertisers/" + id + "/processing-states"},
           {"GET", "/advertisers/" + id + "/months/2024-12/attempts"},
           {"GET", "/advertisers/A/months/" + id + "/attempts"},
           {"POST", "/advertisers/" + id + "/trigger"},
           {"POST", "/advertisers/" + id + "/deactivate"},
           {"POST", "/advertisers/" + id + "/activate"},
           {"POST", "/advertisers/" + id + "/retry/2024-12"},
           {"POST", "/advertisers/A/retry/" + id},
           {"GET", "/advertisers?lifecycle=" + id}}) {
      auto a = d.request(method, v2 + path);
      INFO(method << " " << path.substr(0, 120) << " -> " << a.status << " " << a.body.substr(0, 200));
      CHECK((a.status == 400 || a.status == 404));
      CHECK(a.doc.is_object());
      CHECK(a.doc.contains("error"));
    }
    // Unescaped, the same id as a JSON field of a create.
    std::string raw = httplib::detail::decode_url(id, false);
    auto created = d.post(v2 + "/advertisers",
                          json{{"advertiserId", raw}, {"name", raw}, {"type", "NEW"}}.dump());
    INFO("create " << raw.substr(0, 80) << " -> " << created.status << " " << created.body);
    CHECK(created.status == 400);
  }
  // A path the server refuses to read at all is a 4xx too.
  raw_http huge{d.port()};
  REQUIRE(huge.ok());
  REQUIRE(huge.send("GET " + v2 + "/advertisers/" + std::string(20000, 'z') + " HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto line = huge.status_line(3s);
  CHECK(line.rfind("HTTP/1.1 4", 0) == 0);
  CHECK(d.dump() == before);
  CHECK(d.get(v2 + "/advertisers/A").status == 200);
}

TEST_CASE("REST hostile: 1,000 connections at once get answers or clean refusals, memory stays bounded and the daemon serves on") {
  // The test and the daemon (its child) each hold a thousand sockets.
  rlimit files{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &files) == 0);
  if (files.rlim_cur < 4096 && files.rlim_max > files.rlim_cur) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, 4096);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &files) == 0);
  }
  REQUIRE(files.rlim_cur >= 2100);
  hostile_fixture f;
  auto& d = f.d;
  auto pid = d.daemon().pid();
  for (int i = 0; i < 20; ++i)
    REQUIRE(d.get(v2 + "/status").status == 200);
  auto rss_before = proc_status(pid, "VmRSS");
  auto threads_before = proc_status(pid, "Threads");
  REQUIRE(rss_before > 0);

  constexpr int connections = 1000;
  auto started = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<raw_http>> peers;
  for (int i = 0; i < connections; ++i)
    peers.push_back(std::make_unique<raw_http>(d.port()));
  const std::string request = "GET " + v2 + "/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  for (auto& p : peers)
    if (p->ok())
      p->send(request);
  int answered = 0, refused = 0, closed = 0, hung = 0, unconnected = 0;
  for (auto& p : peers) {
    if (!p->ok()) {
      ++unconnected;
      continue;
    }
    auto left = std::max(10s - since(started), 100ms);
    auto line = p->status_line(std::chrono::duration_cast<std::chrono::milliseconds>(left));
    if (line == "HTTP/1.1 200 OK")
      ++answered;
    else if (line.rfind("HTTP/1.1 503", 0) == 0)
      ++refused;
    else if (line.empty() && p->closed_within(0ms))
      ++closed;
    else
      ++hung;
    p.reset();  // done with it: the server may close its end
  }
  auto took = since(started);
  auto rss_after = proc_status(pid, "VmRSS");
  auto threads_after = proc_status(pid, "Threads");
  WARN(connections << " connections in " << took.count() << "ms: " << answered << " answered, "
                   << refused << " 503, " << closed << " closed, " << unconnected
                   << " not connected; VmRSS " << rss_before << " -> " << rss_after
                   << " kB, threads " << threads_before << " -> " << threads_after);
  CHECK(hung == 0);
  CHECK(answered + refused + closed + unconnected == connections);
  CHECK(answered >= connections / 2);
  CHECK(took < 12s);
  // Memory and threads stay bounded: no thread or buffer per connection beyond the pool's.
  CHECK(rss_after - rss_before < 64 * 1024);
  CHECK(threads_after <= threads_before + 4);
  CHECK(d.daemon().wait(0ms) == std::nullopt);
  auto asked = std::chrono::steady_clock::now();
  CHECK(d.get(v2 + "/status").status == 200);
  CHECK(since(asked) < 1s);
}
