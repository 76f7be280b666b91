#include "config/paths.hpp"

#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>

#include <sys/stat.h>
#include <unistd.h>

namespace cdp {

namespace {

std::string quoted_start(std::string_view s) {
  constexpr size_t shown = 40;
  return "'" + std::string{s.substr(0, shown)} + (s.size() > shown ? "...'" : "'");
}

std::optional<std::string> length_problem(const std::string& path) {
  if (path.size() >= PATH_MAX)
    return "is " + std::to_string(path.size()) + " bytes long; the OS allows at most "
           + std::to_string(PATH_MAX - 1);
  size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string::npos)
      end = path.size();
    if (end - start > NAME_MAX)
      return "has a part of " + std::to_string(end - start) + " bytes ("
             + quoted_start(std::string_view{path}.substr(start, end - start))
             + "); the OS allows at most " + std::to_string(NAME_MAX);
    start = end + 1;
  }
  return std::nullopt;
}

std::string os_says(int err) { return std::strerror(err); }

/// `path` does not exist yet: the nearest folder above it that does must be
/// a folder we may create entries in.
std::optional<std::string> creatable(const std::string& path) {
  auto parent = path;
  while (true) {
    auto slash = parent.find_last_of('/');
    if (slash == std::string::npos)
      parent = ".";
    else
      parent = slash == 0 ? std::string{"/"} : parent.substr(0, slash);
    struct stat st {};
    if (::stat(parent.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode))
        return "cannot be created: '" + parent + "' is not a folder";
      if (::access(parent.c_str(), W_OK | X_OK) != 0 && errno != EROFS)
        return "cannot be created in '" + parent + "': " + os_says(errno);
      return std::nullopt;
    }
    int err = errno;
    if (parent == "." || parent == "/")
      return std::nullopt;
    if (err != ENOENT && err != ENOTDIR)
      return "cannot be created under '" + parent + "': " + os_says(err);
  }
}

} // namespace

std::optional<std::string> path_problem(const std::string& path, path_use use) {
  if (path.empty())
    return "is empty; it must name a file";
  if (path.find('\0') != std::string::npos)
    return "contains a NUL byte";
  if (auto too_long = length_problem(path))
    return too_long;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if ((errno == ENOENT || errno == ENOTDIR) && use == path_use::write_file)
      return creatable(path);
    if (errno == ENOENT)
      return "no such file '" + path + "'";
    if (errno == ENOTDIR)
      return "'" + path + "' goes through a file as if it were a folder";
    if (errno == EACCES)
      return "'" + path + "' cannot be reached: a folder on the way may not be searched ("
             + os_says(errno) + ")";
    return "'" + path + "': " + os_says(errno);
  }
  if (S_ISDIR(st.st_mode))
    return "'" + path + "' is a folder, not a file";
  if (!S_ISREG(st.st_mode))
    return "'" + path + "' is not a regular file";
  struct need {
    int mode;
    const char* verb;
  };
  auto [mode, verb] = use == path_use::read_file    ? need{R_OK, "read"}
                      : use == path_use::write_file ? need{R_OK | W_OK, "written"}
                                                    : need{X_OK, "executed"};
  if (::access(path.c_str(), mode) != 0 && errno != EROFS)
    return "'" + path + "' cannot be " + verb + ": " + os_says(errno);
  return std::nullopt;
}

} // namespace cdp
