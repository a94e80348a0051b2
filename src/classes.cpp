#include "wandb/classes.h"

#include <algorithm>
#include <charconv>

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

ClassLabels::ClassLabels(std::initializer_list<value_type> items) {
  for (const auto& item : items) set(item.first, item.second);
}

ClassLabels::ClassLabels(std::vector<value_type> items) {
  for (auto& item : items) set(item.first, std::move(item.second));
}

ClassLabels ClassLabels::from_json(const Json& object) {
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
}

void ClassLabels::set(int64_t id, std::string name) {
  detail::check_text("class label " + std::to_string(id), name);
  for (auto& item : items_) {
    if (item.first == id) {
      item.second = std::move(name);
      return;
    }
  }
  items_.emplace_back(id, std::move(name));
}

void ClassLabels::update(const ClassLabels& other) {
  for (const auto& item : other.items_) set(item.first, item.second);
}

const std::string* ClassLabels::find(int64_t id) const {
  for (const auto& item : items_) {
    if (item.first == id) return &item.second;
  }
  return nullptr;
}

Json ClassLabels::to_json() const {
  Json out = Json::object();
  for (const auto& [id, name] : items_) out[std::to_string(id)] = name;
  return out;
}

ClassLabels default_class_labels(std::vector<int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  ClassLabels labels;
  for (int64_t id : ids) labels.set(id, "class_" + std::to_string(id));
  return labels;
}

Classes::Classes(const ClassLabels& labels) {
  for (const auto& [id, name] : labels) items_.push_back({id, name});
}

Classes Classes::from_json(const Json& list) {
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
                      entry.dump());
    }
    items.push_back({entry["id"].get<int64_t>(), entry["name"].get<std::string>()});
  }
  return Classes(std::move(items));
}

ClassLabels Classes::labels() const {
  ClassLabels labels;
  for (const auto& item : items_) labels.set(item.id, item.name);
  return labels;
}

Json Classes::to_json() const {
  Json set = Json::array();
  for (const auto& item : items_) set.push_back({{"id", item.id}, {"name", item.name}});
  return Json{{"_type", "classes"}, {"class_set", std::move(set)}};
}

}  // namespace wandb
