// The LibTorch front end: Image from and to tensors, images from a batch, the
// tensor constructors of ImageMask and BoundingBoxes2D, and a row Value from a
// one-element tensor. One of the two translation units of the core library
// that include ATen; the other, masks_torch.cpp, holds the ImageMask factories
// for model outputs. (detail/pixels.cpp uses only c10's header-only Half and
// BFloat16 scalar types.)
#include <ATen/ATen.h>
#include <torch/version.h>

#include <cstring>

#include "detail/guard.h"
#include "detail/image_data.h"
#include "detail/mask_data.h"
#include "detail/torch_pixels.h"
#include "wandb/errors.h"
#include "wandb/run.h"

namespace wandb {
namespace detail {
namespace {

std::vector<int64_t> shape_of(const at::Tensor& t) {
  return std::vector<int64_t>(t.sizes().begin(), t.sizes().end());
}

ElemType elem_type(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kBool: return ElemType::kBool;
    case at::kByte: return ElemType::kU8;
    case at::kChar: return ElemType::kI8;
    case at::kShort: return ElemType::kI16;
    case at::kInt: return ElemType::kI32;
    case at::kLong: return ElemType::kI64;
    case at::kHalf: return ElemType::kF16;
    case at::kBFloat16: return ElemType::kBF16;
    case at::kFloat: return ElemType::kF32;
    case at::kDouble: return ElemType::kF64;
    default:
      throw TypeError(std::string("image tensor dtype: expected bool, uint8, int8, int16, int32, "
                                  "int64, float16, bfloat16, float32 or float64, got ") +
                      c10::toString(t.scalar_type()));
  }
}

// A C x H x W view (H x W gets a unit channel dimension) of a CPU tensor.
StridedSource chw_source(const at::Tensor& t, ElemType type) {
  StridedSource s;
  s.base = t.data_ptr();
  s.type = type;
  if (t.dim() == 2) {
    s.channels = 1;
    s.height = t.size(0);
    s.width = t.size(1);
    s.stride_c = 0;
    s.stride_h = t.stride(0);
    s.stride_w = t.stride(1);
  } else {
    s.channels = t.size(0);
    s.height = t.size(1);
    s.width = t.size(2);
    s.stride_c = t.stride(0);
    s.stride_h = t.stride(1);
    s.stride_w = t.stride(2);
  }
  return s;
}

// numpy's clip(data, 0, 255).astype(uint8) with NaN -> 0. Clipping and truncation
// do not depend on precision, so float16 is widened first: LibTorch's CPU backend
// has no float16 clamp.
at::Tensor clip_to_uint8(const at::Tensor& x) {
  const at::Tensor wide = x.scalar_type() == at::kHalf ? x.to(at::kFloat) : x;
  return at::nan_to_num(wide, 0.0).clamp(0, 255).to(at::kByte);
}

// Normalised uint8 C x H x W, computed with tensor ops on the tensor's device.
at::Tensor uint8_chw_ops(const at::Tensor& data, bool normalize, NormalizeInfo* info) {
  at::Tensor x = data.detach();
  if (x.dim() == 2) x = x.unsqueeze(0);
  if (!x.is_floating_point()) {
    x = x.to(at::kDouble);  // integers and bool follow the float64 rules
  } else if (x.scalar_type() == at::kBFloat16) {
    x = x.to(at::kFloat);
  }
  NormalizeInfo result;
  at::Tensor y;
  if (!normalize) {
    y = clip_to_uint8(x);
  } else {
    const at::Tensor range = at::stack({x.min(), x.max()}).to(at::kDouble).cpu();
    const double lo = range[0].item<double>();
    const double hi = range[1].item<double>();
    result.out_of_range = lo < 0 || hi > 255;
    if (0 <= lo && hi <= 1) {  // NaN makes both comparisons false, as in numpy
      result.branch = 1;
      y = x.mul(255).to(at::kByte);
    } else if (-1 <= lo && hi <= 1) {
      result.branch = 2;
      y = x.add(1).mul(127.5).to(at::kByte);
    } else {
      result.branch = 3;
      y = clip_to_uint8(x);
    }
  }
  if (info) *info = result;
  return y;
}

}  // namespace

at::Tensor tensor_to_uint8_ops(const at::Tensor& data, bool normalize, NormalizeInfo* info) {
  return uint8_chw_ops(data, normalize, info).permute({1, 2, 0}).contiguous().cpu();
}

PixelBuffer tensor_to_pixels_ops(const at::Tensor& data, bool normalize, NormalizeInfo* info) {
  // uint8 before the copy to the host (4-8x fewer bytes cross the bus), and
  // one copy: copy_ lays the device's H x W x C result straight into the
  // buffer the encoder reads.
  const at::Tensor chw = uint8_chw_ops(data, normalize, info);
  PixelBuffer out = allocate_pixels(chw.size(1), chw.size(2), chw.size(0));
  at::from_blob(out.data.data(), {out.height, out.width, out.channels}, at::kByte)
      .copy_(chw.permute({1, 2, 0}));
  return out;
}

PixelBuffer tensor_to_pixels(const at::Tensor& data, bool normalize, NormalizeInfo* info) {
  const ElemType type = elem_type(data);
  if (data.device().is_cpu() && !data.is_sparse()) {
    // The CPU kernel reads the tensor's memory in place: one pass, one copy
    // (no detach() needed to read it, and none paid for: a dispatcher call).
    return normalize_to_uint8(chw_source(data, type), normalize, info);
  }
  return tensor_to_pixels_ops(data, normalize, info);
}

void check_image_tensor(const at::Tensor& data) {
  if (!data.defined()) throw ValueError("image tensor: expected a defined tensor, got an undefined one");
  if (data.is_sparse()) throw TypeError("image tensor: expected a dense tensor, got a sparse one");
  if (data.is_meta()) {
    throw ValueError("image tensor: expected a tensor with data (CPU or a device), got a meta tensor");
  }
  if (data.dim() != 2 && data.dim() != 3) {
    throw ValueError("image tensor: expected C x H x W or H x W, got " +
                     std::to_string(data.dim()) + " dimensions " + shape_string(shape_of(data)) +
                     (data.dim() == 4 ? " (a batch of images: use wandb::images_from_batch)" : ""));
  }
  elem_type(data);
}

namespace {

// An explicit layout names a 3-D shape with 1 to 4 channels; kAuto is checked
// by check_image_tensor and the mode rules, as before layouts existed.
void check_layout(const at::Tensor& data, Layout layout) {
  if (layout == Layout::kAuto || !data.defined()) return;
  const bool hwc = layout == Layout::kHWC;
  const int64_t channels = data.dim() == 3 ? data.size(hwc ? 2 : 0) : 0;
  if (data.dim() == 3 && channels >= 1 && channels <= 4) return;
  std::string got = shape_string(shape_of(data));
  if (data.dim() != 3) got = std::to_string(data.dim()) + " dimensions " + got;
  throw ValueError(std::string("image tensor with Layout::") + (hwc ? "kHWC" : "kCHW") +
                   ": expected " + (hwc ? "H x W x C" : "C x H x W") +
                   " with C from 1 to 4, got " + got);
}

// The C x H x W (or H x W) view the pixel paths read. H x W x C is a permuted
// view, not a copy: the CPU kernel reads its strides in place.
at::Tensor chw_view(const at::Tensor& data, Layout layout) {
  return layout == Layout::kHWC ? data.permute({2, 0, 1}) : data;
}

// A 3-D tensor whose first dimension cannot be channels but whose last can:
// most likely H x W x C given to the default layout.
bool looks_hwc(const at::Tensor& data, Layout layout) {
  return layout == Layout::kAuto && data.dim() == 3 && data.size(0) > 4 && data.size(2) >= 1 &&
         data.size(2) <= 4;
}

}  // namespace

std::string libtorch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

bool libtorch_has_cuda() { return at::hasCUDA(); }

void rethrow_torch_error(const char* what) {
  try {
    throw;
  } catch (const c10::Error& e) {
    const std::string message = e.what_without_backtrace();
    if (!is_allocation_failure(message)) {
      throw ValueError(std::string(what) + ": expected a tensor LibTorch can read, got: " + message);
    }
    rethrow_as_error(what);
  } catch (...) {
    rethrow_as_error(what);
  }
}

}  // namespace detail

