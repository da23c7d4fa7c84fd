// include/rsf/store/store.h
//
// Store: rsf's persistence for mutable state (API keys, tiers, rollout state, quotas,
// incidents), behind one interface so the embedded SQLite implementation and the PostgreSQL
// one used by several gateway replicas are interchangeable. The ledger is not stored here:
// it has its own append-only files.
//
// The model is versioned documents in named collections, plus counters:
//   - every value carries a version that increases by one on each write, so callers can do
//     optimistic concurrency (compare-and-swap) with Put(..., expected_version);
//   - Increment() adds to an integer counter atomically (quotas, rate limits);
//   - Transact() runs several operations atomically.
// and three things several processes sharing a store need (gateway replicas, docs/operations.md):
//   - IncrementMany() pushes many counter deltas in one round trip (shared rate limits);
//   - Notify()/Subscribe() tell the other processes that something changed (kill switch, keys);
//   - TryAcquire() elects one process for a job (the ledger's single writer).
//
// Thread safety: implementations are safe for concurrent use.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/status.h"

namespace rsf::store {

struct StoredValue {
  std::string key;
  std::string value;
  int64_t version = 0;  // 1 after the first write
};

struct CounterDelta {
  std::string key;
  int64_t delta = 0;
};

// Live while notifications should arrive; destroying it stops them (and waits for a call in
// progress to return).
class Subscription {
 public:
  virtual ~Subscription() = default;
};

// A named lock held by one process among those sharing the store; released when destroyed or
// when the process (or its connection to the store) dies.
class Lease {
 public:
  virtual ~Lease() = default;
  // OK while the lease is certainly held; kUnavailable once it may have been lost (the
  // holder must then stop the work the lease guards and acquire it again).
  virtual Status Check() = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // The value at (collection, key), or nullopt if absent.
  virtual Result<std::optional<StoredValue>> Get(std::string_view collection,
                                                 std::string_view key) = 0;
  // Writes `value` and returns the new version. With `expected_version`, writes only if the
  // current version equals it (0: the key must not exist); kFailedPrecondition otherwise.
  // kInvalidArgument for an empty collection or key.
  virtual Result<int64_t> Put(std::string_view collection, std::string_view key,
                              std::string_view value,
                              std::optional<int64_t> expected_version = std::nullopt) = 0;
  // kNotFound if absent.
  virtual Status Delete(std::string_view collection, std::string_view key) = 0;
  // Values whose key starts with `prefix`, in key order, after key `after`, at most `limit`.
  virtual Result<std::vector<StoredValue>> List(std::string_view collection,
                                                std::string_view prefix = {}, size_t limit = 1000,
                                                std::string_view after = {}) = 0;
  // Adds `delta` to the counter (absent counters start at 0) and returns the new value.
  virtual Result<int64_t> Increment(std::string_view collection, std::string_view key,
                                    int64_t delta) = 0;
  // Adds each delta to its counter (keys may repeat) and returns the new values, in order, in
  // one round trip. Counters are updated in key order, so concurrent callers cannot deadlock.
  virtual Result<std::vector<int64_t>> IncrementMany(std::string_view collection,
                                                     std::span<const CounterDelta> deltas) = 0;
  // Removes the counters of `collection` whose key sorts (bytewise) before `key`.
  virtual Status DeleteCountersBefore(std::string_view collection, std::string_view key) = 0;

  // Tells every subscriber of every process sharing this store that `channel` changed
  // (inside Transact: when the transaction commits). Delivery is at most once and may merge.
  virtual Status Notify(std::string_view channel) = 0;
  // Calls `fn(channel)` on a thread of the store for each Notify, and `fn("")` when
  // notifications may have been missed (after a lost connection): then reload everything.
  // SQLite: notifications reach subscribers in this process only.
  virtual Result<std::unique_ptr<Subscription>> Subscribe(
      std::function<void(std::string_view channel)> fn) = 0;
  // The lease `name`, or nullptr when another holder has it.
  virtual Result<std::unique_ptr<Lease>> TryAcquire(std::string_view name) = 0;
  // Whether processes on other machines may share this store (PostgreSQL: true).
  virtual bool distributed() const = 0;

  // Runs `fn` in one transaction: all its writes commit together if it returns OK, none
  // otherwise (and its status is returned). `fn` must use the Store it is given.
  virtual Status Transact(const std::function<Status(Store&)>& fn) = 0;

  // The schema version after migrations.
  virtual int SchemaVersion() = 0;
};

}  // namespace rsf::store
