// Pixels -> encoded bytes: the library's PNG settings grid, JPEG, SHA-256, the
// bare OpenCV encoder on the same pixels (the floor the targets refer to) and,
// when Debian's libspng-dev is installed, libspng for comparison.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "bench_support.h"
#include "detail/codec.h"
#include "wandb/image.h"

#ifdef WANDB_BENCH_HAVE_SPNG
#include <spng.h>
#endif

namespace wandb::bench {
namespace {

using detail::PngSettings;

// The log-ready pixels of the float32 photo at one size, in both orders.
struct Pixels {
  detail::PixelBuffer rgb;  // what the library encodes
  cv::Mat bgr;              // what cv::imencode takes
};

const Pixels& pixels(int size) {
  static std::map<int, Pixels> cache;
  auto it = cache.find(size);
  if (it != cache.end()) return it->second;
  const Image image(to_unit_float(astronaut_bgr(size)));
  Pixels p;
  p.bgr = image.pixels_mat();
  cv::Mat rgb;
  cv::cvtColor(p.bgr, rgb, cv::COLOR_BGR2RGB);
  p.rgb.height = rgb.rows;
  p.rgb.width = rgb.cols;
  p.rgb.channels = 3;
  p.rgb.data.assign(rgb.data, rgb.data + rgb.total() * 3);
  return cache.emplace(size, std::move(p)).first->second;
}

void set_counters(benchmark::State& state, int size, size_t bytes) {
  const int64_t n = static_cast<int64_t>(size) * size;
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["png_bytes"] = static_cast<double>(bytes);
}

const char* strategy_name(int s) {
  switch (s) {
    case PngSettings::kDefaultStrategy:
      return "default";
    case PngSettings::kFiltered:
      return "filtered";
    case PngSettings::kHuffmanOnly:
      return "huffman";
    case PngSettings::kRle:
      return "rle";
    default:
      return "fixed";
  }
}

const std::vector<std::pair<std::string, int>> kFilters = {
    {"none", PngSettings::kFilterNone},
    {"sub", PngSettings::kFilterSub},
    {"up", PngSettings::kFilterUp},
    {"avg", PngSettings::kFilterAvg},
    {"paeth", PngSettings::kFilterPaeth},
    {"all", PngSettings::kFilterAll},
    {"up+avg", PngSettings::kFilterUp | PngSettings::kFilterAvg},
    {"sub+up", PngSettings::kFilterSub | PngSettings::kFilterUp}};

std::string setting_name(const PngSettings& s, const std::string& filter) {
  // Appends (not "L" + ...): GCC 12 warns falsely (-Wrestrict) on operator+
  // with a literal first.
  std::string name = "L";
  name += std::to_string(s.level);
  name += '_';
  name += strategy_name(s.strategy);
  name += '_';
  name += filter;
  return name;
}

void register_png(const std::string& name, PngSettings settings, int size) {
  add_benchmark("encode/png/" + name + "/" + std::to_string(size), [settings,
                                                                    size](benchmark::State& state) {
    const detail::PixelBuffer& px = pixels(size).rgb;
    size_t bytes = 0;
    for (auto _ : state) {
      const detail::Bytes out =
          detail::encode_png(px.data.data(), px.height, px.width, px.channels, settings);
      bytes = out.size();
      benchmark::DoNotOptimize(out.data());
    }
    set_counters(state, size, bytes);
  })->Unit(benchmark::kMillisecond);
}

#ifdef WANDB_BENCH_HAVE_SPNG
// libspng writing to its own buffer; returns the size, 0 on failure.
size_t spng_encode(const detail::PixelBuffer& px, int level, int strategy, int filters) {
  spng_ctx* ctx = spng_ctx_new(SPNG_CTX_ENCODER);
  if (!ctx) return 0;
  spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
  spng_set_option(ctx, SPNG_IMG_COMPRESSION_LEVEL, level);
  spng_set_option(ctx, SPNG_IMG_COMPRESSION_STRATEGY, strategy);
  spng_set_option(ctx, SPNG_FILTER_CHOICE, filters);
  spng_ihdr ihdr{};
  ihdr.width = static_cast<uint32_t>(px.width);
  ihdr.height = static_cast<uint32_t>(px.height);
  ihdr.bit_depth = 8;
  ihdr.color_type = SPNG_COLOR_TYPE_TRUECOLOR;
  spng_set_ihdr(ctx, &ihdr);
  size_t size = 0;
  if (spng_encode_image(ctx, px.data.data(), px.data.size(), SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE) ==
      0) {
    int error = 0;
    void* buffer = spng_get_png_buffer(ctx, &size, &error);
    std::free(buffer);
    if (error) size = 0;
  }
  spng_ctx_free(ctx);
  return size;
}
#endif

}  // namespace

void register_codec_benchmarks() {
  // The floor: OpenCV's PNG writer at its defaults (libpng, level 1, Z_RLE,
  // SUB filter) on the same B G R pixels; level 6 is Pillow's default level.
  const auto register_bare = [](const std::string& name, int size, std::vector<int> params) {
    add_benchmark("bare_encoder/" + name + "/" + std::to_string(size),
                  [size, params](benchmark::State& state) {
                    const cv::Mat& bgr = pixels(size).bgr;
                    std::vector<uint8_t> out;
                    for (auto _ : state) {
                      out.clear();
                      out.shrink_to_fit();
                      cv::imencode(".png", bgr, out, params);
                      benchmark::DoNotOptimize(out.data());
                    }
                    set_counters(state, size, out.size());
                  })
        ->Unit(benchmark::kMillisecond);
  };
  for (int size : sizes()) register_bare("opencv_default", size, {});
  for (int size : {512, 1024}) register_bare("opencv_level6", size, {cv::IMWRITE_PNG_COMPRESSION, 6});

  // The library's encoder at its default settings, at every size.
  for (int size : sizes()) {
    add_benchmark("encode/png/default/" + std::to_string(size), [size](benchmark::State& state) {
      const detail::PixelBuffer& px = pixels(size).rgb;
      size_t bytes = 0;
      for (auto _ : state) {
        const detail::Bytes out = detail::encode(px, "png", detail::kDefaultPngLevel, 75);
        bytes = out.size();
        benchmark::DoNotOptimize(out.data());
      }
      set_counters(state, size, bytes);
    })->Unit(benchmark::kMillisecond);
  }

  // The settings grid on the 512 x 512 photo: zlib levels 1-3 with the default
  // and filtered strategies, run-length and Huffman-only coding (zlib ignores
  // the level for those two), each with every filter set; level 6 as Pillow.
  for (int level : {1, 2, 3}) {
    for (int strategy : {PngSettings::kDefaultStrategy, PngSettings::kFiltered}) {
      for (const auto& [filter, mask] : kFilters) {
        const PngSettings s{level, strategy, mask};
        register_png(setting_name(s, filter), s, 512);
      }
    }
  }
  for (int strategy : {PngSettings::kRle, PngSettings::kHuffmanOnly}) {
    for (const auto& [filter, mask] : kFilters) {
      const PngSettings s{1, strategy, mask};
      register_png(setting_name(s, filter), s, 512);
    }
  }
  const PngSettings pillow{6, PngSettings::kDefaultStrategy, PngSettings::kFilterAll};
  register_png(setting_name(pillow, "all"), pillow, 512);

  // Candidates for the default, at every size.
  for (const auto& [filter, mask] : kFilters) {
    if (filter != "up" && filter != "avg" && filter != "sub" && filter != "all") continue;
    const PngSettings s{1, PngSettings::kRle, mask};
    for (int size : sizes()) {
      if (size != 512) register_png(setting_name(s, filter), s, size);
    }
  }

  for (int size : {512, 1024}) {
    add_benchmark("encode/jpg/q75/" + std::to_string(size), [size](benchmark::State& state) {
      const detail::PixelBuffer& px = pixels(size).rgb;
      size_t bytes = 0;
      for (auto _ : state) {
        const detail::Bytes out = detail::encode(px, "jpg", 1, 75);
        bytes = out.size();
        benchmark::DoNotOptimize(out.data());
      }
      set_counters(state, size, bytes);
      state.counters["png_bytes"] = 0;
      state.counters["jpg_bytes"] = static_cast<double>(bytes);
    })->Unit(benchmark::kMillisecond);
  }

  // SHA-256 (OpenSSL EVP) of the default PNG at each size.
  for (int size : sizes()) {
    add_benchmark("sha256/" + std::to_string(size), [size](benchmark::State& state) {
      const detail::Bytes png =
          detail::encode(pixels(size).rgb, "png", detail::kDefaultPngLevel, 75);
      for (auto _ : state) {
        benchmark::DoNotOptimize(detail::sha256_hex(png.data(), png.size()));
      }
      state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(png.size()));
    })->Unit(benchmark::kMillisecond);
  }

#ifdef WANDB_BENCH_HAVE_SPNG
  struct SpngCase {
    const char* name;
    int level, strategy, filters;
  };
  const SpngCase spng_cases[] = {
      {"L1_rle_sub", 1, PngSettings::kRle, SPNG_FILTER_CHOICE_SUB},
      {"L1_rle_up", 1, PngSettings::kRle, SPNG_FILTER_CHOICE_UP},
      {"L1_rle_avg", 1, PngSettings::kRle, SPNG_FILTER_CHOICE_AVG},
      {"L1_rle_paeth", 1, PngSettings::kRle, SPNG_FILTER_CHOICE_PAETH},
      {"L1_rle_all", 1, PngSettings::kRle, SPNG_FILTER_CHOICE_ALL},
      {"L1_default_all", 1, PngSettings::kDefaultStrategy, SPNG_FILTER_CHOICE_ALL},
      {"L6_filtered_all", 6, PngSettings::kFiltered, SPNG_FILTER_CHOICE_ALL},  // its default
  };
  for (const SpngCase& c : spng_cases) {
    add_benchmark(std::string("encode/spng/") + c.name + "/512", [c](benchmark::State& state) {
      const detail::PixelBuffer& px = pixels(512).rgb;
      size_t bytes = 0;
      for (auto _ : state) bytes = spng_encode(px, c.level, c.strategy, c.filters);
      if (bytes == 0) state.SkipWithError("libspng failed");
      set_counters(state, 512, bytes);
    })->Unit(benchmark::kMillisecond);
  }
#endif
}

}  // namespace wandb::bench
