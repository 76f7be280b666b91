#include "console/admin_fixture.hpp"

using namespace cdp;
using namespace cdp::test;

TEST_CASE("a console speaking the daemon's protocol is greeted with its version") {
  scripted_daemon endpoint;
  console_side console{endpoint.port};
  auto hello = console.daemon.open();
  REQUIRE(hello);
  CHECK(*hello == admin_protocol_version);
}

TEST_CASE("a console of another protocol version learns both versions and is refused") {
  scripted_daemon endpoint;
  console_side console{endpoint.port};
  auto hello = console.daemon.open(admin_protocol_version + 1);
  REQUIRE_FALSE(hello);
  CHECK(hello.error().status == console::exit_status::refused);
  CHECK(hello.error().message
        == "incompatible daemon: protocol " + std::to_string(admin_protocol_version)
             + ", console speaks " + std::to_string(admin_protocol_version + 1));
  CHECK(endpoint.log.shows("refused a console speaking protocol"));
}

TEST_CASE("the admin actor forwards every operation, tokens and errors unchanged") {
  scripted_daemon endpoint;
  console_side console{endpoint.port};
  REQUIRE(console.open() == "");
  auto& d = console.daemon;
  auto status = d.ask<system_status>(status_atom_v);
  REQUIRE(status);
  CHECK(status->node == "scripted");
  CHECK(d.ask<advertiser_page>(list_atom_v, advertiser_query{"LIVE", "", "5", ""}));
  CHECK(d.ask<advertiser_progress>(progress_atom_v, std::string{"A"})->who.id == "A");
  CHECK(d.ask<month_list>(months_atom_v, std::string{"A"})->size() == 1);
  CHECK(d.ask<running_job_list>(running_atom_v));
  CHECK(d.ask<attempt_list>(attempts_atom_v, std::string{"A"}, std::string{"2024-11"}));
  CHECK(d.ask<advertiser_progress>(create_atom_v, operator_call{"t0k", ""},
                                   advertiser_request{"N", "New one", "NEW"}));
  auto created = d.ask<int64_t>(create_atom_v, operator_call{"t0k", ""},
                                advertiser_request_list{{"N1", "", "NEW"}, {"E1", "", "EXISTING"}});
  REQUIRE(created);
  CHECK(*created == 2);
  CHECK(d.ask<month_list>(months_atom_v, id_list{"A", "B"}));
  CHECK(d.ask<attempt_list>(attempts_atom_v, id_list{"A"}));
  CHECK(d.ask<advertiser_progress>(trigger_atom_v, operator_call{"t0k", ""}, std::string{"A"}));
  CHECK(d.ask<month_state>(retry_atom_v, operator_call{"t0k", ""}, std::string{"A"},
                           std::string{"2024-11"}));
  CHECK(d.ask<advertiser_progress>(activate_atom_v, operator_call{"t0k", ""}, std::string{"A"}));
  CHECK(d.ask<advertiser_progress>(deactivate_atom_v, operator_call{"t0k", "spam"},
                                   std::string{"A"}));
  auto trail = d.ask<audit_page>(audit_atom_v, audit_query{"A", "1h", "", ""});
  REQUIRE(trail);
  REQUIRE(trail->entries.size() == 1);
  CHECK(trail->entries[0].action == audit_action::deactivate);
  CHECK(trail->entries[0].reason == "spam");
  CHECK(d.ask<health_report>(health_atom_v)->up);
  CHECK(d.ask<watch_frame>(watch_atom_v)->status.node == "scripted");
  auto nodes = d.ask<node_list>(nodes_atom_v);
  REQUIRE(nodes);
  CHECK(nodes->front().node_id == "scripted");
  CHECK(endpoint.calls->seen()
        == std::vector<std::string>{"list LIVE 5", "attempts A 2024-11",
                                    "create t0k N New one NEW", "create t0k 2 advertisers",
                                    "months of 2", "attempts of 1", "trigger t0k A",
                                    "retry t0k A 2024-11", "activate t0k A",
                                    "deactivate t0k A because spam", "audit A 1h"});

  auto missing = d.ask<advertiser_detail>(describe_atom_v, std::string{"missing"});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().status == console::exit_status::refused);
  CHECK(missing.error().message == "no advertiser 'missing'");
}

TEST_CASE("a watch pushes a frame every interval until its console goes away") {
  scripted_daemon endpoint;
  {
    console_side console{endpoint.port};
    REQUIRE(console.open() == "");
    auto first = console.daemon.subscribe(50ms);
    REQUIRE(first);
    auto before = first->status.running_jobs;
    for (int i = 1; i <= 3; ++i) {
      auto next = console.daemon.next_frame(2s);
      REQUIRE(next);
      REQUIRE(*next);
      CHECK((*next)->status.running_jobs > before);
      before = (*next)->status.running_jobs;
    }
    CHECK(endpoint.log.has("a console watches every 50ms (1 watching)"));
  }
  // The console's actor system is gone, its connection with it.
  CHECK(endpoint.log.shows("a watching console went away (0 watching)"));
  auto served = endpoint.calls->frames.load();
  std::this_thread::sleep_for(200ms);
  CHECK(endpoint.calls->frames.load() == served);
}

TEST_CASE("a frame the operator cannot make is pushed as its reason and the watch goes on") {
  scripted_daemon endpoint;
  console_side console{endpoint.port};
  REQUIRE(console.open() == "");
  REQUIRE(console.daemon.subscribe(30ms));
  endpoint.calls->frames_fail = true;
  auto failed = console.daemon.next_frame(2s);
  REQUIRE(failed);
  REQUIRE_FALSE(*failed);
  CHECK(failed->error().message == "the store is down");
  endpoint.calls->frames_fail = false;
  REQUIRE(eventually([&] {
    auto next = console.daemon.next_frame(100ms);
    return next && *next;
  }));
}

TEST_CASE("watch intervals out of range and watchers beyond the limit are refused") {
  scripted_daemon endpoint{scripted_daemon::quick_port(), {}, 2};
  console_side a{endpoint.port};
  REQUIRE(a.open() == "");
  auto too_fast = a.daemon.subscribe(1ms);
  REQUIRE_FALSE(too_fast);
  CHECK(too_fast.error().message.find("watch interval must be between") != std::string::npos);
  CHECK_FALSE(a.daemon.subscribe(std::chrono::hours{2}));
  REQUIRE(a.daemon.subscribe(1s));
  // Subscribing again changes the interval; it does not count twice.
  REQUIRE(a.daemon.subscribe(500ms));
  console_side b{endpoint.port};
  REQUIRE(b.open() == "");
  REQUIRE(b.daemon.subscribe(1s));
  console_side c{endpoint.port};
  REQUIRE(c.open() == "");
  auto third = c.daemon.subscribe(1s);
  REQUIRE_FALSE(third);
  CHECK(third.error().message.find("2 consoles are watching already") != std::string::npos);
}

TEST_CASE("an exit message from a console, kill included, does not end the admin actor") {
  scripted_daemon endpoint;
  console_side console{endpoint.port};
  REQUIRE(console.open() == "");
  auto remote = caf::actor_cast<caf::actor>(console.daemon.admin());
  caf::anon_send_exit(remote, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(remote, caf::exit_reason::kill);
  caf::scoped_actor self{console.sys};
  self->send_exit(remote, caf::exit_reason::kill);
  std::this_thread::sleep_for(100ms);
  CHECK(console.daemon.ask<system_status>(status_atom_v));
  console_side another{endpoint.port};
  CHECK(another.open() == "");
}
