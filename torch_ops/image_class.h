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

/// LibTorch 1.13's c10::optional as std::optional.
inline std::optional<std::string> to_std(c10::optional<std::string> s) {
  return s ? std::optional<std::string>(std::move(*s)) : std::nullopt;
}

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
