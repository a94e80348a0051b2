#include "wandb/boxes.h"

#include <cmath>

#include "detail/guard.h"
#include "detail/text.h"
#include "wandb/errors.h"

namespace wandb {
namespace {

const char kPositionError[] =
    "Each box must contain a position with: middle, width, and height or minX, maxX, minY, maxY.";

bool is_number(const Json& v) { return v.is_number(); }  // JSON booleans are not numbers

bool has_num(const Json& object, const char* key) {
  return object.contains(key) && is_number(object[key]);
}

std::string where(size_t index) { return " (box " + std::to_string(index) + ")"; }

void check_finite(double v, size_t index, const char* what) {
  if (!std::isfinite(v)) {
    throw ValueError(std::string("box position: expected finite numbers for ") + what + ", got " +
                     std::to_string(v) + where(index));
  }
}

Box parse_box(const Json& j, size_t index) {
  if (!j.is_object() || !j.contains("position") || !j["position"].is_object()) {
    throw TypeError(std::string(kPositionError) + where(index));
  }
  const Json& p = j["position"];
  Box box;
  if (p.contains("middle") && p["middle"].is_array() && p["middle"].size() == 2 &&
      is_number(p["middle"][0]) && is_number(p["middle"][1]) && has_num(p, "width") &&
      has_num(p, "height")) {
    BoxCenter c{p["middle"][0].get<double>(), p["middle"][1].get<double>(),
                p["width"].get<double>(), p["height"].get<double>()};
    check_finite(c.mid_x, index, "middle");
    check_finite(c.mid_y, index, "middle");
    check_finite(c.width, index, "width");
    check_finite(c.height, index, "height");
    box.position = c;
  } else if (has_num(p, "minX") && has_num(p, "maxX") && has_num(p, "minY") &&
             has_num(p, "maxY")) {
    BoxCorners c{p["minX"].get<double>(), p["minY"].get<double>(), p["maxX"].get<double>(),
                 p["maxY"].get<double>()};
    check_finite(c.min_x, index, "minX");
    check_finite(c.min_y, index, "minY");
    check_finite(c.max_x, index, "maxX");
    check_finite(c.max_y, index, "maxY");
    box.position = c;
  } else {
    throw TypeError(std::string(kPositionError) + where(index));
  }
  if (j.contains("scores")) {
    const Json& s = j["scores"];
    if (!s.is_object()) throw TypeError("Box scores must be a dictionary" + where(index));
    for (auto it = s.begin(); it != s.end(); ++it) {
      if (!is_number(it.value())) {
        throw TypeError("A score value must be a number: expected a number for \"" + it.key() +
                        "\", got " + it.value().type_name() + where(index));
      }
      box.scores.emplace_back(it.key(), it.value().get<double>());
    }
  }
  if (j.contains("class_id")) {
    const Json& id = j["class_id"];
    if (!id.is_number_integer()) {
      throw TypeError(std::string("A box's class_id must be an integer: got ") + detail::json_excerpt(id) +
                      where(index));
    }
    if (!detail::is_int64(id)) {
      throw ValueError("box class_id: expected an integer below 2^63, got " + detail::json_excerpt(id) + where(index));
    }
    box.class_id = id.get<int64_t>();
  }
  if (j.contains("box_caption")) {
    if (!j["box_caption"].is_string()) {
      throw TypeError(std::string("A box's caption must be a string: got ") +
                      j["box_caption"].type_name() + where(index));
    }
    box.caption = j["box_caption"].get<std::string>();
  }
  if (j.contains("domain")) {
    if (!j["domain"].is_string()) {
      throw TypeError(std::string("A box's domain must be a string (\"pixel\" or absent): got ") +
                      j["domain"].type_name() + where(index));
    }
    box.domain = j["domain"].get<std::string>() == "pixel" ? BoxDomain::kPixel : BoxDomain::kFraction;
  }
  return box;
}

Json box_to_json(const Box& box, size_t index) {
  Json j = Json::object();
  if (const auto* c = std::get_if<BoxCorners>(&box.position)) {
    check_finite(c->min_x, index, "min_x");
    check_finite(c->min_y, index, "min_y");
    check_finite(c->max_x, index, "max_x");
    check_finite(c->max_y, index, "max_y");
    j["position"] = {{"minX", c->min_x}, {"maxX", c->max_x}, {"minY", c->min_y}, {"maxY", c->max_y}};
  } else {
    const auto& m = std::get<BoxCenter>(box.position);
    check_finite(m.mid_x, index, "mid_x");
    check_finite(m.mid_y, index, "mid_y");
    check_finite(m.width, index, "width");
    check_finite(m.height, index, "height");
    j["position"] = {{"middle", {m.mid_x, m.mid_y}}, {"width", m.width}, {"height", m.height}};
  }
  if (box.domain == BoxDomain::kPixel) j["domain"] = "pixel";
  if (box.class_id) j["class_id"] = *box.class_id;
  if (box.caption) {
    detail::check_text("box caption" + where(index), *box.caption);
    j["box_caption"] = *box.caption;
  }
  if (!box.scores.empty()) {
    Json scores = Json::object();
    for (const auto& [name, value] : box.scores) {
      detail::check_text("box score name" + where(index), name);
      if (!std::isfinite(value)) {
        throw ValueError("A score value must be a number: expected a finite value for \"" + name +
                         "\", got " + std::to_string(value) + where(index));
      }
      scores[name] = value;
    }
    j["scores"] = std::move(scores);
  }
  return j;
}

}  // namespace

BoxCorners Box::corners() const try {
  if (const auto* c = std::get_if<BoxCorners>(&position)) return *c;
  const auto& m = std::get<BoxCenter>(position);
  return {m.mid_x - m.width / 2, m.mid_y - m.height / 2, m.mid_x + m.width / 2,
          m.mid_y + m.height / 2};
} WANDB_PUBLIC_CALL("Box::corners")

BoxFormat parse_box_format(const std::string& name) try {
  if (name == "xyxy") return BoxFormat::kXYXY;
  if (name == "xywh") return BoxFormat::kXYWH;
  if (name == "cxcywh") return BoxFormat::kCXCYWH;
  throw ValueError("box format: expected \"xyxy\", \"xywh\" or \"cxcywh\", got \"" + name + "\"");
} WANDB_PUBLIC_CALL("parse_box_format")

BoundingBoxes2D::BoundingBoxes2D(const Json& layer) try {
  detail::check_json_text("boxes layer", layer);  // before anything copies or dumps it
  if (!layer.is_object()) {
    throw TypeError(std::string("boxes layer: expected an object with \"box_data\", got ") +
                    layer.type_name());
  }
  auto state = std::make_shared<State>();
  std::optional<ClassLabels> labels;
  if (layer.contains("class_labels")) labels = ClassLabels::from_json(layer["class_labels"]);
  if (!layer.contains("box_data")) {
    throw ValueError("boxes layer: expected a \"box_data\" list, got an object without one");
  }
  const Json& data = layer["box_data"];
  if (!data.is_array()) {
    throw TypeError(std::string("Boxes must be a list: got ") + data.type_name());
  }
  for (size_t i = 0; i < data.size(); ++i) state->boxes.push_back(parse_box(data[i], i));
  state->json = layer;
  finish(*state, std::move(labels));
  state_ = std::move(state);
} WANDB_PUBLIC_CALL("BoundingBoxes2D")

BoundingBoxes2D::BoundingBoxes2D(std::vector<Box> boxes, std::optional<ClassLabels> class_labels) try {
  auto state = std::make_shared<State>();
  Json data = Json::array();
  for (size_t i = 0; i < boxes.size(); ++i) data.push_back(box_to_json(boxes[i], i));
  state->json = Json{{"box_data", std::move(data)}};
  if (class_labels) state->json["class_labels"] = class_labels->to_json();
  state->boxes = std::move(boxes);
  finish(*state, std::move(class_labels));
  state_ = std::move(state);
} WANDB_PUBLIC_CALL("BoundingBoxes2D")

void BoundingBoxes2D::finish(State& state, std::optional<ClassLabels> labels) {
  if (labels) {
    state.labels = std::move(*labels);
    state.explicit_labels = true;
  } else {
    std::vector<int64_t> ids;
    for (size_t i = 0; i < state.boxes.size(); ++i) {
      if (!state.boxes[i].class_id) {
        throw ValueError("box class_id: expected an integer class_id when the layer has no "
                         "class_labels, got none" + where(i));
      }
      ids.push_back(*state.boxes[i].class_id);
    }
    state.labels = default_class_labels(std::move(ids));
  }
  state.content = dumps_python(state.json);
}

}  // namespace wandb
