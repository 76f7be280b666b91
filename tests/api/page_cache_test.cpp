#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "api/page_cache.hpp"

using namespace std::chrono_literals;
using cdp::api::page_cache;
using cdp::api::rendered;

namespace {

/// A render that counts itself and answers its count.
struct counting_render {
  int calls = 0;
  int status = 200;
  rendered operator()() {
    ++calls;
    return {status, "page " + std::to_string(calls)};
  }
};

} // namespace

TEST_CASE("a page is rendered once while it is young and again once it is old",
          "[page_cache]") {
  page_cache cache{1000ms};
  counting_render render;
  auto fn = [&] { return render(); };
  auto t0 = page_cache::clock_type::time_point{} + 1h;
  CHECK(cache.get("/a", t0, fn).body == "page 1");
  CHECK(cache.get("/a", t0 + 100ms, fn).body == "page 1");
  CHECK(cache.get("/a", t0 + 499ms, fn).body == "page 1");
  CHECK(render.calls == 1);
  // Past half its age the caller gets a fresh one; the next callers too.
  CHECK(cache.get("/a", t0 + 500ms, fn).body == "page 2");
  CHECK(cache.get("/a", t0 + 600ms, fn).body == "page 2");
  // Long past its age, it is rendered again before anyone is answered.
  CHECK(cache.get("/a", t0 + 5s, fn).body == "page 3");
  CHECK(render.calls == 3);
}

TEST_CASE("each query has its own page", "[page_cache]") {
  page_cache cache{1000ms};
  counting_render render;
  auto fn = [&] { return render(); };
  auto t0 = page_cache::clock_type::time_point{} + 1h;
  CHECK(cache.get("/a", t0, fn).body == "page 1");
  CHECK(cache.get("/b", t0, fn).body == "page 2");
  CHECK(cache.get("/a", t0, fn).body == "page 1");
}

TEST_CASE("a change drops every page rendered before it", "[page_cache]") {
  page_cache cache{1000ms};
  counting_render render;
  auto fn = [&] { return render(); };
  auto t0 = page_cache::clock_type::time_point{} + 1h;
  CHECK(cache.get("/a", t0, fn).body == "page 1");
  cache.changed();
  CHECK(cache.get("/a", t0 + 1ms, fn).body == "page 2");
  CHECK(cache.get("/a", t0 + 2ms, fn).body == "page 2");
}

TEST_CASE("a page rendered across a change is answered but not kept", "[page_cache]") {
  page_cache cache{1000ms};
  int calls = 0;
  auto t0 = page_cache::clock_type::time_point{} + 1h;
  auto racing = [&] {
    ++calls;
    if (calls == 1)
      cache.changed(); // made while the first render reads the store
    return rendered{200, "page " + std::to_string(calls)};
  };
  CHECK(cache.get("/a", t0, racing).body == "page 1");
  CHECK(cache.get("/a", t0 + 1ms, racing).body == "page 2");
  CHECK(cache.get("/a", t0 + 2ms, racing).body == "page 2");
}

TEST_CASE("a failed render is never kept", "[page_cache]") {
  page_cache cache{1000ms};
  counting_render render;
  render.status = 503;
  auto fn = [&] { return render(); };
  auto t0 = page_cache::clock_type::time_point{} + 1h;
  CHECK(cache.get("/a", t0, fn).status == 503);
  render.status = 200;
  CHECK(cache.get("/a", t0 + 1ms, fn).body == "page 2");
  CHECK(cache.get("/a", t0 + 2ms, fn).body == "page 2");
}

TEST_CASE("a zero age keeps nothing", "[page_cache]") {
  page_cache cache{0ms};
  counting_render render;
  auto fn = [&] { return render(); };
  auto t0 = page_cache::clock_type::time_point{} + 1h;
  cache.get("/a", t0, fn);
  cache.get("/a", t0, fn);
  CHECK(render.calls == 2);
}

TEST_CASE("distinct queries beyond the bound are rendered but not kept", "[page_cache]") {
  page_cache cache{1000ms, 2};
  counting_render render;
  auto fn = [&] { return render(); };
  auto t0 = page_cache::clock_type::time_point{} + 1h;
  cache.get("/a", t0, fn);
  cache.get("/b", t0, fn);
  CHECK(cache.get("/c", t0, fn).body == "page 3");
  CHECK(cache.get("/c", t0, fn).body == "page 4");
  CHECK(cache.get("/a", t0, fn).body == "page 1");
  // Once the kept ones are old, they make room.
  CHECK(cache.get("/c", t0 + 2s, fn).body == "page 5");
  CHECK(cache.get("/c", t0 + 2s, fn).body == "page 5");
}

TEST_CASE("callers of an expired page wait for one render", "[page_cache]") {
  page_cache cache{1000ms};
  std::atomic<int> calls{0};
  std::atomic<bool> release{false};
  auto slow = [&] {
    ++calls;
    while (!release)
      std::this_thread::sleep_for(1ms);
    return rendered{200, "page"};
  };
  auto t0 = page_cache::clock_type::time_point{} + 1h;
  std::vector<std::thread> callers;
  std::atomic<int> answered{0};
  for (int i = 0; i < 8; ++i)
    callers.emplace_back([&] {
      if (cache.get("/a", t0, slow).body == "page")
        ++answered;
    });
  while (calls == 0)
    std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(20ms);
  release = true;
  for (auto& t : callers)
    t.join();
  CHECK(calls == 1);
  CHECK(answered == 8);
}

TEST_CASE("a peek answers only what get would answer without rendering", "[page_cache]") {
  page_cache cache{1000ms};
  counting_render render;
  auto fn = [&] { return render(); };
  auto t0 = page_cache::clock_type::time_point{} + 1h;
  CHECK_FALSE(cache.peek("/a", t0));
  CHECK(cache.get("/a", t0, fn).body == "page 1");
  auto young = cache.peek("/a", t0 + 499ms);
  REQUIRE(young);
  CHECK(young->body == "page 1");
  // Past half its age a get renders it afresh, so a peek leaves it to get.
  CHECK_FALSE(cache.peek("/a", t0 + 500ms));
  CHECK_FALSE(cache.peek("/b", t0));
  cache.changed();
  CHECK_FALSE(cache.peek("/a", t0 + 1ms));
  CHECK(render.calls == 1);
}

TEST_CASE("a peek answers the old page while another caller renders the new one", "[page_cache]") {
  page_cache cache{1000ms};
  auto t0 = page_cache::clock_type::time_point{} + 1h;
  cache.get("/a", t0, [] { return rendered{200, "old"}; });
  std::atomic<bool> inside{false}, release{false};
  std::thread renderer{[&] {
    cache.get("/a", t0 + 600ms, [&] {
      inside = true;
      while (!release)
        std::this_thread::yield();
      return rendered{200, "new"};
    });
  }};
  while (!inside)
    std::this_thread::yield();
  auto seen = cache.peek("/a", t0 + 700ms);
  release = true;
  renderer.join();
  REQUIRE(seen);
  CHECK(seen->body == "old");
  CHECK(cache.peek("/a", t0 + 700ms)->body == "new");
}
