// Bounding-box layers: the SDK's wandb.data_types.BoundingBoxes2D.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "wandb/classes.h"
#include "wandb/export.h"
#include "wandb/fwd.h"
#include "wandb/json.h"

namespace wandb {

/// Coordinate domain of a box: fractions of the image size, or pixels.
enum class BoxDomain { kFraction, kPixel };

/// Corner form: x runs along the width, y along the height.
struct BoxCorners {
  double min_x = 0, min_y = 0, max_x = 0, max_y = 0;
};

/// Centre form: the SDK's {"middle": [x, y], "width": w, "height": h}.
struct BoxCenter {
  double mid_x = 0, mid_y = 0, width = 0, height = 0;
};

/// One box, e.g. `Box{.position = BoxCorners{0.1, 0.2, 0.5, 0.6}, .class_id = 3}`.
struct WANDB_IMAGE_EXPORT Box {
  std::variant<BoxCorners, BoxCenter> position{};
  BoxDomain domain = BoxDomain::kFraction;
  /// Required unless the layer has class labels (the SDK derives default labels from it).
  std::optional<int64_t> class_id{};
  std::optional<std::string> caption{};
  std::vector<std::pair<std::string, double>> scores{};

  /// Corners in the box's own domain, whichever form it was given in.
  BoxCorners corners() const;
};

/// Layout of the rows of an (N, 4) box tensor.
enum class BoxFormat { kXYXY, kXYWH, kCXCYWH };

/// Parses "xyxy", "xywh" or "cxcywh"; throws ValueError otherwise.
WANDB_IMAGE_EXPORT BoxFormat parse_box_format(const std::string& name);

/// Options of BoundingBoxes2D::from_tensors. With C++20:
/// `from_tensors(boxes, ids, scores, {.format = BoxFormat::kXYWH, .class_labels = labels})`.
struct BoxTensorOptions {
  /// Layout of each row of the (N, 4) box tensor.
  BoxFormat format = BoxFormat::kXYXY;
  /// Pixels, or fractions of the image size.
  BoxDomain domain = BoxDomain::kPixel;
  /// The key of each box's score (with the scores overload).
  std::string score_name = "score";
  /// Unset: {id: "class_<id>"} for each id, as the SDK derives them.
  std::optional<ClassLabels> class_labels{};
};

/// A layer of boxes with class labels, validated on construction.
class WANDB_IMAGE_EXPORT BoundingBoxes2D {
 public:
  /// From the SDK's dict shape: {"box_data": [...], "class_labels": {"1": "car"}}.
  /// Validation and messages follow the SDK (TypeError/ValueError).
  explicit BoundingBoxes2D(const Json& layer);
  /// From typed boxes; without labels, they default to {id: "class_<id>"}.
  explicit BoundingBoxes2D(std::vector<Box> boxes,
                           std::optional<ClassLabels> class_labels = std::nullopt);

  /// From detector output: `boxes` (N, 4), `class_ids` (N) integers, and with
  /// the second form `scores` (N), any floating or integer dtype, stored
  /// under `options.score_name`. Tensors may be on any device. ValueError
  /// for shapes that do not match, TypeError for non-integer class ids.
  static BoundingBoxes2D from_tensors(const at::Tensor& boxes, const at::Tensor& class_ids,
                                      const BoxTensorOptions& options);
  static BoundingBoxes2D from_tensors(const at::Tensor& boxes, const at::Tensor& class_ids,
                                      const at::Tensor& scores,
                                      const BoxTensorOptions& options = {});
  /// Deprecated: the positional form, kept so existing code compiles; prefer
  /// the two above. `scores` may be null (no scores).
  static BoundingBoxes2D from_tensors(const at::Tensor& boxes,
                                      const at::Tensor& class_ids,
                                      BoxFormat format = BoxFormat::kXYXY,
                                      BoxDomain domain = BoxDomain::kPixel,
                                      const at::Tensor* scores = nullptr,
                                      const std::string& score_name = "score",
                                      std::optional<ClassLabels> class_labels = std::nullopt);

  const std::vector<Box>& boxes() const noexcept { return state_->boxes; }
  const ClassLabels& class_labels() const noexcept { return state_->labels; }
  /// True when labels were given rather than defaulted.
  bool has_explicit_labels() const noexcept { return state_->explicit_labels; }
  /// The layer as written to its .boxes2D.json file: box_data and, if given, class_labels.
  const Json& json() const noexcept { return state_->json; }
  /// The file bytes (Python json.dumps of json()).
  const std::string& file_content() const noexcept { return state_->content; }
  bool operator==(const BoundingBoxes2D& other) const { return state_->json == other.state_->json; }

 private:
  struct State {
    std::vector<Box> boxes;
    ClassLabels labels;
    bool explicit_labels = false;
    Json json;
    std::string content;
  };
  static void finish(State& state, std::optional<ClassLabels> labels);
  std::shared_ptr<const State> state_;
};

}  // namespace wandb
