#include "image_class.h"

#include <ATen/ATen.h>
#include <ATen/core/custom_class.h>
#include <c10/util/Exception.h>

#include <cstring>
#include <exception>

#include "wandb/errors.h"

namespace wandb::ops::detail {
namespace {

constexpr int64_t kStateVersion = 1;

std::vector<uint8_t> tensor_bytes(const at::Tensor& t, const char* what) {
  if (!t.defined() || t.dim() != 1 || t.scalar_type() != at::kByte) {
    throw ValueError(std::string(what) + ": expected a 1-D uint8 tensor, got " +
                     (t.defined() ? std::string(c10::toString(t.scalar_type())) + " of rank " +
                                        std::to_string(t.dim())
                                  : std::string("an undefined tensor")));
  }
  const at::Tensor c = t.contiguous().cpu();
  const auto* p = static_cast<const uint8_t*>(c.data_ptr());
  return std::vector<uint8_t>(p, p + c.numel());
}

std::optional<ClassLabels> to_labels(const c10::optional<LabelDict>& dict) {
  if (!dict) return std::nullopt;
  ClassLabels labels;
  for (const auto& entry : *dict) labels.set(entry.key(), entry.value());
  return labels;
}

BoxDomain parse_domain(const std::string& name) {
  if (name == "pixel") return BoxDomain::kPixel;
  if (name == "fraction") return BoxDomain::kFraction;
  throw ValueError("box domain: expected \"pixel\" or \"fraction\", got \"" + name + "\"");
}

// The classes an image would get from its layers alone; anything else came
// from the `classes` option and must be passed on explicitly.
std::optional<Classes> extra_classes(const Image& image) {
  if (!image.classes()) return std::nullopt;
  ClassLabels derived;
  for (const auto& layer : image.boxes()) derived.update(layer.second.class_labels());
  for (const auto& layer : image.masks()) derived.update(layer.second.class_labels());
  if (!derived.empty() && Classes(derived) == *image.classes()) return std::nullopt;
  return image.classes();
}

// Adding a layer builds a new Image: Image(other, overrides) takes boxes and
// masks only from the overrides, so every existing layer is passed again.
ImagePtr with_layers(const Image& image, Layers<BoundingBoxes2D> boxes, Layers<ImageMask> masks) {
  ImageOptions options;
  options.classes = extra_classes(image);
  options.boxes = std::move(boxes);
  options.masks = std::move(masks);
  return c10::make_intrusive<ImageHolder>(Image(image, std::move(options)));
}

// Quoted like a JSON string; bytes that are not UTF-8 become U+FFFD rather
// than an exception, so printing an image never fails.
std::string quote(const std::string& s) {
  return Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
}

template <class T>
std::string quoted_names(const Layers<T>& layers) {
  std::string out = "[";
  for (size_t i = 0; i < layers.size(); ++i) {
    if (i > 0) out += ", ";
    out += quote(layers[i].first);
  }
  return out + "]";
}

template <class T>
std::vector<std::string> names(const Layers<T>& layers) {
  std::vector<std::string> out;
  out.reserve(layers.size());
  for (const auto& layer : layers) out.push_back(layer.first);
  return out;
}

}  // namespace

ImagePtr as_image(const c10::IValue& value) {
  if (!value.isObject() || value.toObjectRef().type() != c10::getCustomClassType<ImagePtr>()) {
    return ImagePtr();
  }
  return value.toCustomClass<ImageHolder>();
}

std::string image_str(const ImagePtr& self) {
  const Image& image = self->image();
  std::string out = "wandb.Image(";
  if (image.is_reference()) {
    out += "reference " + quote(image.source_path());
  } else {
    out += std::to_string(image.width()) + "x" + std::to_string(image.height()) + " " +
           image.mode() + " " + image.format();
    if (image.is_file()) out += ", file=" + quote(image.source_path());
  }
  if (image.caption()) out += ", caption=" + quote(*image.caption());
  if (image.grouping()) out += ", grouping=" + std::to_string(*image.grouping());
  if (!image.boxes().empty()) out += ", boxes=" + quoted_names(image.boxes());
  if (!image.masks().empty()) out += ", masks=" + quoted_names(image.masks());
  return out + ")";
}

bool equals(const ImagePtr& self, const c10::IValue& other) {
  const ImagePtr that = as_image(other);
  if (!that) return false;
  if (that.get() == self.get()) return true;
  return checked("wandb.Image.__eq__", [&] {
    const Image& a = self->image();
    const Image& b = that->image();
    // The core's == is the SDK's, blind to box positions and mask values;
    // comparing two model outputs is about those too.
    return a == b && a.boxes() == b.boxes() && a.masks() == b.masks();
  });
}

std::vector<std::string> box_layers(const ImagePtr& self) { return names(self->image().boxes()); }

std::vector<std::string> mask_layers(const ImagePtr& self) { return names(self->image().masks()); }

std::string boxes_json(const ImagePtr& self) {
  return checked("wandb.Image.boxes_json", [&] {
    Json out = Json::object();
    for (const auto& [name, layer] : self->image().boxes()) out[name] = layer.json();
    return dumps_python(out);
  });
}

std::string masks_json(const ImagePtr& self) {
  return checked("wandb.Image.masks_json", [&] {
    Json out = Json::object();
    for (const auto& [name, layer] : self->image().masks()) {
      out[name] = Json{{"width", layer.width()},
                       {"height", layer.height()},
                       {"class_labels", layer.class_labels().to_json()},
                       {"sha256", layer.sha256()},
                       {"size", layer.size()}};
    }
    return dumps_python(out);
  });
}

at::Tensor mask(const ImagePtr& self, const std::string& layer) {
  return checked("wandb.Image.mask", [&] {
    const Layers<ImageMask>& masks = self->image().masks();
    for (const auto& [name, m] : masks) {
      if (name == layer) {
        return bytes_tensor(m.values()).view({int64_t{m.height()}, int64_t{m.width()}});
      }
    }
    throw ValueError("mask layer: expected one of " + quoted_names(masks) + ", got " +
                     quote(layer));
  });
}

at::Tensor bytes_tensor(const std::vector<uint8_t>& bytes) {
  at::Tensor out = at::empty({static_cast<int64_t>(bytes.size())}, at::kByte);
  if (!bytes.empty()) std::memcpy(out.data_ptr(), bytes.data(), bytes.size());
  return out;
}

void rethrow_as_torch_error(const char* where) {
  try {
    throw;
  } catch (const c10::Error&) {
    throw;
  } catch (const wandb::ValueError& e) {
    TORCH_CHECK_VALUE(false, where, ": ", e.what());
  } catch (const wandb::TypeError& e) {
    TORCH_CHECK_TYPE(false, where, ": ", e.what());
  } catch (const std::exception& e) {
    TORCH_CHECK(false, where, ": ", e.what());
  } catch (...) {
    TORCH_CHECK(false, where, ": unknown exception");
  }
  std::terminate();  // not reached: every branch above throws
}

ImagePtr make_image(const at::Tensor& data, const c10::optional<std::string>& caption,
                    const c10::optional<std::string>& mode,
                    const c10::optional<std::string>& file_type, bool normalize,
                    c10::optional<int64_t> grouping) {
  return checked("wandb.Image", [&] {
    ImageOptions options;
    options.mode = to_std(mode);
    options.caption = to_std(caption);
    if (grouping) options.grouping = *grouping;
    options.file_type = to_std(file_type);
    options.normalize = normalize;
    return c10::make_intrusive<ImageHolder>(Image(data, std::move(options)));
  });
}

at::Tensor pixels(const ImagePtr& self) {
  return checked("wandb.Image.pixels", [&] { return self->image().pixels(); });
}

at::Tensor encoded(const ImagePtr& self) {
  return checked("wandb.Image.encoded", [&] { return bytes_tensor(self->image().encoded()); });
}

ImagePtr add_boxes(const ImagePtr& self, const std::string& layer, const at::Tensor& boxes,
                   const at::Tensor& class_ids, const std::string& format,
                   const c10::optional<at::Tensor>& scores, const std::string& score_name,
                   const std::string& domain, const c10::optional<LabelDict>& class_labels) {
  return checked("wandb.Image.add_boxes", [&] {
    const Image& image = self->image();
    Layers<BoundingBoxes2D> layers = image.boxes();
    layers.emplace_back(
        layer, BoundingBoxes2D::from_tensors(boxes, class_ids, parse_box_format(format),
                                             parse_domain(domain), scores ? &*scores : nullptr,
                                             score_name, to_labels(class_labels)));
    return with_layers(image, std::move(layers), image.masks());
  });
}

ImagePtr add_mask(const ImagePtr& self, const std::string& layer, const at::Tensor& mask,
                  const c10::optional<LabelDict>& class_labels) {
  return checked("wandb.Image.add_mask", [&] {
    const Image& image = self->image();
    Layers<ImageMask> layers = image.masks();
    layers.emplace_back(layer, ImageMask(mask, to_labels(class_labels)));
    return with_layers(image, image.boxes(), std::move(layers));
  });
}

ImageState get_state(const ImagePtr& self) {
  return checked("wandb.Image.__getstate__", [&] {
    const Image& image = self->image();
    std::string kind = "pixels";
    at::Tensor data;
    std::string source;
    if (image.is_reference()) {
      kind = "reference";
      data = at::empty({0}, at::kByte);
      source = image.source_path();
    } else if (image.is_file()) {
      kind = "encoded";
      data = bytes_tensor(image.encoded());
    } else {
      data = image.pixels();
    }
    c10::optional<std::string> classes;
    if (const auto extra = extra_classes(image)) classes = extra->to_json()["class_set"].dump();
    std::vector<std::string> box_names, box_json, mask_names, mask_labels;
    std::vector<at::Tensor> mask_values;
    for (const auto& [name, layer] : image.boxes()) {
      box_names.push_back(name);
      box_json.push_back(layer.json().dump());
    }
    for (const auto& [name, mask] : image.masks()) {
      mask_names.push_back(name);
      mask_values.push_back(
          bytes_tensor(mask.values()).view({int64_t{mask.height()}, int64_t{mask.width()}}));
      mask_labels.push_back(mask.class_labels().to_json().dump());
    }
    const auto& caption = image.caption();
    return ImageState(kStateVersion, std::move(kind), std::move(data), std::move(source),
                      image.mode(), image.format(),
                      caption ? c10::optional<std::string>(*caption) : c10::nullopt,
                      image.grouping() ? c10::optional<int64_t>(*image.grouping()) : c10::nullopt,
                      std::move(classes), std::move(box_names), std::move(box_json),
                      std::move(mask_names), std::move(mask_values), std::move(mask_labels));
  });
}

ImagePtr set_state(ImageState state) {
  return checked("wandb.Image.__setstate__", [&] {
    auto& [version, kind, data, source, mode, format, caption, grouping, classes, box_names,
           box_json, mask_names, mask_values, mask_labels] = state;
    if (version != kStateVersion) {
      throw ValueError("wandb.Image state: expected version " + std::to_string(kStateVersion) +
                       ", got " + std::to_string(version));
    }
    if (box_names.size() != box_json.size() || mask_names.size() != mask_values.size() ||
        mask_names.size() != mask_labels.size()) {
      throw ValueError("wandb.Image state: expected one entry per layer name, got " +
                       std::to_string(box_names.size()) + " box names for " +
                       std::to_string(box_json.size()) + " layers and " +
                       std::to_string(mask_names.size()) + " mask names for " +
                       std::to_string(mask_values.size()) + " masks");
    }
    ImageOptions options;
    options.caption = to_std(caption);
    if (grouping) options.grouping = *grouping;
    if (classes) options.classes = Classes::from_json(Json::parse(*classes));
    for (size_t i = 0; i < box_names.size(); ++i) {
      options.boxes.emplace_back(box_names[i], BoundingBoxes2D(Json::parse(box_json[i])));
    }
    for (size_t i = 0; i < mask_names.size(); ++i) {
      options.masks.emplace_back(
          mask_names[i],
          ImageMask(mask_values[i], ClassLabels::from_json(Json::parse(mask_labels[i]))));
    }
    if (kind == "reference") {
      return c10::make_intrusive<ImageHolder>(Image(source, std::move(options)));
    }
    if (kind == "encoded") {
      return c10::make_intrusive<ImageHolder>(
          Image::from_encoded(tensor_bytes(data, "wandb.Image state"), format, std::move(options)));
    }
    if (kind != "pixels") {
      throw ValueError(
          "wandb.Image state: expected kind \"pixels\", \"encoded\" or "
          "\"reference\", got \"" +
          kind + "\"");
    }
    if (!data.defined() || data.dim() != 3 || data.scalar_type() != at::kByte) {
      throw ValueError("wandb.Image state: expected H x W x C uint8 pixels, got " +
                       (data.defined() ? std::string(c10::toString(data.scalar_type())) +
                                             " of rank " + std::to_string(data.dim())
                                       : std::string("an undefined tensor")));
    }
    // normalize = false on uint8 is the identity, so the pixels come back exact.
    options.mode = mode;
    options.file_type = format;
    options.normalize = false;
    return c10::make_intrusive<ImageHolder>(Image(data.permute({2, 0, 1}), std::move(options)));
  });
}

}  // namespace wandb::ops::detail
