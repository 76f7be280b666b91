#include "api/connection_guard.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <optional>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace cdp::api {

namespace {

std::string peer_key(const std::string& addr, int port) {
  return addr + ":" + std::to_string(port);
}

/// The address and port of a socket's end (`peer` or local); nullopt for
/// what is not an IP socket.
std::optional<std::pair<std::string, int>> end_of(int fd, bool peer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  auto* sa = reinterpret_cast<sockaddr*>(&ss);
  if ((peer ? ::getpeername(fd, sa, &len) : ::getsockname(fd, sa, &len)) != 0)
    return std::nullopt;
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (ss.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &in->sin_addr, text.data(), text.size());
    return std::pair{std::string{text.data()}, static_cast<int>(ntohs(in->sin_port))};
  }
  if (ss.ss_family == AF_INET6) {
    auto* in = reinterpret_cast<sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &in->sin6_addr, text.data(), text.size());
    return std::pair{std::string{text.data()}, static_cast<int>(ntohs(in->sin6_port))};
  }
  return std::nullopt;
}

/// The socket inode behind `fd`, 0 when it is no socket.
unsigned long socket_inode(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
    return 0;
  return st.st_ino;
}

/// Every connected socket of this process on local `port`: inode -> fd, peer.
std::map<unsigned long, std::pair<int, std::string>> sockets_on(uint16_t port) {
  std::map<unsigned long, std::pair<int, std::string>> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator{"/proc/self/fd", ec}) {
    int fd = 0;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    auto inode = socket_inode(fd);
    if (inode == 0)
      continue;
    auto local = end_of(fd, false);
    if (!local || local->second != port)
      continue;
    // The listening socket has no peer.
    if (auto peer = end_of(fd, true))
      out[inode] = {fd, peer_key(peer->first, peer->second)};
  }
  return out;
}

/// Often enough that a connection is cut within a fifth of the timeout.
std::chrono::milliseconds scan_interval(std::chrono::milliseconds timeout) {
  return std::clamp(timeout / 5, std::chrono::milliseconds{20}, std::chrono::milliseconds{500});
}

} // namespace

connection_guard::connection_guard(uint16_t port, std::chrono::milliseconds request_timeout)
  : port_(port), timeout_(request_timeout), watcher_([this] { watch(); }) {
}

connection_guard::~connection_guard() {
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  wake_.notify_all();
  watcher_.join();
}

void connection_guard::serving(const std::string& addr, int port) {
  std::lock_guard lock{mutex_};
  busy_.insert(peer_key(addr, port));
}

void connection_guard::answered(const std::string& addr, int port) {
  std::lock_guard lock{mutex_};
  auto key = peer_key(addr, port);
  busy_.erase(key);
  // Timed afresh: the next request on this connection gets the whole timeout.
  auto now = std::chrono::steady_clock::now();
  for (auto& [inode, c] : open_)
    if (c.peer == key)
      c.since = now;
}

void connection_guard::end(const std::string& addr, int port) {
  // Now, not at the next scan: httplib would read the refused body as the
  // next request.
  auto key = peer_key(addr, port);
  for (const auto& [inode, found] : sockets_on(port_))
    if (found.second == key && socket_inode(found.first) == inode)
      ::shutdown(found.first, SHUT_RDWR);
}

void connection_guard::watch() {
  std::unique_lock lock{mutex_};
  while (!stopping_) {
    lock.unlock();
    auto now = std::chrono::steady_clock::now();
    auto seen = sockets_on(port_);
    lock.lock();
    int cut = 0;
    std::map<unsigned long, connection> still;
    for (const auto& [inode, found] : seen) {
      auto [fd, peer] = found;
      auto it = open_.find(inode);
      connection c = it == open_.end() ? connection{peer, now} : it->second;
      if (busy_.count(peer)) {
        c.since = now;
      } else if (!c.cut && now - c.since > timeout_ && socket_inode(fd) == inode) {
        // The inode check: the fd may have been closed and reused since the scan.
        ::shutdown(fd, SHUT_RDWR);
        c.cut = true;
        ++cut;
      }
      still[inode] = c;
    }
    open_ = std::move(still);
    if (cut > 0)
      spdlog::warn("api: closed {} connection(s) that sent no whole request within {}ms (slow or "
                   "stalled clients)",
                   cut, timeout_.count());
    wake_.wait_for(lock, scan_interval(timeout_), [this] { return stopping_; });
  }
}

} // namespace cdp::api