// Every entry point that reads a user's tensor turns LibTorch's own errors
// into ValueError, and the rest as every public call does (detail/guard.h).
Image::Image(const at::Tensor& data, ImageOptions options) try {
  detail::check_layout(data, options.layout);
  detail::check_image_tensor(data);
  const std::vector<int64_t> shape = detail::shape_of(data);  // as given, for messages
  const at::Tensor chw = detail::chw_view(data, options.layout);
  const bool two_dim = chw.dim() == 2;
  const int64_t channels = two_dim ? 1 : chw.size(0);
  const int64_t height = chw.size(two_dim ? 0 : 1);
  const int64_t width = chw.size(two_dim ? 1 : 2);
  detail::ModePlan plan;
  try {
    plan = detail::plan_mode(channels, two_dim, shape, height, width, options);
  } catch (const ValueError& e) {
    if (!detail::looks_hwc(data, options.layout)) throw;
    throw ValueError(std::string(e.what()) +
                     " (an H x W x C tensor needs ImageOptions::layout = wandb::Layout::kHWC)");
  }
  detail::NormalizeInfo info;
  detail::PixelBuffer pixels = detail::tensor_to_pixels(chw, options.normalize, &info);
  data_ = detail::finish_pixels(std::move(pixels), info, plan, options);
  apply_meta(options);
} catch (...) {
  detail::rethrow_torch_error("image tensor");
}

