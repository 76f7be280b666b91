#include "api/page_cache.hpp"

namespace cdp::api {

page_cache::page_cache(std::chrono::milliseconds max_age, size_t max_pages)
  : max_age_(max_age), max_pages_(max_pages) {}

rendered page_cache::get(const std::string& key, clock_type::time_point now,
                         const render_fn& render) {
  if (max_age_.count() <= 0)
    return render();
  std::unique_lock lock{mutex_};
  for (;;) {
    auto it = pages_.find(key);
    if (it == pages_.end()) {
      make_room(now);
      if (pages_.size() >= max_pages_) {
        lock.unlock();
        return render();
      }
      return refresh(lock, key, now, render);
    }
    auto& p = it->second;
    if (const auto* answer = servable(p, now)) {
      if (due(p, now))
        return refresh(lock, key, now, render);
      return *answer;
    }
    if (!p.rendering)
      return refresh(lock, key, now, render);
    rendered_.wait(lock);
  }
}

std::optional<rendered> page_cache::peek(const std::string& key, clock_type::time_point now) {
  if (max_age_.count() <= 0)
    return std::nullopt;
  std::lock_guard lock{mutex_};
  auto it = pages_.find(key);
  if (it == pages_.end())
    return std::nullopt;
  const auto& p = it->second;
  const auto* answer = servable(p, now);
  if (!answer || due(p, now))
    return std::nullopt;
  return *answer;
}

const rendered* page_cache::servable(const page& p, clock_type::time_point now) const {
  if (!p.answer || p.generation != changes_ || now - p.made >= max_age_)
    return nullptr;
  return &*p.answer;
}

bool page_cache::due(const page& p, clock_type::time_point now) const {
  return (now - p.made) * 2 >= max_age_ && !p.rendering;
}

rendered page_cache::refresh(std::unique_lock<std::mutex>& lock, const std::string& key,
                             clock_type::time_point now, const render_fn& render) {
  pages_[key].rendering = true;
  auto generation = changes_;
  lock.unlock();
  rendered out;
  try {
    out = render();
  } catch (...) {
    lock.lock();
    pages_[key].rendering = false;
    rendered_.notify_all();
    throw;
  }
  lock.lock();
  // changed() leaves a page being rendered in place, so it is still there.
  auto& p = pages_[key];
  p.rendering = false;
  if (out.status == 200 && generation == changes_) {
    p.answer = out;
    p.made = now;
    p.generation = generation;
  }
  rendered_.notify_all();
  return out;
}

void page_cache::changed() {
  std::lock_guard lock{mutex_};
  ++changes_;
  std::erase_if(pages_, [](const auto& entry) { return !entry.second.rendering; });
}

void page_cache::make_room(clock_type::time_point now) {
  if (pages_.size() < max_pages_)
    return;
  std::erase_if(pages_, [&](const auto& entry) {
    const auto& p = entry.second;
    return !p.rendering && (p.generation != changes_ || now - p.made >= max_age_);
  });
}

} // namespace cdp::api
