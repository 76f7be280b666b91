#include "api/http_server.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "api/worker_pool.hpp"

namespace cdp::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

/// Connections the kernel holds for the acceptor (capped by somaxconn).
constexpr int listen_backlog = 1024;
/// The request line and headers together; a longer head gets 431.
constexpr uint32_t head_limit = 64 * 1024;
/// Threads that read and write the sockets: one per core of a small node.
constexpr int io_threads = 2;
/// A connection answered before its whole body came may go on sending this
/// long: what it sends is read and dropped, so that closing with unread data
/// (a reset) does not destroy the answer before the client reads it.
constexpr auto linger = std::chrono::seconds{2};

/// The peer hung up, went silent past its deadline, or the server stops:
/// nothing to answer.
bool gone(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == beast::error::timeout
         || ec == asio::error::eof || ec == asio::error::connection_reset
         || ec == asio::error::operation_aborted || ec == asio::error::broken_pipe
         || ec == http::error::partial_message;
}

/// cpp-httplib's request as its own parser would have made it: the path
/// percent-decoded, the query split into decoded parameters.
httplib::Request request_of(const http::request_header<>& head, const tcp::endpoint& peer) {
  httplib::Request r;
  r.method = std::string{head.method_string()};
  r.version = head.version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
  r.target = std::string{head.target()};
  auto query = r.target.find('?');
  r.path = httplib::detail::decode_url(r.target.substr(0, query), false);
  if (query != std::string::npos)
    httplib::detail::parse_query_text(r.target.substr(query + 1), r.params);
  for (const auto& field : head)
    r.headers.emplace(std::string{field.name_string()}, std::string{field.value()});
  r.remote_addr = peer.address().to_string();
  r.remote_port = peer.port();
  return r;
}

/// A new file of the temporary folder, opened for writing into `body` and
/// unlinked at once: the spool goes away with its request even when the
/// daemon is killed.
beast::error_code open_spool(http::file_body::value_type& body) {
  auto path = (std::filesystem::temp_directory_path() / "cdpbatch-body.XXXXXX").string();
  int fd = ::mkstemp(path.data());
  if (fd < 0)
    return beast::error_code{errno, beast::system_category()};
  ::close(fd);
  beast::error_code ec;
  body.open(path.c_str(), beast::file_mode::write, ec);
  std::remove(path.c_str());
  return ec;
}

} // namespace

struct http_server::core {
  http_server_settings settings;
  http_handlers handlers;
  /// One I/O context per thread, each run by it alone: a connection stays
  /// on the thread that accepted it, with no locks or hand-offs between them.
  std::vector<std::unique_ptr<asio::io_context>> ios;
  size_t next_io = 0;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> retry_accept;
  std::optional<worker_pool> workers;
  std::vector<std::thread> threads;
  std::atomic<bool> stopping = false;
  uint16_t port = 0;

  void accept();
};

namespace {

/// One connection: its requests one after another, each read without
/// blocking, served on a worker, and answered without blocking.
class session : public std::enable_shared_from_this<session> {
public:
  session(http_server::core& core, tcp::socket socket)
    : core_(core), stream_(std::move(socket)) {
    beast::error_code ec;
    peer_ = stream_.socket().remote_endpoint(ec);
  }

  void start() { read_head(); }

private:
  void read_head() {
    head_.emplace();
    head_->header_limit(head_limit);
    // The body's limit is the route's, applied once the head is read.
    // (Not boost::none: Beast 1.74 compares a length with it as if with 0.)
    head_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(core_.settings.request_timeout);
    http::async_read_header(stream_, buffer_, *head_,
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              self->on_head(ec);
                            });
  }

  void on_head(const beast::error_code& ec) {
    if (gone(ec))
      return close();
    if (ec)
      return refuse(ec == http::error::header_limit ? 431
                    : ec == http::error::body_limit ? 413
                                                    : 400);
    req_ = request_of(head_->get(), peer_);
    keep_alive_ = head_->get().keep_alive();
    head_only_ = head_->get().method() == http::verb::head;
    stream_.expires_never();
    auto length = head_->content_length();
    if (!head_->chunked() && (!length || *length == 0)) {
      if (core_.handlers.answer_now(req_, res_))
        return write();
      return work([](session& s) { s.serve({}, nullptr); });
    }
    continue_ = head_->get()[http::field::expect] == "100-continue";
    work([](session& s) {
      if (s.core_.handlers.before_body(s.req_, s.res_)) {
        s.keep_alive_ = false;
        return s.answer();
      }
      asio::post(s.stream_.get_executor(), [self = s.shared_from_this()] { self->read_body(); });
    });
  }

