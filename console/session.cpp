#include "console/session.hpp"

#include "caf/io/all.hpp"
#include "caf/openssl/all.hpp"

#include "actors/errors.hpp"
#include "domain/duration.hpp"

namespace cdp::console {

namespace {

/// CAF's reasons for a failed connection, in words that say what to check.
std::string connect_failure(const caf::actor_system& sys, const caf::error& err) {
  if (err == caf::sec::cannot_connect_to_node)
    return "cannot connect (is cdpbatchd running, and admin.listen this address?)";
  if (err == caf::sec::malformed_basp_message || err == caf::sec::disconnect_during_handshake)
    return "the handshake failed (TLS on one side only, a certificate the other side's CA did "
           "not sign, or not cdpbatchd's admin port)";
  if (err == caf::sec::incompatible_application_ids)
    return "another CAF program answers there, not cdpbatchd";
  if (err == caf::sec::incompatible_versions)
    return "it speaks another version of CAF's protocol";
  return sys.render(err);
}

} // namespace

std::string to_string(const endpoint& where) {
  auto host = where.host.find(':') == std::string::npos ? where.host : "[" + where.host + "]";
  return host + ":" + std::to_string(where.port);
}

session::session(caf::actor_system& sys, endpoint where, std::chrono::milliseconds timeout)
  : sys_(sys), where_(std::move(where)), timeout_(timeout), self_(sys) {}

reply<uint32_t> session::open(uint32_t version) {
  // io::remote_actor would wait for ever on a peer that never answers, so
  // the middleman is asked directly, with a timeout. The handle is untyped:
  // a typed remote_actor fails on any interface difference without saying
  // which version the daemon speaks; the hello below does.
  auto middleman = where_.tls ? sys_.openssl_manager().actor_handle()
                              : sys_.middleman().actor_handle();
  std::optional<reply<uint32_t>> failed;
  self_->request(middleman, timeout_, caf::connect_atom::value, where_.host, where_.port)
    .receive(
      [&](caf::node_id&, caf::strong_actor_ptr& remote, std::set<std::string>&) {
        if (remote)
          admin_ = caf::actor_cast<admin_actor>(std::move(remote));
        else
          failed.emplace(console_error{exit_status::unreachable,
                                       "nothing is published at " + to_string(where_)
                                         + ": is it cdpbatchd's admin port (admin.listen)?"});
      },
      [&](caf::error& err) {
        connect_stuck_ = err == caf::sec::request_timeout;
        auto why = connect_stuck_ ? "no answer within " + format_duration(timeout_)
                                  : connect_failure(sys_, err);
        failed.emplace(console_error{exit_status::unreachable,
                                     "daemon unreachable at " + to_string(where_)
                                       + (where_.tls ? " over TLS: " : ": ") + why});
      });
  if (failed)
    return std::move(*failed);
  auto spoken = ask<uint32_t>(hello_atom_v, version);
  if (spoken && *spoken != version)
    return console_error{exit_status::refused,
                         "incompatible daemon: protocol " + std::to_string(*spoken)
                           + ", console speaks " + std::to_string(version),
                         errc::incompatible_protocol};
  return spoken;
}

reply<watch_frame> session::subscribe(std::chrono::milliseconds interval) {
  // A daemon that goes away ends the watch at once, not after a silence.
  self_->monitor(admin_);
  return ask<watch_frame>(subscribe_atom_v, static_cast<int64_t>(interval.count()));
}

std::optional<reply<watch_frame>> session::next_frame(std::chrono::milliseconds limit) {
  std::optional<reply<watch_frame>> out;
  self_->receive([&](watch_atom, watch_frame& frame) { out.emplace(std::move(frame)); },
                 [&](watch_atom, caf::error& err) { out.emplace(classify(err)); },
                 [&](caf::down_msg& dm) { out.emplace(classify(dm.reason)); },
                 caf::after(limit) >> [] {});
  return out;
}

console_error session::classify(const caf::error& err) const {
  if (err.category() == caf::atom("cdp")) {
    auto why = from_caf_error(err);
    auto text = why.message.empty() ? std::string{to_string(why.code)} : why.message;
    // The daemon's own deadline passed: as for ours, try again later.
    auto status = why.code == errc::timeout ? exit_status::unreachable : exit_status::refused;
    return {status, text, why.code};
  }
  if (err == caf::sec::request_timeout)
    return {exit_status::unreachable,
            "no answer from the daemon at " + to_string(where_) + " within "
              + format_duration(timeout_)};
  return {exit_status::unreachable,
          "lost the daemon at " + to_string(where_) + ": " + sys_.render(err)};
}

} // namespace cdp::console
