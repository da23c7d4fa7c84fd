#include "rsf/common/json.h"

#include <charconv>
#include <cmath>
#include <set>
#include <vector>

namespace rsf {
namespace {

// Decodes UTF-8 into UTF-16 code units for RFC 8785 member ordering.
std::u16string Utf16Of(const std::string& s) {
  std::u16string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<uint8_t>(s[i]);
    uint32_t cp;
    size_t len;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if ((c >> 5) == 6) {
      cp = c & 0x1f;
      len = 2;
    } else if ((c >> 4) == 14) {
      cp = c & 0x0f;
      len = 3;
    } else {
      cp = c & 0x07;
      len = 4;
    }
    for (size_t k = 1; k < len && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3f);
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xd800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

// Bytes a JCS string escapes: the quote, the backslash and the controls below 0x20.
struct JcsEscapes {
  bool is[256] = {};
  constexpr JcsEscapes() {
    for (int c = 0; c < 0x20; ++c) is[c] = true;
    is[static_cast<uint8_t>('"')] = is[static_cast<uint8_t>('\\')] = true;
  }
};
constexpr JcsEscapes kJcsEscapes;

void AppendJcsString(const std::string& s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // Runs of bytes that need no escape are copied at once.
    size_t j = i;
    while (j < n && !kJcsEscapes.is[static_cast<uint8_t>(s[j])]) ++j;
    out.append(s, i, j - i);
    if (j == n) break;
    const auto c = static_cast<uint8_t>(s[j]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
    i = j + 1;
  }
  out += '"';
}

Status AppendCanonical(const Json& v, std::string& out) {
  switch (v.type()) {
    case Json::value_t::null: out += "null"; return OkStatus();
    case Json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; return OkStatus();
    case Json::value_t::string: AppendJcsString(v.get_ref<const std::string&>(), out); return OkStatus();
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: {
      // JCS numbers are IEEE-754 doubles: an integer is canonical as the double it denotes,
      // and refused if that double would change its value.
      long double exact = v.is_number_unsigned() ? static_cast<long double>(v.get<uint64_t>())
                                                 : static_cast<long double>(v.get<int64_t>());
      double d = static_cast<double>(exact);
      std::string shortest = FormatJcsNumber(d);
      // Value-preserving if the double is exactly the integer, or if the integer is written
      // as that double's own canonical form (e.g. "555555555555555600", which JCS itself
      // produces for 5.555555555555556e17).
      if (static_cast<long double>(d) != exact && shortest != v.dump()) {
        return InvalidArgumentError("integer " + v.dump() +
                                    " is not exactly representable as an IEEE-754 double");
      }
      out += shortest;
      return OkStatus();
    }
    case Json::value_t::number_float: {
      double d = v.get<double>();
      if (!std::isfinite(d)) return InvalidArgumentError("non-finite number in JSON");
      out += FormatJcsNumber(d);
      return OkStatus();
    }
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v) {
        if (!first) out += ',';
        first = false;
        RSF_RETURN_IF_ERROR(AppendCanonical(item, out));
      }
      out += ']';
      return OkStatus();
    }
    case Json::value_t::object: {
      // The object's map is in UTF-8 byte order, which is UTF-16 code-unit order (what JCS
      // asks for) whenever every key is ASCII: then no sort is needed.
      bool ascii = true;
      for (auto it = v.begin(); ascii && it != v.end(); ++it) {
        for (unsigned char c : it.key()) ascii = ascii && c < 0x80;
      }
      if (ascii) {
        out += '{';
        bool first = true;
        for (auto it = v.begin(); it != v.end(); ++it) {
          if (!first) out += ',';
          first = false;
          AppendJcsString(it.key(), out);
          out += ':';
          RSF_RETURN_IF_ERROR(AppendCanonical(it.value(), out));
        }
        out += '}';
        return OkStatus();
      }
      std::vector<std::pair<std::u16string, const std::string*>> keys;
      keys.reserve(v.size());
      for (auto it = v.begin(); it != v.end(); ++it) keys.emplace_back(Utf16Of(it.key()), &it.key());
      std::sort(keys.begin(), keys.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      out += '{';
      bool first = true;
      for (const auto& [utf16, key] : keys) {
        if (!first) out += ',';
        first = false;
        AppendJcsString(*key, out);
        out += ':';
        RSF_RETURN_IF_ERROR(AppendCanonical(v.at(*key), out));
      }
      out += '}';
      return OkStatus();
    }
    case Json::value_t::binary:
    case Json::value_t::discarded:
      return InvalidArgumentError("JSON value has no canonical form");
  }
  return InternalError("unknown JSON type");
}

void LineColumn(std::string_view text, size_t byte, size_t& line, size_t& column) {
  line = 1;
  column = 1;
  for (size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
}

}  // namespace

std::string FormatJcsNumber(double value) {
  if (value == 0) return "0";  // also -0
  std::string out;
  if (value < 0) {
    out += '-';
    value = -value;
  }
  // Shortest round-trip digits in scientific form, e.g. "1.2345e+05".
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits += c;
  }
  int exponent = 0;
  std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+' ? 1 : 0), sci.data() + sci.size(),
                  exponent);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;  // value = 0.d1d2...dk * 10^n
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out += '.';
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += (n - 1 >= 0) ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

Result<Json> ParseJson(std::string_view text, std::string_view source) {
  // Track member names per open object to reject duplicates (RFC 8785 requires I-JSON).
  std::vector<std::set<std::string>> seen;
  std::string duplicate;
  auto callback = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start: seen.emplace_back(); break;
      case Json::parse_event_t::object_end:
        if (!seen.empty()) seen.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!seen.empty() && !seen.back().insert(parsed.get<std::string>()).second &&
            duplicate.empty()) {
          duplicate = parsed.get<std::string>();
        }
        break;
      default: break;
    }
    return true;
  };
  try {
    Json value = Json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/true);
    if (!duplicate.empty()) {
      return InvalidArgumentError(std::string(source) + ": duplicate member name \"" +
                                  duplicate + "\"");
    }
    return value;
  } catch (const Json::parse_error& e) {
    size_t line, column;
    LineColumn(text, e.byte > 0 ? e.byte - 1 : 0, line, column);
    std::string what = e.what();
    // nlohmann's message is "[json.exception.parse_error.101] parse error at line 1, column 5:
    // syntax error while parsing value - invalid literal; ..." — keep the part after "- ".
    auto dash = what.find(" - ");
    std::string detail = dash == std::string::npos ? what : what.substr(dash + 3);
    return InvalidArgumentError(std::string(source) + ":" + std::to_string(line) + ":" +
                                std::to_string(column) + ": " + detail);
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string(source) + ": " + e.what());
  }
}

