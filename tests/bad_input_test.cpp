// Inputs that once crashed the library, read without end or allocated without
// bound: each is now a typed wandb::Error, and nothing else escapes.
#include <sys/stat.h>
#include <unistd.h>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

#include <opencv2/core.hpp>

#include "test_support.h"
#include "wandb/errors.h"
#include "wandb/image.h"
#include "wandb/masks.h"

namespace fs = std::filesystem;
using wandb::Image;
using wandb::ImageMask;
using wandb::Json;
using wandb::test::expect_error;

TEST(BadInput, DevicesAndPipesAreRefusedNotReadForever) {
  expect_error<wandb::IoError>([] { Image img("/dev/zero"); }, "expected a regular file, got a character device");
  expect_error<wandb::IoError>([] { ImageMask::from_file("/dev/zero"); }, "character device");
  // A mask path from the SDK's dict shape is read like any other path.
  expect_error<wandb::IoError>([] { ImageMask m(Json{{"path", "/dev/zero"}}); }, "character device");
  wandb::test::TempDir tmp;
  const fs::path fifo = tmp.path() / "pipe.png";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_error<wandb::IoError>([&] { Image img(fifo.string()); }, "got a pipe");  // no writer: no hang
  try {
    Image img("/dev/zero");
  } catch (const wandb::IoError& e) {
    EXPECT_EQ(e.code(), EINVAL);
  }
}

TEST(BadInput, FilesOverTheLimitAreRefusedBeforeReading) {
  wandb::test::TempDir tmp;
  const fs::path big = tmp.path() / "big.png";
  std::ofstream(big) << "x";
  fs::resize_file(big, (std::uintmax_t{1} << 30) + 1);  // sparse: no disk used
  try {
    Image img(big.string());
    ADD_FAILURE() << "a file over 1 GiB was accepted";
  } catch (const wandb::IoError& e) {
    EXPECT_EQ(e.code(), EFBIG);
    EXPECT_NE(std::string(e.what()).find("expected at most 1073741824 bytes"), std::string::npos) << e.what();
  }
  expect_error<wandb::IoError>([&] { ImageMask::from_file(big.string()); }, "expected at most");
}

TEST(BadInput, MasksObeyTheImageSizeLimitBeforeAllocating) {
  const int64_t over = Image::MAX_DIMENSION + 1;
  // Expanded tensors take no memory themselves; copying them would take 10 GB.
  expect_error<wandb::ValueError>(
      [] { ImageMask m(at::zeros({1}, at::kByte).expand({100000, 100000})); }, "mask size: expected at most 65500");
  expect_error<wandb::ValueError>(
      [] { ImageMask m(at::zeros({1}, at::kLong).expand({1, 3000000000LL})); }, "1 x 3000000000");
  expect_error<wandb::ValueError>([&] { ImageMask m(cv::Mat(1, static_cast<int>(over), CV_8U, cv::Scalar(0))); },
                                  "mask size");
  Json wide = Json{{"mask_data", Json::array({Json(std::vector<int>(static_cast<size_t>(over), 0))})}};
  expect_error<wandb::ValueError>([&] { ImageMask m(wide); }, "mask size");
  // The limit itself is fine, and sizes are what was given.
  const ImageMask edge(at::zeros({1}, at::kByte).expand({1, Image::MAX_DIMENSION}));
  EXPECT_EQ(edge.width(), Image::MAX_DIMENSION);
  EXPECT_EQ(edge.height(), 1);
}

TEST(BadInput, LargeFloat16ImagesWithInfinitiesAndNaN) {
  // Over 2^17 values, float16 goes through lookup tables built for all 65,536
  // bit patterns, infinities included (an undefined conversion before; the
  // sanitizer build checks that). Any non-finite value selects clipping.
  const int64_t h = 256, w = 256;
  at::Tensor t = at::rand({3, h, w}, at::kFloat).to(at::kHalf);
  t[0][0][0] = std::numeric_limits<float>::infinity();
  t[1][0][0] = -std::numeric_limits<float>::infinity();
  t[2][0][0] = 0.5;
  const at::Tensor px = Image(t).pixels();
  EXPECT_EQ(px[0][0][0].item<int>(), 255);  // +Inf clipped
  EXPECT_EQ(px[0][0][1].item<int>(), 0);    // -Inf clipped
  EXPECT_EQ(px[0][0][2].item<int>(), 0);    // 0.5 truncated in the clip branch
  t[0][0][0] = std::numeric_limits<float>::quiet_NaN();
  t[1][0][0] = 0.25;
  EXPECT_EQ(Image(t).pixels()[0][0][0].item<int>(), 0);  // NaN -> 0
}

namespace {

std::vector<uint8_t> repro_bytes(const std::string& name) {
  return wandb::test::file_bytes(fs::path(WANDB_TEST_DATA_DIR) / "repro" / name);
}

std::vector<uint8_t> png_of(int h, int w) {
  return Image(at::zeros({3, h, w}, at::kFloat)).encoded();
}

// Files OpenCV leaves in the temporary folder when it decodes some formats
// through a file instead of memory.
std::vector<std::string> opencv_temp_files() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::temp_directory_path())) {
    if (e.path().filename().string().rfind("__opencv_temp", 0) == 0) out.push_back(e.path().string());
  }
  return out;
}

}  // namespace

