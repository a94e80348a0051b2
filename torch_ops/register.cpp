// The single registration of the TorchScript `wandb` namespace: the custom
// class torch.classes.wandb.Image and the operators torch.ops.wandb.*.
// Kernels live in image_class.cpp and ops.cpp; the schemas are documented in
// include/wandb/torch_ops.h.

// GCC 12 false positive: unpickling the state tuple (more than 3 elements)
// goes through ATen's TupleElements, whose inline storage holds 3; the heap
// branch is taken then, but -Warray-bounds flags the inline one.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif

#include <torch/custom_class.h>
#include <torch/library.h>

#include "image_class.h"
#include "ops.h"

namespace {

using wandb::ops::detail::ImagePtr;
using wandb::ops::detail::ImageState;
namespace k = wandb::ops::detail;

c10::IValue none() { return torch::arg::none(); }

}  // namespace

TORCH_LIBRARY(wandb, m) {
  // The class first: the log schemas below name its type.
  m.class_<k::ImageHolder>("Image")
      .def(torch::init([](at::Tensor data, c10::optional<std::string> caption,
                          c10::optional<std::string> mode, c10::optional<std::string> file_type,
                          bool normalize, c10::optional<int64_t> grouping) {
             return k::make_image(data, caption, mode, file_type, normalize, grouping);
           }),
           "The SDK's wandb.Image(data, caption, mode, file_type, normalize, grouping)",
           {torch::arg("data"), torch::arg("caption") = none(), torch::arg("mode") = none(),
            torch::arg("file_type") = none(), torch::arg("normalize") = true,
            torch::arg("grouping") = none()})
      .def("width", [](const ImagePtr& self) -> int64_t { return self->image().width(); })
      .def("height", [](const ImagePtr& self) -> int64_t { return self->image().height(); })
      .def("format", [](const ImagePtr& self) { return self->image().format(); })
      .def("mode", [](const ImagePtr& self) { return self->image().mode(); })
      .def("caption",
           [](const ImagePtr& self) -> c10::optional<std::string> {
             const auto& caption = self->image().caption();
             return caption ? c10::optional<std::string>(*caption) : c10::nullopt;
           })
      .def("grouping",
           [](const ImagePtr& self) -> c10::optional<int64_t> {
             const auto grouping = self->image().grouping();
             return grouping ? c10::optional<int64_t>(*grouping) : c10::nullopt;
           })
      .def("sha256",
           [](const ImagePtr& self) {
             return k::checked("wandb.Image.sha256", [&] { return self->image().sha256(); });
           })
      .def("pixels", &k::pixels, "H x W x C uint8 log-ready pixels, RGB(A) order")
      .def("encoded", &k::encoded, "The encoded file bytes, uint8 1-D")
      .def("add_boxes", &k::add_boxes,
           "A new Image with one more bounding-box layer (boxes (N, 4), class_ids (N))",
           {torch::arg("layer"), torch::arg("boxes"), torch::arg("class_ids"),
            torch::arg("format") = "xyxy", torch::arg("scores") = none(),
            torch::arg("score_name") = "score", torch::arg("domain") = "pixel",
            torch::arg("class_labels") = none()})
      .def("add_mask", &k::add_mask,
           "A new Image with one more mask layer (an H x W integer class map, 0..255)",
           {torch::arg("layer"), torch::arg("mask"), torch::arg("class_labels") = none()})
      // Python's torch.ScriptObject forwards str(), == and != to these methods
      // (later PyTorch releases repr() too; 1.13 prints its default there), and
      // TorchScript compiles str(img), img == x and img != x to them. __ne__ is
      // registered as well: without it, ScriptObject's own != refuses to compare.
      // `other` is Any so that comparing with None or a tensor is False, not an
      // argument error.
      .def("__str__", &k::image_str, "One line: size, mode, format, caption, layers")
      .def("__repr__", &k::image_str, "As __str__")
      .def("__eq__", &k::equals,
           "Same image (the SDK's rule) and the same box and mask layers; False for "
           "anything but an Image",
           {torch::arg("other")})
      .def(
          "__ne__",
          [](const ImagePtr& self, const c10::IValue& other) { return !k::equals(self, other); },
          "not __eq__", {torch::arg("other")})
      .def("box_layers", &k::box_layers, "The box layer names, in order")
      .def("mask_layers", &k::mask_layers, "The mask layer names, in order")
      .def("boxes_json", &k::boxes_json,
           "JSON {layer: the layer as written to its .boxes2D.json}")
      .def("masks_json", &k::masks_json,
           "JSON {layer: {width, height, class_labels, sha256, size}}")
      .def("mask", &k::mask, "The class map of a mask layer, uint8 H x W",
           {torch::arg("layer")})
      .def_pickle([](const ImagePtr& self) { return k::get_state(self); },
                  [](ImageState state) { return k::set_state(std::move(state)); });

  // Pure functions of their arguments: the JIT may fold, share or drop them.
  m.def(
      torch::schema("wandb::log_ready(Tensor data, str? mode=None, bool normalize=True) -> Tensor",
                    c10::AliasAnalysisKind::FROM_SCHEMA),
      &k::log_ready);
  m.def(torch::schema("wandb::encode(Tensor data, str file_type=\"png\", str? mode=None, "
                      "bool normalize=True, int? png_compression=None, int jpeg_quality=75) "
                      "-> Tensor",
                      c10::AliasAnalysisKind::FROM_SCHEMA),
        &k::encode);
  // Side effects only: CONSERVATIVE makes Node::hasSideEffects() true, so dead
  // code elimination, freezing and optimize_for_inference keep the calls.
  m.def(torch::schema("wandb::log(str key, __torch__.torch.classes.wandb.Image image, "
                      "int? step=None) -> ()",
                      c10::AliasAnalysisKind::CONSERVATIVE),
        &k::log);
  m.def(torch::schema("wandb::log_list(str key, __torch__.torch.classes.wandb.Image[] images, "
                      "int? step=None) -> ()",
                      c10::AliasAnalysisKind::CONSERVATIVE),
        &k::log_list);
}
