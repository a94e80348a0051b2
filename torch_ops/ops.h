// Kernels of the wandb:: operators. Registered in register.cpp; the host API
// (include/wandb/torch_ops.h) is implemented in ops.cpp next to them.
#pragma once

#include <ATen/core/List.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "image_class.h"

namespace wandb::ops::detail {

/// wandb::log_ready: exactly wandb::Image(data, {mode, normalize}).pixels().
at::Tensor log_ready(const at::Tensor& data, c10::optional<std::string> mode, bool normalize);

/// wandb::encode: the file bytes wandb::Image(data, {...}).encoded() as uint8 1-D.
at::Tensor encode(const at::Tensor& data, const std::string& file_type,
                  c10::optional<std::string> mode, bool normalize,
                  c10::optional<int64_t> png_compression, int64_t jpeg_quality);

/// wandb::log / wandb::log_list: log into the current run, or warn once.
void log(const std::string& key, const ImagePtr& image, c10::optional<int64_t> step);
void log_list(const std::string& key, const c10::List<ImagePtr>& images,
              c10::optional<int64_t> step);

}  // namespace wandb::ops::detail
