// The drill's view of a running gateway: its admin API and model endpoint over HTTP
// (MakeHttpDrillTarget in include/rsf/incident/drill.h).
#include <fmt/format.h>

#include "rsf/incident/drill.h"
#include "rsf/model/openai_wire.h"

namespace rsf::incident {
namespace {

class HttpDrillTarget final : public DrillTarget {
 public:
  HttpDrillTarget(std::string base, std::string admin_key, std::unique_ptr<model::HttpTransport> t)
      : base_(std::move(base)), admin_(std::move(admin_key)), http_(std::move(t)) {
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
  }

  Result<std::pair<std::string, std::string>> CreateKey(const std::string& name, const std::string& tier) override {
    RSF_ASSIGN_OR_RETURN(Json j, Admin("POST", "/admin/v1/keys", {{"name", name}, {"tenant", "drill"}, {"tier", tier}}, ""));
    return std::pair{StringOr(ObjectOr(j, "record"), "id"), StringOr(j, "key")};
  }
  Status RevokeKey(const std::string& id) override { return Admin("DELETE", "/admin/v1/keys/" + id, nullptr, "").status(); }

  Result<int> Chat(const std::string& secret, const std::string& model, const std::string& prompt, const std::string& drill) override {
    Json body = {{"model", model}, {"max_tokens", 8}, {"messages", Json::array({{{"role", "user"}, {"content", prompt}}})}};
    RSF_ASSIGN_OR_RETURN(auto r, Send("POST", "/v1/chat/completions", body.dump(), secret, drill));
    if (r.status == 400 && r.body.find("drill_mode_off") != std::string::npos) {
      return FailedPreconditionError("the gateway refuses drill traffic: it is not in drill mode (incidents.drill_mode: true)");
    }
    return r.status;
  }
  Status FlawReport(const Json& body, const std::string& drill) override {
    RSF_ASSIGN_OR_RETURN(auto r, Send("POST", "/v1/flaw-reports", body.dump(), "", drill));
    if (r.status != 201) return UnavailableError(fmt::format("the flaw report was not taken: HTTP {} {}", r.status, r.body));
    return OkStatus();
  }
  Status Signal(const Json& body, const std::string& drill) override { return Admin("POST", "/admin/v1/signals", body, drill).status(); }
  Result<std::vector<Json>> Incidents(const std::string& drill) override {
    RSF_ASSIGN_OR_RETURN(Json j, Admin("GET", "/admin/v1/incidents?drill=" + drill, nullptr, ""));
    std::vector<Json> out;
    for (const auto& x : ArrayOr(j, "incidents")) out.push_back(x);
    return out;
  }
  Result<Json> Restore(const std::string& drill) override { return Admin("POST", "/admin/v1/drills/" + drill + "/restore", Json::object(), ""); }
  Result<uint64_t> Record(const Json& report) override {
    RSF_ASSIGN_OR_RETURN(Json j, Admin("POST", "/admin/v1/drills", report, ""));
    return UintOr(j, "ledger_index");
  }

 private:
  Result<model::HttpResponse> Send(const std::string& method, const std::string& path, std::string body, const std::string& key,
                                   const std::string& drill) {
    model::HttpRequest req;
    req.method = method;
    req.url = base_ + path;
    req.body = std::move(body);
    req.timeout = std::chrono::milliseconds(10000);
    req.headers = {{"Content-Type", "application/json"}};
    if (!key.empty()) req.headers.emplace_back("Authorization", "Bearer " + key);
    if (!drill.empty()) req.headers.emplace_back("x-rsf-drill", drill);
    return http_->Send(req);
  }
  Result<Json> Admin(const std::string& method, const std::string& path, const Json& body, const std::string& drill) {
    RSF_ASSIGN_OR_RETURN(auto r, Send(method, path, body.is_null() ? "" : body.dump(), admin_, drill));
    Json j = Json::parse(r.body, nullptr, false);
    if (r.status < 200 || r.status > 299) {
      const std::string msg = model::OpenAiErrorMessage(r.body);
      const std::string what = fmt::format("{} {}: HTTP {}: {}", method, path, r.status, msg);
      if (r.status == 401 || r.status == 403) return PermissionDeniedError(what);
      if (r.status == 404) return NotFoundError(what);
      if (r.status >= 400 && r.status < 500) return FailedPreconditionError(what);
      return UnavailableError(what);
    }
    if (j.is_discarded()) return UnavailableError(fmt::format("{} {}: the answer is not JSON", method, path));
    return j;
  }

  std::string base_, admin_;
  std::unique_ptr<model::HttpTransport> http_;
};

}  // namespace

std::unique_ptr<DrillTarget> MakeHttpDrillTarget(std::string base_url, std::string admin_key, std::unique_ptr<model::HttpTransport> transport) {
  return std::make_unique<HttpDrillTarget>(std::move(base_url), std::move(admin_key), std::move(transport));
}

}  // namespace rsf::incident
