#include "actors/node_agent.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "actors/errors.hpp"
#include "domain/duration.hpp"

namespace cdp {

namespace {

using self_ptr = node_actor::stateful_pointer<node_state>;

void arm(self_ptr self) {
  auto gen = ++self->state.generation;
  self->delayed_send(self, self->state.settings.heartbeat, tick_atom_v, gen);
}

std::string names(const std::vector<advertiser_lease>& leases) {
  std::string out;
  for (size_t i = 0; i < leases.size() && i < 5; ++i)
    out += (i ? ", " : "") + leases[i].advertiser_id
           + (leases[i].previous_owner.empty() ? "" : " from " + leases[i].previous_owner);
  return leases.size() > 5 ? out + ", ..." : out;
}

/// How a balancing round ended.
enum class round_end {
  /// The store failed (logged).
  failed,
  /// This node holds what it should, or took all it could.
  settled,
  /// It took a whole batch and more is to be had: another round at once.
  more,
};

/// The supervisor did not take what it was told: the next round tells it
/// the whole list.
void forget_told(self_ptr self, caf::error& err) {
  self->state.told = -1;
  spdlog::warn("node {}: the supervisor did not take the lease list: {}",
               self->state.settings.node_id, from_caf_error(err).message);
}

/// Tells the supervisor every lease this node holds (it drops the others).
void tell_whole(self_ptr self, lease_list held) {
  const auto& cfg = self->state.settings;
  self->request(cfg.supervisor, cfg.ask_timeout, lease_atom_v, std::move(held))
    .then(
      [=](bool gained) {
        if (gained)
          self->send(self->state.settings.director, sync_atom_v);
      },
      [=](caf::error& err) { forget_told(self, err); });
}

/// Tells the supervisor what one round changed: a round over a million
/// leases carries its own ten thousand, not the million.
void tell_change(self_ptr self, lease_list taken, id_list gone) {
  if (taken.empty() && gone.empty())
    return;
  const auto& cfg = self->state.settings;
  self->request(cfg.supervisor, cfg.ask_timeout, lease_atom_v, std::move(taken), std::move(gone))
    .then(
      [=](id_list& without_actor) {
        if (!without_actor.empty())
          self->send(self->state.settings.director, sync_atom_v, std::move(without_actor));
      },
      [=](caf::error& err) { forget_told(self, err); });
}

/// Takes (at most node.lease_batch) or gives back leases toward this node's
/// share, then tells the supervisor. Its leases change only by its own rounds,
/// except while its heartbeat lapses (another node may take them): the
/// whole list is read and told when the stored count differs from what the
/// rounds account for, and at the first round.
round_end balance(self_ptr self, timestamp now) {
  auto& st = self->state;
  const auto& cfg = st.settings;
  auto& db = *cfg.registered;
  auto census = db.count_leases(cfg.node_id, now, cfg.lease_ttl);
  if (!census) {
    spdlog::warn("node {}: cannot count leases: {}", cfg.node_id, census.error().message);
    return round_end::failed;
  }
  auto plan = plan_leases(*census, cfg.lease_batch);
  bool whole = st.told != census->owned;
  if (whole && st.told >= 0)
    spdlog::warn("node {}: holds {} advertiser leases, {} by its own account: another node took "
                 "some while its heartbeat lapsed; rereading them all",
                 cfg.node_id, census->owned, st.told);
  lease_list held;
  if (whole || plan.release > 0) {
    auto listed = db.list_leases(cfg.node_id);
    if (!listed) {
      spdlog::warn("node {}: cannot list its leases: {}", cfg.node_id, listed.error().message);
      return round_end::failed;
    }
    held = std::move(*listed);
  }
  auto owned = census->owned;
  lease_list taken;
  lease_list given;
  id_list surplus;
  std::vector<std::string> freed;
  bool taken_all = false;
  if (plan.acquire > 0) {
    auto took = db.acquire_leases(cfg.node_id, plan.acquire, now, cfg.lease_ttl);
    if (!took) {
      spdlog::warn("node {}: cannot take leases: {}", cfg.node_id, took.error().message);
      return round_end::failed;
    }
    taken = std::move(*took);
    if (!taken.empty())
      spdlog::info("node {}: took {} advertiser leases ({}); share {} of {} on {} live nodes",
                   cfg.node_id, taken.size(), names(taken), plan.share, census->advertisers,
                   census->live_nodes);
    taken_all = static_cast<int64_t>(taken.size()) == plan.acquire;
    owned += static_cast<int64_t>(taken.size());
  } else if (plan.release > 0) {
    // The surplus is the same last leases by id on every heartbeat: their
    // actors drain first (the supervisor no longer sees them), and each lease
    // is freed once nothing of it runs.
    auto keep = held.size() - static_cast<size_t>(std::min<int64_t>(
                                plan.release, static_cast<int64_t>(held.size())));
    given.assign(held.begin() + static_cast<std::ptrdiff_t>(keep), held.end());
    for (const auto& l : given)
      surplus.push_back(l.advertiser_id);
    held.resize(keep);
    auto released = db.release_leases(cfg.node_id, surplus, now);
    if (!released) {
      spdlog::warn("node {}: cannot give leases back: {}", cfg.node_id,
                   released.error().message);
      return round_end::failed;
    }
    freed = std::move(*released);
    if (!freed.empty())
      spdlog::info("node {}: gave back {} advertiser leases for the other nodes; share {} of {}",
                   cfg.node_id, freed.size(), plan.share, census->advertisers);
    owned -= static_cast<int64_t>(freed.size());
  }
  // A whole list tells the supervisor every lease held, those no longer
  // surplus included.
  auto handover = hand_over(whole ? lease_list{} : st.draining, given, freed);
  st.draining = std::move(handover.draining);
  if (!handover.held_again.empty()) {
    spdlog::info("node {}: keeps {} advertiser leases it was giving back ({}); their actors "
                 "start here again",
                 cfg.node_id, handover.held_again.size(), names(handover.held_again));
    taken.insert(taken.end(), handover.held_again.begin(), handover.held_again.end());
  }
  st.told = owned;
  if (whole) {
    held.insert(held.end(), taken.begin(), taken.end());
    tell_whole(self, std::move(held));
  } else {
    tell_change(self, std::move(taken), std::move(surplus));
  }
  // A round that took fewer than it asked for ran out of takeable leases
  // (another node took them meanwhile): the next heartbeat looks again.
  return plan.more && taken_all ? round_end::more : round_end::settled;
}

void beat(self_ptr self) {
  auto& st = self->state;
  const auto& cfg = st.settings;
  auto now = cfg.clk->now();
  auto renewed = cfg.registered->heartbeat(now);
  if (!renewed && renewed.error().code == errc::conflict) {
    spdlog::critical("node {}: {}", cfg.node_id, renewed.error().message);
    self->quit(to_caf_error(renewed.error()));
    return;
  }
  bool fine = renewed.has_value();
  auto end = fine ? round_end::settled : round_end::failed;
  if (!fine)
    spdlog::warn("node {}: heartbeat failed: {}; next try in {} (lease TTL {})", cfg.node_id,
                 renewed.error().message, format_duration(cfg.heartbeat),
                 format_duration(cfg.lease_ttl));
  else if (cfg.leased)
    end = balance(self, now);
  fine = end != round_end::failed;
  if (fine && st.failures > 0)
    spdlog::info("node {}: heartbeat renewed after {} failed tries", cfg.node_id, st.failures);
  st.failures = fine ? 0 : st.failures + 1;
  if (end == round_end::more) {
    // The next round now, with a heartbeat first: a mailbox message, so a
    // leave request between rounds is not kept waiting.
    self->send(self, tick_atom_v, ++st.generation);
    return;
  }
  arm(self);
}

} // namespace

node_actor::behavior_type node_agent(node_actor::stateful_pointer<node_state> self,
                                     node_settings settings) {
  self->state.settings = std::move(settings);
  self->send(self, tick_atom_v, self->state.generation);
  return {
    [=](tick_atom, uint64_t generation) {
      if (generation == self->state.generation)
        beat(self);
    },
    [=](leave_atom) -> caf::result<bool> {
      auto& st = self->state;
      ++st.generation; // no heartbeat after leaving
      auto left = st.settings.registered->leave_node(st.settings.clk->now());
      if (!left)
        return to_caf_error(left.error());
      spdlog::info("node {}: left the cluster; its leases are free for the other nodes",
                   st.settings.node_id);
      return true;
    },
  };
}

} // namespace cdp
