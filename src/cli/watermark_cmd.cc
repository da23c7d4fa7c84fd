// `rsf watermark keygen|generate|detect|eval`: manage watermark keys, generate watermarked
// text with an in-process model, detect the watermark in text (only the tokenizer is needed),
// and measure detection rates under attack.
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli.h"
#include "io.h"
#include "model_open.h"
#include "rsf/common/json.h"
#include "rsf/ledger/ledger.h"
#include "rsf/model/reference_lm.h"
#include "rsf/model/tokenizer.h"
#include "rsf/watermark/evaluation.h"
#include "rsf/watermark/hook.h"
#include "rsf/watermark/keyring.h"
#include "rsf/watermark/text_detect.h"

namespace rsf::cli {
namespace {

struct WatermarkArgs {
  std::string keys, id, scheme = "kgw", tokenizer, key_id, jsonl, field = "text", format, out, ledger, prompt;
  double gamma = 0.25, delta = 2.0, alpha = 1e-5, temperature = 1.0;
  int context_width = 1, max_tokens = 200, samples = 200, tokens = 200, null_keys = 1000;
  int64_t min_tokens = 16;
  uint64_t seed = 20261123;
  bool no_activate = false, span = false, from_stdin = false;
  std::vector<std::string> texts;
  ModelFlags model;
};

Result<watermark::Params> ParamsFrom(const WatermarkArgs& a) {
  watermark::Params p;
  RSF_ASSIGN_OR_RETURN(p.scheme, watermark::ParseScheme(a.scheme));
  p.gamma = a.gamma;
  p.delta = a.delta;
  p.context_width = a.context_width;
  RSF_RETURN_IF_ERROR(watermark::ValidateParams(p));
  return p;
}

Status RunKeygen(CliContext& ctx, const WatermarkArgs& a) {
  RSF_ASSIGN_OR_RETURN(watermark::Params p, ParamsFrom(a));
  watermark::Keyring ring;
  if (ctx.env.FileExists(a.keys)) {
    RSF_ASSIGN_OR_RETURN(ring, watermark::LoadKeyring(ctx.env, a.keys));
    if (ring.Find(a.id)) return AlreadyExistsError(fmt::format("{}: already holds a key '{}'", a.keys, a.id));
  }
  RSF_ASSIGN_OR_RETURN(watermark::KeyEntry e, watermark::NewKey(a.id, p, FormatRfc3339(ctx.clock.Now())));
  ring.keys.push_back(std::move(e));
  if (!a.no_activate || ring.active.empty()) ring.active = a.id;
  RSF_RETURN_IF_ERROR(watermark::SaveKeyring(ctx.env, a.keys, ring));
  ctx.out << fmt::format("added key '{}' ({}) to {}{}; the keyring holds {} key(s)\n", a.id, watermark::Describe(p),
                         a.keys, ring.active == a.id ? " as the active key" : "", ring.keys.size());
  return OkStatus();
}


Status RunDetect(CliContext& ctx, const WatermarkArgs& a) {
  const std::string format = a.format.empty() ? "json" : a.format;
  if (format != "json" && format != "text") return InvalidArgumentError("watermark detect: --format must be json or text");
  if (!(a.alpha > 0 && a.alpha < 1)) return InvalidArgumentError("watermark detect: --alpha must be in (0, 1)");
  if (a.min_tokens < 1) return InvalidArgumentError("watermark detect: --min-tokens must be >= 1");
  RSF_ASSIGN_OR_RETURN(watermark::Keyring ring, watermark::LoadKeyring(ctx.env, a.keys));
  std::shared_ptr<const model::Tokenizer> tok;
  if (a.tokenizer == "reference") {
    tok = model::ReferenceTokenizerInstance();
  } else {
    RSF_ASSIGN_OR_RETURN(tok, model::LoadGgufTokenizer(a.tokenizer));
  }
  RSF_ASSIGN_OR_RETURN(auto inputs, ReadTexts(ctx, "watermark detect", a.texts, a.from_stdin, a.jsonl, a.field));
  watermark::TextDetectOptions o;
  o.detect.alpha = a.alpha;
  o.detect.min_tokens = a.min_tokens;
  o.detect.find_span = a.span;
  o.key_id = a.key_id;
  for (const auto& [id, text] : inputs) {
    const watermark::TextDetection d = watermark::DetectText(*tok, text, ring, o);
    if (format == "json") {
      Json j = watermark::DetectionToJson(d);
      j["id"] = id;
      ctx.out << j.dump() << "\n";
      continue;
    }
    const auto& r = d.detection;
    ctx.out << fmt::format("{}: {}", id, watermark::VerdictName(r.verdict));
    if (r.verdict == watermark::Verdict::kWatermarked || r.verdict == watermark::Verdict::kNotWatermarked) {
      ctx.out << fmt::format(" (key {}, {} of {} tokens scored, z {:.2f}, p 10^{:.1f})", r.key_id, r.scored, r.tokens,
                             r.z, r.log10_p);
      if (r.has_span) {
        ctx.out << fmt::format("; best span bytes {}..{} ({} tokens, corrected p 10^{:.1f})", d.span_begin, d.span_end,
                               r.span.scored, r.span.log10_p);
      }
    } else if (!r.detail.empty()) {
      ctx.out << ": " << r.detail;
    }
    ctx.out << "\n";
  }
  return OkStatus();
}

// The active key of --keys, or a fresh one for --scheme/--gamma/--delta when no keyring is
// given (eval only).
Result<watermark::KeyEntry> KeyFor(CliContext& ctx, const WatermarkArgs& a, bool allow_ephemeral) {
  if (a.keys.empty()) {
    if (!allow_ephemeral) return InvalidArgumentError("--keys is required");
    RSF_ASSIGN_OR_RETURN(watermark::Params p, ParamsFrom(a));
    return watermark::NewKey("eval-ephemeral", p, FormatRfc3339(ctx.clock.Now()));
  }
  RSF_ASSIGN_OR_RETURN(watermark::Keyring ring, watermark::LoadKeyring(ctx.env, a.keys));
  const watermark::KeyEntry* e = a.key_id.empty() ? ring.Active() : ring.Find(a.key_id);
  if (!e) return NotFoundError(fmt::format("{}: no key '{}'", a.keys, a.key_id));
  return *e;
}

// The --model with `hook` in its sampler; `lg` keeps the --ledger open while the model is used.
Result<OpenedModel> OpenWatermarkedModel(CliContext& ctx, const WatermarkArgs& a, model::SamplerHook& hook,
                                         std::unique_ptr<ledger::Ledger>& lg) {
  if (!a.ledger.empty()) {
    RSF_ASSIGN_OR_RETURN(lg, ledger::Ledger::Open(ctx.env, a.ledger));
  }
  return OpenModel(ctx, a.model, lg.get(), &hook);
}

Status RunGenerate(CliContext& ctx, const WatermarkArgs& a) {
  RSF_ASSIGN_OR_RETURN(watermark::KeyEntry key, KeyFor(ctx, a, false));
  watermark::WatermarkHook hook(watermark::Watermarker(key.key, key.params));
  std::unique_ptr<ledger::Ledger> lg;
  RSF_ASSIGN_OR_RETURN(OpenedModel m, OpenWatermarkedModel(ctx, a, hook, lg));
  model::GenerateRequest req;
  req.prompt = a.prompt;
  req.sampling.temperature = a.temperature;
  req.sampling.max_tokens = a.max_tokens;
  req.sampling.seed = a.seed;
  RSF_ASSIGN_OR_RETURN(model::GenerateResponse r, m.client->Generate(req));
  ctx.out << r.text << "\n";
  ctx.err << fmt::format("watermark: key {} {}; {} tokens generated\n", key.key.id, watermark::Describe(key.params),
                         r.usage.completion_tokens);
  return OkStatus();
}

Status RunEval(CliContext& ctx, const WatermarkArgs& a) {
  const std::string format = a.format.empty() ? "md" : a.format;
  if (format != "md" && format != "json" && format != "html") {
    return InvalidArgumentError("watermark eval: --format must be md, json or html");
  }
  std::string tokenizer_path = a.tokenizer;
  if (tokenizer_path.empty() && a.model.spec.starts_with("gguf:")) tokenizer_path = a.model.spec.substr(5);
  if (tokenizer_path.empty()) {
    return InvalidArgumentError("watermark eval: --tokenizer GGUF is needed (detection re-tokenizes the text)");
  }
  RSF_ASSIGN_OR_RETURN(auto tok, model::LoadGgufTokenizer(tokenizer_path));
  RSF_ASSIGN_OR_RETURN(watermark::KeyEntry key, KeyFor(ctx, a, true));
  const watermark::Watermarker wm(key.key, key.params);
  watermark::WatermarkHook inner(wm);
  watermark::ToggleHook hook(&inner);
  std::unique_ptr<ledger::Ledger> lg;
  RSF_ASSIGN_OR_RETURN(OpenedModel m, OpenWatermarkedModel(ctx, a, hook, lg));
  watermark::EvalOptions o;
  o.samples = a.samples;
  o.tokens = a.tokens;
  o.null_keys = a.null_keys;
  o.temperature = a.temperature;
  o.seed = a.seed;
  o.lengths.clear();
  for (int len : {25, 50, 100, 200, 400, 800}) {
    if (len <= a.tokens) o.lengths.push_back(len);
  }
  if (o.lengths.empty() || o.lengths.back() != a.tokens) o.lengths.push_back(a.tokens);
  o.progress = [&ctx](std::string_view stage, size_t done, size_t total) {
    Progress(ctx, fmt::format("{} {}/{}", stage, done, total));
  };
  RSF_ASSIGN_OR_RETURN(watermark::EvalReport r, watermark::RunWatermarkEval(*m.client, hook, wm, *tok, o));
  ProgressDone(ctx);
  if (!a.out.empty()) {
    RSF_RETURN_IF_ERROR(ctx.env.CreateDirs(a.out));
    RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(a.out, "watermark-eval.json"), watermark::EvalReportJson(r).dump(2) + "\n"));
    RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(a.out, "watermark-eval.md"), watermark::EvalReportMarkdown(r)));
    RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(a.out, "watermark-eval.html"), watermark::EvalReportHtml(r)));
    RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(a.out, "watermark-eval.svg"), watermark::EvalReportSvg(r) + "\n"));
  }
  if (format == "json") {
    ctx.out << watermark::EvalReportJson(r).dump(2) << "\n";
  } else if (format == "html") {
    ctx.out << watermark::EvalReportHtml(r);
  } else {
    ctx.out << watermark::EvalReportMarkdown(r);
  }
  return OkStatus();
}

