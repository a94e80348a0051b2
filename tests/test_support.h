// Helpers shared by the test files.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <functional>
#include <limits>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "wandb/warnings.h"

namespace wandb::test {

inline std::filesystem::path data_dir() { return WANDB_TEST_DATA_DIR; }

inline nlohmann::json load_json(const std::string& name) {
  std::ifstream in(data_dir() / name);
  if (!in) throw std::runtime_error("cannot open test data " + name);
  return nlohmann::json::parse(in);
}

/// A fresh directory under the system temp folder, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("wandb-image-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

/// The whole file's bytes.
inline std::vector<uint8_t> file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

/// The whole file as a string of bytes.
inline std::string file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Passes when `f` throws an E (or a subclass) whose what() contains `fragment`.
template <class E, class F>
::testing::AssertionResult throws_with(F&& f, const std::string& fragment) {
  try {
    f();
  } catch (const E& e) {
    if (std::string(e.what()).find(fragment) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "message \"" << e.what() << "\" does not contain \"" << fragment << "\"";
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw another exception type: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

/// The same as a statement: expect_error<wandb::ValueError>([&] { ... }, "fragment").
template <class E, class F>
void expect_error(F&& f, const std::string& fragment) {
  EXPECT_TRUE(throws_with<E>(std::forward<F>(f), fragment));
}

/// Hex SHA-256 computed here with OpenSSL, independently of the library.
inline std::string sha256_of(const void* data, size_t size) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data, size, digest, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest failed");
  }
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}
inline std::string sha256_of(const std::vector<uint8_t>& b) { return sha256_of(b.data(), b.size()); }

/// Collects the library's warnings for its lifetime.
struct Warnings {
  std::vector<std::string> seen;
  std::mutex mu;
  Warnings() {
    wandb::set_warning_handler([this](const std::string& m) {
      std::lock_guard<std::mutex> lock(mu);
      seen.push_back(m);
    });
  }
  ~Warnings() { wandb::set_warning_handler(nullptr); }
  int count(const std::string& fragment) {
    std::lock_guard<std::mutex> lock(mu);
    int n = 0;
    for (const auto& s : seen) n += s.find(fragment) != std::string::npos;
    return n;
  }
  bool contains(const std::string& fragment) { return count(fragment) > 0; }
};

}  // namespace wandb::test

#define EXPECT_THROW_MSG(statement, type, fragment) \
  EXPECT_TRUE(::wandb::test::throws_with<type>([&] { (void)(statement); }, fragment))
