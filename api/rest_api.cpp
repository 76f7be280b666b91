#include "api/rest_api.hpp"

#include <functional>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "actors/errors.hpp"
#include "actors/operator_agent.hpp"
#include "api/bulk_import.hpp"
#include "api/http_server.hpp"
#include "api/json.hpp"
#include "api/page_cache.hpp"
#include "api/status_copy.hpp"
#include "api/thread_ask.hpp"
#include "api/web_assets.hpp"
#include "domain/operator_input.hpp"

namespace cdp::api {

namespace {

constexpr std::string_view base = "/api/v2/batch";
constexpr std::string_view import_path = "/api/v2/batch/advertisers:bulk";
constexpr std::string_view list_path = "/api/v2/batch/advertisers";
constexpr std::string_view status_path = "/api/v2/batch/status";

/// A path's segments; {id} and {month} in a pattern capture one segment each.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos)
      end = path.size();
    if (end > start)
      out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1"
         || host.rfind("127.", 0) == 0;
}

/// The token of `Authorization: Bearer <token>`, "" without one.
std::string bearer_token(const httplib::Request& req) {
  auto header = req.get_header_value("Authorization");
  constexpr std::string_view scheme = "bearer ";
  if (header.size() < scheme.size())
    return "";
  for (size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i])
      return "";
  auto token = header.substr(scheme.size());
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
    token.pop_back();
  while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
    token.erase(0, 1);
  return token;
}

rendered render_json(int status, const json& body) {
  // Names and messages are stored as given; invalid UTF-8 must not end a request.
  return {status, body.dump(-1, ' ', false, json::error_handler_t::replace)};
}

rendered render_failure(const failure& f) {
  auto e = http_error_of(f.code);
  return render_json(e.status, error_body(e.error, f.message));
}

void send(httplib::Response& res, const rendered& answer) {
  res.status = answer.status;
  if (answer.status == 401)
    res.set_header("WWW-Authenticate", "Bearer");
  res.set_content(answer.body, "application/json");
}

void send_json(httplib::Response& res, int status, const json& body) {
  send(res, render_json(status, body));
}

void send_error(httplib::Response& res, int status, std::string_view error,
                std::string_view detail) {
  send_json(res, status, error_body(error, detail));
}

void send_failure(httplib::Response& res, const failure& f) {
  send(res, render_failure(f));
}

/// A request once routed: its captures and what the handler needs.
struct call {
  const httplib::Request& req;
  httplib::Response& res;
  std::string_view body;
  std::string id;
  std::string month;
  /// The import's body, spooled to a file (null without one).
  std::FILE* spooled = nullptr;
};

/// Who may call a route. The page's files and the token check hold no data,
/// so they are open even off loopback (a browser cannot send a token to load
/// a page); reads need the token off loopback; changes always need it.
enum class access { open, read, token };

struct route {
  std::string method;
  std::string name;
  std::vector<std::string> pattern;
  std::function<void(call&)> handle;
  access who;
  /// A change whose token was refused here, passed to the operator with no
  /// payload so that it refuses it too and audits the refusal.
  std::function<void(call&)> refuse;
};

/// A query parameter, "" when absent.
std::string param(const httplib::Request& req, const char* key) {
  return req.has_param(key) ? req.get_param_value(key) : std::string{};
}

/// The path and its parameters in one order, whatever order they came in;
/// each part length-prefixed, so no value can pose as two.
std::string query_key(const httplib::Request& req) {
  auto key = req.path;
  for (const auto& [name, value] : req.params)
    for (const auto* part : {&name, &value})
      key += std::to_string(part->size()) + ':' + *part;
  return key;
}

/// The headers of every file of the page: nothing but its own files may
/// run or be fetched by it, it cannot be framed, and a new daemon's page
/// replaces a cached one.
void send_page_file(httplib::Response& res, const web_asset& file) {
  res.status = 200;
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                 "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-cache");
  res.set_content(std::string{file.body}, std::string{file.content_type});
}

} // namespace