Result<std::string> CanonicalJson(const Json& value) {
  std::string out;
  RSF_RETURN_IF_ERROR(AppendCanonical(value, out));
  return out;
}

Status AppendCanonicalJson(const Json& value, std::string& out) {
  const size_t size = out.size();
  Status s = AppendCanonical(value, out);
  if (!s.ok()) out.resize(size);
  return s;
}

std::string_view JsonTypeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::string: return "string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "number";
    case Json::value_t::array: return "array";
    case Json::value_t::object: return "object";
    default: return "value";
  }
}

Result<const Json*> RequireField(const Json& object, std::string_view field,
                                 std::string_view where) {
  if (!object.is_object()) {
    return InvalidArgumentError(std::string(where) + ": expected an object, got " +
                                std::string(JsonTypeName(object)));
  }
  auto it = object.find(field);
  if (it == object.end()) {
    return InvalidArgumentError(std::string(where) + ": missing field '" + std::string(field) +
                                "'");
  }
  return &*it;
}

Result<std::string> RequireString(const Json& object, std::string_view field,
                                  std::string_view where) {
  RSF_ASSIGN_OR_RETURN(const Json* v, RequireField(object, field, where));
  if (!v->is_string()) {
    return InvalidArgumentError(std::string(where) + ": field '" + std::string(field) +
                                "': expected a string, got " + std::string(JsonTypeName(*v)));
  }
  return v->get<std::string>();
}

