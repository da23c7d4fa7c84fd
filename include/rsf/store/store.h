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
//
// Thread safety: implementations are safe for concurrent use.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
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
  // Runs `fn` in one transaction: all its writes commit together if it returns OK, none
  // otherwise (and its status is returned). `fn` must use the Store it is given.
  virtual Status Transact(const std::function<Status(Store&)>& fn) = 0;

  // The schema version after migrations.
  virtual int SchemaVersion() = 0;
};

}  // namespace rsf::store
