// encode_png_fast: decoded by libpng and Pillow bit for bit, and its file
// structure checked with zlib, independently of libdeflate.
#include "detail/png_writer.h"

#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "wandb/errors.h"

namespace {

using wandb::detail::encode_png_fast;
using wandb::detail::kPngIdatChunkSize;
using Bytes = std::vector<uint8_t>;

enum class Fill { kRandom, kFlat, kGradient };

Bytes make_pixels(int height, int width, int channels, Fill fill, uint32_t seed = 1) {
  Bytes px(static_cast<size_t>(height) * width * channels);
  std::mt19937 rng(seed);
  for (size_t i = 0; i < px.size(); ++i) {
    const size_t pixel = i / channels;
    const size_t x = pixel % width, y = pixel / width, c = i % channels;
    switch (fill) {
      case Fill::kRandom: px[i] = static_cast<uint8_t>(rng()); break;
      case Fill::kFlat: px[i] = static_cast<uint8_t>(200 + c); break;
      case Fill::kGradient: px[i] = static_cast<uint8_t>(x * 3 + y * 5 + c * 60); break;
    }
  }
  return px;
}

const char* fill_name(Fill f) {
  return f == Fill::kRandom ? "random" : f == Fill::kFlat ? "flat" : "gradient";
}

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

struct Chunk {
  std::string type;
  Bytes data;
  bool crc_ok = false;
};

// Splits a PNG into chunks, checking each CRC with zlib; fails the test on a
// malformed layout.
std::vector<Chunk> parse_chunks(const Bytes& png) {
  static const uint8_t kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<Chunk> chunks;
  EXPECT_GE(png.size(), 8u);
  if (png.size() < 8 || std::memcmp(png.data(), kSig, 8) != 0) {
    ADD_FAILURE() << "no PNG signature";
    return chunks;
  }
  size_t pos = 8;
  while (pos < png.size()) {
    if (png.size() - pos < 12) {
      ADD_FAILURE() << "truncated chunk at " << pos;
      break;
    }
    const uint32_t length = be32(&png[pos]);
    if (length > 0x7FFFFFFFu || png.size() - pos - 12 < length) {
      ADD_FAILURE() << "chunk length " << length << " past the end at " << pos;
      break;
    }
    Chunk c;
    c.type.assign(reinterpret_cast<const char*>(&png[pos + 4]), 4);
    c.data.assign(png.begin() + pos + 8, png.begin() + pos + 8 + length);
    const uLong crc = crc32(crc32(0L, Z_NULL, 0), &png[pos + 4], 4 + length);
    c.crc_ok = crc == be32(&png[pos + 8 + length]);
    chunks.push_back(std::move(c));
    pos += 12 + length;
  }
  return chunks;
}

// The Average filter written the plain way, a branch per byte, as the spec
// states it.
Bytes reference_filtered(const Bytes& px, int height, int width, int channels) {
  const size_t stride = static_cast<size_t>(width) * channels;
  Bytes out;
  for (int y = 0; y < height; ++y) {
    out.push_back(3);
    for (size_t i = 0; i < stride; ++i) {
      const int left = i >= static_cast<size_t>(channels) ? px[y * stride + i - channels] : 0;
      const int up = y > 0 ? px[(y - 1) * stride + i] : 0;
      out.push_back(static_cast<uint8_t>(px[y * stride + i] - (left + up) / 2));
    }
  }
  return out;
}

struct Decoded {
  bool ok = false;
  std::string error;
  uint32_t width = 0, height = 0, format = 0;
  Bytes pixels;
};

Decoded decode_with_libpng(const Bytes& png, uint32_t format) {
  Decoded d;
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, png.data(), png.size())) {
    d.error = image.message;
    return d;
  }
  d.width = image.width;
  d.height = image.height;
  d.format = image.format;
  image.format = format;
  d.pixels.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, d.pixels.data(), 0, nullptr)) {
    d.error = image.message;
    png_image_free(&image);
    return d;
  }
  d.ok = true;
  return d;
}

uint32_t libpng_format(int channels) {
  switch (channels) {
    case 1: return PNG_FORMAT_GRAY;
    case 2: return PNG_FORMAT_GA;
    case 3: return PNG_FORMAT_RGB;
    default: return PNG_FORMAT_RGBA;
  }
}

