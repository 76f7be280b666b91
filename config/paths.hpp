#pragma once

#include <optional>
#include <string>

namespace cdp {

/// What the daemon will do with a configured path.
enum class path_use {
  /// Opened for reading: it must exist and be readable.
  read_file,
  /// Opened for writing, created with its folders when missing.
  write_file,
  /// Executed: it must exist and be executable.
  run_program,
};

/// Why the OS would refuse `path` for `use` (too long, a folder, a file where
/// a folder must be, no permission), or nothing. It never throws: a value in
/// a configuration is checked before anything is opened, and a refusal names
/// the key instead of aborting later. A read-only file system is not refused
/// here: the store waits for it, saying so.
std::optional<std::string> path_problem(const std::string& path, path_use use);

} // namespace cdp
