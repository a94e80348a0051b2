// Tensor -> log-ready pixels for every dtype and size, and wandb::Image end to
// end (construction, encoding and hashing). The only benchmark file with ATen.
#include <ATen/ATen.h>
#include <benchmark/benchmark.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "bench_support.h"
#include "detail/torch_pixels.h"
#include "wandb/image.h"

namespace wandb::bench {
namespace {

// Inputs as a model would hand them over: float types in [0, 1] (branch 1),
// integers 0..255 (branch 3), bool as a 0/1 mask.
const std::vector<std::pair<std::string, at::ScalarType>> kDtypes = {
    {"float32", at::kFloat},     {"uint8", at::kByte},     {"float16", at::kHalf},
    {"bfloat16", at::kBFloat16}, {"float64", at::kDouble}, {"bool", at::kBool},
    {"int8", at::kChar},         {"int16", at::kShort},    {"int32", at::kInt},
    {"int64", at::kLong}};

at::Tensor make_tensor(int size, at::ScalarType type) {
  cv::Mat rgb;
  cv::cvtColor(astronaut_bgr(size), rgb, cv::COLOR_BGR2RGB);
  const at::Tensor u8 =
      at::from_blob(rgb.data, {size, size, 3}, at::kByte).permute({2, 0, 1}).contiguous();
  switch (type) {
    case at::kBool:
      return u8 > 127;
    case at::kByte:
      return u8;
    case at::kChar:
      return u8.div(2, "floor").to(at::kChar);
    case at::kShort:
    case at::kInt:
    case at::kLong:
      return u8.to(type);
    case at::kDouble:
      return u8.to(at::kDouble).div(255.0);
    default:
      return u8.to(at::kFloat).div(255.0f).to(type);
  }
}

// One tensor at a time: the 4096 x 4096 inputs take up to 400 MB each.
const at::Tensor& cached_tensor(int size, at::ScalarType type) {
  static std::pair<int, at::ScalarType> key{0, at::kFloat};
  static at::Tensor tensor;
  if (!tensor.defined() || key != std::make_pair(size, type)) {
    tensor = at::Tensor();
    tensor = make_tensor(size, type);
    key = {size, type};
  }
  return tensor;
}

void set_pixel_counters(benchmark::State& state, int size) {
  const int64_t pixels = static_cast<int64_t>(size) * size;
  state.SetItemsProcessed(state.iterations() * pixels);
  state.counters["pixels"] = static_cast<double>(pixels);
}

// About 1-4 s of pairs per size.
int64_t paired_iterations(int size) {
  if (size <= 64) return 400;
  if (size <= 256) return 100;
  if (size <= 512) return 40;
  if (size <= 1024) return 12;
  return size <= 2048 ? 6 : 4;
}

}  // namespace

void register_pixel_benchmarks() {
  // The CPU kernel: tensor -> normalised H x W x C uint8 buffer.
  for (const auto& [name, type] : kDtypes) {
    for (int size : sizes()) {
      const at::ScalarType t = type;
      add_benchmark("pixels/" + name + "/" + std::to_string(size), [t,
                                                                    size](benchmark::State& state) {
        const at::Tensor& input = cached_tensor(size, t);
        for (auto _ : state) {
          detail::NormalizeInfo info;
          detail::PixelBuffer px = detail::tensor_to_pixels(input, true, &info);
          benchmark::DoNotOptimize(px.data.data());
        }
        set_pixel_counters(state, size);
      })->Unit(benchmark::kMillisecond);
    }
  }
  // The device path (tensor ops, then one copy to the host), run on the CPU.
  for (int size : {512, 4096}) {
    add_benchmark("pixels_ops/float32/" + std::to_string(size), [size](benchmark::State& state) {
      const at::Tensor& input = cached_tensor(size, at::kFloat);
      for (auto _ : state) {
        at::Tensor hwc = detail::tensor_to_uint8_ops(input, true, nullptr);
        benchmark::DoNotOptimize(hwc.data_ptr());
      }
      set_pixel_counters(state, size);
    })->Unit(benchmark::kMillisecond);
  }
  // End to end: Image(tensor) (normalise + copy), then sha256() (encode + hash),
  // i.e. everything before the file write. Compare with bare_encoder/<size>.
  for (const char* name : {"float32", "uint8"}) {
    const at::ScalarType t = std::string(name) == "uint8" ? at::kByte : at::kFloat;
    for (int size : sizes()) {
      add_benchmark(std::string("image/") + name + "/" + std::to_string(size),
                    [t, size](benchmark::State& state) {
                      const at::Tensor& input = cached_tensor(size, t);
                      int64_t bytes = 0;
                      for (auto _ : state) {
                        const Image image(input);
                        benchmark::DoNotOptimize(image.sha256());
                        bytes = image.size();
                      }
                      state.counters["png_bytes"] = static_cast<double>(bytes);
                      set_pixel_counters(state, size);
                    })
          ->Unit(benchmark::kMillisecond);
    }
  }
  // The target's measurement: Image(float32 photo) + sha256() against
  // cv::imencode(".png") of the same pixels, alternating, at every size (the
  // per-size table's separate runs see different load; pairs see the same).
  for (int size : sizes()) {
    add_benchmark("paired/image_vs_bare/" + std::to_string(size),
                  [size](benchmark::State& state) {
                    const at::Tensor& input = cached_tensor(size, at::kFloat);
                    const cv::Mat bgr = Image(input).pixels_mat();
                    Pairs pairs;
                    for (auto _ : state) {
                      const double image_ms = Pairs::time_ms([&] {
                        const Image image(input);
                        benchmark::DoNotOptimize(image.sha256());
                      });
                      const double bare_ms = Pairs::time_ms([&] {
                        std::vector<uint8_t> out;
                        cv::imencode(".png", bgr, out);
                        benchmark::DoNotOptimize(out.data());
                      });
                      pairs.add(image_ms, bare_ms);
                    }
                    pairs.report(state, "image", "bare");
                  })
        ->Iterations(paired_iterations(size))
        ->Repetitions(1)  // the pairs are the repetitions
        ->Unit(benchmark::kMillisecond);
  }
  // Construction only: the normalise-and-copy log() callers pay before logging.
  for (int size : {224, 512, 1024}) {
    add_benchmark("image_construct/float32/" + std::to_string(size), [size](
                                                                         benchmark::State& state) {
      const at::Tensor& input = cached_tensor(size, at::kFloat);
      for (auto _ : state) {
        const Image image(input);
        benchmark::DoNotOptimize(image.width());
      }
      set_pixel_counters(state, size);
    })->Unit(benchmark::kMillisecond);
  }
}

void dump_pixels(const std::string& dir) {
  for (int size : sizes()) {
    const Image image(make_tensor(size, at::kFloat));
    const at::Tensor px = image.pixels();
    std::ofstream out(dir + "/astronaut_" + std::to_string(size) + ".rgb", std::ios::binary);
    out.write(static_cast<const char*>(px.data_ptr()), static_cast<std::streamsize>(px.numel()));
  }
}

}  // namespace wandb::bench