std::string Image::guess_mode(const at::Tensor& data, const std::optional<std::string>& file_type) try {
  detail::check_image_tensor(data);
  const std::vector<int64_t> shape = detail::shape_of(data);
  const bool two_dim = data.dim() == 2;
  return detail::guess_mode(two_dim ? 1 : data.size(0), two_dim, shape,
                            file_type ? &*file_type : nullptr);
} catch (...) {
  detail::rethrow_torch_error("image tensor");
}

at::Tensor Image::pixels() const try {
  const detail::PixelBuffer& px = data_->pixel_buffer();
  at::Tensor out = at::empty({px.height, px.width, px.channels}, at::kByte);
  std::memcpy(out.data_ptr(), px.data.data(), px.data.size());
  return out;
} WANDB_PUBLIC_CALL("Image::pixels")

// ---- masks and boxes from tensors -------------------------------------------

ImageMask::ImageMask(const at::Tensor& mask_data, std::optional<ClassLabels> class_labels) try {
  if (!mask_data.defined()) throw ValueError("mask_data: expected a defined tensor, got an undefined one");
  if (mask_data.is_meta()) throw ValueError("mask_data: expected a tensor with data, got a meta tensor");
  const std::vector<int64_t> shape = detail::shape_of(mask_data);
  if (mask_data.dim() != 2) detail::throw_mask_rank(shape);
  if (mask_data.is_floating_point() || mask_data.is_complex() ||
      mask_data.scalar_type() == at::kBool) {
    throw TypeError(std::string("Mask data must be integers between 0 and 255: expected an "
                                "integer dtype, got ") +
                    c10::toString(mask_data.scalar_type()));
  }
  if (shape[0] <= 0 || shape[1] <= 0) detail::throw_mask_rank(shape);
  detail::check_mask_size(shape[0], shape[1]);  // before reading or copying anything
  const at::Tensor t = mask_data.detach();
  if (t.scalar_type() != at::kByte) {  // uint8 is in range by its type
    const at::Tensor range = at::stack({t.min(), t.max()}).to(at::kLong).cpu();
    const int64_t lo = range[0].item<int64_t>();
    const int64_t hi = range[1].item<int64_t>();
    if (lo < 0 || hi > 255) detail::throw_mask_range(static_cast<double>(lo), static_cast<double>(hi));
  }
  // One copy, from any device and layout, straight into the mask's buffer.
  std::vector<uint8_t> values(static_cast<size_t>(t.numel()));
  at::from_blob(values.data(), {shape[0], shape[1]}, at::kByte).copy_(t);
  state_ = detail::make_mask_state(static_cast<int>(shape[0]), static_cast<int>(shape[1]),
                                   std::move(values), std::move(class_labels));
} catch (...) {
  detail::rethrow_torch_error("mask_data");
}

