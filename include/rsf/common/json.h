// include/rsf/common/json.h
//
// JSON for rsf: strict parsing (I-JSON: no duplicate member names, errors with line and
// column), RFC 8785 canonical serialisation (JCS) for anything that is hashed or signed, and
// typed field access with errors that name the field.
//
// This is the only public header that exposes nlohmann::json.
//
// Thread safety: stateless functions, safe to call concurrently on distinct values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rsf/common/status.h"

namespace rsf {

using Json = nlohmann::json;

// Parses `text`. `source` names the input in errors ("entry.json", "stdin", "request body").
// kInvalidArgument: syntax error ("<source>:<line>:<column>: ..."), a duplicate member name,
// or invalid UTF-8.
Result<Json> ParseJson(std::string_view text, std::string_view source = "input");

// RFC 8785 JSON Canonicalization Scheme: members sorted by UTF-16 code units, no whitespace,
// minimal string escapes, numbers in ECMAScript shortest form.
// kInvalidArgument: a non-finite number, or an integer that the IEEE-754 double JCS
// prescribes cannot represent exactly (such as 2^53 + 1).
Result<std::string> CanonicalJson(const Json& value);
// CanonicalJson appended to `out` (left as it was on error), for encoders that frame a value
// without copying it into a larger tree.
Status AppendCanonicalJson(const Json& value, std::string& out);

// The ECMAScript Number.prototype.toString form of `value` used by RFC 8785.
// REQUIRES: value is finite.
std::string FormatJcsNumber(double value);

// Typed accessors for objects. `where` prefixes errors ("entry", "policy.levels[2]").
// kInvalidArgument if the field is missing or has the wrong type.
Result<std::string> RequireString(const Json& object, std::string_view field,
                                  std::string_view where);
Result<int64_t> RequireInt(const Json& object, std::string_view field, std::string_view where);
Result<const Json*> RequireField(const Json& object, std::string_view field,
                                 std::string_view where);

// Optional fields: `fallback` when `object` has no `field`; kInvalidArgument naming `where` and
// the field when it holds another type, or when `object` is not an object.
Result<std::string> OptionalString(const Json& object, std::string_view field,
                                   std::string_view where, std::string_view fallback = "");
Result<bool> OptionalBool(const Json& object, std::string_view field, std::string_view where,
                          bool fallback = false);

// Lenient reads, for showing or summarising JSON that came from elsewhere (a server's answer,
// a stored report): the field when `object` is an object holding `field` with that type,
// otherwise `fallback`. Unlike Json::value, which throws on a field of another type (or on a
// value that is not an object), these never throw.
std::string StringOr(const Json& object, std::string_view field, std::string_view fallback = "");
bool BoolOr(const Json& object, std::string_view field, bool fallback = false);
// An integer that fits in int64_t (a fraction or a larger number gives `fallback`).
int64_t IntOr(const Json& object, std::string_view field, int64_t fallback = 0);
// A non-negative integer.
uint64_t UintOr(const Json& object, std::string_view field, uint64_t fallback = 0);
// Any number.
double NumberOr(const Json& object, std::string_view field, double fallback = 0);
// The field when it is an array (an object), else a shared empty array (object).
const Json& ArrayOr(const Json& object, std::string_view field);
const Json& ObjectOr(const Json& object, std::string_view field);

// "string", "number", "object", ... for error messages.
std::string_view JsonTypeName(const Json& value);

}  // namespace rsf
