// include/rsf/watermark/keyring.h
//
// Watermark keys on disk: a JSON file (mode 0600; it holds secrets) listing keys, each with
// its id, 32-byte secret (hex) and the parameters it embeds with, and naming the active key
// (the one generation uses). Older keys stay for detection after a rotation. Format:
// docs/formats/watermark.md.
//
// Thread safety: pure functions; a Keyring is a plain value.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/env.h"
#include "rsf/common/status.h"
#include "rsf/watermark/watermark.h"

namespace rsf::watermark {

struct KeyEntry {
  Key key;
  Params params;
  std::string created;  // RFC 3339
};

struct Keyring {
  std::vector<KeyEntry> keys;
  std::string active;  // id of the key used to embed

  const KeyEntry* Find(std::string_view id) const;
  const KeyEntry* Active() const { return Find(active); }
};

// kInvalidArgument naming `source` and the field for a malformed file.
Result<Keyring> ParseKeyring(std::string_view json, std::string_view source);
std::string SerializeKeyring(const Keyring& ring);

// kNotFound when absent.
Result<Keyring> LoadKeyring(Env& env, const std::string& path);
// Atomic, mode 0600.
Status SaveKeyring(Env& env, const std::string& path, const Keyring& ring);

// A new key with a random secret. kInvalidArgument for a bad id or parameters.
Result<KeyEntry> NewKey(std::string_view id, const Params& params, std::string created);

// One Watermarker per key, in file order.
std::vector<Watermarker> Watermarkers(const Keyring& ring);

}  // namespace rsf::watermark
