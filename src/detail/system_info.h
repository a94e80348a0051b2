// What the W&B SDK (v0.20) attaches to a run about the machine: the facts in
// files/wandb-metadata.json (the run's Overview tab) and the periodic samples
// of the System tab. Linux only: everything comes from /proc, /sys, statvfs,
// uname and, for NVIDIA GPUs, NVML loaded at run time (no link dependency).
//
// Nothing here fails a run: a file that is missing, unreadable or malformed,
// an absent NVML or a failing NVML call drops the keys it would have given,
// silently.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wandb/json.h"

namespace wandb::detail {

/// Where the facts are read. Tests point `proc` and `sys` at fake trees.
struct SystemPaths {
  std::string proc = "/proc";  ///< stat, meminfo, cpuinfo, net/dev, diskstats, self/{stat,status,cmdline,exe}
  std::string sys = "/sys";    ///< devices/system/cpu/{online,cpuN/cpufreq/*}, block/<disk>/device
  std::string disk = "/";      ///< the file system whose size and use are reported (statvfs)
};

/// `tp` as ISO-8601 UTC with microseconds, the SDK's "2026-12-03T16:25:12.123456Z"
/// (truncated, not rounded, to the microsecond; times before 1970 too).
std::string iso8601_utc(std::chrono::system_clock::time_point tp);

/// The metric key stem for a disk path, as the SDK's history shows it: each '/'
/// becomes '\', so "/" gives "disk.\" and the sample key "disk.\.usagePercent".
std::string disk_key(const std::string& path);

// ---------------------------------------------------------------------------
// GPUs

/// One reading of one GPU; a field the device could not give is empty.
struct GpuReading {
  std::optional<double> utilization_percent;         ///< gpu.i.gpu
  std::optional<double> memory_utilization_percent;  ///< gpu.i.memory (time the memory was busy)
  std::optional<std::uint64_t> memory_used_bytes;    ///< gpu.i.memoryAllocatedBytes
  std::optional<std::uint64_t> memory_total_bytes;   ///< with used: gpu.i.memoryAllocated (%)
  std::optional<double> temperature_c;               ///< gpu.i.temp
  std::optional<double> power_watts;                 ///< gpu.i.powerWatts
  std::optional<double> power_limit_watts;           ///< with power: gpu.i.powerPercent
};

/// The GPUs of the machine. The sampler and system_metadata call it from one
/// thread at a time. Implementations should not throw; the callers catch
/// anything thrown and drop the GPU keys of that call.
class GpuSource {
 public:
  virtual ~GpuSource() = default;
  /// Number of devices, indices 0..count()-1.
  virtual int count() = 0;
  /// The device's product name ("NVIDIA A100-SXM4-40GB"), empty when unknown.
  virtual std::optional<std::string> name(int index) = 0;
  virtual GpuReading read(int index) = 0;
  /// The CUDA version the driver supports, as NVML gives it (12020 for 12.2).
  virtual std::optional<int> cuda_driver_version() = 0;
};

/// The NVML calls the NVIDIA source uses, with NVML's C signatures (declared
/// here: no NVML header is installed). Each returns NVML_SUCCESS (0) or an error.
namespace nvml {
using Return = int;
struct DeviceOpaque;
using Device = DeviceOpaque*;
struct Memory {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
struct Utilization {
  unsigned int gpu;
  unsigned int memory;
};
inline constexpr Return kSuccess = 0;
inline constexpr int kTemperatureGpu = 0;  ///< NVML_TEMPERATURE_GPU
inline constexpr unsigned kNameBufferSize = 96;  ///< NVML_DEVICE_NAME_V2_BUFFER_SIZE
}  // namespace nvml

/// The NVML entry points. init, shutdown, get_count and get_handle are
/// required; any other may be null (its fields are then never reported).
struct NvmlApi {
  nvml::Return (*init)() = nullptr;      ///< nvmlInit_v2
  nvml::Return (*shutdown)() = nullptr;  ///< nvmlShutdown
  nvml::Return (*get_count)(unsigned int*) = nullptr;                    ///< nvmlDeviceGetCount_v2
  nvml::Return (*get_handle)(unsigned int, nvml::Device*) = nullptr;     ///< nvmlDeviceGetHandleByIndex_v2
  nvml::Return (*get_name)(nvml::Device, char*, unsigned int) = nullptr;  ///< nvmlDeviceGetName
  nvml::Return (*get_memory)(nvml::Device, nvml::Memory*) = nullptr;      ///< nvmlDeviceGetMemoryInfo
  nvml::Return (*get_utilization)(nvml::Device, nvml::Utilization*) = nullptr;  ///< nvmlDeviceGetUtilizationRates
  nvml::Return (*get_temperature)(nvml::Device, int, unsigned int*) = nullptr;  ///< nvmlDeviceGetTemperature
  nvml::Return (*get_power)(nvml::Device, unsigned int*) = nullptr;        ///< nvmlDeviceGetPowerUsage (mW)
  nvml::Return (*get_power_limit)(nvml::Device, unsigned int*) = nullptr;  ///< nvmlDeviceGetEnforcedPowerLimit (mW)
  nvml::Return (*get_cuda_version)(int*) = nullptr;  ///< nvmlSystemGetCudaDriverVersion(_v2)
};

/// A GpuSource over `api`: calls init, counts the devices and takes their
/// handles once; shutdown at destruction. Null when a required entry point is
/// missing, init or the count fails, or there is no device (shutdown is then
/// called at once). A device whose handle cannot be had is skipped.
std::unique_ptr<GpuSource> nvml_gpus(const NvmlApi& api);

/// The NVIDIA GPUs through `library` (dlopen, RTLD_LOCAL), kept loaded while
/// the source lives. Null, without a message, when the library is absent, lacks
/// a required symbol, or nvml_gpus(api) is null; then the library is unloaded.
std::unique_ptr<GpuSource> nvml_gpus(const char* library = "libnvidia-ml.so.1");

// ---------------------------------------------------------------------------
// Metadata

/// The content of files/wandb-metadata.json, keys in this order, each left out
/// when it cannot be read:
///   os          "<sysname>-<release>-<machine>-with-glibc<version>" (Python's platform.platform())
///   startedAt   iso8601_utc(started)
///   heartbeatAt iso8601_utc(now)
///   args        [program's arguments without argv[0]] from <proc>/self/cmdline (always present, may be [])
///   state       "running"
///   program     argv[0] as given
///   host        uname's node name
///   username    getpwuid(geteuid()), else $USER
///   executable  <proc>/self/exe resolved
///   cpu_count   distinct (physical id, core id) pairs of <proc>/cpuinfo; else cpu_count_logical
///   cpu_count_logical  online CPUs: <sys>/devices/system/cpu/online, else "processor" lines of
///               cpuinfo, else sysconf(_SC_NPROCESSORS_ONLN)
///   cpu_freq    {"current", "min", "max"} MHz: current is the mean "cpu MHz" of cpuinfo (else the
///               mean cpufreq/scaling_cur_freq); min and max the means of cpufreq's scaling_min/max_freq
///               (else cpuinfo_min/max_freq); the fields that cannot be read are left out, and
///               the key when none can
///   gpu, gpu_count, gpu_nvidia [{"name", "memory_total"}], cuda ("12.2"): with a device in `gpus`
///   disk        {"<paths.disk>": {"total": bytes, "used": bytes}} (statvfs: used = total - free)
///   memory      {"total": MemTotal bytes}
/// then each key of `extra` (a JSON object, or null for none), replacing a key above of
/// the same name. The SDK's "python" is never written (there is no Python), nor "codePath"
/// (the SDK's is relative to a git root, which a C++ program does not have).
/// TypeError when `extra` is neither an object nor null; nothing else throws but std::bad_alloc.
Json system_metadata(const SystemPaths& paths, const Json& extra,
                     std::chrono::system_clock::time_point started, GpuSource* gpus);

/// CPUs this process may use: the CPUs in its affinity mask (taskset, cpusets),
/// lowered to a cgroup CPU quota when there is one (docker --cpus, Kubernetes
/// limits), rounded up; at least 1. Read from <sys>/fs/cgroup (v2 cpu.max, or
/// v1 cpu/cpu.cfs_quota_us and cpu.cfs_period_us).
int usable_cpus(const SystemPaths& paths = {});
/// The CPUs a cgroup v2 `cpu.max` ("<quota> <period>", or "max <period>")
/// allows, rounded up; nullopt for no limit or text that is not that.
std::optional<int> cpu_max_cpus(std::string_view cpu_max);

// ---------------------------------------------------------------------------
// Samples

/// What the sample's "cpu" key measures.
enum class CpuMetric {
  kSystem,   ///< the whole machine's busy time, % of all CPUs (from <proc>/stat)
  kProcess,  ///< this process's CPU time as % of all CPUs' time (the SDK's own "Process CPU")
};

/// The System tab's samples. Counters ("since the sampler started") start at
/// construction; one whose file cannot be read then starts at the first sample
/// that can read it (and gives 0 there). Not thread-safe: one owner thread.
class SystemSampler {
 public:
  /// `gpus` may be null (no GPU keys).
  explicit SystemSampler(SystemPaths paths = {}, std::unique_ptr<GpuSource> gpus = nvml_gpus(),
                         CpuMetric cpu = CpuMetric::kSystem);
  ~SystemSampler();
  SystemSampler(const SystemSampler&) = delete;
  SystemSampler& operator=(const SystemSampler&) = delete;

