#include "rsf/common/sha256.h"

// The low-level SHA256_* API is deprecated in OpenSSL 3 but remains the fastest path: it calls
// the SHA-NI assembly directly, without the EVP provider lookups that dominate 65-byte hashes
// (the Merkle node size).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "rsf/common/encoding.h"

namespace rsf {

struct Sha256::State {
  SHA256_CTX ctx;
};

Sha256::Sha256() : state_(std::make_unique<State>()) { SHA256_Init(&state_->ctx); }
Sha256::~Sha256() = default;

void Sha256::Update(std::span<const uint8_t> data) {
  SHA256_Update(&state_->ctx, data.data(), data.size());
}

Digest Sha256::Final() {
  Digest out;
  SHA256_Final(out.data(), &state_->ctx);
  SHA256_Init(&state_->ctx);
  return out;
}

Digest Sha256Of(std::span<const uint8_t> data) {
  // Not SHA256(): in OpenSSL 3 that one-shot goes through EVP_Q_digest and an algorithm fetch
  // per call, which costs more than hashing a Merkle node.
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  Digest out;
  SHA256_Final(out.data(), &ctx);
  return out;
}

Digest Sha256Of(std::string_view data) {
  return Sha256Of(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()),
                                           data.size()));
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256Of(data)); }

}  // namespace rsf
