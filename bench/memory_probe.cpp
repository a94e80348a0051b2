// Peak memory of logging one list of 108 RGB photos of 1024 x 1024 (the SDK's
// maximum list length) into a run whose queue is capped, relative to the
// pixels the caller already holds in its Images.
//
//   wandb_image_memory [cap MiB = 256] [images = 108] [size = 1024]
//
// Peak RSS is reset (/proc/self/clear_refs) after the images are built, so the
// reported growth is what log() + finish() add on top of them.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "wandb/image.h"
#include "wandb/run.h"

namespace {

// A /proc/self/status field in KiB (VmRSS, VmHWM), or -1.
long status_kib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream is(line.substr(field.size() + 1));
      long kib = -1;
      is >> kib;
      return kib;
    }
  }
  return -1;
}

bool reset_peak() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

double mib(double kib) { return kib / 1024.0; }

}  // namespace

int main(int argc, char** argv) {
  const std::size_t cap_mib = argc > 1 ? std::stoul(argv[1]) : 256;
  const int count = argc > 2 ? std::stoi(argv[2]) : 108;
  const int size = argc > 3 ? std::stoi(argv[3]) : 1024;

  // Distinct photos (each one shifted), built from uint8 Mats: each Image holds
  // its own copy of the pixels, the Mats are released as we go.
  std::vector<wandb::Image> images;
  {
    const cv::Mat base = wandb::bench::astronaut_bgr(size);
    for (int i = 0; i < count; ++i) {
      const int k = (i * 37) % size;
      cv::Mat shifted;
      if (k == 0) {
        shifted = base.clone();
      } else {
        cv::hconcat(base.colRange(k, size), base.colRange(0, k), shifted);
      }
      images.emplace_back(shifted);
    }
  }
  const double held_mib = static_cast<double>(count) * size * size * 3 / (1 << 20);

  wandb::bench::TempDir dir;
  wandb::RunOptions options;
  options.dir = dir.path();
  options.project = "bench-memory";
  options.max_queued_bytes = cap_mib << 20;
  options.silent = true;
  wandb::Run run(options);

  const long rss_before = status_kib("VmRSS");
  const bool reset = reset_peak();
  const long hwm_before = status_kib("VmHWM");
  run.log({{"photos", images}});
  const long hwm_after_log = status_kib("VmHWM");
  run.finish();
  const long hwm = status_kib("VmHWM");
  const long rss_after = status_kib("VmRSS");

  double written_mib = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(run.dir() / "media")) {
    if (e.is_regular_file()) written_mib += static_cast<double>(e.file_size()) / (1 << 20);
  }

  const double growth = mib(static_cast<double>(hwm - rss_before));
  std::cout.setf(std::ios::fixed);
  std::cout.precision(1);
  std::cout << "memory: " << count << " images of " << size << "x" << size << " RGB, cap "
            << cap_mib << " MiB (max_queued_bytes), " << std::thread::hardware_concurrency()
            << " cores\n"
            << "  pixels held by the caller's Images: " << held_mib << " MiB\n"
            << "  RSS before log:                     " << mib(rss_before) << " MiB"
            << (reset ? "" : " (peak reset unavailable: growth is an upper bound)") << "\n"
            << "  peak RSS during log():              " << mib(hwm_after_log) << " MiB\n"
            << "  peak RSS during log() + finish():   " << mib(hwm)
            << " MiB (before: " << mib(hwm_before) << ")\n"
            << "  peak growth over the held pixels:   " << growth << " MiB ("
            << (growth <= static_cast<double>(cap_mib) ? "within" : "ABOVE") << " the " << cap_mib
            << " MiB cap)\n"
            << "  RSS after finish():                 " << mib(rss_after) << " MiB (+"
            << mib(static_cast<double>(rss_after - rss_before)) << " MiB kept)\n"
            << "  PNG files written:                  " << written_mib << " MiB\n";
  std::cout << "memory_result images=" << count << " size=" << size << " cap_mib=" << cap_mib
            << " held_mib=" << held_mib << " peak_growth_mib=" << growth
            << " kept_mib=" << mib(static_cast<double>(rss_after - rss_before))
            << " written_mib=" << written_mib << "\n";
  return 0;
}
