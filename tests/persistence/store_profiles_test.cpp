#include <random>

#include "persistence/store.hpp"
#include "profile_answers.hpp"
#include "store_fixture.hpp"

using namespace cdp;
using namespace std::chrono_literals;
using namespace cdp::test;

namespace {

const auto march = *year_month::parse("2024-03");

customer_event event(int64_t id, std::string advertiser, std::string customer, timestamp when,
                     std::string type, std::optional<int64_t> revenue = std::nullopt) {
  return customer_event{id,   std::move(advertiser), std::move(customer),
                        when, std::move(type),       revenue};
}

/// A month of events for "shop" with known answers, each event labelled by
/// hand: the profiles the job must build, the events it must reject (and
/// why), and neighbours it must not see (other months, another advertiser).
struct data_set {
  std::vector<customer_event> events;
  profile_tally want{"shop", march};

  void add_valid(customer_event e) {
    want.count_valid(e);
    events.push_back(std::move(e));
  }
  void add_invalid(customer_event e, std::string reason) {
    want.count_rejected(e.id, std::move(reason));
    events.push_back(std::move(e));
  }
};

data_set generate(int64_t first_id, int count, unsigned seed) {
  data_set d;
  std::mt19937_64 rng{seed};
  auto pick = [&](int64_t n) { return static_cast<int64_t>(rng() % static_cast<uint64_t>(n)); };
  const auto start = march.start_utc();
  const auto length = (march.next().start_utc() - start).count();
  const char* types[] = {"view", "click", "cart", "purchase"};
  auto id = first_id;
  for (int i = 0; i < count; ++i) {
    auto customer = "cust-" + std::to_string(pick(40));
    auto when = start + std::chrono::milliseconds{pick(length)};
    std::string type = types[pick(4)];
    std::optional<int64_t> revenue;
    if (type == "purchase")
      revenue = 1 + pick(100000);
    else if (pick(5) == 0)
      revenue = pick(3000);  // a cart's value: valid, but not revenue
    d.add_valid(event(id++, "shop", customer, when, type, revenue));
  }
  // The month's edges: the first instant is in, the last millisecond too.
  d.add_valid(event(id++, "shop", "edge", start, "view"));
  d.add_valid(event(id++, "shop", "edge", march.next().start_utc() - 1ms, "purchase", 250));
  // SQL metacharacters and unicode in a customer id are just text.
  d.add_valid(event(id++, "shop", "'; DROP TABLE customer_events; --", start + 5h, "click"));
  d.add_valid(event(id++, "shop", "고객 🚀 \"q\"", start + 6h, "purchase", 4200));

  auto mid = start + 240h;
  d.add_invalid(event(id++, "shop", "", mid, "view"), "empty customer_id");
  d.add_invalid(event(id++, "shop", "", mid, "purchase", 100), "empty customer_id");
  d.add_invalid(event(id++, "shop", "cust-1", mid, "refund", 100), "unknown event_type");
  d.add_invalid(event(id++, "shop", "cust-1", mid, "VIEW"), "unknown event_type");
  d.add_invalid(event(id++, "shop", "cust-1", mid, ""), "unknown event_type");
  d.add_invalid(event(id++, "shop", "cust-2", mid, "view", -1), "negative revenue");
  d.add_invalid(event(id++, "shop", "cust-2", mid, "purchase", -500), "negative revenue");
  d.add_invalid(event(id++, "shop", "cust-3", mid, "purchase"), "purchase without revenue");
  d.add_invalid(event(id++, "shop", "cust-3", mid, "purchase", 0), "purchase without revenue");
  d.add_invalid(event(id++, "shop", "cust-new", mid, "purchase", 0), "purchase without revenue");

  // Neighbours: the same advertiser's February and April, another advertiser.
  d.events.push_back(event(id++, "shop", "cust-1", start - 1ms, "purchase", 999));
  d.events.push_back(event(id++, "shop", "cust-1", march.next().start_utc(), "view"));
  d.events.push_back(event(id++, "shop", "", march.next().start_utc() + 1h, "view"));
  d.events.push_back(event(id++, "other-shop", "cust-1", mid, "purchase", 777));
  d.events.push_back(event(id++, "other-shop", "", mid, "view"));
  return d;
}

void check_profiles(store& s, const data_set& d) {
  auto want = d.want.answers();
  CHECK(describe(must(s.list_profiles("shop", march))) == want.profiles);
  CHECK(describe(must(s.list_rejected("shop", march))) == want.rejected);
}

} // namespace

