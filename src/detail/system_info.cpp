// Machine facts and system samples read by hand from /proc and /sys: the
// formats are stable kernel ABI, a handful of fields is needed, and a library
// (libproc2, libstatgrab) would add a run-time dependency for every user while
// still not giving the SDK's exact definitions (which interfaces and disks
// count, MemAvailable-based use).
#include "detail/system_info.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <pwd.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <string_view>
#include <system_error>
#include <utility>

#include "wandb/errors.h"

namespace wandb::detail {
namespace {

namespace fs = std::filesystem;

// /proc/net/dev of a router with thousands of interfaces is well under this;
// the cap only stops a fake or odd file from being read forever.
constexpr std::size_t kMaxReadBytes = std::size_t{16} << 20;

/// The whole file, or nothing: missing, not a regular file (procfs files are
/// regular), unreadable or larger than kMaxReadBytes. O_NONBLOCK so that a FIFO
/// planted in a fake tree cannot block the sampler.
std::optional<std::string> read_text(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::nullopt;
  }
  std::string out;
  char buffer[8192];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || out.size() + static_cast<std::size_t>(n) > kMaxReadBytes) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    std::size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

std::optional<double> parse_double(std::string_view s) {
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

double clamp_percent(double p) { return std::clamp(p, 0.0, 100.0); }

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// ---------------------------------------------------------------------------
// File formats

/// "Key:   123 kB" lines (meminfo, self/status): the value of `key` in bytes
/// when it has a kB unit, else as written.
std::optional<std::uint64_t> colon_field(std::string_view text, std::string_view key) {
  for (std::string_view line : split_lines(text)) {
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || trim(line.substr(0, colon)) != key) continue;
    auto words = split_words(line.substr(colon + 1));
    if (words.empty()) return std::nullopt;
    auto value = parse_u64(words[0]);
    if (!value) return std::nullopt;
    if (words.size() >= 2 && words[1] == "kB") {
      if (*value > UINT64_MAX / 1024) return std::nullopt;
      return *value * 1024;
    }
    return value;
  }
  return std::nullopt;
}

struct CpuTimes {
  std::uint64_t total = 0;  // all CPUs, jiffies
  std::uint64_t busy = 0;   // total less idle and iowait
};

/// The aggregate "cpu" line of /proc/stat. guest and guest_nice are left out
/// of the total: the kernel already counts them in user and nice.
std::optional<CpuTimes> parse_proc_stat(std::string_view text) {
  for (std::string_view line : split_lines(text)) {
    auto words = split_words(line);
    if (words.empty() || words[0] != "cpu") continue;
    std::uint64_t field[8] = {};
    std::size_t n = std::min<std::size_t>(words.size() - 1, 8);
    if (n < 4) return std::nullopt;  // user nice system idle at least
    for (std::size_t i = 0; i < n; ++i) {
      auto v = parse_u64(words[i + 1]);
      if (!v) return std::nullopt;
      field[i] = *v;
    }
    CpuTimes t;
    for (std::uint64_t v : field) t.total += v;
    std::uint64_t idle = field[3] + field[4];
    t.busy = t.total >= idle ? t.total - idle : 0;
    return t;
  }
  return std::nullopt;
}

/// utime + stime of /proc/<pid>/stat, in jiffies. The command name (field 2)
/// may hold spaces and parentheses, so fields are counted after the last ')'.
std::optional<std::uint64_t> parse_process_cpu(std::string_view text) {
  std::size_t paren = text.rfind(')');
  if (paren == std::string_view::npos) return std::nullopt;
  auto words = split_words(text.substr(paren + 1));
  // words[0] is field 3 (state); utime and stime are fields 14 and 15.
  if (words.size() < 13) return std::nullopt;
  auto utime = parse_u64(words[11]);
  auto stime = parse_u64(words[12]);
  if (!utime || !stime) return std::nullopt;
  return *utime + *stime;
}

/// Received and sent bytes per interface of /proc/net/dev, lo left out.
std::optional<std::map<std::string, std::pair<std::uint64_t, std::uint64_t>>> parse_net_dev(
    std::string_view text) {
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> out;
  bool any_line = false;
  for (std::string_view line : split_lines(text)) {
    std::size_t colon = line.rfind(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = trim(line.substr(0, colon));
    auto words = split_words(line.substr(colon + 1));
    if (name.empty() || words.size() < 9) continue;
    auto recv = parse_u64(words[0]);
    auto sent = parse_u64(words[8]);
    if (!recv || !sent) continue;
    any_line = true;
    if (name == "lo") continue;
    out[std::string(name)] = {*recv, *sent};
  }
  // A file with no interface line at all (not even lo) is not /proc/net/dev.
  if (!any_line) return std::nullopt;
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

/// Without /sys/block, a guess from the name: virtual devices and the usual
/// partition names (sda1, vdb2, xvda1, nvme0n1p1, mmcblk0p1) are not whole
/// physical disks.
bool looks_like_whole_disk(std::string_view name) {
  for (std::string_view virt : {"loop", "ram", "zram", "dm-", "md", "nbd"}) {
    if (starts_with(name, virt)) return false;
  }
  if (name.empty()) return false;
  bool ends_in_digit = name.back() >= '0' && name.back() <= '9';
  if (!ends_in_digit) return true;
  for (std::string_view letters : {"sd", "hd", "vd", "xvd"}) {
    if (starts_with(name, letters)) return false;
  }
  std::size_t i = name.size();
  while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9') --i;
  bool p_digits = i >= 2 && name[i - 1] == 'p' && name[i - 2] >= '0' && name[i - 2] <= '9';
  return !p_digits;
}

/// Which devices of diskstats count toward disk.in/out: with <sys>/block, those
/// listed there (whole disks, never partitions) that have a `device` link —
/// real hardware or virtio/NVMe, not loop, ram, zram, nor dm/md that stack on
/// disks already counted. Without it, looks_like_whole_disk.
class DiskFilter {
 public:
  explicit DiskFilter(const std::string& sys) : block_(fs::path(sys) / "block") {
    std::error_code ec;
    have_sys_block_ = fs::is_directory(block_, ec);
  }
  bool counts(std::string_view name) const {
    if (name.empty() || name.find('/') != std::string_view::npos || name == "." || name == "..") {
      return false;
    }
    if (!have_sys_block_) return looks_like_whole_disk(name);
    std::error_code ec;
    return fs::exists(block_ / std::string(name) / "device", ec);
  }

 private:
  fs::path block_;
  bool have_sys_block_ = false;
};

/// Sectors read and written per counted device of /proc/diskstats.
std::optional<std::map<std::string, std::pair<std::uint64_t, std::uint64_t>>> parse_diskstats(
    std::string_view text, const DiskFilter& filter) {
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> out;
  bool any_line = false;
  for (std::string_view line : split_lines(text)) {
    auto words = split_words(line);
    // major minor name reads merged sectors_read ms writes merged sectors_written ...
    if (words.size() < 10) continue;
    auto read = parse_u64(words[5]);
    auto written = parse_u64(words[9]);
    if (!read || !written || !parse_u64(words[0]) || !parse_u64(words[1])) continue;
    any_line = true;
    if (!filter.counts(words[2])) continue;
    out[std::string(words[2])] = {*read, *written};
  }
  if (!any_line) return std::nullopt;
  return out;
}

/// A monotonic total over a counter that may be reset (a re-created device or
/// interface, a wrapping 32-bit counter): after a drop, the new value counts whole.
struct Counter {
  std::uint64_t last = 0;
  std::uint64_t total = 0;
  void update(std::uint64_t value) {
    total += value >= last ? value - last : value;
    last = value;
  }
};

/// Totals since the baseline over named pairs of counters. An entry that
/// appears after the baseline counts from zero: it did not exist before.
class PairCounters {
 public:
  using Reading = std::map<std::string, std::pair<std::uint64_t, std::uint64_t>>;
  /// The first reading is the baseline; returns nothing until then.
  std::optional<std::pair<std::uint64_t, std::uint64_t>> update(const Reading& reading) {
    if (!started_) {
      for (const auto& [name, values] : reading) {
        entries_[name].first.last = values.first;
        entries_[name].second.last = values.second;
      }
      started_ = true;
      return std::pair<std::uint64_t, std::uint64_t>{0, 0};
    }
    for (const auto& [name, values] : reading) {
      auto& entry = entries_[name];
      entry.first.update(values.first);
      entry.second.update(values.second);
    }
    // Vanished entries keep their totals: what they moved did move.
    std::pair<std::uint64_t, std::uint64_t> sum{0, 0};
    for (const auto& [name, entry] : entries_) {
      sum.first += entry.first.total;
      sum.second += entry.second.total;
    }
    return sum;
  }

 private:
  bool started_ = false;
  std::map<std::string, std::pair<Counter, Counter>> entries_;
};

// ---------------------------------------------------------------------------
// Machine facts

struct CpuInfo {
  std::set<std::pair<std::string, std::string>> cores;  // (physical id, core id)
  int processors = 0;
  std::vector<double> mhz;
};

CpuInfo parse_cpuinfo(std::string_view text) {
  CpuInfo info;
  // Plain strings and flags: GCC 12 warns (wrongly) that an optional<string>
  // here may be used uninitialised.
  std::string physical, core;
  bool has_physical = false, has_core = false;
  auto end_block = [&] {
    if (has_physical && has_core) info.cores.emplace(physical, core);
    has_physical = has_core = false;
  };
  for (std::string_view line : split_lines(text)) {
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      if (trim(line).empty()) end_block();
      continue;
    }
    std::string_view key = trim(line.substr(0, colon));
    std::string_view value = trim(line.substr(colon + 1));
    if (key == "processor") {
      end_block();  // a file without blank lines between processors
      ++info.processors;
    } else if (key == "physical id") {
      physical = std::string(value);
      has_physical = true;
    } else if (key == "core id") {
      core = std::string(value);
      has_core = true;
    } else if (key == "cpu MHz") {
      if (auto mhz = parse_double(value); mhz && *mhz > 0) info.mhz.push_back(*mhz);
    }
  }
  end_block();
  return info;
}

/// "0-3,6,8-9" (the kernel's CPU list format) → 7.
std::optional<int> count_cpu_list(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  long count = 0;
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    std::string_view range = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    std::size_t dash = range.find('-');
    auto first = parse_u64(range.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : parse_u64(range.substr(dash + 1));
    if (!first || !last || *last < *first || *last - *first > 1'000'000) return std::nullopt;
    count += static_cast<long>(*last - *first + 1);
    if (count > 1'000'000) return std::nullopt;
  }
  return static_cast<int>(count);
}

std::optional<double> mean(const std::vector<double>& values) {
  if (values.empty()) return std::nullopt;
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

/// The cpufreq files of every cpuN under <sys>/devices/system/cpu, in kHz → MHz.
std::vector<double> cpufreq_values(const std::string& sys, const char* file, const char* fallback) {
  std::vector<double> out;
  std::error_code ec;
  fs::directory_iterator it(fs::path(sys) / "devices/system/cpu", ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() < 4 || !starts_with(name, "cpu") ||
        !std::all_of(name.begin() + 3, name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    for (const char* candidate : {file, fallback}) {
      if (candidate == nullptr) continue;
      auto text = read_text((it->path() / "cpufreq" / candidate).string());
      auto khz = text ? parse_double(trim(*text)) : std::nullopt;
      if (khz && *khz > 0) {
        out.push_back(*khz / 1000.0);
        break;
      }
    }
  }
  return out;
}

/// Python's platform.platform() on Linux: "Linux-6.1.0-18-amd64-x86_64-with-glibc2.36",
/// with the characters it replaces by '_' replaced likewise.
std::string platform_string(const struct utsname& u) {
  std::string s = std::string(u.sysname) + "-" + u.release + "-" + u.machine + "-with-glibc" +
                  gnu_get_libc_version();
  for (char& c : s) {
    if (std::string_view(" /\\:;\"()").find(c) != std::string_view::npos) c = '_';
  }
  for (std::size_t pos; (pos = s.find("--")) != std::string::npos;) s.erase(pos, 1);
  return s;
}

std::optional<std::string> user_name() {
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<std::size_t>(size) : 16384);
  struct passwd pw {};
  struct passwd* result = nullptr;
  while (::getpwuid_r(::geteuid(), &pw, buffer.data(), buffer.size(), &result) == ERANGE &&
         buffer.size() < (std::size_t{1} << 20)) {
    buffer.resize(buffer.size() * 2);
  }
  if (result != nullptr && result->pw_name != nullptr && result->pw_name[0] != '\0') {
    return std::string(result->pw_name);
  }
  if (const char* user = std::getenv("USER"); user != nullptr && user[0] != '\0') return std::string(user);
  return std::nullopt;
}

struct DiskUsage {
  std::uint64_t total = 0;
  std::uint64_t used = 0;
  std::uint64_t available = 0;  // to unprivileged users
};

std::optional<DiskUsage> disk_usage(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return std::nullopt;
  std::uint64_t unit = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
  DiskUsage u;
  u.total = static_cast<std::uint64_t>(st.f_blocks) * unit;
  std::uint64_t free = static_cast<std::uint64_t>(st.f_bfree) * unit;
  u.used = u.total >= free ? u.total - free : 0;
  u.available = static_cast<std::uint64_t>(st.f_bavail) * unit;
  return u;
}

std::string cuda_version_string(int version) {
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

// ---------------------------------------------------------------------------
// NVML

class NvmlSource final : public GpuSource {
 public:
  NvmlSource(const NvmlApi& api, std::vector<nvml::Device> devices)
      : api_(api), devices_(std::move(devices)) {}
  ~NvmlSource() override {
    api_.shutdown();
    if (library_ != nullptr) ::dlclose(library_);
  }
  NvmlSource(const NvmlSource&) = delete;
  NvmlSource& operator=(const NvmlSource&) = delete;

  void own_library(void* library) { library_ = library; }

  int count() override { return static_cast<int>(devices_.size()); }

  std::optional<std::string> name(int index) override {
    if (!valid(index) || api_.get_name == nullptr) return std::nullopt;
    char buffer[nvml::kNameBufferSize] = {};
    if (api_.get_name(devices_[index], buffer, sizeof buffer) != nvml::kSuccess) return std::nullopt;
    buffer[sizeof buffer - 1] = '\0';
    std::string name(buffer);
    if (name.empty()) return std::nullopt;
    return name;
  }

  GpuReading read(int index) override {
    GpuReading r;
    if (!valid(index)) return r;
    nvml::Device d = devices_[index];
    if (api_.get_utilization != nullptr) {
      nvml::Utilization u{};
      if (api_.get_utilization(d, &u) == nvml::kSuccess) {
        r.utilization_percent = u.gpu;
        r.memory_utilization_percent = u.memory;
      }
    }
    if (api_.get_memory != nullptr) {
      nvml::Memory m{};
      if (api_.get_memory(d, &m) == nvml::kSuccess) {
        r.memory_used_bytes = m.used;
        r.memory_total_bytes = m.total;
      }
    }
    unsigned int value = 0;
    if (api_.get_temperature != nullptr && api_.get_temperature(d, nvml::kTemperatureGpu, &value) == nvml::kSuccess) {
      r.temperature_c = value;
    }
    if (api_.get_power != nullptr && api_.get_power(d, &value) == nvml::kSuccess) {
      r.power_watts = value / 1000.0;
    }
    if (api_.get_power_limit != nullptr && api_.get_power_limit(d, &value) == nvml::kSuccess) {
      r.power_limit_watts = value / 1000.0;
    }
    return r;
  }

  std::optional<int> cuda_driver_version() override {
    int version = 0;
    if (api_.get_cuda_version == nullptr || api_.get_cuda_version(&version) != nvml::kSuccess || version <= 0) {
      return std::nullopt;
    }
    return version;
  }

 private:
  bool valid(int index) const { return index >= 0 && static_cast<std::size_t>(index) < devices_.size(); }

  NvmlApi api_;
  std::vector<nvml::Device> devices_;
  void* library_ = nullptr;
};

std::unique_ptr<NvmlSource> make_nvml_source(const NvmlApi& api) {
  if (api.init == nullptr || api.shutdown == nullptr || api.get_count == nullptr || api.get_handle == nullptr) {
    return nullptr;
  }
  if (api.init() != nvml::kSuccess) return nullptr;
  unsigned int count = 0;
  std::vector<nvml::Device> devices;
  if (api.get_count(&count) == nvml::kSuccess) {
    for (unsigned int i = 0; i < count && i < 1024; ++i) {
      nvml::Device device = nullptr;
      if (api.get_handle(i, &device) == nvml::kSuccess) devices.push_back(device);
    }
  }
  if (devices.empty()) {
    api.shutdown();
    return nullptr;
  }
  return std::make_unique<NvmlSource>(api, std::move(devices));
}

template <class F>
void bind_symbol(void* library, const char* symbol, F& out) {
  // POSIX guarantees that a dlsym result converts to a function pointer.
  out = reinterpret_cast<F>(::dlsym(library, symbol));
}

}  // namespace

// ---------------------------------------------------------------------------

std::string iso8601_utc(std::chrono::system_clock::time_point tp) {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(tp.time_since_epoch()).count();
  auto seconds = us / 1'000'000;
  auto micros = us % 1'000'000;
  if (micros < 0) {  // before 1970: the second is the one below
    micros += 1'000'000;
    --seconds;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, ".%06lldZ", static_cast<long long>(micros));
  return std::string(date) + fraction;
}

std::string disk_key(const std::string& path) {
  std::string out = path;
  std::replace(out.begin(), out.end(), '/', '\\');
  return "disk." + out;
}

std::unique_ptr<GpuSource> nvml_gpus(const NvmlApi& api) { return make_nvml_source(api); }

std::unique_ptr<GpuSource> nvml_gpus(const char* library) {
  void* handle = ::dlopen(library, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return nullptr;
  NvmlApi api;
  bind_symbol(handle, "nvmlInit_v2", api.init);
  bind_symbol(handle, "nvmlShutdown", api.shutdown);
  bind_symbol(handle, "nvmlDeviceGetCount_v2", api.get_count);
  bind_symbol(handle, "nvmlDeviceGetHandleByIndex_v2", api.get_handle);
  bind_symbol(handle, "nvmlDeviceGetName", api.get_name);
  bind_symbol(handle, "nvmlDeviceGetMemoryInfo", api.get_memory);
  bind_symbol(handle, "nvmlDeviceGetUtilizationRates", api.get_utilization);
  bind_symbol(handle, "nvmlDeviceGetTemperature", api.get_temperature);
  bind_symbol(handle, "nvmlDeviceGetPowerUsage", api.get_power);
  bind_symbol(handle, "nvmlDeviceGetEnforcedPowerLimit", api.get_power_limit);
  bind_symbol(handle, "nvmlSystemGetCudaDriverVersion_v2", api.get_cuda_version);
  if (api.get_cuda_version == nullptr) bind_symbol(handle, "nvmlSystemGetCudaDriverVersion", api.get_cuda_version);
  auto source = make_nvml_source(api);
  if (!source) {
    ::dlclose(handle);
    return nullptr;
  }
  source->own_library(handle);
  return source;
}

// ---------------------------------------------------------------------------

Json system_metadata(const SystemPaths& paths, const Json& extra,
                     std::chrono::system_clock::time_point started, GpuSource* gpus) {
  if (!extra.is_null() && !extra.is_object()) {
    throw TypeError(std::string("system_metadata extra: expected a JSON object, got ") + extra.type_name());
  }
  Json meta = Json::object();
  struct utsname u {};
  bool have_uname = ::uname(&u) == 0;
  if (have_uname) meta["os"] = platform_string(u);
  meta["startedAt"] = iso8601_utc(started);
  meta["heartbeatAt"] = iso8601_utc(std::chrono::system_clock::now());

  std::vector<std::string> argv;
  if (auto cmdline = read_text(paths.proc + "/self/cmdline")) {
    std::string_view rest = *cmdline;
    while (!rest.empty()) {
      std::size_t nul = rest.find('\0');
      argv.emplace_back(rest.substr(0, nul));
      if (nul == std::string_view::npos) break;
      rest.remove_prefix(nul + 1);
    }
  }
  Json args = Json::array();
  for (std::size_t i = 1; i < argv.size(); ++i) args.push_back(argv[i]);
  meta["args"] = std::move(args);
  meta["state"] = "running";
  if (!argv.empty() && !argv[0].empty()) meta["program"] = argv[0];
  if (have_uname && u.nodename[0] != '\0') meta["host"] = u.nodename;
  if (auto user = user_name()) meta["username"] = *user;
  {
    std::error_code ec;
    fs::path exe = fs::read_symlink(fs::path(paths.proc) / "self/exe", ec);
    if (!ec && !exe.empty()) meta["executable"] = exe.string();
  }

  CpuInfo cpuinfo;
  if (auto text = read_text(paths.proc + "/cpuinfo")) cpuinfo = parse_cpuinfo(*text);
  std::optional<int> logical;
  if (auto online = read_text(paths.sys + "/devices/system/cpu/online")) logical = count_cpu_list(*online);
  if (!logical && cpuinfo.processors > 0) logical = cpuinfo.processors;
  if (!logical) {
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    if (n > 0) logical = static_cast<int>(n);
  }
  if (!cpuinfo.cores.empty()) {
    meta["cpu_count"] = cpuinfo.cores.size();
  } else if (logical) {
    meta["cpu_count"] = *logical;
  }
  if (logical) meta["cpu_count_logical"] = *logical;

  Json freq = Json::object();
  auto current = mean(cpuinfo.mhz);
  if (!current) current = mean(cpufreq_values(paths.sys, "scaling_cur_freq", "cpuinfo_cur_freq"));
  if (current) freq["current"] = *current;
  if (auto min = mean(cpufreq_values(paths.sys, "scaling_min_freq", "cpuinfo_min_freq"))) freq["min"] = *min;
  if (auto max = mean(cpufreq_values(paths.sys, "scaling_max_freq", "cpuinfo_max_freq"))) freq["max"] = *max;
  if (!freq.empty()) meta["cpu_freq"] = std::move(freq);

  if (gpus != nullptr) {
    try {
      int count = gpus->count();
      if (count > 0) {
        Json list = Json::array();
        for (int i = 0; i < count; ++i) {
          Json entry = Json::object();
          if (auto name = gpus->name(i)) entry["name"] = *name;
          if (auto total = gpus->read(i).memory_total_bytes) entry["memory_total"] = *total;
          list.push_back(std::move(entry));
        }
        if (list[0].contains("name")) meta["gpu"] = list[0]["name"];
        meta["gpu_count"] = count;
        meta["gpu_nvidia"] = std::move(list);
        if (auto version = gpus->cuda_driver_version()) meta["cuda"] = cuda_version_string(*version);
      }
    } catch (const std::bad_alloc&) {
      throw;
    } catch (...) {
      for (const char* key : {"gpu", "gpu_count", "gpu_nvidia", "cuda"}) meta.erase(key);
    }
  }

  if (auto usage = disk_usage(paths.disk)) {
    meta["disk"] = Json::object({{paths.disk, Json::object({{"total", usage->total}, {"used", usage->used}})}});
  }
  if (auto meminfo = read_text(paths.proc + "/meminfo")) {
    if (auto total = colon_field(*meminfo, "MemTotal")) meta["memory"] = Json::object({{"total", *total}});
  }

  if (extra.is_object()) {
    for (auto it = extra.begin(); it != extra.end(); ++it) meta[it.key()] = it.value();
  }
  return meta;
}

// ---------------------------------------------------------------------------

struct SystemSampler::State {
  SystemPaths paths;
  std::unique_ptr<GpuSource> gpus;
  CpuMetric cpu_metric;
  DiskFilter disk_filter;
  std::optional<CpuTimes> last_cpu;
  std::optional<std::uint64_t> last_process_cpu;
  PairCounters network;  // (recv, sent) bytes
  PairCounters disk;     // (read, written) sectors

  State(SystemPaths p, std::unique_ptr<GpuSource> g, CpuMetric c)
      : paths(std::move(p)), gpus(std::move(g)), cpu_metric(c), disk_filter(paths.sys) {}

  std::optional<std::map<std::string, std::pair<std::uint64_t, std::uint64_t>>> read_net() const {
    auto text = read_text(paths.proc + "/net/dev");
    return text ? parse_net_dev(*text) : std::nullopt;
  }
  std::optional<std::map<std::string, std::pair<std::uint64_t, std::uint64_t>>> read_disks() const {
    auto text = read_text(paths.proc + "/diskstats");
    return text ? parse_diskstats(*text, disk_filter) : std::nullopt;
  }
  std::optional<CpuTimes> read_cpu() const {
    auto text = read_text(paths.proc + "/stat");
    return text ? parse_proc_stat(*text) : std::nullopt;
  }
  std::optional<std::uint64_t> read_process_cpu() const {
    auto text = read_text(paths.proc + "/self/stat");
    return text ? parse_process_cpu(*text) : std::nullopt;
  }

  /// The "cpu" value since the last baseline; the baseline moves to now
  /// whenever now could be read.
  std::optional<double> cpu_percent() {
    auto now = read_cpu();
    std::optional<std::uint64_t> process_now;
    if (cpu_metric == CpuMetric::kProcess) process_now = read_process_cpu();
    std::optional<double> result;
    if (now && last_cpu && now->total > last_cpu->total) {
      double total = static_cast<double>(now->total - last_cpu->total);
      if (cpu_metric == CpuMetric::kSystem) {
        double busy = now->busy >= last_cpu->busy ? static_cast<double>(now->busy - last_cpu->busy) : 0.0;
        result = clamp_percent(100.0 * busy / total);
      } else if (process_now && last_process_cpu) {
        double used = *process_now >= *last_process_cpu
                          ? static_cast<double>(*process_now - *last_process_cpu) : 0.0;
        result = clamp_percent(100.0 * used / total);
      }
    }
    if (now) last_cpu = now;
    if (process_now) last_process_cpu = process_now;
    return result;
  }
};

SystemSampler::SystemSampler(SystemPaths paths, std::unique_ptr<GpuSource> gpus, CpuMetric cpu)
    : state_(std::make_unique<State>(std::move(paths), std::move(gpus), cpu)) {
  // Baselines; one that cannot be read now is taken at the first sample that can.
  state_->cpu_percent();
  if (auto net = state_->read_net()) state_->network.update(*net);
  if (auto disks = state_->read_disks()) state_->disk.update(*disks);
}

SystemSampler::~SystemSampler() = default;

Json SystemSampler::sample() {
  State& s = *state_;
  Json out = Json::object();
  // Each group computes its values before inserting, so an unexpected throw
  // (none is expected) leaves no half-written group.
  auto guarded = [](auto&& group) {
    try {
      group();
    } catch (const std::bad_alloc&) {
      throw;
    } catch (...) {
    }
  };

  guarded([&] {
    if (auto cpu = s.cpu_percent()) out["cpu"] = *cpu;
  });

  std::optional<std::string> status = read_text(s.paths.proc + "/self/status");
  std::optional<std::string> meminfo = read_text(s.paths.proc + "/meminfo");
  guarded([&] {
    if (!status) return;
    if (auto threads = colon_field(*status, "Threads")) out["proc.cpu.threads"] = *threads;
  });

  guarded([&] {
    // Zero for "not known": a MemTotal of 0 is as useless as none.
    std::uint64_t total = 0, available = 0, resident = 0;
    bool have_available = false, have_rss = false;
    if (meminfo) {
      total = colon_field(*meminfo, "MemTotal").value_or(0);
      auto a = colon_field(*meminfo, "MemAvailable");
      have_available = a.has_value();
      available = a.value_or(0);
    }
    if (status) {
      auto r = colon_field(*status, "VmRSS");
      have_rss = r.has_value();
      resident = r.value_or(0);
    }
    if (total > 0 && have_available) {
      double used = total >= available ? static_cast<double>(total - available) : 0.0;
      out["memory"] = clamp_percent(100.0 * used / static_cast<double>(total));
    }
    if (have_available) out["proc.memory.availableMB"] = static_cast<double>(available) / kMiB;
    if (have_rss) {
      out["proc.memory.rssMB"] = static_cast<double>(resident) / kMiB;
      if (total > 0) {
        out["proc.memory.percent"] = clamp_percent(100.0 * static_cast<double>(resident) / static_cast<double>(total));
      }
    }
  });

  guarded([&] {
    auto net = s.read_net();
    if (!net) return;
    auto totals = s.network.update(*net);
    if (!totals) return;
    out["network.sent"] = totals->second;
    out["network.recv"] = totals->first;
  });

  guarded([&] {
    auto usage = disk_usage(s.paths.disk);
    if (!usage) return;
    std::string stem = disk_key(s.paths.disk);
    double used = static_cast<double>(usage->used);
    double base = used + static_cast<double>(usage->available);
    if (base > 0) out[stem + ".usagePercent"] = clamp_percent(100.0 * used / base);
    out[stem + ".usageGB"] = used / kGiB;
  });

  guarded([&] {
    auto disks = s.read_disks();
    if (!disks) return;
    auto totals = s.disk.update(*disks);
    if (!totals) return;
    out["disk.in"] = static_cast<double>(totals->first) * 512.0 / kMiB;
    out["disk.out"] = static_cast<double>(totals->second) * 512.0 / kMiB;
  });

  if (s.gpus) {
    int count = 0;
    guarded([&] { count = s.gpus->count(); });
    for (int i = 0; i < count; ++i) {
      guarded([&] {
        GpuReading r = s.gpus->read(i);
        std::string prefix = "gpu." + std::to_string(i) + ".";
        Json group = Json::object();
        auto finite = [](const std::optional<double>& v) { return v && std::isfinite(*v); };
        if (finite(r.utilization_percent)) group[prefix + "gpu"] = clamp_percent(*r.utilization_percent);
        if (finite(r.memory_utilization_percent)) {
          group[prefix + "memory"] = clamp_percent(*r.memory_utilization_percent);
        }
        if (r.memory_used_bytes && r.memory_total_bytes && *r.memory_total_bytes > 0) {
          group[prefix + "memoryAllocated"] = clamp_percent(
              100.0 * static_cast<double>(*r.memory_used_bytes) / static_cast<double>(*r.memory_total_bytes));
        }
        if (r.memory_used_bytes) group[prefix + "memoryAllocatedBytes"] = *r.memory_used_bytes;
        if (finite(r.temperature_c)) group[prefix + "temp"] = *r.temperature_c;
        if (finite(r.power_watts)) {
          group[prefix + "powerWatts"] = *r.power_watts;
          if (finite(r.power_limit_watts) && *r.power_limit_watts > 0) {
            group[prefix + "powerPercent"] = clamp_percent(100.0 * *r.power_watts / *r.power_limit_watts);
          }
        }
        for (auto it = group.begin(); it != group.end(); ++it) out[it.key()] = it.value();
      });
    }
  }
  return out;
}

std::optional<int> cpu_max_cpus(std::string_view cpu_max) {
  cpu_max = trim(cpu_max);
  const std::size_t space = cpu_max.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view quota_text = cpu_max.substr(0, space);
  if (quota_text == "max") return std::nullopt;
  const auto quota = parse_double(quota_text);
  const auto period = parse_double(trim(cpu_max.substr(space + 1)));
  if (!quota || !period || *quota <= 0 || *period <= 0) return std::nullopt;
  return std::max(1, static_cast<int>(std::ceil(*quota / *period)));
}

int usable_cpus(const SystemPaths& paths) {
  int cpus = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
  if (cpus <= 0) cpus = static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  std::optional<int> quota;
  if (auto v2 = read_text(paths.sys + "/fs/cgroup/cpu.max")) {
    quota = cpu_max_cpus(*v2);
  } else if (auto q = read_text(paths.sys + "/fs/cgroup/cpu/cpu.cfs_quota_us")) {
    if (auto p = read_text(paths.sys + "/fs/cgroup/cpu/cpu.cfs_period_us")) {
      quota = cpu_max_cpus(std::string(trim(*q)) + " " + std::string(trim(*p)));
    }
  }
  if (quota) cpus = std::min(cpus, *quota);
  return std::max(1, cpus);
}

}  // namespace wandb::detail
