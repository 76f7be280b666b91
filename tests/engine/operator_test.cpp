#include "actors/errors.hpp"
#include "domain/operator_input.hpp"
#include "engine/engine_fixture.hpp"

using namespace cdp;
using namespace cdp::test;
using namespace std::chrono_literals;

namespace {

template <class Answer, class... Ts>
expected<Answer> ask(engine_fixture& f, Ts&&... xs) {
  caf::scoped_actor self{*f.sys};
  expected<Answer> out = make_failure(errc::timeout, "no answer");
  self->request(f.running->operations, 10s, std::forward<Ts>(xs)...)
    .receive([&](Answer& a) { out = std::move(a); },
             [&](caf::error& err) { out = from_caf_error(err); });
  return out;
}

template <class T>
errc code_of(const expected<T>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().code;
}

} // namespace

TEST_CASE_METHOD(engine_fixture, "the operator refuses a wrong token, a bad id and a bad month, and changes nothing") {
  cfg.http.token = "s3cret";
  start();
  add("C", advertiser_type::existing);
  CHECK(code_of(ask<advertiser_progress>(*this, deactivate_atom_v, operator_call{},
                                         std::string{"C"}))
        == errc::unauthorized);
  CHECK(code_of(ask<advertiser_progress>(*this, deactivate_atom_v, operator_call{"s3cre", ""},
                                         std::string{"C"}))
        == errc::unauthorized);
  CHECK(code_of(ask<advertiser_progress>(*this, deactivate_atom_v, operator_call{"s3cret", "because"},
                                         std::string{"C D"}))
        == errc::invalid_argument);
  CHECK(code_of(ask<month_state>(*this, retry_atom_v, operator_call{"s3cret", "because"}, std::string{"C"},
                                 std::string{"2024-13"}))
        == errc::invalid_argument);
  CHECK(code_of(ask<month_state>(*this, retry_atom_v, operator_call{"s3cret", "because"}, std::string{"C"},
                                 std::string{"2020-01"}))
        == errc::not_found);
  CHECK(code_of(ask<advertiser_detail>(*this, describe_atom_v, std::string{"nobody"}))
        == errc::not_found);
  CHECK(code_of(ask<advertiser_page>(*this, list_atom_v, advertiser_query{"", "", "0", ""}))
        == errc::invalid_argument);
  CHECK(who("C").active);
  auto off = ask<advertiser_progress>(*this, deactivate_atom_v, operator_call{"s3cret", "because"},
                                      std::string{"C"});
  REQUIRE(off);
  CHECK_FALSE(off->who.active);
}

TEST_CASE_METHOD(engine_fixture, "the operator describes a backfilling advertiser with lifecycle, ETA and why") {
  script->hang("C", "2023-04");
  start();
  REQUIRE(ask<advertiser_progress>(*this, create_atom_v, operator_call{},
                                   advertiser_request{"C", "Cee", "NEW"}));
  REQUIRE(eventually([&] { return month("C", "2023-04").status == month_status::running; }));
  auto d = ask<advertiser_detail>(*this, describe_atom_v, std::string{"C"});
  REQUIRE(d);
  CHECK(d->stage == lifecycle::backfilling);
  CHECK(d->progress.progress.completed_months == 3);
  CHECK(d->progress.progress.total_months == 24);
  REQUIRE(d->eta.has_value());
  CHECK(*d->eta >= clk->now() - 1s);
  CHECK(d->why.rfind("running 2023-04 (attempt 1 of 4) since ", 0) == 0);
  REQUIRE_FALSE(d->recent_attempts.empty());
  CHECK(d->recent_attempts.front().month == ym("2023-04"));
  script->release_all();
  REQUIRE(eventually([&] { return who("C").type == advertiser_type::existing; }));
  auto live = ask<advertiser_detail>(*this, describe_atom_v, std::string{"C"});
  REQUIRE(live);
  CHECK(live->stage == lifecycle::live);
  CHECK_FALSE(live->eta.has_value());
}

TEST_CASE_METHOD(engine_fixture, "the operator's status, health and watch frame count what the store holds") {
  start();
  add("A", advertiser_type::existing);
  auto before = ask<system_status>(*this, status_atom_v);
  REQUIRE(before);
  CHECK(before->advertisers.existing_active == 1);
  add("C", advertiser_type::new_advertiser);
  REQUIRE(eventually([&] { return who("C").type == advertiser_type::existing; }));
  // Past the count's age the first caller gets a new count, not the old one.
  std::this_thread::sleep_for(1100ms);
  auto s = ask<system_status>(*this, status_atom_v);
  REQUIRE(s);
  CHECK(s->advertisers.existing_active == 2);
  CHECK(s->lifecycles.live == 2);
  CHECK(s->months.completed + s->months.running >= 25);
  CHECK(s->pool.core_size == cfg.pool.core_size);
  CHECK(s->node == "test-node");
  auto h = ask<health_report>(*this, health_atom_v);
  REQUIRE(h);
  CHECK(h->up);
  CHECK(h->components.size() == 5);
  auto w = ask<watch_frame>(*this, watch_atom_v);
  REQUIRE(w);
  CHECK(w->status.lifecycles.live == 2);
}

TEST_CASE_METHOD(engine_fixture, "the operator creates advertisers in bulk, all or none, and they start at once") {
  cfg.http.token = "s3cret";
  cfg.schedule.tick_interval = 1h;
  cfg.backfill_months = 3;
  start();
  add("A", advertiser_type::existing);
  advertiser_request_list requests{{"N1", "", "NEW"}, {"E1", "", "EXISTING"}, {"A", "", "NEW"}};
  CHECK(code_of(ask<int64_t>(*this, create_atom_v, operator_call{"wrong", ""}, requests))
        == errc::unauthorized);
  CHECK(code_of(ask<int64_t>(*this, create_atom_v, operator_call{"s3cret", "because"}, requests))
        == errc::conflict);
  id_list ids{"N1", "E1"};
  auto none = ask<month_list>(*this, months_atom_v, ids);
  REQUIRE(none);
  CHECK(none->empty());

  requests.pop_back();
  auto created = ask<int64_t>(*this, create_atom_v, operator_call{"s3cret", "because"}, requests);
  REQUIRE(created);
  CHECK(*created == 2);
  // The tick is an hour away: the creation's own listing hands them out.
  REQUIRE(eventually([&] {
    auto months = ask<month_list>(*this, months_atom_v, ids);
    return months && months->size() == 4
           && std::all_of(months->begin(), months->end(), [](const month_state& m) {
                return m.status == month_status::completed;
              });
  }));
  auto attempts = ask<attempt_list>(*this, attempts_atom_v, ids);
  REQUIRE(attempts);
  REQUIRE(attempts->size() == 4);
  CHECK(attempts->front().advertiser_id == "E1");
  CHECK(attempts->back().advertiser_id == "N1");
  CHECK(attempts->back().outcome == month_status::completed);

  CHECK(code_of(ask<attempt_list>(*this, attempts_atom_v, id_list{"N1", "no body"}))
        == errc::invalid_argument);
  CHECK(code_of(ask<month_list>(*this, months_atom_v, id_list(max_ids_per_read + 1, "N1")))
        == errc::invalid_argument);
  CHECK(code_of(ask<int64_t>(*this, create_atom_v, operator_call{"s3cret", "because"},
                             advertiser_request_list{}))
        == errc::invalid_argument);
}
