// A main() for the fuzz targets without libFuzzer: feeds every file of the
// folders (or the files) given on the command line to LLVMFuzzerTestOneInput,
// so ctest replays the seed corpus and the regression inputs on every build,
// with any compiler. A folder that does not exist holds nothing to replay.
// An exception escaping the target is reported with the input's name and
// counted; a crash ends the run, after the input's name is printed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> inputs_of(const fs::path& arg) {
  std::vector<fs::path> inputs;
  if (fs::is_directory(arg)) {
    for (const fs::directory_entry& entry : fs::directory_iterator(arg)) {
      if (entry.is_regular_file()) inputs.push_back(entry.path());
    }
    // Directory order differs between machines; a stable order makes a
    // failing run read the same everywhere.
    std::sort(inputs.begin(), inputs.end());
  } else if (fs::exists(arg)) {
    inputs.push_back(arg);
  }
  return inputs;
}

}  // namespace

int main(int argc, char** argv) {
  int replayed = 0;
  int failed = 0;
  for (int i = 1; i < argc; ++i) {
    for (const fs::path& input : inputs_of(argv[i])) {
      std::ifstream in(input, std::ios::binary);
      const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                       std::istreambuf_iterator<char>()};
      std::fprintf(stderr, "replay %s (%zu bytes)\n", input.c_str(), bytes.size());
      try {
        LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "FAILED %s: exception escaped: %s\n", input.c_str(), e.what());
        ++failed;
      } catch (...) {
        std::fprintf(stderr, "FAILED %s: a non-standard exception escaped\n", input.c_str());
        ++failed;
      }
      ++replayed;
    }
  }
  std::printf("%d inputs replayed, %d failed\n", replayed, failed);
  return failed == 0 ? 0 : 1;
}
