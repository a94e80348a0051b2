// Every case of tests/data/pixels.json (produced by the Python SDK) must give
// bit-identical log-ready pixels, or throw where the SDK raised.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "golden_support.h"
#include "test_support.h"
#include "wandb/errors.h"
#include "wandb/image.h"

namespace {

using nlohmann::json;

const json& golden_cases() {
  static const json cases = wandb::test::load_json("pixels.json")["cases"];
  return cases;
}

std::vector<std::string> case_ids() {
  std::vector<std::string> ids;
  for (const auto& c : golden_cases()) ids.push_back(c["id"].get<std::string>());
  return ids;
}

const json& find_case(const std::string& id) {
  for (const auto& c : golden_cases()) {
    if (c["id"] == id) return c;
  }
  throw std::runtime_error("no golden case " + id);
}

std::vector<int64_t> shape_of(const json& input) { return input["shape"].get<std::vector<int64_t>>(); }

at::Tensor make_tensor(const json& input) {
  return wandb::test::make_tensor(input["data"].get<std::vector<double>>(), shape_of(input),
                                  wandb::test::torch_dtype(input["dtype"]));
}

cv::Mat make_mat(const json& input) {
  return wandb::test::numpy_to_mat(input["data"].get<std::vector<double>>(), shape_of(input),
                                   input["dtype"]);
}

wandb::ImageOptions options_of(const json& args) {
  wandb::ImageOptions o;
  if (!args["mode"].is_null()) o.mode = args["mode"].get<std::string>();
  if (args.contains("file_type") && !args["file_type"].is_null()) {
    o.file_type = args["file_type"].get<std::string>();
  }
  o.normalize = args.value("normalize", true);
  return o;
}

wandb::Image make_image(const json& c) {
  const json& input = c["input"];
  if (input["source"] == "torch") return wandb::Image(make_tensor(input), options_of(c["args"]));
  return wandb::Image(make_mat(input), options_of(c["args"]));
}

class GoldenPixels : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenPixels, MatchesSdk) {
  const json& c = find_case(GetParam());
  const json& expect = c["expect"];
  if (expect.contains("error")) {
    EXPECT_THROW(make_image(c), wandb::Error) << expect["message"];
    return;
  }
  const wandb::Image image = make_image(c);
  EXPECT_EQ(image.mode(), expect["mode"].get<std::string>());
  EXPECT_EQ(image.width(), expect["width"].get<int>());
  EXPECT_EQ(image.height(), expect["height"].get<int>());
  EXPECT_EQ(image.format(), expect["format"].get<std::string>());
  if (expect.contains("pixels")) {
    const at::Tensor px = image.pixels();
    const std::vector<int> want = expect["pixels"].get<std::vector<int>>();
    ASSERT_EQ(static_cast<size_t>(px.numel()), want.size());
    const uint8_t* got = px.data_ptr<uint8_t>();
    size_t mismatches = 0, first = want.size();
    for (size_t i = 0; i < want.size(); ++i) {
      if (got[i] != want[i]) {
        if (!mismatches) first = i;
        ++mismatches;
      }
    }
    EXPECT_EQ(mismatches, 0u) << "first mismatch at " << first << ": got "
                              << (first < want.size() ? int(got[first]) : -1) << ", want "
                              << (first < want.size() ? want[first] : -1);
  }
  // The file must also encode (and decode back to the same pixels when lossless).
  EXPECT_GT(image.size(), 0);
}

INSTANTIATE_TEST_SUITE_P(Sdk, GoldenPixels, ::testing::ValuesIn(case_ids()),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

// ctest runs each case in its own process; this one checks them all again in one
// process and prints the count.
TEST(GoldenPixelsSummary, AllCasesPass) {
  int passed = 0, total = 0;
  for (const auto& c : golden_cases()) {
    ++total;
    try {
      const json& expect = c["expect"];
      if (expect.contains("error")) {
        try {
          make_image(c);
        } catch (const wandb::Error&) {
          ++passed;
        }
        continue;
      }
      const wandb::Image image = make_image(c);
      // Compared as C++ values: `std::string == json` does not compile with GCC 13+
      // in C++20 mode (nlohmann 3.11's comparison operators become ambiguous).
      bool ok = image.mode() == expect["mode"].get<std::string>() &&
                image.width() == expect["width"].get<int>() &&
                image.height() == expect["height"].get<int>() &&
                image.format() == expect["format"].get<std::string>();
      if (ok && expect.contains("pixels")) {
        const at::Tensor px = image.pixels();
        const std::vector<int> want = expect["pixels"].get<std::vector<int>>();
        ok = static_cast<size_t>(px.numel()) == want.size() &&
             std::equal(want.begin(), want.end(), px.data_ptr<uint8_t>());
      }
      if (ok) ++passed;
    } catch (const std::exception&) {
    }
  }
  std::cout << "golden pixels: " << passed << "/" << total << " SDK cases passed\n";
  EXPECT_EQ(passed, total);
  EXPECT_GT(total, 0);
}

}  // namespace
