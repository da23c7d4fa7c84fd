// `rsf guard train|classify|eval`: train the guard model from labelled texts, classify text
// (arguments, standard input or JSON Lines), and measure a guard on labelled data.
#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli.h"
#include "io.h"
#include "model_open.h"
#include "rsf/common/sha256.h"
#include "rsf/guard/escalation.h"
#include "rsf/guard/evaluation.h"
#include "rsf/guard/guard.h"
#include "rsf/guard/labeled_data.h"
#include "rsf/guard/training.h"

namespace rsf::cli {
namespace {

struct GuardArgs {
  std::string data, out, config, model, format = "md", classify_format = "json", jsonl, field = "text";
  std::vector<std::string> texts, train_data;
  std::string char_ngrams = "3-4";
  bool from_stdin = false;
  uint64_t seed = 20261122;
  int bits = 16, epochs = 6, min_positives = 100;
  double target_fpr = 0.02;
  ModelFlags judge;
};

// How many texts calibrated head `h`, as the model file's training record says (0 if it does not).
int64_t CalibrationExamples(const Json& training, size_t h) {
  const Json& heads = ArrayOr(training, "heads");
  return h < heads.size() ? IntOr(heads[h], "calibration_examples") : 0;
}

Result<guard::GuardConfig> Config(const GuardArgs& a) {
  guard::GuardConfig c = guard::DefaultGuardConfig();
  if (!a.config.empty()) {
    RSF_ASSIGN_OR_RETURN(c, guard::LoadGuardConfig(a.config));
  }
  if (!a.model.empty()) c.model = a.model;
  return c;
}

Result<std::vector<guard::LabeledText>> LoadData(CliContext& ctx, const std::string& path, std::string* digest) {
  RSF_ASSIGN_OR_RETURN(std::string content, ReadInput(ctx, path));
  if (digest) *digest = "sha256:" + Sha256Hex(content);
  return guard::ParseLabeledJsonl(content, path);
}

Status RunTrain(CliContext& ctx, const GuardArgs& a) {
  guard::GuardTrainOptions o;
  std::vector<guard::LabeledText> texts;
  for (const std::string& file : a.train_data) {
    std::string digest;
    RSF_ASSIGN_OR_RETURN(auto part, LoadData(ctx, file, &digest));
    texts.insert(texts.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    o.data_files.emplace_back(std::filesystem::path(file).filename().string(), digest);
  }
  int char_min = 0, char_max = 0;
  if (std::sscanf(a.char_ngrams.c_str(), "%d-%d", &char_min, &char_max) != 2 || char_min < 1 || char_max < char_min ||
      char_max > 7) {
    return InvalidArgumentError(fmt::format("guard train: --char-ngrams expects MIN-MAX with 1 <= MIN <= MAX <= 7, not '{}'",
                                            a.char_ngrams));
  }
  o.features.char_min = char_min;
  o.features.char_max = char_max;
  o.features.bits = a.bits;
  o.train.epochs = a.epochs;
  o.train.seed = a.seed;
  o.train.target_fpr = a.target_fpr;
  o.min_positives = a.min_positives;
  o.progress = [&ctx](size_t done, size_t total) {
    Progress(ctx, fmt::format("features {}/{}", done, total));
  };
  if (a.bits < 8 || a.bits > 24) return InvalidArgumentError("guard train: --bits must be 8..24");
  if (a.epochs < 1 || a.epochs > 100) return InvalidArgumentError("guard train: --epochs must be 1..100");
  if (!(a.target_fpr > 0 && a.target_fpr < 0.5)) return InvalidArgumentError("guard train: --target-fpr must be in (0, 0.5)");
  RSF_ASSIGN_OR_RETURN(guard::LinearModel m, guard::TrainGuardModel(texts, o));
  ProgressDone(ctx);
  const std::string bytes = guard::SerializeModel(m);
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(a.out, bytes));
  ctx.out << fmt::format("wrote {} ({} bytes, sha256:{})\ntrained on {} texts from", a.out, bytes.size(),
                         Sha256Hex(bytes), texts.size());
  for (const auto& [file, digest] : o.data_files) ctx.out << fmt::format(" {} ({})", file, digest);
  ctx.out << "\n";
  ctx.out << "| head | threshold | calibration texts |\n|---|---:|---:|\n";
  for (size_t h = 0; h < m.heads.size(); ++h) {
    ctx.out << fmt::format("| {} | {:.3f} | {} |\n", m.heads[h], m.thresholds[h],
                           CalibrationExamples(m.training, h));
  }
  return OkStatus();
}


Status RunClassify(CliContext& ctx, const GuardArgs& a) {
  if (a.classify_format != "json" && a.classify_format != "text") {
    return InvalidArgumentError("guard classify: --format must be json or text");
  }
  RSF_ASSIGN_OR_RETURN(guard::GuardConfig config, Config(a));
  RSF_ASSIGN_OR_RETURN(auto g, guard::Guard::Load(config));
  RSF_ASSIGN_OR_RETURN(std::vector<NamedText> inputs, ReadTexts(ctx, "guard classify", a.texts, a.from_stdin, a.jsonl, a.field));
  std::vector<guard::Verdict> verdicts(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) verdicts[i] = g->Classify(inputs[i].text);
  // Escalate the uncertain band to the judge, if one was given.
  if (!a.judge.spec.empty()) {
    RSF_ASSIGN_OR_RETURN(OpenedModel judge, OpenModel(ctx, a.judge, nullptr));
    guard::Escalator esc(*judge.client, g->config(), ctx.clock);
    std::vector<guard::JudgeOutcome> outcomes(inputs.size());
    std::vector<bool> sent(inputs.size(), false);
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!verdicts[i].uncertain) continue;
      sent[i] = esc.Submit(inputs[i].text, [&outcomes, i](guard::JudgeOutcome o) { outcomes[i] = std::move(o); });
      if (!sent[i]) verdicts[i].judge = "not judged: over the escalation budget";
    }
    esc.Drain();
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (sent[i]) guard::ApplyJudgement(outcomes[i], g->config(), verdicts[i]);
    }
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const guard::Verdict& v = verdicts[i];
    if (a.classify_format == "json") {
      Json j = guard::VerdictToJson(v);
      j["id"] = inputs[i].id;
      ctx.out << j.dump() << "\n";
    } else {
      std::string why;
      for (const auto& h : v.hits) why += fmt::format("{}{} ({}, {:.2f})", why.empty() ? "" : ", ", h.category, h.by, h.probability);
      ctx.out << fmt::format("{}: {} (unsafe {:.3f}){}{}{}\n", inputs[i].id, guard::ActionName(v.action), v.unsafe,
                             why.empty() ? "" : " — " + why, v.uncertain ? " [uncertain]" : "",
                             v.truncated ? " [truncated]" : "");
    }
  }
  return OkStatus();
}

