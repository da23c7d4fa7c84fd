#include "rsf/model/manifest.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "rsf/common/encoding.h"
#include "rsf/common/sha256.h"
#include "rsf/ledger/entry.h"

namespace rsf::model {
namespace {

std::string FileLines(const Manifest& m) {
  std::string out;
  for (const auto& f : m.files) out += fmt::format("file {} {} {}\n", f.sha256, f.size, f.path);
  return out;
}

bool IsHex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

std::string ManifestText(const Manifest& m) {
  return "rsf-model-manifest/1\nname " + m.name + "\n" + FileLines(m);
}

std::string ManifestDigest(const Manifest& m) {
  return "sha256:" + Sha256Hex("rsf-model-manifest/1\n" + FileLines(m));
}

Result<std::pair<std::string, uint64_t>> HashFile(Env& env, const std::string& path) {
  if (!env.FileExists(path)) return NotFoundError(fmt::format("{}: no such file", path));
  RSF_ASSIGN_OR_RETURN(auto file, env.NewRandomAccessFile(path));
  Sha256 h;
  const uint64_t size = file->Size();
  std::string block;
  for (uint64_t off = 0; off < size;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(size - off, 1 << 20));
    RSF_RETURN_IF_ERROR(file->Read(off, n, &block));
    if (block.size() != n) return DataLossError(fmt::format("{}: short read at {}", path, off));
    h.Update(block);
    off += n;
  }
  return std::make_pair(HexEncode(h.Final()), size);
}

Result<Manifest> BuildManifest(Env& env, std::string name, const std::vector<std::string>& paths) {
  if (name.empty() || name.find('\n') != std::string::npos) {
    return InvalidArgumentError("manifest name: expected a non-empty single line");
  }
  if (paths.empty()) return InvalidArgumentError("manifest: expected at least one file");
  Manifest m;
  m.name = std::move(name);
  for (const auto& p : paths) {
    if (p.find_first_of("\n ") != std::string::npos) {
      return InvalidArgumentError(fmt::format("{}: file names with spaces or newlines are not supported", p));
    }
    RSF_ASSIGN_OR_RETURN(auto hs, HashFile(env, p));
    m.files.push_back({p, hs.first, hs.second});
  }
  std::sort(m.files.begin(), m.files.end(), [](auto& a, auto& b) { return a.path < b.path; });
  return m;
}

Status SignManifest(Manifest& m, const ledger::NoteSigner& signer) {
  m.signer_key = signer.Verifier().ToString();
  RSF_ASSIGN_OR_RETURN(m.note, ledger::SignNote(ManifestText(m), signer));
  return OkStatus();
}

Status VerifyManifest(const Manifest& m, const std::vector<ledger::NoteVerifier>& trusted) {
  auto v = ledger::NoteVerifier::Parse(m.signer_key);
  if (!v.ok()) return PermissionDeniedError("manifest signer_key: " + v.status().message());
  auto note = ledger::ParseNote(m.note);
  if (!note.ok()) return PermissionDeniedError("manifest note: " + note.status().message());
  if (note->text != ManifestText(m)) {
    return PermissionDeniedError("manifest note: signed text does not match the manifest");
  }
  RSF_RETURN_IF_ERROR(ledger::VerifyNote(*note, *v));
  if (!trusted.empty() &&
      std::none_of(trusted.begin(), trusted.end(), [&](const ledger::NoteVerifier& t) {
        return t.ToString() == v->ToString();
      })) {
    return PermissionDeniedError(fmt::format("manifest signer '{}' is not trusted", v->name()));
  }
  return OkStatus();
}

Json ManifestToJson(const Manifest& m) {
  Json files = Json::array();
  for (const auto& f : m.files) files.push_back({{"path", f.path}, {"sha256", f.sha256}, {"size", f.size}});
  return {{"name", m.name}, {"digest", ManifestDigest(m)}, {"files", files},
          {"signer_key", m.signer_key}, {"note", m.note}};
}

Result<Manifest> ManifestFromJson(const Json& j, std::string_view where) {
  if (!j.is_object()) return InvalidArgumentError(fmt::format("{}: expected an object", where));
  Manifest m;
  RSF_ASSIGN_OR_RETURN(m.name, RequireString(j, "name", where));
  RSF_ASSIGN_OR_RETURN(m.signer_key, RequireString(j, "signer_key", where));
  RSF_ASSIGN_OR_RETURN(m.note, RequireString(j, "note", where));
  auto files = j.find("files");
  if (files == j.end() || !files->is_array() || files->empty()) {
    return InvalidArgumentError(fmt::format("{}: field 'files': expected a non-empty array", where));
  }
  for (size_t i = 0; i < files->size(); ++i) {
    std::string w = fmt::format("{}: files[{}]", where, i);
    const Json& f = (*files)[i];
    if (!f.is_object()) return InvalidArgumentError(w + ": expected an object");
    ManifestFile mf;
    RSF_ASSIGN_OR_RETURN(mf.path, RequireString(f, "path", w));
    RSF_ASSIGN_OR_RETURN(mf.sha256, RequireString(f, "sha256", w));
    RSF_ASSIGN_OR_RETURN(int64_t size, RequireInt(f, "size", w));
    if (!IsHex64(mf.sha256)) return InvalidArgumentError(w + ": field 'sha256': expected 64 lower-case hex digits");
    if (size < 0) return InvalidArgumentError(w + ": field 'size': expected >= 0");
    mf.size = static_cast<uint64_t>(size);
    m.files.push_back(std::move(mf));
  }
  if (auto d = j.find("digest"); d != j.end() && (!d->is_string() || *d != ManifestDigest(m))) {
    return InvalidArgumentError(fmt::format("{}: field 'digest': does not match the files", where));
  }
  return m;
}

ledger::Entry ManifestEntry(const Manifest& m, const Clock& clock) {
  ledger::Entry e;
  e.type = "model.manifest";
  e.time = FormatRfc3339(clock.Now());
  e.subject = "model:" + ManifestDigest(m);
  e.body = ManifestToJson(m);
  return e;
}

Result<ManifestIndex> ManifestIndex::Load(const ledger::Ledger& ledger,
                                          const std::vector<ledger::NoteVerifier>& trusted) {
  ManifestIndex idx;
  const uint64_t size = ledger.LatestCheckpoint().checkpoint.size;
  for (uint64_t i = 0; i < size; ++i) {
    RSF_ASSIGN_OR_RETURN(std::string bytes, ledger.ReadEntry(i));
    // Cheap filter before decoding: the canonical encoding holds the type verbatim.
    if (bytes.find("\"type\":\"model.manifest\"") == std::string::npos) continue;
    RSF_ASSIGN_OR_RETURN(ledger::Entry e, ledger::DecodeEntry(bytes));
    if (e.type != "model.manifest" || !e.body) continue;
    auto m = ManifestFromJson(*e.body, fmt::format("ledger entry {}", i));
    if (!m.ok()) {
      ++idx.rejected_;
      continue;
    }
    const bool verified = VerifyManifest(*m, trusted).ok();
    idx.listed_.push_back({i, ManifestDigest(*m), m->name, m->files.size(), verified});
    if (!verified) {
      ++idx.rejected_;
      continue;
    }
    Found f;
    f.digest = ManifestDigest(*m);
    f.index = i;
    f.leaf = ledger::LeafHash(bytes);
    f.manifest = std::move(*m);
    const size_t at = idx.found_.size();
    for (const auto& file : f.manifest.files) idx.by_file_[file.sha256] = at;
    idx.by_digest_[f.digest] = at;
    idx.found_.push_back(std::move(f));
  }
  return idx;
}

const ManifestIndex::Found* ManifestIndex::ByFileHash(const std::string& sha256_hex) const {
  auto it = by_file_.find(sha256_hex);
  return it == by_file_.end() ? nullptr : &found_[it->second];
}

const ManifestIndex::Found* ManifestIndex::ByDigest(const std::string& digest) const {
  auto it = by_digest_.find(digest);
  return it == by_digest_.end() ? nullptr : &found_[it->second];
}

Result<LoadedWeights> GateWeights(ledger::Ledger& ledger, const Clock& clock,
                                  const std::string& path, const std::string& sha256_hex,
                                  const std::string& backend, const WeightsPolicy& policy) {
  RSF_RETURN_IF_ERROR(ledger.Publish().status());  // manifests appended just before count
  RSF_ASSIGN_OR_RETURN(ManifestIndex idx, ManifestIndex::Load(ledger, policy.trusted));
  const ManifestIndex::Found* found = idx.ByFileHash(sha256_hex);
  LoadedWeights out;
  out.path = path;
  out.file_sha256 = sha256_hex;
  if (found) {
    out.digest = found->digest;
    out.name = found->manifest.name;
    out.signed_manifest = true;
  } else if (policy.allow_unsigned) {
    out.digest = "sha256:" + sha256_hex;
    size_t slash = path.rfind('/');
    out.name = slash == std::string::npos ? path : path.substr(slash + 1);
    spdlog::warn("model: loading {} (sha256 {}) with no signed manifest, as allowed", path, sha256_hex);
  } else {
    return PermissionDeniedError(fmt::format(
        "{}: weights sha256 {} are listed in no signed manifest in the ledger ({} verified "
        "manifest(s), {} rejected); sign them with `rsf model sign` or pass --allow-unsigned",
        path, sha256_hex, idx.size(), idx.rejected()));
  }
  ledger::Entry e;
  e.type = "model.load";
  e.time = FormatRfc3339(clock.Now());
  e.subject = "model:" + out.digest;
  e.body = Json{{"path", path}, {"sha256", sha256_hex}, {"backend", backend},
                {"manifest", found ? Json(found->digest) : Json(nullptr)},
                {"unsigned_allowed", !found}};
  if (found) e.refs.push_back(found->leaf);
  RSF_ASSIGN_OR_RETURN(out.load_entry, ledger.Append(e));
  return out;
}

Result<LoadedWeights> OpenWeights(Env& env, ledger::Ledger& ledger, const Clock& clock,
                                  const std::string& path, const std::string& backend,
                                  const WeightsPolicy& policy) {
  RSF_ASSIGN_OR_RETURN(auto hs, HashFile(env, path));
  return GateWeights(ledger, clock, path, hs.first, backend, policy);
}

}  // namespace rsf::model
