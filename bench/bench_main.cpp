// The benchmark suite's entry point. With WANDB_BENCH_DUMP_DIR set, it first
// writes the log-ready pixels of the photo at every size there
// (astronaut_<size>.rgb, H x W x 3 RGB), so that bench/run.sh can give Pillow
// exactly the pixels the library encodes.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "bench_support.h"

namespace wandb::bench {
void dump_pixels(const std::string& dir);
}  // namespace wandb::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (const char* dir = std::getenv("WANDB_BENCH_DUMP_DIR")) wandb::bench::dump_pixels(dir);
  wandb::bench::register_pixel_benchmarks();
  wandb::bench::register_codec_benchmarks();
  wandb::bench::register_log_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
