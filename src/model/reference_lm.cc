#include "rsf/model/reference_lm.h"

#include <cctype>
#include <cmath>
#include <limits>
#include <string_view>
#include <unordered_map>

#include "rsf/common/encoding.h"
#include "rsf/common/sha256.h"
#include "rsf/model/sampler.h"
#include "rsf/model/tokenizer.h"
#include "model/chat_format.h"

namespace rsf::model {
namespace internal {
extern const std::string_view kReferenceCorpus;
}

namespace {

constexpr std::string_view kAlgorithm = "rsf-reference-lm/1 interpolated-trigram 0.6/0.3/0.1 reply-start 0.7\n";

// Words (letters, digits, apostrophes), newlines and single punctuation characters.
std::vector<std::string> Tokenize(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out.emplace_back("\n");
      ++i;
    } else if (std::isspace(c)) {
      ++i;
    } else if (std::isalnum(c) || c == '\'' || c >= 0x80) {
      size_t j = i;
      while (j < text.size()) {
        unsigned char d = static_cast<unsigned char>(text[j]);
        if (!(std::isalnum(d) || d == '\'' || d >= 0x80)) break;
        ++j;
      }
      out.emplace_back(text.substr(i, j - i));
      i = j;
    } else {
      out.emplace_back(1, static_cast<char>(c));
      ++i;
    }
  }
  return out;
}

// The text a token adds after `prev` (spaces between words, none around newlines or before
// punctuation).
std::string Delta(std::string_view prev, std::string_view tok) {
  if (tok == "\n" || prev.empty() || prev == "\n") return std::string(tok);
  static constexpr std::string_view kNoSpaceBefore = ".,!?;:)";
  if (tok.size() == 1 && kNoSpaceBefore.find(tok[0]) != std::string_view::npos) {
    return std::string(tok);
  }
  if (prev == "(") return std::string(tok);
  return " " + std::string(tok);
}

