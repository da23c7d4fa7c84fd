#include "model/gguf_vocab.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include <fmt/format.h>

namespace rsf::model::internal {
namespace {

// GGUF value types.
enum : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7, kString = 8, kArray = 9,
  kU64 = 10, kI64 = 11, kF64 = 12,
};

constexpr uint64_t kMaxString = uint64_t{1} << 20;    // one key or token
constexpr uint64_t kMaxArray = uint64_t{1} << 24;     // 16M entries
constexpr uint64_t kMaxKeys = uint64_t{1} << 16;

size_t ScalarSize(uint32_t type) {
  switch (type) {
    case kU8: case kI8: case kBool: return 1;
    case kU16: case kI16: return 2;
    case kU32: case kI32: case kF32: return 4;
    case kU64: case kI64: case kF64: return 8;
    default: return 0;
  }
}

class Reader {
 public:
  Reader(std::ifstream& in, const std::string& path) : in_(in), path_(path) {}

  Status Bytes(void* out, size_t n, std::string_view what) {
    if (!in_.read(static_cast<char*>(out), static_cast<std::streamsize>(n))) {
      return InvalidArgumentError(fmt::format("{}: truncated GGUF metadata while reading {}", path_, what));
    }
    return OkStatus();
  }
  template <typename T>
  Result<T> Scalar(std::string_view what) {
    T v{};
    RSF_RETURN_IF_ERROR(Bytes(&v, sizeof v, what));  // GGUF is little-endian, as is every target of rsf
    return v;
  }
  Result<std::string> String(std::string_view what) {
    RSF_ASSIGN_OR_RETURN(uint64_t n, Scalar<uint64_t>(what));
    if (n > kMaxString) {
      return InvalidArgumentError(fmt::format("{}: {} is {} bytes long, more than GGUF metadata allows here", path_, what, n));
    }
    std::string s(n, '\0');
    RSF_RETURN_IF_ERROR(Bytes(s.data(), n, what));
    return s;
  }
  Status Skip(uint32_t type, std::string_view what, int depth = 0) {
    if (type == kString) return String(what).status();
    if (type == kArray) {
      if (depth > 2) return InvalidArgumentError(fmt::format("{}: {} nests arrays too deeply", path_, what));
      RSF_ASSIGN_OR_RETURN(uint32_t elem, Scalar<uint32_t>(what));
      RSF_ASSIGN_OR_RETURN(uint64_t n, Scalar<uint64_t>(what));
      if (n > kMaxArray) return InvalidArgumentError(fmt::format("{}: {} has {} entries", path_, what, n));
      if (size_t size = ScalarSize(elem)) {
        in_.seekg(static_cast<std::streamoff>(n * size), std::ios::cur);
        return in_ ? OkStatus() : InvalidArgumentError(fmt::format("{}: truncated GGUF metadata in {}", path_, what));
      }
      for (uint64_t i = 0; i < n; ++i) RSF_RETURN_IF_ERROR(Skip(elem, what, depth + 1));
      return OkStatus();
    }
    size_t size = ScalarSize(type);
    if (size == 0) return InvalidArgumentError(fmt::format("{}: {} has unknown GGUF type {}", path_, what, type));
    in_.seekg(static_cast<std::streamoff>(size), std::ios::cur);
    return in_ ? OkStatus() : InvalidArgumentError(fmt::format("{}: truncated GGUF metadata in {}", path_, what));
  }
  // An array header of the expected element type; returns its length.
  Result<uint64_t> ArrayOf(uint32_t type, uint32_t want, const std::string& key) {
    if (type != kArray) return InvalidArgumentError(fmt::format("{}: {} should be an array", path_, key));
    RSF_ASSIGN_OR_RETURN(uint32_t elem, Scalar<uint32_t>(key));
    RSF_ASSIGN_OR_RETURN(uint64_t n, Scalar<uint64_t>(key));
    if (elem != want) {
      return InvalidArgumentError(fmt::format("{}: {} should hold GGUF type {}, not {}", path_, key, want, elem));
    }
    if (n > kMaxArray) return InvalidArgumentError(fmt::format("{}: {} has {} entries", path_, key, n));
    return n;
  }
  // An integer of any GGUF integer type.
  Result<int64_t> Integer(uint32_t type, const std::string& key) {
    switch (type) {
      case kU8: { RSF_ASSIGN_OR_RETURN(uint8_t v, Scalar<uint8_t>(key)); return v; }
      case kI8: { RSF_ASSIGN_OR_RETURN(int8_t v, Scalar<int8_t>(key)); return v; }
      case kU16: { RSF_ASSIGN_OR_RETURN(uint16_t v, Scalar<uint16_t>(key)); return v; }
      case kI16: { RSF_ASSIGN_OR_RETURN(int16_t v, Scalar<int16_t>(key)); return v; }
      case kU32: { RSF_ASSIGN_OR_RETURN(uint32_t v, Scalar<uint32_t>(key)); return v; }
      case kI32: { RSF_ASSIGN_OR_RETURN(int32_t v, Scalar<int32_t>(key)); return v; }
      case kU64: { RSF_ASSIGN_OR_RETURN(uint64_t v, Scalar<uint64_t>(key)); return static_cast<int64_t>(v); }
      case kI64: { RSF_ASSIGN_OR_RETURN(int64_t v, Scalar<int64_t>(key)); return v; }
      default: return InvalidArgumentError(fmt::format("{}: {} should be an integer", path_, key));
    }
  }

