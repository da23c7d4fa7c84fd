#include "rsf/ledger/note.h"

#include <sodium.h>

#include <cstring>

#include <fmt/format.h>

#include "rsf/common/encoding.h"
#include "rsf/common/sha256.h"

namespace rsf::ledger {
namespace {

constexpr uint8_t kAlgEd25519 = 0x01;
constexpr std::string_view kSigPrefix = "\xe2\x80\x94 ";  // U+2014 EM DASH, space
constexpr size_t kMaxSignatures = 100;

bool EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

uint32_t KeyHash(std::string_view name, const std::array<uint8_t, 32>& pk) {
  Sha256 h;
  h.Update(name);
  h.Update(uint8_t{'\n'});
  h.Update(kAlgEd25519);
  h.Update(std::span<const uint8_t>(pk));
  Digest d = h.Final();
  return (uint32_t{d[0]} << 24) | (uint32_t{d[1]} << 16) | (uint32_t{d[2]} << 8) | d[3];
}

// Splits "name+hash+key" at the first two '+': the base64 key may itself contain '+'.
std::vector<std::string_view> SplitPlus(std::string_view s) {
  std::vector<std::string_view> parts;
  for (int i = 0; i < 2; ++i) {
    size_t pos = s.find('+');
    if (pos == std::string_view::npos) break;
    parts.push_back(s.substr(0, pos));
    s.remove_prefix(pos + 1);
  }
  parts.push_back(s);
  return parts;
}

Result<uint32_t> ParseKeyHashHex(std::string_view hex) {
  // One spelling per key: 8 lower-case hex digits, as keys are printed.
  if (hex.size() != 8 || hex.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    return InvalidArgumentError("key hash must be 8 lower-case hex digits");
  }
  RSF_ASSIGN_OR_RETURN(Bytes b, HexDecode(hex));
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

Status ValidateNoteText(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return InvalidArgumentError("note text must be non-empty and end in a newline");
  }
  size_t line = 1;
  for (char c : text) {
    auto u = static_cast<uint8_t>(c);
    if (c == '\n') {
      ++line;
    } else if (u < 0x20 || u == 0x7f) {
      return InvalidArgumentError(fmt::format("note text line {} has a control character", line));
    }
  }
  if (text.find("\n\n") != std::string_view::npos || text.front() == '\n') {
    return InvalidArgumentError("note text must not contain an empty line");
  }
  return OkStatus();
}

}  // namespace

Status ValidateKeyName(std::string_view name) {
  if (name.empty()) return InvalidArgumentError("key name is empty");
  for (char c : name) {
    auto u = static_cast<uint8_t>(c);
    if (c == ' ' || c == '+' || u < 0x21 || u == 0x7f) {
      return InvalidArgumentError("key name '" + std::string(name) +
                                  "' contains a space, '+' or control character");
    }
  }
  return OkStatus();
}

Result<NoteVerifier> NoteVerifier::Parse(std::string_view vkey) {
  auto parts = SplitPlus(vkey);
  if (parts.size() != 3) {
    return InvalidArgumentError("verifier key must be <name>+<hash>+<key>, got " +
                                std::to_string(parts.size()) + " '+'-separated parts");
  }
  RSF_RETURN_IF_ERROR(ValidateKeyName(parts[0]).WithContext("verifier key"));
  auto hash = ParseKeyHashHex(parts[1]);
  if (!hash.ok()) return hash.status().WithContext("verifier key");
  auto key = Base64Decode(parts[2]);
  if (!key.ok()) return key.status().WithContext("verifier key");
  if (key->size() != 33 || (*key)[0] != kAlgEd25519) {
    return InvalidArgumentError("verifier key is not an Ed25519 key (type 0x01, 32 bytes)");
  }
  NoteVerifier v;
  v.name_ = std::string(parts[0]);
  std::memcpy(v.public_key_.data(), key->data() + 1, 32);
  v.key_hash_ = KeyHash(v.name_, v.public_key_);
  if (v.key_hash_ != *hash) {
    return InvalidArgumentError("verifier key hash " + std::string(parts[1]) +
                                " does not match its name and key");
  }
  return v;
}

std::string NoteVerifier::ToString() const {
  std::vector<uint8_t> k{kAlgEd25519};
  k.insert(k.end(), public_key_.begin(), public_key_.end());
  return fmt::format("{}+{:08x}+{}", name_, key_hash_, Base64Encode(k));
}

bool NoteVerifier::Verify(std::string_view message, std::span<const uint8_t> signature) const {
  if (!EnsureSodium() || signature.size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(signature.data(),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), public_key_.data()) == 0;
}

NoteSigner::~NoteSigner() {
  sodium_memzero(seed_.data(), seed_.size());
  sodium_memzero(secret_key_.data(), secret_key_.size());
}

Result<NoteSigner> NoteSigner::Generate(std::string_view name) {
  RSF_RETURN_IF_ERROR(ValidateKeyName(name));
  if (!EnsureSodium()) return InternalError("libsodium failed to initialise");
  NoteSigner s;
  s.name_ = std::string(name);
  randombytes_buf(s.seed_.data(), s.seed_.size());
  std::array<uint8_t, 32> pk;
  crypto_sign_seed_keypair(pk.data(), s.secret_key_.data(), s.seed_.data());
  s.key_hash_ = KeyHash(s.name_, pk);
  return s;
}

Result<NoteSigner> NoteSigner::Parse(std::string_view skey) {
  constexpr std::string_view kPrefix = "PRIVATE+KEY+";
  if (skey.substr(0, kPrefix.size()) != kPrefix) {
    return InvalidArgumentError("signer key must start with PRIVATE+KEY+");
  }
  auto parts = SplitPlus(skey.substr(kPrefix.size()));
  if (parts.size() != 3) return InvalidArgumentError("signer key must be PRIVATE+KEY+<name>+<hash>+<key>");
  RSF_RETURN_IF_ERROR(ValidateKeyName(parts[0]).WithContext("signer key"));
  auto hash = ParseKeyHashHex(parts[1]);
  if (!hash.ok()) return hash.status().WithContext("signer key");
  auto key = Base64Decode(parts[2]);
  if (!key.ok()) return InvalidArgumentError("signer key: the key part is not valid base64");
  if (key->size() != 33 || (*key)[0] != kAlgEd25519) {
    return InvalidArgumentError("signer key is not an Ed25519 key (type 0x01, 32-byte seed)");
  }
  if (!EnsureSodium()) return InternalError("libsodium failed to initialise");
  NoteSigner s;
  s.name_ = std::string(parts[0]);
  std::memcpy(s.seed_.data(), key->data() + 1, 32);
  sodium_memzero(key->data(), key->size());
  std::array<uint8_t, 32> pk;
  crypto_sign_seed_keypair(pk.data(), s.secret_key_.data(), s.seed_.data());
  s.key_hash_ = KeyHash(s.name_, pk);
  if (s.key_hash_ != *hash) return InvalidArgumentError("signer key hash does not match its key");
  return s;
}

NoteVerifier NoteSigner::Verifier() const {
  NoteVerifier v;
  // Build through the string form to keep one parser as the source of truth.
  std::array<uint8_t, 32> pk;
  std::memcpy(pk.data(), secret_key_.data() + 32, 32);
  std::vector<uint8_t> k{kAlgEd25519};
  k.insert(k.end(), pk.begin(), pk.end());
  auto parsed = NoteVerifier::Parse(fmt::format("{}+{:08x}+{}", name_, key_hash_, Base64Encode(k)));
  if (!parsed.ok()) CheckFailed(__FILE__, __LINE__, "verifier", parsed.status().ToString());
  return *parsed;
}

std::string NoteSigner::ToString() const {
  std::vector<uint8_t> k{kAlgEd25519};
  k.insert(k.end(), seed_.begin(), seed_.end());
  std::string out = fmt::format("PRIVATE+KEY+{}+{:08x}+{}", name_, key_hash_, Base64Encode(k));
  sodium_memzero(k.data(), k.size());
  return out;
}

std::array<uint8_t, 64> NoteSigner::Sign(std::string_view message) const {
  std::array<uint8_t, 64> sig;
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_key_.data());
  return sig;
}