uint64_t Key2(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

class ReferenceModel final : public ModelClient {
 public:
  explicit ReferenceModel(const ReferenceLmOptions& options) : options_(options) { Train(); }

  Result<GenerateResponse> Generate(const GenerateRequest& request,
                                    const StreamCallback* stream) override {
    if (request.sampling.max_tokens < 0) {
      return InvalidArgumentError("sampling.max_tokens: expected a number >= 0");
    }
    std::string prompt = request.prompt ? *request.prompt : RenderChat(request.messages);
    std::vector<int32_t> context;
    for (const auto& t : Tokenize(prompt)) context.push_back(Id(t));
    const size_t prompt_len = context.size();

    GenerateResponse out;
    out.model = "rsf-reference-lm";
    out.finish_reason = "length";
    Sampler sampler(request.sampling, options_.hook);
    std::vector<float> logits(vocab_.size());
    std::string prev = prompt.empty() ? "" : std::string(1, prompt.back());
    if (prev == " ") prev = "x";
    for (int step = 0; step < request.sampling.max_tokens; ++step) {
      Logits(context, logits);
      if (request.sampling.ignore_eos) logits[static_cast<size_t>(eos_)] = -std::numeric_limits<float>::infinity();
      SampledToken t = sampler.Next(context, logits);
      if (t.id == eos_) {
        out.finish_reason = "stop";
        break;
      }
      context.push_back(t.id);
      std::string delta = Delta(prev, vocab_[t.id]);
      const std::string before_prev = prev;
      prev = vocab_[t.id];
      const size_t before = out.text.size();
      out.text += delta;
      if (request.sampling.top_logprobs > 0) {
        TokenLogprob lp{delta, t.logprob, {}};
        for (auto [id, p] : t.top) lp.top.emplace_back(id == eos_ ? "" : Delta(before_prev, vocab_[id]), p);
        out.logprobs.push_back(std::move(lp));
      }
      if (size_t cut = StopAt(out.text, request.sampling.stop); cut != std::string::npos) {
        if (stream && cut > before) (*stream)(std::string_view(out.text).substr(before, cut - before));
        out.text.resize(cut);
        out.finish_reason = "stop";
        break;
      }
      if (stream && !(*stream)(delta)) break;
    }
    out.usage.prompt_tokens = static_cast<int64_t>(prompt_len);
    out.usage.completion_tokens = static_cast<int64_t>(context.size() - prompt_len);
    return out;
  }

  ModelIdentity Identity() const override {
    return {"rsf-reference-lm", ReferenceModelDigest(), "reference"};
  }

  // For the tokenizer.
  const std::vector<std::string>& vocab() const { return vocab_; }
  int32_t unk() const { return unk_; }
  int32_t eos() const { return eos_; }
  int32_t Id(const std::string& tok) const {
    auto it = ids_.find(tok);
    return it == ids_.end() ? unk_ : it->second;
  }

 private:
  int32_t Intern(const std::string& tok) {
    auto [it, inserted] = ids_.emplace(tok, static_cast<int32_t>(vocab_.size()));
    if (inserted) vocab_.push_back(tok);
    return it->second;
  }

  void Train() {
    eos_ = Intern("<eos>");
    unk_ = Intern("<unk>");
    for (char c = 'A'; c <= 'J'; ++c) Intern(std::string(1, c));
    std::string_view corpus = internal::kReferenceCorpus;
    std::vector<std::vector<int32_t>> docs;
    size_t start = 0;
    while (start < corpus.size()) {
      size_t end = corpus.find("\n\n", start);
      if (end == std::string_view::npos) end = corpus.size();
      std::vector<int32_t> doc;
      for (const auto& t : Tokenize(corpus.substr(start, end - start))) doc.push_back(Intern(t));
      while (!doc.empty() && vocab_[doc.back()] == "\n") doc.pop_back();
      if (!doc.empty()) {
        doc.push_back(eos_);
        docs.push_back(std::move(doc));
      }
      start = end + 2;
    }
    unigram_.assign(vocab_.size(), 0);
    std::unordered_map<int32_t, std::unordered_map<int32_t, double>> bi;
    std::unordered_map<uint64_t, std::unordered_map<int32_t, double>> tri;
    for (const auto& d : docs) {
      for (size_t i = 0; i < d.size(); ++i) {
        unigram_[d[i]] += 1;
        total_ += 1;
        if (i >= 1) bi[d[i - 1]][d[i]] += 1;
        if (i >= 2) tri[Key2(d[i - 2], d[i - 1])][d[i]] += 1;
      }
    }
    // The first token of a reply, keyed by the last token of the message before it.
    const int32_t nl = Intern("\n"), assistant = Intern("assistant"), colon = Intern(":");
    std::unordered_map<int32_t, std::unordered_map<int32_t, double>> reply;
    for (const auto& d : docs) {
      for (size_t i = 4; i < d.size(); ++i) {
        if (d[i - 1] == colon && d[i - 2] == assistant && d[i - 3] == nl) reply[d[i - 4]][d[i]] += 1;
      }
    }
    for (auto& [ctx, next] : reply) reply_[ctx] = Successors(next);
    nl_ = nl;
    assistant_ = assistant;
    colon_ = colon;
    for (auto& [ctx, next] : bi) bigram_[ctx] = Successors(next);
    for (auto& [ctx, next] : tri) trigram_[ctx] = Successors(next);
  }

  struct Dist {
    double total = 0;
    std::vector<std::pair<int32_t, double>> next;
  };
  static Dist Successors(const std::unordered_map<int32_t, double>& m) {
    Dist d;
    for (auto [id, c] : m) {
      d.next.emplace_back(id, c);
      d.total += c;
    }
    return d;
  }

  void Logits(const std::vector<int32_t>& ctx, std::vector<float>& logits) const {
    const Dist* b = nullptr;
    const Dist* t = nullptr;
    if (!ctx.empty()) {
      if (auto it = bigram_.find(ctx.back()); it != bigram_.end()) b = &it->second;
    }
    if (ctx.size() >= 2) {
      if (auto it = trigram_.find(Key2(ctx[ctx.size() - 2], ctx.back())); it != trigram_.end()) {
        t = &it->second;
      }
    }
    double l3 = t ? 0.6 : 0, l2 = b ? (t ? 0.3 : 0.8) : 0;
    double l1 = 1.0 - l3 - l2;
    const double v = static_cast<double>(vocab_.size());
    std::vector<double> p(vocab_.size());
    for (size_t i = 0; i < p.size(); ++i) p[i] = l1 * (unigram_[i] + 0.1) / (total_ + 0.1 * v);
    if (b) {
      for (auto [id, c] : b->next) p[id] += l2 * c / b->total;
    }
    if (t) {
      for (auto [id, c] : t->next) p[id] += l3 * c / t->total;
    }
    // At the start of a reply, what the message ended with matters most ("Answer:" -> a
    // letter).
    const size_t n = ctx.size();
    if (n >= 4 && ctx[n - 1] == colon_ && ctx[n - 2] == assistant_ && ctx[n - 3] == nl_) {
      if (auto it = reply_.find(ctx[n - 4]); it != reply_.end()) {
        for (double& x : p) x *= 0.3;
        for (auto [id, c] : it->second.next) p[id] += 0.7 * c / it->second.total;
      }
    }
    p[unk_] = 1e-12;
    for (size_t i = 0; i < p.size(); ++i) logits[i] = static_cast<float>(std::log(p[i]));
  }

  static size_t StopAt(const std::string& text, const std::vector<std::string>& stops) {
    size_t best = std::string::npos;
    for (const auto& s : stops) {
      if (s.empty()) continue;
      size_t at = text.find(s);
      if (at != std::string::npos && at < best) best = at;
    }
    return best;
  }

  ReferenceLmOptions options_;
  std::vector<std::string> vocab_;
  std::unordered_map<std::string, int32_t> ids_;
  int32_t eos_ = 0, unk_ = 0, nl_ = 0, assistant_ = 0, colon_ = 0;
  std::vector<double> unigram_;
  double total_ = 0;
  std::unordered_map<int32_t, Dist> bigram_;
  std::unordered_map<int32_t, Dist> reply_;
  std::unordered_map<uint64_t, Dist> trigram_;
};

}  // namespace

