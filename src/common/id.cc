#include "rsf/common/id.h"

#include <sodium.h>

namespace rsf {
namespace {
constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

uint64_t SodiumRandom() {
  static const bool initialized = sodium_init() >= 0;
  RSF_CHECK(initialized);
  // One system call per 32 values rather than per value (ids are made per request).
  thread_local uint64_t pool[32];
  thread_local size_t left = 0;
  if (left == 0) {
    randombytes_buf(pool, sizeof pool);
    left = 32;
  }
  return pool[--left];
}
}  // namespace

IdGenerator::IdGenerator(const Clock& clock, std::function<uint64_t()> random)
    : clock_(clock), random_(random ? std::move(random) : SodiumRandom) {}

std::string IdGenerator::Next(std::string_view prefix) {
  uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          clock_.Now().time_since_epoch())
                                          .count());
  uint64_t r1, r2;
  {
    std::lock_guard<std::mutex> lock(mu_);
    r1 = random_();
    r2 = random_();
  }
  // 128 bits: 48 bits of time then 80 random bits, as 26 base32 digits (130 bits, the top 2
  // always 0). Digit i holds bits [125 - 5i, 130 - 5i) of the big-endian 128-bit value.
  uint8_t bytes[16];
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  bytes[6] = static_cast<uint8_t>(r1 >> 8);
  bytes[7] = static_cast<uint8_t>(r1);
  for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<uint8_t>(r2 >> (56 - 8 * i));
  auto bit = [&](int pos) {  // pos 0 = least significant bit of the 128-bit value
    if (pos >= 128) return 0;
    return (bytes[15 - pos / 8] >> (pos % 8)) & 1;
  };
  std::string out(26, '0');
  for (int digit = 0; digit < 26; ++digit) {
    int low = 5 * (25 - digit);
    int v = 0;
    for (int b = 4; b >= 0; --b) v = (v << 1) | bit(low + b);
    out[static_cast<size_t>(digit)] = kCrockford[v];
  }
  return std::string(prefix) + out;
}

}  // namespace rsf