  void read_body() {
    if (std::exchange(continue_, false)) {
      interim_.emplace(http::status::continue_, head_->get().version());
      stream_.expires_after(core_.settings.request_timeout);
      return http::async_write(stream_, *interim_,
                               [self = shared_from_this()](beast::error_code ec, size_t) {
                                 if (ec)
                                   return self->close();
                                 self->read_body();
                               });
    }
    auto limit = core_.handlers.body_limit(req_);
    stream_.expires_after(core_.settings.request_timeout);
    auto done = [self = shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); };
    if (core_.handlers.spooled(req_)) {
      file_.emplace(std::move(*head_));
      if (auto ec = open_spool(file_->get().body())) {
        keep_alive_ = false;
        core_.handlers.failed(res_, "cannot write the body to a temporary file: " + ec.message());
        return write();
      }
      file_->body_limit(limit);
      return http::async_read(stream_, buffer_, *file_, std::move(done));
    }
    text_.emplace(std::move(*head_));
    text_->body_limit(limit);
    http::async_read(stream_, buffer_, *text_, std::move(done));
  }

  void on_body(const beast::error_code& ec) {
    if (ec == http::error::body_limit)
      return refuse(413);
    if (ec == beast::error::timeout || ec == asio::error::operation_aborted)
      return close();
    if (ec)
      return refuse(400);
    stream_.expires_never();
    if (!file_)
      return work([](session& s) { s.serve(s.text_->get().body(), nullptr); });
    work([](session& s) { s.serve_spooled(); });
  }

  /// On a worker: the spooled body, read from its start.
  void serve_spooled() {
    auto& spool = file_->get().body();
    std::unique_ptr<FILE, int (*)(FILE*)> in{
      ::fdopen(::dup(spool.file().native_handle()), "rb"), &std::fclose};
    spool.close();
    if (!in) {
      keep_alive_ = false;
      core_.handlers.failed(res_, "cannot read back the spooled body");
      return answer();
    }
    std::rewind(in.get());
    serve({}, in.get());
  }

  /// On a worker: the handler, then the answer goes back to the I/O threads.
  void serve(std::string_view body, std::FILE* spooled) {
    try {
      core_.handlers.serve(req_, res_, body, spooled);
    } catch (const std::exception& e) {
      res_ = {};
      core_.handlers.failed(res_, e.what());
    } catch (...) {
      res_ = {};
      core_.handlers.failed(res_, "unknown");
    }
    answer();
  }

  template <class Task>
  void work(Task task) {
    core_.workers->post([self = shared_from_this(), task] { task(*self); });
  }

  void answer() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->write(); });
  }

  /// A request that could not be served: its answer, then the end.
  void refuse(int status) {
    keep_alive_ = false;
    core_.handlers.refused(req_, res_, status);
    write();
  }

  void write() {
    bool last = !keep_alive_ || core_.stopping
                || res_.get_header_value("Connection") == "close";
    res_.headers.erase("Connection");
    out_ = {};
    out_.version(11);
    out_.result(static_cast<unsigned>(res_.status > 0 ? res_.status : 500));
    for (const auto& [name, value] : res_.headers)
      out_.insert(name, value);
    out_.keep_alive(!last);
    out_.body() = std::move(res_.body);
    out_.prepare_payload();
    stream_.expires_after(core_.settings.request_timeout);
    auto written = [self = shared_from_this(), last](beast::error_code ec, size_t) {
      self->on_written(ec, last);
    };
    if (head_only_) {
      head_writer_.emplace(out_);
      return http::async_write_header(stream_, *head_writer_, std::move(written));
    }
    http::async_write(stream_, out_, std::move(written));
  }

  void on_written(const beast::error_code& ec, bool last) {
    if (ec)
      return close();
    if (last)
      return linger_close();
    req_ = {};
    res_ = {};
    text_.reset();
    file_.reset();
    head_writer_.reset();
    head_only_ = false;
    read_head();
  }

  void linger_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(linger);
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(dropped_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec)
                                return self->close();
                              self->drain();
                            });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  http_server::core& core_;
  beast::tcp_stream stream_;
  tcp::endpoint peer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> head_;
  std::optional<http::request_parser<http::string_body>> text_;
  std::optional<http::request_parser<http::file_body>> file_;
  std::optional<http::response<http::empty_body>> interim_;
  std::optional<http::response_serializer<http::string_body>> head_writer_;
  http::response<http::string_body> out_;
  httplib::Request req_;
  httplib::Response res_;
  std::array<char, 4096> dropped_{};
  bool keep_alive_ = false;
  bool head_only_ = false;
  bool continue_ = false;
};

} // namespace

