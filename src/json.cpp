#include "wandb/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "detail/guard.h"

namespace wandb {
namespace {

// Python's float repr: the shortest digits that round-trip (std::to_chars gives
// the same ones), in fixed notation when the decimal exponent is in [-4, 16),
// else as d.ddde+XX. nlohmann's own output switches to exponents one decade
// early (1e15 -> "1e+15" where Python prints "1000000000000000.0"), and its
// Grisu2 digits are not always the shortest (-3.556169393814842e-26).
std::string python_float(double d) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
  std::string out;
  out.reserve(32);
  if (s.front() == '-') {
    out.push_back('-');
    s.remove_prefix(1);
  }
  const size_t e = s.find('e');
  std::string_view exp_text = s.substr(e + 1);
  if (exp_text.front() == '+') exp_text.remove_prefix(1);
  int exponent = 0;
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  char digits[32];
  size_t n = 0;
  for (char c : s.substr(0, e)) {
    if (c != '.') digits[n++] = c;  // drop the '.' after the first digit
  }
  const int point = exponent + 1;  // digits before the decimal point
  if (exponent >= -4 && exponent < 16) {
    if (point <= 0) {
      out.append("0.").append(static_cast<size_t>(-point), '0').append(digits, n);
    } else if (static_cast<size_t>(point) >= n) {
      out.append(digits, n).append(static_cast<size_t>(point) - n, '0').append(".0");
    } else {
      const auto p = static_cast<size_t>(point);
      out.append(digits, p).append(1, '.').append(digits + p, n - p);
    }
    return out;
  }
  out.push_back(digits[0]);
  if (n > 1) out.append(1, '.').append(digits + 1, n - 1);
  char exp[16];
  std::snprintf(exp, sizeof exp, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  return out.append(exp);
}

void dump(const Json& v, std::string& out) {
  switch (v.type()) {
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ", ";
        first = false;
        out += Json(it.key()).dump(-1, ' ', true, Json::error_handler_t::replace);
        out += ": ";
        dump(it.value(), out);
      }
      out += '}';
      break;
    }
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v) {
        if (!first) out += ", ";
        first = false;
        dump(item, out);
      }
      out += ']';
      break;
    }
    case Json::value_t::number_float: {
      const double d = v.get<double>();
      if (std::isnan(d)) {
        out += "NaN";
      } else if (std::isinf(d)) {
        out += d > 0 ? "Infinity" : "-Infinity";
      } else {
        out += python_float(d);
      }
      break;
    }
    default:
      // Strings, integers and literals: nlohmann's output already matches Python's
      // (lower-case \u escapes with ensure_ascii).
      out += v.dump(-1, ' ', true, Json::error_handler_t::replace);
      break;
  }
}

}  // namespace

std::string dumps_python(const Json& value) try {
  std::string out;
  dump(value, out);
  return out;
} WANDB_PUBLIC_CALL("dumps_python")

}  // namespace wandb
