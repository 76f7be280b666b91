#pragma once

// A PostgreSQL server of the test's own, for tests that restart or stop the
// server: the suite's shared one must stay up for the tests running beside.
// Postgres refuses to run as root, so as root it runs as the 'postgres'
// system user (as tools/pg_temp.sh does).

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

namespace cdp::test {

class scratch_postgres {
public:
  /// nullptr when no PostgreSQL is installed here.
  static std::unique_ptr<scratch_postgres> start() {
    auto bin = server_bin();
    if (bin.empty())
      return nullptr;
    std::unique_ptr<scratch_postgres> pg{new scratch_postgres};
    pg->bin_ = bin;
    char pattern[] = "/tmp/cdpbatch-scratch-pg.XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    pg->dir_ = pattern;
    std::filesystem::permissions(pg->dir_, std::filesystem::perms::all);
    auto dir = pg->dir_.string();
    REQUIRE(pg->run("initdb -D " + dir + "/data -U postgres -A trust --no-sync -E UTF8 > " + dir
                    + "/initdb.log 2>&1"));
    REQUIRE(pg->start_on_a_free_port());
    REQUIRE(pg->run("createdb -h 127.0.0.1 -p " + std::to_string(pg->port_)
                    + " -U postgres cdpbatch"));
    return pg;
  }
  scratch_postgres(const scratch_postgres&) = delete;
  scratch_postgres& operator=(const scratch_postgres&) = delete;
  ~scratch_postgres() {
    if (!dir_.empty()) {
      ctl("stop -m immediate");
      std::filesystem::remove_all(dir_);
    }
  }

  std::string url() const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/cdpbatch";
  }
  /// `pg_ctl restart -m immediate`: every connection is cut, nothing is
  /// flushed first (as a crash of the server would).
  bool restart_immediate() { return ctl("restart -m immediate"); }

private:
  scratch_postgres() = default;

  static std::string server_bin() {
    std::string best;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator{"/usr/lib/postgresql", ec})
      if (std::filesystem::exists(e.path() / "bin" / "pg_ctl")
          && (best.empty() || e.path().string() > best))
        best = (e.path() / "bin").string();
    return best;
  }

  /// Another process may take the port between the check and the server's
  /// bind: then the server is tried on another one.
  bool start_on_a_free_port() {
    auto log = dir_ / "server.log";
    for (int tries = 0; tries < 5; ++tries) {
      port_ = free_port();
      if (ctl("start"))
        return true;
      std::ifstream in{log};
      std::string said{std::istreambuf_iterator<char>{in}, {}};
      if (said.find("Address already in use") == std::string::npos) {
        UNSCOPED_INFO("the scratch PostgreSQL did not start:\n" << said);
        return false;
      }
      std::filesystem::remove(log);
    }
    return false;
  }

  /// Below the kernel's ephemeral range: a port there may be held by some
  /// client's outgoing connection, which a bind to port 0 would not avoid.
  static int free_port() {
    int low = 32768;
    std::ifstream{"/proc/sys/net/ipv4/ip_local_port_range"} >> low;
    if (low <= 20100)
      low = 60000;
    std::mt19937 random{std::random_device{}()};
    std::uniform_int_distribution<int> pick{20000, low - 1};
    for (;;) {
      int port = pick(random);
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bool taken = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      ::close(fd);
      if (!taken)
        return port;
    }
  }

  bool ctl(const std::string& what) {
    auto dir = dir_.string();
    return run("pg_ctl -D " + dir + "/data -l " + dir + "/server.log -w -o \"-c listen_addresses="
               + "127.0.0.1 -p " + std::to_string(port_) + " -k " + dir + "\" " + what
               + " > /dev/null");
  }

  bool run(const std::string& command) {
    if (::getuid() == 0) {
      // The first time as root: the folder becomes the postgres user's.
      if (!chowned_) {
        std::system(("chown postgres: " + dir_.string()).c_str());
        chowned_ = true;
      }
      return std::system(("runuser -u postgres -- sh -c '" + bin_ + "/" + command + "'").c_str())
             == 0;
    }
    return std::system((bin_ + "/" + command).c_str()) == 0;
  }

  std::string bin_;
  std::filesystem::path dir_;
  int port_ = 0;
  bool chowned_ = false;
};

} // namespace cdp::test
