// include/rsf/common/sha256.h
//
// SHA-256 (FIPS 180-4) through OpenSSL, which uses the CPU's SHA extensions where present.
//
// Thread safety: Sha256 objects are not shared between threads; the free functions are
// safe to call concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace rsf {

using Digest = std::array<uint8_t, 32>;

// Incremental hasher. Reusable: Final() resets it.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::span<const uint8_t> data);
  void Update(std::string_view data) {
    Update({reinterpret_cast<const uint8_t*>(data.data()), data.size()});
  }
  void Update(uint8_t byte) { Update(std::span<const uint8_t>(&byte, 1)); }
  Digest Final();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

Digest Sha256Of(std::span<const uint8_t> data);
Digest Sha256Of(std::string_view data);
// Lower-case hex of the digest.
std::string Sha256Hex(std::string_view data);

}  // namespace rsf
