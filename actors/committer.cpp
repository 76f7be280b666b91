#include "actors/committer.hpp"

#include <spdlog/spdlog.h>

#include "actors/errors.hpp"

namespace cdp {

namespace {

/// Bounds one transaction so a burst cannot hold the write lock for long.
constexpr size_t max_items_per_commit = 4096;

void commit(committer_actor::stateful_pointer<committer_state> self,
            std::vector<committer_state::waiting>& group, size_t items) {
  auto& st = self->state;
  transition_batch batch;
  batch.reserve(items);
  for (auto& w : group)
    for (auto& t : w.items)
      batch.push_back(t);
  auto now = st.clk->now();
  auto started = std::chrono::steady_clock::now();
  auto outcomes = st.link->with([&](store& db) { return db.apply(batch, now); });
  auto took = std::chrono::duration_cast<std::chrono::microseconds>(
    std::chrono::steady_clock::now() - started);
  st.metrics->committed(took, batch.size(), outcomes.has_value());
  if (st.observer && outcomes)
    st.observer->committed(batch, *outcomes, took);
  if (!outcomes) {
    spdlog::warn("store: a group commit of {} transitions failed: {}", batch.size(),
                 outcomes.error().message);
    // One bad transition must not fail everybody else's: unless the store is
    // down, each request is tried in a transaction of its own.
    if (group.size() > 1 && outcomes.error().code != errc::store_unavailable) {
      for (auto& w : group) {
        std::vector<committer_state::waiting> alone;
        alone.push_back(std::move(w));
        commit(self, alone, alone.front().items.size());
      }
      return;
    }
    st.writes->failed(now, outcomes.error().message);
    for (auto& w : group)
      w.promise.deliver(to_caf_error(outcomes.error()));
    return;
  }
  st.writes->succeeded();
  auto it = outcomes->begin();
  for (auto& w : group) {
    auto n = static_cast<std::ptrdiff_t>(w.items.size());
    w.promise.deliver(outcome_batch(std::make_move_iterator(it), std::make_move_iterator(it + n)));
    it += n;
  }
}

void flush(committer_actor::stateful_pointer<committer_state> self) {
  auto& st = self->state;
  st.flush_requested = false;
  auto pending = std::exchange(st.queue, {});
  std::vector<committer_state::waiting> group;
  size_t items = 0;
  for (auto& w : pending) {
    if (!group.empty() && items + w.items.size() > max_items_per_commit) {
      commit(self, group, items);
      group.clear();
      items = 0;
    }
    items += w.items.size();
    group.push_back(std::move(w));
  }
  if (!group.empty())
    commit(self, group, items);
}

} // namespace

committer_actor::behavior_type
committer(committer_actor::stateful_pointer<committer_state> self,
          std::string store_url, store_options options, std::shared_ptr<const clock> clk,
          std::shared_ptr<engine_metrics> metrics, std::shared_ptr<write_health> writes,
          std::shared_ptr<engine_observer> observer) {
  self->state.link.emplace(std::move(store_url), options);
  self->state.clk = std::move(clk);
  self->state.metrics = std::move(metrics);
  self->state.writes = std::move(writes);
  self->state.observer = std::move(observer);
  return {
    [=](transition_batch& items) -> caf::result<outcome_batch> {
      auto& st = self->state;
      auto promise = self->make_response_promise<outcome_batch>();
      st.queue.push_back({std::move(items), promise});
      // Everything that reaches the mailbox before this message is handled
      // joins the same transaction: that is the group commit.
      if (!st.flush_requested) {
        st.flush_requested = true;
        self->send(self, flush_atom_v);
      }
      return promise;
    },
    [=](flush_atom) { flush(self); },
  };
}

} // namespace cdp