namespace {

BoundingBoxes2D boxes_from_tensors(const at::Tensor& boxes, const at::Tensor& class_ids,
                                   const at::Tensor* scores, BoxFormat format, BoxDomain domain,
                                   const std::string& score_name,
                                   std::optional<ClassLabels> class_labels) {
  if (!boxes.defined() || boxes.dim() != 2 || boxes.size(1) != 4) {
    throw ValueError("boxes: expected an (N, 4) tensor, got " +
                     (boxes.defined() ? detail::shape_string(detail::shape_of(boxes))
                                      : std::string("an undefined tensor")));
  }
  const int64_t n = boxes.size(0);
  if (!class_ids.defined() || class_ids.dim() != 1 || class_ids.size(0) != n) {
    throw ValueError("class_ids: expected a 1-D tensor of " + std::to_string(n) + " ids, got " +
                     (class_ids.defined() ? detail::shape_string(detail::shape_of(class_ids))
                                          : std::string("an undefined tensor")));
  }
  if (class_ids.is_floating_point() || class_ids.is_complex()) {
    throw TypeError(std::string("A box's class_id must be an integer: expected an integer "
                                "tensor, got ") +
                    c10::toString(class_ids.scalar_type()));
  }
  if (scores && (!scores->defined() || scores->dim() != 1 || scores->size(0) != n)) {
    throw ValueError("scores: expected a 1-D tensor of " + std::to_string(n) + " scores, got " +
                     (scores->defined() ? detail::shape_string(detail::shape_of(*scores))
                                        : std::string("an undefined tensor")));
  }
  const at::Tensor b = boxes.detach().to(at::kDouble).contiguous().cpu();
  const at::Tensor ids = class_ids.detach().to(at::kLong).contiguous().cpu();
  at::Tensor sc;
  if (scores) sc = scores->detach().to(at::kDouble).contiguous().cpu();
  const double* bp = b.data_ptr<double>();
  const int64_t* ip = ids.data_ptr<int64_t>();
  std::vector<Box> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double* r = bp + 4 * i;
    Box box;
    switch (format) {
      case BoxFormat::kXYXY: box.position = BoxCorners{r[0], r[1], r[2], r[3]}; break;
      case BoxFormat::kXYWH: box.position = BoxCorners{r[0], r[1], r[0] + r[2], r[1] + r[3]}; break;
      case BoxFormat::kCXCYWH: box.position = BoxCenter{r[0], r[1], r[2], r[3]}; break;
    }
    box.domain = domain;
    box.class_id = ip[i];
    if (scores) box.scores.emplace_back(score_name, sc.data_ptr<double>()[i]);
    out.push_back(std::move(box));
  }
  return BoundingBoxes2D(std::move(out), std::move(class_labels));
}

}  // namespace

BoundingBoxes2D BoundingBoxes2D::from_tensors(const at::Tensor& boxes, const at::Tensor& class_ids,
                                              const BoxTensorOptions& options) try {
  return boxes_from_tensors(boxes, class_ids, nullptr, options.format, options.domain,
                            options.score_name, options.class_labels);
} catch (...) {
  detail::rethrow_torch_error("boxes");
}

BoundingBoxes2D BoundingBoxes2D::from_tensors(const at::Tensor& boxes, const at::Tensor& class_ids,
                                              const at::Tensor& scores,
                                              const BoxTensorOptions& options) try {
  return boxes_from_tensors(boxes, class_ids, &scores, options.format, options.domain,
                            options.score_name, options.class_labels);
} catch (...) {
  detail::rethrow_torch_error("boxes");
}

BoundingBoxes2D BoundingBoxes2D::from_tensors(const at::Tensor& boxes, const at::Tensor& class_ids,
                                              BoxFormat format, BoxDomain domain,
                                              const at::Tensor* scores,
                                              const std::string& score_name,
                                              std::optional<ClassLabels> class_labels) try {
  return boxes_from_tensors(boxes, class_ids, scores, format, domain, score_name,
                            std::move(class_labels));
} catch (...) {
  detail::rethrow_torch_error("boxes");
}

