#include "console/table.hpp"

#include <algorithm>

namespace cdp::console {

size_t display_width(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string clip(const std::string& text, size_t width) {
  if (display_width(text) <= width)
    return text;
  if (width == 0)
    return {};
  size_t kept = 0;
  size_t i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && ++kept == width)
      break;
  }
  return text.substr(0, i) + "\xE2\x80\xA6";
}

table::table(std::vector<std::string> headers)
  : headers_(std::move(headers)), right_(headers_.size(), false) {}

table& table::right(size_t column) {
  right_.at(column) = true;
  return *this;
}

void table::add(std::vector<std::string> row) {
  row.resize(headers_.size());
  rows_.push_back(std::move(row));
}

std::string table::render(size_t width) const {
  std::vector<size_t> widths(headers_.size());
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < row.size(); ++c)
      widths[c] = std::max(widths[c], display_width(row[c]));
  };
  measure(headers_);
  for (const auto& row : rows_)
    measure(row);
  auto line = [&](const std::vector<std::string>& row) {
    std::string out;
    for (size_t c = 0; c < row.size(); ++c) {
      auto pad = std::string(widths[c] - display_width(row[c]), ' ');
      bool last = c + 1 == row.size();
      out += right_[c] ? pad + row[c] : (last ? row[c] : row[c] + pad);
      if (!last)
        out += "  ";
    }
    out.erase(out.find_last_not_of(' ') + 1);
    return (width > 0 ? clip(out, width) : out) + "\n";
  };
  std::string out = line(headers_);
  for (const auto& row : rows_)
    out += line(row);
  return out;
}

fields& fields::add(std::string label, std::string value) {
  rows_.emplace_back(std::move(label), std::move(value));
  return *this;
}

std::string fields::render() const {
  size_t w = 0;
  for (const auto& [label, value] : rows_)
    w = std::max(w, display_width(label));
  std::string out;
  for (const auto& [label, value] : rows_)
    out += label + ":" + std::string(w - display_width(label) + 2, ' ') + value + "\n";
  return out;
}

} // namespace cdp::console
