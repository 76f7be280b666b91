#include "actors/admin_port.hpp"

#include <memory>
#include <type_traits>
#include <vector>

#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include "caf/io/basp/message_type.hpp"
#include "caf/io/basp_broker.hpp"
#include "caf/io/middleman.hpp"
#include "caf/io/network/default_multiplexer.hpp"
#include "caf/io/network/doorman_impl.hpp"
#include "caf/io/network/stream_impl.hpp"
#include "caf/openssl/session.hpp"
#include "caf/policy/tcp.hpp"

#include "actors/admin.hpp"
#include "actors/errors.hpp"

// CAF 0.17 offers no limit on what a BASP peer may announce, and no deadline
// for its handshake. So the admin port is published with our own doorman,
// whose connections are CAF's streams (plain or TLS) behind a scribe that
// checks both, handed to CAF's BASP broker exactly as io::publish and
// openssl::publish do.

namespace cdp {

namespace {

namespace net = caf::io::network;
using clock_type = std::chrono::steady_clock;

/// CAF's TLS stream policy (libcaf_openssl keeps its own private).
class tls_policy {
public:
  explicit tls_policy(caf::openssl::session_ptr session) : session_(std::move(session)) {}

  net::rw_state read_some(size_t& result, net::native_socket fd, void* buf, size_t len) {
    return session_->read_some(result, fd, buf, len);
  }
  net::rw_state write_some(size_t& result, net::native_socket fd, const void* buf, size_t len) {
    return session_->write_some(result, fd, buf, len);
  }
  bool must_read_more(net::native_socket fd, size_t threshold) {
    return session_->must_read_more(fd, threshold);
  }

private:
  caf::openssl::session_ptr session_;
};

/// What the doorman's sweep needs of a connection, whatever its stream.
class guarded_connection : public caf::io::scribe {
public:
  using scribe::scribe;

  virtual bool handshake_done() const = 0;
  virtual bool closed() const = 0;
  virtual void drop(const std::string& why) = 0;
  virtual clock_type::time_point accepted_at() const = 0;
};

template <class Policy>
class guarded_scribe final : public guarded_connection {
public:
  template <class... Ts>
  guarded_scribe(net::default_multiplexer& mx, net::native_socket fd, uint32_t frame_limit,
                 Ts&&... policy)
    : guarded_connection(net::conn_hdl_from_socket(fd)),
      stream_(mx, fd, std::forward<Ts>(policy)...),
      frame_limit_(frame_limit),
      accepted_(clock_type::now()),
      peer_(describe_peer(fd)) {}

  ~guarded_scribe() override {
    // A refused TLS handshake ends here without a word from CAF.
    if (handshake_done() || dropped_)
      return;
    constexpr bool tls = std::is_same_v<Policy, tls_policy>;
    spdlog::log(tls ? spdlog::level::warn : spdlog::level::info,
                "admin: the connection from {} closed before its handshake finished{}", peer_,
                tls ? " (a console without a certificate signed by admin.tls.ca, or without TLS?)"
                    : "");
  }

  void configure_read(caf::io::receive_policy::config config) override {
    if (config.second > frame_limit_) {
      drop("it announced a frame of " + std::to_string(config.second) + " bytes (at most "
           + std::to_string(frame_limit_) + ")");
      // The read that follows sees the end of the stream: CAF closes the
      // connection its usual way, BASP state included.
      config = caf::io::receive_policy::exactly(1);
    }
    stream_.configure_read(config);
    if (!launched_) {
      launched_ = true;
      stream_.start(this);
    }
  }
  void ack_writes(bool enable) override { stream_.ack_writes(enable); }
  std::vector<char>& wr_buf() override { return stream_.wr_buf(); }
  std::vector<char>& rd_buf() override { return stream_.rd_buf(); }
  void graceful_shutdown() override {
    stream_.graceful_shutdown();
    detach(&stream_.backend(), false);
  }
  void flush() override { stream_.flush(this); }
  std::string addr() const override {
    auto x = net::remote_addr_of_fd(stream_.fd());
    return x ? *x : std::string{};
  }
  uint16_t port() const override {
    auto x = net::remote_port_of_fd(stream_.fd());
    return x ? *x : 0;
  }
  void add_to_loop() override { stream_.activate(this); }
  void remove_from_loop() override { stream_.passivate(); }

  /// The server's side of a BASP handshake: the first read is the client's
  /// handshake header, the second its payload. From then on CAF's heartbeat
  /// and connection timeout watch the peer.
  bool consume(caf::execution_unit* ctx, const void* buf, size_t size) override {
    if (reads_ == 0)
      client_hello_ = size > 0
                      && static_cast<const uint8_t*>(buf)[0]
                           == static_cast<uint8_t>(caf::io::basp::message_type::client_handshake);
    ++reads_;
    return scribe::consume(ctx, buf, size);
  }

  bool handshake_done() const override { return client_hello_ && reads_ >= 2; }
  bool closed() const override { return detached() || dropped_; }
  clock_type::time_point accepted_at() const override { return accepted_; }

  void drop(const std::string& why) override {
    if (dropped_)
      return;
    dropped_ = true;
    spdlog::warn("admin: dropped the connection from {}: {}", peer_, why);
    ::shutdown(stream_.fd(), SHUT_RDWR);
  }

private:
  static std::string describe_peer(net::native_socket fd) {
    auto host = net::remote_addr_of_fd(fd);
    auto port = net::remote_port_of_fd(fd);
    return (host ? *host : std::string{"?"}) + ":" + (port ? std::to_string(*port) : "?");
  }

