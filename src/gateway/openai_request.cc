// src/gateway/openai_request.cc
#include "rsf/gateway/openai_request.h"

#include <fmt/format.h>

namespace rsf::gateway {
namespace {

Status Expected(std::string_view field, std::string_view what, const Json& found) {
  return InvalidArgumentError(fmt::format("{}: expected {}, found {}", field, what, JsonTypeName(found)));
}

Result<std::optional<double>> OptionalNumber(const Json& j, const char* field, double lo, double hi) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return std::optional<double>();
  if (!it->is_number()) return Expected(field, "a number", *it);
  const double v = it->get<double>();
  if (!(v >= lo && v <= hi)) {
    return InvalidArgumentError(fmt::format("{}: {} is outside {}..{}", field, v, lo, hi));
  }
  return std::optional<double>(v);
}

Result<std::optional<int64_t>> OptionalInt(const Json& j, const char* field, int64_t lo, int64_t hi) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) return Expected(field, "an integer", *it);
  const int64_t v = it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                        ? INT64_MAX
                        : it->get<int64_t>();
  if (v < lo || v > hi) return InvalidArgumentError(fmt::format("{}: {} is outside {}..{}", field, v, lo, hi));
  return std::optional<int64_t>(v);
}

Result<bool> OptionalBool(const Json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return false;
  if (!it->is_boolean()) return Expected(field, "true or false", *it);
  return it->get<bool>();
}

// Message content: a string, or an array of parts of which text parts are joined.
Result<std::string> Content(const Json& c, const std::string& where) {
  if (c.is_string()) return c.get<std::string>();
  if (c.is_null()) return std::string();
  if (!c.is_array()) return Expected(where, "a string or an array of content parts", c);
  std::string out;
  for (size_t i = 0; i < c.size(); ++i) {
    const std::string part = fmt::format("{}[{}]", where, i);
    if (!c[i].is_object()) return Expected(part, "an object", c[i]);
    auto type = c[i].find("type");
    if (type == c[i].end() || !type->is_string()) return InvalidArgumentError(part + ".type: expected a string");
    if (*type != "text") {
      return InvalidArgumentError(fmt::format("{}.type: '{}' is not supported (only text)", part, type->get<std::string>()));
    }
    auto text = c[i].find("text");
    if (text == c[i].end() || !text->is_string()) return InvalidArgumentError(part + ".text: expected a string");
    if (!out.empty()) out += "\n";
    out += text->get<std::string>();
  }
  return out;
}

}  // namespace

std::string CompletionRequest::PromptText() const {
  if (endpoint == Endpoint::kCompletion) return prompt;
  std::string out;
  for (const auto& m : messages) {
    if (!out.empty()) out += "\n";
    out += m.content;
  }
  return out;
}

size_t CompletionRequest::PromptBytes() const {
  if (endpoint == Endpoint::kCompletion) return prompt.size();
  size_t bytes = 0;
  for (const auto& m : messages) bytes += m.content.size();
  return bytes;
}

