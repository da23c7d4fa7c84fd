#include "rsf/model/llama_backend.h"

#include <llama.h>
#include <ggml-backend.h>

#include <condition_variable>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "model/chat_format.h"
#include "rsf/model/sampler.h"

namespace rsf::model {
namespace {

void InitBackendsOnce(const std::string& dir_option) {
  static std::once_flag once;
  std::call_once(once, [&] {
    llama_log_set(
        [](ggml_log_level level, const char* text, void*) {
          // rsf reports failures itself with context; llama.cpp's own lines are for debugging.
          std::string_view line(text);
          while (!line.empty() && line.back() == '\n') line.remove_suffix(1);
          if (level == GGML_LOG_LEVEL_ERROR) {
            spdlog::debug("llama.cpp: {}", line);
          } else {
            spdlog::trace("llama.cpp: {}", line);
          }
        },
        nullptr);
    std::string dir = dir_option;
    if (dir.empty()) {
      if (const char* env = std::getenv("RSF_LLAMA_BACKEND_DIR"); env && *env) dir = env;
    }
#ifdef RSF_LLAMA_BACKEND_DIR
    if (dir.empty()) dir = RSF_LLAMA_BACKEND_DIR;
#endif
    if (dir.empty()) {
      ggml_backend_load_all();
    } else {
      ggml_backend_load_all_from_path(dir.c_str());
    }
    llama_backend_init();
  });
}

class LlamaModel final : public ModelClient {
 public:
  LlamaModel(llama_model* model, const LlamaOptions& o, ModelIdentity identity)
      : model_(model), vocab_(llama_model_get_vocab(model)), options_(o), identity_(std::move(identity)) {
    if (const char* t = llama_model_chat_template(model_, nullptr)) chat_template_ = t;
  }
  ~LlamaModel() override {
    for (auto* c : idle_) llama_free(c);
    llama_model_free(model_);
  }

  Result<GenerateResponse> Generate(const GenerateRequest& request, const StreamCallback* stream) override {
    if (request.sampling.max_tokens < 0) return InvalidArgumentError("sampling.max_tokens: expected >= 0");
    RSF_ASSIGN_OR_RETURN(std::string prompt, Prompt(request));
    RSF_ASSIGN_OR_RETURN(std::vector<llama_token> tokens, Tokenize(prompt));
    RSF_ASSIGN_OR_RETURN(llama_context* ctx, Acquire());
    Result<GenerateResponse> r = Run(ctx, tokens, request, stream);
    Release(ctx);
    return r;
  }

  ModelIdentity Identity() const override { return identity_; }

 private:
  Result<std::string> Prompt(const GenerateRequest& r) {
    if (r.prompt) return *r.prompt;
    if (r.messages.empty()) return InvalidArgumentError("request: expected messages or a prompt");
    if (chat_template_.empty()) return RenderChat(r.messages);
    std::vector<llama_chat_message> msgs;
    for (const auto& m : r.messages) msgs.push_back({m.role.c_str(), m.content.c_str()});
    std::string buf(4096, '\0');
    int32_t n = llama_chat_apply_template(chat_template_.c_str(), msgs.data(), msgs.size(), true, buf.data(),
                                          static_cast<int32_t>(buf.size()));
    if (n > static_cast<int32_t>(buf.size())) {
      buf.resize(static_cast<size_t>(n));
      n = llama_chat_apply_template(chat_template_.c_str(), msgs.data(), msgs.size(), true, buf.data(), n);
    }
    if (n < 0) return RenderChat(r.messages);  // a template llama.cpp does not know
    buf.resize(static_cast<size_t>(n));
    return buf;
  }

  Result<std::vector<llama_token>> Tokenize(const std::string& text) {
    std::vector<llama_token> out(text.size() + 8);
    int32_t n = llama_tokenize(vocab_, text.data(), static_cast<int32_t>(text.size()), out.data(),
                               static_cast<int32_t>(out.size()), true, true);
    if (n < 0) {
      out.resize(static_cast<size_t>(-n));
      n = llama_tokenize(vocab_, text.data(), static_cast<int32_t>(text.size()), out.data(),
                         static_cast<int32_t>(out.size()), true, true);
    }
    if (n < 0) return InternalError("llama.cpp: tokenization failed");
    out.resize(static_cast<size_t>(n));
    return out;
  }

  std::string Piece(llama_token t) {
    char buf[256];
    int32_t n = llama_token_to_piece(vocab_, t, buf, sizeof(buf), 0, false);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }

