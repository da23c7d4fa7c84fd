// include/rsf/model/openai_wire.h
//
// The OpenAI wire format, shared by the blocking client (openai_client.h) and the gateway's
// asynchronous upstream path: the request body for /chat/completions and /completions, the
// whole-response parser, and an incremental reader of the streamed form (server-sent events,
// "data: {...}\n\n" lines ending with "data: [DONE]").
//
// Thread safety: pure functions; an SseReader belongs to one exchange.
#pragma once

#include <string>
#include <string_view>

#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/model/model.h"

namespace rsf::model {

// The request body for `model`; a chat request when request.prompt is unset. With `stream`,
// asks for server-sent events and a final usage event.
Json OpenAiRequestBody(std::string_view model, const GenerateRequest& request, bool stream);

// A whole (unstreamed) response. kUnavailable when it is not JSON or has no choices[0].
Result<GenerateResponse> ParseOpenAiResponse(std::string_view body, bool chat);

// The message of an error body ({"error": {"message": ...}} or {"error": "..."}), else the
// body's first 200 bytes.
std::string OpenAiErrorMessage(std::string_view body);

// Consumes a streamed response as its bytes arrive, in any split. Text deltas are appended to
// `out` (with finish_reason, usage, logprobs and model) and passed to `on_delta`, which may
// return false to stop. An event that is not JSON stops the reader with error() set.
class SseReader {
 public:
  SseReader(bool chat, const StreamCallback* on_delta, GenerateResponse& out)
      : chat_(chat), on_delta_(on_delta), out_(out) {}

  // False when on_delta asked to stop or an event was malformed.
  bool Feed(std::string_view bytes);
  bool done() const { return done_; }            // "data: [DONE]" was seen
  bool delivered() const { return delivered_; }  // some text reached on_delta
  const Status& error() const { return error_; }

 private:
  bool Event(std::string_view data);

  bool chat_;
  const StreamCallback* on_delta_;
  GenerateResponse& out_;
  std::string buffer_;
  bool done_ = false, delivered_ = false;
  Status error_;
};

}  // namespace rsf::model