namespace {
std::string SignatureLine(const NoteSigner& signer, std::string_view text) {
  auto sig = signer.Sign(text);
  uint32_t kh = signer.key_hash();
  std::vector<uint8_t> blob{static_cast<uint8_t>(kh >> 24), static_cast<uint8_t>(kh >> 16),
                            static_cast<uint8_t>(kh >> 8), static_cast<uint8_t>(kh)};
  blob.insert(blob.end(), sig.begin(), sig.end());
  return std::string(kSigPrefix) + signer.name() + " " + Base64Encode(blob) + "\n";
}
}  // namespace

Result<std::string> SignNote(std::string_view text, const NoteSigner& signer) {
  RSF_RETURN_IF_ERROR(ValidateNoteText(text));
  return std::string(text) + "\n" + SignatureLine(signer, text);
}

Result<std::string> AddSignature(const SignedNote& note, const NoteSigner& signer) {
  RSF_RETURN_IF_ERROR(ValidateNoteText(note.text));
  return FormatNote(note) + SignatureLine(signer, note.text);
}

std::string FormatNote(const SignedNote& note) {
  std::string out = note.text + "\n";
  for (const auto& s : note.signatures) {
    std::vector<uint8_t> blob{static_cast<uint8_t>(s.key_hash >> 24),
                              static_cast<uint8_t>(s.key_hash >> 16),
                              static_cast<uint8_t>(s.key_hash >> 8),
                              static_cast<uint8_t>(s.key_hash)};
    blob.insert(blob.end(), s.signature.begin(), s.signature.end());
    out += std::string(kSigPrefix) + s.name + " " + Base64Encode(blob) + "\n";
  }
  return out;
}

