#include "ops.h"

#include <ATen/core/custom_class.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/ivalue.h>
#include <torch/custom_class.h>

#include <limits>
#include <mutex>
#include <shared_mutex>

#include "wandb/errors.h"
#include "wandb/torch_ops.h"
#include "wandb/warnings.h"

namespace wandb::ops {
namespace detail {
namespace {

// The current run. Log ops hold the lock shared while they use the run, so
// set_current_run() (exclusive) returns only once no op uses the old one.
std::shared_mutex& run_mutex() {
  static std::shared_mutex mutex;
  return mutex;
}
Run* g_current_run = nullptr;  // guarded by run_mutex()

int to_int(const char* what, int64_t value) {
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    throw ValueError(std::string(what) + ": expected a 32-bit integer, got " +
                     std::to_string(value));
  }
  return static_cast<int>(value);
}

void log_value(const char* op, const std::string& key, Value value, c10::optional<int64_t> step) {
  {
    std::shared_lock<std::shared_mutex> lock(run_mutex());
    if (Run* run = g_current_run) {
      checked(op, [&] {
        Row row{{key, std::move(value)}};
        if (step) {
          run->log(row, *step);
        } else {
          run->log(row);
        }
      });
      return;
    }
  }
  // Outside the lock: a warning handler may set a run.
  warn_once(
      "torch.ops.wandb.log: expected a current run (wandb::ops::set_current_run), got none; "
      "nothing is logged");
}

std::string describe(const c10::IValue& value) {
  if (value.isNone()) return "None";
  return value.type()->repr_str();
}

}  // namespace

at::Tensor log_ready(const at::Tensor& data, c10::optional<std::string> mode, bool normalize) {
  return checked("wandb::log_ready", [&] {
    ImageOptions options;
    options.mode = to_std(std::move(mode));
    options.normalize = normalize;
    return Image(data, std::move(options)).pixels();
  });
}

at::Tensor encode(const at::Tensor& data, const std::string& file_type,
                  c10::optional<std::string> mode, bool normalize,
                  c10::optional<int64_t> png_compression, int64_t jpeg_quality) {
  return checked("wandb::encode", [&] {
    ImageOptions options;
    options.mode = to_std(std::move(mode));
    options.file_type = file_type;
    options.normalize = normalize;
    if (png_compression) options.png_compression = to_int("png_compression", *png_compression);
    options.jpeg_quality = to_int("jpeg_quality", jpeg_quality);
    return bytes_tensor(Image(data, std::move(options)).encoded());
  });
}

void log(const std::string& key, const ImagePtr& image, c10::optional<int64_t> step) {
  log_value("wandb::log", key, Value(image->image()), step);
}

void log_list(const std::string& key, const c10::List<ImagePtr>& images,
              c10::optional<int64_t> step) {
  std::vector<Image> list;
  list.reserve(images.size());
  for (const ImagePtr& image : images) list.push_back(image->image());
  log_value("wandb::log_list", key, Value(std::move(list)), step);
}

}  // namespace detail

// ---- host API ------------------------------------------------------------------

int load() {
  int count = 0;
  for (const c10::OperatorName& name : c10::Dispatcher::singleton().getAllOpNames()) {
    if (name.name.rfind("wandb::", 0) == 0) ++count;
  }
  if (count == 0 || !torch::jit::getCustomClass(kImageClassName)) {
    throw StateError(
        "wandb::ops::load: expected the wandb ops and torch.classes.wandb.Image to be "
        "registered, got " +
        std::to_string(count) + " ops and " +
        (torch::jit::getCustomClass(kImageClassName) ? "the class" : "no class"));
  }
  return count;
}

void set_current_run(Run* run) {
  std::unique_lock<std::shared_mutex> lock(detail::run_mutex());
  detail::g_current_run = run;
}

Run* current_run() {
  std::shared_lock<std::shared_mutex> lock(detail::run_mutex());
  return detail::g_current_run;
}

CurrentRun::CurrentRun(Run& run) {
  std::unique_lock<std::shared_mutex> lock(detail::run_mutex());
  previous_ = detail::g_current_run;
  detail::g_current_run = &run;
}

CurrentRun::~CurrentRun() { set_current_run(previous_); }

Image to_image(const c10::IValue& value) {
  if (const detail::ImagePtr holder = detail::as_image(value)) return holder->image();
  throw TypeError(std::string("to_image: expected a ") + kImageClassName + ", got " +
                  detail::describe(value));
}

std::vector<Image> to_images(const c10::IValue& value) {
  c10::ArrayRef<c10::IValue> items;
  if (value.isList()) {
    items = value.toListRef();
  } else if (value.isTuple()) {
    items = value.toTupleRef().elements();
  } else {
    throw TypeError(std::string("to_images: expected a list or tuple of ") + kImageClassName +
                    ", got " + detail::describe(value));
  }
  std::vector<Image> images;
  images.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const detail::ImagePtr holder = detail::as_image(items[i]);
    if (!holder) {
      throw TypeError(std::string("to_images: expected a ") + kImageClassName + " at index " +
                      std::to_string(i) + ", got " + detail::describe(items[i]));
    }
    images.push_back(holder->image());
  }
  return images;
}

c10::IValue to_ivalue(const Image& image) {
  return c10::IValue(c10::make_intrusive<detail::ImageHolder>(image));
}

}  // namespace wandb::ops
