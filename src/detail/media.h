// Binding images to a run's media folder, as a module of its own: file names,
// encoded contents and the SDK's JSON for a bound image. It knows nothing of
// the Run: a run's encoders call prepare_media() and its writer thread calls
// write_media() with the run's folder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wandb/classes.h"
#include "wandb/image.h"
#include "wandb/json.h"

namespace wandb::detail {

class FolderSync;

/// Keys must be valid UTF-8 (they go into protobuf strings) and free of NUL
/// (ValueError).
void check_key(const std::string& key);
/// The key as a relative media path: leading '/' stripped, "." and ".."
/// segments become "_" and "__", '/' makes sub-folders (docs/run-layout.md).
/// Refuses keys that could still escape the run folder or cannot be file
/// names (ValueError).
std::string safe_media_key(const std::string& key);
/// An explicit media id becomes part of a file name: refuses '/', '\', NUL,
/// "." and "..", empty and over-long ids (ValueError).
void check_media_id(const std::string& id);

/// References (s3://, https://, ...) cannot be logged, as in the SDK
/// (ValueError naming `key`).
void check_loggable(const Image& image, const std::string& key);

/// One file to write, relative to the run folder ("files/media/...").
struct MediaFile {
  std::string path;
  const uint8_t* data = nullptr;
  std::size_t size = 0;
  std::shared_ptr<const void> owner;  // keeps `data` alive
  /// Content-addressed names are kept when they exist (same bytes); a name
  /// given by an explicit id is replaced.
  bool replace = false;
};

/// Where a bound image's files went: what its JSON and the run's records need.
struct Binding {
  std::string path;    // relative to files/, with '/' separators
  std::string sha256;
  int64_t size = 0;
  Layers<Json> boxes;  // layer -> {"_type": "boxes2D", "sha256", "size", "path"}
  Layers<Json> masks;  // layer -> {"_type": "mask", ...}
  std::vector<std::string> files;  // every file, relative to files/
  /// Class labels to register in config["_wandb"], in the SDK's order (boxes,
  /// then masks).
  struct Singleton {
    std::string type;
    std::string key;
    ClassLabels labels;
  };
  std::vector<Singleton> singletons;
};

/// A binding and the bytes still to be written for it.
struct PreparedMedia {
  Binding binding;
  std::vector<MediaFile> files;
};

/// Encodes (when not done yet) and names an image's file and its box and mask
/// files for `key` at `step` ("7" or "summary"): media/images/{key}_{step}_{id}{ext},
/// media/metadata/boxes2D/..., media/images/mask/...; `id` defaults to the
/// first 20 hex characters of each file's sha256. Pure computation: nothing
/// is written. ValueError for references, unsafe keys or ids.
PreparedMedia prepare_media(const Image& image, const std::string& key, const std::string& step,
                            const std::optional<std::string>& id = std::nullopt);

/// A rendered copy of `image` (wandb::render, default options) for the run's
/// previews/ folder, at the media file's relative path with a .png extension.
MediaFile preview_file(const Image& image, const Binding& binding);

/// Writes `files` under `run_root`; each appears whole or not at all
/// (IoError on failure). With `sync`, each file's data is on disk before its
/// name appears, and its folders are added to `sync` (see FolderSync).
void write_media(const std::filesystem::path& run_root, const std::vector<MediaFile>& files,
                 FolderSync* sync = nullptr);

/// The SDK's Image.to_json for a bound image ("image-file").
Json image_json(const Image& image, const Binding& binding);
/// The SDK's seq_to_json for bound images already truncated to MAX_ITEMS
/// ("images/separated"); `bindings` are in image order.
Json images_json(const std::vector<Image>& images, const std::vector<const Binding*>& bindings);
/// all_boxes / all_masks: one entry per image (its layers or null), or nullopt
/// when every entry is null (the SDK's False).
std::optional<Json> all_layers(const std::vector<const Layers<Json>*>& per_image);
/// Every caption (nullopt for a missing one) when the first image has one;
/// nullopt where the SDK returns False.
std::optional<std::vector<std::optional<std::string>>> all_captions(const std::vector<Image>& images);

/// The SDK's warnings for a logged list, returned rather than emitted so that
/// the caller can emit them with no lock held.
std::vector<std::string> list_warnings(const std::vector<Image>& images);
/// The first MAX_ITEMS images (the SDK uploads no more).
std::vector<Image> truncate_images(const std::vector<Image>& images);

}  // namespace wandb::detail
