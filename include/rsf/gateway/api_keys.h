// include/rsf/gateway/api_keys.h
//
// API keys of the gateway. A key is shown once, at creation, as
//
//   rsf_<id>_<secret>      id: 16 hex digits; secret: 32 random bytes, base64url (43 chars)
//
// and stored only as the SHA-256 of the whole key (a 256-bit random secret needs no slow
// hash: nothing is guessable to brute-force). Presented keys are looked up by id and their
// digest compared in constant time. Each key belongs to a tenant, an access tier and a role:
// `client` keys call the model endpoints, `admin` keys the admin API, `auditor` keys read
// everything an auditor may see.
//
// The ring keeps every key in memory (authentication is on the hot path) and writes through
// to the Store (collection "gateway.keys"), so keys survive restarts and other replicas see
// them after Reload().
//
// Thread safety: safe for concurrent use; Authenticate takes a shared lock only.
#pragma once

#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rsf/common/clock.h"
#include "rsf/common/json.h"
#include "rsf/common/sha256.h"
#include "rsf/common/status.h"
#include "rsf/store/store.h"

namespace rsf::gateway {

enum class KeyRole { kClient, kAdmin, kAuditor };
std::string_view KeyRoleName(KeyRole r);
std::optional<KeyRole> ParseKeyRole(std::string_view name);

struct ApiKey {
  std::string id;      // 16 hex digits, also the store key
  std::string name;    // what it is for, free text
  std::string tenant;
  std::string tier;    // access tier id (client keys)
  KeyRole role = KeyRole::kClient;
  std::string created; // RFC 3339
  bool revoked = false;
  Digest hash{};       // SHA-256 of the whole key; never leaves the ring but to the store

  // The record without its hash, for listings, logs and the ledger.
  Json ToPublicJson() const;
};

struct NewKey {
  std::string name;
  std::string tenant;
  std::string tier;
  KeyRole role = KeyRole::kClient;
};

class KeyRing {
 public:
  // Loads the keys in `store` (which must outlive the ring). kDataLoss for a stored record
  // that does not parse.
  static Result<std::unique_ptr<KeyRing>> Open(store::Store& store, const Clock& clock);

  // Creates a key; returns its record and the key itself (the only time it exists in clear).
  // kInvalidArgument for an empty tenant, or a client key without a tier.
  Result<std::pair<ApiKey, std::string>> Create(const NewKey& spec);
  // kNotFound for an unknown id. Takes effect for the next Authenticate.
  Status Revoke(std::string_view id);
  // The key's record. kPermissionDenied (without saying which) when the key is malformed,
  // unknown or revoked.
  Result<ApiKey> Authenticate(std::string_view presented) const;
  std::vector<ApiKey> List() const;
  // Re-reads the store (keys created or revoked by another replica).
  Status Reload();
  // Every change is announced on the store's channel kChannel, so replicas Reload() at once.
  static constexpr std::string_view kChannel = "gateway.keys";

  // Parses "rsf_<id>_<secret>" into the id, or nullopt when malformed.
  static std::optional<std::string_view> KeyId(std::string_view presented);

 private:
  KeyRing(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}
  Status Put(const ApiKey& k);

  store::Store& store_;
  const Clock& clock_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, ApiKey> keys_;
};

}  // namespace rsf::gateway