struct rest_api::impl {
  caf::actor_system& sys;
  operator_actor desk;
  scrape_metrics metrics;
  rest_settings settings;
  page_cache pages;
  status_copy statuses{operator_settings{}.status_max_age};
  std::vector<route> routes;

  impl(caf::actor_system& s, operator_actor d, std::shared_ptr<engine_metrics> m,
       rest_settings cfg)
    : sys(s), desk(std::move(d)), metrics(std::move(m)), settings(std::move(cfg)),
      pages(settings.page_max_age) {
    add_routes();
  }

  /// Asks the operator and waits at most `timeout`; the answer or a failure.
  template <class Answer, class... Ts>
  expected<Answer> ask_within(std::chrono::milliseconds timeout, Ts&&... xs) {
    return ask_from_thread<Answer>(sys, desk, timeout, std::forward<Ts>(xs)...);
  }

  template <class Answer, class... Ts>
  expected<Answer> ask(Ts&&... xs) {
    return ask_within<Answer>(settings.ask_timeout, std::forward<Ts>(xs)...);
  }

  /// The operator's answer as JSON with `status`, or its failure.
  template <class Answer, class... Ts>
  rendered render(int status, Ts&&... xs) {
    auto answer = ask<Answer>(std::forward<Ts>(xs)...);
    return answer ? render_json(status, to_json(*answer)) : render_failure(answer.error());
  }

  template <class Answer, class... Ts>
  void reply(call& c, int status, Ts&&... xs) {
    send(c.res, render<Answer>(status, std::forward<Ts>(xs)...));
  }

  void add(std::string method, std::string name, std::string_view pattern,
           std::function<void(call&)> handle, std::optional<access> who = {}) {
    std::vector<std::string> parts;
    for (auto s : segments(pattern))
      parts.emplace_back(s);
    routes.push_back({std::move(method), std::move(name), std::move(parts), std::move(handle),
                      who.value_or(access::read), nullptr});
  }

  /// A change: it needs the token, and `refuse` audits a call without it.
  void add_change(std::string name, std::string_view pattern, std::function<void(call&)> handle,
                  std::function<void(call&)> refuse) {
    add("POST", std::move(name), pattern, std::move(handle), access::token);
    routes.back().refuse = std::move(refuse);
  }

