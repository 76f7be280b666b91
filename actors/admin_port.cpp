#include "actors/admin_port.hpp"

#include <memory>
#include <type_traits>
#include <vector>

#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include "caf/binary_deserializer.hpp"
#include "caf/io/basp/header.hpp"
#include "caf/io/basp/message_type.hpp"
#include "caf/io/basp_broker.hpp"
#include "caf/io/middleman.hpp"
#include "caf/io/network/default_multiplexer.hpp"
#include "caf/io/network/doorman_impl.hpp"
#include "caf/io/network/stream_impl.hpp"
#include "caf/policy/tcp.hpp"

#include "actors/admin.hpp"
#include "actors/admin_peers.hpp"
#include "actors/admin_tls.hpp"
#include "actors/errors.hpp"

// CAF 0.17 offers no limit on what a BASP peer may announce, and no deadline
// for its handshake. So the admin port is published with our own doorman,
// whose connections are CAF's streams (plain, or our own TLS that knows the
// peer's certificate) behind a scribe that checks both and ties the node id
// a console announces to its certificate's subject, handed to CAF's BASP
// broker exactly as io::publish and openssl::publish do.

namespace cdp {

namespace {

namespace net = caf::io::network;
using clock_type = std::chrono::steady_clock;

/// CAF's stream policy over our TLS session (which the scribe shares, to
/// read the peer's subject).
class tls_policy {
public:
  explicit tls_policy(std::shared_ptr<admin_tls_session> session) : session_(std::move(session)) {}

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
  std::shared_ptr<admin_tls_session> session_;
};

namespace basp = caf::io::basp;

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
  /// `tls` is the session inside `policy` (null for a plain connection);
  /// `peers` learns its subject by node id.
  template <class... Ts>
  guarded_scribe(net::default_multiplexer& mx, net::native_socket fd, uint32_t frame_limit,
                 std::shared_ptr<admin_tls_session> tls, std::shared_ptr<admin_peers> peers,
                 Ts&&... policy)
    : guarded_connection(net::conn_hdl_from_socket(fd)),
      stream_(mx, fd, std::forward<Ts>(policy)...),
      frame_limit_(frame_limit),
      tls_(std::move(tls)),
      peers_(std::move(peers)),
      accepted_(clock_type::now()),
      peer_(describe_peer(fd)) {}

  ~guarded_scribe() override {
    if (recorded_)
      peers_->forget(node_);
    // A refused TLS handshake ends here without a word from CAF.
    if (handshake_done() || dropped_)
      return;
    auto why = tls_ && !tls_->refusal().empty() ? ": " + tls_->refusal() : std::string{};
    spdlog::log(tls_ ? spdlog::level::warn : spdlog::level::info,
                "admin: the connection from {} closed before its handshake finished{}{}", peer_,
                tls_ ? " (a console without a certificate signed by admin.tls.ca, or without TLS?)"
                     : "",
                why);
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
    auto refusal = check_frame(ctx, static_cast<const char*>(buf), size);
    if (!refusal.empty()) {
      // CAF never sees it; the read that follows sees the end of the stream.
      drop(refusal);
      return true;
    }
    return scribe::consume(ctx, buf, size);
  }

  /// Its client handshake's payload has been read and named a node.
  bool handshake_done() const override { return static_cast<bool>(node_); }
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
  /// Why this read must not reach CAF ("" when it may). The BASP broker
  /// reads a header, then its payload if it has one.
  std::string check_frame(caf::execution_unit* ctx, const char* bytes, size_t size) {
    if (!in_payload_) {
      basp::header hdr;
      caf::binary_deserializer source{ctx, bytes, size};
      if (size != basp::header_size || source(hdr))
        return {}; // CAF refuses it itself.
      // A routed message names its source node itself: it could speak as
      // another console's node. A console talks to the daemon directly.
      if (hdr.operation == basp::message_type::routed_message)
        return "it sent a routed message (consoles speak to the daemon directly)";
      in_payload_ = hdr.payload_len > 0;
      payload_of_ = hdr.operation;
      return {};
    }
    in_payload_ = false;
    if (payload_of_ == basp::message_type::client_handshake)
      return note_node(ctx, bytes, size);
    return {};
  }