Result<CompletionRequest> ParseCompletionRequest(std::string_view body, Endpoint endpoint) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    // Say where: nlohmann's message has the byte offset.
    auto detailed = ParseJson(body, "request body");
    return InvalidArgumentError(detailed.ok() ? "request body: invalid JSON" : detailed.status().message());
  }
  if (!j.is_object()) return Expected("request body", "a JSON object", j);
  CompletionRequest r;
  r.endpoint = endpoint;
  auto model = j.find("model");
  if (model == j.end()) return InvalidArgumentError("model: required");
  if (!model->is_string() || model->get_ref<const std::string&>().empty()) {
    return Expected("model", "a non-empty string", *model);
  }
  r.model = model->get<std::string>();
  if (endpoint == Endpoint::kChat) {
    auto msgs = j.find("messages");
    if (msgs == j.end()) return InvalidArgumentError("messages: required");
    if (!msgs->is_array() || msgs->empty()) return Expected("messages", "a non-empty array", *msgs);
    for (size_t i = 0; i < msgs->size(); ++i) {
      const Json& m = (*msgs)[i];
      const std::string where = fmt::format("messages[{}]", i);
      if (!m.is_object()) return Expected(where, "an object", m);
      auto role = m.find("role");
      if (role == m.end() || !role->is_string()) return InvalidArgumentError(where + ".role: expected a string");
      const std::string rs = role->get<std::string>();
      if (rs != "system" && rs != "user" && rs != "assistant" && rs != "developer" && rs != "tool") {
        return InvalidArgumentError(fmt::format("{}.role: '{}' is not system, developer, user, assistant or tool", where, rs));
      }
      auto content = m.find("content");
      if (content == m.end()) return InvalidArgumentError(where + ".content: required");
      RSF_ASSIGN_OR_RETURN(std::string text, Content(*content, where + ".content"));
      r.messages.push_back({rs == "developer" ? "system" : rs, std::move(text)});
    }
  } else {
    auto prompt = j.find("prompt");
    if (prompt == j.end()) return InvalidArgumentError("prompt: required");
    if (prompt->is_string()) {
      r.prompt = prompt->get<std::string>();
    } else if (prompt->is_array() && prompt->size() == 1 && (*prompt)[0].is_string()) {
      r.prompt = (*prompt)[0].get<std::string>();
    } else {
      return Expected("prompt", "a string (or an array of one string)", *prompt);
    }
  }
  RSF_ASSIGN_OR_RETURN(r.stream, OptionalBool(j, "stream"));
  if (auto so = j.find("stream_options"); so != j.end() && !so->is_null()) {
    if (!so->is_object()) return Expected("stream_options", "an object", *so);
    RSF_ASSIGN_OR_RETURN(r.include_usage, OptionalBool(*so, "include_usage"));
  }
  RSF_ASSIGN_OR_RETURN(auto n, OptionalInt(j, "n", 1, 128));
  r.n = n ? static_cast<int>(*n) : 1;
  RSF_ASSIGN_OR_RETURN(auto max_tokens, OptionalInt(j, "max_tokens", 1, 1 << 20));
  RSF_ASSIGN_OR_RETURN(auto max_completion, OptionalInt(j, "max_completion_tokens", 1, 1 << 20));
  if (max_completion) max_tokens = max_completion;
  if (max_tokens) r.max_tokens = static_cast<int>(*max_tokens);
  RSF_ASSIGN_OR_RETURN(r.temperature, OptionalNumber(j, "temperature", 0, 2));
  RSF_ASSIGN_OR_RETURN(r.top_p, OptionalNumber(j, "top_p", 0, 1));
  if (endpoint == Endpoint::kChat) {
    RSF_ASSIGN_OR_RETURN(r.logprobs, OptionalBool(j, "logprobs"));
    RSF_ASSIGN_OR_RETURN(auto top, OptionalInt(j, "top_logprobs", 0, 20));
    r.top_logprobs = top ? static_cast<int>(*top) : 0;
    if (r.top_logprobs > 0 && !r.logprobs) return InvalidArgumentError("top_logprobs: needs logprobs: true");
  } else {
    RSF_ASSIGN_OR_RETURN(auto lp, OptionalInt(j, "logprobs", 0, 5));
    r.logprobs = lp && *lp > 0;
    r.top_logprobs = lp ? static_cast<int>(*lp) : 0;
  }
  if (auto stop = j.find("stop"); stop != j.end() && !stop->is_null()) {
    if (stop->is_string()) {
      r.stop.push_back(stop->get<std::string>());
    } else if (stop->is_array() && stop->size() <= 4) {
      for (size_t i = 0; i < stop->size(); ++i) {
        if (!(*stop)[i].is_string()) return Expected(fmt::format("stop[{}]", i), "a string", (*stop)[i]);
        r.stop.push_back((*stop)[i].get<std::string>());
      }
    } else {
      return Expected("stop", "a string or an array of at most 4 strings", *stop);
    }
  }
  RSF_ASSIGN_OR_RETURN(auto seed, OptionalInt(j, "seed", INT64_MIN, INT64_MAX));
  if (seed) r.seed = static_cast<uint64_t>(*seed);
  if (auto user = j.find("user"); user != j.end() && !user->is_null()) {
    if (!user->is_string()) return Expected("user", "a string", *user);
    r.user = user->get<std::string>();
  }
  return r;
}

}  // namespace rsf::gateway
