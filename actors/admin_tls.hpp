#pragma once

#include <memory>
#include <string>

#include "caf/io/network/native_socket.hpp"
#include "caf/io/network/rw_state.hpp"

#include "domain/errors.hpp"

// caf::openssl::session keeps its SSL* to itself, so the admin port could
// never learn whose certificate a console presented. This is the server's
// half of the same mutual TLS, with OpenSSL directly, that can tell.

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace cdp {

/// What the admin port's TLS needs: the files CAF's openssl module is
/// configured with (openssl.certificate, .key, .cafile; see system_config).
struct admin_tls_files {
  std::string cert;
  std::string key;
  std::string ca;
  std::string passphrase;
};

/// The admin port's TLS context, loaded once: its certificate, and a peer
/// must present one signed by the CA (TLS 1.2 or later).
class admin_tls_context {
public:
  /// The context, or which file could not be used and why.
  static expected<std::shared_ptr<admin_tls_context>> load(const admin_tls_files& files);

  ~admin_tls_context();
  admin_tls_context(const admin_tls_context&) = delete;
  admin_tls_context& operator=(const admin_tls_context&) = delete;

  SSL_CTX* native() const { return ctx_; }

private:
  explicit admin_tls_context(SSL_CTX* ctx, std::string passphrase);
  static int passphrase_cb(char* buf, int size, int, void* self);

  SSL_CTX* ctx_;
  std::string passphrase_;
};

/// One accepted connection's TLS, as CAF's stream policy wants it: the
/// handshake goes on inside the first reads and writes, non-blocking.
class admin_tls_session {
public:
  using rw_state = caf::io::network::rw_state;
  using native_socket = caf::io::network::native_socket;

  /// Starts the server's handshake on `fd`; null when it failed at once.
  static std::shared_ptr<admin_tls_session> accept(const admin_tls_context& ctx, native_socket fd);

  ~admin_tls_session();
  admin_tls_session(const admin_tls_session&) = delete;
  admin_tls_session& operator=(const admin_tls_session&) = delete;

  rw_state read_some(size_t& result, native_socket fd, void* buf, size_t len);
  rw_state write_some(size_t& result, native_socket fd, const void* buf, size_t len);
  bool must_read_more(native_socket fd, size_t threshold);

  /// The verified peer certificate's subject in RFC 2253 form
  /// ("CN=alice,O=Example"); "" until the handshake completed.
  const std::string& peer_subject() const { return subject_; }
  /// Why the handshake failed, for the log ("" if it did not, or OpenSSL
  /// does not say).
  const std::string& refusal() const { return refusal_; }

private:
  explicit admin_tls_session(SSL* ssl) : ssl_(ssl) {}

  rw_state do_some(bool writing, size_t& result, void* buf, size_t len);
  /// Continues the handshake; false when it failed.
  bool continue_accept();
  bool wants_retry(int ret);

  SSL* ssl_;
  bool accepting_ = true;
  std::string subject_;
  std::string refusal_;
};

} // namespace cdp
