// Run::log: what the caller pays (images built before timing: building them is
// the pixel copy, not log()'s cost) and the drained throughput (log + finish)
// with one and with two background workers.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "wandb/image.h"
#include "wandb/run.h"

namespace wandb::bench {
namespace {

constexpr int kListSize = 64;
constexpr int kCropSize = 224;

std::vector<Image> make_crops() {
  std::vector<Image> images;
  for (const cv::Mat& crop : astronaut_crops(kListSize, kCropSize)) {
    images.emplace_back(to_unit_float(crop));
  }
  return images;
}

Image make_photo() { return Image(to_unit_float(astronaut_bgr(512))); }

RunOptions run_options(const TempDir& dir, int workers, bool sync_media = true) {
  RunOptions o;
  o.sync_media = sync_media;
  o.silent = true;  // no init/finish lines on stderr
  o.dir = dir.path();
  o.project = "bench";
  o.workers = workers;
  // The caller-side benchmarks log faster than the workers drain: no waiting.
  o.max_queued_bytes = std::size_t{64} << 30;
  return o;
}

// log() of one image or one list per iteration into one run; `encoded` images
// were hashed before timing, so the workers only write files.
template <class MakeValue>
void caller_side(benchmark::State& state, MakeValue make_value, bool encoded) {
  std::vector<Value> values;
  for (int64_t i = 0; i < state.max_iterations; ++i) {
    values.push_back(make_value());
    if (encoded) {
      for (const Image& image : values.back().images()) image.sha256();
    }
  }
  TempDir dir;
  Run run(run_options(dir, 0));
  size_t i = 0;
  for (auto _ : state) run.log({{"images", values[i++]}});
  run.finish();  // after the loop: not timed
  const auto images = static_cast<int64_t>(values.front().images().size());
  state.SetItemsProcessed(state.iterations() * images);
  state.counters["images"] = static_cast<double>(images);
}

// log() + finish() of fresh images into a fresh run per iteration.
template <class MakeValue>
void drained(benchmark::State& state, MakeValue make_value, int workers) {
  int64_t images = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const Value value = make_value();
    auto dir = std::make_unique<TempDir>();
    auto run = std::make_unique<Run>(run_options(*dir, workers));
    state.ResumeTiming();
    run->log({{"images", value}});
    run->finish();
    state.PauseTiming();
    images += static_cast<int64_t>(value.images().size());
    run.reset();
    dir.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(images);
  state.counters["images"] = static_cast<double>(images) / static_cast<double>(state.iterations());
}

// log() + finish() of `value` into a fresh run; returns milliseconds.
double drain_ms(const Value& value, int workers, bool sync_media = true) {
  TempDir dir;
  Run run(run_options(dir, workers, sync_media));
  return Pairs::time_ms([&] {
    run.log({{"images", value}});
    run.finish();
  });
}

}  // namespace

void register_log_benchmarks() {
  // A scalar-only row: what a training loop pays per step for its losses.
  add_benchmark("log/caller/scalars", [](benchmark::State& state) {
    TempDir dir;
    Run run(run_options(dir, 0));
    double loss = 1.0;
    for (auto _ : state) {
      run.log({{"loss", loss}, {"accuracy", 1.0 - loss}, {"epoch", 3}});
      loss *= 0.999;
    }
    run.finish();  // not timed
  })
      ->Iterations(2000)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  const auto single = [] { return Value(make_photo()); };
  const auto list = [] { return Value(make_crops()); };
  for (bool encoded : {true, false}) {
    const std::string suffix = encoded ? "encoded" : "fresh";
    add_benchmark("log/caller/single512_" + suffix,
                  [=](benchmark::State& s) { caller_side(s, single, encoded); })
        ->Iterations(100)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    add_benchmark("log/caller/list64x224_" + suffix,
                  [=](benchmark::State& s) { caller_side(s, list, encoded); })
        ->Iterations(20)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  }
  // Live upload's latency: from log() of a row (committed at once) to its
  // records being in the .wandb file, where `wandb beta sync --live` reads
  // them. The loop polls the file's size, as a follower would.
  add_benchmark("log/row_to_file_latency", [](benchmark::State& state) {
    TempDir dir;
    RunOptions o = run_options(dir, 1);
    o.metadata = false;
    o.stats_interval = std::chrono::milliseconds(0);
    Run run(o);
    const std::filesystem::path file = run.root() / ("run-" + run.id() + ".wandb");
    double loss = 1.0;
    for (auto _ : state) {
      const auto before = std::filesystem::file_size(file);
      run.log({{"loss", loss}});
      while (std::filesystem::file_size(file) == before) {
      }
      loss *= 0.99;
    }
    run.finish();  // not timed
  })
      ->Iterations(2000)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  // The target's measurement: the 64-image list drained by 2 workers and by
  // 1, alternating (fresh images each time: encoding is part of the work).
  // Each iteration also measures the machine's own ceiling for this work in
  // the same time window: bare cv::imencode of the 64 crops on one thread and
  // split over two (no library code). The VM's second core is not always a
  // whole core; the ceiling says how much of one it was.
  add_benchmark("paired/drained_list64x224_w2_vs_w1",
                [](benchmark::State& state) {
                  const std::vector<cv::Mat> crops = astronaut_crops(kListSize, kCropSize);
                  const auto bare = [&](size_t first, size_t step) {
                    std::vector<uint8_t> out;
                    for (size_t i = first; i < crops.size(); i += step) cv::imencode(".png", crops[i], out);
                  };
                  Pairs drained, ceiling;
                  bool two_first = false;  // alternates, so drift favours neither
                  for (auto _ : state) {
                    const Value one = Value(make_crops()), two = Value(make_crops());
                    const double w2_first = two_first ? drain_ms(two, 2) : 0;
                    const double w1_ms = drain_ms(one, 1);
                    const double w2_ms = two_first ? w2_first : drain_ms(two, 2);
                    two_first = !two_first;
                    drained.add(w1_ms, w2_ms);
                    const double t1_ms = Pairs::time_ms([&] { bare(0, 1); });
                    const double t2_ms = Pairs::time_ms([&] {
                      std::thread other([&] { bare(1, 2); });
                      bare(0, 2);
                      other.join();
                    });
                    ceiling.add(t1_ms, t2_ms);
                  }
                  drained.report(state, "w1", "w2");
                  ceiling.report(state, "t1", "t2");
                })
      ->Iterations(20)
      ->Repetitions(1)  // the pairs are the repetitions
      ->Unit(benchmark::kMillisecond);
  // What power-loss safety costs (RunOptions::sync_media: one fdatasync per
  // media file and a folder fsync per row, on the writer thread): the list
  // and the photo drained by 2 workers with it and without, alternating.
  add_benchmark("paired/drained_sync_vs_nosync",
                [](benchmark::State& state) {
                  Pairs list, photo;
                  bool sync_first = false;
                  for (auto _ : state) {
                    for (Pairs* pairs : {&list, &photo}) {
                      const auto make = [&] {
                        return pairs == &list ? Value(make_crops()) : Value(make_photo());
                      };
                      const Value a = make(), b = make();
                      const double first = drain_ms(a, 2, sync_first);
                      const double second = drain_ms(b, 2, !sync_first);
                      pairs->add(sync_first ? second : first, sync_first ? first : second);
                    }
                    sync_first = !sync_first;
                  }
                  list.report(state, "list_nosync", "list_sync");
                  photo.report(state, "photo_nosync", "photo_sync");
                })
      ->Iterations(20)
      ->Repetitions(1)
      ->Unit(benchmark::kMillisecond);
  for (int workers : {1, 2}) {
    const std::string w = "/workers:" + std::to_string(workers);
    add_benchmark("log/drained/single512" + w,
                  [=](benchmark::State& s) { drained(s, single, workers); })
        ->MinTime(0.5)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    add_benchmark("log/drained/list64x224" + w,
                  [=](benchmark::State& s) { drained(s, list, workers); })
        ->MinTime(0.5)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
}

}  // namespace wandb::bench
