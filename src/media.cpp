// Binding images to a run's media folder: file names, contents and the SDK's JSON.
#include "detail/media.h"

#include <opencv2/imgcodecs.hpp>


#include "detail/codec.h"
#include "detail/file_io.h"
#include "detail/image_data.h"
#include "detail/text.h"
#include "wandb/errors.h"
#include "wandb/render.h"

namespace fs = std::filesystem;

namespace wandb {
namespace detail {
namespace {

constexpr std::size_t kMaxSegmentBytes = 200;  // leaves room for _<step>_<id>.ext in 255

}  // namespace

void check_key(const std::string& key) {
  if (key.find('\0') != std::string::npos) {
    throw ValueError("key: expected no NUL characters, got a key containing NUL");
  }
  check_text("key", key);
}

std::string safe_media_key(const std::string& key) {
  check_key(key);
  // "C:\", "C:/" or "\" at the start: a Windows absolute path. Tested by
  // hand: a std::regex search here cost microseconds per image.
  const bool drive = key.size() >= 3 && ((key[0] >= 'A' && key[0] <= 'Z') || (key[0] >= 'a' && key[0] <= 'z')) && key[1] == ':' &&
                     (key[2] == '\\' || key[2] == '/');
  if (drive || (!key.empty() && key[0] == '\\')) {
    throw ValueError("key: expected a relative name, got the absolute path \"" + key + "\"");
  }
  std::string out;
  size_t start = key.find_first_not_of('/');
  while (start != std::string::npos && start < key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string::npos) end = key.size();
    std::string segment = key.substr(start, end - start);
    if (segment == ".") segment = "_";
    if (segment == "..") segment = "__";
    if (segment.size() > kMaxSegmentBytes) {
      throw ValueError("key: expected path segments of at most " +
                       std::to_string(kMaxSegmentBytes) + " bytes, got one of " +
                       std::to_string(segment.size()));
    }
    if (!segment.empty()) out += (out.empty() ? "" : "/") + segment;
    start = end + 1;
  }
  if (out.empty()) {
    throw ValueError("key: expected a name for the media file, got \"" + key + "\"");
  }
  return out;
}

namespace {

// A bound image's layers as one JSON object, in layer order.
Json layers_object(const Layers<Json>& layers) {
  Json out = Json::object();
  for (const auto& [name, json] : layers) out[name] = json;
  return out;
}

}  // namespace

void check_media_id(const std::string& id) {
  check_key(id);
  if (id.empty() || id == "." || id == ".." || id.find_first_of("/\\") != std::string::npos ||
      id.size() > kMaxSegmentBytes) {
    throw ValueError("media id: expected a file-name part without '/' or '\\', of at most " +
                     std::to_string(kMaxSegmentBytes) + " bytes, got \"" + id + "\"");
  }
}

Json image_json(const Image& image, const Binding& b) {
  Json j = Json::object();
  if (image.caption() && !image.caption()->empty()) j["caption"] = *image.caption();
  j["_type"] = "image-file";
  j["sha256"] = b.sha256;
  j["size"] = b.size;
  j["path"] = b.path;
  j["format"] = image.format();
  j["width"] = image.width();
  j["height"] = image.height();
  if (image.grouping() && *image.grouping() != 0) j["grouping"] = *image.grouping();
  if (!b.boxes.empty()) j["boxes"] = layers_object(b.boxes);
  if (!b.masks.empty()) j["masks"] = layers_object(b.masks);
  return j;
}

std::optional<Json> all_layers(const std::vector<const Layers<Json>*>& per_image) {
  Json out = Json::array();
  bool any = false;
  for (const Layers<Json>* layers : per_image) {
    if (!layers || layers->empty()) {
      out.push_back(nullptr);
      continue;
    }
    any = true;
    out.push_back(layers_object(*layers));
  }
  if (!any) return std::nullopt;
  return out;
}

Json images_json(const std::vector<Image>& images, const std::vector<const Binding*>& bindings) {
  const Image& first = images.front();
  Json meta = Json::object();
  meta["_type"] = "images/separated";
  meta["width"] = first.width();
  meta["height"] = first.height();
  meta["format"] = first.format();
  meta["count"] = images.size();
  Json filenames = Json::array();
  for (const Binding* b : bindings) filenames.push_back(b->path);
  meta["filenames"] = std::move(filenames);
  if (auto captions = all_captions(images)) {
    Json list = Json::array();
    for (const auto& c : *captions) list.push_back(c ? Json(*c) : Json(nullptr));
    meta["captions"] = std::move(list);
  }
  std::vector<const Layers<Json>*> masks, boxes;
  for (const Binding* b : bindings) {
    masks.push_back(&b->masks);
    boxes.push_back(&b->boxes);
  }
  if (auto m = all_layers(masks)) meta["all_masks"] = std::move(*m);
  if (auto b = all_layers(boxes)) meta["all_boxes"] = std::move(*b);
  return meta;
}

std::optional<std::vector<std::optional<std::string>>> all_captions(const std::vector<Image>& images) {
  if (images.empty() || !images.front().caption()) return std::nullopt;
  std::vector<std::optional<std::string>> out;
  for (const Image& image : images) out.push_back(image.caption());
  return out;
}

std::vector<std::string> list_warnings(const std::vector<Image>& images) {
  std::vector<std::string> out;
  if (images.size() > static_cast<std::size_t>(Image::MAX_ITEMS)) {
    out.push_back("Only " + std::to_string(Image::MAX_ITEMS) + " Image will be uploaded.");
  }
  const std::size_t n = std::min(images.size(), static_cast<std::size_t>(Image::MAX_ITEMS));
  for (std::size_t i = 1; i < n; ++i) {
    if (images[i].width() != images[0].width() || images[i].height() != images[0].height()) {
      out.push_back("Images sizes do not match. This will causes images to be display incorrectly in the UI.");
      break;
    }
  }
  return out;
}

std::vector<Image> truncate_images(const std::vector<Image>& images) {
  if (images.size() <= static_cast<std::size_t>(Image::MAX_ITEMS)) return images;
  return std::vector<Image>(images.begin(), images.begin() + Image::MAX_ITEMS);
}

void check_loggable(const Image& image, const std::string& key) {
  if (image.is_reference()) {
    throw ValueError(
        "Image media created by a reference to external storage cannot currently be added to a "
        "run: expected a tensor, Mat or file image for key \"" + key + "\", got " + image.source_path());
  }
}

PreparedMedia prepare_media(const Image& image, const std::string& key, const std::string& step,
                            const std::optional<std::string>& id) {
  check_loggable(image, key);
  const std::string safe = safe_media_key(key);
  if (id) check_media_id(*id);
  PreparedMedia out;
  Binding& b = out.binding;
  // One owner keeps the image, its layers' contents and its pixels alive
  // until the writer has written them.
  const auto owner = std::make_shared<const Image>(image);
  // The SDK's id_ for layers grows with each layer index when an id is given.
  std::optional<std::string> running = id;
  const auto file_name = [&](const std::string& sha, const std::string& ext) {
    return safe + "_" + step + "_" + (running ? *running : sha.substr(0, 20)) + ext;
  };
  const auto add = [&](const std::string& rel, const uint8_t* data, std::size_t size,
                       std::shared_ptr<const void> keep) {
    b.files.push_back(rel);
    out.files.push_back(MediaFile{"files/" + rel, data, size, std::move(keep), id.has_value()});
  };

  Image::Data::EncodedFile encoded = ImageAccess::data(image).encoded_file(ImageAccess::shared(image));
  b.sha256 = std::move(encoded.sha256);
  b.size = static_cast<int64_t>(encoded.bytes->size());
  b.path = "media/images/" + file_name(b.sha256, image.extension());
  add(b.path, encoded.bytes->data(), encoded.bytes->size(), encoded.bytes);

  int index = 0;
  for (const auto& [layer, boxes] : owner->boxes()) {
    if (running) *running += std::to_string(index);
    ++index;
    const std::string& content = boxes.file_content();
    const std::string sha = sha256_hex(content.data(), content.size());
    const std::string rel = "media/metadata/boxes2D/" + file_name(sha, ".boxes2D.json");
    add(rel, reinterpret_cast<const uint8_t*>(content.data()), content.size(), owner);
    b.boxes.emplace_back(layer, Json{{"_type", "boxes2D"}, {"sha256", sha}, {"size", content.size()}, {"path", rel}});
    b.singletons.push_back({"bounding_box/class_labels", key + "_wandb_delimeter_" + layer, boxes.class_labels()});
  }
  index = 0;
  for (const auto& [layer, mask] : owner->masks()) {
    if (running) *running += std::to_string(index);
    ++index;
    const Bytes& png = mask.png();
    const std::string sha = mask.sha256();
    const std::string rel = "media/images/mask/" + file_name(sha, ".mask.png");
    add(rel, png.data(), png.size(), owner);
    b.masks.emplace_back(layer, Json{{"_type", "mask"}, {"sha256", sha}, {"size", png.size()}, {"path", rel}});
    b.singletons.push_back({"mask/class_labels", key + "_wandb_delimeter_" + layer, mask.class_labels()});
  }
  return out;
}

MediaFile preview_file(const Image& image, const Binding& binding) {
  auto png = std::make_shared<std::vector<uint8_t>>();
  if (!cv::imencode(".png", render(image), *png)) {
    throw Error("preview: expected OpenCV to encode the rendered image, got a failure");
  }
  std::filesystem::path rel = std::filesystem::path("previews") / binding.path;
  rel.replace_extension(".png");
  return MediaFile{rel.generic_string(), png->data(), png->size(), png, true};
}

void write_media(const std::filesystem::path& run_root, const std::vector<MediaFile>& files,
                 FolderSync* sync) {
  for (const MediaFile& f : files) {
    // Folders are made below the run folder only: one that was removed stays removed.
    const bool in_files = f.path.rfind("files/", 0) == 0;
    write_file_atomic(run_root / f.path, f.data, f.size, f.replace ? Existing::kReplace : Existing::kKeep,
                      in_files ? run_root / "files" : run_root, sync);
  }
}

}  // namespace detail
}  // namespace wandb
