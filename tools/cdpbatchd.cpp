// cdpbatchd: the daemon. Parses options, loads the configuration and runs.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "config/config.hpp"

int main(int argc, char** argv) {
  CLI::App app{"cdpbatchd - runs the monthly CDP batch for every advertiser at once"};
  std::string config_path = "config.toml";
  std::vector<std::string> overrides;
  bool check_only = false;
  bool demo = false;
  app.set_version_flag("--version", std::string{"cdpbatchd " CDP_VERSION});
  app.add_option("-c,--config", config_path, "configuration file (TOML)");
  app.add_option("--set", overrides, "override a key: --set retry.max_retries=5 (repeatable)")
    ->type_name("KEY=VALUE");
  app.add_flag("--check-config", check_only,
               "validate the configuration, print the effective values and exit");
  app.add_flag("--demo", demo, "create the demo advertisers when the store is empty");
  CLI11_PARSE(app, argc, argv);

  auto loaded = cdp::load_config(config_path, overrides);
  if (!loaded.value) {
    for (const auto& e : loaded.errors)
      std::cerr << "cdpbatchd: config error: " << e << '\n';
    return 2;
  }
  if (check_only) {
    std::cout << "# effective configuration (" << config_path << ")\n"
              << cdp::render_config(*loaded.value);
    return 0;
  }
  std::cerr << "cdpbatchd: the engine is not built yet\n";
  return 1;
}
