// The OpenCV front end: cv::Mat in (B G R order), cv::Mat out, and a row Value from a Mat.
#include <cstring>

#include <opencv2/core.hpp>

#include "detail/codec.h"
#include "detail/guard.h"
#include "detail/image_data.h"
#include "detail/mask_data.h"
#include "wandb/errors.h"
#include "wandb/run.h"

namespace wandb {
namespace {

detail::ElemType mat_elem_type(int depth) {
  switch (depth) {
    case CV_8U: return detail::ElemType::kU8;
    case CV_8S: return detail::ElemType::kI8;
    case CV_16U: return detail::ElemType::kU16;
    case CV_16S: return detail::ElemType::kI16;
    case CV_32S: return detail::ElemType::kI32;
    case CV_32F: return detail::ElemType::kF32;
    case CV_64F: return detail::ElemType::kF64;
#ifdef CV_16F
    case CV_16F: return detail::ElemType::kF16;
#endif
    default:
      throw TypeError("image Mat depth: expected CV_8U, CV_8S, CV_16U, CV_16S, CV_32S, CV_16F, "
                      "CV_32F or CV_64F, got depth " + std::to_string(depth));
  }
}

// H x W x C view of a Mat: a 2-D Mat with C channels, or a 3-D single-channel
// Mat (numpy-style H x W x C).
struct MatView {
  detail::StridedSource source;
  std::vector<int64_t> shape;
  bool two_dimensional = false;
};

MatView view_of(const cv::Mat& m) {
  if (m.empty()) {
    throw ValueError("image Mat: expected a non-empty Mat, got an empty one");
  }
  MatView v;
  detail::StridedSource& s = v.source;
  s.type = mat_elem_type(m.depth());
  const int64_t esz = static_cast<int64_t>(m.elemSize1());
  s.base = m.data;
  if (m.dims == 2) {
    s.height = m.rows;
    s.width = m.cols;
    s.channels = m.channels();
    s.stride_h = static_cast<int64_t>(m.step[0]) / esz;
    s.stride_w = static_cast<int64_t>(m.step[1]) / esz;
    s.stride_c = 1;
    v.two_dimensional = m.channels() == 1;
    v.shape = {s.height, s.width};
    if (!v.two_dimensional) v.shape.push_back(s.channels);
  } else if (m.dims == 3 && m.channels() == 1) {
    s.height = m.size[0];
    s.width = m.size[1];
    s.channels = m.size[2];
    s.stride_h = static_cast<int64_t>(m.step[0]) / esz;
    s.stride_w = static_cast<int64_t>(m.step[1]) / esz;
    s.stride_c = static_cast<int64_t>(m.step[2]) / esz;
    v.shape = {s.height, s.width, s.channels};
  } else {
    throw ValueError("image Mat: expected H x W with 1-4 channels or H x W x C, got " +
                     std::to_string(m.dims) + " dimensions with " +
                     std::to_string(m.channels()) + " channels");
  }
  // OpenCV keeps colour in B G R (A) order; the SDK's arrays are R G B (A).
  if (s.channels == 3) s.channel_map = {2, 1, 0, 3};
  if (s.channels == 4) s.channel_map = {2, 1, 0, 3};
  return v;
}

}  // namespace

Image::Image(const cv::Mat& data, ImageOptions options) try {
  if (options.layout == Layout::kCHW) {
    throw ValueError("image Mat layout: expected Layout::kAuto or Layout::kHWC (a Mat is "
                     "H x W x C), got Layout::kCHW");
  }
  const MatView v = view_of(data);
  const detail::ModePlan plan = detail::plan_mode(v.source.channels, v.two_dimensional, v.shape,
                                                  v.source.height, v.source.width, options);
  detail::NormalizeInfo info;
  detail::PixelBuffer pixels = detail::normalize_to_uint8(v.source, options.normalize, &info);
  data_ = detail::finish_pixels(std::move(pixels), info, plan, options);
  apply_meta(options);
} WANDB_PUBLIC_CALL("Image")

std::string Image::guess_mode(const cv::Mat& data, const std::optional<std::string>& file_type) try {
  const MatView v = view_of(data);
  return detail::guess_mode(v.source.channels, v.two_dimensional, v.shape,
                            file_type ? &*file_type : nullptr);
} WANDB_PUBLIC_CALL("Image::guess_mode")

cv::Mat Image::pixels_mat() const try {
  const detail::PixelBuffer& px = data_->pixel_buffer();
  const cv::Mat rgb(px.height, px.width, CV_8UC(px.channels), const_cast<uint8_t*>(px.data.data()));
  cv::Mat out = detail::swap_red_blue(rgb);
  // Grey and grey + alpha come back wrapping the image's own buffer: the Mat
  // handed out must own its pixels.
  if (out.data == rgb.data) out = rgb.clone();
  return out;
} WANDB_PUBLIC_CALL("Image::pixels_mat")

ImageMask::ImageMask(const cv::Mat& mask_data, std::optional<ClassLabels> class_labels) try {
  if (mask_data.empty() || mask_data.dims != 2 || mask_data.channels() != 1) {
    std::vector<int64_t> shape;
    for (int i = 0; i < mask_data.dims; ++i) shape.push_back(mask_data.size[i]);
    if (mask_data.channels() != 1) shape.push_back(mask_data.channels());
    detail::throw_mask_rank(shape);
  }
  detail::check_mask_size(mask_data.rows, mask_data.cols);
  const int depth = mask_data.depth();
  if (depth != CV_8U && depth != CV_8S && depth != CV_16U && depth != CV_16S && depth != CV_32S) {
    throw TypeError("Mask data must be integers between 0 and 255: expected an integer Mat "
                    "(CV_8U, CV_8S, CV_16U, CV_16S or CV_32S), got depth " +
                    std::to_string(depth));
  }
  double lo = 0, hi = 0;
  cv::minMaxLoc(mask_data, &lo, &hi);
  if (lo < 0 || hi > 255) detail::throw_mask_range(lo, hi);
  cv::Mat u8;
  mask_data.convertTo(u8, CV_8U);
  std::vector<uint8_t> values(static_cast<size_t>(u8.rows) * u8.cols);
  for (int y = 0; y < u8.rows; ++y) std::memcpy(values.data() + y * u8.cols, u8.ptr(y), u8.cols);
  state_ = detail::make_mask_state(u8.rows, u8.cols, std::move(values), std::move(class_labels));
} WANDB_PUBLIC_CALL("ImageMask")

Value::Value(const cv::Mat& image) : Value(Image(image)) {}

}  // namespace wandb
