// Helpers shared by the libFuzzer targets in this folder. Each target treats
// wandb::Error as the expected outcome of bad input; anything else (another
// exception, a failed check, a sanitizer report) escapes so libFuzzer keeps the
// input as a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include <unistd.h>

namespace wandb_fuzz {

// A broken promise of the API: report and abort, which libFuzzer (and the
// replay driver, through ctest) counts as a crash.
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz check failed: %s\n", what.c_str());
  std::abort();
}

inline void check(bool ok, const std::string& what) {
  if (!ok) fail(what);
}

inline std::string text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// The image targets spend their first byte on the format, so one corpus
// covers every decoder the API accepts.
inline const char* image_format(uint8_t selector) {
  static const char* const kFormats[] = {"png", "jpg", "bmp"};
  return kFormats[selector % 3];
}

// A folder of the process's own under the temporary directory, removed at
// exit (a crash leaves it, with what led to it).
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name)
      : path_(std::filesystem::temp_directory_path() /
              ("wandb-fuzz-" + name + "-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace wandb_fuzz