TEST(PngWriter, RoundTripsThroughLibpng) {
  const std::vector<std::array<int, 2>> sizes = {{1, 1},  {1, 37},  {37, 1},    {1, 2},    {3, 5},
                                                 {7, 13}, {17, 11}, {257, 513}, {513, 257}};
  for (const int level : {0, 1, 6, 12}) {
    for (const int channels : {1, 2, 3, 4}) {
      for (const auto& [h, w] : sizes) {
        for (const Fill fill : {Fill::kRandom, Fill::kFlat, Fill::kGradient}) {
          SCOPED_TRACE(testing::Message() << "level " << level << ", " << h << "x" << w << "x"
                                          << channels << ", " << fill_name(fill));
          const Bytes px = make_pixels(h, w, channels, fill, static_cast<uint32_t>(h * w + level));
          const Bytes png = encode_png_fast(px.data(), h, w, channels, level);
          const Decoded d = decode_with_libpng(png, libpng_format(channels));
          ASSERT_TRUE(d.ok) << d.error;
          EXPECT_EQ(d.width, static_cast<uint32_t>(w));
          EXPECT_EQ(d.height, static_cast<uint32_t>(h));
          EXPECT_EQ(d.format, libpng_format(channels));  // what the file declares
          EXPECT_TRUE(d.pixels == px);
        }
      }
    }
  }
}

TEST(PngWriter, FileStructureIsValid) {
  struct Case {
    int h, w, channels, level;
    Fill fill;
  };
  // The last two make zlib streams longer than one IDAT chunk (random bytes
  // do not compress), the last at level 0 (stored blocks).
  const std::vector<Case> cases = {
      {1, 1, 1, 1, Fill::kFlat},        {5, 3, 2, 6, Fill::kRandom},
      {31, 17, 3, 1, Fill::kGradient},  {64, 64, 4, 12, Fill::kRandom},
      {100, 1, 3, 0, Fill::kRandom},    {700, 900, 3, 1, Fill::kRandom},
      {1100, 1000, 1, 0, Fill::kRandom}};
  const uint8_t kColourType[5] = {0, 0, 4, 2, 6};
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << c.h << "x" << c.w << "x" << c.channels << ", level "
                                    << c.level << ", " << fill_name(c.fill));
    const Bytes px = make_pixels(c.h, c.w, c.channels, c.fill);
    const Bytes png = encode_png_fast(px.data(), c.h, c.w, c.channels, c.level);
    const std::vector<Chunk> chunks = parse_chunks(png);
    ASSERT_GE(chunks.size(), 3u);
    for (size_t i = 0; i < chunks.size(); ++i) {
      EXPECT_TRUE(chunks[i].crc_ok) << "chunk " << i << " " << chunks[i].type;
    }

    ASSERT_EQ(chunks.front().type, "IHDR");
    const Bytes& ihdr = chunks.front().data;
    ASSERT_EQ(ihdr.size(), 13u);
    EXPECT_EQ(be32(&ihdr[0]), static_cast<uint32_t>(c.w));
    EXPECT_EQ(be32(&ihdr[4]), static_cast<uint32_t>(c.h));
    EXPECT_EQ(ihdr[8], 8);                        // bit depth
    EXPECT_EQ(ihdr[9], kColourType[c.channels]);  // colour type
    EXPECT_EQ(ihdr[10], 0);                       // compression method
    EXPECT_EQ(ihdr[11], 0);                       // filter method
    EXPECT_EQ(ihdr[12], 0);                       // interlace

    EXPECT_EQ(chunks.back().type, "IEND");
    EXPECT_TRUE(chunks.back().data.empty());

    // Only IDAT chunks in between, every one but the last full.
    Bytes stream;
    for (size_t i = 1; i + 1 < chunks.size(); ++i) {
      ASSERT_EQ(chunks[i].type, "IDAT") << "chunk " << i;
      if (i + 2 < chunks.size()) {
        EXPECT_EQ(chunks[i].data.size(), kPngIdatChunkSize);
      }
      EXPECT_LE(chunks[i].data.size(), kPngIdatChunkSize);
      EXPECT_FALSE(chunks[i].data.empty());
      stream.insert(stream.end(), chunks[i].data.begin(), chunks[i].data.end());
    }
    const size_t idat_chunks = chunks.size() - 2;
    EXPECT_EQ(idat_chunks, (stream.size() + kPngIdatChunkSize - 1) / kPngIdatChunkSize);
    if (c.h * c.w >= 700 * 900) {
      EXPECT_GE(idat_chunks, 2u) << "meant to test a split stream";
    }

    // zlib's uncompress checks the header and the Adler-32 trailer; one byte
    // of room more than expected shows the stream is not longer either.
    const Bytes expected = reference_filtered(px, c.h, c.w, c.channels);
    Bytes inflated(expected.size() + 1);
    uLongf inflated_size = static_cast<uLongf>(inflated.size());
    ASSERT_EQ(uncompress(inflated.data(), &inflated_size, stream.data(),
                         static_cast<uLong>(stream.size())),
              Z_OK);
    inflated.resize(inflated_size);
    EXPECT_EQ(inflated.size(), expected.size());
    EXPECT_TRUE(inflated == expected) << "the filtered rows differ from the reference filter";
  }
}

