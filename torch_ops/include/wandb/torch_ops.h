// TorchScript support: the host-side API of libwandb_image_ops.so, the library
// that registers torch.classes.wandb.Image and torch.ops.wandb.* so that
// scripted models can build log-ready images and log them.
//
// What the library registers (one TORCH_LIBRARY(wandb, m)):
//
//   class torch.classes.wandb.Image            (holds an immutable wandb::Image)
//     __init__(Tensor data, str? caption=None, str? mode=None, str? file_type=None,
//              bool normalize=True, int? grouping=None)
//     width() height() -> int;  format() mode() sha256() -> str
//     caption() -> str?;  grouping() -> int?
//     pixels() -> Tensor (uint8 H x W x C);  encoded() -> Tensor (uint8, 1-D)
//     add_boxes(str layer, Tensor boxes, Tensor class_ids, str format="xyxy",
//               Tensor? scores=None, str score_name="score", str domain="pixel",
//               Dict[int, str]? class_labels=None) -> Image   (a new image)
//     add_mask(str layer, Tensor mask, Dict[int, str]? class_labels=None) -> Image
//     __str__() __repr__() -> str   ("wandb.Image(32x24 RGB png, caption=..., boxes=[...])")
//     __eq__(Any other) __ne__(Any other) -> bool   (the core's Image == and the
//                                    same box and mask layers; non-Images unequal)
//     box_layers() mask_layers() -> List[str]   (layer names, in order)
//     boxes_json() -> str    ({layer: the layer's .boxes2D.json content})
//     masks_json() -> str    ({layer: {width, height, class_labels, sha256, size}})
//     mask(str layer) -> Tensor   (the class map, uint8 H x W)
//   wandb::log_ready(Tensor data, str? mode=None, bool normalize=True) -> Tensor
//   wandb::encode(Tensor data, str file_type="png", str? mode=None,
//                 bool normalize=True, int? png_compression=None,
//                 int jpeg_quality=75) -> Tensor
//   wandb::log(str key, Image image, int? step=None) -> ()
//   wandb::log_list(str key, Image[] images, int? step=None) -> ()
//
// Errors thrown by the core (wandb::ValueError, wandb::TypeError, ...) reach
// TorchScript as c10::ValueError / c10::TypeError / c10::Error carrying the
// core's "what: expected X, got Y" message (Python: ValueError / TypeError, or
// RuntimeError from inside scripted code).
//
// Linking. In CMake, `target_link_libraries(app PRIVATE wandb::image_ops)`: it
// brings wandb::image and torch, and adds -Wl,--no-as-needed so the linker keeps
// the library even though nothing but its static registrations may be used.
// Call wandb::ops::load() once at start-up as well: it is defined in the shared
// library, so a program that calls it cannot be linked without it, and it
// checks that the registrations ran. From Python:
// torch.ops.load_library("<prefix>/lib/libwandb_image_ops.so").
#pragma once

#include <vector>

#include "wandb/image.h"
#include "wandb/run.h"
#include "wandb/torch_ops_export.h"

namespace c10 {
struct IValue;
}  // namespace c10

namespace wandb::ops {

/// Qualified name of the registered class, as TorchScript types print it.
inline constexpr const char* kImageClassName = "__torch__.torch.classes.wandb.Image";

/// Guarantees that libwandb_image_ops.so is linked in and that its
/// registrations ran. Returns the number of operators registered in the `wandb`
/// namespace (4). Throws StateError if the registrations are missing.
WANDB_IMAGE_OPS_EXPORT int load();

/// Makes `run` the run that torch.ops.wandb.log / log_list write to; nullptr
/// clears it. Thread-safe: once this returns, no op still uses the previous
/// run, so it may be destroyed (a log in progress is waited for). Without a
/// current run the log ops do nothing and warn once.
WANDB_IMAGE_OPS_EXPORT void set_current_run(Run* run);

/// The run the log ops write to, or nullptr.
WANDB_IMAGE_OPS_EXPORT Run* current_run();

/// Makes a run current for a scope and restores the previous one (usually
/// none) on destruction.
class WANDB_IMAGE_OPS_EXPORT CurrentRun {
 public:
  explicit CurrentRun(Run& run);
  ~CurrentRun();
  CurrentRun(const CurrentRun&) = delete;
  CurrentRun& operator=(const CurrentRun&) = delete;

 private:
  Run* previous_;
};

/// The wandb::Image held by a torch.classes.wandb.Image value (a scripted
/// model's output or attribute). Copies share the pixels. Throws TypeError when
/// `value` holds anything else.
WANDB_IMAGE_OPS_EXPORT Image to_image(const c10::IValue& value);

/// The images of a list or tuple of torch.classes.wandb.Image values. Throws
/// TypeError when `value` is not a list or tuple, or an element is not an Image.
WANDB_IMAGE_OPS_EXPORT std::vector<Image> to_images(const c10::IValue& value);

/// A torch.classes.wandb.Image value holding `image`, e.g. to pass to a
/// scripted method or to set as a module attribute. Pickling keeps the
/// log-ready pixels, mode, format, caption, grouping, classes and every box and
/// mask layer (file images keep their bytes, references their URL; images made
/// with Image::from_encoded keep their decoded pixels); the encoder settings
/// png_compression and jpeg_quality are not kept.
WANDB_IMAGE_OPS_EXPORT c10::IValue to_ivalue(const Image& image);

}  // namespace wandb::ops
