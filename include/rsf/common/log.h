// include/rsf/common/log.h
//
// Logging through spdlog to stderr. Log lines carry no secrets: callers log key ids and
// digests, never keys, tokens or hazardous content.
//
// Thread safety: safe for concurrent use after InitLogging().
#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

#include "rsf/common/status.h"

namespace rsf {

// Sets the level: "trace", "debug", "info", "warn", "error", "off".
// kInvalidArgument for any other name.
Status InitLogging(std::string_view level);

}  // namespace rsf

#define RSF_LOG_DEBUG(...) SPDLOG_DEBUG(__VA_ARGS__)
#define RSF_LOG_INFO(...) SPDLOG_INFO(__VA_ARGS__)
#define RSF_LOG_WARN(...) SPDLOG_WARN(__VA_ARGS__)
#define RSF_LOG_ERROR(...) SPDLOG_ERROR(__VA_ARGS__)
