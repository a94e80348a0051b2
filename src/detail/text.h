// The one rule for text that enters the library: valid UTF-8 (it ends up in
// protobuf string fields and JSON files, which require it), and JSON nested
// no deeper than kMaxJsonDepth (the library walks JSON recursively).
// Text that breaks the rule is refused with ValueError, never repaired.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wandb/errors.h"
#include "wandb/json.h"

namespace wandb::detail {

/// Deepest JSON nesting accepted (the SDK's own shapes are 4 deep).
inline constexpr std::size_t kMaxJsonDepth = 64;

/// Length of the well-formed UTF-8 sequence starting at s[i] (1 to 4), or 0
/// when there is none: no overlong forms, no UTF-16 surrogates, nothing
/// above U+10FFFF.
inline std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  std::size_t len = 0;
  if (c < 0x80) {
    return 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  if ((c == 0xE0 && byte(i + 1) < 0xA0) || (c == 0xED && byte(i + 1) > 0x9F) ||
      (c == 0xF0 && byte(i + 1) < 0x90) || (c == 0xF4 && byte(i + 1) > 0x8F)) {
    return 0;
  }
  return len;
}

/// True when `s` is well-formed UTF-8.
inline bool valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t len = utf8_sequence(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

/// `s` with each byte that starts no well-formed sequence replaced by U+FFFD:
/// for text the library records but does not take as an argument (console
/// output), which must still be UTF-8 in a protobuf string.
inline std::string repair_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t len = utf8_sequence(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

/// `s` for an error message: bytes that are not printable ASCII as \xNN, at
/// most 80 of them.
inline std::string printable(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < 80; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (s.size() > 80) out += "...";
  return out;
}

/// `value` as JSON text for an error message, through printable(): never
/// throws for invalid UTF-8 (nlohmann's strict dump() would), never long.
inline std::string json_excerpt(const Json& value) {
  return printable(value.dump(-1, ' ', false, Json::error_handler_t::replace));
}

/// ValueError("<what>: expected valid UTF-8 text, got \"...\"") unless `s` is.
inline void check_text(std::string_view what, std::string_view s) {
  if (!valid_utf8(s)) {
    throw ValueError(std::string(what) + ": expected valid UTF-8 text, got \"" + printable(s) + "\"");
  }
}

/// Checks every string and object key in `value` with check_text, and its
/// depth against kMaxJsonDepth; iterative, so any depth is safe to check.
inline void check_json_text(std::string_view what, const Json& value) {
  std::vector<std::pair<const Json*, std::size_t>> stack{{&value, 1}};
  while (!stack.empty()) {
    const auto [node, depth] = stack.back();
    stack.pop_back();
    if (node->is_string()) {
      check_text(what, node->get_ref<const std::string&>());
      continue;
    }
    if (!node->is_structured()) continue;
    if (depth > kMaxJsonDepth) {
      throw ValueError(std::string(what) + ": expected JSON nested at most " +
                       std::to_string(kMaxJsonDepth) + " deep, got deeper");
    }
    for (auto it = node->begin(); it != node->end(); ++it) {
      if (node->is_object()) check_text(what, it.key());
      stack.emplace_back(&*it, depth + 1);
    }
  }
}

/// A JSON integer that fits int64_t (JSON also holds unsigned values up to
/// 2^64 - 1, which would wrap).
inline bool is_int64(const Json& v) {
  return v.is_number_integer() &&
         !(v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX));
}

}  // namespace wandb::detail