 private:
  std::ifstream& in_;
  const std::string& path_;
};

}  // namespace

Result<GgufVocab> ReadGgufVocab(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFoundError(fmt::format("{}: no such file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError(fmt::format("{}: cannot be opened", path));
  Reader r(in, path);
  char magic[4];
  RSF_RETURN_IF_ERROR(r.Bytes(magic, 4, "the magic"));
  if (std::memcmp(magic, "GGUF", 4) != 0) return InvalidArgumentError(fmt::format("{}: not a GGUF file", path));
  RSF_ASSIGN_OR_RETURN(uint32_t version, r.Scalar<uint32_t>("the version"));
  if (version < 2 || version > 3) {
    return InvalidArgumentError(fmt::format("{}: GGUF version {} (rsf reads versions 2 and 3)", path, version));
  }
  RSF_RETURN_IF_ERROR(r.Scalar<uint64_t>("the tensor count").status());
  RSF_ASSIGN_OR_RETURN(uint64_t n_kv, r.Scalar<uint64_t>("the key count"));
  if (n_kv > kMaxKeys) return InvalidArgumentError(fmt::format("{}: {} metadata keys", path, n_kv));

  GgufVocab v;
  bool have_tokens = false;
  for (uint64_t i = 0; i < n_kv; ++i) {
    RSF_ASSIGN_OR_RETURN(std::string key, r.String("a metadata key"));
    RSF_ASSIGN_OR_RETURN(uint32_t type, r.Scalar<uint32_t>(key));
    if (key == "tokenizer.ggml.model") {
      if (type != kString) return InvalidArgumentError(fmt::format("{}: {} should be a string", path, key));
      RSF_ASSIGN_OR_RETURN(v.model, r.String(key));
    } else if (key == "tokenizer.ggml.tokens") {
      RSF_ASSIGN_OR_RETURN(uint64_t n, r.ArrayOf(type, kString, key));
      v.tokens.reserve(n);
      for (uint64_t k = 0; k < n; ++k) {
        RSF_ASSIGN_OR_RETURN(std::string t, r.String(key));
        v.tokens.push_back(std::move(t));
      }
      have_tokens = true;
    } else if (key == "tokenizer.ggml.scores") {
      RSF_ASSIGN_OR_RETURN(uint64_t n, r.ArrayOf(type, kF32, key));
      v.scores.resize(n);
      RSF_RETURN_IF_ERROR(r.Bytes(v.scores.data(), n * sizeof(float), key));
    } else if (key == "tokenizer.ggml.token_type") {
      RSF_ASSIGN_OR_RETURN(uint64_t n, r.ArrayOf(type, kI32, key));
      v.types.resize(n);
      RSF_RETURN_IF_ERROR(r.Bytes(v.types.data(), n * sizeof(int32_t), key));
    } else if (key == "tokenizer.ggml.unknown_token_id" || key == "tokenizer.ggml.bos_token_id" ||
               key == "tokenizer.ggml.eos_token_id") {
      RSF_ASSIGN_OR_RETURN(int64_t id, r.Integer(type, key));
      int32_t& slot = key == "tokenizer.ggml.unknown_token_id" ? v.unk
                      : key == "tokenizer.ggml.bos_token_id"   ? v.bos
                                                               : v.eos;
      slot = static_cast<int32_t>(id);
    } else if (key == "tokenizer.ggml.add_space_prefix") {
      if (type != kBool) return InvalidArgumentError(fmt::format("{}: {} should be a bool", path, key));
      RSF_ASSIGN_OR_RETURN(uint8_t b, r.Scalar<uint8_t>(key));
      v.add_space_prefix = b != 0;
    } else {
      RSF_RETURN_IF_ERROR(r.Skip(type, key));
    }
  }
  if (!have_tokens || v.tokens.empty()) {
    return InvalidArgumentError(fmt::format("{}: has no tokenizer.ggml.tokens (no vocabulary)", path));
  }
  const size_t n = v.tokens.size();
  if (v.scores.empty()) v.scores.assign(n, 0.0f);
  if (v.types.empty()) v.types.assign(n, kTokenNormal);
  if (v.scores.size() != n || v.types.size() != n) {
    return InvalidArgumentError(fmt::format("{}: tokenizer.ggml.scores and token_type must have {} entries, like tokens",
                                            path, n));
  }
  for (int32_t id : {v.unk, v.bos, v.eos}) {
    if (id >= static_cast<int64_t>(n)) {
      return InvalidArgumentError(fmt::format("{}: special token id {} is outside the vocabulary of {}", path, id, n));
    }
  }
  return v;
}

}  // namespace rsf::model::internal
