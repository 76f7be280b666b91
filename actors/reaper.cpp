#include "actors/reaper.hpp"

#include <spdlog/spdlog.h>

#include "actors/errors.hpp"
#include "domain/duration.hpp"
#include "runtime/logging.hpp"

namespace cdp {

namespace {

using self_ptr = reaper_actor::stateful_pointer<reaper_state>;

void arm(self_ptr self) {
  auto gen = ++self->state.generation;
  self->delayed_send(self, self->state.settings.interval, tick_atom_v, gen);
}

void report(self_ptr self, const month_list& reaped) {
  const auto& cfg = self->state.settings;
  for (const auto& m : reaped) {
    // PENDING again: its node died (no retry used). FAILED: it hung.
    if (m.status == month_status::pending)
      log_job(spdlog::level::warn, m.advertiser_id, m.month,
              "reaper: its node {} stopped renewing its lease while it ran; due again now (no "
              "retry used)",
              m.owner);
    else
      log_job(spdlog::level::warn, m.advertiser_id, m.month,
              "reaper: RUNNING for more than {} (owner {}), marked FAILED{}",
              format_duration(cfg.stale_after), m.owner,
              m.next_attempt_at ? "; retry at " + to_iso8601(*m.next_attempt_at)
                                : std::string{"; retries exhausted"});
  }
  if (reaped.empty())
    return;
  cfg.metrics->reaped(reaped.size());
  self->send(cfg.supervisor, reaped_atom_v, reaped);
}

/// Deletes the audit rows past their retention; a failure waits for the next round.
void prune(self_ptr self) {
  const auto& cfg = self->state.settings;
  self->request(cfg.reader, cfg.store_timeout, prune_atom_v, cfg.clk->now() - cfg.audit_retention)
    .then(
      [](int64_t gone) {
        if (gone > 0)
          spdlog::info("reaper: {} audit rows past their retention deleted", gone);
      },
      [](caf::error& err) {
        spdlog::warn("reaper: cannot prune the audit trail: {}", from_caf_error(err).message);
      });
}

} // namespace

reaper_actor::behavior_type reaper(reaper_actor::stateful_pointer<reaper_state> self,
                                   reaper_settings settings) {
  self->state.settings = std::move(settings);
  arm(self);
  return {
    [=](tick_atom, uint64_t generation) {
      if (generation != self->state.generation)
        return;
      self->request(self->state.settings.reader, self->state.settings.store_timeout, reap_atom_v)
        .then(
          [=](month_list& reaped) {
            report(self, reaped);
            prune(self);
            arm(self);
          },
          [=](caf::error& err) {
            spdlog::warn("reaper: cannot reach the store: {}; next try in {}",
                         from_caf_error(err).message,
                         format_duration(self->state.settings.interval));
            arm(self);
          });
    },
    [=](reap_atom) -> caf::result<month_list> {
      auto promise = self->make_response_promise<month_list>();
      self->request(self->state.settings.reader, self->state.settings.store_timeout, reap_atom_v)
        .then(
          [=](month_list& reaped) mutable {
            report(self, reaped);
            promise.deliver(std::move(reaped));
          },
          [=](caf::error& err) mutable { promise.deliver(std::move(err)); });
      return promise;
    },
  };
}

} // namespace cdp
