#pragma once

// Private to the PostgreSQL store: how a batch becomes a few set-based
// statements without changing what it means.

#include <cstddef>
#include <span>
#include <vector>

#include "persistence/store.hpp"

namespace cdp::pg {

/// Splits a batch into layers run one after another. An item goes one layer
/// past every earlier item it depends on: the same month, both writing the
/// advertiser row (completions, deactivating failures), or a claim and a
/// deactivation of one advertiser (the claim reads `active`), or a claim and
/// the earlier month its `after` waits for. Items of one
/// layer therefore commute, so each layer runs as one statement per kind and
/// the result equals applying the batch item by item. The usual batch
/// (completions of month m, claims of m+1 of other advertisers) is a single
/// layer; a claim of m+1 that waits for the completion of m is one more.
std::vector<std::vector<size_t>> plan_layers(std::span<const transition> batch);

} // namespace cdp::pg
