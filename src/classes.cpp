#include "wandb/classes.h"

#include <algorithm>
#include <charconv>

#include "detail/guard.h"
#include "detail/text.h"
#include "wandb/errors.h"

namespace wandb {
namespace {
const char kLabelsError[] = "Class labels must be a dictionary of numbers to string";

bool parse_id(const std::string& text, int64_t& id) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, id);
  return result.ec == std::errc() && result.ptr == end;
}
}  // namespace

ClassLabels::ClassLabels(std::initializer_list<value_type> items) try {
  for (const auto& item : items) set(item.first, item.second);
} WANDB_PUBLIC_CALL("ClassLabels")

ClassLabels::ClassLabels(std::vector<value_type> items) try {
  for (auto& item : items) set(item.first, std::move(item.second));
} WANDB_PUBLIC_CALL("ClassLabels")

ClassLabels ClassLabels::from_json(const Json& object) try {
  if (!object.is_object()) {
    throw TypeError(std::string(kLabelsError) + ": expected an object, got " + object.type_name());
  }
  ClassLabels labels;
  for (auto it = object.begin(); it != object.end(); ++it) {
    int64_t id = 0;
    if (!parse_id(it.key(), id)) {
      throw TypeError(std::string(kLabelsError) + ": expected integer keys, got \"" + it.key() +
                      "\"");
    }
    if (!it.value().is_string()) {
      throw TypeError(std::string(kLabelsError) + ": expected a string name for id " + it.key() +
                      ", got " + it.value().type_name());
    }
    labels.set(id, it.value().get<std::string>());
  }
  return labels;
} WANDB_PUBLIC_CALL("ClassLabels::from_json")

void ClassLabels::set(int64_t id, std::string name) try {
  detail::check_text("class label " + std::to_string(id), name);
  for (auto& item : items_) {
    if (item.first == id) {
      item.second = std::move(name);
      return;
    }
  }
  items_.emplace_back(id, std::move(name));
} WANDB_PUBLIC_CALL("ClassLabels::set")

void ClassLabels::update(const ClassLabels& other) try {
  for (const auto& item : other.items_) set(item.first, item.second);
} WANDB_PUBLIC_CALL("ClassLabels::update")

const std::string* ClassLabels::find(int64_t id) const {
  for (const auto& item : items_) {
    if (item.first == id) return &item.second;
  }
  return nullptr;
}

Json ClassLabels::to_json() const try {
  Json out = Json::object();
  for (const auto& [id, name] : items_) out[std::to_string(id)] = name;
  return out;
} WANDB_PUBLIC_CALL("ClassLabels::to_json")

ClassLabels default_class_labels(std::vector<int64_t> ids) try {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  ClassLabels labels;
  for (int64_t id : ids) labels.set(id, "class_" + std::to_string(id));
  return labels;
} WANDB_PUBLIC_CALL("default_class_labels")

Classes::Classes(const ClassLabels& labels) try {
  for (const auto& [id, name] : labels) items_.push_back({id, name});
} WANDB_PUBLIC_CALL("Classes")

Classes Classes::from_json(const Json& list) try {
  detail::check_json_text("classes", list);
  if (!list.is_array()) {
    throw TypeError(std::string("classes: expected a list of {\"id\", \"name\"}, got ") +
                    list.type_name());
  }
  std::vector<ClassInfo> items;
  for (const auto& entry : list) {
    if (!entry.is_object() || !entry.contains("id") || !entry.contains("name") ||
        !detail::is_int64(entry["id"]) || !entry["name"].is_string()) {
      throw TypeError("classes: expected entries {\"id\": <integer>, \"name\": <string>}, got " +
                      detail::json_excerpt(entry));
    }
    items.push_back({entry["id"].get<int64_t>(), entry["name"].get<std::string>()});
  }
  return Classes(std::move(items));
} WANDB_PUBLIC_CALL("Classes::from_json")

ClassLabels Classes::labels() const try {
  ClassLabels labels;
  for (const auto& item : items_) labels.set(item.id, item.name);
  return labels;
} WANDB_PUBLIC_CALL("Classes::labels")

Json Classes::to_json() const try {
  Json set = Json::array();
  for (const auto& item : items_) set.push_back({{"id", item.id}, {"name", item.name}});
  return Json{{"_type", "classes"}, {"class_set", std::move(set)}};
} WANDB_PUBLIC_CALL("Classes::to_json")

}  // namespace wandb