  Result<GenerateResponse> Run(llama_context* ctx, std::vector<llama_token> tokens, const GenerateRequest& request,
                               const StreamCallback* stream) {
    llama_memory_clear(llama_get_memory(ctx), true);
    const int n_ctx = static_cast<int>(llama_n_ctx(ctx));
    if (static_cast<int>(tokens.size()) >= n_ctx) {
      return InvalidArgumentError(fmt::format("prompt of {} tokens does not fit the context of {}", tokens.size(), n_ctx));
    }
    GenerateResponse out;
    out.model = identity_.name;
    out.finish_reason = "length";
    out.usage.prompt_tokens = static_cast<int64_t>(tokens.size());
    // The prompt, in batches the context accepts.
    const int n_batch = static_cast<int>(llama_n_batch(ctx));
    for (size_t i = 0; i < tokens.size(); i += static_cast<size_t>(n_batch)) {
      const int n = std::min<int>(n_batch, static_cast<int>(tokens.size() - i));
      if (llama_decode(ctx, llama_batch_get_one(tokens.data() + i, n)) != 0) {
        return InternalError("llama.cpp: decoding the prompt failed");
      }
    }
    Sampler sampler(request.sampling, options_.hook);
    const int n_vocab = llama_vocab_n_tokens(vocab_);
    std::vector<float> logits(static_cast<size_t>(n_vocab));
    for (int step = 0; step < request.sampling.max_tokens; ++step) {
      if (static_cast<int>(tokens.size()) >= n_ctx) break;
      const float* l = llama_get_logits_ith(ctx, -1);
      std::copy(l, l + n_vocab, logits.begin());
      if (request.sampling.ignore_eos) {
        for (int id = 0; id < n_vocab; ++id) {
          if (llama_vocab_is_eog(vocab_, id)) logits[static_cast<size_t>(id)] = -std::numeric_limits<float>::infinity();
        }
      }
      SampledToken t = sampler.Next(tokens, logits);
      if (llama_vocab_is_eog(vocab_, t.id)) {
        out.finish_reason = "stop";
        break;
      }
      const std::string piece = Piece(t.id);
      const size_t before = out.text.size();
      out.text += piece;
      ++out.usage.completion_tokens;
      if (request.sampling.top_logprobs > 0) {
        TokenLogprob lp{piece, t.logprob, {}};
        for (auto [id, p] : t.top) lp.top.emplace_back(Piece(id), p);
        out.logprobs.push_back(std::move(lp));
      }
      bool stopped = false;
      for (const auto& s : request.sampling.stop) {
        size_t at = s.empty() ? std::string::npos : out.text.find(s, before >= s.size() ? before - s.size() + 1 : 0);
        if (at != std::string::npos) {
          if (stream && at > before) (*stream)(std::string_view(out.text).substr(before, at - before));
          out.text.resize(at);
          out.finish_reason = "stop";
          stopped = true;
          break;
        }
      }
      if (stopped) break;
      if (stream && !(*stream)(piece)) break;
      tokens.push_back(t.id);
      llama_token next = t.id;
      if (llama_decode(ctx, llama_batch_get_one(&next, 1)) != 0) {
        return InternalError("llama.cpp: decoding failed");
      }
    }
    return out;
  }

  Result<llama_context*> Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || created_ < std::max(options_.parallel, 1); });
    if (!idle_.empty()) {
      llama_context* c = idle_.back();
      idle_.pop_back();
      return c;
    }
    ++created_;
    lock.unlock();
    llama_context_params p = llama_context_default_params();
    p.n_ctx = static_cast<uint32_t>(options_.n_ctx);
    p.n_batch = 512;
    const int threads = options_.n_threads > 0 ? options_.n_threads : static_cast<int>(std::thread::hardware_concurrency());
    p.n_threads = threads;
    p.n_threads_batch = threads;
    p.no_perf = true;
    llama_context* c = llama_init_from_model(model_, p);
    if (!c) {
      std::lock_guard relock(mu_);
      --created_;
      cv_.notify_one();
      return InternalError("llama.cpp: cannot create a context");
    }
    return c;
  }

  void Release(llama_context* c) {
    {
      std::lock_guard lock(mu_);
      idle_.push_back(c);
    }
    cv_.notify_one();
  }

  llama_model* model_;
  const llama_vocab* vocab_;
  LlamaOptions options_;
  ModelIdentity identity_;
  std::string chat_template_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<llama_context*> idle_;
  int created_ = 0;
};

}  // namespace

bool LlamaAvailable() { return true; }

Result<std::unique_ptr<ModelClient>> OpenLlamaModel(const LlamaOptions& options, ModelIdentity identity) {
  InitBackendsOnce(options.backend_dir);
  llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = 0;
  llama_model* model = llama_model_load_from_file(options.path.c_str(), mp);
  if (!model) {
    return InvalidArgumentError(fmt::format("{}: llama.cpp could not load it as a GGUF model", options.path));
  }
  identity.backend = "llama.cpp";
  return std::unique_ptr<ModelClient>(std::make_unique<LlamaModel>(model, options, std::move(identity)));
}

}  // namespace rsf::model
