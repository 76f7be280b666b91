#include "actors/admin_tls.hpp"

#include <csignal>
#include <cstring>
#include <ctime>

#include <pthread.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace cdp {

namespace {

using rw_state = caf::io::network::rw_state;

/// OpenSSL writes to the socket with write(2), so a console that hung up
/// would raise SIGPIPE and end the daemon. As CAF's session does: block it
/// for the call, then swallow one that came meanwhile.
class sigpipe_blocked {
public:
  sigpipe_blocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &saved_);
  }
  ~sigpipe_blocked() {
    timespec zero{};
    sigtimedwait(&pipe_, nullptr, &zero);
    pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
  }
  sigpipe_blocked(const sigpipe_blocked&) = delete;
  sigpipe_blocked& operator=(const sigpipe_blocked&) = delete;

private:
  sigset_t pipe_;
  sigset_t saved_;
};

/// OpenSSL's queued errors as one line, emptying the queue.
std::string ssl_errors() {
  std::string text;
  while (auto err = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    if (!text.empty())
      text += "; ";
    text += buf;
  }
  return text;
}

std::string rfc2253_subject(X509* cert) {
  auto bio = BIO_new(BIO_s_mem());
  if (!bio)
    return {};
  std::string text;
  if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    auto len = BIO_get_mem_data(bio, &data);
    if (len > 0)
      text.assign(data, static_cast<size_t>(len));
  }
  BIO_free(bio);
  return text;
}

} // namespace

admin_tls_context::admin_tls_context(SSL_CTX* ctx, std::string passphrase)
  : ctx_(ctx), passphrase_(std::move(passphrase)) {}

admin_tls_context::~admin_tls_context() {
  // Sessions still open hold their own reference (SSL_new).
  SSL_CTX_free(ctx_);
}

int admin_tls_context::passphrase_cb(char* buf, int size, int, void* self) {
  const auto& phrase = static_cast<admin_tls_context*>(self)->passphrase_;
  if (size <= 0 || phrase.size() >= static_cast<size_t>(size))
    return 0;
  std::memcpy(buf, phrase.data(), phrase.size());
  return static_cast<int>(phrase.size());
}

expected<std::shared_ptr<admin_tls_context>> admin_tls_context::load(const admin_tls_files& files) {
  sigpipe_blocked guard;
  auto ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx)
    return failure{errc::invalid_argument, "admin.tls: OpenSSL made no context: " + ssl_errors()};
  std::shared_ptr<admin_tls_context> self{new admin_tls_context(ctx, files.passphrase)};
  auto refuse = [](const std::string& key, const std::string& path) {
    return failure{errc::invalid_argument, "admin.tls." + key + ": cannot use '" + path
                                             + "': " + ssl_errors()};
  };
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (!files.passphrase.empty()) {
    SSL_CTX_set_default_passwd_cb(ctx, passphrase_cb);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, self.get());
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, files.cert.c_str()) != 1)
    return refuse("cert", files.cert);
  if (SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM) != 1
      || SSL_CTX_check_private_key(ctx) != 1)
    return refuse("key", files.key);
  if (SSL_CTX_load_verify_locations(ctx, files.ca.c_str(), nullptr) != 1)
    return refuse("ca", files.ca);
  // The consoles' CA decides who may connect, as on CAF's side.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  if (SSL_CTX_set_cipher_list(ctx, "HIGH:!aNULL:!MD5") != 1)
    return refuse("cert", files.cert);
  return self;
}

std::shared_ptr<admin_tls_session> admin_tls_session::accept(const admin_tls_context& ctx,
                                                             native_socket fd) {
  sigpipe_blocked guard;
  auto ssl = SSL_new(ctx.native());
  if (!ssl)
    return nullptr;
  std::shared_ptr<admin_tls_session> self{new admin_tls_session(ssl)};
  if (SSL_set_fd(ssl, fd) != 1)
    return nullptr;
  SSL_set_accept_state(ssl);
  if (!self->continue_accept())
    return nullptr;
  return self;
}

admin_tls_session::~admin_tls_session() {
  SSL_free(ssl_);
}

bool admin_tls_session::continue_accept() {
  // SSL_get_error reads the thread's queue: an error another connection
  // left there would fail this one.
  ERR_clear_error();
  auto ret = SSL_accept(ssl_);
  if (ret != 1)
    return wants_retry(ret);
  accepting_ = false;
  // FAIL_IF_NO_PEER_CERT ends the handshake of a peer without a good
  // certificate; checked again so a subject is never taken on trust.
  auto cert = SSL_get1_peer_certificate(ssl_);
  if (!cert || SSL_get_verify_result(ssl_) != X509_V_OK) {
    X509_free(cert);
    refusal_ = "no verified client certificate";
    return false;
  }
  subject_ = rfc2253_subject(cert);
  X509_free(cert);
  if (subject_.empty()) {
    refusal_ = "the client certificate has no subject";
    return false;
  }
  return true;
}

bool admin_tls_session::wants_retry(int ret) {
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return true;
    default: {
      auto why = ssl_errors();
      auto verify = SSL_get_verify_result(ssl_);
      if (accepting_ && verify != X509_V_OK)
        why = X509_verify_cert_error_string(verify) + (why.empty() ? "" : " (" + why + ")");
      if (refusal_.empty())
        refusal_ = why;
      return false;
    }
  }
}

rw_state admin_tls_session::do_some(bool writing, size_t& result, void* buf, size_t len) {
  sigpipe_blocked guard;
  result = 0;
  if (accepting_) {
    if (!continue_accept())
      return rw_state::failure;
    if (accepting_) {
      // CAF's stream polls again on success; an empty write waiting for the
      // peer is "nothing done", as in caf::openssl::session.
      return writing && len == 0 ? rw_state::indeterminate : rw_state::success;
    }
  }
  if (len == 0)
    return rw_state::indeterminate;
  ERR_clear_error();
  auto ret = writing ? SSL_write(ssl_, buf, static_cast<int>(len))
                     : SSL_read(ssl_, buf, static_cast<int>(len));
  if (ret > 0) {
    result = static_cast<size_t>(ret);
    return rw_state::success;
  }
  return wants_retry(ret) ? rw_state::success : rw_state::failure;
}

rw_state admin_tls_session::read_some(size_t& result, native_socket, void* buf, size_t len) {
  return do_some(false, result, buf, len);
}

rw_state admin_tls_session::write_some(size_t& result, native_socket, const void* buf,
                                       size_t len) {
  return do_some(true, result, const_cast<void*>(buf), len);
}

bool admin_tls_session::must_read_more(native_socket, size_t threshold) {
  return static_cast<size_t>(SSL_pending(ssl_)) >= threshold;
}

} // namespace cdp
