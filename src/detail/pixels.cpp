#include "detail/pixels.h"

#include "detail/guard.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <type_traits>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include "wandb/errors.h"
#include "wandb/image.h"
#include "wandb/warnings.h"

namespace wandb::detail {
namespace {

// Value as double: exact for every supported type except int64 beyond 2^53,
// where rounding is monotone and so still orders against 0, 1, -1 and 255.
template <class T>
double as_double(T v) {
  return static_cast<double>(v);
}

// The type min/max are computed in: exact for the element type, and monotone
// with as_double (so the double extremes equal the extremes' doubles).
template <class T>
using MinMaxType = std::conditional_t<std::is_same_v<T, c10::Half> || std::is_same_v<T, c10::BFloat16>,
                                      float, T>;

#if defined(__GNUC__)
// 16-byte SIMD vectors of M (GCC/Clang vector extensions; SSE2 on x86-64).
template <class M>
struct Simd;
#define WANDB_SIMD(M)                                   \
  template <>                                           \
  struct Simd<M> {                                      \
    typedef M type __attribute__((vector_size(16)));    \
  };
WANDB_SIMD(float)
WANDB_SIMD(double)
WANDB_SIMD(uint8_t)
WANDB_SIMD(int8_t)
WANDB_SIMD(uint16_t)
WANDB_SIMD(int16_t)
WANDB_SIMD(int32_t)
WANDB_SIMD(int64_t)
#undef WANDB_SIMD

// Min, max and NaN of a contiguous span of M in SIMD lanes. A running scalar
// min does not vectorise (GCC keeps the order of float comparisons); lanes
// give the same extremes, and NaN never replaces a lane's value, as in the
// scalar `if (v < lo) lo = v`.
template <class M>
int64_t simd_min_max(const M* p, int64_t n, M& lo, M& hi, bool& has_nan) {
  using V = typename Simd<M>::type;
  using Mask = decltype(V{} != V{});
  constexpr int kLanes = static_cast<int>(sizeof(V) / sizeof(M));
  constexpr int kUnroll = 4;
  V lo_v[kUnroll], hi_v[kUnroll];
  Mask nan_v[kUnroll];
  for (int u = 0; u < kUnroll; ++u) {
    for (int k = 0; k < kLanes; ++k) {
      lo_v[u][k] = lo;
      hi_v[u][k] = hi;
    }
    nan_v[u] = Mask{};
  }
  int64_t i = 0;
  for (; i + kLanes * kUnroll <= n; i += kLanes * kUnroll) {
    for (int u = 0; u < kUnroll; ++u) {
      V v;
      std::memcpy(&v, p + i + u * kLanes, sizeof(V));
      lo_v[u] = v < lo_v[u] ? v : lo_v[u];
      hi_v[u] = v > hi_v[u] ? v : hi_v[u];
      nan_v[u] |= v != v;
    }
  }
  for (int u = 0; u < kUnroll; ++u) {
    for (int k = 0; k < kLanes; ++k) {
      if (lo_v[u][k] < lo) lo = lo_v[u][k];
      if (hi_v[u][k] > hi) hi = hi_v[u][k];
      if (nan_v[u][k]) has_nan = true;
    }
  }
  return i;
}
#else
template <class M>
int64_t simd_min_max(const M*, int64_t, M&, M&, bool&) {
  return 0;
}
#endif

template <class T>
void span_min_max(const T* p, int64_t n, MinMaxType<T>& lo, MinMaxType<T>& hi, bool& has_nan) {
  using M = MinMaxType<T>;
  int64_t i = 0;
  if constexpr (std::is_same_v<T, M>) {
    i = simd_min_max(p, n, lo, hi, has_nan);
  } else {
    // float16 and bfloat16: widen a block at a time, then the float lanes.
    constexpr int64_t kBlock = 256;
    M block[kBlock];
    for (; i + kBlock <= n; i += kBlock) {
      for (int64_t k = 0; k < kBlock; ++k) block[k] = static_cast<M>(p[i + k]);
      simd_min_max(block, kBlock, lo, hi, has_nan);
    }
  }
  for (; i < n; ++i) {
    const M v = static_cast<M>(p[i]);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (v != v) has_nan = true;
  }
}

template <class T>
void min_max(const StridedSource& s, double& lo_out, double& hi_out, bool& has_nan) {
  using M = MinMaxType<T>;
  const T* base = static_cast<const T*>(s.base);
  M lo = std::numeric_limits<M>::has_infinity ? std::numeric_limits<M>::infinity()
                                              : std::numeric_limits<M>::max();
  M hi = std::numeric_limits<M>::has_infinity ? -std::numeric_limits<M>::infinity()
                                              : std::numeric_limits<M>::lowest();
  has_nan = false;
  const int64_t row = s.width * s.channels;
  if (s.stride_w == 1 && s.stride_h == s.width && (s.channels == 1 || s.stride_c == s.height * s.width)) {
    span_min_max(base, s.height * row, lo, hi, has_nan);  // contiguous C x H x W
  } else if (s.stride_w == 1) {  // planar rows (C x H x W views)
    for (int64_t c = 0; c < s.channels; ++c) {
      for (int64_t h = 0; h < s.height; ++h) {
        span_min_max(base + c * s.stride_c + h * s.stride_h, s.width, lo, hi, has_nan);
      }
    }
  } else if (s.stride_c == 1 && s.stride_w == s.channels) {  // interleaved rows (H x W x C)
    for (int64_t h = 0; h < s.height; ++h) {
      span_min_max(base + h * s.stride_h, row, lo, hi, has_nan);
    }
  } else {
    for (int64_t h = 0; h < s.height; ++h) {
      for (int64_t w = 0; w < s.width; ++w) {
        const T* px = base + h * s.stride_h + w * s.stride_w;
        for (int64_t c = 0; c < s.channels; ++c) {
          const M v = static_cast<M>(px[c * s.stride_c]);
          if (v < lo) lo = v;
          if (v > hi) hi = v;
          if (v != v) has_nan = true;
        }
      }
    }
  }
  lo_out = as_double(lo);
  hi_out = as_double(hi);
}

template <class T, class F>
void convert_span(const T* __restrict src, int64_t n, uint8_t* __restrict dst, F f) {
  for (int64_t i = 0; i < n; ++i) dst[i] = f(src[i]);
}

// R G B (A) planes -> interleaved pixels; C known at compile time so GCC
// vectorises the stores.
template <int C>
void interleave(const uint8_t* __restrict planes, int64_t width, uint8_t* __restrict dst) {
  for (int64_t w = 0; w < width; ++w) {
    for (int c = 0; c < C; ++c) dst[w * C + c] = planes[c * width + w];
  }
}

bool identity_map(const StridedSource& s) {
  for (int64_t c = 0; c < s.channels; ++c) {
    if (s.channel_map[static_cast<size_t>(c)] != c) return false;
  }
  return true;
}

template <class T, class F>
void transform(const StridedSource& s, uint8_t* dst, F f) {
  if constexpr (std::is_same_v<T, c10::Half>) {
    // Half arithmetic is slow in software: above 2^17 elements, tabulating f
    // for all 2^16 bit patterns and looking the results up is faster.
    if (s.height * s.width * s.channels >= (int64_t{1} << 17)) {
      std::vector<uint8_t> table(size_t{1} << 16);
      for (uint32_t bits = 0; bits < table.size(); ++bits) {
        table[bits] = f(c10::Half(static_cast<uint16_t>(bits), c10::Half::from_bits()));
      }
      const uint8_t* lookup = table.data();
      transform<uint16_t>(s, dst, [lookup](uint16_t bits) { return lookup[bits]; });
      return;
    }
  }
  const T* base = static_cast<const T*>(s.base);
  const int64_t n_channels = s.channels;
  const int64_t row = s.width * n_channels;
  if (s.stride_w == 1) {
    // Planar rows (tensors' C x H x W): each channel's row converts as one
    // contiguous span, then the rows interleave.
    if (n_channels == 1) {
      for (int64_t h = 0; h < s.height; ++h) convert_span(base + h * s.stride_h, s.width, dst + h * row, f);
      return;
    }
    std::vector<uint8_t> planes(static_cast<size_t>(row));
    for (int64_t h = 0; h < s.height; ++h) {
      for (int64_t c = 0; c < n_channels; ++c) {
        const T* src = base + s.channel_map[static_cast<size_t>(c)] * s.stride_c + h * s.stride_h;
        convert_span(src, s.width, planes.data() + c * s.width, f);
      }
      uint8_t* out = dst + h * row;
      switch (n_channels) {
        case 2: interleave<2>(planes.data(), s.width, out); break;
        case 3: interleave<3>(planes.data(), s.width, out); break;
        default: interleave<4>(planes.data(), s.width, out); break;
      }
    }
    return;
  }
  if (s.stride_c == 1 && s.stride_w == n_channels) {
    // Interleaved rows (Mats' H x W x C): convert the row, then reorder
    // channels in place (B G R -> R G B).
    const bool reorder = !identity_map(s);
    for (int64_t h = 0; h < s.height; ++h) {
      uint8_t* out = dst + h * row;
      convert_span(base + h * s.stride_h, row, out, f);
      if (!reorder) continue;
      for (int64_t w = 0; w < s.width; ++w) {
        uint8_t px[4];
        uint8_t* p = out + w * n_channels;
        for (int64_t c = 0; c < n_channels; ++c) px[c] = p[s.channel_map[static_cast<size_t>(c)]];
        for (int64_t c = 0; c < n_channels; ++c) p[c] = px[c];
      }
    }
    return;
  }
  int64_t offsets[4];
  for (int64_t c = 0; c < n_channels; ++c) offsets[c] = s.channel_map[c] * s.stride_c;
  for (int64_t h = 0; h < s.height; ++h) {
    const T* src_row = base + h * s.stride_h;
    if (n_channels == 1) {
      for (int64_t w = 0; w < s.width; ++w) *dst++ = f(src_row[w * s.stride_w]);
      continue;
    }
    for (int64_t w = 0; w < s.width; ++w) {
      const T* px = src_row + w * s.stride_w;
      for (int64_t c = 0; c < n_channels; ++c) *dst++ = f(px[offsets[c]]);
    }
  }
}

// numpy's clip(data, 0, 255).astype(uint8): truncation toward zero; NaN -> 0.
// Each type clamps in its own arithmetic (exact, and equal to clamping the
// double value) so the loops vectorise.
struct Saturate {
  template <class T>
  uint8_t operator()(T v) const {
    if constexpr (std::is_same_v<T, uint8_t>) {
      return v;
    } else if constexpr (std::is_integral_v<T>) {
      return v <= 0 ? 0 : v >= 255 ? 255 : static_cast<uint8_t>(v);
    } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      const T x = v > 0 ? v : T(0);  // negative, zero and NaN -> 0
      return static_cast<uint8_t>(static_cast<int32_t>(x < T(255) ? x : T(255)));
    } else {
      const float d = static_cast<float>(v);  // float16, bfloat16: exact in float
      const float x = d > 0 ? d : 0.0f;
      return static_cast<uint8_t>(static_cast<int32_t>(x < 255.0f ? x : 255.0f));
    }
  }
};

// Branch 1 and 2 in each precision numpy would use (docs/normalization.md).
struct ScaleF32 {
  uint8_t operator()(float v) const {
    return static_cast<uint8_t>(static_cast<int32_t>(v * 255.0f));
  }
};
struct ShiftF32 {
  uint8_t operator()(float v) const {
    return static_cast<uint8_t>(static_cast<int32_t>(127.5f * (v + 1.0f)));
  }
};
// Integers reach branch 1 only as 0 and 1, branch 2 only as -1, 0 and 1: the
// float64 results (0, 255; 0, 127, 255) in integer arithmetic.
struct ScaleF64 {
  template <class T>
  uint8_t operator()(T v) const {
    if constexpr (std::is_integral_v<T>) {
      return static_cast<uint8_t>(v * 255);
    } else {
      return static_cast<uint8_t>(static_cast<int32_t>(static_cast<double>(v) * 255.0));
    }
  }
};
struct ShiftF64 {
  template <class T>
  uint8_t operator()(T v) const {
    if constexpr (std::is_integral_v<T>) {
      return static_cast<uint8_t>((255 * (static_cast<int32_t>(v) + 1)) >> 1);
    } else {
      return static_cast<uint8_t>(static_cast<int32_t>(127.5 * (static_cast<double>(v) + 1.0)));
    }
  }
};
// float16: every operation rounds to half, as numpy's half arithmetic does.
// Large float16 images tabulate these for all 65,536 bit patterns, ±Inf, NaN
// and values outside the branch included: those results are never looked up,
// but must not be out-of-range float-to-int conversions (undefined).
inline uint8_t truncate_in_range(float r) {
  return r >= 0.0f && r < 256.0f ? static_cast<uint8_t>(static_cast<int32_t>(r)) : 0;
}
struct ScaleF16 {
  uint8_t operator()(c10::Half v) const {
    const c10::Half r(static_cast<float>(v) * 255.0f);
    return truncate_in_range(static_cast<float>(r));
  }
};
struct ShiftF16 {
  uint8_t operator()(c10::Half v) const {
    const c10::Half t(static_cast<float>(v) + 1.0f);
    const c10::Half r(127.5f * static_cast<float>(t));
    return truncate_in_range(static_cast<float>(r));
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

void advise_huge_pages(void* data, std::size_t size) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  if (size < 2 * kHuge) return;
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1);
  const std::uintptr_t last = (begin + size) & ~(kHuge - 1);
  // Only whole huge pages inside the buffer; a refusal (THP disabled) is fine.
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
  (void)data;
  (void)size;
#endif
}

PixelBuffer allocate_pixels(int64_t height, int64_t width, int64_t channels) {
  PixelBuffer out;
  out.height = static_cast<int>(height);
  out.width = static_cast<int>(width);
  out.channels = static_cast<int>(channels);
  const auto size = static_cast<size_t>(height * width * channels);
  out.data.reserve(size);
  advise_huge_pages(out.data.data(), size);
  out.data.resize(size);
  return out;
}

PixelBuffer normalize_to_uint8(const StridedSource& s, bool normalize, NormalizeInfo* info) {
  PixelBuffer out = allocate_pixels(s.height, s.width, s.channels);
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
      detail::emit_warning_once("JPEG format does not support transparency. Ignoring alpha channel.");
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
