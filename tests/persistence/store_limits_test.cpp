#include "persistence/store.hpp"
#include "store_fixture.hpp"

using namespace cdp;
using namespace std::chrono_literals;
using namespace cdp::test;

TEST_CASE("a statement running past statement_timeout is cut short with errc::timeout") {
  FOR_EACH_BACKEND(db);
  auto month = ym("2024-03");
  std::vector<customer_event> events;
  constexpr int count = 200000;
  events.reserve(count);
  for (int i = 0; i < count; ++i)
    events.push_back(customer_event{0, "big", "cust-" + std::to_string(i % 5000),
                                    month.start_utc() + std::chrono::seconds{i}, "view",
                                    std::nullopt});
  must(db->main().insert_events(events));

  store_options hurried;
  hurried.statement_timeout = 1ms;
  auto s = db->connect(hurried);
  CHECK(failed_with(s->build_monthly_profiles("big", month), errc::timeout));
  // Nothing half-built stays behind.
  CHECK(must(db->main().list_profiles("big", month)).empty());
  CHECK(must(db->main().build_monthly_profiles("big", month)).processed_records == count);
}