void AddParamFlags(CLI::App* cmd, WatermarkArgs& a) {
  cmd->add_option("--scheme", a.scheme, "kgw (green list) or gumbel (distortion-free)")->capture_default_str();
  cmd->add_option("--gamma", a.gamma, "kgw: fraction of the vocabulary that is green")->capture_default_str();
  cmd->add_option("--delta", a.delta, "kgw: bias added to green logits")->capture_default_str();
  cmd->add_option("--context-width", a.context_width, "Preceding tokens that seed each position (0..8)")
      ->capture_default_str();
}

}  // namespace

void AddWatermarkCommands(CLI::App& app, CliContext& ctx) {
  auto a = std::make_shared<WatermarkArgs>();
  auto* w = app.add_subcommand("watermark", "Embed, detect and evaluate the text watermark");
  w->require_subcommand(1);
  w->footer("Key and hash definitions: docs/formats/watermark.md. Keys are secrets: keyring files are written 0600.");

  auto* kg = w->add_subcommand("keygen", "Add a new random key to a keyring (creating it), by default as the active key");
  kg->add_option("--keys", a->keys, "Keyring file (JSON, mode 0600)")->required();
  kg->add_option("--id", a->id, "Key id: 1..64 of [A-Za-z0-9._-], e.g. wm-2026-11")->required();
  AddParamFlags(kg, *a);
  kg->add_flag("--no-activate", a->no_activate, "Keep the current active key (add this one for detection only)");
  kg->callback([&ctx, a] { ctx.status = RunKeygen(ctx, *a); });

  auto* gen = w->add_subcommand("generate", "Generate watermarked text with an in-process model and the active key");
  gen->add_option("--keys", a->keys, "Keyring file")->required();
  gen->add_option("--key-id", a->key_id, "Use this key instead of the active one");
  gen->add_option("--prompt", a->prompt, "Completion prompt")->required();
  gen->add_option("--max-tokens", a->max_tokens, "Tokens to generate")->capture_default_str();
  gen->add_option("--temperature", a->temperature, "Sampling temperature (the watermark needs > 0)")->capture_default_str();
  gen->add_option("--seed", a->seed, "Sampling seed")->capture_default_str();
  gen->add_option("--ledger", a->ledger, "Ledger that checks the signed weights and records the load");
  AddModelFlags(*gen, a->model, "", true);
  gen->callback([&ctx, a] { ctx.status = RunGenerate(ctx, *a); });

  auto* det = w->add_subcommand("detect", "Detect the watermark in text; needs the keyring and the tokenizer, not the model");
  det->add_option("text", a->texts, "Texts to test");
  det->add_flag("--stdin", a->from_stdin, "Test standard input as one text");
  det->add_option("--jsonl", a->jsonl, "Test each line of a JSON Lines file ('-' for standard input)");
  det->add_option("--field", a->field, "The text field of --jsonl records")->capture_default_str();
  det->add_option("--keys", a->keys, "Keyring file")->required();
  det->add_option("--tokenizer", a->tokenizer,
                  "GGUF file whose vocabulary tokenizes the text (tensors are not read), or 'reference' for the "
                  "reference model's")
      ->required();
  det->add_option("--key-id", a->key_id, "Test only this key (default: every key, p-value corrected)");
  det->add_option("--alpha", a->alpha, "False-positive rate of the verdict")->capture_default_str();
  det->add_option("--min-tokens", a->min_tokens, "Fewer scored tokens give 'insufficient_tokens'")->capture_default_str();
  det->add_flag("--span", a->span, "Also search for a watermarked span inside longer text (p-value corrected)");
  det->add_option("--format", a->format, "json (one object per line, the default) or text");
  det->callback([&ctx, a] { ctx.status = RunDetect(ctx, *a); });

  auto* ev = w->add_subcommand(
      "eval", "Measure detection: true-positive rate against tokens under attacks, and the false-positive rate");
  ev->add_option("--keys", a->keys, "Keyring (its active key); without it a fresh key with --scheme etc.");
  ev->add_option("--key-id", a->key_id, "Use this key of --keys instead of the active one");
  AddParamFlags(ev, *a);
  ev->add_option("--tokenizer", a->tokenizer, "GGUF vocabulary for detection (default: the gguf: model's)");
  ev->add_option("--samples", a->samples, "Texts generated with and without the watermark")->capture_default_str();
  ev->add_option("--tokens", a->tokens, "Tokens per text")->capture_default_str();
  ev->add_option("--null-keys", a->null_keys, "Other keys the unwatermarked texts are tested under (FPR trials)")
      ->capture_default_str();
  ev->add_option("--temperature", a->temperature, "Sampling temperature")->capture_default_str();
  ev->add_option("--seed", a->seed, "Seed for prompts' sampling and the attacks")->capture_default_str();
  ev->add_option("--ledger", a->ledger, "Ledger that checks the signed weights and records the load");
  ev->add_option("--out", a->out, "Directory for watermark-eval.{json,md,html,svg}");
  ev->add_option("--format", a->format, "Standard output: md (default), json or html");
  AddModelFlags(*ev, a->model, "", true);
  ev->callback([&ctx, a] { ctx.status = RunEval(ctx, *a); });
}

}  // namespace rsf::cli
