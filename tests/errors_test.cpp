// The boundary of every public call: what OpenCV, LibTorch, nlohmann and the
// standard library throw leaves as a wandb::Error subclass, with the cause in
// the message; a warning handler's own exception leaves unchanged.
#include <sys/resource.h>
#include <zlib.h>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <opencv2/core.hpp>
#include <system_error>

#include "detail/guard.h"
#include "test_support.h"
#include "wandb/boxes.h"
#include "wandb/classes.h"
#include "wandb/errors.h"
#include "wandb/image.h"
#include "wandb/masks.h"
#include "wandb/warnings.h"

using wandb::Image;
using wandb::Json;
using wandb::test::expect_error;

namespace {

// Throws `thrown` inside a try and hands it to rethrow_as_error("call").
template <class T>
void convert(T thrown) {
  try {
    throw thrown;
  } catch (...) {
    wandb::detail::rethrow_as_error("call");
  }
}

// The same for whatever `f` throws.
template <class F>
void convert_from(F f) {
  try {
    f();
  } catch (...) {
    wandb::detail::rethrow_as_error("call");
  }
}

struct UserError {
  int value;
};

// A PNG of `width` x `height` RGBA pixels whose header is valid (CRCs included)
// and whose data is cut short: decoding allocates the pixels, then finds nothing.
[[maybe_unused]] std::vector<uint8_t> png_header_only(uint32_t width, uint32_t height) {
  std::vector<uint8_t> out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  auto put32 = [&](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
  };
  put32(13);
  const size_t type_at = out.size();
  for (char c : std::string("IHDR")) out.push_back(static_cast<uint8_t>(c));
  put32(width);
  put32(height);
  for (uint8_t b : {8, 6, 0, 0, 0}) out.push_back(b);  // 8 bits, RGBA, deflate, no filter, no interlace
  put32(static_cast<uint32_t>(crc32(0, out.data() + type_at, static_cast<uInt>(out.size() - type_at))));
  // The start of an IDAT chunk (a zlib header only): the header is read whole.
  put32(2);
  const size_t idat_at = out.size();
  for (int b : {0x49, 0x44, 0x41, 0x54, 0x78, 0x9c}) out.push_back(static_cast<uint8_t>(b));  // "IDAT", zlib header
  put32(static_cast<uint32_t>(crc32(0, out.data() + idat_at, static_cast<uInt>(out.size() - idat_at))));
  return out;
}

// Limits this (death-test child) process's address space to what it maps now
// plus `extra` bytes: a later allocation larger than that fails.
[[maybe_unused]] void limit_address_space(size_t extra) {
  std::ifstream status("/proc/self/status");
  std::string key;
  size_t kib = 0;
  while (status >> key) {
    if (key == "VmSize:") {
      status >> kib;
      break;
    }
  }
  struct rlimit limit {};
  limit.rlim_cur = limit.rlim_max = kib * 1024 + extra;
  if (kib == 0 || setrlimit(RLIMIT_AS, &limit) != 0) std::_Exit(3);
}

}  // namespace

TEST(PublicCallErrors, EachForeignExceptionBecomesItsWandbError) {
  expect_error<wandb::MemoryError>([] { convert(std::bad_alloc()); },
                                   "call: expected enough memory for the input, got an allocation failure");
  expect_error<wandb::MemoryError>(
      [] { convert(cv::Exception(cv::Error::StsNoMem, "Failed to allocate 9 bytes", "f", "file", 1)); },
      "call: expected enough memory for the input, got OpenCV: Failed to allocate 9 bytes");
  expect_error<wandb::ValueError>(
      [] { convert(cv::Exception(cv::Error::StsBadArg, "bad size", "f", "file", 1)); },
      "call: expected data OpenCV can process, got OpenCV error: bad size");
  expect_error<wandb::ValueError>(
      [] { convert_from([] { TORCH_CHECK(false, "shape is wrong"); }); },
      "call: expected a tensor LibTorch can read, got LibTorch error: shape is wrong");
  expect_error<wandb::MemoryError>(
      [] { convert_from([] { TORCH_CHECK(false, "DefaultCPUAllocator: can't allocate memory: you tried to allocate 9 bytes"); }); },
      "call: expected enough memory for the input, got LibTorch: DefaultCPUAllocator");
  expect_error<wandb::TypeError>(
      [] { convert_from([] { (void)Json(1).get<std::string>(); }); },
      "call: expected JSON of the documented types, got [json.exception.type_error.302]");
  expect_error<wandb::ValueError>(
      [] { convert_from([] { const Json parsed = Json::parse("{"); (void)parsed; }); },
      "call: expected valid JSON, got [json.exception.parse_error.101]");
  expect_error<wandb::MemoryError>([] { convert(std::length_error("vector::reserve")); },
                                   "call: expected an input of a size this machine can hold, got vector::reserve");
  expect_error<wandb::ValueError>([] { convert(std::out_of_range("map::at")); },
                                  "call: expected a valid argument, got map::at");
  expect_error<wandb::Error>([] { convert(std::runtime_error("odd")); }, "call: expected success, got odd");
  expect_error<wandb::Error>([] { convert(42); }, "call: expected success, got an unknown exception");
  try {
    convert(std::system_error(std::make_error_code(std::errc::no_space_on_device), "write"));
    FAIL() << "expected IoError";
  } catch (const wandb::IoError& e) {
    EXPECT_EQ(e.code(), ENOSPC);
    EXPECT_NE(std::string(e.what()).find("call: expected a successful system call, got write"),
              std::string::npos)
        << e.what();
  }
}

