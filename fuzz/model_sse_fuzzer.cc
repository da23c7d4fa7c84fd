// Fuzz target: an upstream's streamed answer (server-sent events) and its whole-body answer.
// The first byte picks chat or completion and how the stream is cut into pieces; the rest is
// the body. Never crashes, and the reader is indifferent to where the network cut the bytes:
// fed in pieces it delivers exactly what it delivers fed at once.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rsf/model/openai_wire.h"

namespace {

struct Run {
  std::string streamed;
  rsf::model::GenerateResponse out;
  bool ok = true, done = false;
};

Run Feed(std::string_view body, bool chat, size_t piece) {
  Run run;
  const rsf::model::StreamCallback on_delta = [&run](std::string_view d) {
    run.streamed.append(d);
    return true;
  };
  rsf::model::SseReader reader(chat, &on_delta, run.out);
  for (size_t at = 0; at < body.size() && run.ok; at += piece) run.ok = reader.Feed(body.substr(at, piece));
  run.done = reader.done();
  return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  const bool chat = (data[0] & 1) != 0;
  const size_t piece = 1 + (data[0] >> 1) % 17;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const Run whole = Feed(body, chat, body.size() + 1);
  const Run pieces = Feed(body, chat, piece);
  // A malformed event stops both readers at the same event, so what was delivered before it
  // is the same; on success everything is.
  if (whole.ok != pieces.ok || whole.streamed != pieces.streamed) std::abort();
  if (whole.ok && (whole.done != pieces.done || whole.out.text != pieces.out.text ||
                   whole.out.finish_reason != pieces.out.finish_reason)) {
    std::abort();
  }
  (void)rsf::model::ParseOpenAiResponse(body, chat);
  return 0;
}
