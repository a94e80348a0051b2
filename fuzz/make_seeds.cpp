// Writes the seed corpus, fuzz/corpus/<target>/, from small valid inputs made
// with the library itself. Run by hand when a target's input shape changes:
//   cmake --build build --target wandb_fuzz_seeds && build/fuzz/wandb_fuzz_seeds fuzz/corpus
// Regenerated files differ byte for byte (run ids, timestamps), not in shape.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <wandb/wandb.h>

namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Small images with a gradient, so every encoder has something to encode.
at::Tensor gradient(int64_t channels, int64_t height, int64_t width) {
  return (at::arange(channels * height * width, at::kInt) * 37 % 256)
      .to(at::kByte)
      .reshape({channels, height, width});
}

// The image targets read a format selector (index into png, jpg, bmp), then
// the encoded bytes.
void image_seeds(const fs::path& corpus) {
  const char* const formats[] = {"png", "jpg", "bmp"};
  const int64_t channel_counts[] = {1, 3, 4};
  for (char selector = 0; selector < 3; ++selector) {
    for (int64_t channels : channel_counts) {
      wandb::ImageOptions options;
      options.file_type = formats[static_cast<int>(selector)];
      const wandb::Image image(gradient(channels, 5, 7), options);
      const std::vector<uint8_t>& bytes = image.encoded();
      const std::string input = selector + std::string(bytes.begin(), bytes.end());
      const std::string name = std::string(formats[static_cast<int>(selector)]) + "-" +
                               std::to_string(channels) + "ch";
      write(corpus / "image_bytes" / name, input);
      write(corpus / "image_file" / name, input);
    }
  }
  // A class map as the masks' own greyscale PNG, for ImageMask::from_file.
  const wandb::ImageMask mask(at::arange(12, at::kByte).reshape({3, 4}) % 3);
  const std::vector<uint8_t>& png = mask.png();
  write(corpus / "image_file" / "png-mask", '\0' + std::string(png.begin(), png.end()));
}

void json_seeds(const fs::path& corpus) {
  write(corpus / "boxes_json" / "corners-fraction",
        R"({"box_data": [{"position": {"minX": 0.1, "maxX": 0.4, "minY": 0.2, "maxY": 0.9},)"
        R"( "class_id": 1, "box_caption": "cat", "scores": {"acc": 0.8}}],)"
        R"( "class_labels": {"1": "cat", "2": "dog"}})");
  write(corpus / "boxes_json" / "middle-pixel",
        R"({"box_data": [{"position": {"middle": [12, 30], "width": 8, "height": 6},)"
        R"( "domain": "pixel", "class_id": 2}, {"position": {"minX": 1, "maxX": 5,)"
        R"( "minY": 2, "maxY": 4}, "domain": "pixel", "class_id": 7}]})");
  write(corpus / "boxes_json" / "empty", R"({"box_data": []})");

  write(corpus / "masks_json" / "labelled",
        R"({"mask_data": [[0, 1, 1], [2, 2, 0]],)"
        R"( "class_labels": {"0": "bg", "1": "cat", "2": "dog"}})");
  write(corpus / "masks_json" / "defaults", R"({"mask_data": [[3], [255], [0]]})");

  write(corpus / "classes_json" / "labels", R"({"1": "cat", "2": "dog", "10": "car"})");
  write(corpus / "classes_json" / "labels-numbers", R"({"0": "background", "-3": "negative"})");
  write(corpus / "classes_json" / "class-set",
        R"([{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}])");
}

// The run-keys target reads the key's length, the key, then the caption.
void run_key_seeds(const fs::path& corpus) {
  const std::pair<std::string, std::string> cases[] = {
      {"examples", "a caption"}, {"train/pred", ""}, {"../up/./x", "ünïcode"}, {"a\\b", "c"}};
  int n = 0;
  for (const auto& [key, caption] : cases) {
    write(corpus / "run_keys" / ("key-" + std::to_string(n++)),
          static_cast<char>(key.size()) + key + caption);
  }
}

// A whole run's .wandb file, its 7-byte header alone, and its first half (a
// torn tail).
void run_file_seeds(const fs::path& corpus) {
  const fs::path dir = fs::temp_directory_path() / "wandb-fuzz-seeds";
  fs::remove_all(dir);
  fs::path root;
  {
    wandb::RunOptions options;
    options.dir = dir;
    options.project = "fuzz";
    options.config = {{"lr", 0.1}};
    wandb::Run run(options);
    root = run.root();
    wandb::ImageOptions image_options;
    image_options.caption = "seed";
    run.log({{"loss", 0.5}, {"image", wandb::Image(gradient(3, 2, 2), image_options)}});
    run.log({{"loss", 0.25}});
    run.summary("best", 0.25);
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(root)) {
    if (entry.path().extension() == ".wandb") {
      const std::string bytes = read(entry.path());
      write(corpus / "run_file" / "run.wandb", bytes);
      write(corpus / "run_file" / "header-only.wandb", bytes.substr(0, 7));
      write(corpus / "run_file" / "torn.wandb", bytes.substr(0, bytes.size() / 2));
    }
  }
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: wandb_fuzz_seeds <corpus folder>\n";
    return 2;
  }
  const fs::path corpus = argv[1];
  image_seeds(corpus);
  json_seeds(corpus);
  run_key_seeds(corpus);
  run_file_seeds(corpus);
  std::cout << "seeds written to " << corpus << "\n";
  return 0;
}
