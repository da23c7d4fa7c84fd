// `rsf model sign|verify|list`: signed manifests of model weights in the ledger.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli.h"
#include "io.h"
#include "model_open.h"
#include "rsf/common/sha256.h"
#include "rsf/model/manifest.h"
#include "rsf/model/reference_lm.h"

namespace rsf::cli {
namespace {

struct ModelArgs {
  std::string ledger, key, name, file, format = "text";
  std::vector<std::string> files, trust;
  bool reference = false;
};

Result<std::vector<ledger::NoteVerifier>> Trusted(CliContext& ctx, const std::vector<std::string>& keys) {
  std::vector<ledger::NoteVerifier> out;
  for (const auto& k : keys) {
    RSF_ASSIGN_OR_RETURN(auto v, LoadVerifier(ctx, k));
    out.push_back(v);
  }
  return out;
}

struct OpenedIndex {
  std::unique_ptr<ledger::Ledger> ledger;
  model::ManifestIndex index;
};

Result<OpenedIndex> LoadIndex(CliContext& ctx, const ModelArgs& a) {
  ledger::LedgerOptions ro;
  ro.read_only = true;
  RSF_ASSIGN_OR_RETURN(auto lg, ledger::Ledger::Open(ctx.env, a.ledger, ro));
  RSF_ASSIGN_OR_RETURN(auto trusted, Trusted(ctx, a.trust));
  RSF_ASSIGN_OR_RETURN(auto idx, model::ManifestIndex::Load(*lg, trusted));
  return OpenedIndex{std::move(lg), std::move(idx)};
}

Status RunSign(CliContext& ctx, const ModelArgs& a) {
  RSF_ASSIGN_OR_RETURN(auto signer, LoadSigner(ctx, a.key));
  model::Manifest m;
  if (a.reference) {
    if (!a.files.empty()) return InvalidArgumentError("--reference takes no files");
    m.name = a.name.empty() ? "rsf-reference-lm" : a.name;
    std::string_view w = model::ReferenceModelWeights();
    m.files.push_back({ReferenceWeightsPath(), Sha256Hex(w), w.size()});
  } else {
    if (a.files.empty()) return InvalidArgumentError("model sign: give the weight files (or --reference)");
    if (a.name.empty()) return InvalidArgumentError("model sign: --name is required");
    Progress(ctx, fmt::format("hashing {} file(s)", a.files.size()));
    RSF_ASSIGN_OR_RETURN(m, model::BuildManifest(ctx.env, a.name, a.files));
    ProgressDone(ctx);
  }
  RSF_RETURN_IF_ERROR(model::SignManifest(m, *signer));
  RSF_ASSIGN_OR_RETURN(auto lg, ledger::Ledger::Open(ctx.env, a.ledger));
  RSF_ASSIGN_OR_RETURN(auto r, lg->Append(model::ManifestEntry(m, ctx.clock)));
  RSF_RETURN_IF_ERROR(lg->Publish().status());
  RSF_RETURN_IF_ERROR(lg->Close());
  ctx.out << fmt::format("signed manifest for {} ({} file(s)) by {}\ndigest {}\nledger entry {} leaf {}\n", m.name,
                         m.files.size(), signer->name(), model::ManifestDigest(m), r.index,
                         ledger::HashHex(r.leaf_hash));
  return OkStatus();
}

Status RunVerify(CliContext& ctx, const ModelArgs& a) {
  RSF_ASSIGN_OR_RETURN(OpenedIndex opened, LoadIndex(ctx, a));
  const model::ManifestIndex& idx = opened.index;
  RSF_ASSIGN_OR_RETURN(auto hs, model::HashFile(ctx.env, a.file));
  const auto* found = idx.ByFileHash(hs.first);
  if (!found) {
    return PermissionDeniedError(fmt::format("{}: sha256 {} is in no verified manifest ({} verified, {} rejected)",
                                             a.file, hs.first, idx.size(), idx.rejected()));
  }
  ctx.out << fmt::format("{}: listed by manifest {} ({}) at ledger entry {}, signed by {}\n", a.file, found->digest,
                         found->manifest.name, found->index,
                         found->manifest.signer_key.substr(0, found->manifest.signer_key.find('+')));
  return OkStatus();
}

Status RunList(CliContext& ctx, const ModelArgs& a) {
  RSF_ASSIGN_OR_RETURN(OpenedIndex opened, LoadIndex(ctx, a));
  for (const auto& m : opened.index.listed()) {
    ctx.out << fmt::format("{:>6}  {}  {}  {} file(s)  {}\n", m.index, m.digest, m.name, m.files,
                           m.verified ? "verified" : "REJECTED (bad or untrusted signature)");
  }
  return OkStatus();
}

}  // namespace

void AddModelCommands(CLI::App& app, CliContext& ctx) {
  auto a = std::make_shared<ModelArgs>();
  auto* model = app.add_subcommand("model", "Signed manifests of model weights (the weights-integrity gate)");
  model->require_subcommand(1);

  auto* sign = model->add_subcommand(
      "sign",
      "Hash a model's files, sign the manifest and record it in the ledger (model.manifest).\n"
      "In-process backends load only weights that such a manifest lists.");
  sign->add_option("--ledger", a->ledger, "Ledger directory")->required();
  sign->add_option("--key", a->key, "Signer key file (rsf decision keygen)")->required();
  sign->add_option("--name", a->name, "Model name");
  sign->add_flag("--reference", a->reference, "Sign the built-in reference model's weights");
  sign->add_option("files", a->files, "Weight files (GGUF, safetensors shards, tokenizer, ...)");
  sign->callback([&ctx, a] { ctx.status = RunSign(ctx, *a); });

  auto* verify = model->add_subcommand("verify", "Check that a weights file is listed by a verified manifest");
  verify->add_option("--ledger", a->ledger, "Ledger directory")->required();
  verify->add_option("--trust", a->trust, "Trusted signer verifier key or file; repeatable (default: any valid)");
  verify->add_option("file", a->file, "Weights file")->required();
  verify->callback([&ctx, a] { ctx.status = RunVerify(ctx, *a); });

  auto* list = model->add_subcommand("list", "List the model manifests in the ledger and whether each verifies");
  list->add_option("--ledger", a->ledger, "Ledger directory")->required();
  list->add_option("--trust", a->trust, "Trusted signer verifier key or file; repeatable");
  list->callback([&ctx, a] { ctx.status = RunList(ctx, *a); });
}

}  // namespace rsf::cli