TEST(PublicCallErrors, WandbErrorsAndHandlerExceptionsPassUnchanged) {
  try {
    convert(wandb::IoError("cannot write file x: No space left on device", ENOSPC));
    FAIL() << "expected IoError";
  } catch (const wandb::IoError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write file x: No space left on device");
    EXPECT_EQ(e.code(), ENOSPC);
  }
  // What a user's handler throws is the user's: not converted, whatever its type.
  wandb::set_warning_handler([](const std::string&) { throw UserError{7}; });
  try {
    wandb::warn("anything");
    ADD_FAILURE() << "expected the handler's exception";
  } catch (const UserError& e) {
    EXPECT_EQ(e.value, 7);
  }
  wandb::set_warning_handler([](const std::string& m) { throw std::out_of_range("handler: " + m); });
  try {
    wandb::warn_once("a warning seen once per process, in this test only");
    ADD_FAILURE() << "expected the handler's exception";
  } catch (const std::out_of_range& e) {
    EXPECT_EQ(std::string(e.what()), "handler: a warning seen once per process, in this test only");
  }
  // The same through a call that warns on its own (a mask larger than its image).
  try {
    Image img(at::zeros({3, 2, 2}), {.masks = {{"m", wandb::ImageMask(at::zeros({4, 4}, at::kByte))}}});
    ADD_FAILURE() << "expected the handler's exception";
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("handler: mask \"m\""), std::string::npos) << e.what();
  }
  wandb::set_warning_handler(nullptr);
}

TEST(PublicCallErrors, JsonWithInvalidUtf8InMessagesIsATypedError) {
  // nlohmann's strict dump() throws type_error 316 for these strings; the
  // messages that quote a bad value now escape it instead.
  const std::string bad = "\xff\xfe";
  expect_error<wandb::Error>([&] { wandb::ImageMask m(Json{{"mask_data", {{bad}}}}); }, "");
  expect_error<wandb::Error>(
      [&] {
        wandb::BoundingBoxes2D b(Json{{"box_data", {{{"position", {{"minX", 0}, {"maxX", 1}, {"minY", 0}, {"maxY", 1}}},
                                                      {"class_id", bad}}}}});
      },
      "");
  expect_error<wandb::Error>([&] { wandb::Classes::from_json(Json::array({{{"id", bad}}})); }, "");
  expect_error<wandb::TypeError>([&] { wandb::ImageMask m(Json{{"mask_data", {{"text"}}}}); },
                                 "got \"text\"");
}

// Allocation failures: the decoder's buffer for a header declaring 13000 x 13000
// RGBA pixels (676 MB, within the decompression-bomb limit), and the pixel copy
// of a 3 x 30000 x 30000 tensor that takes 3 bytes of memory (an expanded
// view), under an address-space limit of 256 MiB more than the process maps.
// Death tests: the limit stays in the child.
TEST(PublicCallErrors, AllocationFailuresAreMemoryErrors) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizers reserve address space, so RLIMIT_AS cannot be used";
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::vector<uint8_t> png = png_header_only(13000, 13000);
  // Without a limit the same bytes are a truncated PNG.
  expect_error<wandb::ValueError>([&] { Image::from_encoded(png, "png"); }, "truncated or corrupt");
  EXPECT_EXIT(
      {
        limit_address_space(size_t{256} << 20);
        try {
          Image::from_encoded(png, "png");
        } catch (const wandb::MemoryError& e) {
          std::_Exit(std::string(e.what()).find("expected memory for 13000 x 13000 pixels") ==
                             std::string::npos
                         ? 2
                         : 0);
        } catch (...) {
          std::_Exit(1);
        }
        std::_Exit(1);
      },
      ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(
      {
        const at::Tensor view = at::zeros({3, 1, 1}, at::kByte).expand({3, 30000, 30000});
        limit_address_space(size_t{256} << 20);
        try {
          Image img(view);
        } catch (const wandb::MemoryError&) {
          std::_Exit(0);
        } catch (...) {
          std::_Exit(1);
        }
        std::_Exit(1);
      },
      ::testing::ExitedWithCode(0), "");
#endif
}
