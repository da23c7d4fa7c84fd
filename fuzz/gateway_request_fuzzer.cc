// Fuzz target: what reaches the gateway from outside. The first byte picks the parser:
// 0 a chat completion request body, 1 a completion request body, 2 a gateway configuration
// (YAML), 3 a shared-ledger inbox row (written by another replica). Never crashes; a request
// that parses keeps its promises (a model name, n >= 1, max_tokens >= 1, a chat has
// messages), a configuration that parses names a policy file and models with decisions, and
// a row that parses encodes and parses back to the same row.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gateway/ledger_inbox.h"
#include "rsf/gateway/config.h"
#include "rsf/gateway/openai_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0:
    case 1: {
      const auto endpoint = data[0] % 4 == 0 ? rsf::gateway::Endpoint::kChat : rsf::gateway::Endpoint::kCompletion;
      auto r = rsf::gateway::ParseCompletionRequest(text, endpoint);
      if (!r.ok()) return 0;
      if (r->model.empty() || r->n < 1 || r->endpoint != endpoint) std::abort();
      if (r->max_tokens && *r->max_tokens < 1) std::abort();
      if (endpoint == rsf::gateway::Endpoint::kChat && r->messages.empty()) std::abort();
      return 0;
    }
    case 3: {
      namespace gi = rsf::gateway::internal;
      auto row = gi::DecodeInboxRow(text, "fuzz");
      if (!row.ok()) return 0;
      auto again = gi::DecodeInboxRow(gi::EncodeInboxRow(*row), "fuzz");
      if (!again.ok() || again->state != row->state || again->entry != row->entry || again->wait != row->wait ||
          again->index != row->index || again->leaf != row->leaf || again->error != row->error ||
          again->at_ms != row->at_ms) {
        std::abort();
      }
      return 0;
    }
    default: {
      auto c = rsf::gateway::ParseGatewayConfig(text, "fuzz/gateway.yaml", "/nonexistent");
      if (!c.ok()) return 0;
      if (c->policy_file.empty()) std::abort();
      for (const auto& m : c->models) {
        if (m.name.empty() || m.decision_file.empty()) std::abort();
      }
      return 0;
    }
  }
}
