// The PostgreSQL store runs a batch as layers of set-based statements; these
// cases pin down which items must wait for which (see postgres_batch_plan.hpp).
#include <catch2/catch.hpp>

#include "persistence/postgres_batch_plan.hpp"

using namespace cdp;

namespace {

year_month month(const char* text) { return *year_month::parse(text); }

claim_request claim(const char* id, const char* m) {
  claim_request r;
  r.advertiser_id = id;
  r.month = month(m);
  return r;
}

complete_request completion(const char* id, const char* m) {
  complete_request r;
  r.advertiser_id = id;
  r.month = month(m);
  return r;
}

fail_request failed(const char* id, const char* m, bool deactivate) {
  fail_request r;
  r.advertiser_id = id;
  r.month = month(m);
  if (deactivate)
    r.deactivate_reason = "exhausted";
  return r;
}

using layers = std::vector<std::vector<size_t>>;

} // namespace

TEST_CASE("completions of month m and claims of m+1 for many advertisers are one layer") {
  std::vector<transition> batch{completion("a", "2024-01"), claim("a", "2024-02"),
                                completion("b", "2024-01"), claim("b", "2024-02")};
  CHECK(pg::plan_layers(batch) == layers{{0, 1, 2, 3}});
}

TEST_CASE("claims of several months of one advertiser share a layer") {
  std::vector<transition> batch{claim("a", "2024-01"), claim("a", "2024-02"),
                                failed("a", "2024-03", false)};
  CHECK(pg::plan_layers(batch) == layers{{0, 1, 2}});
}

TEST_CASE("the same month twice runs in order, in separate layers") {
  std::vector<transition> batch{claim("a", "2024-01"), completion("a", "2024-01"),
                                claim("a", "2024-01")};
  CHECK(pg::plan_layers(batch) == layers{{0}, {1}, {2}});
}

TEST_CASE("two completions of one advertiser never share its advertiser row update") {
  std::vector<transition> batch{completion("a", "2024-01"), completion("b", "2024-01"),
                                completion("a", "2024-02")};
  CHECK(pg::plan_layers(batch) == layers{{0, 1}, {2}});
}

TEST_CASE("a claim after a deactivating failure sees the deactivation, and vice versa") {
  std::vector<transition> after{failed("a", "2024-01", true), claim("a", "2024-02")};
  CHECK(pg::plan_layers(after) == layers{{0}, {1}});
  std::vector<transition> before{claim("a", "2024-02"), failed("a", "2024-01", true)};
  CHECK(pg::plan_layers(before) == layers{{0}, {1}});
  std::vector<transition> plain{failed("a", "2024-01", false), claim("a", "2024-02")};
  CHECK(pg::plan_layers(plain) == layers{{0, 1}});
}

TEST_CASE("a claim that waits for an earlier month runs after that month's outcome") {
  auto chained = claim("a", "2024-02");
  chained.after = month("2024-01");
  std::vector<transition> batch{completion("a", "2024-01"), chained, completion("b", "2024-01"),
                                claim("b", "2024-02")};
  CHECK(pg::plan_layers(batch) == layers{{0, 2, 3}, {1}});
  // Waiting for a month that is not in the batch costs no layer.
  std::vector<transition> alone{chained, claim("b", "2024-02")};
  CHECK(pg::plan_layers(alone) == layers{{0, 1}});
}
