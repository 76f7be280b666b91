// cdpload: the load tester. Everything but the command line is in load/.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <variant>

#include <spdlog/spdlog.h>

#include "load/options.hpp"
#include "load/run.hpp"
#include "load/target.hpp"

int main(int argc, char** argv) {
  auto parsed = cdp::load::parse_options(argc, argv);
  if (auto* exit = std::get_if<cdp::load::parse_exit>(&parsed)) {
    (exit->code == 0 ? std::cout : std::cerr) << exit->text << '\n';
    return exit->code;
  }
  const auto& o = std::get<cdp::load::options>(parsed);
  // The engine's per-job lines would cost more than the simulated jobs.
  spdlog::set_level(spdlog::level::warn);
  auto result = o.target.empty() ? cdp::load::run(o, stderr) : cdp::load::run_against(o, stderr);
  if (!result) {
    std::cerr << "cdpload: " << result.error().message << '\n';
    return 1;
  }
  std::cout << cdp::load::to_table(*result);
  if (!o.json_file.empty()) {
    std::ofstream out{o.json_file};
    out << cdp::load::to_json(*result).dump(2) << '\n';
    if (!out) {
      std::cerr << "cdpload: cannot write " << o.json_file << '\n';
      return 1;
    }
  }
  return result->order_violations == 0 ? 0 : 1;
}
