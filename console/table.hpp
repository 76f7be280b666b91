#pragma once

#include <string>
#include <vector>

namespace cdp::console {

/// Rows printed in aligned columns under a header, for people; widths count
/// characters, not bytes, so names in any script line up.
class table {
public:
  explicit table(std::vector<std::string> headers);

  /// Right-aligns a column (numbers).
  table& right(size_t column);

  void add(std::vector<std::string> row);

  bool empty() const { return rows_.empty(); }

  /// Each line at most `width` characters (0: no limit), ending in '\n'.
  std::string render(size_t width = 0) const;

private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

/// `label  value` lines with the values aligned.
class fields {
public:
  fields& add(std::string label, std::string value);
  std::string render() const;

private:
  std::vector<std::pair<std::string, std::string>> rows_;
};

/// Characters (UTF-8 code points) in `text`.
size_t display_width(const std::string& text);

/// `text` cut to `width` characters, the last one an ellipsis when cut.
std::string clip(const std::string& text, size_t width);

} // namespace cdp::console