Result<SignedNote> ParseNote(std::string_view note) {
  size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) {
    return InvalidArgumentError("signed note has no blank line before its signatures");
  }
  SignedNote out;
  out.text = std::string(note.substr(0, split + 1));
  RSF_RETURN_IF_ERROR(ValidateNoteText(out.text).WithContext("signed note"));
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') {
    return InvalidArgumentError("signed note must end with a signature line and a newline");
  }
  size_t line_no = 0;
  while (!sigs.empty()) {
    ++line_no;
    size_t nl = sigs.find('\n');
    std::string_view line = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    auto bad = [&](std::string_view why) {
      return InvalidArgumentError(fmt::format("signed note: signature line {}: {}", line_no, why));
    };
    if (line.substr(0, kSigPrefix.size()) != kSigPrefix) return bad("does not start with '— '");
    line.remove_prefix(kSigPrefix.size());
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return bad("has no space between name and signature");
    std::string_view name = line.substr(0, sp);
    if (!ValidateKeyName(name).ok()) return bad("has an invalid key name");
    auto blob = Base64Decode(line.substr(sp + 1));
    if (!blob.ok()) return bad("signature is not valid base64");
    if (blob->size() < 5) return bad("signature is too short");
    NoteSignature s;
    s.name = std::string(name);
    s.key_hash = (uint32_t{(*blob)[0]} << 24) | (uint32_t{(*blob)[1]} << 16) |
                 (uint32_t{(*blob)[2]} << 8) | (*blob)[3];
    s.signature.assign(blob->begin() + 4, blob->end());
    out.signatures.push_back(std::move(s));
    if (out.signatures.size() > kMaxSignatures) return bad("too many signatures");
  }
  return out;
}

Status VerifyNote(const SignedNote& note, const NoteVerifier& verifier) {
  bool found = false;
  for (const auto& s : note.signatures) {
    if (s.name != verifier.name() || s.key_hash != verifier.key_hash()) continue;
    found = true;
    if (!verifier.Verify(note.text, s.signature)) {
      return PermissionDeniedError("signature by " + verifier.name() + " is not valid");
    }
  }
  if (!found) {
    return PermissionDeniedError(fmt::format("note carries no signature by key {}+{:08x}",
                                             verifier.name(), verifier.key_hash()));
  }
  return OkStatus();
}

}  // namespace rsf::ledger
