// Class labels: the id -> name maps carried by boxes, masks and images.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wandb/export.h"
#include "wandb/json.h"

namespace wandb {

/// An insertion-ordered map from class id to name (Python dict semantics:
/// setting an existing id replaces its name and keeps its position).
class WANDB_IMAGE_EXPORT ClassLabels {
 public:
  using value_type = std::pair<int64_t, std::string>;
  ClassLabels() = default;
  ClassLabels(std::initializer_list<value_type> items);
  explicit ClassLabels(std::vector<value_type> items);

  /// From a JSON object {"<id>": "<name>"}; ids must be integer strings or numbers.
  /// Throws TypeError "Class labels must be a dictionary of numbers to string".
  static ClassLabels from_json(const Json& object);

  void set(int64_t id, std::string name);
  /// Adds every entry of `other`, later entries winning.
  void update(const ClassLabels& other);
  const std::string* find(int64_t id) const;
  bool empty() const noexcept { return items_.empty(); }
  std::size_t size() const noexcept { return items_.size(); }
  auto begin() const noexcept { return items_.begin(); }
  auto end() const noexcept { return items_.end(); }
  const std::vector<value_type>& items() const noexcept { return items_; }
  /// {"<id>": "<name>", ...} in insertion order.
  Json to_json() const;
  bool operator==(const ClassLabels& other) const { return items_ == other.items_; }
  bool operator!=(const ClassLabels& other) const { return !(*this == other); }

 private:
  std::vector<value_type> items_;
};

/// Labels {id: "class_<id>"} for each distinct id, sorted ascending.
WANDB_IMAGE_EXPORT ClassLabels default_class_labels(std::vector<int64_t> ids);

/// One entry of wandb.Classes.
struct ClassInfo {
  int64_t id = 0;
  std::string name;
  bool operator==(const ClassInfo& o) const { return id == o.id && name == o.name; }
};

/// The SDK's `wandb.Classes`: a list of {id, name}.
class WANDB_IMAGE_EXPORT Classes {
 public:
  Classes() = default;
  Classes(std::initializer_list<ClassInfo> items) : items_(items) {}
  explicit Classes(std::vector<ClassInfo> items) : items_(std::move(items)) {}
  explicit Classes(const ClassLabels& labels);
  /// From [{"id": 1, "name": "cat"}, ...]; throws TypeError on another shape.
  static Classes from_json(const Json& list);

  const std::vector<ClassInfo>& items() const noexcept { return items_; }
  bool empty() const noexcept { return items_.empty(); }
  ClassLabels labels() const;
  /// {"_type": "classes", "class_set": [{"id": .., "name": ..}, ...]}
  Json to_json() const;
  bool operator==(const Classes& other) const { return items_ == other.items_; }
  bool operator!=(const Classes& other) const { return !(*this == other); }

 private:
  std::vector<ClassInfo> items_;
};

}  // namespace wandb
