#pragma once

#include <memory>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "domain/errors.hpp"
#include "domain/year_month.hpp"

namespace cdp {

/// Installs the default logger: console (stdout) plus a rotating file
/// (10 MiB × 5) at `file`, whose folder is created. `level` is spdlog's name.
/// Asynchronous: call `spdlog::shutdown()` before exit to write the rest.
status setup_logging(const std::string& level, const std::string& file);

/// Logs with `[advertiser=ID month=YYYY-MM]` in front, so every job line can
/// be found with grep.
template <class... Args>
void log_job(spdlog::level::level_enum level, const std::string& advertiser,
             year_month month, spdlog::format_string_t<Args...> fmt, Args&&... args) {
  auto logger = spdlog::default_logger_raw();
  if (!logger->should_log(level))
    return;
  logger->log(level, "[advertiser={} month={}] {}", advertiser, month.to_string(),
              fmt::format(fmt, std::forward<Args>(args)...));
}

} // namespace cdp