  net::stream_impl<Policy> stream_;
  uint32_t frame_limit_;
  clock_type::time_point accepted_;
  std::string peer_;
  bool launched_ = false;
  bool dropped_ = false;
  bool client_hello_ = false;
  size_t reads_ = 0;
};

class guarded_doorman final : public net::doorman_impl {
public:
  guarded_doorman(net::default_multiplexer& mx, net::native_socket fd,
                  const admin_port_settings& settings)
    : doorman_impl(mx, fd), settings_(settings) {}

  bool new_connection() override {
    if (detached())
      return false;
    auto& mx = acceptor_.backend();
    auto fd = acceptor_.accepted_socket();
    net::nonblocking(fd, true);
    net::tcp_nodelay(fd, true);
    caf::intrusive_ptr<guarded_connection> conn;
    if (settings_.tls) {
      auto session = caf::openssl::make_session(parent()->system(), fd, true);
      if (!session) {
        auto host = net::remote_addr_of_fd(fd);
        spdlog::warn("admin: refused the connection from {}: its TLS handshake failed (no TLS, or "
                     "a certificate admin.tls.ca did not sign)",
                     host ? *host : std::string{"?"});
        net::close_socket(fd);
        return false;
      }
      conn = caf::make_counted<guarded_scribe<tls_policy>>(mx, fd, settings_.frame_limit,
                                                           std::move(session));
    } else {
      conn = caf::make_counted<guarded_scribe<caf::policy::tcp>>(mx, fd, settings_.frame_limit);
    }
    sweep();
    pending_.push_back(conn);
    auto hdl = conn->hdl();
    parent()->add_scribe(conn);
    return doorman::new_connection(&mx, hdl);
  }

  /// Drops connections past their handshake deadline and forgets those that
  /// finished it or closed. Runs in the multiplexer's thread only.
  void sweep() {
    auto deadline = clock_type::now() - settings_.handshake_timeout;
    std::erase_if(pending_, [&](const auto& conn) {
      if (conn->closed() || conn->handshake_done())
        return true;
      if (conn->accepted_at() > deadline)
        return false;
      conn->drop("no handshake within "
                 + std::to_string(settings_.handshake_timeout.count()) + "ms");
      return true;
    });
  }

private:
  admin_port_settings settings_;
  std::vector<caf::intrusive_ptr<guarded_connection>> pending_;
};

} // namespace

admin_guard_actor::behavior_type admin_guard(admin_guard_actor::stateful_pointer<admin_guard_state> self,
                                             const admin_actor& admin,
                                             std::chrono::milliseconds period,
                                             std::function<void()> sweep) {
  self->link_to(admin);
  self->state.period = period;
  self->state.sweep = std::move(sweep);
  self->delayed_send(self, period, tick_atom_v);
  return {
    [=](tick_atom) {
      self->state.sweep();
      self->delayed_send(self, self->state.period, tick_atom_v);
    },
  };
}

expected<uint16_t> publish_admin(caf::actor_system& sys, const admin_actor& admin,
                                 const admin_port_settings& settings) {
  auto where = settings.host + ":" + std::to_string(settings.port);
  auto& mx = static_cast<net::default_multiplexer&>(sys.middleman().backend());
  auto fd = net::new_tcp_acceptor_impl(settings.port, settings.host.c_str(), false);
  if (!fd)
    return failure{errc::invalid_argument,
                   "admin.listen: cannot listen on " + where + ": " + sys.render(fd.error())};
  auto doorman = caf::make_counted<guarded_doorman>(mx, *fd, settings);
  auto port = doorman->port();
  auto basp = sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  caf::anon_send(basp, caf::publish_atom::value, caf::io::doorman_ptr{doorman}, port,
                 caf::actor_cast<caf::strong_actor_ptr>(admin), sys.message_types(admin));
  auto period = std::max(settings.handshake_timeout / 4, std::chrono::milliseconds{10});
  sys.spawn(admin_guard, admin, period, [&mx, doorman] {
    mx.post([doorman] { doorman->sweep(); });
  });
  return port;
}

void admin_endpoint::stop() const {
  stop_admin(admin);
}

expected<admin_endpoint> open_admin_endpoint(caf::actor_system& sys, const operator_actor& operators,
                                             const config& cfg) {
  auto where = parse_listen_address(cfg.admin.listen);
  if (!where)
    return failure{errc::invalid_argument, "admin.listen: expected HOST:PORT, got '"
                                             + cfg.admin.listen + "'"};
  admin_settings settings;
  settings.operators = operators;
  auto admin = spawn_admin(sys, settings);
  admin_port_settings port;
  port.host = where->host;
  port.port = where->port;
  port.tls = !cfg.admin.tls_cert.empty();
  port.handshake_timeout = cfg.admin.connection_timeout;
  auto bound = publish_admin(sys, admin, port);
  if (!bound) {
    stop_admin(admin);
    return std::move(bound).error();
  }
  spdlog::info("admin: cdpctl endpoint on {}:{} ({})", where->host, *bound,
               port.tls ? "mutual TLS, CA " + cfg.admin.tls_ca : std::string{"plain, loopback only"});
  return admin_endpoint{admin, *bound};
}

} // namespace cdp
