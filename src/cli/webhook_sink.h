// src/cli/webhook_sink.h — a small HTTP receiver for incident webhooks: answers every POST with
// 204 and hands the body to a callback. `rsf incident webhook-sink` and the demo use it to
// stand in for a pager or chat hook, so runbook notifications and drills can be tried locally.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "rsf/common/status.h"

namespace rsf::cli {

class WebhookSink {
 public:
  using OnPost = std::function<void(const std::string& target, const std::string& body)>;
  // Listens on host:port (0: a free port) on its own thread. kUnavailable when it cannot bind.
  static Result<std::unique_ptr<WebhookSink>> Start(const std::string& host, uint16_t port, OnPost on_post);
  ~WebhookSink();
  uint16_t port() const;
  std::string url(const std::string& path) const;  // http://host:port<path>

  struct Impl;

 private:
  explicit WebhookSink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rsf::cli
