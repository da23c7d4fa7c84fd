// `rsf ledger ...`: create, append to, checkpoint, prove, verify and check a ledger.
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli.h"
#include "io.h"
#include "rsf/common/json.h"
#include "rsf/common/sha256.h"
#include "rsf/ledger/fsck.h"
#include "rsf/ledger/ledger.h"
#include "rsf/ledger/proof_bundle.h"

namespace rsf::cli {
namespace {

using ledger::Entry;
using ledger::Ledger;

Json CheckpointJson(const ledger::SignedCheckpoint& cp) {
  return {{"origin", cp.checkpoint.origin},
          {"size", cp.checkpoint.size},
          {"root", ledger::HashBase64(cp.checkpoint.root)},
          {"root_hex", ledger::HashHex(cp.checkpoint.root)},
          {"note", cp.note}};
}

// ---- init ----
struct InitArgs {
  std::string dir, origin, key_file;
  bool json = false;
};

Status RunInit(CliContext& ctx, const InitArgs& a) {
  RSF_ASSIGN_OR_RETURN(ledger::NoteVerifier v, Ledger::Init(ctx.env, a.dir, a.origin, a.key_file));
  std::string key_path = a.key_file.empty() ? ledger::LedgerDefaultKeyPath(a.dir) : a.key_file;
  if (a.json) {
    ctx.out << Json{{"dir", a.dir}, {"origin", a.origin}, {"verifier_key", v.ToString()},
                    {"signer_key_file", key_path}}.dump() << "\n";
  } else {
    ctx.out << "Created ledger " << a.origin << " in " << a.dir << "\n"
            << "signer key:   " << key_path << " (mode 0600; keep it secret)\n"
            << "verifier key: " << v.ToString() << "\n"
            << "Give the verifier key to auditors; they need nothing else to check proofs.\n";
  }
  return OkStatus();
}

// ---- append ----
struct AppendArgs {
  std::string dir, key_file, type, subject, body, body_file, digest_of, time, jsonl;
  std::vector<std::string> refs;
  bool no_checkpoint = false;
  bool json = false;
};

Result<Entry> EntryFromFlags(CliContext& ctx, const AppendArgs& a) {
  Json j = Json::object();
  j["type"] = a.type;
  j["subject"] = a.subject;
  j["time"] = a.time.empty() ? FormatRfc3339(ctx.clock.Now()) : a.time;
  j["refs"] = a.refs;
  int bodies = !a.body.empty() + !a.body_file.empty() + !a.digest_of.empty();
  if (bodies != 1) {
    return InvalidArgumentError("give exactly one of --body, --body-file and --digest-of");
  }
  if (!a.body.empty()) {
    RSF_ASSIGN_OR_RETURN(j["body"], ParseJson(a.body, "--body"));
  } else if (!a.body_file.empty()) {
    RSF_ASSIGN_OR_RETURN(std::string text, ReadInput(ctx, a.body_file));
    RSF_ASSIGN_OR_RETURN(j["body"], ParseJson(text, a.body_file));
  } else {
    RSF_ASSIGN_OR_RETURN(std::string content, ReadInput(ctx, a.digest_of));
    j["body_digest"] = "sha256:" + Sha256Hex(content);
  }
  return ledger::EntryFromJson(j, "entry");
}

// Parses every line of a JSONL text into entries; the first bad line fails the whole input.
Result<std::vector<Entry>> EntriesFromJsonl(CliContext& ctx, const std::string& name,
                                            const std::string& text) {
  std::vector<Entry> out;
  std::istringstream in(text);
  std::string line;
  size_t line_no = 0;
  std::string now = FormatRfc3339(ctx.clock.Now());
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = fmt::format("{}:{}", name, line_no);
    RSF_ASSIGN_OR_RETURN(Json j, ParseJson(line, where));
    if (j.is_object() && !j.contains("time")) j["time"] = now;
    RSF_ASSIGN_OR_RETURN(Entry e, ledger::EntryFromJson(j, where));
    auto encoded = ledger::EncodeEntry(e);
    if (!encoded.ok()) return encoded.status().WithContext(where);
    out.push_back(std::move(e));
  }
  if (out.empty()) return InvalidArgumentError(name + ": no entries");
  return out;
}

Status RunAppend(CliContext& ctx, const AppendArgs& a) {
  std::vector<Entry> entries;
  if (!a.jsonl.empty()) {
    if (!a.type.empty() || !a.subject.empty()) {
      return InvalidArgumentError("--jsonl cannot be combined with --type/--subject");
    }
    RSF_ASSIGN_OR_RETURN(std::string text, ReadInput(ctx, a.jsonl));
    RSF_ASSIGN_OR_RETURN(entries, EntriesFromJsonl(ctx, a.jsonl == "-" ? "stdin" : a.jsonl, text));
  } else {
    if (a.type.empty() || a.subject.empty()) {
      return InvalidArgumentError("give --type and --subject (or --jsonl FILE)");
    }
    RSF_ASSIGN_OR_RETURN(Entry e, EntryFromFlags(ctx, a));
    entries.push_back(std::move(e));
  }
  ledger::LedgerOptions options;
  options.signer_key_path = a.key_file;
  options.publish_on_close = !a.no_checkpoint;
  RSF_ASSIGN_OR_RETURN(auto lg, Ledger::Open(ctx.env, a.dir, options));
  constexpr size_t kBatch = 4096;
  std::vector<ledger::AppendResult> results;
  for (size_t i = 0; i < entries.size(); i += kBatch) {
    size_t n = std::min(kBatch, entries.size() - i);
    RSF_ASSIGN_OR_RETURN(auto part, lg->AppendBatch(std::span<const Entry>(entries).subspan(i, n)));
    results.insert(results.end(), part.begin(), part.end());
    Progress(ctx, fmt::format("appended {}/{} entries", results.size(), entries.size()));
  }
  ProgressDone(ctx);
  std::optional<ledger::SignedCheckpoint> cp;
  if (!a.no_checkpoint) {
    RSF_ASSIGN_OR_RETURN(cp, lg->Publish());
  }
  RSF_RETURN_IF_ERROR(lg->Close());
  for (const auto& r : results) {
    if (a.json) {
      ctx.out << Json{{"index", r.index}, {"leaf_hash", ledger::HashHex(r.leaf_hash)}}.dump() << "\n";
    } else if (results.size() <= 20) {
      ctx.out << "appended entry " << r.index << "  leaf " << ledger::HashHex(r.leaf_hash) << "\n";
    }
  }
  if (!a.json) {
    if (results.size() > 20) {
      ctx.out << "appended " << results.size() << " entries (" << results.front().index << " to "
              << results.back().index << ")\n";
    }
    if (cp) {
      ctx.out << "checkpoint: size " << cp->checkpoint.size << " root "
              << ledger::HashBase64(cp->checkpoint.root) << "\n";
    } else {
      ctx.out << "durable in the WAL; not yet in a checkpoint (run 'rsf ledger checkpoint')\n";
    }
  }
  return OkStatus();
}

// ---- checkpoint ----
struct DirArgs {
  std::string dir, key_file, out;
  bool json = false;
};

Status RunCheckpoint(CliContext& ctx, const DirArgs& a) {
  ledger::LedgerOptions options;
  options.signer_key_path = a.key_file;
  RSF_ASSIGN_OR_RETURN(auto lg, Ledger::Open(ctx.env, a.dir, options));
  RSF_ASSIGN_OR_RETURN(auto cp, lg->Publish());
  RSF_RETURN_IF_ERROR(lg->Close());
  if (a.json) {
    ctx.out << CheckpointJson(cp).dump() << "\n";
    return OkStatus();
  }
  return WriteOutput(ctx, a.out, cp.note);
}

// ---- prove ----
struct ProveArgs {
  std::string dir, out;
  uint64_t index = 0;
};

Status RunProve(CliContext& ctx, const ProveArgs& a) {
  ledger::LedgerOptions options;
  options.read_only = true;
  RSF_ASSIGN_OR_RETURN(auto lg, Ledger::Open(ctx.env, a.dir, options));
  RSF_ASSIGN_OR_RETURN(auto bundle, lg->ProveInclusion(a.index));
  RSF_RETURN_IF_ERROR(WriteOutput(ctx, a.out, ledger::FormatInclusionBundle(bundle)));
  if (!a.out.empty() && a.out != "-") {
    ctx.out << "wrote proof of entry " << a.index << " to " << a.out << "\n";
  }
  return OkStatus();
}

// ---- verify ----
struct VerifyArgs {
  std::string proof, key, content;
  bool json = false;
};

Status RunVerify(CliContext& ctx, const VerifyArgs& a) {
  RSF_ASSIGN_OR_RETURN(ledger::NoteVerifier v, LoadVerifier(ctx, a.key));
  RSF_ASSIGN_OR_RETURN(std::string text, ReadInput(ctx, a.proof));
  auto bundle = ledger::ParseInclusionBundle(text);
  if (!bundle.ok()) return bundle.status().WithContext(a.proof);
  auto verified = ledger::VerifyInclusionBundle(*bundle, v);
  if (!verified.ok()) return verified.status().WithContext(a.proof);
  std::string disclosure;
  if (!a.content.empty()) {
    RSF_ASSIGN_OR_RETURN(std::string content, ReadInput(ctx, a.content));
    RSF_RETURN_IF_ERROR(ledger::CheckDisclosure(verified->entry, content).WithContext(a.content));
    disclosure = a.content;
  }
  const auto& e = verified->entry;
  if (a.json) {
    Json out = {{"valid", true},
                {"origin", verified->checkpoint.origin},
                {"index", verified->index},
                {"checkpoint_size", verified->checkpoint.size},
                {"leaf_hash", ledger::HashHex(verified->leaf_hash)},
                {"entry", ledger::EntryToJson(e)}};
    if (!disclosure.empty()) out["disclosed_content_matches"] = true;
    ctx.out << out.dump() << "\n";
  } else {
    ctx.out << "OK: entry " << verified->index << " is in " << verified->checkpoint.origin
            << " (checkpoint of " << verified->checkpoint.size << " entries, signature valid)\n"
            << "  type:    " << e.type << "\n  subject: " << e.subject << "\n  time:    " << e.time
            << "\n  leaf:    " << ledger::HashHex(verified->leaf_hash) << "\n";
    if (e.body_digest) ctx.out << "  body:    withheld, sha256:" << ledger::HashHex(*e.body_digest) << "\n";
    if (!disclosure.empty()) ctx.out << "  disclosed content in " << disclosure << " matches the digest\n";
  }
  return OkStatus();
}

// ---- consistency ----
struct ConsistencyArgs {
  std::string dir, old_checkpoint, proof, key, out;
  bool json = false;
};

Status RunConsistency(CliContext& ctx, const ConsistencyArgs& a) {
  RSF_ASSIGN_OR_RETURN(std::string old_note, ReadInput(ctx, a.old_checkpoint));
  if (!a.proof.empty()) {  // offline verification
    if (a.key.empty()) return InvalidArgumentError("verifying a consistency proof needs --key");
    RSF_ASSIGN_OR_RETURN(ledger::NoteVerifier v, LoadVerifier(ctx, a.key));
    RSF_ASSIGN_OR_RETURN(std::string text, ReadInput(ctx, a.proof));
    auto bundle = ledger::ParseConsistencyBundle(text);
    if (!bundle.ok()) return bundle.status().WithContext(a.proof);
    auto newer = ledger::VerifyConsistencyBundle(*bundle, old_note, v);
    if (!newer.ok()) return newer.status().WithContext(a.proof);
    if (a.json) {
      ctx.out << Json{{"consistent", true}, {"origin", newer->origin}, {"old_size", bundle->old_size},
                      {"new_size", newer->size}}.dump() << "\n";
    } else {
      ctx.out << "OK: " << newer->origin << " at " << newer->size
              << " entries extends the old checkpoint of " << bundle->old_size
              << " entries (append-only, nothing rewritten)\n";
    }
    return OkStatus();
  }
  if (a.dir.empty()) return InvalidArgumentError("give --dir to prove, or --proof and --key to verify");
  ledger::LedgerOptions options;
  options.read_only = true;
  RSF_ASSIGN_OR_RETURN(auto lg, Ledger::Open(ctx.env, a.dir, options));
  auto old_cp = ledger::OpenCheckpoint(old_note, lg->verifier());
  if (!old_cp.ok()) return old_cp.status().WithContext(a.old_checkpoint);
  RSF_ASSIGN_OR_RETURN(auto bundle, lg->ProveConsistency(old_cp->checkpoint.size));
  // Refuse to hand out a proof that would not verify: the old checkpoint must be on this log.
  auto check = ledger::VerifyConsistencyBundle(bundle, old_note, lg->verifier());
  if (!check.ok()) {
    return DataLossError("the old checkpoint is not a prefix of this log: " + check.status().message());
  }
  return WriteOutput(ctx, a.out, ledger::FormatConsistencyBundle(bundle));
}

// ---- fsck ----
struct FsckArgs {
  std::string dir, key;
  bool json = false, no_refs = false;
};

Status RunFsck(CliContext& ctx, const FsckArgs& a) {
  ledger::FsckOptions options;
  options.check_refs = !a.no_refs;
  if (!a.key.empty()) {
    RSF_ASSIGN_OR_RETURN(options.verifier, LoadVerifier(ctx, a.key));
  }
  options.progress = [&](uint64_t done, uint64_t total) {
    if (done % 65536 < 256 || done == total) Progress(ctx, fmt::format("fsck: {}/{} entries", done, total));
  };
  RSF_ASSIGN_OR_RETURN(ledger::FsckReport r, ledger::Fsck(ctx.env, a.dir, options));
  ProgressDone(ctx);
  if (a.json) {
    Json findings = Json::array();
    for (const auto& f : r.findings) {
      findings.push_back({{"severity", f.severity == ledger::FsckFinding::Severity::kError ? "error" : "warning"},
                          {"location", f.location},
                          {"message", f.message}});
    }
    ctx.out << Json{{"ok", r.ok()}, {"origin", r.origin}, {"checkpoint_size", r.checkpoint_size},
                    {"entries_checked", r.entries_checked}, {"tiles_checked", r.tiles_checked},
                    {"wal_segments", r.wal_segments}, {"pending_entries", r.pending_entries},
                    {"errors", r.errors()}, {"warnings", r.warnings()}, {"findings", findings}}
                   .dump(2)
            << "\n";
  } else {
    for (const auto& f : r.findings) {
      ctx.out << (f.severity == ledger::FsckFinding::Severity::kError ? "ERROR " : "WARN  ")
              << f.location << ": " << f.message << "\n";
    }
    ctx.out << fmt::format("{}: {} entries and {} tile files checked against the signed "
                           "checkpoint (size {}); {} pending in the WAL; {} errors, {} warnings\n",
                           r.origin, r.entries_checked, r.tiles_checked, r.checkpoint_size,
                           r.pending_entries, r.errors(), r.warnings());
  }
  if (!r.ok()) return DataLossError(fmt::format("fsck found {} errors in {}", r.errors(), a.dir));
  return OkStatus();
}

// ---- show ----
struct ShowArgs {
  std::string dir;
  int64_t index = -1;
  uint64_t from = 0, count = 0;
  bool checkpoint = false, verifier_key = false, json = false;
};

Status RunShow(CliContext& ctx, const ShowArgs& a) {
  ledger::LedgerOptions options;
  options.read_only = true;
  RSF_ASSIGN_OR_RETURN(auto lg, Ledger::Open(ctx.env, a.dir, options));
  auto cp = lg->LatestCheckpoint();
  if (a.verifier_key) {
    ctx.out << lg->verifier().ToString() << "\n";
    return OkStatus();
  }
  if (a.checkpoint) {
    if (a.json) {
      ctx.out << CheckpointJson(cp).dump() << "\n";
    } else {
      ctx.out << cp.note;
    }
    return OkStatus();
  }
  auto print_entry = [&](uint64_t i) -> Status {
    RSF_ASSIGN_OR_RETURN(std::string bytes, lg->ReadEntry(i));
    if (a.json) {
      ctx.out << Json{{"index", i}, {"leaf_hash", ledger::HashHex(ledger::LeafHash(bytes))},
                      {"entry", Json::parse(bytes)}}.dump() << "\n";
    } else {
      ctx.out << i << "\t" << bytes << "\n";
    }
    return OkStatus();
  };
  if (a.index >= 0) return print_entry(static_cast<uint64_t>(a.index));
  if (a.count > 0) {
    for (uint64_t i = a.from; i < a.from + a.count && i < cp.checkpoint.size; ++i) {
      RSF_RETURN_IF_ERROR(print_entry(i));
    }
    return OkStatus();
  }
  // Summary.
  if (a.json) {
    ctx.out << Json{{"dir", a.dir}, {"origin", cp.checkpoint.origin}, {"verifier_key", lg->verifier().ToString()},
                    {"checkpoint", CheckpointJson(cp)}}.dump(2) << "\n";
  } else {
    ctx.out << "ledger:       " << cp.checkpoint.origin << " (" << a.dir << ")\n"
            << "verifier key: " << lg->verifier().ToString() << "\n"
            << "checkpoint:   " << cp.checkpoint.size << " entries, root "
            << ledger::HashBase64(cp.checkpoint.root) << "\n";
  }
  return OkStatus();
}

template <typename Args>
void Bind(CLI::App* cmd, CliContext& ctx, std::shared_ptr<Args> args,
          Status (*run)(CliContext&, const Args&)) {
  cmd->callback([&ctx, args, run] { ctx.status = run(ctx, *args); });
}

}  // namespace

void AddLedgerCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* lg = app.add_subcommand("ledger", "The transparency log: init, append, checkpoint, "
                                              "prove, verify, consistency, fsck, show");
  lg->require_subcommand(1);

  {
    auto a = std::make_shared<InitArgs>();
    auto* c = lg->add_subcommand("init", "Create a ledger and its Ed25519 signing key");
    c->add_option("--dir", a->dir, "Directory for the new ledger (absent or empty)")->required();
    c->add_option("--origin", a->origin,
                  "Log name, a schema-less URL such as example.org/rsf/prod (no spaces or '+')")
        ->required();
    c->add_option("--key-file", a->key_file, "Where to write the signer key (default: DIR/signer.key)");
    c->add_flag("--json", a->json, "Print the result as JSON");
    Bind(c, ctx, a, RunInit);
  }
  {
    auto a = std::make_shared<AppendArgs>();
    auto* c = lg->add_subcommand(
        "append",
        "Append entries; returns once they are durable, then publishes a checkpoint.\n"
        "Either one entry from --type/--subject and a body flag, or many from --jsonl (one JSON\n"
        "entry per line; 'time' defaults to now). Invalid input writes nothing.");
    c->add_option("--dir", a->dir, "Ledger directory")->required();
    c->add_option("--key-file", a->key_file, "Signer key (default: DIR/signer.key)");
    c->add_option("--type", a->type, "Entry type, e.g. eval.result ([a-z0-9][a-z0-9._-]*)");
    c->add_option("--subject", a->subject, "What the entry is about, e.g. model:sha256:...");
    c->add_option("--body", a->body, "The body as inline JSON");
    c->add_option("--body-file", a->body_file, "The body as a JSON file ('-' for stdin)");
    c->add_option("--digest-of", a->digest_of,
                  "Log only the SHA-256 of this file (selective disclosure of hazardous content)");
    c->add_option("--ref", a->refs, "Leaf hash (hex) of an entry this one depends on; repeatable");
    c->add_option("--time", a->time, "RFC 3339 UTC time (default: now)");
    c->add_option("--jsonl", a->jsonl, "Append every entry of this JSON Lines file ('-' for stdin)");
    c->add_flag("--no-checkpoint", a->no_checkpoint, "Leave entries in the WAL; publish later");
    c->add_flag("--json", a->json, "Print one JSON line per entry");
    Bind(c, ctx, a, RunAppend);
  }
  {
    auto a = std::make_shared<DirArgs>();
    auto* c = lg->add_subcommand("checkpoint",
                                 "Integrate pending entries and publish a signed checkpoint");
    c->add_option("--dir", a->dir, "Ledger directory")->required();
    c->add_option("--key-file", a->key_file, "Signer key (default: DIR/signer.key)");
    c->add_option("--out", a->out, "Also write the checkpoint note to this file");
    c->add_flag("--json", a->json, "Print the checkpoint as JSON");
    Bind(c, ctx, a, RunCheckpoint);
  }
  {
    auto a = std::make_shared<ProveArgs>();
    auto* c = lg->add_subcommand(
        "prove", "Write an offline inclusion proof (.tlog-proof: entry, index, path, checkpoint)");
    c->add_option("--dir", a->dir, "Ledger directory")->required();
    c->add_option("--index", a->index, "Entry index")->required();
    c->add_option("--out", a->out, "Proof file (default: stdout)");
    Bind(c, ctx, a, RunProve);
  }
  {
    auto a = std::make_shared<VerifyArgs>();
    auto* c = lg->add_subcommand(
        "verify", "Verify a proof file offline, with only the log's verifier key");
    c->add_option("proof", a->proof, "The .tlog-proof file ('-' for stdin)")->required();
    c->add_option("--key", a->key, "Verifier key, inline or a file holding it")->required();
    c->add_option("--content", a->content,
                  "Disclosed content to check against the entry's body_digest");
    c->add_flag("--json", a->json, "Print the result as JSON");
    Bind(c, ctx, a, RunVerify);
  }
  {
    auto a = std::make_shared<ConsistencyArgs>();
    auto* c = lg->add_subcommand(
        "consistency",
        "Prove (with --dir) or verify offline (with --proof and --key) that the log only grew\n"
        "since an old checkpoint you kept. The proof file is a tlog-witness add-checkpoint body.");
    c->add_option("--old", a->old_checkpoint, "The old signed checkpoint file")->required();
    c->add_option("--dir", a->dir, "Ledger directory (to prove)");
    c->add_option("--out", a->out, "Proof file (default: stdout)");
    c->add_option("--proof", a->proof, "Consistency proof file (to verify)");
    c->add_option("--key", a->key, "Verifier key, inline or a file holding it (to verify)");
    c->add_flag("--json", a->json, "Print the verification result as JSON");
    Bind(c, ctx, a, RunConsistency);
  }
  {
    auto a = std::make_shared<FsckArgs>();
    auto* c = lg->add_subcommand(
        "fsck", "Check every byte of a ledger against its signed checkpoint; report locations");
    c->add_option("--dir", a->dir, "Ledger directory")->required();
    c->add_option("--key", a->key, "Trust this verifier key rather than DIR/ledger.json");
    c->add_flag("--no-refs", a->no_refs, "Skip checking that refs name earlier entries");
    c->add_flag("--json", a->json, "Print the report as JSON");
    Bind(c, ctx, a, RunFsck);
  }
  {
    auto a = std::make_shared<ShowArgs>();
    auto* c = lg->add_subcommand("show", "Show a ledger's summary, checkpoint, key or entries");
    c->add_option("--dir", a->dir, "Ledger directory")->required();
    c->add_option("--index", a->index, "Show entry INDEX");
    c->add_option("--from", a->from, "First entry to list (with --count)");
    c->add_option("--count", a->count, "Number of entries to list");
    c->add_flag("--checkpoint", a->checkpoint, "Print the latest signed checkpoint");
    c->add_flag("--verifier-key", a->verifier_key, "Print only the verifier key");
    c->add_flag("--json", a->json, "Print JSON");
    Bind(c, ctx, a, RunShow);
  }
}

}  // namespace rsf::cli