TEST(BadInput, FuzzerFoundBmpsAreValueErrorsOnEveryPath) {
  wandb::test::TempDir tmp;
  for (const char* name : {"bmp-huge-width-54b.bmp", "image_bytes-cv-exception-min.bmp",
                           "image_bytes-crash-ab0a1cfa.bin"}) {
    SCOPED_TRACE(name);
    const std::vector<uint8_t> bytes = repro_bytes(name);
    expect_error<wandb::ValueError>([&] { Image::from_encoded(bytes, "bmp"); }, "cannot");
    const fs::path file = tmp.path() / (std::string(name) + ".bmp");
    std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    expect_error<wandb::ValueError>([&] { Image img(file.string()); }, "cannot");
    expect_error<wandb::ValueError>([&] { ImageMask::from_file(file.string()); }, "cannot");
  }
  // The huge width is refused from the header, before any decoder allocates.
  expect_error<wandb::ValueError>([&] { Image::from_encoded(repro_bytes("bmp-huge-width-54b.bmp"), "bmp"); },
                                  "got 9175044 x");
}

TEST(BadInput, EncodedBytesAreCheckedNotTrusted) {
  const std::vector<uint8_t> png = png_of(64, 64);
  // A truncated PNG whose header still says 64 x 64.
  const std::vector<uint8_t> truncated(png.begin(), png.begin() + 60);
  expect_error<wandb::ValueError>([&] { Image::from_encoded(truncated, "png"); }, "truncated or corrupt");
  // A header declaring more than the limit: refused before decoding.
  std::vector<uint8_t> huge = png;
  const uint32_t side = 100000;
  for (int at : {16, 20}) {
    for (int k = 0; k < 4; ++k) huge[at + k] = static_cast<uint8_t>(side >> (24 - 8 * k));
  }
  expect_error<wandb::ValueError>([&] { Image::from_encoded(huge, "png"); }, "1 to 65500 pixels on each side");
  // Sides within the limit, but more pixels than Pillow (the SDK) opens: a
  // 51-byte BMP the fuzzer found declared 65280 x 15873 (3 GB to decode).
  for (int at : {16, 20}) {
    for (int k = 0; k < 4; ++k) huge[at + k] = static_cast<uint8_t>(uint32_t{13380} >> (24 - 8 * k));
  }
  expect_error<wandb::ValueError>([&] { Image::from_encoded(huge, "png"); },
                                  "expected at most 178956970 pixels (the decompression-bomb limit of Pillow, "
                                  "which the SDK uses), got 13380 x 13380 = 179024400 in its header");
  expect_error<wandb::ValueError>([&] { Image::from_encoded(repro_bytes("bmp-bomb-65280x15873.bmp"), "bmp"); },
                                  "got 65280 x 15873 = 1036189440");
  // Intact data is accepted, with its size and mode.
  const Image ok = Image::from_encoded(png, "png");
  EXPECT_EQ(ok.width(), 64);
  EXPECT_EQ(ok.mode(), "RGB");
}

TEST(BadInput, OnlyPngJpegAndBmpReachADecoder) {
  const auto before = opencv_temp_files();
  const std::vector<std::pair<const char*, std::string>> others = {
      {"gif", "GIF89a\x01\x00\x01\x00\x00\x00\x00;"},
      {"tiff", std::string("II*\x00\x08\x00\x00\x00", 8)},
      {"exr", std::string("\x76\x2f\x31\x01\x02\x00\x00\x00", 8)},
      {"hdr", "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 1 +X 1\n"},
      {"pfm", "PF\n1 1\n-1.0\n"},
  };
  for (const auto& [format, text] : others) {
    SCOPED_TRACE(format);
    const std::vector<uint8_t> bytes(text.begin(), text.end());
    expect_error<wandb::ValueError>([&] { Image::from_encoded(bytes, format); },
                                    "expected PNG, JPEG or BMP data, got bytes starting");
  }
  expect_error<wandb::ValueError>([&] { Image::from_encoded({}, "png"); }, "got no bytes");
  EXPECT_EQ(opencv_temp_files(), before);
}

TEST(BadInput, OddTensorsRaiseOnlyLibraryErrors) {
  // Whatever LibTorch makes of these, the caller sees a wandb::Error.
  const std::vector<std::pair<const char*, at::Tensor>> odd = {
      {"meta", at::empty({3, 4, 4}, at::TensorOptions().device(at::kMeta))},
      {"complex", at::zeros({3, 4, 4}, at::kComplexFloat)},
      {"quantized", at::quantize_per_tensor(at::rand({3, 4, 4}), 0.1, 0, at::kQUInt8)},
      {"empty", at::zeros({3, 0, 4})},
      {"5-d", at::zeros({1, 1, 3, 4, 4})},
      {"undefined", at::Tensor()},
  };
  for (const auto& [name, t] : odd) {
    SCOPED_TRACE(name);
    EXPECT_THROW(Image img(t), wandb::Error);
    try {
      Image::guess_mode(t);  // only the channel count matters to the guess: may succeed
    } catch (const wandb::Error&) {
    } catch (const std::exception& e) {
      ADD_FAILURE() << "guess_mode let through: " << e.what();
    }
    EXPECT_THROW(ImageMask m(t.dim() == 3 ? t[0] : t), wandb::Error);
    EXPECT_THROW(ImageMask::from_logits(t), wandb::Error);
  }
  expect_error<wandb::ValueError>([] { Image img(at::empty({3, 4, 4}, at::TensorOptions().device(at::kMeta))); },
                                  "got a meta tensor");
}