TEST(PngWriter, SameOutputOnEveryThreadAndCall) {
  const Bytes px = make_pixels(61, 47, 3, Fill::kGradient);
  std::vector<Bytes> expected;
  for (int level = 0; level <= 12; ++level) {
    expected.push_back(encode_png_fast(px.data(), 61, 47, 3, level));
  }
  // Each thread has its own compressors; levels are interleaved so a thread
  // reuses one after using others.
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (int level = 0; level <= 12; ++level) {
          const int l = (level * 5 + t) % 13;
          if (encode_png_fast(px.data(), 61, 47, 3, l) != expected[l]) ++mismatches[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

std::string test_python() {
  const char* env = std::getenv("WANDB_IMAGE_TEST_PYTHON");
  return env && *env ? env : "/usr/bin/python3";
}

std::string run_capture(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) {
    *status = -1;
    return out;
  }
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof(buf), pipe)) out.append(buf, n);
  *status = pclose(pipe);
  return out;
}

TEST(PngWriter, RoundTripsThroughPillow) {
  const std::string python = test_python();
  int status = 0;
  run_capture(python + " -c 'import PIL' 2>/dev/null", &status);
  if (status != 0) {
    GTEST_SKIP() << "Pillow is not importable by " << python
                 << " (Debian: apt-get install python3-pil); the Pillow round trip did not run";
  }

  char dir_template[] = "/tmp/png_writer_test_XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::filesystem::path dir = dir_template;

  struct Case {
    int h, w, channels, level;
    Fill fill;
  };
  const std::vector<Case> cases = {{1, 1, 1, 1, Fill::kRandom},     {3, 7, 2, 6, Fill::kRandom},
                                   {13, 9, 3, 12, Fill::kGradient}, {9, 13, 4, 0, Fill::kRandom},
                                   {257, 513, 3, 1, Fill::kRandom}, {513, 257, 4, 1, Fill::kFlat},
                                   {800, 700, 3, 1, Fill::kRandom}};  // several IDAT chunks
  const char* kMode[5] = {"", "L", "LA", "RGB", "RGBA"};
  std::ofstream manifest(dir / "manifest.txt");
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const Bytes px = make_pixels(c.h, c.w, c.channels, c.fill, static_cast<uint32_t>(i));
    const Bytes png = encode_png_fast(px.data(), c.h, c.w, c.channels, c.level);
    const std::string name = "case" + std::to_string(i);
    std::ofstream(dir / (name + ".png"), std::ios::binary)
        .write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    std::ofstream(dir / (name + ".raw"), std::ios::binary)
        .write(reinterpret_cast<const char*>(px.data()), static_cast<std::streamsize>(px.size()));
    manifest << name << ' ' << kMode[c.channels] << ' ' << c.w << ' ' << c.h << '\n';
  }
  manifest.close();

  const std::string script =
      "import sys\n"
      "from PIL import Image\n"
      "d = sys.argv[1]\n"
      "bad = []\n"
      "for line in open(d + '/manifest.txt'):\n"
      "    name, mode, w, h = line.split()\n"
      "    with Image.open(d + '/' + name + '.png') as im:\n"
      "        im.load()\n"
      "        raw = open(d + '/' + name + '.raw', 'rb').read()\n"
      "        if im.format != 'PNG' or im.mode != mode or im.size != (int(w), int(h)):\n"
      "            bad.append(name + ': ' + str((im.format, im.mode, im.size)))\n"
      "        elif im.tobytes() != raw:\n"
      "            bad.append(name + ': pixels differ')\n"
      "print('; '.join(bad) if bad else 'all equal')\n"
      "sys.exit(1 if bad else 0)\n";
  const std::string out =
      run_capture(python + " -c \"" + script + "\" " + dir.string() + " 2>&1", &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_EQ(out, "all equal\n");
  std::filesystem::remove_all(dir);
}

std::string error_of(const uint8_t* data, int h, int w, int c, int level) {
  try {
    encode_png_fast(data, h, w, c, level);
  } catch (const wandb::ValueError& e) {
    return e.what();
  }
  return "no ValueError";
}

TEST(PngWriter, RefusesBadInputs) {
  const Bytes px(64, 0);
  EXPECT_EQ(error_of(px.data(), 1, 0, 3, 1), "png: expected a width of 1 to 2147483647, got 0");
  EXPECT_EQ(error_of(px.data(), 1, -4, 3, 1), "png: expected a width of 1 to 2147483647, got -4");
  EXPECT_EQ(error_of(px.data(), 0, 1, 3, 1), "png: expected a height of 1 to 2147483647, got 0");
  EXPECT_EQ(error_of(px.data(), 1, 1, 5, 1), "png: expected 1 to 4 channels, got 5");
  EXPECT_EQ(error_of(px.data(), 1, 1, 0, 1), "png: expected 1 to 4 channels, got 0");
  EXPECT_EQ(error_of(px.data(), 1, 1, 3, 13), "png: expected a deflate level of 0 to 12, got 13");
  EXPECT_EQ(error_of(px.data(), 1, 1, 3, -1), "png: expected a deflate level of 0 to 12, got -1");
  EXPECT_EQ(error_of(nullptr, 1, 1, 3, 1), "png: expected pixel data, got a null pointer");
}

}  // namespace
