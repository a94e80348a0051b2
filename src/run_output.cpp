#include "detail/run_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "wandb/errors.h"

namespace fs = std::filesystem;

namespace wandb::detail {
namespace {

void write_all(int fd, const std::string& data, const fs::path& path) {
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int code = n < 0 ? errno : ENOSPC;
      throw IoError("cannot write file " + path.string() + ": " + std::strerror(code), code);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

// config.yaml as the SDK lays it out; values are JSON, which YAML 1.2 reads.
std::string config_yaml(const Json& config) {
  std::string out = "wandb_version: 1\n";
  for (auto it = config.begin(); it != config.end(); ++it) {
    out.append("\n").append(dumps_python(Json(it.key())));
    out.append(":\n  desc: null\n  value: ").append(dumps_python(it.value())).append("\n");
  }
  return out;
}

}  // namespace

struct RunOutput::Impl {
  fs::path files;
  fs::path history_path;
  int history_fd = -1;
};

RunOutput::RunOutput(const Run::Impl& run) : impl_(std::make_unique<Impl>()) {
  impl_->files = run.files;
  impl_->history_path = run.files / "wandb-history.jsonl";
  impl_->history_fd =
      ::open(impl_->history_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (impl_->history_fd < 0) {
    const int code = errno;
    throw IoError("cannot open file " + impl_->history_path.string() + ": " + std::strerror(code),
                  code);
  }
}

RunOutput::~RunOutput() {
  if (impl_ && impl_->history_fd >= 0) ::close(impl_->history_fd);
}

void RunOutput::start(const Json& config) { this->config(config); }

void RunOutput::config(const Json& config) {
  const std::string text = config_yaml(config);
  write_file_atomic(impl_->files / "config.yaml", text.data(), text.size());
}

void RunOutput::history(int64_t, const Json& row, const std::vector<std::string>&) {
  // One write per line, so a killed process leaves whole lines only.
  write_all(impl_->history_fd, dumps_python(row) + "\n", impl_->history_path);
}

void RunOutput::summary(const Json& summary) {
  const std::string text = dumps_python(summary);
  write_file_atomic(impl_->files / "wandb-summary.json", text.data(), text.size());
}

void RunOutput::finish(const Json* config, const Json& summary, const std::vector<std::string>&,
                       int, double) {
  if (config) this->config(*config);
  this->summary(summary);
  if (::fsync(impl_->history_fd) != 0) {
    const int code = errno;
    throw IoError("cannot sync file " + impl_->history_path.string() + ": " + std::strerror(code),
                  code);
  }
}

}  // namespace wandb::detail
