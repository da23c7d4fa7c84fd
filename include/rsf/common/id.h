// include/rsf/common/id.h
//
// Identifiers: time-ordered, 26-character, URL-safe ids (a 48-bit millisecond timestamp and
// 80 random bits in Crockford base32, the ULID layout), so that ids sort by creation time.
//
// Thread safety: IdGenerator is safe for concurrent use.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "rsf/common/clock.h"

namespace rsf {

class IdGenerator {
 public:
  // `clock` must outlive the generator. `random` returns 64 random bits; the default draws
  // from libsodium's CSPRNG. Tests pass a deterministic function.
  explicit IdGenerator(const Clock& clock, std::function<uint64_t()> random = {});
  // "01JD7Y8Q3M0000000000000000"-shaped id, prefixed with `prefix` if given ("inc_...").
  std::string Next(std::string_view prefix = {});

 private:
  const Clock& clock_;
  std::function<uint64_t()> random_;
  std::mutex mu_;
};

}  // namespace rsf
