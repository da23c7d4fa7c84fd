#include "rsf/ledger/entry.h"

#include <fmt/format.h>

#include "rsf/common/clock.h"

namespace rsf::ledger {
namespace {

constexpr std::string_view kDigestPrefix = "sha256:";

Status ValidateType(std::string_view type, std::string_view where) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError(fmt::format("{}: field 'type': {}", where, why));
  };
  if (type.empty() || type.size() > 64) return bad("must be 1 to 64 characters");
  for (size_t i = 0; i < type.size(); ++i) {
    char c = type[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (i > 0 && (c == '.' || c == '_' || c == '-'));
    if (!ok) return bad(fmt::format("'{}' must match [a-z0-9][a-z0-9._-]*", type));
  }
  return OkStatus();
}

Status Validate(const Entry& e, std::string_view where) {
  RSF_RETURN_IF_ERROR(ValidateType(e.type, where));
  auto t = ParseRfc3339(e.time);
  if (!t.ok()) return InvalidArgumentError(fmt::format("{}: field 'time': {}", where, t.status().message()));
  if (e.subject.empty() || e.subject.size() > 1024) {
    return InvalidArgumentError(fmt::format("{}: field 'subject': must be 1 to 1024 bytes", where));
  }
  if (e.body.has_value() == e.body_digest.has_value()) {
    return InvalidArgumentError(
        fmt::format("{}: exactly one of 'body' and 'body_digest' must be present", where));
  }
  if (e.refs.size() > 1000) {
    return InvalidArgumentError(fmt::format("{}: field 'refs': at most 1000 references", where));
  }
  return OkStatus();
}

}  // namespace

Json EntryToJson(const Entry& e) {
  Json j = Json::object();
  j["type"] = e.type;
  j["time"] = e.time;
  j["subject"] = e.subject;
  Json refs = Json::array();
  for (const auto& r : e.refs) refs.push_back(HashHex(r));
  j["refs"] = std::move(refs);
  if (e.body) j["body"] = *e.body;
  if (e.body_digest) j["body_digest"] = std::string(kDigestPrefix) + HashHex(*e.body_digest);
  return j;
}

namespace {

// Appends `"name":` and the canonical form of `value`, then a comma unless `last`.
Status AppendMember(std::string_view name, const Json& value, bool last, std::string& out) {
  out += '"';
  out += name;
  out += "\":";
  RSF_RETURN_IF_ERROR(AppendCanonicalJson(value, out));
  if (!last) out += ',';
  return OkStatus();
}

}  // namespace

Result<std::string> EncodeEntry(const Entry& entry) {
  RSF_RETURN_IF_ERROR(Validate(entry, "entry"));
  // CanonicalJson(EntryToJson(entry)), written member by member in JCS order (body,
  // body_digest, refs, subject, time, type) so that the body is not copied.
  std::string out = "{";
  if (entry.body) {
    if (Status s = AppendMember("body", *entry.body, false, out); !s.ok()) {
      return s.WithContext("entry: field 'body'");
    }
  }
  if (entry.body_digest) {
    RSF_RETURN_IF_ERROR(
        AppendMember("body_digest", std::string(kDigestPrefix) + HashHex(*entry.body_digest), false, out));
  }
  out += "\"refs\":[";
  for (size_t i = 0; i < entry.refs.size(); ++i) {
    if (i) out += ',';
    out += '"';
    out += HashHex(entry.refs[i]);
    out += '"';
  }
  out += "],";
  RSF_RETURN_IF_ERROR(AppendMember("subject", entry.subject, false, out));
  RSF_RETURN_IF_ERROR(AppendMember("time", entry.time, false, out));
  RSF_RETURN_IF_ERROR(AppendMember("type", entry.type, true, out));
  out += '}';
  if (out.size() > 65535) {
    return InvalidArgumentError(fmt::format(
        "entry is {} bytes, over the 65,535-byte limit by {}; log a body_digest instead of the "
        "body",
        out.size(), out.size() - 65535));
  }
  return out;
}

Result<Entry> EntryFromJson(const Json& j, std::string_view where) {
  if (!j.is_object()) {
    return InvalidArgumentError(fmt::format("{}: an entry must be a JSON object, got {}", where,
                                            JsonTypeName(j)));
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k != "type" && k != "time" && k != "subject" && k != "refs" && k != "body" &&
        k != "body_digest") {
      return InvalidArgumentError(fmt::format(
          "{}: unknown field '{}' (expected type, time, subject, refs, body or body_digest)",
          where, k));
    }
  }
  Entry e;
  RSF_ASSIGN_OR_RETURN(e.type, RequireString(j, "type", where));
  RSF_ASSIGN_OR_RETURN(e.time, RequireString(j, "time", where));
  RSF_ASSIGN_OR_RETURN(e.subject, RequireString(j, "subject", where));
  if (auto it = j.find("refs"); it != j.end()) {
    if (!it->is_array()) {
      return InvalidArgumentError(fmt::format("{}: field 'refs': expected an array of hex leaf hashes", where));
    }
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& r = (*it)[i];
      if (!r.is_string()) {
        return InvalidArgumentError(fmt::format("{}: field 'refs[{}]': expected a string", where, i));
      }
      auto h = ParseHashHex(r.get<std::string>());
      if (!h.ok()) {
        return InvalidArgumentError(
            fmt::format("{}: field 'refs[{}]': {}", where, i, h.status().message()));
      }
      e.refs.push_back(*h);
    }
  }
  if (auto it = j.find("body"); it != j.end()) e.body = *it;
  if (auto it = j.find("body_digest"); it != j.end()) {
    if (!it->is_string() || it->get<std::string>().rfind(kDigestPrefix, 0) != 0) {
      return InvalidArgumentError(fmt::format("{}: field 'body_digest': expected \"sha256:<64 hex>\"", where));
    }
    auto h = ParseHashHex(it->get<std::string>().substr(kDigestPrefix.size()));
    if (!h.ok()) {
      return InvalidArgumentError(fmt::format("{}: field 'body_digest': {}", where, h.status().message()));
    }
    e.body_digest = *h;
  }
  RSF_RETURN_IF_ERROR(Validate(e, where));
  return e;
}

Result<Entry> DecodeEntry(std::string_view bytes) {
  RSF_ASSIGN_OR_RETURN(Json j, ParseJson(bytes, "entry"));
  RSF_ASSIGN_OR_RETURN(Entry e, EntryFromJson(j, "entry"));
  RSF_ASSIGN_OR_RETURN(std::string canonical, EncodeEntry(e));
  if (canonical != bytes) {
    return InvalidArgumentError("entry bytes are not in RFC 8785 canonical form");
  }
  return e;
}

Status CheckDisclosure(const Entry& entry, std::string_view content) {
  if (!entry.body_digest) {
    return FailedPreconditionError("entry carries its body; there is nothing to disclose");
  }
  Hash actual = Sha256Of(content);
  if (actual != *entry.body_digest) {
    return DataLossError("disclosed content has SHA-256 " + HashHex(actual) +
                         " but the entry commits to " + HashHex(*entry.body_digest));
  }
  return OkStatus();
}

}  // namespace rsf::ledger
