#include "console/watch_view.hpp"

#include <algorithm>
#include <cstdio>

#include "console/table.hpp"
#include "console/text_views.hpp"

namespace cdp::console {

namespace {

std::string n(int64_t x) {
  return std::to_string(x);
}

std::string headline(const watch_frame& f) {
  const auto& s = f.status;
  auto next = s.next_tick ? "next tick in " + span(*s.next_tick - s.now) : std::string{"draining"};
  return "cdpbatch " + s.node + "  " + when(s.now) + " UTC  " + next;
}

std::string advertisers_line(const system_status& s) {
  const auto& a = s.advertisers;
  const auto& l = s.lifecycles;
  return n(a.new_active + a.new_inactive + a.existing_active + a.existing_inactive)
         + " advertisers: NEW " + n(l.new_advertisers) + ", BACKFILLING " + n(l.backfilling)
         + ", LIVE " + n(l.live) + ", DEGRADED " + n(l.degraded) + ", DEACTIVATED "
         + n(l.deactivated);
}

std::string months_line(const system_status& s) {
  const auto& m = s.months;
  const auto& p = s.pool;
  return "months PENDING " + n(m.pending) + ", RUNNING " + n(m.running) + ", COMPLETED "
         + n(m.completed) + ", FAILED " + n(m.failed) + "; runners " + n(p.busy) + "/"
         + n(p.runners) + " busy, queue " + n(p.queued_live + p.queued_backfill) + "/"
         + n(p.queue_capacity);
}

std::string eta_text(const advertiser_detail& d, timestamp now) {
  if (!d.eta)
    return "-";
  return when(*d.eta) + " (in " + span(*d.eta - now) + ")";
}

/// A section's table cut to `rows` lines, the last saying how many were left out.
std::vector<std::string> section(const std::string& title, size_t count, const table& t,
                                 size_t rows, size_t cols) {
  std::vector<std::string> out{title + " (" + n(static_cast<int64_t>(count)) + ")"};
  if (count == 0 || rows < 3)
    return out;
  auto text = t.render(cols);
  std::vector<std::string> lines;
  for (size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  size_t room = rows - 1;
  if (lines.size() > room) {
    auto hidden = lines.size() - (room - 1);
    lines.resize(room - 1);
    lines.push_back("  ... " + n(static_cast<int64_t>(hidden)) + " more");
  }
  out.insert(out.end(), lines.begin(), lines.end());
  return out;
}

} // namespace

std::string progress_bar(int64_t done, int64_t total, size_t width) {
  size_t filled = total > 0 ? static_cast<size_t>(std::clamp<int64_t>(done, 0, total)) * width
                                / static_cast<size_t>(total)
                            : 0;
  return "[" + std::string(filled, '#') + std::string(width - filled, '-') + "]";
}

std::string render_screen(const watch_frame& f, screen_size size, const std::string& note) {
  auto cols = std::max<size_t>(size.cols, 20);
  bool fixed = size.rows > 0;
  auto rows = fixed ? std::max<size_t>(size.rows, 8) : 0;
  std::vector<std::string> lines{headline(f), advertisers_line(f.status), months_line(f.status), ""};

  table running{{"ADVERTISER", "MONTH", "ATTEMPT", "RUNNING", "NODE"}};
  running.right(2).right(3);
  for (const auto& j : f.running)
    running.add({j.advertiser_id, j.month.to_string(), n(j.attempt),
                 span(std::chrono::seconds{j.running_seconds}), j.node});
  table backfill{{"ADVERTISER", "PROGRESS", "MONTHS", "ETA", "WHY"}};
  for (const auto& d : f.backfilling) {
    const auto& p = d.progress.progress;
    backfill.add({d.progress.who.id, progress_bar(p.completed_months, p.total_months, 20),
                  n(p.completed_months) + "/" + n(p.total_months), eta_text(d, f.status.now),
                  d.why});
  }
  table failures{{"FINISHED", "ADVERTISER", "MONTH", "ATTEMPT", "ERROR"}};
  for (const auto& a : f.recent_failures)
    failures.add({when(a.finished_at), a.advertiser_id, a.month.to_string(), n(a.attempt),
                  a.error_message});

  // What is left below the summary, shared by the three sections (a blank
  // line between them, the note at the bottom).
  size_t body = fixed ? rows - lines.size() - 1 : 0;
  size_t share = !fixed ? std::string::npos : body >= 5 ? (body - 2) / 3 : 1;
  for (auto& part : {section("RUNNING", f.running.size(), running, share, cols),
                     section("BACKFILLING", f.backfilling.size(), backfill, share, cols),
                     section("RECENT FAILURES", f.recent_failures.size(), failures, share, cols)}) {
    lines.insert(lines.end(), part.begin(), part.end());
    lines.push_back("");
  }
  if (fixed)
    lines.resize(rows - 1);
  if (fixed || !note.empty())
    lines.push_back(note);
  std::string out;
  for (auto& line : lines)
    out += clip(line, cols) + "\n";
  return out;
}

std::string render_lines(const watch_frame& f) {
  std::string out = "status " + when(f.status.now) + " " + f.status.node + ": "
                    + advertisers_line(f.status) + "; " + months_line(f.status) + "\n";
  for (const auto& j : f.running)
    out += "running " + j.advertiser_id + " " + j.month.to_string() + " attempt "
           + n(j.attempt) + " for " + span(std::chrono::seconds{j.running_seconds}) + " on "
           + j.node + "\n";
  for (const auto& d : f.backfilling) {
    const auto& p = d.progress.progress;
    out += "backfill " + d.progress.who.id + " " + n(p.completed_months) + "/"
           + n(p.total_months) + " eta " + eta_text(d, f.status.now) + ": " + d.why + "\n";
  }
  for (const auto& a : f.recent_failures)
    out += "failed " + a.advertiser_id + " " + a.month.to_string() + " attempt " + n(a.attempt)
           + " at " + when(a.finished_at) + ": " + a.error_message + "\n";
  return out;
}

} // namespace cdp::console