// ---- a batch of images ------------------------------------------------------

std::vector<Image> images_from_batch(const at::Tensor& batch, BatchOptions options) try {
  const bool nhwc = options.layout == BatchLayout::kNHWC;
  const char* expected = nhwc ? "a 4-D N x H x W x C tensor" : "a 4-D N x C x H x W tensor";
  if (!batch.defined()) {
    throw ValueError(std::string("image batch: expected ") + expected + ", got an undefined tensor");
  }
  const std::vector<int64_t> shape = detail::shape_of(batch);
  if (batch.dim() != 4) {
    std::string message = std::string("image batch: expected ") + expected + ", got " +
                          std::to_string(batch.dim()) + " dimensions " +
                          detail::shape_string(shape);
    if (batch.dim() == 3) message += " (one image: use wandb::Image)";
    throw ValueError(message);
  }
  const int64_t n = batch.size(0);
  if (n == 0) {
    throw ValueError("image batch: expected at least one image, got " + detail::shape_string(shape));
  }
  const int64_t channels = batch.size(nhwc ? 3 : 1);
  if (channels < 1 || channels > 4) {
    const int64_t other = batch.size(nhwc ? 1 : 3);
    std::string message = std::string("image batch: expected ") +
                          (nhwc ? "N x H x W x C" : "N x C x H x W") +
                          " with C from 1 to 4, got " + detail::shape_string(shape);
    if (other >= 1 && other <= 4) {
      message += nhwc ? " (an N x C x H x W batch needs BatchOptions::layout = "
                        "wandb::BatchLayout::kNCHW)"
                      : " (an N x H x W x C batch needs BatchOptions::layout = "
                        "wandb::BatchLayout::kNHWC)";
    }
    throw ValueError(message);
  }
  if (!options.captions.empty() && options.captions.size() != static_cast<size_t>(n)) {
    throw ValueError("captions: expected " + std::to_string(n) +
                     " (one per image of the batch), got " +
                     std::to_string(options.captions.size()));
  }
  const Layout per_image = nhwc ? Layout::kHWC : Layout::kCHW;
  ImageOptions& image = options.image;
  if (image.layout != Layout::kAuto && image.layout != per_image) {
    throw ValueError(std::string("image.layout: expected Layout::kAuto or ") +
                     (nhwc ? "Layout::kHWC (the batch is N x H x W x C)"
                           : "Layout::kCHW (the batch is N x C x H x W)") +
                     ", got Layout::" + (image.layout == Layout::kHWC ? "kHWC" : "kCHW"));
  }
  image.layout = per_image;
  std::vector<Image> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (!options.captions.empty()) image.caption = options.captions[static_cast<size_t>(i)];
    out.emplace_back(batch.select(0, i), image);
  }
  return out;
} catch (...) {
  detail::rethrow_torch_error("image batch");
}

// ---- a row value from a one-element tensor ------------------------------------

Value::Value(const at::Tensor& scalar) try {
  if (!scalar.defined()) {
    throw TypeError("value: expected a tensor of one element, got an undefined tensor");
  }
  if (scalar.numel() != 1) {
    throw TypeError("value: expected a tensor of one element (a number such as a loss), got " +
                    std::to_string(scalar.numel()) + " elements " +
                    detail::shape_string(detail::shape_of(scalar)) +
                    " (log an image with wandb::Image(tensor), a batch of images with "
                    "wandb::images_from_batch(tensor))");
  }
  const at::ScalarType type = scalar.scalar_type();
  at::Tensor x = scalar.detach();
  if (x.is_sparse()) x = x.to_dense();
  if (type == at::kBool) {
    json_ = x.item<bool>();
  } else if (at::isIntegralType(type, /*includeBool=*/false)) {
    json_ = x.item<int64_t>();
  } else if (at::isFloatingType(type)) {
    json_ = x.item<double>();
  } else {
    throw TypeError(std::string("value tensor dtype: expected bool, an integer or a floating-point "
                                "dtype, got ") +
                    c10::toString(type));
  }
} catch (...) {
  detail::rethrow_torch_error("value");
}

}  // namespace wandb