Status RunEvalGuard(CliContext& ctx, const GuardArgs& a) {
  if (a.format != "md" && a.format != "json" && a.format != "html") {
    return InvalidArgumentError("guard eval: --format must be md, json or html");
  }
  RSF_ASSIGN_OR_RETURN(guard::GuardConfig config, Config(a));
  RSF_ASSIGN_OR_RETURN(auto g, guard::Guard::Load(config));
  std::string digest;
  RSF_ASSIGN_OR_RETURN(auto texts, LoadData(ctx, a.data, &digest));
  guard::GuardEvalReport r = guard::EvaluateGuard(*g, texts);
  r.data = a.data;
  r.data_digest = digest;
  if (!a.out.empty()) {
    RSF_RETURN_IF_ERROR(ctx.env.CreateDirs(a.out));
    RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(a.out, "guard-eval.json"), guard::GuardEvalToJson(r).dump(2) + "\n"));
    RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(a.out, "guard-eval.md"), guard::GuardEvalMarkdown(r)));
    RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(a.out, "guard-eval.html"), guard::GuardEvalHtml(r)));
  }
  if (a.format == "json") {
    ctx.out << guard::GuardEvalToJson(r).dump(2) << "\n";
  } else if (a.format == "html") {
    ctx.out << guard::GuardEvalHtml(r);
  } else {
    ctx.out << guard::GuardEvalMarkdown(r);
  }
  return OkStatus();
}

void AddConfigFlags(CLI::App& cmd, GuardArgs& a) {
  cmd.add_option("--config", a.config,
                 "Guard configuration (YAML; a policy file's 'guard:' section works too; default: built-in)");
  cmd.add_option("--model", a.model, "Guard model file, or 'builtin' (default: the configuration's)");
}

}  // namespace

void AddGuardCommands(CLI::App& app, CliContext& ctx) {
  auto a = std::make_shared<GuardArgs>();
  auto* g = app.add_subcommand("guard", "Classify text for misuse; train and evaluate the guard model");
  g->require_subcommand(1);

  auto* train = g->add_subcommand("train", "Train a guard model from labelled JSON Lines (deterministic)");
  train->add_option("--data", a->train_data,
                    "Labelled texts: {\"text\",\"label\":\"safe\"|\"unsafe\",\"categories\"}; repeat to train on several files")
      ->required();
  train->add_option("--out", a->out, "Model file to write (RSFGUARD/1)")->required();
  train->add_option("--seed", a->seed, "Seed for the split and the training order")->capture_default_str();
  train->add_option("--bits", a->bits, "Hashed feature space: 2^bits buckets")->capture_default_str();
  train->add_option("--char-ngrams", a->char_ngrams, "Character n-gram lengths, MIN-MAX")->capture_default_str();
  train->add_option("--epochs", a->epochs, "Passes over the training texts")->capture_default_str();
  train->add_option("--min-positives", a->min_positives, "Texts a category needs to get its own head")
      ->capture_default_str();
  train->add_option("--target-fpr", a->target_fpr, "False-positive rate on benign texts each threshold aims at")
      ->capture_default_str();
  train->callback([&ctx, a] { ctx.status = RunTrain(ctx, *a); });

  auto* cls = g->add_subcommand("classify", "Classify texts; one verdict per input");
  cls->add_option("text", a->texts, "Texts to classify");
  cls->add_flag("--stdin", a->from_stdin, "Classify standard input as one text");
  cls->add_option("--jsonl", a->jsonl, "Classify each line of a JSON Lines file ('-' for standard input)");
  cls->add_option("--field", a->field, "The text field of --jsonl records")->capture_default_str();
  cls->add_option("--format", a->classify_format, "json (one object per line) or text")->capture_default_str();
  AddConfigFlags(*cls, *a);
  AddModelFlags(*cls, a->judge, "judge-", false);
  cls->callback([&ctx, a] { ctx.status = RunClassify(ctx, *a); });

  auto* ev = g->add_subcommand("eval", "Measure a guard on labelled texts: per-head AUPRC, confusion matrix, PR chart");
  ev->add_option("--data", a->data, "Labelled texts (same format as train)")->required();
  ev->add_option("--format", a->format, "md, json or html")->capture_default_str();
  ev->add_option("--out", a->out, "Also write guard-eval.{json,md,html} into this directory");
  AddConfigFlags(*ev, *a);
  ev->callback([&ctx, a] { ctx.status = RunEvalGuard(ctx, *a); });
}

}  // namespace rsf::cli
