#include <catch2/catch.hpp>

#include "domain/year_month.hpp"

using cdp::year_month;

namespace {
year_month ym(const char* text) {
  return *year_month::parse(text);
}
} // namespace

TEST_CASE("a month parses from YYYY-MM and prints back the same") {
  auto m = year_month::parse("2024-12");
  REQUIRE(m);
  CHECK(m->year() == 2024);
  CHECK(m->month() == 12);
  CHECK(m->to_string() == "2024-12");
  CHECK(ym("1970-01").to_string() == "1970-01");
  CHECK(ym("9999-12").to_string() == "9999-12");
}

TEST_CASE("a month rejects garbage, out-of-range months and years") {
  for (auto bad : {"", "2024", "2024-1", "2024-13", "2024-00", "24-12", "2024/12",
                   "2024-12 ", " 2024-12", "2024-1a", "abcd-ef", "1969-12",
                   "10000-01", "2024-012", "+024-12", "2024--1"})
    CHECK_FALSE(year_month::parse(bad));
}

TEST_CASE("months add across December into January and back") {
  CHECK(ym("2024-12").next() == ym("2025-01"));
  CHECK(ym("2025-01").prev() == ym("2024-12"));
  CHECK(ym("2024-12").plus(-23) == ym("2023-01"));
  CHECK(ym("2024-03").plus(25) == ym("2026-04"));
  CHECK(cdp::months_between(ym("2023-01"), ym("2024-12")) == 23);
}

TEST_CASE("months order chronologically") {
  CHECK(ym("2023-12") < ym("2024-01"));
  CHECK(ym("2024-02") > ym("2024-01"));
  CHECK(ym("2024-02") == ym("2024-02"));
}

TEST_CASE("month arithmetic stays within 1970-01 and 9999-12") {
  CHECK(ym("1970-01").prev() == ym("1970-01"));
  CHECK(ym("9999-12").next() == ym("9999-12"));
  CHECK_FALSE(year_month::from_index(1969 * 12 + 11));
}

TEST_CASE("a month range lists every month oldest first, both ends included") {
  auto r = cdp::month_range(ym("2023-11"), ym("2024-02"));
  REQUIRE(r.size() == 4);
  CHECK(r.front() == ym("2023-11"));
  CHECK(r[2] == ym("2024-01"));
  CHECK(r.back() == ym("2024-02"));
  CHECK(cdp::month_range(ym("2024-02"), ym("2024-01")).empty());
  CHECK(cdp::month_range(ym("9999-12"), ym("9999-12")).size() == 1);
}

TEST_CASE("the UTC month of an instant, and a month's first instant") {
  auto start = ym("2025-01").start_utc();
  CHECK(year_month::of(start) == ym("2025-01"));
  CHECK(year_month::of(start - std::chrono::milliseconds{1}) == ym("2024-12"));
  auto february = ym("2024-03").start_utc() - ym("2024-02").start_utc();
  CHECK(std::chrono::duration_cast<std::chrono::days>(february).count() == 29);
}

TEST_CASE("instants print as ISO-8601 UTC with milliseconds") {
  auto t = ym("2024-12").start_utc() + std::chrono::hours{8} + std::chrono::minutes{30}
           + std::chrono::milliseconds{250};
  CHECK(cdp::to_iso8601(t) == "2024-12-01T08:30:00.250Z");
}
