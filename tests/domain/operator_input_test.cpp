#include <catch2/catch.hpp>

#include "domain/operator_input.hpp"

using namespace cdp;

namespace {

template <class T>
bool refused(const expected<T>& r, errc code = errc::invalid_argument) {
  if (r)
    return false;
  UNSCOPED_INFO(r.error().message);
  return r.error().code == code;
}

} // namespace

TEST_CASE("a page query takes lifecycle, active, limit and after, defaulting to 100 from the start") {
  auto all = parse_query({});
  REQUIRE(all);
  CHECK_FALSE(all->stage.has_value());
  CHECK_FALSE(all->active.has_value());
  CHECK(all->limit == 100);
  CHECK(all->after.empty());
  auto some = parse_query({"DEGRADED", "false", "1000", "adv-9"});
  REQUIRE(some);
  CHECK(some->stage == lifecycle::degraded);
  CHECK(some->active == false);
  CHECK(some->limit == 1000);
  CHECK(some->after == "adv-9");
}

TEST_CASE("a page query with a bad field is refused naming the field") {
  CHECK(refused(parse_query({"live", "", "", ""})));
  CHECK(refused(parse_query({"", "yes", "", ""})));
  for (const char* limit : {"0", "1001", "-1", "10x", " 5", "99999999999"})
    CHECK(refused(parse_query({"", "", limit, ""})));
  CHECK(refused(parse_query({"", "", "", "a b"})));
  auto r = parse_query({"", "", "0", ""});
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("limit") != std::string::npos);
}

TEST_CASE("months and ids are checked before anything is asked") {
  CHECK(parse_month("2024-03"));
  for (const char* m : {"2024-13", "2024-3", "24-03", "", "2024-03 "})
    CHECK(refused(parse_month(m)));
  CHECK(parse_advertiser_id("adv_1.x-2"));
  CHECK(refused(parse_advertiser_id("")));
  CHECK(refused(parse_advertiser_id(std::string(51, 'a'))));
  CHECK(refused(parse_advertiser_id("../etc")));
}

TEST_CASE("a create request needs a valid id, a short name and NEW or EXISTING") {
  auto ok = parse_request({"C", "Cee", "NEW"});
  REQUIRE(ok);
  CHECK(ok->type == advertiser_type::new_advertiser);
  CHECK(refused(parse_request({"C", "Cee", "new"})));
  CHECK(refused(parse_request({"C D", "Cee", "NEW"})));
  CHECK(refused(parse_request({"C", std::string(201, 'n'), "EXISTING"})));
}

TEST_CASE("the token is compared whole, and no token configured lets everyone in") {
  CHECK(token_matches("", ""));
  CHECK(token_matches("", "anything"));
  CHECK(token_matches("s3cret", "s3cret"));
  CHECK_FALSE(token_matches("s3cret", ""));
  CHECK_FALSE(token_matches("s3cret", "s3cre"));
  CHECK_FALSE(token_matches("s3cret", "s3cret!"));
  CHECK_FALSE(token_matches("s3cret", "S3cret"));
}

TEST_CASE("a RUNNING or closed month may not be retried, an exhausted one blocks activation") {
  month_state m;
  m.advertiser_id = "C";
  m.month = *year_month::parse("2024-03");
  m.status = month_status::running;
  CHECK(refused(may_retry(m), errc::conflict));
  m.status = month_status::completed;
  CHECK(may_retry(m));
  m.closed = true;
  CHECK(refused(may_retry(m), errc::conflict));
  m.status = month_status::failed;
  m.closed = false;
  CHECK(may_retry(m));

  advertiser who;
  who.id = "C";
  m.retry_count = 3;
  m.max_retries = 3;
  std::vector<month_state> months{m};
  CHECK(refused(may_activate(who, months), errc::conflict));
  months[0].retry_count = 2;
  CHECK(may_activate(who, months));
}

TEST_CASE("a bulk creation takes 1 to 5000 valid requests and names the first bad one") {
  std::vector<advertiser_request> two{{"adv-1", "One", "NEW"}, {"adv-2", "", "EXISTING"}};
  auto made = parse_requests(two);
  REQUIRE(made);
  REQUIRE(made->size() == 2);
  CHECK((*made)[0].type == advertiser_type::new_advertiser);
  CHECK((*made)[1].id == "adv-2");

  CHECK(refused(parse_requests({})));
  std::vector<advertiser_request> many(max_bulk_create + 1, {"adv", "", "NEW"});
  CHECK(refused(parse_requests(many)));
  many.pop_back();
  for (size_t i = 0; i < many.size(); ++i)
    many[i].advertiser_id = "adv-" + std::to_string(i);
  CHECK(parse_requests(many));

  std::vector<advertiser_request> bad{{"adv-1", "", "NEW"}, {"adv 2", "", "NEW"}};
  auto refusal = parse_requests(bad);
  REQUIRE(refused(refusal));
  CHECK_THAT(refusal.error().message, Catch::StartsWith("advertiser 2 of 2: "));
  bad[1] = {"adv-2", "", "OLD"};
  CHECK(refused(parse_requests(bad)));
}

TEST_CASE("a read of many advertisers takes at most 1000 valid ids") {
  std::vector<std::string> ids{"adv-1", "adv-2"};
  CHECK(parse_ids(ids).value() == ids);
  CHECK(parse_ids({})->empty());
  CHECK(refused(parse_ids(std::vector<std::string>{"adv-1", "../etc"})));
  CHECK(refused(parse_ids(std::vector<std::string>(max_ids_per_read + 1, "adv"))));
  CHECK(parse_ids(std::vector<std::string>(max_ids_per_read, "adv")));
}