Result<int64_t> RequireInt(const Json& object, std::string_view field, std::string_view where) {
  RSF_ASSIGN_OR_RETURN(const Json* v, RequireField(object, field, where));
  if (!v->is_number_integer()) {
    return InvalidArgumentError(std::string(where) + ": field '" + std::string(field) +
                                "': expected an integer, got " + std::string(JsonTypeName(*v)));
  }
  return v->get<int64_t>();
}

Result<std::string> OptionalString(const Json& object, std::string_view field,
                                   std::string_view where, std::string_view fallback) {
  if (!object.is_object()) {
    return InvalidArgumentError(std::string(where) + ": expected an object, got " +
                                std::string(JsonTypeName(object)));
  }
  auto it = object.find(field);
  if (it == object.end()) return std::string(fallback);
  if (!it->is_string()) {
    return InvalidArgumentError(std::string(where) + ": field '" + std::string(field) +
                                "': expected a string, got " + std::string(JsonTypeName(*it)));
  }
  return it->get<std::string>();
}

Result<bool> OptionalBool(const Json& object, std::string_view field, std::string_view where,
                          bool fallback) {
  if (!object.is_object()) {
    return InvalidArgumentError(std::string(where) + ": expected an object, got " +
                                std::string(JsonTypeName(object)));
  }
  auto it = object.find(field);
  if (it == object.end()) return fallback;
  if (!it->is_boolean()) {
    return InvalidArgumentError(std::string(where) + ": field '" + std::string(field) +
                                "': expected true or false, got " +
                                std::string(JsonTypeName(*it)));
  }
  return it->get<bool>();
}

namespace {

// The field's value, or nullptr when `object` is not an object or lacks it.
const Json* Find(const Json& object, std::string_view field) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(field);
  return it == object.end() ? nullptr : &*it;
}

}  // namespace

std::string StringOr(const Json& object, std::string_view field, std::string_view fallback) {
  const Json* v = Find(object, field);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string(fallback);
}

bool BoolOr(const Json& object, std::string_view field, bool fallback) {
  const Json* v = Find(object, field);
  return v != nullptr && v->is_boolean() ? v->get<bool>() : fallback;
}

int64_t IntOr(const Json& object, std::string_view field, int64_t fallback) {
  const Json* v = Find(object, field);
  if (v == nullptr) return fallback;
  if (v->is_number_unsigned()) {
    const uint64_t u = v->get<uint64_t>();
    return u <= static_cast<uint64_t>(INT64_MAX) ? static_cast<int64_t>(u) : fallback;
  }
  return v->is_number_integer() ? v->get<int64_t>() : fallback;
}

uint64_t UintOr(const Json& object, std::string_view field, uint64_t fallback) {
  const Json* v = Find(object, field);
  return v != nullptr && v->is_number_unsigned() ? v->get<uint64_t>() : fallback;
}

double NumberOr(const Json& object, std::string_view field, double fallback) {
  const Json* v = Find(object, field);
  return v != nullptr && v->is_number() ? v->get<double>() : fallback;
}

const Json& ArrayOr(const Json& object, std::string_view field) {
  static const Json* const kEmpty = new Json(Json::array());
  const Json* v = Find(object, field);
  return v != nullptr && v->is_array() ? *v : *kEmpty;
}

const Json& ObjectOr(const Json& object, std::string_view field) {
  static const Json* const kEmpty = new Json(Json::object());
  const Json* v = Find(object, field);
  return v != nullptr && v->is_object() ? *v : *kEmpty;
}

}  // namespace rsf
