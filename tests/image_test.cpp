// Unit tests of wandb::Image: normalisation of every dtype and depth, the device
// path, input layouts, modes, file types, files, references, encoded bytes,
// copies with overrides, equality, classes, hashes and warnings.
// The rules are those of docs/normalization.md and docs/modes.md; expected pixels are
// computed here from the rules, never by calling the library's kernels.
#include "wandb/image.h"

#include <ATen/ATen.h>
#include <c10/util/Half.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "detail/torch_pixels.h"
#include "test_support.h"
#include "wandb/errors.h"
#include "wandb/warnings.h"

namespace {

using wandb::test::sha256_of;
using wandb::test::Warnings;

using wandb::Image;
using wandb::ImageOptions;
namespace fs = std::filesystem;

using wandb::test::file_bytes;
using wandb::test::kInf;
using wandb::test::kNaN;

// ---- helpers ------------------------------------------------------------------



void write_file(const fs::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

fs::path example(const std::string& name) { return fs::path(WANDB_EXAMPLE_DATA_DIR) / name; }

std::vector<uint8_t> bytes_of(const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  const uint8_t* p = c.data_ptr<uint8_t>();
  return std::vector<uint8_t>(p, p + c.numel());
}

std::vector<double> doubles_of(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kDouble).contiguous();
  const double* p = c.data_ptr<double>();
  return std::vector<double>(p, p + c.numel());
}

std::vector<double> doubles_of(const cv::Mat& m) {
  cv::Mat d;
  m.convertTo(d, CV_64F);
  d = d.reshape(1, 1).clone();
  return std::vector<double>(d.ptr<double>(), d.ptr<double>() + d.total());
}

// Decoded file bytes as an RGB(A)/L H x W x C uint8 tensor.
at::Tensor decode_rgb(const std::vector<uint8_t>& bytes) {
  cv::Mat m = cv::imdecode(
      cv::Mat(1, static_cast<int>(bytes.size()), CV_8U, const_cast<uint8_t*>(bytes.data())),
      cv::IMREAD_UNCHANGED);
  if (m.empty()) throw std::runtime_error("cv::imdecode failed");
  if (m.channels() == 3) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
  if (m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2RGBA);
  m = m.clone();
  return at::from_blob(m.data, {m.rows, m.cols, m.channels()}, at::kByte).clone();
}

at::Tensor read_rgb(const fs::path& path) { return decode_rgb(file_bytes(path)); }

::testing::AssertionResult same_tensor(const at::Tensor& got, const at::Tensor& want) {
  if (got.sizes() != want.sizes()) {
    return ::testing::AssertionFailure() << "shape " << got.sizes() << " != " << want.sizes();
  }
  if (got.scalar_type() != want.scalar_type()) {
    return ::testing::AssertionFailure()
           << "dtype " << got.scalar_type() << " != " << want.scalar_type();
  }
  if (!at::equal(got, want)) {
    const std::vector<uint8_t> g = bytes_of(got), w = bytes_of(want);
    for (size_t i = 0; i < g.size(); ++i) {
      if (g[i] != w[i]) {
        return ::testing::AssertionFailure() << "first difference at flat index " << i << ": got "
                                             << int(g[i]) << ", want " << int(w[i]);
      }
    }
    return ::testing::AssertionFailure() << "tensors differ";
  }
  return ::testing::AssertionSuccess();
}

at::Tensor hwc(const std::vector<uint8_t>& values, int64_t h, int64_t w, int64_t c) {
  return at::tensor(std::vector<int64_t>(values.begin(), values.end()), at::kLong)
      .reshape({h, w, c})
      .to(at::kByte);
}

// A C x H x W uint8 tensor (for exact pixel control with normalize=false).
at::Tensor chw_u8(const std::vector<int>& values, int64_t c, int64_t h, int64_t w) {
  return at::tensor(std::vector<int64_t>(values.begin(), values.end()), at::kLong)
      .reshape({c, h, w})
      .to(at::kByte);
}

// Routes warnings to a list for the lifetime of the object.
class WarningCapture {
 public:
  WarningCapture() {
    wandb::set_warning_handler([this](const std::string& m) { messages_.push_back(m); });
  }
  ~WarningCapture() { wandb::set_warning_handler({}); }
  int count(const std::string& fragment) const {
    int n = 0;
    for (const auto& m : messages_) n += m.find(fragment) != std::string::npos;
    return n;
  }

 private:
  std::vector<std::string> messages_;
};

// ---- normalisation rules, written out independently ------------------------------

// The precision numpy computes branches 1 and 2 in (docs/normalization.md).
enum class Precision { kF64, kF32, kF16 };
enum class Branch { kScale = 1, kShift = 2, kClip = 3 };

uint8_t trunc_u8(double v) { return static_cast<uint8_t>(v); }

uint8_t clip_u8(double v) {
  if (std::isnan(v) || v <= 0) return 0;
  if (v >= 255) return 255;
  return static_cast<uint8_t>(v);
}

uint8_t expected_value(double v, Branch branch, Precision p) {
  if (branch == Branch::kClip) return clip_u8(v);
  const bool scale = branch == Branch::kScale;
  switch (p) {
    case Precision::kF64:
      return trunc_u8(scale ? v * 255.0 : 127.5 * (v + 1.0));
    case Precision::kF32: {
      const float f = static_cast<float>(v);
      const float r = scale ? f * 255.0f : 127.5f * (f + 1.0f);
      return trunc_u8(r);
    }
    case Precision::kF16: {
      // numpy's float16 arithmetic rounds every intermediate result to half.
      const float f = static_cast<float>(v);
      if (scale) return trunc_u8(static_cast<float>(c10::Half(f * 255.0f)));
      const float t = static_cast<float>(c10::Half(f + 1.0f));
      return trunc_u8(static_cast<float>(c10::Half(127.5f * t)));
    }
  }
  return 0;
}

// Expected H x W x C pixels for C x H x W values.
at::Tensor expected_chw(const std::vector<double>& v, int64_t c, int64_t h, int64_t w,
                        Branch branch, Precision p) {
  std::vector<uint8_t> out(static_cast<size_t>(c * h * w));
  for (int64_t k = 0; k < c; ++k) {
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t x = 0; x < w; ++x) {
        out[static_cast<size_t>((y * w + x) * c + k)] =
            expected_value(v[static_cast<size_t>((k * h + y) * w + x)], branch, p);
      }
    }
  }
  return hwc(out, h, w, c);
}

// Values for one scenario: the fixed edges first, then seeded random fill.
std::vector<double> fill(std::vector<double> edges, size_t n, double lo, double hi, bool integral,
                         unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  edges.resize(std::min(edges.size(), n));
  while (edges.size() < n) {
    const double v = dist(rng);
    edges.push_back(integral ? std::round(v) : v);
  }
  return edges;
}

// ---- normalisation of every tensor dtype -------------------------------------------

struct DtypeCase {
  const char* name;
  at::ScalarType type;
  Precision precision;
  bool is_float;
  double min, max;  // representable range used for the clip scenario
};

const DtypeCase kTensorDtypes[] = {
    {"bool", at::kBool, Precision::kF64, false, 0, 1},
    {"uint8", at::kByte, Precision::kF64, false, 0, 255},
    {"int8", at::kChar, Precision::kF64, false, -128, 127},
    {"int16", at::kShort, Precision::kF64, false, -400, 400},
    {"int32", at::kInt, Precision::kF64, false, -70000, 70000},
    {"int64", at::kLong, Precision::kF64, false, -1e12, 1e12},
    {"float16", at::kHalf, Precision::kF16, true, -300, 300},
    {"bfloat16", at::kBFloat16, Precision::kF32, true, -300, 300},
    {"float32", at::kFloat, Precision::kF32, true, -300, 300},
    {"float64", at::kDouble, Precision::kF64, true, -300, 300},
};

// Scenario data. Float edges: values where float16, float32 and float64 give
// different bytes (found with numpy), so computing in the wrong precision fails.
std::vector<double> branch_values(const DtypeCase& d, Branch b, size_t n, unsigned seed) {
  switch (b) {
    case Branch::kScale:
      if (!d.is_float) return fill({0, 1}, n, 0, 1, true, seed);
      return fill({0, 1, 0.6, 0.5, 0.050980391156862745, 0.0862745098, 0.06274, 0.1255, 0.9999}, n,
                  0, 1, false, seed);
    case Branch::kShift:
      if (!d.is_float) return fill({-1, 0, 1}, n, -1, 1, true, seed);
      return fill({-1, 1, 0, 0.6, -0.24705882, -0.23921569, -0.8745, -0.749, -0.5, 0.999}, n, -1, 1,
                  false, seed);
    case Branch::kClip:
      if (!d.is_float) return fill({d.min, d.max, 2}, n, d.min, d.max, true, seed);
      return fill({-300, 300, 1.5, 254.99, 255, 255.5, -0.5, 12.7, 1e6, -1e6}, n, -300, 300, false,
                  seed);
  }
  return {};
}

at::Tensor make_tensor(const std::vector<double>& v, std::vector<int64_t> shape,
                       at::ScalarType type) {
  return at::tensor(v, at::kDouble).reshape(shape).to(type);
}

void PrintTo(const DtypeCase& d, std::ostream* os) { *os << d.name; }

class ImageTensorNormalize : public ::testing::TestWithParam<DtypeCase> {
 protected:
  // Builds a 3 x 4 x 5 tensor of `values`, and checks the image's pixels against
  // the rule of `branch` applied to the values the tensor actually holds.
  void check(const std::vector<double>& values, Branch branch, bool normalize = true) {
    const DtypeCase& d = GetParam();
    const at::Tensor t = make_tensor(values, {3, 4, 5}, d.type);
    const Image image(t, {.normalize = normalize});
    EXPECT_EQ(image.mode(), "RGB");
    EXPECT_TRUE(
        same_tensor(image.pixels(), expected_chw(doubles_of(t), 3, 4, 5, branch, d.precision)));
  }
};

