// Internals shared by the Run and the Image binding methods.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "detail/file_io.h"
#include "wandb/run.h"

namespace wandb {

struct Image::Binding {
  const Run::Impl* run = nullptr;
  std::string path;    // relative to files/, with '/' separators
  std::string sha256;
  int64_t size = 0;
  Layers<Json> boxes;  // layer -> {"_type": "boxes2D", "sha256", "size", "path"}
  Layers<Json> masks;  // layer -> {"_type": "mask", ...}
  std::vector<std::string> files;  // every file written, relative to files/
  /// Class labels to register in config["_wandb"], in the SDK's order (boxes,
  /// then masks); applied when the row is committed, so the config's key order
  /// follows log() order whatever order the workers finish in.
  struct Singleton {
    std::string type;
    std::string key;
    ClassLabels labels;
  };
  std::vector<Singleton> singletons;
};

namespace detail {

/// The key as a relative media path (SEMANTICS §8): leading '/' stripped, "." and
/// ".." segments become "_" and "__". Refuses keys that could still escape the
/// run folder or cannot be file names (ValueError).
std::string safe_media_key(const std::string& key);
/// Keys must be valid UTF-8 (they go into protobuf strings) and free of NUL.
void check_key(const std::string& key);

/// The SDK's Image.to_json for a bound image.
Json image_json(const Image& image, const Image::Binding& binding);
/// The SDK's seq_to_json for bound images (already truncated to MAX_ITEMS).
Json images_json(const std::vector<Image>& images,
                 const std::vector<std::shared_ptr<const Image::Binding>>& bindings);
/// all_boxes / all_masks: one entry per image (its layers or null), or nullopt
/// when every entry is null (the SDK's False).
std::optional<Json> all_layers(const std::vector<const Layers<Json>*>& per_image);
/// The first MAX_ITEMS images, with the SDK's warning when more were given.
std::vector<Image> truncate_images(const std::vector<Image>& images);

}  // namespace detail

struct Run::Impl {
  RunOptions options;
  std::string id;
  std::filesystem::path root;   // offline-run-...
  std::filesystem::path files;  // root/files
  std::chrono::system_clock::time_point start_wall;
  std::chrono::steady_clock::time_point start_steady;

  /// Encodes and writes an image's media; thread-safe.
  std::shared_ptr<const Image::Binding> bind(const Image& image, const std::string& key,
                                             const std::string& step,
                                             const std::optional<std::string>& id) const;
  /// Registers a binding's class labels in config["_wandb"] (the SDK's _add_singleton).
  void add_singletons(const Image::Binding& binding) const;
  /// Records files written outside a history row, for the next Files record.
  void announce(const std::vector<std::string>& paths) const;

  double runtime_seconds() const;
  double timestamp_seconds() const;

  // The rest lives in run.cpp.
  struct State;
  std::unique_ptr<State> state;
  ~Impl();
};

}  // namespace wandb
