// Normalisation of raw arrays to log-ready uint8 pixels, and Pillow mode
// conversion. Independent of ATen tensors and OpenCV Mats: both front ends
// describe their memory as a StridedSource. This header includes neither
// library; pixels.cpp computes float16 and bfloat16 with c10's Half and
// BFloat16, LibTorch's header-only scalar types.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace wandb::detail {

/// An allocator whose value-initialisation leaves bytes as they are: a pixel
/// buffer is always written whole by the kernel that asked for it, so the
/// zero-fill std::vector would do first is wasted work (48 MiB at 4096^2).
template <class T>
struct UninitializedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <class U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;  // default-initialisation: no zeroing
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

/// Bytes that resize() does not zero.
using PixelBytes = std::vector<uint8_t, UninitializedAllocator<uint8_t>>;

/// Row-major H x W x C uint8 pixels in RGB(A) order.
struct PixelBuffer {
  int height = 0;
  int width = 0;
  int channels = 0;
  PixelBytes data;
};

enum class ElemType { kBool, kU8, kI8, kU16, kI16, kI32, kI64, kF16, kBF16, kF32, kF64 };

/// A read-only view of H x W x C elements. Strides are in elements; output
/// channel c reads input channel channel_map[c] (used for BGR -> RGB).
struct StridedSource {
  const void* base = nullptr;
  ElemType type = ElemType::kU8;
  int64_t height = 0, width = 0, channels = 0;
  int64_t stride_h = 0, stride_w = 0, stride_c = 0;
  std::array<int, 4> channel_map{0, 1, 2, 3};
};

/// Hints that a buffer about to be written should be backed by transparent
/// huge pages (Linux, madvise; buffers of 4 MiB and more, otherwise nothing):
/// first writes then fault 2 MiB at a time instead of 4 KiB, which matters
/// where page faults are slow (virtual machines).
void advise_huge_pages(void* data, std::size_t size);

/// An H x W x C buffer about to be filled (huge pages advised when large).
PixelBuffer allocate_pixels(int64_t height, int64_t width, int64_t channels);

/// What the normalisation did, for warnings and tests.
struct NormalizeInfo {
  int branch = 0;              // 1: [0,1]*255, 2: [-1,1] rescale, 3: clip, 0: normalize off
  bool out_of_range = false;   // values below 0 or above 255 were seen (SDK warning)
};

/// The SDK's `_guess_and_rescale_to_0_255` followed by the uint8 cast, with the
/// precision rules of docs/normalization.md. NaN -> 0, +-Inf clipped. With
/// normalize=false values are saturated to [0, 255] and truncated.
PixelBuffer normalize_to_uint8(const StridedSource& src, bool normalize,
                               NormalizeInfo* info = nullptr);

/// "L", "LA", "RGB", "RGBA" for 1..4 channels; throws ValueError otherwise.
std::string mode_for_channels(int channels, const std::vector<int64_t>& shape);
/// Channels of a supported mode; throws ValueError listing the supported modes.
int channels_for_mode(const std::string& mode);
/// Pillow's Image.convert between L, LA, RGB and RGBA.
PixelBuffer convert_mode(PixelBuffer in, int to_channels);

/// Validates file_type (png, jpg, jpeg, bmp) and returns it (default "png").
std::string checked_file_type(const std::string* file_type);
/// The SDK's guess_mode for a given channel count and dimensionality.
std::string guess_mode(int64_t channels, bool two_dimensional,
                       const std::vector<int64_t>& shape, const std::string* file_type);
/// Throws when the encoder cannot write `mode` as `file_type`, or when a
/// dimension is zero or above Image::MAX_DIMENSION.
void check_encodable(const std::string& mode, const std::string& file_type, int64_t height,
                     int64_t width);

/// "[3, 4, 5]" as Python prints a shape list.
std::string shape_string(const std::vector<int64_t>& shape);

}  // namespace wandb::detail