  /// Ties the node id of a client handshake (CAF 0.17 writes the node id
  /// alone) to the TLS peer's subject, before CAF learns the node. CAF's
  /// console sends its handshake twice; both must name one node.
  std::string note_node(caf::execution_unit* ctx, const char* bytes, size_t size) {
    caf::node_id node;
    caf::binary_deserializer source{ctx, bytes, size};
    if (source(node) || !node)
      return "its client handshake names no node";
    if (node_)
      return node == node_ ? std::string{}
                           : "its handshake named node " + to_string(node_) + ", then "
                               + to_string(node);
    node_ = node;
    if (!tls_ || !peers_)
      return {};
    const auto& subject = tls_->peer_subject();
    if (!peers_->record(node, subject)) {
      auto other = peers_->subject_of(node);
      return "it announced node " + to_string(node) + " as '" + subject
             + "', but that node is connected as '" + (other ? *other : std::string{"?"}) + "'";
    }
    recorded_ = true;
    spdlog::info("admin: the console at {} is '{}'", peer_, subject);
    return {};
  }

  static std::string describe_peer(net::native_socket fd) {
    auto host = net::remote_addr_of_fd(fd);
    auto port = net::remote_port_of_fd(fd);
    return (host ? *host : std::string{"?"}) + ":" + (port ? std::to_string(*port) : "?");
  }

  net::stream_impl<Policy> stream_;
  uint32_t frame_limit_;
  std::shared_ptr<admin_tls_session> tls_;
  std::shared_ptr<admin_peers> peers_;
  /// The node of the first client handshake.
  caf::node_id node_;
  /// `node_` is in `peers_` with our subject.
  bool recorded_ = false;
  bool in_payload_ = false;
  basp::message_type payload_of_ = basp::message_type::heartbeat;
  clock_type::time_point accepted_;
  std::string peer_;
  bool launched_ = false;
  bool dropped_ = false;
};

class guarded_doorman final : public net::doorman_impl {
public:
  guarded_doorman(net::default_multiplexer& mx, net::native_socket fd,
                  const admin_port_settings& settings, std::shared_ptr<admin_tls_context> tls)
    : doorman_impl(mx, fd), settings_(settings), tls_(std::move(tls)) {}

  bool new_connection() override {
    if (detached())
      return false;
    auto& mx = acceptor_.backend();
    auto fd = acceptor_.accepted_socket();
    net::nonblocking(fd, true);
    net::tcp_nodelay(fd, true);
    caf::intrusive_ptr<guarded_connection> conn;
    if (tls_) {
      auto session = admin_tls_session::accept(*tls_, fd);
      if (!session) {
        auto host = net::remote_addr_of_fd(fd);
        spdlog::warn("admin: refused the connection from {}: its TLS handshake failed (no TLS, or "
                     "a certificate admin.tls.ca did not sign)",
                     host ? *host : std::string{"?"});
        net::close_socket(fd);
        return false;
      }
      conn = caf::make_counted<guarded_scribe<tls_policy>>(mx, fd, settings_.frame_limit, session,
                                                           settings_.peers, session);
    } else {
      conn = caf::make_counted<guarded_scribe<caf::policy::tcp>>(mx, fd, settings_.frame_limit,
                                                                 nullptr, settings_.peers);
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
  std::shared_ptr<admin_tls_context> tls_;
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
  std::shared_ptr<admin_tls_context> tls;
  if (settings.tls) {
    // The files CAF's openssl module was given (system_config), so both
    // sides of the admin port's TLS keep using one configuration.
    const auto& cfg = sys.config();
    auto loaded = admin_tls_context::load(
      {cfg.openssl_certificate, cfg.openssl_key, cfg.openssl_cafile, cfg.openssl_passphrase});
    if (!loaded)
      return std::move(loaded).error();
    tls = std::move(*loaded);
  }
  auto& mx = static_cast<net::default_multiplexer&>(sys.middleman().backend());
  auto fd = net::new_tcp_acceptor_impl(settings.port, settings.host.c_str(), false);
  if (!fd)
    return failure{errc::invalid_argument,
                   "admin.listen: cannot listen on " + where + ": " + sys.render(fd.error())};
  auto doorman = caf::make_counted<guarded_doorman>(mx, *fd, settings, std::move(tls));
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
  auto peers = std::make_shared<admin_peers>();
  admin_settings settings;
  settings.operators = operators;
  settings.peers = peers;
  auto admin = spawn_admin(sys, settings);
  admin_port_settings port;
  port.host = where->host;
  port.port = where->port;
  port.tls = !cfg.admin.tls_cert.empty();
  port.handshake_timeout = cfg.admin.connection_timeout;
  port.peers = peers;
  auto bound = publish_admin(sys, admin, port);
  if (!bound) {
    stop_admin(admin);
    return std::move(bound).error();
  }
  spdlog::info("admin: cdpctl endpoint on {}:{} ({})", where->host, *bound,
               port.tls ? "mutual TLS, CA " + cfg.admin.tls_ca : std::string{"plain, loopback only"});
  return admin_endpoint{admin, *bound, peers};
}

} // namespace cdp
