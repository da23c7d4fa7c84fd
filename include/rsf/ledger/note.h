// include/rsf/ledger/note.h
//
// C2SP signed notes with Ed25519 keys (the format of Go's sumdb note package), so that
// existing transparency-log tools can read rsf checkpoints.
//
//   note      = text "\n" signature+        text ends in "\n"; no other control characters
//   signature = "— " name " " base64(key_hash[4] || ed25519_signature[64]) "\n"
//   key_hash  = SHA-256(name || "\n" || 0x01 || public_key)[:4]
//   verifier key string: name "+" hex8(key_hash) "+" base64(0x01 || public_key)
//   signer key string:   "PRIVATE+KEY+" name "+" hex8(key_hash) "+" base64(0x01 || seed)
//
// Thread safety: NoteSigner and NoteVerifier are immutable after construction and safe for
// concurrent use.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/status.h"

namespace rsf::ledger {

// kInvalidArgument unless `name` is non-empty UTF-8 without spaces, '+' or control characters.
Status ValidateKeyName(std::string_view name);

class NoteVerifier {
 public:
  // Parses a verifier key string. kInvalidArgument names the malformed part, including a
  // key hash that does not match the name and key.
  static Result<NoteVerifier> Parse(std::string_view vkey);

  const std::string& name() const { return name_; }
  uint32_t key_hash() const { return key_hash_; }
  const std::array<uint8_t, 32>& public_key() const { return public_key_; }
  std::string ToString() const;
  bool Verify(std::string_view message, std::span<const uint8_t> signature) const;

 private:
  std::string name_;
  uint32_t key_hash_ = 0;
  std::array<uint8_t, 32> public_key_{};
};

class NoteSigner {
 public:
  // A new random key pair named `name` (libsodium's CSPRNG).
  static Result<NoteSigner> Generate(std::string_view name);
  // Parses a signer key string ("PRIVATE+KEY+..."). kInvalidArgument if malformed.
  static Result<NoteSigner> Parse(std::string_view skey);

  NoteSigner(const NoteSigner&) = default;
  NoteSigner& operator=(const NoteSigner&) = default;
  ~NoteSigner();

  const std::string& name() const { return name_; }
  uint32_t key_hash() const { return key_hash_; }
  NoteVerifier Verifier() const;
  // The private key string; write it only to a file with mode 0600, never to logs.
  std::string ToString() const;
  std::array<uint8_t, 64> Sign(std::string_view message) const;

 private:
  NoteSigner() = default;
  std::string name_;
  uint32_t key_hash_ = 0;
  std::array<uint8_t, 32> seed_{};
  std::array<uint8_t, 64> secret_key_{};  // libsodium layout: seed || public key
};

struct NoteSignature {
  std::string name;
  uint32_t key_hash = 0;
  std::vector<uint8_t> signature;  // without the 4-byte key hash
};

struct SignedNote {
  std::string text;  // ends in "\n"
  std::vector<NoteSignature> signatures;
};

// text + "\n" + one signature line. kInvalidArgument if `text` is not valid note text.
Result<std::string> SignNote(std::string_view text, const NoteSigner& signer);
// Adds `signer`'s signature to an already signed note.
Result<std::string> AddSignature(const SignedNote& note, const NoteSigner& signer);
// Parses the note syntax (no signature check). kInvalidArgument names the bad line.
Result<SignedNote> ParseNote(std::string_view note);
std::string FormatNote(const SignedNote& note);
// kOk if a signature by `verifier` (same name and key hash) is present and valid; signatures
// by unknown keys are ignored. kPermissionDenied if the known key's signature is invalid or
// no signature by it is present.
Status VerifyNote(const SignedNote& note, const NoteVerifier& verifier);

}  // namespace rsf::ledger
