// include/rsf/model/manifest.h
//
// Weights integrity. A manifest lists a model's files with the SHA-256 and size of each; its
// digest ("sha256:<hex>" over ManifestText without the name) is the model's identity in
// evaluation results and decisions. `rsf model sign` signs the manifest text as a C2SP signed
// note and records it in the ledger as a "model.manifest" entry. Before an in-process backend
// loads weights, the gate (OpenWeights) hashes the file, looks for a verified manifest in the
// ledger that lists that hash, refuses when there is none (unless told to allow unsigned
// weights, which is itself logged), and logs a "model.load" entry naming the manifest entry.
//
// Manifest text (what is signed):
//   rsf-model-manifest/1
//   name <name>
//   file <sha256 hex> <size> <path>      one line per file, sorted by path
//
// Thread safety: values and free functions; ManifestIndex is immutable once loaded.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rsf/common/clock.h"
#include "rsf/common/env.h"
#include "rsf/common/json.h"
#include "rsf/ledger/ledger.h"
#include "rsf/ledger/note.h"

namespace rsf::model {

struct ManifestFile {
  std::string path;    // as given (relative paths are kept relative)
  std::string sha256;  // lower-case hex
  uint64_t size = 0;
};

struct Manifest {
  std::string name;
  std::vector<ManifestFile> files;  // sorted by path
  std::string signer_key;  // the verifier key ("name+hash+key") of the signer
  std::string note;        // C2SP signed note over ManifestText
};

std::string ManifestText(const Manifest& m);
// "sha256:<hex>" over the file lines of ManifestText (the name does not change the digest).
std::string ManifestDigest(const Manifest& m);

// SHA-256 (lower-case hex) and size of a file, read in 1 MiB blocks.
Result<std::pair<std::string, uint64_t>> HashFile(Env& env, const std::string& path);

// Hashes `paths` into a manifest named `name`. kNotFound names a missing file;
// kInvalidArgument for an empty name or no files.
Result<Manifest> BuildManifest(Env& env, std::string name, const std::vector<std::string>& paths);
Status SignManifest(Manifest& m, const ledger::NoteSigner& signer);
// kOk when the note is over ManifestText(m) and verifies with m.signer_key, and (if `trusted`
// is not empty) that key is one of `trusted`. kPermissionDenied otherwise, saying why.
Status VerifyManifest(const Manifest& m, const std::vector<ledger::NoteVerifier>& trusted);

Json ManifestToJson(const Manifest& m);
// kInvalidArgument names the field (`where` prefixes it).
Result<Manifest> ManifestFromJson(const Json& j, std::string_view where);

// The ledger entry that records a signed manifest.
ledger::Entry ManifestEntry(const Manifest& m, const Clock& clock);

// Verified manifests found in a ledger, by file hash and by digest.
class ManifestIndex {
 public:
  struct Found {
    Manifest manifest;
    std::string digest;
    uint64_t index = 0;  // ledger index of the model.manifest entry
    ledger::Hash leaf{};
  };
  // Reads every published "model.manifest" entry; entries whose signature does not verify
  // (or whose signer is not trusted) are skipped and counted in rejected().
  static Result<ManifestIndex> Load(const ledger::Ledger& ledger,
                                    const std::vector<ledger::NoteVerifier>& trusted);
  // Every well-formed manifest entry, verified or not, in ledger order (rsf model list).
  struct Listed {
    uint64_t index = 0;
    std::string digest, name;
    size_t files = 0;
    bool verified = false;
  };
  const std::vector<Listed>& listed() const { return listed_; }

  const Found* ByFileHash(const std::string& sha256_hex) const;
  const Found* ByDigest(const std::string& digest) const;
  size_t size() const { return found_.size(); }
  size_t rejected() const { return rejected_; }

 private:
  std::vector<Found> found_;
  std::vector<Listed> listed_;
  std::map<std::string, size_t> by_file_, by_digest_;
  size_t rejected_ = 0;
};

struct WeightsPolicy {
  bool allow_unsigned = false;  // load weights no manifest lists (logged as such)
  std::vector<ledger::NoteVerifier> trusted;  // empty: any signer with a valid signature
};

struct LoadedWeights {
  std::string path;
  std::string file_sha256;
  std::string digest;         // the manifest digest, or "sha256:<file hash>" when unsigned
  std::string name;           // the manifest's model name, or the file name when unsigned
  bool signed_manifest = false;
  ledger::AppendResult load_entry;  // the "model.load" record
};

// The gate in front of every in-process load: hashes `path`, finds its manifest, refuses
// with kPermissionDenied (naming the file and its hash) when none lists it and unsigned
// weights are not allowed, and appends a "model.load" entry (refs: the manifest entry).
Result<LoadedWeights> OpenWeights(Env& env, ledger::Ledger& ledger, const Clock& clock,
                                  const std::string& path, const std::string& backend,
                                  const WeightsPolicy& policy);
// The same gate for weights already hashed (built-in weights: `path` is "builtin:<name>").
Result<LoadedWeights> GateWeights(ledger::Ledger& ledger, const Clock& clock,
                                  const std::string& path, const std::string& sha256_hex,
                                  const std::string& backend, const WeightsPolicy& policy);

}  // namespace rsf::model
