// POST /v1/watermark/detect: watermark detection on text for a served model, with the
// gateway's keyring and the model's tokenizer. Auditor and admin keys only: a detector open to
// every client is an oracle for stripping the mark (paraphrase until it stops firing).
#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "gateway/gateway_impl.h"
#include "gateway/responses.h"
#include "rsf/common/sha256.h"
#include "rsf/model/reference_lm.h"
#include "rsf/watermark/text_detect.h"

namespace rsf::gateway {

using internal::Error;
using internal::HttpIn;
using internal::HttpOut;
using internal::JsonOut;

namespace {

constexpr const char* kFields[] = {"model", "text", "key_id", "span", "alpha", "min_tokens"};

}  // namespace

HttpOut Gateway::Impl::WatermarkDetect(const HttpIn& in) {
  HttpOut denied;
  auto key = Authenticate(in, denied);
  if (!key.ok()) return denied;
  if (key->role == KeyRole::kClient) {
    return Error(403, "permission_error", "forbidden", "watermark detection needs an auditor or admin key");
  }
  auto body = ParseJson(in.body, "request body");
  if (!body.ok()) return Error(400, "invalid_request_error", "invalid_json", body.status().message());
  const Json& j = *body;
  if (!j.is_object()) return Error(400, "invalid_request_error", "invalid_request", "the body must be a JSON object");
  for (const auto& [k, v] : j.items()) {
    if (std::find(std::begin(kFields), std::end(kFields), k) == std::end(kFields)) {
      return Error(400, "invalid_request_error", "invalid_request",
                   fmt::format("{}: unknown field (expected model, text, key_id, span, alpha, min_tokens)", k));
    }
  }
  if (!j.contains("model") || !j["model"].is_string()) {
    return Error(400, "invalid_request_error", "invalid_request", "model: expected the name of a served model");
  }
  if (!j.contains("text") || !j["text"].is_string()) {
    return Error(400, "invalid_request_error", "invalid_request", "text: expected a string");
  }
  watermark::TextDetectOptions o;
  if (j.contains("key_id")) {
    if (!j["key_id"].is_string()) return Error(400, "invalid_request_error", "invalid_request", "key_id: expected a string");
    o.key_id = j["key_id"].get<std::string>();
  }
  if (j.contains("span")) {
    if (!j["span"].is_boolean()) return Error(400, "invalid_request_error", "invalid_request", "span: expected true or false");
    o.detect.find_span = j["span"].get<bool>();
  }
  if (j.contains("alpha")) {
    if (!j["alpha"].is_number() || !(j["alpha"].get<double>() > 0 && j["alpha"].get<double>() < 1)) {
      return Error(400, "invalid_request_error", "invalid_request", "alpha: expected a number in (0, 1)");
    }
    o.detect.alpha = j["alpha"].get<double>();
  }
  if (j.contains("min_tokens")) {
    if (!j["min_tokens"].is_number_integer() || j["min_tokens"].get<int64_t>() < 1) {
      return Error(400, "invalid_request_error", "invalid_request", "min_tokens: expected an integer >= 1");
    }
    o.detect.min_tokens = j["min_tokens"].get<int64_t>();
  }
  auto snap = Current();
  const std::string name = j["model"].get<std::string>();
  const ServedModel* m = snap->compiled.FindModel(name);
  if (!m) return Error(404, "invalid_request_error", "model_not_found", fmt::format("no served model '{}'", name));
  if (!m->watermark || !snap->compiled.watermark_keys) {
    return Error(400, "invalid_request_error", "not_watermarked",
                 fmt::format("model '{}' is not served with the watermark here", name));
  }
  // The reference backend is the only in-process one the gateway runs (config.h).
  const auto tokenizer = model::ReferenceTokenizerInstance();
  const std::string& text = j["text"].get_ref<const std::string&>();
  const watermark::TextDetection d = watermark::DetectText(*tokenizer, text, *snap->compiled.watermark_keys, o);
  Json out = watermark::DetectionToJson(d);
  out["model"] = m->route.id();
  Count(fmt::format("rsf_gateway_watermark_detections_total{{verdict=\"{}\"}}", watermark::VerdictName(d.detection.verdict)));
  options.audit->Request({{"type", "gateway.watermark_detect"}, {"key_id", key->id}, {"tenant", key->tenant},
                          {"model", m->route.id()}, {"verdict", watermark::VerdictName(d.detection.verdict)},
                          {"watermark_key_id", d.detection.key_id}, {"text_bytes", text.size()},
                          {"text_sha256", Sha256Hex(text)}, {"time", FormatRfc3339(clock->Now())}});
  return JsonOut(200, out);
}

}  // namespace rsf::gateway