  /// One sample, {key: number} in this order, a key left out when its source is
  /// missing or malformed (never an error):
  ///   cpu                      % since the previous call (the first: since construction); left
  ///                            out when no CPU time has passed (same clock tick) or no baseline
  ///   proc.cpu.threads         Threads of <proc>/self/status (integer)
  ///   memory                   100 * (MemTotal - MemAvailable) / MemTotal
  ///   proc.memory.availableMB  MemAvailable / 2^20 bytes
  ///   proc.memory.rssMB        VmRSS of <proc>/self/status / 2^20 bytes
  ///   proc.memory.percent      100 * VmRSS / MemTotal
  ///   network.sent, network.recv  bytes (integers) since construction, all interfaces but lo
  ///   disk.<disk_key>.usagePercent  100 * used / (used + available to unprivileged users), as df
  ///   disk.<disk_key>.usageGB       used / 2^30 bytes
  ///   disk.in, disk.out        MB (2^20 bytes) read / written since construction, whole physical
  ///                            disks of <proc>/diskstats (sectors * 512)
  ///   gpu.<i>.gpu, .memory, .memoryAllocated, .memoryAllocatedBytes, .temp, .powerWatts,
  ///   .powerPercent            per device of `gpus`; % for gpu, memory, memoryAllocated, powerPercent
  /// Percentages are clamped to 0..100. Counters that go back (a device or interface
  /// that was reset) count from their new value, so the totals never decrease.
  /// Nothing throws but std::bad_alloc.
  Json sample();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace wandb::detail
