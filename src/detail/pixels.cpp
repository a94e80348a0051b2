#include "detail/pixels.h"

#include <cmath>
#include <limits>
#include <sstream>

#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include "wandb/errors.h"
#include "wandb/image.h"
#include "wandb/warnings.h"

namespace wandb::detail {
namespace {

// Element value as double: exact for every supported type except int64 beyond
// 2^53, where rounding is monotone and so still orders against 0, 1, -1 and 255.
template <class T>
double as_double(T v) {
  return static_cast<double>(v);
}
template <>
double as_double<c10::Half>(c10::Half v) {
  return static_cast<double>(static_cast<float>(v));
}
template <>
double as_double<c10::BFloat16>(c10::BFloat16 v) {
  return static_cast<double>(static_cast<float>(v));
}

template <class T>
void min_max(const StridedSource& s, double& lo, double& hi, bool& has_nan) {
  const T* base = static_cast<const T*>(s.base);
  lo = std::numeric_limits<double>::infinity();
  hi = -lo;
  has_nan = false;
  for (int64_t h = 0; h < s.height; ++h) {
    for (int64_t w = 0; w < s.width; ++w) {
      const T* px = base + h * s.stride_h + w * s.stride_w;
      for (int64_t c = 0; c < s.channels; ++c) {
        const double v = as_double(px[c * s.stride_c]);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        if (v != v) has_nan = true;
      }
    }
  }
}

template <class T, class F>
void transform(const StridedSource& s, uint8_t* dst, F f) {
  const T* base = static_cast<const T*>(s.base);
  const int64_t n_channels = s.channels;
  int64_t offsets[4];
  for (int64_t c = 0; c < n_channels; ++c) offsets[c] = s.channel_map[c] * s.stride_c;
  for (int64_t h = 0; h < s.height; ++h) {
    const T* row = base + h * s.stride_h;
    if (n_channels == 1) {
      for (int64_t w = 0; w < s.width; ++w) *dst++ = f(row[w * s.stride_w]);
      continue;
    }
    for (int64_t w = 0; w < s.width; ++w) {
      const T* px = row + w * s.stride_w;
      for (int64_t c = 0; c < n_channels; ++c) *dst++ = f(px[offsets[c]]);
    }
  }
}

// numpy's clip(data, 0, 255).astype(uint8): truncation toward zero; NaN -> 0.
struct Saturate {
  template <class T>
  uint8_t operator()(T v) const {
    const double d = as_double(v);
    if (!(d > 0)) return 0;  // negative, zero and NaN
    if (d >= 255) return 255;
    return static_cast<uint8_t>(d);
  }
};

// Branch 1 and 2 in each precision numpy would use (SEMANTICS.md §2).
struct ScaleF32 {
  uint8_t operator()(float v) const { return static_cast<uint8_t>(v * 255.0f); }
};
struct ShiftF32 {
  uint8_t operator()(float v) const { return static_cast<uint8_t>(127.5f * (v + 1.0f)); }
};
struct ScaleF64 {
  template <class T>
  uint8_t operator()(T v) const {
    return static_cast<uint8_t>(static_cast<double>(v) * 255.0);
  }
};
struct ShiftF64 {
  template <class T>
  uint8_t operator()(T v) const {
    return static_cast<uint8_t>(127.5 * (static_cast<double>(v) + 1.0));
  }
};
// float16: every operation rounds to half, as numpy's half arithmetic does.
struct ScaleF16 {
  uint8_t operator()(c10::Half v) const {
    const c10::Half r(static_cast<float>(v) * 255.0f);
    return static_cast<uint8_t>(static_cast<float>(r));
  }
};
struct ShiftF16 {
  uint8_t operator()(c10::Half v) const {
    const c10::Half t(static_cast<float>(v) + 1.0f);
    const c10::Half r(127.5f * static_cast<float>(t));
    return static_cast<uint8_t>(static_cast<float>(r));
  }
};
// bfloat16 has no numpy counterpart (the SDK fails on it): computed as float32.
struct ScaleBF16 {
  uint8_t operator()(c10::BFloat16 v) const { return ScaleF32()(static_cast<float>(v)); }
};
struct ShiftBF16 {
  uint8_t operator()(c10::BFloat16 v) const { return ShiftF32()(static_cast<float>(v)); }
};

template <class T, class Scale, class Shift>
NormalizeInfo run(const StridedSource& s, bool normalize, uint8_t* dst) {
  NormalizeInfo info;
  if (!normalize) {
    transform<T>(s, dst, Saturate());
    return info;
  }
  double lo = 0, hi = 0;
  bool has_nan = false;
  min_max<T>(s, lo, hi, has_nan);
  // With a NaN, numpy's min and max are NaN and every comparison is false: the
  // SDK neither warns about the range nor takes branch 1 or 2.
  info.out_of_range = !has_nan && (lo < 0 || hi > 255);
  if (!has_nan && 0 <= lo && hi <= 1) {
    info.branch = 1;
    transform<T>(s, dst, Scale());
  } else if (!has_nan && -1 <= lo && hi <= 1) {
    info.branch = 2;
    transform<T>(s, dst, Shift());
  } else {
    info.branch = 3;
    transform<T>(s, dst, Saturate());
  }
  return info;
}

}  // namespace

PixelBuffer normalize_to_uint8(const StridedSource& s, bool normalize, NormalizeInfo* info) {
  PixelBuffer out;
  out.height = static_cast<int>(s.height);
  out.width = static_cast<int>(s.width);
  out.channels = static_cast<int>(s.channels);
  out.data.resize(static_cast<size_t>(s.height * s.width * s.channels));
  uint8_t* dst = out.data.data();
  NormalizeInfo result;
  switch (s.type) {
    case ElemType::kBool:
    case ElemType::kU8: result = run<uint8_t, ScaleF64, ShiftF64>(s, normalize, dst); break;
    case ElemType::kI8: result = run<int8_t, ScaleF64, ShiftF64>(s, normalize, dst); break;
    case ElemType::kU16: result = run<uint16_t, ScaleF64, ShiftF64>(s, normalize, dst); break;
    case ElemType::kI16: result = run<int16_t, ScaleF64, ShiftF64>(s, normalize, dst); break;
    case ElemType::kI32: result = run<int32_t, ScaleF64, ShiftF64>(s, normalize, dst); break;
    case ElemType::kI64: result = run<int64_t, ScaleF64, ShiftF64>(s, normalize, dst); break;
    case ElemType::kF16: result = run<c10::Half, ScaleF16, ShiftF16>(s, normalize, dst); break;
    case ElemType::kBF16:
      result = run<c10::BFloat16, ScaleBF16, ShiftBF16>(s, normalize, dst);
      break;
    case ElemType::kF32: result = run<float, ScaleF32, ShiftF32>(s, normalize, dst); break;
    case ElemType::kF64: result = run<double, ScaleF64, ShiftF64>(s, normalize, dst); break;
  }
  if (info) *info = result;
  return out;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

std::string mode_for_channels(int channels, const std::vector<int64_t>& shape) {
  switch (channels) {
    case 1: return "L";
    case 2: return "LA";
    case 3: return "RGB";
    case 4: return "RGBA";
    default:
      throw ValueError("Un-supported shape for image conversion " + shape_string(shape) +
                       ": expected 1, 2 (with mode \"LA\"), 3 or 4 channels, got " +
                       std::to_string(channels));
  }
}

int channels_for_mode(const std::string& mode) {
  if (mode == "L") return 1;
  if (mode == "LA") return 2;
  if (mode == "RGB") return 3;
  if (mode == "RGBA") return 4;
  throw ValueError("mode: expected one of ['L', 'LA', 'RGB', 'RGBA'], got '" + mode + "'");
}

namespace {
// Pillow's L24 luma: ITU-R 601-2 with 16-bit fixed-point weights, rounded.
inline uint8_t luma(const uint8_t* p) {
  return static_cast<uint8_t>((p[0] * 19595u + p[1] * 38470u + p[2] * 7471u + 0x8000u) >> 16);
}
}  // namespace

PixelBuffer convert_mode(PixelBuffer in, int to) {
  const int from = in.channels;
  if (from == to) return in;
  PixelBuffer out;
  out.height = in.height;
  out.width = in.width;
  out.channels = to;
  const size_t n = static_cast<size_t>(in.height) * static_cast<size_t>(in.width);
  out.data.resize(n * static_cast<size_t>(to));
  const uint8_t* s = in.data.data();
  uint8_t* d = out.data.data();
  for (size_t i = 0; i < n; ++i, s += from, d += to) {
    const bool colour = from >= 3;
    const uint8_t grey = colour ? luma(s) : s[0];
    const uint8_t alpha = (from == 2) ? s[1] : (from == 4) ? s[3] : 255;
    switch (to) {
      case 1: d[0] = grey; break;
      case 2: d[0] = grey; d[1] = alpha; break;
      case 3:
      case 4:
        if (colour) {
          d[0] = s[0]; d[1] = s[1]; d[2] = s[2];
        } else {
          d[0] = d[1] = d[2] = s[0];
        }
        if (to == 4) d[3] = alpha;
        break;
      default: break;
    }
  }
  return out;
}

std::string checked_file_type(const std::string* file_type) {
  if (!file_type) return "png";
  const std::string& t = *file_type;
  if (t == "png" || t == "jpg" || t == "jpeg" || t == "bmp") return t;
  throw ValueError("file_type must be one of ['png', 'jpg', 'jpeg', 'bmp'], got '" + t + "'");
}

std::string guess_mode(int64_t channels, bool two_dimensional, const std::vector<int64_t>& shape,
                       const std::string* file_type) {
  if (two_dimensional || channels == 1) return "L";
  if (channels == 3) return "RGB";
  if (channels == 4) {
    if (file_type && (*file_type == "jpg" || *file_type == "jpeg")) {
      warn_once("JPEG format does not support transparency. Ignoring alpha channel.");
      return "RGB";
    }
    return "RGBA";
  }
  throw ValueError("Un-supported shape for image conversion " + shape_string(shape) +
                   ": expected 1, 3 or 4 channels (2 with mode \"LA\"), got " +
                   std::to_string(channels));
}

void check_encodable(const std::string& mode, const std::string& file_type, int64_t height,
                     int64_t width) {
  if (height > Image::MAX_DIMENSION || width > Image::MAX_DIMENSION) {
    throw ValueError("image size: expected width and height at most " +
                     std::to_string(Image::MAX_DIMENSION) + ", got " + std::to_string(width) +
                     "x" + std::to_string(height));
  }
  const bool jpeg = file_type == "jpg" || file_type == "jpeg";
  if (jpeg && (mode == "RGBA" || mode == "LA")) {
    throw ValueError("cannot write mode " + mode + " as JPEG: expected mode L or RGB");
  }
  if (file_type == "bmp" && mode == "LA") {
    throw ValueError("cannot write mode LA as BMP: expected mode L, RGB or RGBA");
  }
}

}  // namespace wandb::detail
