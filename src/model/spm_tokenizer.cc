// The "llama" (SentencePiece BPE) tokenizer over a GGUF vocabulary: see tokenizer.h.
#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "model/gguf_vocab.h"
#include "rsf/common/encoding.h"
#include "rsf/common/sha256.h"
#include "rsf/model/tokenizer.h"

namespace rsf::model {
namespace {

using internal::GgufVocab;

constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK

// The byte a byte token stands for: exactly "<0xHH>" with two hex digits (sscanf's %X would
// also take a sign, and "<0x-6>" would then index past the byte table).
std::optional<uint8_t> ByteTokenValue(std::string_view t) {
  if (t.size() != 6 || t.substr(0, 3) != "<0x" || t[5] != '>') return std::nullopt;
  auto byte = HexDecode(t.substr(3, 2));  // exactly two hex digits: no sign, no spaces
  if (!byte.ok()) return std::nullopt;
  return (*byte)[0];
}

size_t Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;  // a stray continuation byte stands alone (and falls back to a byte token)
}

class SpmTokenizer final : public Tokenizer {
 public:
  explicit SpmTokenizer(GgufVocab v) : v_(std::move(v)) {
    const int32_t n = static_cast<int32_t>(v_.tokens.size());
    byte_ids_.fill(-1);
    Sha256 h;
    for (int32_t id = 0; id < n; ++id) {
      const std::string& t = v_.tokens[id];
      const int32_t type = v_.types[id];
      if (type == internal::kTokenByte) {
        if (auto byte = ByteTokenValue(t)) byte_ids_[*byte] = id;
      } else if (type != internal::kTokenControl && type != internal::kTokenUnused) {
        ids_.emplace(t, id);  // the first of duplicates wins, as in llama.cpp
      }
      const uint32_t len = static_cast<uint32_t>(t.size());
      uint32_t score_bits;
      static_assert(sizeof score_bits == sizeof(float));
      std::memcpy(&score_bits, &v_.scores[id], sizeof score_bits);
      h.Update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&len), 4));
      h.Update(t);
      h.Update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&score_bits), 4));
      h.Update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&type), 4));
    }
    digest_ = "sha256:" + HexEncode(h.Final());
  }

  std::vector<int32_t> Encode(std::string_view text) const override {
    std::vector<int32_t> out;
    if (text.empty()) return out;
    std::string s;
    s.reserve(text.size() + 8);
    if (v_.add_space_prefix && text.front() != ' ') s += kSpace;
    for (char c : text) {
      if (c == ' ') {
        s += kSpace;
      } else {
        s += c;
      }
    }
    // Symbols: one per UTF-8 character, in a doubly linked list.
    struct Symbol {
      int prev, next;
      size_t begin, len;
    };
    std::vector<Symbol> sym;
    for (size_t i = 0; i < s.size();) {
      size_t len = std::min(Utf8Length(static_cast<unsigned char>(s[i])), s.size() - i);
      const int k = static_cast<int>(sym.size());
      sym.push_back({k - 1, k + 1, i, len});
      i += len;
    }
    sym.back().next = -1;
    struct Bigram {
      float score;
      int left, right;
      size_t len;
    };
    auto worse = [](const Bigram& a, const Bigram& b) {
      return a.score < b.score || (a.score == b.score && a.left > b.left);
    };
    std::priority_queue<Bigram, std::vector<Bigram>, decltype(worse)> queue(worse);
    auto try_add = [&](int left, int right) {
      if (left < 0 || right < 0) return;
      std::string_view pair(s.data() + sym[left].begin, sym[left].len + sym[right].len);
      auto it = ids_.find(pair);
      if (it == ids_.end()) return;
      queue.push({v_.scores[it->second], left, right, pair.size()});
    };
    for (size_t i = 1; i < sym.size(); ++i) try_add(static_cast<int>(i) - 1, static_cast<int>(i));
    while (!queue.empty()) {
      Bigram b = queue.top();
      queue.pop();
      Symbol& l = sym[b.left];
      Symbol& r = sym[b.right];
      if (l.len == 0 || r.len == 0 || l.len + r.len != b.len) continue;  // stale
      l.len += r.len;
      r.len = 0;
      l.next = r.next;
      if (r.next >= 0) sym[r.next].prev = b.left;
      try_add(l.prev, b.left);
      try_add(b.left, l.next);
    }
    for (int i = 0; i >= 0; i = sym[i].next) {
      std::string_view piece(s.data() + sym[i].begin, sym[i].len);
      auto it = ids_.find(piece);
      if (it != ids_.end()) {
        out.push_back(it->second);
        continue;
      }
      for (unsigned char c : piece) {
        const int32_t id = byte_ids_[c];
        out.push_back(id >= 0 ? id : std::max(v_.unk, 0));
      }
    }
    return out;
  }

  std::string Decode(std::span<const int32_t> ids) const override {
    std::string out;
    for (int32_t id : ids) {
      if (id < 0 || id >= VocabSize()) continue;
      const std::string& t = v_.tokens[id];
      const int32_t type = v_.types[id];
      if (type == internal::kTokenControl || type == internal::kTokenUnused) continue;
      if (type == internal::kTokenByte) {
        if (auto byte = ByteTokenValue(t)) out += static_cast<char>(*byte);
        continue;
      }
      for (size_t i = 0; i < t.size();) {
        if (t.compare(i, kSpace.size(), kSpace) == 0) {
          out += ' ';
          i += kSpace.size();
        } else {
          out += t[i++];
        }
      }
    }
    return out;
  }

  int32_t VocabSize() const override { return static_cast<int32_t>(v_.tokens.size()); }

  bool IsFallback(int32_t id) const override {
    if (id < 0 || id >= VocabSize()) return true;
    return id == v_.unk || v_.types[id] == internal::kTokenByte || v_.types[id] == internal::kTokenUnknown;
  }

  std::string Digest() const override { return digest_; }

 private:
  GgufVocab v_;
  std::unordered_map<std::string_view, int32_t> ids_;  // views into v_.tokens
  std::array<int32_t, 256> byte_ids_;
  std::string digest_;
};

}  // namespace

Result<std::unique_ptr<Tokenizer>> LoadGgufTokenizer(const std::string& path) {
  RSF_ASSIGN_OR_RETURN(internal::GgufVocab v, internal::ReadGgufVocab(path));
  if (v.model != "llama") {
    return InvalidArgumentError(fmt::format(
        "{}: tokenizer.ggml.model is '{}'; rsf tokenizes without the model only for 'llama' (SentencePiece) "
        "vocabularies", path, v.model));
  }
  return std::unique_ptr<Tokenizer>(std::make_unique<SpmTokenizer>(std::move(v)));
}

}  // namespace rsf::model