TEST_P(ImageTensorNormalize, EveryBranch) {
  const DtypeCase& d = GetParam();
  {
    SCOPED_TRACE("branch 1: [0, 1] -> x * 255");
    check(branch_values(d, Branch::kScale, 60, 1), Branch::kScale);
  }
  if (d.min < 0) {
    SCOPED_TRACE("branch 2: [-1, 1] -> 127.5 * (x + 1)");
    check(branch_values(d, Branch::kShift, 60, 2), Branch::kShift);
  }
  if (d.max > 1) {
    SCOPED_TRACE("branch 3: clip to [0, 255]");
    check(branch_values(d, Branch::kClip, 60, 3), Branch::kClip);
  }
  {
    // Includes values in [0, 1] that normalize=true would have scaled.
    SCOPED_TRACE("normalize=false saturates");
    check(fill({d.min, d.max, 0, 1}, 60, d.min, d.max, !d.is_float, 4), Branch::kClip, false);
  }
}

TEST_P(ImageTensorNormalize, ConstantAndNonFiniteImages) {
  const DtypeCase& d = GetParam();
  auto constant = [&](double v) {
    return Image(at::full({1, 2, 3}, v, at::kDouble).to(d.type)).pixels();
  };
  EXPECT_TRUE(same_tensor(constant(1), at::full({2, 3, 1}, 255, at::kByte)));
  EXPECT_TRUE(same_tensor(constant(0), at::zeros({2, 3, 1}, at::kByte)));
  if (d.min < 0) {
    EXPECT_TRUE(same_tensor(constant(-1), at::zeros({2, 3, 1}, at::kByte)));
  }
  if (!d.is_float) return;
  EXPECT_TRUE(same_tensor(constant(0.5), at::full({2, 3, 1}, 127, at::kByte)));
  EXPECT_TRUE(same_tensor(constant(2.9), at::full({2, 3, 1}, 2, at::kByte)));  // branch 3

  // A NaN forces branch 3 even though every other value is in [0, 1]: 0.5 -> 0.
  auto px = [&](std::vector<double> v, bool normalize = true) {
    const at::Tensor t = make_tensor(v, {1, 1, static_cast<int64_t>(v.size())}, d.type);
    return bytes_of(Image(t, {.normalize = normalize}).pixels());
  };
  EXPECT_EQ(px({0.5, kNaN, 0.25, 1}), (std::vector<uint8_t>{0, 0, 0, 1}));
  EXPECT_EQ(px({kNaN}), (std::vector<uint8_t>{0}));
  EXPECT_EQ(px({0.5, kInf, 0.25}), (std::vector<uint8_t>{0, 255, 0}));
  EXPECT_EQ(px({0.5, -kInf, 0.25}), (std::vector<uint8_t>{0, 0, 0}));
  EXPECT_EQ(px({-kInf, kInf, kNaN, 100.5}), (std::vector<uint8_t>{0, 255, 0, 100}));
  // normalize=false: NaN -> 0, infinities saturate.
  EXPECT_EQ(px({kNaN, kInf, -kInf, 7.9}, false), (std::vector<uint8_t>{0, 255, 0, 7}));
}

