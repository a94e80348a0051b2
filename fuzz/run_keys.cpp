// Run::log and Run::summary under any key and caption: whatever the run
// accepts, every file it writes must lie under run.root(). The first byte is
// the key's length; the key, then the caption, follow.
#include "fuzz_support.h"

#include <algorithm>
#include <filesystem>
#include <string>

#include <ATen/ATen.h>
#include <wandb/errors.h>
#include <wandb/image.h>
#include <wandb/masks.h>
#include <wandb/run.h>

namespace fs = std::filesystem;

namespace {

bool is_under(const fs::path& path, const fs::path& folder) {
  return std::mismatch(folder.begin(), folder.end(), path.begin(), path.end()).first ==
         folder.end();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const wandb_fuzz::ScratchDir scratch("run-keys");
  // The run sits a few folders down, so a key that climbs out of it still
  // lands inside the scratch folder, where the walk below looks.
  const fs::path parent = scratch.path() / "a" / "b" / "c";
  const size_t key_size = std::min<size_t>(data[0], size - 1);
  const std::string key = wandb_fuzz::text(data + 1, key_size);
  const std::string caption = wandb_fuzz::text(data + 1 + key_size, size - 1 - key_size);

  fs::path root;
  try {
    wandb::RunOptions run_options;
    run_options.dir = parent;
    run_options.workers = 1;
    wandb::Run run(run_options);
    root = run.root();
    wandb::ImageOptions options;
    options.caption = caption;
    options.masks = {{"mask", wandb::ImageMask(at::zeros({2, 2}, at::kByte))}};
    const wandb::Image image(at::zeros({3, 2, 2}, at::kByte), options);
    run.log({{key, image}});
    run.summary(key, image);
    run.finish();
  } catch (const wandb::Error&) {
  }

  // Outside the run folder only <dir>/wandb/latest-run, and the folders on
  // the way to the run, may exist.
  const fs::path base = parent / "wandb";
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(scratch.path())) {
    const fs::path& path = entry.path();
    const bool allowed = (!root.empty() && is_under(path, root)) || is_under(parent, path) ||
                         path == base || path == base / "latest-run";
    wandb_fuzz::check(allowed, "a file outside run.root() " + root.string() + ": " + path.string());
  }
  fs::remove_all(base);
  return 0;
}
