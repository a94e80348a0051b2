// Tensor -> pixel conversion paths (exposed for tests of the device path).
#pragma once

#include "detail/pixels.h"
#include "wandb/fwd.h"

namespace wandb::detail {

/// The path for tensors off the CPU: normalise with tensor ops on the tensor's
/// device, then copy the uint8 H x W x C result to the host. Bit-identical to the
/// CPU kernel; callable on CPU tensors so tests can compare the two.
at::Tensor tensor_to_uint8_ops(const at::Tensor& data, bool normalize, NormalizeInfo* info);

/// The same route into a pixel buffer: uint8 on the device, then one copy to
/// the host, straight into the buffer. Used for tensors off the CPU;
/// callable on CPU tensors for tests.
PixelBuffer tensor_to_pixels_ops(const at::Tensor& data, bool normalize, NormalizeInfo* info);

/// Any tensor to log-ready pixels before mode conversion: the CPU kernel for
/// CPU tensors, tensor_to_pixels_ops otherwise.
PixelBuffer tensor_to_pixels(const at::Tensor& data, bool normalize, NormalizeInfo* info);

/// Throws for undefined, sparse, meta, wrong-rank or unsupported-dtype tensors.
void check_image_tensor(const at::Tensor& data);

/// A LibTorch error (c10::Error) met while reading a user's tensor, as the
/// ValueError the public API promises: "<what>: expected a tensor LibTorch
/// can read, got: <LibTorch's message>" (allocation failures and other
/// exceptions as rethrow_as_error). Call from a catch block.
[[noreturn]] void rethrow_torch_error(const char* what);

/// LibTorch's version ("1.13.0") and whether it can use CUDA, for run metadata.
std::string libtorch_version();
bool libtorch_has_cuda();

}  // namespace wandb::detail
