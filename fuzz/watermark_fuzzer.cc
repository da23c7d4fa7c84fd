// Fuzz target: watermark detection and keyrings. The first byte picks the input kind:
//   0: the rest is a keyring file: refused with an error, or parsed into keys that serialise
//      and parse back to the same keyring;
//   1: the rest is a GGUF file: refused with an error, or a tokenizer whose ids stay inside
//      its vocabulary and whose decoding of them is stable;
//   else: the rest is token ids for Detect (with the span search): counts add up and
//      p-values are probabilities.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "rsf/model/tokenizer.h"
#include "rsf/watermark/detector.h"
#include "rsf/watermark/keyring.h"

namespace {

void Keyring(std::string_view bytes) {
  auto ring = rsf::watermark::ParseKeyring(bytes, "fuzz.json");
  if (!ring.ok()) return;
  const std::string again = rsf::watermark::SerializeKeyring(*ring);
  auto back = rsf::watermark::ParseKeyring(again, "fuzz.again");
  if (!back.ok() || rsf::watermark::SerializeKeyring(*back) != again) std::abort();
}

void Gguf(std::string_view bytes) {
  static const std::string path = "/tmp/rsf-fuzz-gguf-" + std::to_string(::getpid());
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  auto tok = rsf::model::LoadGgufTokenizer(path);
  if (!tok.ok()) return;
  const auto ids = (*tok)->Encode("Once upon a time, ñ 漢 \x01 end.");
  for (int32_t id : ids) {
    if (id < 0 || id >= (*tok)->VocabSize()) std::abort();
  }
  const std::string text = (*tok)->Decode(ids);
  if ((*tok)->Decode(ids) != text) std::abort();
}

void Detect(std::string_view bytes) {
  std::vector<int32_t> ids(bytes.size() / 2);
  for (size_t i = 0; i < ids.size(); ++i) {
    ids[i] = static_cast<int32_t>(static_cast<uint8_t>(bytes[2 * i]) | static_cast<uint8_t>(bytes[2 * i + 1]) << 8);
  }
  rsf::watermark::Key key;
  key.id = "fuzz";
  for (auto scheme : {rsf::watermark::Scheme::kKgw, rsf::watermark::Scheme::kGumbel}) {
    const rsf::watermark::Watermarker wm(key, {scheme, 0.25, 2.0, bytes.empty() ? 1 : static_cast<uint8_t>(bytes[0]) % 4});
    rsf::watermark::DetectOptions o;
    o.find_span = true;
    o.min_tokens = 4;
    const auto d = rsf::watermark::Detect(wm, ids, o);
    if (d.scored + d.repeats > d.tokens) std::abort();
    if (!(d.p_value >= 0 && d.p_value <= 1) || !(d.log10_p <= 0) || std::isnan(d.z)) std::abort();
    if (d.has_span && (d.span.begin < 0 || d.span.end > d.tokens || d.span.begin >= d.span.end || d.span.log10_p > 0)) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 1024 * 1024) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0]) {
    case 0: Keyring(rest); break;
    case 1: Gguf(rest); break;
    default: Detect(rest); break;
  }
  return 0;
}
