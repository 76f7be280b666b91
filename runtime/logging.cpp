#include "runtime/logging.hpp"

#include <filesystem>
#include <vector>

#include <spdlog/async.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace cdp {

namespace {

/// Lines the logging thread may have waiting (about 2 MiB).
constexpr size_t log_queue_lines = 8192;

} // namespace

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
  // Lines are written by spdlog's own thread: a job's log lines never wait
  // for the disk on a scheduler thread. A full queue makes the caller wait
  // rather than lose lines.
  spdlog::init_thread_pool(log_queue_lines, 1);
  auto logger = std::make_shared<spdlog::async_logger>("cdpbatch", sinks.begin(), sinks.end(),
                                                       spdlog::thread_pool(),
                                                       spdlog::async_overflow_policy::block);
  logger->set_level(spdlog::level::from_str(level));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%-5l%$ %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return ok;
}

} // namespace cdp
