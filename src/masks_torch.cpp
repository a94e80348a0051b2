// Class maps from model outputs: the tensor-native ImageMask factories. Each one
// builds an (H, W) uint8 class map on the tensor's own device and hands it to the
// ImageMask tensor constructor, which owns the validation and the copy to the host.
#include <ATen/ATen.h>

#include "detail/pixels.h"
#include "detail/torch_pixels.h"
#include "wandb/errors.h"
#include "wandb/masks.h"

namespace wandb {
namespace {

std::string shape_text(const at::Tensor& t) {
  return detail::shape_string(std::vector<int64_t>(t.sizes().begin(), t.sizes().end()));
}

// Rank, emptiness and the class-count limit shared by both factories.
void check_chw(const at::Tensor& t, const char* what, const char* layout, const char* noun,
               int64_t max_first) {
  if (!t.defined()) {
    throw ValueError(std::string(what) + ": expected a " + layout +
                     " tensor, got an undefined tensor");
  }
  if (t.dim() != 3 || t.size(0) < 1 || t.size(1) < 1 || t.size(2) < 1) {
    throw ValueError(std::string(what) + ": expected a " + layout +
                     " tensor with every dimension at least 1, got " + shape_text(t));
  }
  if (t.size(0) > max_first) {
    throw ValueError(std::string(what) + ": expected at most " + std::to_string(max_first) + " " +
                     noun + " so that class ids fit in 0..255, got " + std::to_string(t.size(0)) +
                     " (shape " + shape_text(t) + ")");
  }
}

}  // namespace

ImageMask ImageMask::from_stack(const at::Tensor& stack, std::optional<ClassLabels> class_labels) try {
  check_chw(stack, "mask stack", "(K, H, W)", "layers", 255);
  const at::Tensor s = stack.detach();
  if (s.is_floating_point() || s.is_complex()) {
    throw TypeError(
        std::string("mask stack: expected a bool or integer tensor of 0/1 values, got ") +
        c10::toString(s.scalar_type()));
  }
  if (s.scalar_type() != at::kBool) {
    const at::Tensor range = at::stack({s.min(), s.max()}).to(at::kLong).cpu();
    const int64_t lo = range[0].item<int64_t>();
    const int64_t hi = range[1].item<int64_t>();
    if (lo < 0 || hi > 1) {
      throw ValueError("mask stack: expected values 0 or 1, got values from " + std::to_string(lo) +
                       " to " + std::to_string(hi));
    }
  }
  // Layer k set contributes k + 1; ids grow with k, so the maximum over the stack
  // is the last layer set at each pixel, and 0 where none is.
  const int64_t k = s.size(0);
  const at::Tensor ids = at::arange(1, k + 1, s.options().dtype(at::kByte)).view({k, 1, 1});
  const at::Tensor class_map = at::amax(s.to(at::kByte) * ids, {0});
  return ImageMask(class_map, std::move(class_labels));
} catch (...) {
  detail::rethrow_torch_error("mask stack");
}

ImageMask ImageMask::from_logits(const at::Tensor& logits,
                                 std::optional<ClassLabels> class_labels) try {
  check_chw(logits, "mask logits", "(C, H, W)", "classes", 256);
  if (!logits.is_floating_point()) {
    throw TypeError(std::string("mask logits: expected a floating-point tensor, got ") +
                    c10::toString(logits.scalar_type()));
  }
  at::Tensor scores = logits.detach();
  // Half precision has no CPU argmax in every LibTorch build; float32 holds every
  // half value exactly, so the result is the same.
  if (scores.device().is_cpu() &&
      (scores.scalar_type() == at::kHalf || scores.scalar_type() == at::kBFloat16)) {
    scores = scores.to(at::kFloat);
  }
  const at::Tensor class_map = at::argmax(scores, 0).to(at::kByte);
  return ImageMask(class_map, std::move(class_labels));
} catch (...) {
  detail::rethrow_torch_error("mask logits");
}

}  // namespace wandb
