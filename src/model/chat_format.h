// src/model/chat_format.h: how in-process backends without a chat template render messages.
#pragma once

#include <string>
#include <vector>

#include "rsf/model/model.h"

namespace rsf::model {

// "system: ...\nuser: ...\nassistant:" — one line per message, ending with the assistant's
// turn open.
inline std::string RenderChat(const std::vector<Message>& messages) {
  std::string out;
  for (const auto& m : messages) {
    out += m.role;
    out += ": ";
    out += m.content;
    out += "\n";
  }
  out += "assistant:";
  return out;
}

}  // namespace rsf::model