  /// The caller's token, and their reason: the body's "reason" field, or the
  /// query's `reason` when there is no body.
  expected<operator_call> call_of(const call& c) {
    operator_call out{bearer_token(c.req), param(c.req, "reason")};
    if (c.body.empty())
      return out;
    auto body = json::parse(c.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      return make_failure(errc::invalid_argument,
                          R"(the body must be a JSON object: {"reason":"why"} (or none))");
    if (auto it = body.find("reason"); it != body.end() && !it->is_null()) {
      if (!it->is_string())
        return make_failure(errc::invalid_argument, "field 'reason' must be a string");
      out.reason = it->get<std::string>();
    }
    return out;
  }

  /// Answers the operator's answer to a change of one advertiser, or why not.
  template <class Answer, class Atom, class... Ts>
  void change(call& c, Atom atom, Ts&&... xs) {
    auto who = call_of(c);
    if (!who)
      return send_failure(c.res, who.error());
    reply<Answer>(c, 200, atom, std::move(*who), c.id, std::forward<Ts>(xs)...);
  }

  void add_routes() {
    auto at = [](std::string_view tail) { return std::string{base} + std::string{tail}; };
    for (const auto& file : web_assets())
      add("GET", "page", file.path, [&file](call& c) { send_page_file(c.res, file); }, access::open);
    // The page asks this before it shows anything, and shows only the token
    // prompt until its token is accepted, even on loopback where reads are
    // open. A 200 either way: a refused token is an answer, not an error.
    add("GET", "auth", at("/auth"), [this](call& c) {
      auto who = identify(settings.tokens, bearer_token(c.req));
      send_json(c.res, 200, {{"tokenRequired", !settings.tokens.empty()},
                             {"tokenAccepted", who.has_value()},
                             {"name", who ? json(who->name) : json(nullptr)},
                             {"role", who ? json(to_string(who->granted)) : json(nullptr)}});
    }, access::open);
    add("GET", "status", at("/status"), [this](call& c) {
      auto s = ask<system_status>(status_atom_v);
      if (!s) {
        statuses.failed();
        return send_failure(c.res, s.error());
      }
      auto answer = render_json(200, to_json(*s));
      statuses.keep(answer, s->now);
      send(c.res, answer);
    });
    add("GET", "health", at("/health"), [this](call& c) {
      auto h = ask<health_report>(health_atom_v);
      if (!h)
        return send_json(c.res, 503,
                         {{"status", "DOWN"}, {"error", "unavailable"}, {"detail", h.error().message}});
      send_json(c.res, h->up ? 200 : 503, to_json(*h));
    });
    add("GET", "running-jobs", at("/running-jobs"),
        [this](call& c) { reply<running_job_list>(c, 200, running_atom_v); });
    // The console's live frame: status, running jobs, backfills and the
    // latest failures, each bounded whatever the number of advertisers.
    add("GET", "watch", at("/watch"), [this](call& c) { reply<watch_frame>(c, 200, watch_atom_v); });
    add("GET", "nodes", at("/nodes"), [this](call& c) { reply<node_list>(c, 200, nodes_atom_v); });
    add("GET", "advertisers", at("/advertisers"), [this](call& c) {
      send(c.res, pages.get(query_key(c.req), std::chrono::steady_clock::now(), [&] {
        return render<advertiser_page>(
          200, list_atom_v,
          advertiser_query{param(c.req, "lifecycle"), param(c.req, "active"),
                           param(c.req, "limit"), param(c.req, "after")});
      }));
    });
    add("GET", "audit", at("/audit"), [this](call& c) {
      reply<audit_page>(c, 200, audit_atom_v,
                        audit_query{param(c.req, "advertiserId"), param(c.req, "since"),
                                    param(c.req, "limit"), param(c.req, "next")});
    });
    add_change("create", at("/advertisers"), [this](call& c) { create(c); }, [this](call& c) {
      reply<advertiser_progress>(c, 201, create_atom_v, operator_call{bearer_token(c.req), ""},
                                 advertiser_request{});
    });
    add_change("import", import_path, [this](call& c) { bulk_import(c); }, [this](call& c) {
      reply<import_report>(c, 200, import_atom_v, operator_call{bearer_token(c.req), ""},
                           import_batch{});
    });
    add("GET", "advertiser", at("/advertisers/{id}"),
        [this](call& c) { reply<advertiser_detail>(c, 200, describe_atom_v, c.id); });
    add("GET", "backfill-progress", at("/advertisers/{id}/backfill-progress"),
        [this](call& c) { reply<advertiser_progress>(c, 200, progress_atom_v, c.id); });
    add("GET", "processing-states", at("/advertisers/{id}/processing-states"),
        [this](call& c) { reply<month_list>(c, 200, months_atom_v, c.id); });
    add("GET", "attempts", at("/advertisers/{id}/months/{month}/attempts"),
        [this](call& c) { reply<attempt_list>(c, 200, attempts_atom_v, c.id, c.month); });
    // Refused without the token, a change still names its advertiser in the
    // operator's audited refusal.
    auto unauthorized = [this](auto atom, auto answer) {
      return [this, atom, answer](call& c) {
        using Answer = typename decltype(answer)::type;
        if constexpr (std::is_same_v<Answer, month_state>)
          reply<Answer>(c, 200, atom, operator_call{bearer_token(c.req), ""}, c.id, c.month);
        else
          reply<Answer>(c, 200, atom, operator_call{bearer_token(c.req), ""}, c.id);
      };
    };
    add_change("trigger", at("/advertisers/{id}/trigger"),
               [this](call& c) { change<advertiser_progress>(c, trigger_atom_v); },
               unauthorized(trigger_atom_v, std::type_identity<advertiser_progress>{}));
    add_change("retry", at("/advertisers/{id}/retry/{month}"),
               [this](call& c) { change<month_state>(c, retry_atom_v, c.month); },
               unauthorized(retry_atom_v, std::type_identity<month_state>{}));
    add_change("activate", at("/advertisers/{id}/activate"),
               [this](call& c) { change<advertiser_progress>(c, activate_atom_v); },
               unauthorized(activate_atom_v, std::type_identity<advertiser_progress>{}));
    add_change("deactivate", at("/advertisers/{id}/deactivate"),
               [this](call& c) { change<advertiser_progress>(c, deactivate_atom_v); },
               unauthorized(deactivate_atom_v, std::type_identity<advertiser_progress>{}));
    add("GET", "metrics", "/metrics", [this](call& c) {
      // The state gauges are read now; a status older than the operator's
      // cache age is recounted.
      if (auto s = ask<system_status>(status_atom_v))
        metrics.observe(*s);
      else
        spdlog::warn("api: /metrics without fresh state gauges: {}", s.error().message);
      c.res.status = 200;
      c.res.set_content(metrics.text(), "text/plain; version=0.0.4; charset=utf-8");
    });
  }

  void create(call& c) {
    auto body = json::parse(c.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
      return send_error(c.res, 400, "bad_request",
                        "the body must be a JSON object: "
                        R"({"advertiserId":"C","name":"...","type":"NEW"|"EXISTING"})");
    advertiser_request r;
    operator_call who{bearer_token(c.req), ""};
    for (auto [key, field, required] :
         {std::tuple{"advertiserId", &r.advertiser_id, true}, {"name", &r.name, false},
          {"type", &r.type, true}, {"reason", &who.reason, false}}) {
      auto it = body.find(key);
      if (it == body.end() || it->is_null()) {
        if (required)
          return send_error(c.res, 400, "bad_request", std::string{"missing field '"} + key + "'");
        continue;
      }
      if (!it->is_string())
        return send_error(c.res, 400, "bad_request",
                          std::string{"field '"} + key + "' must be a string");
      *field = it->get<std::string>();
    }
    reply<advertiser_progress>(c, 201, create_atom_v, std::move(who), r);
  }

  void bulk_import(call& c) {
    auto type = param(c.req, "type");
    auto dry_run = param(c.req, "dryRun");
    // The query is checked before a byte of the body is read.
    if (!type.empty() && !parse_advertiser_type(type))
      return send_error(c.res, 400, "bad_request",
                        "type '" + type.substr(0, 60)
                          + "' must be NEW or EXISTING (the type of rows that have none)");
    if (!dry_run.empty() && dry_run != "true" && dry_run != "false")
      return send_error(c.res, 400, "bad_request",
                        "dryRun '" + dry_run.substr(0, 60) + "' must be true or false");
    if (!c.spooled)
      return send_error(c.res, 400, "bad_request",
                        "the body must be the import file: CSV with the header "
                        "'advertiserId,type,active', or JSON lines");
    operator_call who{bearer_token(c.req), param(c.req, "reason")};
    auto answer = import_body(c.spooled, type, dry_run == "true", [&](import_batch part) {
      return ask_within<import_report>(settings.import_timeout, import_atom_v, who,
                                       std::move(part));
    });
    send_json(c.res, answer.status, answer.body);
  }

  /// Which routes match the path, and the one for this method among them.
  std::pair<const route*, std::vector<std::string>> find(const httplib::Request& req, call& c) {
    auto parts = segments(req.path);
    const route* found = nullptr;
    std::vector<std::string> allowed;
    for (const auto& r : routes) {
      if (r.pattern.size() != parts.size())
        continue;
      std::string id, month;
      bool match = true;
      for (size_t i = 0; i < parts.size() && match; ++i) {
        if (r.pattern[i] == "{id}")
          id = parts[i];
        else if (r.pattern[i] == "{month}")
          month = parts[i];
        else
          match = r.pattern[i] == parts[i];
      }
      if (!match)
        continue;
      allowed.push_back(r.method);
      auto method = req.method == "HEAD" ? std::string{"GET"} : req.method;
      if (r.method == method) {
        found = &r;
        c.id = std::move(id);
        c.month = std::move(month);
      }
    }
    return {found, allowed};
  }

  /// Whether the caller's token lets them call `r`: a change needs an operate
  /// token, a read off loopback any token; with none configured, all may.
  bool admitted(const route& r, const httplib::Request& req) const {
    if (r.who == access::open || (r.who == access::read && is_loopback(settings.host)))
      return true;
    auto who = identify(settings.tokens, bearer_token(req));
    return who && (r.who == access::read || may_change(*who));
  }

  void serve(const httplib::Request& req, httplib::Response& res, std::string_view body = {},
             std::FILE* spooled = nullptr) {
    auto started = std::chrono::steady_clock::now();
    call c{req, res, body, {}, {}, spooled};
    auto [r, allowed] = find(req, c);
    std::string name = r ? r->name : allowed.empty() ? "unknown" : "wrong-method";
    if (!r && allowed.empty()) {
      send_error(res, 404, "not_found", "no such path: " + req.path.substr(0, 200));
    } else if (!r) {
      std::string list;
      for (const auto& m : allowed)
        list += (list.empty() ? "" : ", ") + m;
      res.set_header("Allow", list);
      send_error(res, 405, "method_not_allowed",
                 req.method.substr(0, 20) + " is not allowed here; use " + list);
    } else if (!admitted(*r, req)) {
      // Before the body is even parsed: without the token nothing is looked
      // at. A change is refused by the operator, which audits the refusal.
      if (r->refuse)
        r->refuse(c);
      else
        send_error(res, 401, "unauthorized",
                   "off loopback every call needs 'Authorization: Bearer <token>' (http.token "
                   "or one of api.tokens)");
    } else {
      r->handle(c);
    }
    if (r && r->who == access::token)
      pages.changed();
    metrics.request_done(name, res.status,
                         std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::steady_clock::now() - started));
  }

  /// Refuses a request whose body is not read: the connection ends once
  /// the answer is written.
  void refuse_body(httplib::Response& res, int status, std::string_view error,
                   const std::string& detail) {
    send_error(res, status, error, detail);
    res.set_header("Connection", "close");
    metrics.request_done("refused-body", status, {});
  }

  /// A list page the cache holds young enough, or a status whose count is,
  /// is answered on the server's I/O thread: no hop to a worker for what
  /// dashboards poll most.
  bool answer_now(const httplib::Request& req, httplib::Response& res) {
    if ((req.method != "GET" && req.method != "HEAD")
        || (req.path != list_path && req.path != status_path))
      return false;
    auto started = std::chrono::steady_clock::now();
    call c{req, res, {}, {}, {}, nullptr};
    auto [r, allowed] = find(req, c);
    if (!r || !admitted(*r, req))
      return false;
    auto kept = req.path == status_path
                  ? statuses.young(std::chrono::time_point_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now()))
                  : pages.peek(query_key(req), started);
    if (!kept)
      return false;
    send(res, *kept);
    metrics.request_done(r->name, res.status,
                         std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::steady_clock::now() - started));
    return true;
  }

  /// The import's file may be larger than any other body (http.max_body).
  size_t body_limit(const httplib::Request& req) const {
    return req.path == import_path ? settings.max_import_body : settings.max_body;
  }

  std::string too_large(const httplib::Request& req) const {
    auto limit = body_limit(req);
    return "the body is larger than "
           + (limit % (1024 * 1024) == 0 ? std::to_string(limit / (1024 * 1024)) + " MiB"
                                         : std::to_string(limit / 1024) + " KiB")
           + (req.path == import_path
                ? " (http.max_body): split the file into parts, or raise http.max_body"
                : "");
  }

  /// A declared Content-Length over the limit is refused before a byte of
  /// the body is read.
  bool refused_by_length(const httplib::Request& req, httplib::Response& res) {
    if (!req.has_header("Content-Length"))
      return false;
    auto text = req.get_header_value("Content-Length");
    size_t length = 0;
    bool number = !text.empty() && text.size() <= 19
                  && text.find_first_not_of("0123456789") == std::string::npos;
    if (number)
      length = std::stoull(text);
    if (!number)
      refuse_body(res, 400, "bad_request", "Content-Length must be a number of bytes");
    else if (length > body_limit(req))
      refuse_body(res, 413, "payload_too_large", too_large(req));
    return !number || length > body_limit(req);
  }

  /// Once the head of a request with a body is read: one over the limit, or
  /// one whose caller may not call its route, is answered without reading
  /// the body (a refused change is still audited by the operator).
  bool before_body(const httplib::Request& req, httplib::Response& res) {
    if (refused_by_length(req, res))
      return true;
    call c{req, res, {}, {}, {}, nullptr};
    auto [r, allowed] = find(req, c);
    if (!r || admitted(*r, req))
      return false;
    serve(req, res);
    res.set_header("Connection", "close");
    return true;
  }

  /// What the server could not read: not HTTP, a body that ended early or
  /// over the limit, a head over 64 KiB.
  void refused(const httplib::Request& req, httplib::Response& res, int status) {
    if (status == 413)
      return refuse_body(res, 413, "payload_too_large", too_large(req));
    if (status == 431)
      send_error(res, 431, "request_header_fields_too_large",
                 "the request line and headers are larger than 64 KiB");
    else
      send_error(res, 400, "bad_request", "malformed request, or its body ended early");
    metrics.request_done("malformed", status, {});
  }
};

