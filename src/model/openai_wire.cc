#include "rsf/model/openai_wire.h"

#include <algorithm>

namespace rsf::model {
namespace {

void ParseUsage(const Json& j, Usage& usage) {
  auto it = j.find("usage");
  if (it == j.end() || !it->is_object()) return;
  usage.prompt_tokens = IntOr(*it, "prompt_tokens");
  usage.completion_tokens = IntOr(*it, "completion_tokens");
}

// Chat: choices[0].logprobs.content[{token, logprob, top_logprobs[{token, logprob}]}].
// Completions: choices[0].logprobs{tokens[], token_logprobs[], top_logprobs[{tok: lp}]}.
void ParseLogprobs(const Json& lp, std::vector<TokenLogprob>& out) {
  if (!lp.is_object()) return;
  if (auto c = lp.find("content"); c != lp.end() && c->is_array()) {
    for (const auto& t : *c) {
      TokenLogprob tl;
      tl.token = StringOr(t, "token");
      tl.logprob = NumberOr(t, "logprob");
      if (auto top = t.find("top_logprobs"); top != t.end() && top->is_array()) {
        for (const auto& a : *top) tl.top.emplace_back(StringOr(a, "token"), NumberOr(a, "logprob"));
      }
      out.push_back(std::move(tl));
    }
    return;
  }
  auto tokens = lp.find("tokens");
  auto lps = lp.find("token_logprobs");
  auto tops = lp.find("top_logprobs");
  if (tokens == lp.end() || !tokens->is_array()) return;
  for (size_t i = 0; i < tokens->size(); ++i) {
    TokenLogprob tl;
    tl.token = (*tokens)[i].is_string() ? (*tokens)[i].get<std::string>() : "";
    if (lps != lp.end() && lps->is_array() && i < lps->size() && (*lps)[i].is_number()) {
      tl.logprob = (*lps)[i].get<double>();
    }
    if (tops != lp.end() && tops->is_array() && i < tops->size() && (*tops)[i].is_object()) {
      for (auto& [tok, v] : (*tops)[i].items()) {
        if (v.is_number()) tl.top.emplace_back(tok, v.get<double>());
      }
      std::sort(tl.top.begin(), tl.top.end(), [](auto& a, auto& b) { return a.second > b.second; });
    }
    out.push_back(std::move(tl));
  }
}

}  // namespace

Json OpenAiRequestBody(std::string_view model, const GenerateRequest& r, bool stream) {
  Json body = Json::object();
  body["model"] = std::string(model);
  const SamplingParams& s = r.sampling;
  if (r.prompt) {
    body["prompt"] = *r.prompt;
    if (s.top_logprobs > 0) body["logprobs"] = s.top_logprobs;
  } else {
    Json messages = Json::array();
    for (const auto& m : r.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
    body["messages"] = std::move(messages);
    if (s.top_logprobs > 0) {
      body["logprobs"] = true;
      body["top_logprobs"] = s.top_logprobs;
    }
  }
  body["temperature"] = s.temperature;
  body["top_p"] = s.top_p;
  body["max_tokens"] = s.max_tokens;
  if (s.seed) body["seed"] = *s.seed;
  if (!s.stop.empty()) body["stop"] = s.stop;
  if (stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  return body;
}

Result<GenerateResponse> ParseOpenAiResponse(std::string_view body, bool chat) {
  auto parsed = ParseJson(body);
  if (!parsed.ok()) return UnavailableError("endpoint returned invalid JSON: " + parsed.status().message());
  const Json& j = *parsed;
  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
    return UnavailableError("endpoint response has no choices[0]");
  }
  const Json& c = (*choices)[0];
  GenerateResponse out;
  if (chat) {
    auto m = c.find("message");
    if (m == c.end() || !m->is_object()) return UnavailableError("endpoint response has no choices[0].message");
    auto content = m->find("content");
    out.text = content != m->end() && content->is_string() ? content->get<std::string>() : "";
  } else {
    auto t = c.find("text");
    if (t == c.end() || !t->is_string()) return UnavailableError("endpoint response has no choices[0].text");
    out.text = t->get<std::string>();
  }
  if (auto f = c.find("finish_reason"); f != c.end() && f->is_string()) out.finish_reason = *f;
  if (auto lp = c.find("logprobs"); lp != c.end()) ParseLogprobs(*lp, out.logprobs);
  ParseUsage(j, out.usage);
  out.model = StringOr(j, "model");
  return out;
}

std::string OpenAiErrorMessage(std::string_view body) {
  auto parsed = ParseJson(body);
  if (parsed.ok() && parsed->is_object()) {
    auto e = parsed->find("error");
    if (e != parsed->end()) {
      if (e->is_object() && e->contains("message") && (*e)["message"].is_string()) {
        return (*e)["message"].get<std::string>();
      }
      if (e->is_string()) return e->get<std::string>();
    }
  }
  return std::string(body.substr(0, 200));
}

bool SseReader::Feed(std::string_view bytes) {
  buffer_.append(bytes);
  size_t begin = 0, pos;
  bool ok = true;
  while (ok && (pos = buffer_.find('\n', begin)) != std::string::npos) {
    std::string_view line(buffer_.data() + begin, pos - begin);
    begin = pos + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.starts_with("data:")) continue;
    std::string_view data = line.substr(5);
    while (!data.empty() && data.front() == ' ') data.remove_prefix(1);
    if (data == "[DONE]") {
      done_ = true;
      continue;
    }
    ok = Event(data);
  }
  buffer_.erase(0, begin);
  return ok;
}

bool SseReader::Event(std::string_view data) {
  auto parsed = ParseJson(data);
  if (!parsed.ok()) {
    error_ = UnavailableError("endpoint sent an invalid stream event: " + parsed.status().message());
    return false;
  }
  const Json& j = *parsed;
  ParseUsage(j, out_.usage);
  if (j.contains("model") && j["model"].is_string()) out_.model = j["model"];
  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty()) return true;
  const Json& c = (*choices)[0];
  std::string delta;
  if (chat_) {
    if (auto d = c.find("delta"); d != c.end() && d->is_object()) {
      if (auto t = d->find("content"); t != d->end() && t->is_string()) delta = *t;
    }
  } else if (auto t = c.find("text"); t != c.end() && t->is_string()) {
    delta = *t;
  }
  if (auto f = c.find("finish_reason"); f != c.end() && f->is_string()) out_.finish_reason = *f;
  if (auto lp = c.find("logprobs"); lp != c.end()) ParseLogprobs(*lp, out_.logprobs);
  if (delta.empty()) return true;
  out_.text += delta;
  delivered_ = true;
  return !on_delta_ || (*on_delta_)(delta);
}

}  // namespace rsf::model
