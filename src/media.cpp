// Binding images to a run: media file names and the SDK's JSON.
#include <regex>

#include "detail/codec.h"
#include "detail/image_data.h"
#include "detail/run_impl.h"
#include "wandb/errors.h"
#include "wandb/warnings.h"

namespace fs = std::filesystem;

namespace wandb {
namespace detail {
namespace {

constexpr std::size_t kMaxSegmentBytes = 200;  // leaves room for _<step>_<id>.ext in 255

bool valid_utf8(const std::string& s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = byte(i);
    size_t len = 0;
    if (c < 0x80) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80) return false;
    }
    // Overlong forms, UTF-16 surrogates and code points above U+10FFFF.
    if ((c == 0xE0 && byte(i + 1) < 0xA0) || (c == 0xED && byte(i + 1) > 0x9F) ||
        (c == 0xF0 && byte(i + 1) < 0x90) || (c == 0xF4 && byte(i + 1) > 0x8F)) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace

void check_key(const std::string& key) {
  if (key.find('\0') != std::string::npos) {
    throw ValueError("key: expected no NUL characters, got a key containing NUL");
  }
  if (!valid_utf8(key)) throw ValueError("key: expected valid UTF-8, got \"" + key + "\"");
}

std::string safe_media_key(const std::string& key) {
  check_key(key);
  static const std::regex kWindowsAbsolute(R"(^([A-Za-z]:[\\/]|\\))");
  if (std::regex_search(key, kWindowsAbsolute)) {
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

Json image_json(const Image& image, const Image::Binding& b) {
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

Json images_json(const std::vector<Image>& images,
                 const std::vector<std::shared_ptr<const Image::Binding>>& bindings) {
  const Image& first = images.front();
  bool sizes_match = true;
  for (const Image& image : images) {
    sizes_match = sizes_match && image.width() == first.width() && image.height() == first.height();
  }
  if (!sizes_match) {
    warn("Images sizes do not match. This will causes images to be display incorrectly in the UI.");
  }
  Json meta = Json::object();
  meta["_type"] = "images/separated";
  meta["width"] = first.width();
  meta["height"] = first.height();
  meta["format"] = first.format();
  meta["count"] = images.size();
  Json filenames = Json::array();
  for (const auto& b : bindings) filenames.push_back(b->path);
  meta["filenames"] = std::move(filenames);
  if (auto captions = Image::all_captions(images)) {
    Json list = Json::array();
    for (const auto& c : *captions) list.push_back(c ? Json(*c) : Json(nullptr));
    meta["captions"] = std::move(list);
  }
  std::vector<const Layers<Json>*> masks, boxes;
  for (const auto& b : bindings) {
    masks.push_back(&b->masks);
    boxes.push_back(&b->boxes);
  }
  if (auto m = all_layers(masks)) meta["all_masks"] = std::move(*m);
  if (auto b = all_layers(boxes)) meta["all_boxes"] = std::move(*b);
  return meta;
}

std::vector<Image> truncate_images(const std::vector<Image>& images) {
  if (images.size() <= static_cast<std::size_t>(Image::MAX_ITEMS)) return images;
  warn("Only " + std::to_string(Image::MAX_ITEMS) + " Image will be uploaded.");
  return std::vector<Image>(images.begin(), images.begin() + Image::MAX_ITEMS);
}

}  // namespace detail

// ---- Run::Impl::bind ------------------------------------------------------------

std::shared_ptr<const Image::Binding> Run::Impl::bind(const Image& image, const std::string& key,
                                                      const std::string& step,
                                                      const std::optional<std::string>& id) const {
  if (image.is_reference()) {
    throw ValueError(
        "Image media created by a reference to external storage cannot currently be added to a "
        "run: expected a tensor, Mat or file image, got " + image.source_path());
  }
  const std::string safe = detail::safe_media_key(key);
  auto b = std::make_shared<Image::Binding>();
  b->run = this;
  // The SDK's id_ for layers grows with each layer index when an id is given.
  std::optional<std::string> running = id;
  const auto file_name = [&](const std::string& sha, const std::string& ext) {
    return safe + "_" + step + "_" + (running ? *running : sha.substr(0, 20)) + ext;
  };
  const auto write = [&](const std::string& rel, const void* data, std::size_t size) {
    // Names carry the content hash: an existing file already holds these
    // bytes, unless an explicit id names the file.
    detail::write_file_atomic(files / rel, data, size,
                              id ? detail::Existing::kReplace : detail::Existing::kKeep);
    b->files.push_back(rel);
  };
  detail::ImageAccess::data(image).with_encoded([&](const detail::Bytes& bytes, const std::string& sha) {
    b->sha256 = sha;
    b->size = static_cast<int64_t>(bytes.size());
    b->path = "media/images/" + file_name(sha, image.extension());
    write(b->path, bytes.data(), bytes.size());
  });

  int index = 0;
  for (const auto& [layer, boxes] : image.boxes()) {
    if (running) *running += std::to_string(index);
    ++index;
    const std::string& content = boxes.file_content();
    const std::string sha = detail::sha256_hex(content.data(), content.size());
    const std::string rel = "media/metadata/boxes2D/" + file_name(sha, ".boxes2D.json");
    write(rel, content.data(), content.size());
    b->boxes.emplace_back(layer, Json{{"_type", "boxes2D"},
                                      {"sha256", sha},
                                      {"size", content.size()},
                                      {"path", rel}});
    b->singletons.push_back(
        {"bounding_box/class_labels", key + "_wandb_delimeter_" + layer, boxes.class_labels()});
  }
  index = 0;
  for (const auto& [layer, mask] : image.masks()) {
    if (running) *running += std::to_string(index);
    ++index;
    const std::vector<uint8_t>& png = mask.png();
    const std::string sha = mask.sha256();
    const std::string rel = "media/images/mask/" + file_name(sha, ".mask.png");
    write(rel, png.data(), png.size());
    b->masks.emplace_back(layer, Json{{"_type", "mask"},
                                      {"sha256", sha},
                                      {"size", png.size()},
                                      {"path", rel}});
    b->singletons.push_back({"mask/class_labels", key + "_wandb_delimeter_" + layer, mask.class_labels()});
  }
  return b;
}

// ---- Image binding methods ----------------------------------------------------------

void Image::bind_to_run(Run& run, const std::string& key, const Step& step,
                        const std::optional<std::string>& id) {
  if (!run.impl_) throw StateError("run: expected a live run, got a moved-from one");
  if (run.finished()) throw StateError("run: expected a running run, got a finished one");
  binding_ = run.impl_->bind(*this, key, step.text, id);
  run.impl_->add_singletons(*binding_);
  run.impl_->announce(binding_->files);
}

namespace {

// The binding of an image bound to `run`; StateError when it is not.
const Image::Binding& checked_binding(const Image::Binding* binding, const Run::Impl* run) {
  if (!binding) {
    throw StateError("image: expected bind_to_run(run, ...) before to_json(run), got an unbound image");
  }
  if (binding->run != run) {
    throw StateError("image: expected to be bound to this run, got an image bound to another run");
  }
  return *binding;
}

}  // namespace

Json Image::to_json(const Run& run) const {
  return detail::image_json(*this, checked_binding(binding_.get(), run.impl_.get()));
}

Json Image::seq_to_json(const std::vector<Image>& images, Run& run, const std::string& key,
                        const Step& step) {
  if (images.empty()) throw ValueError("images: expected at least one image, got an empty list");
  const std::vector<Image> items = detail::truncate_images(images);
  std::vector<std::shared_ptr<const Binding>> bindings;
  for (const Image& image : items) {
    if (image.binding_ && image.binding_->run == run.impl_.get()) {
      bindings.push_back(image.binding_);
    } else {
      Image copy(image);
      copy.bind_to_run(run, key, step);
      bindings.push_back(copy.binding_);
    }
  }
  return detail::images_json(items, bindings);
}

std::optional<Json> Image::all_boxes(const std::vector<Image>& images, const Run& run,
                                     const std::string&, const Step&) {
  std::vector<const Layers<Json>*> per_image;
  for (const Image& image : images) {
    per_image.push_back(image.boxes().empty()
                            ? nullptr
                            : &checked_binding(image.binding_.get(), run.impl_.get()).boxes);
  }
  return detail::all_layers(per_image);
}

std::optional<Json> Image::all_masks(const std::vector<Image>& images, const Run& run,
                                     const std::string&, const Step&) {
  std::vector<const Layers<Json>*> per_image;
  for (const Image& image : images) {
    per_image.push_back(image.masks().empty()
                            ? nullptr
                            : &checked_binding(image.binding_.get(), run.impl_.get()).masks);
  }
  return detail::all_layers(per_image);
}

std::optional<std::vector<std::optional<std::string>>> Image::all_captions(
    const std::vector<Image>& images) {
  if (images.empty() || !images.front().caption()) return std::nullopt;
  std::vector<std::optional<std::string>> out;
  for (const Image& image : images) out.push_back(image.caption());
  return out;
}

}  // namespace wandb
