#include "rsf/watermark/keyring.h"

#include <fmt/format.h>
#include <sodium.h>

#include "rsf/common/encoding.h"
#include "rsf/common/json.h"

namespace rsf::watermark {
namespace {

constexpr std::string_view kFormat = "rsf-watermark-keys/v1";

Result<double> Number(const Json& j, const char* field, const std::string& where) {
  if (!j.contains(field) || !j[field].is_number()) {
    return InvalidArgumentError(fmt::format("{}: '{}' must be a number", where, field));
  }
  return j[field].get<double>();
}

}  // namespace

const KeyEntry* Keyring::Find(std::string_view id) const {
  for (const KeyEntry& k : keys) {
    if (k.key.id == id) return &k;
  }
  return nullptr;
}

Result<Keyring> ParseKeyring(std::string_view json, std::string_view source) {
  RSF_ASSIGN_OR_RETURN(Json j, ParseJson(json, source));
  if (!j.is_object() || !j.contains("format") || j["format"] != kFormat) {
    return InvalidArgumentError(fmt::format("{}: not a watermark keyring (expected \"format\": \"{}\")", source, kFormat));
  }
  if (!j.contains("keys") || !j["keys"].is_array() || j["keys"].empty()) {
    return InvalidArgumentError(fmt::format("{}: 'keys' must be a non-empty array", source));
  }
  Keyring ring;
  for (size_t i = 0; i < j["keys"].size(); ++i) {
    const Json& k = j["keys"][i];
    const std::string where = fmt::format("{}: keys[{}]", source, i);
    if (!k.is_object()) return InvalidArgumentError(where + ": must be an object");
    KeyEntry e;
    if (!k.contains("id") || !k["id"].is_string()) return InvalidArgumentError(where + ": 'id' must be a string");
    e.key.id = k["id"].get<std::string>();
    if (Status s = ValidateKeyId(e.key.id); !s.ok()) return InvalidArgumentError(where + ": " + s.message());
    if (ring.Find(e.key.id)) return InvalidArgumentError(fmt::format("{}: key id '{}' appears twice", where, e.key.id));
    if (!k.contains("secret") || !k["secret"].is_string()) {
      return InvalidArgumentError(where + ": 'secret' must be 64 hex digits");
    }
    auto secret = HexDecode(k["secret"].get<std::string>());
    if (!secret.ok() || secret->size() != 32) return InvalidArgumentError(where + ": 'secret' must be 64 hex digits");
    std::copy(secret->begin(), secret->end(), e.key.secret.begin());
    if (!k.contains("scheme") || !k["scheme"].is_string()) return InvalidArgumentError(where + ": 'scheme' must be a string");
    auto scheme = ParseScheme(k["scheme"].get<std::string>());
    if (!scheme.ok()) return InvalidArgumentError(where + ": " + scheme.status().message());
    e.params.scheme = *scheme;
    if (e.params.scheme == Scheme::kKgw) {
      RSF_ASSIGN_OR_RETURN(e.params.gamma, Number(k, "gamma", where));
      RSF_ASSIGN_OR_RETURN(e.params.delta, Number(k, "delta", where));
    }
    if (!k.contains("context_width") || !k["context_width"].is_number_integer()) {
      return InvalidArgumentError(where + ": 'context_width' must be an integer");
    }
    e.params.context_width = k["context_width"].get<int>();
    if (Status s = ValidateParams(e.params); !s.ok()) return InvalidArgumentError(where + ": " + s.message());
    RSF_ASSIGN_OR_RETURN(e.created, OptionalString(k, "created", where));
    ring.keys.push_back(std::move(e));
  }
  RSF_ASSIGN_OR_RETURN(ring.active, OptionalString(j, "active", source));
  if (!ring.Find(ring.active)) {
    return InvalidArgumentError(fmt::format("{}: 'active' must name one of the keys, not '{}'", source, ring.active));
  }
  return ring;
}

std::string SerializeKeyring(const Keyring& ring) {
  Json keys = Json::array();
  for (const KeyEntry& e : ring.keys) {
    Json k = {{"id", e.key.id},
              {"secret", HexEncode(e.key.secret)},
              {"scheme", std::string(SchemeName(e.params.scheme))},
              {"context_width", e.params.context_width},
              {"created", e.created}};
    if (e.params.scheme == Scheme::kKgw) {
      k["gamma"] = e.params.gamma;
      k["delta"] = e.params.delta;
    }
    keys.push_back(std::move(k));
  }
  Json j = {{"format", std::string(kFormat)}, {"active", ring.active}, {"keys", std::move(keys)}};
  return j.dump(2) + "\n";
}

Result<Keyring> LoadKeyring(Env& env, const std::string& path) {
  RSF_ASSIGN_OR_RETURN(std::string content, env.ReadFile(path));
  return ParseKeyring(content, path);
}

Status SaveKeyring(Env& env, const std::string& path, const Keyring& ring) {
  return env.WriteFileAtomic(path, SerializeKeyring(ring), 0600);
}

Result<KeyEntry> NewKey(std::string_view id, const Params& params, std::string created) {
  RSF_RETURN_IF_ERROR(ValidateKeyId(id));
  RSF_RETURN_IF_ERROR(ValidateParams(params));
  if (sodium_init() < 0) return InternalError("libsodium could not be initialised");
  KeyEntry e;
  e.key.id = std::string(id);
  randombytes_buf(e.key.secret.data(), e.key.secret.size());
  e.params = params;
  e.created = std::move(created);
  return e;
}

std::vector<Watermarker> Watermarkers(const Keyring& ring) {
  std::vector<Watermarker> out;
  out.reserve(ring.keys.size());
  for (const KeyEntry& e : ring.keys) out.emplace_back(e.key, e.params);
  return out;
}

}  // namespace rsf::watermark