rest_api::rest_api(caf::actor_system& sys, operator_actor desk,
                   std::shared_ptr<engine_metrics> metrics, rest_settings settings)
  : impl_(std::make_unique<impl>(sys, std::move(desk), std::move(metrics), std::move(settings))) {
  auto* self = impl_.get();
  http_handlers on;
  on.answer_now = [self](const httplib::Request& req, httplib::Response& res) {
    return self->answer_now(req, res);
  };
  on.body_limit = [self](const httplib::Request& req) { return self->body_limit(req); };
  on.spooled = [](const httplib::Request& req) { return req.path == import_path; };
  on.before_body = [self](const httplib::Request& req, httplib::Response& res) {
    return self->before_body(req, res);
  };
  on.serve = [self](const httplib::Request& req, httplib::Response& res, std::string_view body,
                    std::FILE* spooled) { self->serve(req, res, body, spooled); };
  on.refused = [self](const httplib::Request& req, httplib::Response& res, int status) {
    self->refused(req, res, status);
  };
  on.failed = [](httplib::Response& res, const std::string& what) {
    spdlog::error("api: a request failed: {}", what);
    send_error(res, 500, "internal_error", what);
  };
  const auto& cfg = self->settings;
  server_ = std::make_unique<http_server>(
    http_server_settings{cfg.host, cfg.port, cfg.request_timeout, cfg.threads, cfg.thread_nice},
    std::move(on));
}

rest_api::~rest_api() { stop(); }

status rest_api::start() { return server_->start(); }

uint16_t rest_api::port() const { return server_->port(); }

void rest_api::stop() { server_->stop(); }

} // namespace cdp::api
