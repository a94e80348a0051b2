// Shared inputs of the benchmarks: the sample photo at several sizes, crops of
// it, and a temporary folder for runs. Photos rather than noise: PNG sizes and
// encoder speed depend on the content.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace wandb::bench {

/// Square sizes of the per-size benchmarks.
inline const std::vector<int>& sizes() {
  static const std::vector<int> kSizes = {64, 256, 512, 1024, 2048, 4096};
  return kSizes;
}

/// examples/data/astronaut.png (512 x 512), in OpenCV's B G R order.
inline const cv::Mat& astronaut_bgr() {
  static const cv::Mat photo = [] {
    const std::string path = std::string(WANDB_EXAMPLE_DATA_DIR) + "/astronaut.png";
    cv::Mat m = cv::imread(path, cv::IMREAD_COLOR);
    if (m.empty()) throw std::runtime_error("cannot read " + path);
    return m;
  }();
  return photo;
}

/// The photo resized to size x size (area averaging down, cubic up), B G R.
inline cv::Mat astronaut_bgr(int size) {
  const cv::Mat& src = astronaut_bgr();
  if (size == src.cols && size == src.rows) return src.clone();
  cv::Mat out;
  cv::resize(src, out, cv::Size(size, size), 0, 0,
             size < src.cols ? cv::INTER_AREA : cv::INTER_CUBIC);
  return out;
}

/// `count` size x size crops of the 512 x 512 photo on a regular grid, B G R.
inline std::vector<cv::Mat> astronaut_crops(int count, int size) {
  const cv::Mat& src = astronaut_bgr();
  int per_row = 1;
  while (per_row * per_row < count) ++per_row;
  const int step = per_row > 1 ? (src.cols - size) / (per_row - 1) : 0;
  std::vector<cv::Mat> crops;
  for (int i = 0; i < count; ++i) {
    const cv::Rect roi((i % per_row) * step, (i / per_row) * step, size, size);
    crops.push_back(src(roi).clone());
  }
  return crops;
}

/// float32 in [0, 1], as a model would produce it (the SDK's branch 1).
inline cv::Mat to_unit_float(const cv::Mat& u8) {
  cv::Mat f;
  u8.convertTo(f, CV_32F, 1.0 / 255.0);
  return f;
}

/// A fresh folder under the system temp folder, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("wandb-image-bench-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// RegisterBenchmark plus a "min" statistic: with --benchmark_repetitions, the
/// best run is the one least disturbed by other work on the machine.
template <class F>
benchmark::internal::Benchmark* add_benchmark(const std::string& name, F&& fn) {
  return benchmark::RegisterBenchmark(name.c_str(), std::forward<F>(fn))
      ->ComputeStatistics("min", [](const std::vector<double>& v) {
        return *std::min_element(v.begin(), v.end());
      });
}

/// Paired measurement: A and B alternate in one loop, so slow drifts in the
/// machine's load hit both alike. Sets counters <a>_ms and <b>_ms (fastest
/// run of each) and <a>_per_<b> (median of the per-pair ratios).
class Pairs {
 public:
  template <class F>
  static double time_ms(F&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  }
  void add(double a_ms, double b_ms) {
    a_.push_back(a_ms);
    b_.push_back(b_ms);
    ratios_.push_back(a_ms / b_ms);
  }
  void report(benchmark::State& state, const std::string& a, const std::string& b) {
    if (ratios_.empty()) return;
    std::sort(ratios_.begin(), ratios_.end());
    state.counters[a + "_ms"] = *std::min_element(a_.begin(), a_.end());
    state.counters[b + "_ms"] = *std::min_element(b_.begin(), b_.end());
    state.counters[a + "_per_" + b] = ratios_[ratios_.size() / 2];
    // The fastest of each side: the runs least disturbed by other work.
    state.counters[a + "_per_" + b + "_fastest"] = state.counters[a + "_ms"] / state.counters[b + "_ms"];
  }

 private:
  std::vector<double> a_, b_, ratios_;
};

// Registration functions of the benchmark files (called from bench_main.cpp).
void register_pixel_benchmarks();
void register_codec_benchmarks();
void register_log_benchmarks();

}  // namespace wandb::bench
