// torch.classes.wandb.Image: the custom class holding a wandb::Image, its
// methods and its pickled state. Registered in register.cpp.
#pragma once

#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "wandb/image.h"

namespace wandb::ops::detail {

/// The custom class: an immutable wandb::Image. Methods that add a layer
/// return a new object, so an Image stored as a module attribute never changes.
class ImageHolder final : public torch::CustomClassHolder {
 public:
  explicit ImageHolder(Image image) : image_(std::move(image)) {}
  const Image& image() const noexcept { return image_; }

 private:
  Image image_;
};

using ImagePtr = c10::intrusive_ptr<ImageHolder>;
using LabelDict = c10::Dict<int64_t, std::string>;

/// The pickled state, version 1:
/// (version, kind, data, source, mode, format, caption, grouping, classes JSON (the
///  class_set list, only for classes beyond the layers' labels),
///  box layer names, box layer JSON, mask layer names, mask values, mask labels JSON).
/// kind "pixels": data = H x W x C uint8 log-ready pixels; "encoded": data = the
/// file bytes (images made from a file); "reference": source = the URL.
using ImageState =
    std::tuple<int64_t, std::string, at::Tensor, std::string, std::string, std::string,
               c10::optional<std::string>, c10::optional<int64_t>, c10::optional<std::string>,
               std::vector<std::string>, std::vector<std::string>, std::vector<std::string>,
               std::vector<at::Tensor>, std::vector<std::string>>;

/// A uint8 1-D tensor holding a copy of `bytes`.
at::Tensor bytes_tensor(const std::vector<uint8_t>& bytes);

ImagePtr make_image(const at::Tensor& data, const c10::optional<std::string>& caption,
                    const c10::optional<std::string>& mode,
                    const c10::optional<std::string>& file_type, bool normalize,
                    c10::optional<int64_t> grouping);

at::Tensor pixels(const ImagePtr& self);
at::Tensor encoded(const ImagePtr& self);

ImagePtr add_boxes(const ImagePtr& self, const std::string& layer, const at::Tensor& boxes,
                   const at::Tensor& class_ids, const std::string& format,
                   const c10::optional<at::Tensor>& scores, const std::string& score_name,
                   const std::string& domain, const c10::optional<LabelDict>& class_labels);

ImagePtr add_mask(const ImagePtr& self, const std::string& layer, const at::Tensor& mask,
                  const c10::optional<LabelDict>& class_labels);

/// A c10::optional argument as the core's std::optional. In LibTorch 1.13
/// c10::optional is a class of its own; since 2.2 (so in 2.6) it is an alias
/// of std::optional and this is a plain move. Written to compile against both:
/// it uses only the operations the two types share.
inline std::optional<std::string> to_std(c10::optional<std::string> s) {
  return s ? std::optional<std::string>(std::move(*s)) : std::nullopt;
}

/// The holder inside `value`, or null when `value` is not a
/// torch.classes.wandb.Image (None, another class, a tensor, ...).
ImagePtr as_image(const c10::IValue& value);

/// __str__ / __repr__: one line naming size, mode, format (or the reference
/// URL), caption, grouping and the layer names.
std::string image_str(const ImagePtr& self);

/// __eq__: the core's Image == (the SDK's rule: grouping, caption, size,
/// pixels, classes; references by URL) and, beyond the SDK, the same box and
/// mask layers in the same order. Anything that is not an Image is unequal.
bool equals(const ImagePtr& self, const c10::IValue& other);

/// The layer names, in the order the layers were added.
std::vector<std::string> box_layers(const ImagePtr& self);
std::vector<std::string> mask_layers(const ImagePtr& self);

/// {layer: the layer's JSON as written to its .boxes2D.json}, as Python's
/// json.dumps writes it, in layer order.
std::string boxes_json(const ImagePtr& self);

/// {layer: {"width", "height", "class_labels", "sha256", "size"}}: the mask
/// PNG's size in pixels, its labels, and the hash and byte count of the file
/// a run writes for it.
std::string masks_json(const ImagePtr& self);

/// The class map of mask layer `layer`: uint8 H x W.
at::Tensor mask(const ImagePtr& self, const std::string& layer);

ImageState get_state(const ImagePtr& self);
ImagePtr set_state(ImageState state);

/// The part of checked() that does not depend on F: rethrows the exception in
/// flight as a c10 error. Must be called from a catch block.
[[noreturn]] void rethrow_as_torch_error(const char* where);

/// Runs `f`, turning the core's exceptions into c10 errors (ValueError,
/// TypeError, Error) with the same message, prefixed with `where`.
template <class F>
decltype(auto) checked(const char* where, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (...) {
    rethrow_as_torch_error(where);
  }
}

}  // namespace wandb::ops::detail
