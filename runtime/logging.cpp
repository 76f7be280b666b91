#include "runtime/logging.hpp"

#include <filesystem>
#include <vector>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace cdp {

status setup_logging(const std::string& level, const std::string& file) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stdout_color_sink_mt>());
  try {
    auto dir = std::filesystem::path{file}.parent_path();
    if (!dir.empty())
      std::filesystem::create_directories(dir);
    sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
      file, 10 * 1024 * 1024, 5));
  } catch (const std::exception& e) {
    return make_failure(errc::invalid_argument,
                        "log.file: cannot open '" + file + "': " + e.what());
  }
  auto logger = std::make_shared<spdlog::logger>("cdpbatch", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(level));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%-5l%$ %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return ok;
}

} // namespace cdp
