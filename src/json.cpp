#include "wandb/json.h"

#include <cmath>

namespace wandb {
namespace {

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
        out += v.dump();
      }
      break;
    }
    default:
      // Strings, numbers and literals: nlohmann's output already matches Python's
      // (shortest round-trip floats, lower-case \u escapes with ensure_ascii).
      out += v.dump(-1, ' ', true, Json::error_handler_t::replace);
      break;
  }
}

}  // namespace

std::string dumps_python(const Json& value) {
  std::string out;
  dump(value, out);
  return out;
}

}  // namespace wandb
