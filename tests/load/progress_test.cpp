#include "load/progress.hpp"

#include <algorithm>

#include <catch2/catch.hpp>

using namespace cdp::load;

TEST_CASE("the progress bar fills with the months done and fits its width") {
  progress_view half{12, 24, 100, 2.0, 80.0};
  auto line = progress_bar(half, 70);
  CHECK(line.size() <= 70);
  CHECK(line.find("12/24 months  100 jobs/s  ETA 2s  80 MB") != std::string::npos);
  auto bar = line.substr(0, line.find(']') + 1);
  CHECK(std::count(bar.begin(), bar.end(), '#') == std::count(bar.begin(), bar.end(), '-'));

  progress_view nothing_due{0, 0, 0, 0, std::nullopt};
  auto done = progress_bar(nothing_due, 40);
  CHECK(done.substr(0, done.find(']')).find('-') == std::string::npos);
  CHECK(done.find("ETA 0s") != std::string::npos);
  CHECK(progress_line(half) == "cdpload: 12/24 months, 100 jobs/s, 2.0 s, ETA 2s, RSS 80 MB");
}