void http_server::core::accept() {
  auto& io = *ios[next_io++ % ios.size()];
  acceptor->async_accept(io, [this](beast::error_code ec, tcp::socket socket) {
    if (stopping)
      return;
    if (ec) {
      // Out of files, say: try again shortly instead of spinning.
      spdlog::warn("api: accepting a connection failed: {}", ec.message());
      retry_accept->expires_after(std::chrono::milliseconds{100});
      retry_accept->async_wait([this](beast::error_code) {
        if (!stopping)
          accept();
      });
      return;
    }
    beast::error_code nodelay_ec;
    socket.set_option(tcp::no_delay(true), nodelay_ec);
    std::make_shared<session>(*this, std::move(socket))->start();
    accept();
  });
}

http_server::http_server(http_server_settings settings, http_handlers handlers)
  : core_(std::make_shared<core>()) {
  core_->settings = std::move(settings);
  core_->handlers = std::move(handlers);
}

http_server::~http_server() { stop(); }

status http_server::start() {
  auto& c = *core_;
  for (int i = 0; i < io_threads; ++i)
    c.ios.push_back(std::make_unique<asio::io_context>(1));
  auto refused = [&](const std::string& why) {
    c.acceptor.reset();
    c.ios.clear();
    return make_failure(errc::invalid_argument,
                        "http.listen: cannot listen on " + c.settings.host + ":"
                          + std::to_string(c.settings.port) + " (" + why + ")");
  };
  beast::error_code ec;
  tcp::resolver resolver{*c.ios.front()};
  auto found = resolver.resolve(c.settings.host, std::to_string(c.settings.port),
                                tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || found.empty())
    return refused("not an address of this host");
  auto at = found.begin()->endpoint();
  c.acceptor.emplace(*c.ios.front());
  // SO_REUSEADDR, never SO_REUSEPORT: a second daemon on the same port must
  // fail to bind instead of taking half the requests.
  if (c.acceptor->open(at.protocol(), ec); !ec)
    c.acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec)
    c.acceptor->bind(at, ec);
  if (!ec)
    c.acceptor->listen(listen_backlog, ec);
  if (ec)
    return refused(ec == asio::error::address_in_use ? "in use" : ec.message());
  c.port = c.acceptor->local_endpoint().port();
  c.retry_accept.emplace(*c.ios.front());
  c.workers.emplace(static_cast<size_t>(c.settings.workers), c.settings.worker_nice);
  c.accept();
  for (auto& io : c.ios)
    c.threads.emplace_back([&io = *io] {
      // Kept running while it has no connection: connections come and go.
      auto busy = asio::make_work_guard(io);
      for (;;) {
        try {
          io.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("api: a connection failed: {}", e.what());
        }
      }
    });
  return ok;
}

uint16_t http_server::port() const { return core_->port; }

void http_server::stop() {
  auto& c = *core_;
  if (c.ios.empty() || c.stopping.exchange(true))
    return;
  for (auto& io : c.ios)
    io->stop();
  for (auto& t : c.threads)
    t.join();
  c.threads.clear();
  // Requests being served finish (their answers go nowhere); then every
  // connection ends with its I/O context.
  c.workers->stop();
  c.retry_accept.reset();
  c.acceptor.reset();
  c.ios.clear();
}

} // namespace cdp::api