// Images large enough for the kernel's block paths (SIMD min/max lanes, the
// float16 lookup table from 2^17 elements), with a width that leaves a tail,
// and the value that decides the branch placed in the body or in the tail.
TEST_P(ImageTensorNormalize, LargeImagesEveryBranch) {
  const DtypeCase& d = GetParam();
  const int64_t c = 3, h = 256, w = 259;  // 198,912 values
  const size_t n = static_cast<size_t>(c * h * w);
  auto check = [&](const std::vector<double>& values, Branch branch, bool normalize = true) {
    const at::Tensor t = make_tensor(values, {c, h, w}, d.type);
    EXPECT_TRUE(same_tensor(Image(t, {.normalize = normalize}).pixels(),
                            expected_chw(doubles_of(t), c, h, w, branch, d.precision)));
  };
  for (size_t at_index : {size_t{1000}, n - 1}) {
    SCOPED_TRACE("deciding value at " + std::to_string(at_index));
    std::vector<double> v = fill({}, n, 0, 1, !d.is_float, 11);
    check(v, Branch::kScale);
    if (d.min < 0) {
      v[at_index] = -1;
      check(v, Branch::kShift);
    }
    if (d.max > 1) {
      v[at_index] = 2;
      check(v, Branch::kClip);
    }
    if (d.is_float) {
      v = fill({}, n, 0, 1, false, 12);
      v[at_index] = kNaN;  // NaN anywhere: branch 3
      check(v, Branch::kClip);
    }
  }
  {
    SCOPED_TRACE("branch 3 and normalize=false over the whole range");
    const std::vector<double> v = fill({d.min, d.max}, n, d.min, d.max, !d.is_float, 13);
    if (d.max > 1) check(v, Branch::kClip);
    check(v, Branch::kClip, false);
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ImageTensorNormalize, ::testing::ValuesIn(kTensorDtypes),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ImageNormalize, TorchUint8ZeroOneBecomesBlackWhite) {
  // The SDK turns uint8 tensors into float64 first, so 0/1 images are branch 1.
  const at::Tensor t = chw_u8({0, 1, 1, 0}, 1, 2, 2);
  EXPECT_EQ(bytes_of(Image(t).pixels()), (std::vector<uint8_t>{0, 255, 255, 0}));
  EXPECT_EQ(bytes_of(Image(chw_u8({0, 1, 2, 3}, 1, 2, 2)).pixels()),
            (std::vector<uint8_t>{0, 1, 2, 3}));
}

TEST(ImageNormalize, PrecisionEdgesAreExact) {
  // Bytes computed with numpy 1.24 for these exact inputs.
  auto first = [](const at::Tensor& t) { return int(bytes_of(Image(t).pixels())[0]); };
  const at::Tensor f32 = at::tensor({0.050980391156862745, 0.0}, at::kDouble).to(at::kFloat);
  const at::Tensor f64 = at::tensor({0.050980391156862745, 0.0}, at::kDouble);
  EXPECT_EQ(first(f32.reshape({1, 1, 2})), 13);
  EXPECT_EQ(first(f64.reshape({1, 1, 2})), 12);
  // Branch 2 in float32 (96) versus the same float32 value computed in float64 (95).
  EXPECT_EQ(first(at::tensor({-0.24705882f, -1.0f}).reshape({1, 1, 2})), 96);
  EXPECT_EQ(first(at::tensor({-0.24705882f, -1.0f}).to(at::kDouble).reshape({1, 1, 2})), 95);
  // float16 keeps half precision: 16 where float32 arithmetic would give 15.
  EXPECT_EQ(first(at::tensor({0.06274, 0.0}).to(at::kHalf).reshape({1, 1, 2})), 16);
  EXPECT_EQ(first(at::tensor({-0.8745, -1.0}).to(at::kHalf).reshape({1, 1, 2})), 16);
  EXPECT_EQ(first(at::tensor({0.6f, 0.0f}).reshape({1, 1, 2})), 153);
  EXPECT_EQ(first(at::tensor({0.6f, -1.0f}).reshape({1, 1, 2})), 204);
}

TEST(ImageNormalize, NormalizeFalseSaturatesInsteadOfWrapping) {
  // numpy's astype(uint8) would give 44 and 255 here; we saturate (documented divergence).
  const at::Tensor t = at::tensor({300, -1, 256, 7, 255, 0}, at::kShort).reshape({1, 2, 3});
  EXPECT_EQ(bytes_of(Image(t, {.normalize = false}).pixels()),
            (std::vector<uint8_t>{255, 0, 255, 7, 255, 0}));
  const at::Tensor f = at::tensor({-5.0, 0.99, 12.7, 254.9, 255.0, 300.0}).reshape({1, 2, 3});
  EXPECT_EQ(bytes_of(Image(f, {.normalize = false}).pixels()),
            (std::vector<uint8_t>{0, 0, 12, 254, 255, 255}));
}

// ---- normalisation of every Mat depth ------------------------------------------------

struct DepthCase {
  const char* name;
  int depth;
  Precision precision;
  bool is_float;
  double min, max;
};

const DepthCase kMatDepths[] = {
    {"8U", CV_8U, Precision::kF64, false, 0, 255},
    {"8S", CV_8S, Precision::kF64, false, -128, 127},
    {"16U", CV_16U, Precision::kF64, false, 0, 1000},
    {"16S", CV_16S, Precision::kF64, false, -1000, 1000},
    {"32S", CV_32S, Precision::kF64, false, -100000, 100000},
    {"16F", CV_16F, Precision::kF16, true, -300, 300},
    {"32F", CV_32F, Precision::kF32, true, -300, 300},
    {"64F", CV_64F, Precision::kF64, true, -300, 300},
};

// A 4 x 5 Mat with 3 channels in B G R order holding `v` (read as H x W x C).
cv::Mat make_mat(const std::vector<double>& v, int depth, int channels = 3) {
  const int h = 4, w = static_cast<int>(v.size()) / (4 * channels);
  cv::Mat d(h, w, CV_64FC(channels), const_cast<double*>(v.data()));
  cv::Mat out;
  d.convertTo(out, CV_MAKETYPE(depth, channels));
  return out;
}

// Expected RGB pixels of a BGR Mat under `branch`.
at::Tensor expected_mat(const cv::Mat& m, Branch branch, Precision p) {
  const std::vector<double> v = doubles_of(m);
  const int c = m.channels();
  std::vector<uint8_t> out(v.size());
  for (size_t px = 0; px < v.size() / c; ++px) {
    for (int k = 0; k < c; ++k) {
      const int src = (c >= 3 && k < 3) ? 2 - k : k;
      out[px * c + k] = expected_value(v[px * c + src], branch, p);
    }
  }
  return hwc(out, m.rows, m.cols, c);
}

void PrintTo(const DepthCase& d, std::ostream* os) { *os << d.name; }

class ImageMatNormalize : public ::testing::TestWithParam<DepthCase> {
 protected:
  void check(const std::vector<double>& values, Branch branch, bool normalize = true) {
    const DepthCase& d = GetParam();
    const cv::Mat m = make_mat(values, d.depth);
    const Image image(m, {.normalize = normalize});
    EXPECT_EQ(image.mode(), "RGB");
    EXPECT_TRUE(same_tensor(image.pixels(), expected_mat(m, branch, d.precision)));
  }
  DtypeCase as_dtype() const {
    const DepthCase& d = GetParam();
    return {d.name, at::kDouble, d.precision, d.is_float, d.min, d.max};
  }
};

TEST_P(ImageMatNormalize, EveryBranch) {
  const DepthCase& d = GetParam();
  {
    SCOPED_TRACE("branch 1: [0, 1] -> x * 255");
    check(branch_values(as_dtype(), Branch::kScale, 60, 11), Branch::kScale);
  }
  if (d.min < 0) {
    SCOPED_TRACE("branch 2: [-1, 1] -> 127.5 * (x + 1)");
    check(branch_values(as_dtype(), Branch::kShift, 60, 12), Branch::kShift);
  }
  {
    SCOPED_TRACE("branch 3: clip to [0, 255]");
    check(branch_values(as_dtype(), Branch::kClip, 60, 13), Branch::kClip);
  }
  {
    SCOPED_TRACE("normalize=false saturates");
    check(fill({d.min, d.max, 0, 1}, 60, d.min, d.max, !d.is_float, 14), Branch::kClip, false);
  }
}

TEST_P(ImageMatNormalize, ConstantAndNonFiniteImages) {
  const DepthCase& d = GetParam();
  auto constant = [&](double v) {
    cv::Mat m(2, 3, CV_64FC1, cv::Scalar(v)), out;
    m.convertTo(out, d.depth);
    return Image(out).pixels();
  };
  EXPECT_TRUE(same_tensor(constant(1), at::full({2, 3, 1}, 255, at::kByte)));
  if (!d.is_float) return;
  EXPECT_TRUE(same_tensor(constant(0.5), at::full({2, 3, 1}, 127, at::kByte)));
  EXPECT_TRUE(same_tensor(constant(-1), at::zeros({2, 3, 1}, at::kByte)));

  std::vector<double> v(60, 0.5);
  v[0] = kNaN;
  v[4] = kInf;
  v[8] = -kInf;
  check(v, Branch::kClip);  // NaN forces branch 3: 0.5 -> 0
  const std::vector<uint8_t> px = bytes_of(Image(make_mat(v, d.depth)).pixels());
  EXPECT_EQ(px[2], 0);    // NaN (B of pixel 0 is R in RGB)
  EXPECT_EQ(px[4], 255);  // +Inf (G of pixel 1)
  EXPECT_EQ(px[6], 0);    // -Inf
  EXPECT_EQ(px[1], 0);    // 0.5 truncated
}

INSTANTIATE_TEST_SUITE_P(Depths, ImageMatNormalize, ::testing::ValuesIn(kMatDepths),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- the device path is bit-identical to the CPU kernel -----------------------------

// Random data of every scenario for one dtype; the device path (tensor ops) and
// the CPU kernel must agree on every byte and on the branch taken.
class ImageDevicePathMatchesCpu : public ::testing::TestWithParam<DtypeCase> {};

TEST_P(ImageDevicePathMatchesCpu, EveryScenario) {
  const DtypeCase& d = GetParam();
  enum Scenario { kScale, kShift, kClip, kNonFinite, kNoNormalize };
  static const char* const kNames[] = {"branch 1", "branch 2", "branch 3", "NaN and Inf",
                                       "normalize=false"};
  for (int scenario = kScale; scenario <= kNoNormalize; ++scenario) {
    if (scenario == kShift && d.min >= 0) continue;
    if (scenario == kNonFinite && !d.is_float) continue;
    for (unsigned seed = 0; seed < 4; ++seed) {
      SCOPED_TRACE(std::string(kNames[scenario]) + ", seed " + std::to_string(seed));
      const size_t n = 3 * 16 * 17;
      std::vector<double> v;
      switch (scenario) {
        case kScale:
          v = branch_values(d, Branch::kScale, n, seed);
          break;
        case kShift:
          v = branch_values(d, Branch::kShift, n, seed);
          break;
        case kNonFinite:
          v = branch_values(d, Branch::kScale, n, seed);
          v[5 + seed] = kNaN;
          v[100 + seed] = kInf;
          v[200 + seed] = -kInf;
          break;
        default:
          v = branch_values(d, Branch::kClip, n, seed);
          break;
      }
      const bool normalize = scenario != kNoNormalize;
      const at::Tensor t = make_tensor(v, {3, 16, 17}, d.type);
      wandb::detail::NormalizeInfo ops_info, cpu_info;
      const at::Tensor ops = wandb::detail::tensor_to_uint8_ops(t, normalize, &ops_info);
      wandb::detail::tensor_to_pixels(t, normalize, &cpu_info);
      EXPECT_TRUE(same_tensor(ops, Image(t, {.normalize = normalize}).pixels()));
      EXPECT_EQ(ops_info.branch, cpu_info.branch);
      EXPECT_EQ(ops_info.out_of_range, cpu_info.out_of_range);
      // The route off the CPU copies the device result straight into the buffer.
      wandb::detail::NormalizeInfo buffer_info;
      const wandb::detail::PixelBuffer px =
          wandb::detail::tensor_to_pixels_ops(t, normalize, &buffer_info);
      EXPECT_EQ(px.height, 16);
      EXPECT_EQ(px.width, 17);
      EXPECT_EQ(px.channels, 3);
      EXPECT_EQ(std::vector<uint8_t>(px.data.begin(), px.data.end()), bytes_of(ops));
      EXPECT_EQ(buffer_info.branch, cpu_info.branch);
      // 2-D and non-contiguous inputs take the same route.
      const at::Tensor plane = t[1];
      EXPECT_TRUE(same_tensor(wandb::detail::tensor_to_uint8_ops(plane, normalize, nullptr),
                              Image(plane, {.normalize = normalize}).pixels()));
      const at::Tensor strided = t.transpose(1, 2).slice(1, 0, 17, 2);
      EXPECT_TRUE(same_tensor(wandb::detail::tensor_to_uint8_ops(strided, normalize, nullptr),
                              Image(strided, {.normalize = normalize}).pixels()));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ImageDevicePathMatchesCpu, ::testing::ValuesIn(kTensorDtypes),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ImageDevicePath, RequiresGradTensor) {
  const at::Tensor t = at::rand({3, 4, 5}).set_requires_grad(true);
  EXPECT_TRUE(same_tensor(wandb::detail::tensor_to_uint8_ops(t, true, nullptr),
                          Image(t.detach()).pixels()));
}

// ---- input layouts -----------------------------------------------------------------

at::Tensor random_tensor(std::vector<int64_t> shape, at::ScalarType type) {
  at::manual_seed(7);
  if (type == at::kByte) return at::randint(0, 256, shape, at::kLong).to(at::kByte);
  return (at::rand(shape, at::kDouble) * 1.8 - 0.4).to(type);  // spans branch 3 edges
}

class ImageTensorLayout : public ::testing::TestWithParam<at::ScalarType> {};

// Every strided view must give the pixels of its contiguous copy.
TEST_P(ImageTensorLayout, StridedViewsMatchContiguousCopies) {
  const at::ScalarType type = GetParam();
  const at::Tensor nchw = random_tensor({1, 3, 4, 5}, type);
  const std::pair<const char*, at::Tensor> views[] = {
      {"transposed", random_tensor({3, 6, 5}, type).transpose(1, 2)},
      {"sliced",
       random_tensor({4, 9, 11}, type).slice(0, 0, 3).slice(1, 1, 8, 2).slice(2, 0, 11, 3)},
      {"expanded", random_tensor({3, 1, 1}, type).expand({3, 4, 5})},
      {"channels last", nchw.contiguous(at::MemoryFormat::ChannelsLast)[0]},
      {"permuted HWC", random_tensor({4, 5, 3}, type).permute({2, 0, 1})},
      {"2-D transposed", random_tensor({6, 5}, type).t()},
  };
  for (const auto& [name, view] : views) {
    SCOPED_TRACE(name);
    ASSERT_FALSE(view.is_contiguous());
    EXPECT_TRUE(same_tensor(Image(view).pixels(), Image(view.contiguous()).pixels()));
  }
  EXPECT_EQ(views[3].second.stride(0), 1);  // channels last really is channels last
}

TEST_P(ImageTensorLayout, TwoDimensionalIsOneChannel) {
  const at::Tensor t = random_tensor({6, 5}, GetParam());
  const Image image(t);
  EXPECT_EQ(image.mode(), "L");
  EXPECT_EQ(image.channels(), 1);
  EXPECT_EQ(image.width(), 5);
  EXPECT_EQ(image.height(), 6);
  EXPECT_TRUE(same_tensor(image.pixels(), Image(t.unsqueeze(0)).pixels()));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ImageTensorLayout,
                         ::testing::Values(at::kFloat, at::kByte, at::kHalf, at::kDouble),
                         [](const auto& info) { return std::string(c10::toString(info.param)); });

TEST(ImageInput, RequiresGradIsDetached) {
  const at::Tensor t = at::rand({3, 4, 5}).set_requires_grad(true);
  const Image image(t);
  EXPECT_TRUE(same_tensor(image.pixels(), Image(t.detach().clone()).pixels()));
}

TEST(ImageInput, OnePixelDimensionsKeepTheirShape) {
  struct Case {
    std::vector<int64_t> shape;
    int height, width, channels;
  };
  for (const Case& c : {Case{{3, 1, 1}, 1, 1, 3}, Case{{3, 1, 7}, 1, 7, 3},
                        Case{{3, 7, 1}, 7, 1, 3}, Case{{1, 1, 1}, 1, 1, 1}, Case{{1, 7}, 1, 7, 1},
                        Case{{7, 1}, 7, 1, 1}, Case{{4, 1, 2}, 1, 2, 4}}) {
    const Image image(at::rand(c.shape));
    EXPECT_EQ(image.height(), c.height);
    EXPECT_EQ(image.width(), c.width);
    EXPECT_EQ(image.pixels().sizes(), at::IntArrayRef({c.height, c.width, c.channels}));
  }
  const Image row(cv::Mat(1, 7, CV_8UC3, cv::Scalar(1, 2, 3)));
  EXPECT_EQ(row.pixels().sizes(), at::IntArrayRef({1, 7, 3}));
  EXPECT_EQ(row.mode(), "RGB");
  const Image column(cv::Mat(7, 1, CV_32FC1, cv::Scalar(0.5)));
  EXPECT_EQ(column.pixels().sizes(), at::IntArrayRef({7, 1, 1}));
}

TEST(ImageInput, TensorIsCapturedAtConstruction) {
  at::Tensor t = at::rand({3, 4, 5});
  const Image image(t);
  const at::Tensor before = image.pixels().clone();
  const at::Tensor original = t.clone();
  t.mul_(0).add_(0.25);
  EXPECT_TRUE(same_tensor(image.pixels(), before));
  // The file is encoded lazily, from the captured pixels.
  EXPECT_EQ(image.sha256(), Image(original).sha256());
  at::Tensor u = chw_u8({1, 2, 3, 4}, 1, 2, 2);
  const Image image_u8(u);
  u.fill_(9);
  EXPECT_EQ(bytes_of(image_u8.pixels()), (std::vector<uint8_t>{1, 2, 3, 4}));
}

TEST(ImageInput, MatIsCapturedAtConstruction) {
  cv::Mat m(2, 2, CV_8UC3, cv::Scalar(10, 20, 30));
  const Image image(m);
  m.setTo(cv::Scalar(0, 0, 0));
  EXPECT_EQ(bytes_of(image.pixels())[0], 30);
}

TEST(ImageInput, MatRoiIsNotContinuous) {
  cv::Mat big(10, 12, CV_32FC3);
  cv::randu(big, -0.2, 1.3);
  const cv::Mat roi = big(cv::Rect(2, 3, 5, 4));
  ASSERT_FALSE(roi.isContinuous());
  EXPECT_TRUE(same_tensor(Image(roi).pixels(), Image(roi.clone()).pixels()));
  cv::Mat big8(9, 9, CV_8UC1);
  cv::randu(big8, 0, 256);
  const cv::Mat roi8 = big8(cv::Rect(1, 1, 4, 6));
  ASSERT_FALSE(roi8.isContinuous());
  EXPECT_TRUE(same_tensor(Image(roi8).pixels(), Image(roi8.clone()).pixels()));
  EXPECT_EQ(Image(roi8).pixels().sizes(), at::IntArrayRef({6, 4, 1}));
}

TEST(ImageInput, ThreeDimensionalSingleChannelMat) {
  const int sizes[] = {4, 5, 3};
  cv::Mat m3(3, sizes, CV_8U);
  cv::randu(m3, 0, 256);
  const cv::Mat m2(4, 5, CV_8UC3, m3.data);  // the same bytes as a 3-channel Mat
  EXPECT_TRUE(same_tensor(Image(m3).pixels(), Image(m2).pixels()));
  EXPECT_EQ(Image(m3).mode(), "RGB");
  const int grey[] = {4, 5, 1};
  EXPECT_EQ(Image(cv::Mat(3, grey, CV_32F, cv::Scalar(0.5))).mode(), "L");
  const int rgba[] = {4, 5, 4};
  EXPECT_EQ(Image(cv::Mat(3, rgba, CV_8U, cv::Scalar(3))).mode(), "RGBA");
  const int two[] = {4, 5, 2};
  const cv::Mat la(3, two, CV_8U, cv::Scalar(3));
  EXPECT_THROW_MSG(Image(la), wandb::ValueError, "Un-supported shape");
  EXPECT_EQ(Image(la, {.mode = "LA"}).mode(), "LA");
}

TEST(ImageInput, MatChannelOrderIsBgr) {
  const cv::Mat blue(2, 3, CV_8UC3, cv::Scalar(255, 0, 0));
  const at::Tensor px = Image(blue).pixels();
  EXPECT_TRUE(same_tensor(px[0][0], at::tensor({0, 0, 255}, at::kLong).to(at::kByte)));
  EXPECT_TRUE(same_tensor(px, at::tensor({0, 0, 255}, at::kLong).to(at::kByte).repeat({2, 3, 1})));
  const cv::Mat bgra(2, 2, CV_8UC4, cv::Scalar(255, 0, 0, 128));
  const Image rgba(bgra);
  EXPECT_EQ(rgba.mode(), "RGBA");
  EXPECT_EQ(bytes_of(rgba.pixels()[1][1]), (std::vector<uint8_t>{0, 0, 255, 128}));
  const cv::Mat blue_float(1, 1, CV_32FC3, cv::Scalar(1.0, 0.0, 0.0));
  EXPECT_EQ(bytes_of(Image(blue_float).pixels()), (std::vector<uint8_t>{0, 0, 255}));
  // pixels_mat() goes back to B G R (A).
  cv::Mat noisy(3, 4, CV_8UC3);
  cv::randu(noisy, 0, 256);
  EXPECT_EQ(cv::norm(Image(noisy).pixels_mat(), noisy, cv::NORM_INF), 0);
  EXPECT_EQ(cv::norm(rgba.pixels_mat(), bgra, cv::NORM_INF), 0);
  // Each call gives a Mat of its own, for every channel count (render() draws on it).
  const Image gray(cv::Mat(2, 2, CV_8UC1, cv::Scalar(7)));
  for (const Image* image : {&gray, &rgba}) {
    cv::Mat scribbled = image->pixels_mat();
    scribbled.setTo(cv::Scalar::all(1));
    EXPECT_NE(cv::norm(image->pixels_mat(), scribbled, cv::NORM_INF), 0);
  }
  // A tensor and the equivalent Mat give the same picture.
  const at::Tensor rgb_tensor = chw_u8({0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255}, 3, 2, 2);
  EXPECT_TRUE(same_tensor(Image(rgb_tensor).pixels(),
                          Image(cv::Mat(2, 2, CV_8UC3, cv::Scalar(255, 0, 0))).pixels()));
}

// ---- guess_mode and explicit modes ---------------------------------------------------

TEST(ImageMode, GuessFromTensors) {
  EXPECT_EQ(Image::guess_mode(at::zeros({4, 4})), "L");
  EXPECT_EQ(Image::guess_mode(at::zeros({1, 4, 4})), "L");
  EXPECT_EQ(Image::guess_mode(at::zeros({3, 4, 4})), "RGB");
  EXPECT_EQ(Image::guess_mode(at::zeros({4, 4, 4})), "RGBA");
  EXPECT_EQ(Image::guess_mode(at::zeros({4, 4, 4}), std::string("png")), "RGBA");
  EXPECT_THROW_MSG(Image::guess_mode(at::zeros({2, 4, 4})), wandb::ValueError,
                   "Un-supported shape for image conversion [2, 4, 4]");
  EXPECT_THROW_MSG(Image::guess_mode(at::zeros({5, 4, 4})), wandb::ValueError,
                   "Un-supported shape for image conversion [5, 4, 4]");
  EXPECT_THROW_MSG(Image(at::zeros({2, 4, 4})), wandb::ValueError, "Un-supported shape");
  EXPECT_THROW_MSG(Image(at::zeros({5, 4, 4})), wandb::ValueError, "Un-supported shape");
  EXPECT_THROW_MSG(Image(at::zeros({5, 4, 4}), {.mode = "RGB"}), wandb::ValueError,
                   "Un-supported shape");
  EXPECT_EQ(Image(at::zeros({3, 4, 4})).mode(), "RGB");
  EXPECT_EQ(Image(at::zeros({4, 4, 4})).mode(), "RGBA");
  EXPECT_EQ(Image(at::zeros({4, 4, 4})).channels(), 4);
}

TEST(ImageMode, GuessFromMats) {
  EXPECT_EQ(Image::guess_mode(cv::Mat(2, 2, CV_8UC1)), "L");
  EXPECT_EQ(Image::guess_mode(cv::Mat(2, 2, CV_32FC3)), "RGB");
  EXPECT_EQ(Image::guess_mode(cv::Mat(2, 2, CV_16UC4)), "RGBA");
  EXPECT_THROW_MSG(Image::guess_mode(cv::Mat(2, 2, CV_8UC2)), wandb::ValueError,
                   "Un-supported shape");
  EXPECT_THROW_MSG(Image(cv::Mat(cv::Mat::zeros(2, 2, CV_8UC(5)))), wandb::ValueError,
                   "Un-supported shape");
  EXPECT_THROW_MSG(Image::guess_mode(cv::Mat()), wandb::ValueError, "empty");
}

// warn_once fires once per process, so the warnings are observed in a fresh
// process (gtest's "threadsafe" death tests re-execute the binary).
TEST(ImageWarnings, OneTimeWarningsInAFreshProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        WarningCapture w;
        const char kJpeg[] = "JPEG format does not support transparency. Ignoring alpha channel.";
        const char kRange[] = "should consist of values in the range [0, 255]";
        bool ok = true;
        // In-range data and 4-channel PNGs do not warn.
        (void)Image(at::rand({4, 3, 3}));
        (void)Image(at::full({3, 2, 2}, 255.0));
        (void)Image(at::full({3, 2, 2}, -3.0), {.normalize = false});
        ok = ok && w.count(kJpeg) == 0 && w.count(kRange) == 0;
        ok = ok && Image::guess_mode(at::zeros({4, 2, 2}), std::string("jpg")) == "RGB";
        ok = ok && w.count(kJpeg) == 1;
        ok = ok && Image(at::zeros({4, 2, 2}), {.file_type = "jpeg"}).mode() == "RGB";
        const cv::Mat bgra(2, 2, CV_8UC4, cv::Scalar::all(1));
        ok = ok && Image(bgra, {.file_type = "jpg"}).channels() == 3;
        ok = ok && w.count(kJpeg) == 1;  // once per process
        // numpy's min and max are NaN when a NaN is present: no range warning.
        (void)Image(at::tensor({kNaN, -5.0, 300.0}).reshape({1, 1, 3}));
        ok = ok && w.count(kRange) == 0;
        (void)Image(at::full({3, 2, 2}, 300.0));
        (void)Image(at::full({3, 2, 2}, -2.0));
        ok = ok && w.count(kRange) == 1;
        std::fprintf(stderr, "jpeg=%d range=%d ok=%d\n", w.count(kJpeg), w.count(kRange), ok);
        std::fflush(stderr);
        std::_Exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "jpeg=1 range=1 ok=1");
}

TEST(ImageWarnings, MaskOfAnotherSizeWarnsEveryTime) {
  WarningCapture w;
  const wandb::ImageMask mask(at::zeros({3, 3}, at::kLong));
  (void)Image(at::zeros({3, 4, 4}), {.masks = {{"seg", mask}}});
  (void)Image(at::zeros({3, 4, 4}), {.masks = {{"seg", mask}}});
  EXPECT_EQ(w.count("will not line up"), 2);
  (void)Image(at::zeros({3, 3, 3}), {.masks = {{"seg", mask}}});
  EXPECT_EQ(w.count("will not line up"), 2);
}

// Random colours, normalize=false so the bytes are exactly these.
std::vector<int> random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<int> v(n);
  for (int& x : v) x = static_cast<int>(rng() % 256);
  return v;
}

int luma(int r, int g, int b) { return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16; }

// C x H x W source, H x W x C' expected, per pixel: f(source channels) -> output channels.
void check_conversion(int from, const std::string& mode,
                      const std::function<std::vector<int>(const std::vector<int>&)>& f) {
  const int h = 3, w = 5;
  const std::vector<int> v = random_bytes(static_cast<size_t>(from * h * w), from * 31 + 1);
  const Image image(chw_u8(v, from, h, w), {.mode = mode, .normalize = false});
  EXPECT_EQ(image.mode(), mode);
  std::vector<uint8_t> want;
  for (int p = 0; p < h * w; ++p) {
    std::vector<int> px;
    for (int c = 0; c < from; ++c) px.push_back(v[static_cast<size_t>(c * h * w + p)]);
    for (int out : f(px)) want.push_back(static_cast<uint8_t>(out));
  }
  const int to = static_cast<int>(want.size()) / (h * w);
  EXPECT_EQ(image.channels(), to);
  EXPECT_TRUE(same_tensor(image.pixels(), hwc(want, h, w, to))) << from << " -> " << mode;
}

TEST(ImageMode, PillowConversions) {
  using P = std::vector<int>;
  check_conversion(3, "L", [](const P& p) { return P{luma(p[0], p[1], p[2])}; });
  check_conversion(4, "L", [](const P& p) { return P{luma(p[0], p[1], p[2])}; });
  check_conversion(1, "RGB", [](const P& p) { return P{p[0], p[0], p[0]}; });
  check_conversion(1, "RGBA", [](const P& p) { return P{p[0], p[0], p[0], 255}; });
  check_conversion(1, "LA", [](const P& p) { return P{p[0], 255}; });
  check_conversion(3, "RGBA", [](const P& p) { return P{p[0], p[1], p[2], 255}; });
  check_conversion(4, "RGB", [](const P& p) { return P{p[0], p[1], p[2]}; });
  check_conversion(4, "LA", [](const P& p) { return P{luma(p[0], p[1], p[2]), p[3]}; });
  check_conversion(2, "LA", [](const P& p) { return P{p[0], p[1]}; });
  check_conversion(2, "L", [](const P& p) { return P{p[0]}; });
  check_conversion(2, "RGBA", [](const P& p) { return P{p[0], p[0], p[0], p[1]}; });
  check_conversion(2, "RGB", [](const P& p) { return P{p[0], p[0], p[0]}; });
  check_conversion(3, "RGB", [](const P& p) { return p; });
  check_conversion(1, "L", [](const P& p) { return p; });
  check_conversion(3, "LA", [](const P& p) { return P{luma(p[0], p[1], p[2]), 255}; });
}

TEST(ImageMode, LumaFormulaValues) {
  // Pillow: pure red 76, green 150, blue 29; the rounding constant matters for 1.
  const at::Tensor t = chw_u8({255, 0, 0, 1, 0, 255, 0, 1, 0, 0, 255, 1}, 3, 1, 4);
  EXPECT_EQ(bytes_of(Image(t, {.mode = "L", .normalize = false}).pixels()),
            (std::vector<uint8_t>{76, 150, 29, 1}));
}

TEST(ImageMode, ModeAppliesToMats) {
  cv::Mat bgr(1, 1, CV_8UC3, cv::Scalar(30, 20, 10));  // R=10 G=20 B=30
  EXPECT_EQ(bytes_of(Image(bgr, {.mode = "L", .normalize = false}).pixels()),
            (std::vector<uint8_t>{static_cast<uint8_t>(luma(10, 20, 30))}));
  EXPECT_EQ(bytes_of(Image(cv::Mat(1, 1, CV_8UC1, cv::Scalar(9)), {.mode = "RGBA"}).pixels()),
            (std::vector<uint8_t>{9, 9, 9, 255}));
}

TEST(ImageMode, UnsupportedModes) {
  for (const char* mode : {"CMYK", "P", "", "rgb", "I;16", "1"}) {
    EXPECT_THROW_MSG(Image(at::zeros({3, 2, 2}), {.mode = mode}), wandb::ValueError,
                     "['L', 'LA', 'RGB', 'RGBA']");
  }
  EXPECT_THROW_MSG(Image(cv::Mat(2, 2, CV_8UC3), {.mode = "YCbCr"}), wandb::ValueError,
                   "got 'YCbCr'");
}

// ---- file types and encoding -----------------------------------------------------------

TEST(ImageFileType, FormatAndExtension) {
  const at::Tensor t = at::rand({3, 4, 5});
  struct Case {
    std::optional<std::string> file_type;
    const char* format;
    const char* extension;
  };
  for (const Case& c :
       {Case{std::nullopt, "png", ".png"}, Case{"png", "png", ".png"}, Case{"jpg", "jpg", ".jpg"},
        Case{"jpeg", "jpeg", ".jpeg"}, Case{"bmp", "bmp", ".bmp"}}) {
    const Image image(t, {.file_type = c.file_type});
    EXPECT_EQ(image.format(), c.format);
    EXPECT_EQ(image.extension(), c.extension);
    EXPECT_FALSE(image.is_file());
    EXPECT_FALSE(image.is_reference());
    EXPECT_EQ(image.source_path(), "");
    EXPECT_GT(image.size(), 0);
  }
}

TEST(ImageFileType, UnsupportedFileTypes) {
  for (const char* type : {"gif", "tiff", "webp", "", "PNG", ".png"}) {
    EXPECT_THROW_MSG(Image(at::rand({3, 4, 5}), {.file_type = type}), wandb::ValueError,
                     "file_type must be one of ['png', 'jpg', 'jpeg', 'bmp']");
  }
  EXPECT_THROW_MSG(Image(cv::Mat(2, 2, CV_8UC3), {.file_type = "gif"}), wandb::ValueError,
                   "file_type must be one of");
}

TEST(ImageFileType, EncoderRefusals) {
  const at::Tensor rgba = at::rand({4, 4, 5});
  EXPECT_THROW_MSG(Image(rgba, {.mode = "RGBA", .file_type = "jpg"}), wandb::ValueError,
                   "cannot write mode RGBA as JPEG");
  EXPECT_THROW_MSG(Image(rgba, {.mode = "RGBA", .file_type = "jpeg"}), wandb::ValueError,
                   "cannot write mode RGBA as JPEG");
  EXPECT_THROW_MSG(Image(rgba, {.mode = "LA", .file_type = "jpg"}), wandb::ValueError,
                   "cannot write mode LA as JPEG");
  EXPECT_THROW_MSG(Image(at::rand({2, 4, 5}), {.mode = "LA", .file_type = "bmp"}),
                   wandb::ValueError, "cannot write mode LA as BMP");
  EXPECT_NO_THROW(Image(rgba, {.mode = "RGBA", .file_type = "bmp"}).encoded());
  EXPECT_NO_THROW(Image(rgba, {.mode = "L", .file_type = "jpg"}).encoded());
}

TEST(ImageFileType, LosslessBytesDecodeToThePixels) {
  struct Case {
    const char* file_type;
    const char* mode;
    int channels;
  };
  for (const Case& c :
       {Case{"png", "L", 1}, Case{"png", "LA", 2}, Case{"png", "RGB", 3}, Case{"png", "RGBA", 4},
        Case{"bmp", "L", 1}, Case{"bmp", "RGB", 3}, Case{"bmp", "RGBA", 4}}) {
    const auto& [file_type, mode, channels] = c;
    SCOPED_TRACE(std::string(file_type) + " " + mode);
    at::manual_seed(3);
    const Image image(at::randint(0, 256, {channels, 7, 9}, at::kLong).to(at::kByte),
                      {.mode = mode, .file_type = file_type, .normalize = false});
    const at::Tensor decoded = decode_rgb(image.encoded());
    const at::Tensor px = image.pixels();
    ASSERT_EQ(decoded.size(0), 7);
    ASSERT_EQ(decoded.size(1), 9);
    if (channels == 2) {  // OpenCV expands grey+alpha PNGs to BGRA
      ASSERT_EQ(decoded.size(2), 4);
      for (int k = 0; k < 3; ++k) EXPECT_TRUE(same_tensor(decoded.select(2, k), px.select(2, 0)));
      EXPECT_TRUE(same_tensor(decoded.select(2, 3), px.select(2, 1)));
    } else if (std::string(file_type) == "bmp" && channels == 4) {
      // OpenCV reads a 32-bit BMP's colour only.
      EXPECT_TRUE(same_tensor(decoded.slice(2, 0, 3), px.slice(2, 0, 3)));
    } else {
      EXPECT_TRUE(same_tensor(decoded, px));
    }
  }
}

TEST(ImageFileType, JpegDecodesToTheRightSize) {
  for (const char* type : {"jpg", "jpeg"}) {
    const Image rgb(at::rand({3, 12, 17}), {.file_type = type});
    const std::vector<uint8_t>& bytes = rgb.encoded();
    ASSERT_GE(bytes.size(), 2u);
    EXPECT_EQ(bytes[0], 0xFF);
    EXPECT_EQ(bytes[1], 0xD8);
    const at::Tensor decoded = decode_rgb(bytes);
    EXPECT_EQ(decoded.sizes(), at::IntArrayRef({12, 17, 3}));
    const at::Tensor grey = decode_rgb(Image(at::rand({12, 17}), {.file_type = type}).encoded());
    EXPECT_EQ(grey.sizes(), at::IntArrayRef({12, 17, 1}));
  }
}

TEST(ImageFileType, EncoderSettings) {
  at::manual_seed(5);
  const at::Tensor noise = at::rand({3, 32, 32});
  const Image q10(noise, {.file_type = "jpg", .jpeg_quality = 10});
  const Image q100(noise, {.file_type = "jpg", .jpeg_quality = 100});
  EXPECT_LT(q10.size(), q100.size());
  const at::Tensor smooth = at::linspace(0, 1, 64 * 64).reshape({1, 64, 64});
  const Image fast(smooth, {.png_compression = 0});
  const Image small(smooth, {.png_compression = 9});
  EXPECT_GT(fast.size(), small.size());
  EXPECT_TRUE(same_tensor(decode_rgb(fast.encoded()), decode_rgb(small.encoded())));
  EXPECT_TRUE(same_tensor(decode_rgb(small.encoded()), small.pixels()));
}

TEST(ImageFileType, EncoderSettingRanges) {
  const at::Tensor t = at::rand({3, 2, 2});
  for (int level : {-1, 10}) {
    EXPECT_THROW_MSG(Image(t, {.png_compression = level}), wandb::ValueError, "png_compression");
  }
  for (int quality : {0, 101, -5}) {
    EXPECT_THROW_MSG(Image(t, {.file_type = "jpg", .jpeg_quality = quality}), wandb::ValueError,
                     "jpeg_quality");
  }
  EXPECT_NO_THROW(Image(t, {.png_compression = 0}));
  EXPECT_NO_THROW(Image(t, {.png_compression = 9}));
  EXPECT_NO_THROW(Image(t, {.file_type = "jpg", .jpeg_quality = 1}));
  EXPECT_NO_THROW(Image(t, {.file_type = "jpg", .jpeg_quality = 100}));
}

// ---- shapes, dtypes and other bad input -------------------------------------------------

TEST(ImageErrors, ZeroSizedDimensions) {
  for (std::vector<int64_t> shape :
       {std::vector<int64_t>{3, 0, 4}, {3, 4, 0}, {0, 4, 4}, {0, 5}, {5, 0}}) {
    EXPECT_THROW_MSG(Image(at::zeros(shape)), wandb::ValueError, "at least 1");
  }
  EXPECT_THROW_MSG(Image(cv::Mat()), wandb::ValueError, "non-empty");
  EXPECT_THROW_MSG(Image(cv::Mat(0, 4, CV_8UC3)), wandb::ValueError, "non-empty");
}

TEST(ImageErrors, MaxDimension) {
  EXPECT_EQ(Image::MAX_DIMENSION, 65500);
  EXPECT_THROW_MSG(Image(at::zeros({1, 1, 65501}, at::kByte)), wandb::ValueError, "at most 65500");
  EXPECT_THROW_MSG(Image(at::zeros({1, 65501, 1}, at::kByte)), wandb::ValueError, "at most 65500");
  EXPECT_THROW_MSG(Image(at::zeros({65501, 1}, at::kFloat)), wandb::ValueError, "at most 65500");
  EXPECT_THROW_MSG(Image(cv::Mat(1, 65501, CV_8UC1, cv::Scalar(0))), wandb::ValueError,
                   "at most 65500");
  const Image widest(at::zeros({1, 1, 65500}, at::kByte));
  EXPECT_EQ(widest.width(), 65500);
  EXPECT_EQ(decode_rgb(widest.encoded()).size(1), 65500);
}

TEST(ImageErrors, WrongRanks) {
  EXPECT_THROW_MSG(Image(at::zeros({5})), wandb::ValueError, "got 1 dimensions [5]");
  EXPECT_THROW_MSG(Image(at::zeros({1, 3, 4, 4})), wandb::ValueError,
                   "got 4 dimensions [1, 3, 4, 4]");
  EXPECT_THROW_MSG(Image(at::scalar_tensor(0.5)), wandb::ValueError, "got 0 dimensions");
  EXPECT_THROW_MSG(Image::guess_mode(at::zeros({1, 3, 4, 4})), wandb::ValueError, "4 dimensions");
  const int sizes[] = {2, 2, 2, 2};
  EXPECT_THROW_MSG(Image(cv::Mat(4, sizes, CV_8U, cv::Scalar(0))), wandb::ValueError,
                   "4 dimensions");
}

TEST(ImageErrors, UnsupportedDtypes) {
  EXPECT_THROW_MSG(Image(at::zeros({3, 2, 2}, at::kComplexFloat)), wandb::TypeError, "dtype");
  EXPECT_THROW_MSG(Image(at::zeros({3, 2, 2}, at::kComplexDouble)), wandb::TypeError, "dtype");
  const at::Tensor q = at::quantize_per_tensor(at::rand({3, 2, 2}), 0.1, 10, at::kQInt8);
  EXPECT_THROW_MSG(Image(q), wandb::TypeError, "dtype");
  EXPECT_THROW_MSG(Image::guess_mode(q), wandb::TypeError, "dtype");
}

TEST(ImageErrors, UndefinedAndSparseTensors) {
  EXPECT_THROW_MSG(Image(at::Tensor()), wandb::ValueError, "undefined");
  EXPECT_THROW_MSG(Image::guess_mode(at::Tensor()), wandb::ValueError, "undefined");
  EXPECT_THROW_MSG(Image(at::eye(3).unsqueeze(0).to_sparse()), wandb::TypeError, "sparse");
}

TEST(ImageErrors, EmptyPathAndDuplicateLayers) {
  EXPECT_THROW_MSG(Image(std::string()), wandb::ValueError, "empty string");
  const wandb::BoundingBoxes2D boxes(std::vector<wandb::Box>{});
  EXPECT_THROW_MSG(Image(at::zeros({3, 2, 2}), {.boxes = {{"a", boxes}, {"a", boxes}}}),
                   wandb::ValueError, "unique layer names");
  const wandb::ImageMask mask(at::zeros({2, 2}, at::kByte));
  EXPECT_THROW_MSG(Image(at::zeros({3, 2, 2}), {.masks = {{"m", mask}, {"m", mask}}}),
                   wandb::ValueError, "unique layer names");
  // The same name in boxes and in masks is fine.
  EXPECT_NO_THROW(Image(at::zeros({3, 2, 2}), {.boxes = {{"a", boxes}}, .masks = {{"a", mask}}}));
}

// ---- hashes and sizes ------------------------------------------------------------------

TEST(ImageHash, Sha256AndSizeOfEncodedBytes) {
  EXPECT_EQ(sha256_of("abc", 3),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  for (const char* type : {"png", "jpg", "bmp"}) {
    const Image image(at::rand({3, 8, 8}), {.file_type = type});
    const std::string sha = image.sha256();
    EXPECT_EQ(sha.size(), 64u);
    EXPECT_EQ(sha.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(sha, sha256_of(image.encoded()));
    EXPECT_EQ(image.size(), static_cast<int64_t>(image.encoded().size()));
  }
}

TEST(ImageHash, IdenticalPixelsGiveIdenticalHashes) {
  const at::Tensor t = at::rand({3, 8, 8});
  const Image a(t), b(t.clone());
  EXPECT_EQ(a.sha256(), b.sha256());
  EXPECT_EQ(a.encoded(), b.encoded());
  const Image copy = a;
  EXPECT_EQ(copy.sha256(), a.sha256());
  // A Mat holding the same pixels (B G R) hashes the same as the tensor.
  const at::Tensor u8 = at::randint(0, 256, {3, 4, 4}, at::kLong).to(at::kByte);
  const Image from_tensor(u8, {.normalize = false});
  EXPECT_EQ(Image(from_tensor.pixels_mat(), {.normalize = false}).sha256(), from_tensor.sha256());
  EXPECT_NE(Image(t + 0.5).sha256(), a.sha256());
  EXPECT_NE(Image(t, {.file_type = "bmp"}).sha256(), a.sha256());
}

TEST(ImageHash, LazyEncodingIsSharedAcrossCopiesAndThreads) {
  const Image image(at::rand({3, 64, 64}));
  std::vector<Image> copies(8, image);
  std::vector<std::string> hashes(copies.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < copies.size(); ++i) {
    threads.emplace_back([&, i] { hashes[i] = copies[i].sha256(); });
  }
  for (auto& t : threads) t.join();
  for (const auto& h : hashes) EXPECT_EQ(h, sha256_of(image.encoded()));
  EXPECT_EQ(&copies[3].encoded(), &image.encoded());  // encoded once, shared
}

// ---- files ---------------------------------------------------------------------------

TEST(ImageFile, HashedAsIsAndDecodedLazily) {
  struct Case {
    const char* name;
    int width, height;
    const char* mode;
    int channels;
  };
  for (const Case& c :
       {Case{"astronaut.png", 512, 512, "RGB", 3}, Case{"camera.png", 512, 512, "L", 1},
        Case{"chelsea.png", 451, 300, "RGB", 3}, Case{"coffee.png", 600, 400, "RGB", 3}}) {
    const fs::path path = example(c.name);
    const std::vector<uint8_t> bytes = file_bytes(path);
    const Image image(path.string());
    EXPECT_TRUE(image.is_file());
    EXPECT_FALSE(image.is_reference());
    EXPECT_EQ(image.source_path(), path.string());
    EXPECT_EQ(image.sha256(), sha256_of(bytes)) << c.name;
    EXPECT_EQ(image.size(), static_cast<int64_t>(fs::file_size(path)));
    EXPECT_EQ(image.encoded(), bytes);
    EXPECT_EQ(image.format(), "png");
    EXPECT_EQ(image.extension(), ".png");
    EXPECT_EQ(image.width(), c.width);
    EXPECT_EQ(image.height(), c.height);
    EXPECT_EQ(image.mode(), c.mode);
    EXPECT_EQ(image.channels(), c.channels);
    EXPECT_TRUE(same_tensor(image.pixels(), read_rgb(path))) << c.name;
  }
}

TEST(ImageFile, OptionsDoNotReencode) {
  const fs::path path = example("camera.png");
  const Image image(path.string(), {.mode = "RGB", .caption = "cam", .file_type = "jpg"});
  EXPECT_EQ(image.format(), "png");
  EXPECT_EQ(image.sha256(), sha256_of(file_bytes(path)));
  EXPECT_EQ(image.caption(), "cam");
}

TEST(ImageFile, FormatKeepsTheExtensionCase) {
  wandb::test::TempDir dir;
  const std::vector<uint8_t> bytes = file_bytes(example("astronaut.png"));
  struct Case {
    const char* name;
    const char* format;
  };
  for (const Case& c : {Case{"upper.PNG", "PNG"}, Case{"mixed.JpEg", "JpEg"},
                        Case{"two.dots.png", "png"}, Case{".hidden", ""}, Case{"noext", ""}}) {
    write_file(dir / c.name, bytes);
    const Image image((dir / c.name).string());
    EXPECT_EQ(image.format(), c.format) << c.name;
    EXPECT_EQ(image.extension(), std::string(c.format).empty() ? "" : "." + std::string(c.format));
    EXPECT_EQ(image.width(), 512);
    EXPECT_EQ(image.sha256(), sha256_of(bytes));
  }
}

TEST(ImageFile, JpegAndBmpFiles) {
  wandb::test::TempDir dir;
  const cv::Mat chelsea = cv::imread(example("chelsea.png").string(), cv::IMREAD_COLOR);
  ASSERT_TRUE(cv::imwrite((dir / "c.jpg").string(), chelsea));
  ASSERT_TRUE(cv::imwrite((dir / "c.bmp").string(), chelsea));
  const Image jpg((dir / "c.jpg").string());
  EXPECT_EQ(jpg.format(), "jpg");
  EXPECT_EQ(jpg.width(), 451);
  EXPECT_EQ(jpg.height(), 300);
  EXPECT_EQ(jpg.mode(), "RGB");
  EXPECT_EQ(jpg.pixels().sizes(), at::IntArrayRef({300, 451, 3}));
  const Image bmp((dir / "c.bmp").string());
  EXPECT_EQ(bmp.width(), 451);
  EXPECT_EQ(bmp.height(), 300);
  EXPECT_TRUE(same_tensor(bmp.pixels(), read_rgb(example("chelsea.png"))));
  EXPECT_EQ(bmp.sha256(), sha256_of(file_bytes(dir / "c.bmp")));
}

TEST(ImageFile, ErrorsReadingFiles) {
  wandb::test::TempDir dir;
  const std::string missing = (dir / "missing.png").string();
  EXPECT_THROW_MSG(Image(missing), wandb::IoError, "cannot open file");
  try {
    Image{missing};
  } catch (const wandb::IoError& e) {
    EXPECT_EQ(e.code(), ENOENT);
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos);
  }
  EXPECT_THROW_MSG(Image(dir.path().string()), wandb::IoError, "directory");

  std::mt19937 rng(9);
  std::vector<uint8_t> garbage(300);
  for (auto& b : garbage) b = static_cast<uint8_t>(rng());
  write_file(dir / "x.png", garbage);
  EXPECT_THROW_MSG(Image((dir / "x.png").string()), wandb::ValueError, "expected PNG, JPEG or BMP data");
  write_file(dir / "empty.png", {});
  EXPECT_THROW_MSG(Image((dir / "empty.png").string()), wandb::ValueError, "got no bytes");
}

TEST(ImageFile, TruncatedFileIsRefusedWhenTheImageIsMade) {
  // The header alone would give a size (512 x 512); the file is decoded once
  // when the Image is made, so a file W&B could not show is never logged.
  wandb::test::TempDir dir;
  std::vector<uint8_t> bytes = file_bytes(example("astronaut.png"));
  bytes.resize(200);
  write_file(dir / "cut.png", bytes);
  EXPECT_THROW_MSG(Image((dir / "cut.png").string()), wandb::ValueError, "truncated or corrupt");
}

TEST(ImageFile, EqualToTheSamePixelsFromATensor) {
  const fs::path path = example("astronaut.png");
  const Image file(path.string(), {.caption = "a"});
  const at::Tensor chw = read_rgb(path).permute({2, 0, 1});
  EXPECT_TRUE(file == Image(chw, {.caption = "a", .normalize = false}));
  EXPECT_FALSE(file == Image(chw, {.caption = "b", .normalize = false}));
}

// ---- references ----------------------------------------------------------------------

TEST(ImageReference, UrlsAreNotRead) {
  const std::string url = "s3://bucket/path/img.PNG?x=1";
  const Image image(url);
  EXPECT_TRUE(image.is_reference());
  EXPECT_FALSE(image.is_file());
  EXPECT_EQ(image.format(), "PNG");
  EXPECT_EQ(image.source_path(), url);
  EXPECT_EQ(image.sha256(), sha256_of(url.data(), url.size()));
  EXPECT_EQ(image.sha256(), "84c5b28350f83c2fdd35705a128c769c4aa0bd79be66caaf1d28f4d86b9e6eae");
  EXPECT_EQ(image.width(), 0);
  EXPECT_EQ(image.height(), 0);
  EXPECT_THROW_MSG(image.size(), wandb::ValueError, "reference");
  EXPECT_THROW_MSG(image.encoded(), wandb::ValueError, "reference");
  EXPECT_THROW_MSG(image.pixels(), wandb::ValueError, "reference");
  EXPECT_THROW_MSG(image.pixels_mat(), wandb::ValueError, "reference");
  EXPECT_THROW_MSG(image.channels(), wandb::ValueError, "reference");
}

TEST(ImageReference, Schemes) {
  struct Case {
    const char* url;
    const char* format;
  };
  for (const Case& c :
       {Case{"gs://b/a/x.jpg", "jpg"}, Case{"http://host/x.png", "png"},
        Case{"https://host/dir/y.jpeg#frag", "jpeg"}, Case{"https://host/dir.v2/y?f=a.png", "y"},
        Case{"s3://bucket/a.tar.gz", "gz"}}) {
    const Image image(c.url, {.caption = "ref"});
    EXPECT_TRUE(image.is_reference()) << c.url;
    EXPECT_EQ(image.format(), c.format) << c.url;
    EXPECT_EQ(image.caption(), "ref");
    EXPECT_EQ(image.sha256(), sha256_of(c.url, std::strlen(c.url)));
  }
  // Not references: read as (missing) files.
  for (const char* path : {"ftp://host/x.png", "S3://bucket/x.png", "/tmp/s3://x.png"}) {
    EXPECT_THROW_MSG(Image{path}, wandb::IoError, "cannot open file") << path;
  }
}

TEST(ImageReference, EqualityComparesUrls) {
  const Image a("s3://bucket/a.png", {.caption = "one"});
  EXPECT_TRUE(a == Image("s3://bucket/a.png", {.caption = "two"}));
  EXPECT_TRUE(a != Image("s3://bucket/b.png", {.caption = "one"}));
  EXPECT_TRUE(a != Image(example("astronaut.png").string()));
  EXPECT_TRUE(Image(example("astronaut.png").string()) != a);
}

// ---- encoded bytes ---------------------------------------------------------------------

TEST(ImageEncoded, FromPngBytes) {
  const std::vector<uint8_t> bytes = file_bytes(example("coffee.png"));
  const Image image = Image::from_encoded(bytes, "png", {.caption = "c"});
  EXPECT_EQ(image.width(), 600);
  EXPECT_EQ(image.height(), 400);
  EXPECT_EQ(image.format(), "png");
  EXPECT_EQ(image.mode(), "RGB");
  EXPECT_EQ(image.sha256(), sha256_of(bytes));
  EXPECT_EQ(image.size(), static_cast<int64_t>(bytes.size()));
  EXPECT_EQ(image.encoded(), bytes);
  EXPECT_EQ(image.caption(), "c");
  EXPECT_FALSE(image.is_file());
  EXPECT_FALSE(image.is_reference());
  EXPECT_TRUE(same_tensor(image.pixels(), decode_rgb(bytes)));
}

TEST(ImageEncoded, FromJpegAndBmpBytes) {
  cv::Mat m(13, 21, CV_8UC3);
  cv::randu(m, 0, 256);
  std::vector<uint8_t> jpg, bmp;
  ASSERT_TRUE(cv::imencode(".jpg", m, jpg));
  ASSERT_TRUE(cv::imencode(".bmp", m, bmp));
  const Image j = Image::from_encoded(jpg, "jpg");
  EXPECT_EQ(j.width(), 21);
  EXPECT_EQ(j.height(), 13);
  EXPECT_EQ(j.mode(), "RGB");
  EXPECT_EQ(j.sha256(), sha256_of(jpg));
  const Image b = Image::from_encoded(bmp, "BMP");
  EXPECT_EQ(b.format(), "BMP");
  EXPECT_EQ(b.width(), 21);
  EXPECT_EQ(b.height(), 13);
  EXPECT_EQ(cv::norm(b.pixels_mat(), m, cv::NORM_INF), 0);
}

TEST(ImageEncoded, BadInput) {
  const std::vector<uint8_t> png = file_bytes(example("camera.png"));
  for (const char* format : {"", ".png", "png/x", "a b", "png\n"}) {
    EXPECT_THROW_MSG(Image::from_encoded(png, format), wandb::ValueError, "format") << format;
  }
  EXPECT_THROW_MSG(Image::from_encoded({1, 2, 3, 4, 5, 6, 7, 8, 9}, "png"), wandb::ValueError,
                   "expected PNG, JPEG or BMP data");
  EXPECT_THROW_MSG(Image::from_encoded({}, "png"), wandb::ValueError, "got no bytes");
}

// ---- copies with overrides -----------------------------------------------------------------

wandb::BoundingBoxes2D one_box(int64_t id, const std::string& name) {
  wandb::Box box{.position = wandb::BoxCorners{0.1, 0.1, 0.5, 0.5}, .class_id = id};
  return wandb::BoundingBoxes2D({box}, wandb::ClassLabels{{id, name}});
}

TEST(ImageCopy, KeepsDataAndMeta) {
  const wandb::Classes classes{{1, "cat"}, {2, "dog"}};
  const Image base(at::rand({3, 6, 7}),
                   {.caption = "base", .grouping = 4, .classes = classes, .file_type = "bmp"});
  const Image copy(base, {});
  EXPECT_EQ(copy.sha256(), base.sha256());
  EXPECT_EQ(copy.format(), "bmp");
  EXPECT_EQ(copy.mode(), "RGB");
  EXPECT_EQ(copy.width(), 7);
  EXPECT_EQ(copy.height(), 6);
  EXPECT_EQ(copy.caption(), "base");
  EXPECT_EQ(copy.grouping(), 4);
  EXPECT_EQ(copy.classes(), classes);
  EXPECT_TRUE(same_tensor(copy.pixels(), base.pixels()));
  EXPECT_TRUE(copy == base);

  const Image file_copy(Image(example("camera.png").string()), {.caption = "cam"});
  EXPECT_TRUE(file_copy.is_file());
  EXPECT_EQ(file_copy.sha256(), sha256_of(file_bytes(example("camera.png"))));
  EXPECT_EQ(file_copy.caption(), "cam");
  EXPECT_TRUE(Image(Image("gs://b/x.png"), {}).is_reference());
}

TEST(ImageCopy, AppliesOverrides) {
  const Image base(at::rand({3, 6, 7}),
                   {.caption = "base", .grouping = 4, .classes = wandb::Classes{{1, "cat"}}});
  const Image renamed(base, {.caption = "new", .grouping = 9});
  EXPECT_EQ(renamed.caption(), "new");  // the SDK ignored it: we apply it
  EXPECT_EQ(renamed.grouping(), 9);
  EXPECT_EQ(renamed.sha256(), base.sha256());
  EXPECT_FALSE(renamed == base);
  const Image reclassed(base, {.classes = wandb::Classes{{2, "dog"}}});
  EXPECT_EQ(reclassed.classes(), (wandb::Classes{{2, "dog"}}));  // replaced, not merged
  EXPECT_EQ(reclassed.caption(), "base");
}

TEST(ImageCopy, BoxesAndMasksComeOnlyFromOverrides) {
  const wandb::ImageMask mask(at::ones({6, 7}, at::kByte));
  const Image base(at::rand({3, 6, 7}),
                   {.boxes = {{"pred", one_box(1, "cat")}}, .masks = {{"seg", mask}}});
  ASSERT_EQ(base.boxes().size(), 1u);
  ASSERT_EQ(base.masks().size(), 1u);
  const Image plain(base, {});
  EXPECT_TRUE(plain.boxes().empty());
  EXPECT_TRUE(plain.masks().empty());
  EXPECT_EQ(plain.classes(), base.classes());  // classes are kept
  const Image with_boxes(base, {.boxes = {{"truth", one_box(3, "car")}}});
  ASSERT_EQ(with_boxes.boxes().size(), 1u);
  EXPECT_EQ(with_boxes.boxes()[0].first, "truth");
  EXPECT_TRUE(with_boxes.masks().empty());
  EXPECT_EQ(with_boxes.classes(), (wandb::Classes{{3, "car"}}));
}

// ---- equality ----------------------------------------------------------------------------

TEST(ImageEquality, ComparesSdkFields) {
  const at::Tensor t = at::rand({3, 4, 5});
  const ImageOptions opts{.caption = "c", .grouping = 2, .classes = wandb::Classes{{1, "a"}}};
  const Image a(t, opts);
  EXPECT_TRUE(a == Image(t.clone(), opts));
  EXPECT_TRUE(a == Image(t, {.caption = "c",
                             .grouping = 2,
                             .classes = wandb::Classes{{1, "a"}},
                             .file_type = "bmp"}));  // the format is not compared
  EXPECT_TRUE(a != Image(t, {.caption = "d", .grouping = 2, .classes = opts.classes}));
  EXPECT_TRUE(a != Image(t, {.caption = "c", .grouping = 3, .classes = opts.classes}));
  EXPECT_TRUE(a != Image(t, {.caption = "c", .grouping = 2}));
  EXPECT_TRUE(a != Image(t, {.caption = "c", .grouping = 2, .classes = wandb::Classes{{1, "b"}}}));
  EXPECT_TRUE(a != Image(t + 0.01, opts));
  EXPECT_TRUE(a != Image(t.slice(2, 0, 4), opts));  // width
  EXPECT_TRUE(a != Image(t.slice(1, 0, 3), opts));  // height
  ImageOptions rgba = opts;
  rgba.mode = "RGBA";
  EXPECT_TRUE(a != Image(t, rgba));  // channels
  EXPECT_TRUE(Image(t) == Image(t));
  EXPECT_FALSE(Image(t) != Image(t));
}

// ---- classes -------------------------------------------------------------------------------

TEST(ImageClasses, UnionOfBoxesMasksAndClasses) {
  using wandb::ClassLabels;
  const wandb::BoundingBoxes2D pred(
      std::vector<wandb::Box>{{.position = wandb::BoxCorners{0, 0, 1, 1}, .class_id = 7}},
      ClassLabels{{7, "seven"}, {1, "one"}});
  const wandb::BoundingBoxes2D truth(
      std::vector<wandb::Box>{{.position = wandb::BoxCorners{0, 0, 1, 1}, .class_id = 2}},
      std::nullopt);  // default labels: {2: "class_2"}
  const wandb::ImageMask mask(at::zeros({4, 5}, at::kByte),
                              ClassLabels{{3, "three"}, {7, "SEVEN"}});
  const Image image(at::rand({3, 4, 5}), {.classes = wandb::Classes{{1, "ONE"}, {9, "nine"}},
                                          .boxes = {{"pred", pred}, {"truth", truth}},
                                          .masks = {{"seg", mask}}});
  ASSERT_TRUE(image.classes().has_value());
  const std::vector<wandb::ClassInfo> want = {
      {7, "SEVEN"}, {1, "ONE"}, {2, "class_2"}, {3, "three"}, {9, "nine"}};
  EXPECT_EQ(image.classes()->items(), want);
  EXPECT_FALSE(Image(at::rand({3, 4, 5})).classes().has_value());
  const Image only_mask(at::rand({3, 4, 5}),
                        {.masks = {{"seg", wandb::ImageMask(at::full({4, 5}, 4, at::kByte))}}});
  EXPECT_EQ(only_mask.classes()->items(), (std::vector<wandb::ClassInfo>{{4, "class_4"}}));
  EXPECT_EQ(image.boxes()[1].first, "truth");
  EXPECT_EQ(image.masks()[0].first, "seg");
}

}  // namespace