std::string_view ReferenceModelWeights() {
  static const std::string bytes = std::string(kAlgorithm) + std::string(internal::kReferenceCorpus);
  return bytes;
}

std::string ReferenceModelDigest() {
  static const std::string digest = "sha256:" + Sha256Hex(ReferenceModelWeights());
  return digest;
}

std::unique_ptr<ModelClient> MakeReferenceModel(const ReferenceLmOptions& options) {
  return std::make_unique<ReferenceModel>(options);
}

namespace {

// The reference model's own word-level tokenizer, over the vocabulary it builds.
class ReferenceTokenizer final : public Tokenizer {
 public:
  ReferenceTokenizer() : model_(ReferenceLmOptions{}) {
    Sha256 h;
    h.Update("rsf-reference-lm tokenizer/1\n");
    h.Update(ReferenceModelDigest());
    digest_ = "sha256:" + HexEncode(h.Final());
  }
  std::vector<int32_t> Encode(std::string_view text) const override {
    std::vector<int32_t> out;
    for (const auto& t : Tokenize(text)) out.push_back(model_.Id(t));
    return out;
  }
  std::string Decode(std::span<const int32_t> ids) const override {
    std::string out, prev;
    for (int32_t id : ids) {
      if (id < 0 || id >= VocabSize() || id == model_.eos()) continue;
      out += Delta(prev, model_.vocab()[id]);
      prev = model_.vocab()[id];
    }
    return out;
  }
  int32_t VocabSize() const override { return static_cast<int32_t>(model_.vocab().size()); }
  bool IsFallback(int32_t id) const override { return id == model_.unk() || id < 0 || id >= VocabSize(); }
  std::string Digest() const override { return digest_; }

 private:
  ReferenceModel model_;
  std::string digest_;
};

}  // namespace

std::shared_ptr<const Tokenizer> ReferenceTokenizerInstance() {
  static const auto tokenizer = std::make_shared<const ReferenceTokenizer>();
  return tokenizer;
}

}  // namespace rsf::model
