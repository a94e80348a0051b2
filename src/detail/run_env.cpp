#include "detail/run_env.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "detail/text.h"
#include "wandb/errors.h"

namespace wandb::detail {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return std::string(s.substr(first, last - first + 1));
}

}  // namespace

RunOptions with_environment(RunOptions options, const Getenv& getenv) {
  const auto env = [&](const char* name) -> std::optional<std::string> {
    const char* value = getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
  const auto fill = [&](std::optional<std::string>& field, const char* name) {
    if (!field) field = env(name);
  };
  if (!options.dir) {
    const auto dir = env("WANDB_DIR");
    options.dir = dir ? std::filesystem::path(*dir) : std::filesystem::path(".");
  }
  fill(options.project, "WANDB_PROJECT");
  if (!options.project) options.project = "uncategorized";
  fill(options.entity, "WANDB_ENTITY");
  fill(options.name, "WANDB_NAME");
  fill(options.group, "WANDB_RUN_GROUP");
  fill(options.job_type, "WANDB_JOB_TYPE");
  fill(options.notes, "WANDB_NOTES");
  fill(options.id, "WANDB_RUN_ID");
  if (options.tags.empty()) {
    if (const auto tags = env("WANDB_TAGS")) {
      std::string_view rest = *tags;
      while (true) {
        const auto comma = rest.find(',');
        std::string tag = trimmed(rest.substr(0, comma));
        if (!tag.empty()) options.tags.push_back(std::move(tag));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
  }
  if (!options.sync) {
    options.sync = Sync::kOffline;
    if (const auto mode = env("WANDB_MODE")) {
      const std::string m = lower(*mode);
      if (m == "offline" || m == "dryrun") {
        options.sync = Sync::kOffline;
      } else if (m == "online" || m == "run") {
        options.sync = Sync::kLive;
      } else if (m == "disabled") {
        options.sync = Sync::kDisabled;
      } else {
        throw ValueError("WANDB_MODE: expected offline, online or disabled, got \"" + printable(*mode) + "\"");
      }
    }
  }
  if (!options.silent) {
    options.silent = false;
    if (const auto silent = env("WANDB_SILENT")) {
      const std::string s = lower(trimmed(*silent));
      if (s == "true" || s == "1" || s == "yes" || s == "on") {
        options.silent = true;
      } else if (!(s == "false" || s == "0" || s == "no" || s == "off")) {
        throw ValueError("WANDB_SILENT: expected true or false, got \"" + printable(*silent) + "\"");
      }
    }
  }
  return options;
}

}  // namespace wandb::detail
