// src/gateway/api_keys.cc
#include "rsf/gateway/api_keys.h"

#include <sodium.h>

#include <algorithm>
#include <mutex>

#include "rsf/common/encoding.h"

namespace rsf::gateway {
namespace {

constexpr std::string_view kCollection = "gateway.keys";
constexpr size_t kIdHex = 16;
constexpr size_t kSecretChars = 43;  // 32 bytes, base64url without padding

std::string Base64Url(std::span<const uint8_t> bytes) {
  std::string s = Base64Encode(bytes);
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool IsBase64Url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

Json ToStoredJson(const ApiKey& k) {
  Json j = k.ToPublicJson();
  j["sha256"] = HexEncode(k.hash);
  return j;
}

Result<ApiKey> FromStoredJson(std::string_view text, std::string_view key) {
  const std::string where = "store gateway.keys/" + std::string(key);
  RSF_ASSIGN_OR_RETURN(Json j, ParseJson(text, where));
  ApiKey k;
  auto field = [&](const char* name) -> Result<std::string> {
    auto r = RequireString(j, name, where);
    if (!r.ok()) return DataLossError(r.status().message());
    return r;
  };
  RSF_ASSIGN_OR_RETURN(k.id, field("id"));
  RSF_ASSIGN_OR_RETURN(k.name, field("name"));
  RSF_ASSIGN_OR_RETURN(k.tenant, field("tenant"));
  RSF_ASSIGN_OR_RETURN(k.tier, field("tier"));
  RSF_ASSIGN_OR_RETURN(k.created, field("created"));
  RSF_ASSIGN_OR_RETURN(std::string role, field("role"));
  RSF_ASSIGN_OR_RETURN(std::string hash, field("sha256"));
  auto r = ParseKeyRole(role);
  if (!r) return DataLossError(where + ": role: unknown role '" + role + "'");
  k.role = *r;
  auto bytes = HexDecode(hash);
  if (!bytes.ok() || bytes->size() != k.hash.size()) return DataLossError(where + ": sha256: expected 64 hex digits");
  std::copy(bytes->begin(), bytes->end(), k.hash.begin());
  auto rev = j.find("revoked");
  k.revoked = rev != j.end() && rev->is_boolean() && rev->get<bool>();
  if (k.id != key) return DataLossError(where + ": id '" + k.id + "' does not match its store key");
  return k;
}

}  // namespace

std::string_view KeyRoleName(KeyRole r) {
  switch (r) {
    case KeyRole::kClient: return "client";
    case KeyRole::kAdmin: return "admin";
    case KeyRole::kAuditor: return "auditor";
  }
  return "client";
}

std::optional<KeyRole> ParseKeyRole(std::string_view name) {
  for (KeyRole r : {KeyRole::kClient, KeyRole::kAdmin, KeyRole::kAuditor}) {
    if (KeyRoleName(r) == name) return r;
  }
  return std::nullopt;
}

Json ApiKey::ToPublicJson() const {
  return Json{{"id", id}, {"name", name}, {"tenant", tenant}, {"tier", tier},
              {"role", KeyRoleName(role)}, {"created", created}, {"revoked", revoked}};
}

Result<std::unique_ptr<KeyRing>> KeyRing::Open(store::Store& store, const Clock& clock) {
  if (sodium_init() < 0) return InternalError("libsodium failed to initialise");
  std::unique_ptr<KeyRing> ring(new KeyRing(store, clock));
  RSF_RETURN_IF_ERROR(ring->Reload());
  return ring;
}

Status KeyRing::Reload() {
  std::unordered_map<std::string, ApiKey> loaded;
  std::string after;
  while (true) {
    RSF_ASSIGN_OR_RETURN(auto page, store_.List(kCollection, {}, 1000, after));
    for (const auto& v : page) {
      RSF_ASSIGN_OR_RETURN(ApiKey k, FromStoredJson(v.value, v.key));
      loaded.emplace(k.id, std::move(k));
    }
    if (page.size() < 1000) break;
    after = page.back().key;
  }
  std::unique_lock lock(mu_);
  keys_ = std::move(loaded);
  return OkStatus();
}

Status KeyRing::Put(const ApiKey& k) {
  RSF_RETURN_IF_ERROR(
      store_.Put(kCollection, k.id, ToStoredJson(k).dump(-1, ' ', false, Json::error_handler_t::replace)).status());
  // Other replicas reload on the notification, or within replicas.reload_s if it is lost.
  store_.Notify(kChannel).IgnoreError();
  return OkStatus();
}

Result<std::pair<ApiKey, std::string>> KeyRing::Create(const NewKey& spec) {
  if (spec.tenant.empty()) return InvalidArgumentError("key: tenant: must not be empty");
  if (spec.role == KeyRole::kClient && spec.tier.empty()) {
    return InvalidArgumentError("key: tier: a client key needs an access tier");
  }
  ApiKey k;
  uint8_t id_bytes[kIdHex / 2];
  uint8_t secret[32];
  randombytes_buf(id_bytes, sizeof(id_bytes));
  randombytes_buf(secret, sizeof(secret));
  k.id = HexEncode(id_bytes);
  std::string plain = "rsf_" + k.id + "_" + Base64Url(secret);
  sodium_memzero(secret, sizeof(secret));
  k.name = spec.name;
  k.tenant = spec.tenant;
  k.tier = spec.tier;
  k.role = spec.role;
  k.created = FormatRfc3339(clock_.Now());
  k.hash = Sha256Of(plain);
  RSF_RETURN_IF_ERROR(Put(k));
  {
    std::unique_lock lock(mu_);
    keys_[k.id] = k;
  }
  return std::make_pair(k, std::move(plain));
}

Status KeyRing::Revoke(std::string_view id) {
  ApiKey k;
  {
    std::shared_lock lock(mu_);
    auto it = keys_.find(std::string(id));
    if (it == keys_.end()) return NotFoundError("key " + std::string(id) + ": no such key");
    k = it->second;
  }
  k.revoked = true;
  RSF_RETURN_IF_ERROR(Put(k));
  std::unique_lock lock(mu_);
  keys_[k.id] = k;
  return OkStatus();
}

std::optional<std::string_view> KeyRing::KeyId(std::string_view presented) {
  if (presented.size() != 4 + kIdHex + 1 + kSecretChars || presented.substr(0, 4) != "rsf_" ||
      presented[4 + kIdHex] != '_') {
    return std::nullopt;
  }
  const std::string_view id = presented.substr(4, kIdHex);
  if (!std::all_of(id.begin(), id.end(), IsHex)) return std::nullopt;
  const std::string_view secret = presented.substr(4 + kIdHex + 1);
  if (!std::all_of(secret.begin(), secret.end(), IsBase64Url)) return std::nullopt;
  return id;
}

Result<ApiKey> KeyRing::Authenticate(std::string_view presented) const {
  static const Status kDenied = PermissionDeniedError("invalid API key");
  auto id = KeyId(presented);
  if (!id) return kDenied;
  const Digest digest = Sha256Of(presented);
  std::shared_lock lock(mu_);
  auto it = keys_.find(std::string(*id));
  if (it == keys_.end()) return kDenied;
  // Constant time in the digest's contents, so timing tells nothing about how much matched.
  if (sodium_memcmp(digest.data(), it->second.hash.data(), digest.size()) != 0) return kDenied;
  if (it->second.revoked) return kDenied;
  return it->second;
}

std::vector<ApiKey> KeyRing::List() const {
  std::vector<ApiKey> out;
  {
    std::shared_lock lock(mu_);
    for (const auto& [id, k] : keys_) out.push_back(k);
  }
  std::sort(out.begin(), out.end(), [](const ApiKey& a, const ApiKey& b) { return a.created < b.created || (a.created == b.created && a.id < b.id); });
  return out;
}

}  // namespace rsf::gateway