TEST_CASE("monthly profiles aggregate the valid events and reject every invalid kind") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  auto d = generate(1, 3000, 20240301);
  must(s.insert_events(d.events));

  auto counts = must(s.build_monthly_profiles("shop", march));
  auto want = d.want.answers().counts;
  CHECK(counts.processed_records == want.processed_records);
  CHECK(counts.failed_records == want.failed_records);
  check_profiles(s, d);

  // The other months and the other advertiser were not touched.
  CHECK(must(s.list_profiles("shop", ym("2024-02"))).empty());
  CHECK(must(s.list_profiles("other-shop", march)).empty());
}

TEST_CASE("rebuilding a month's profiles replaces them and never double counts") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  auto d = generate(1, 500, 7);
  must(s.insert_events(d.events));
  auto first = must(s.build_monthly_profiles("shop", march));
  auto second = must(s.build_monthly_profiles("shop", march));
  CHECK(second.processed_records == first.processed_records);
  CHECK(second.failed_records == first.failed_records);
  check_profiles(s, d);

  // Late data arrives: the rebuild includes it, once.
  auto late = march.start_utc() + 300h;
  d.events.clear();
  d.add_valid(event(100000, "shop", "cust-5", late, "purchase", 5000));
  d.add_valid(event(100001, "shop", "late-comer", late, "view"));
  d.add_invalid(event(100002, "shop", "cust-5", late, "purchase"), "purchase without revenue");
  must(s.insert_events(d.events));
  auto third = must(s.build_monthly_profiles("shop", march));
  auto want = d.want.answers().counts;
  CHECK(third.processed_records == want.processed_records);
  CHECK(third.failed_records == want.failed_records);
  check_profiles(s, d);
}

TEST_CASE("month boundaries are UTC and half-open: from the first instant to the next month's") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  auto start = march.start_utc();
  auto next = march.next().start_utc();
  std::vector<customer_event> events{
    event(1, "shop", "c", start - 1ms, "view"),
    event(2, "shop", "c", start, "view"),
    event(3, "shop", "c", next - 1ms, "view"),
    event(4, "shop", "c", next, "view"),
  };
  must(s.insert_events(events));
  CHECK(must(s.build_monthly_profiles("shop", march)).processed_records == 2);
  CHECK(must(s.build_monthly_profiles("shop", ym("2024-02"))).processed_records == 1);
  CHECK(must(s.build_monthly_profiles("shop", ym("2024-04"))).processed_records == 1);
  auto p = must(s.list_profiles("shop", march));
  REQUIRE(p.size() == 1);
  CHECK(p[0].first_seen == start);
  CHECK(p[0].last_seen == next - 1ms);
}

TEST_CASE("a month without events builds no profiles and counts nothing") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  auto counts = must(s.build_monthly_profiles("shop", march));
  CHECK(counts.processed_records == 0);
  CHECK(counts.failed_records == 0);
  CHECK(must(s.list_profiles("shop", march)).empty());
  CHECK(must(s.list_rejected("shop", march)).empty());
}

TEST_CASE("events without an id are numbered by the store") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  auto mid = march.start_utc() + 100h;
  std::vector<customer_event> numbered{event(10, "shop", "c", mid, "view")};
  std::vector<customer_event> unnumbered{event(0, "shop", "", mid, "view"),
                                         event(0, "shop", "", mid, "click")};
  must(s.insert_events(numbered));
  must(s.insert_events(unnumbered));
  CHECK(must(s.build_monthly_profiles("shop", march)).failed_records == 2);
  auto rejected = must(s.list_rejected("shop", march));
  REQUIRE(rejected.size() == 2);
  CHECK(rejected[0].event_id > 10);
  CHECK(rejected[1].event_id > rejected[0].event_id);
}
