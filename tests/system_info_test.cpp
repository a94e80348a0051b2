// system_info: metadata and samples computed from fake /proc and /sys trees
// (exact values), NVML through fake entry points, odd files, and the real machine.
#include "detail/system_info.h"

#include <sched.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.h"
#include "wandb/errors.h"

namespace wandb::detail {
namespace {

namespace fs = std::filesystem;
using std::chrono::system_clock;

std::vector<std::string> keys_of(const Json& j) {
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  return keys;
}

/// A fake /proc and /sys under a TempDir, files written on demand.
class FakeTree {
 public:
  FakeTree() {
    fs::create_directories(proc() + "/self");
    fs::create_directories(proc() + "/net");
    fs::create_directories(sys());
  }
  std::string proc() const { return (tmp_.path() / "proc").string(); }
  std::string sys() const { return (tmp_.path() / "sys").string(); }
  std::string root() const { return tmp_.path().string(); }
  SystemPaths paths() const { return {proc(), sys(), root()}; }

  void write(const std::string& path, const std::string& text) const {
    fs::path p = tmp_.path() / path;
    fs::create_directories(p.parent_path());
    test::write_bytes(p, text);
  }
  void disk_with_device(const std::string& name) const {
    fs::create_directories(tmp_.path() / "sys/block" / name / "device");
  }
  void disk_without_device(const std::string& name) const {
    fs::create_directories(tmp_.path() / "sys/block" / name);
  }

 private:
  test::TempDir tmp_;
};

std::string proc_stat(unsigned user, unsigned nice, unsigned system, unsigned idle, unsigned iowait,
                      unsigned irq = 0, unsigned softirq = 0, unsigned steal = 0, unsigned guest = 0) {
  return "cpu  " + std::to_string(user) + " " + std::to_string(nice) + " " + std::to_string(system) + " " +
         std::to_string(idle) + " " + std::to_string(iowait) + " " + std::to_string(irq) + " " +
         std::to_string(softirq) + " " + std::to_string(steal) + " " + std::to_string(guest) + " 0\n" +
         "cpu0 1 2 3 4 5 6 7 8 9 10\nintr 12345 0 0\nctxt 999\nbtime 1700000000\n";
}

std::string self_stat(unsigned utime, unsigned stime) {
  // A command name with a space and a ')' inside, as the kernel allows.
  return "4242 (my prog) x) S 1 4242 4242 0 -1 4194304 102 0 0 0 " + std::to_string(utime) + " " +
         std::to_string(stime) + " 0 0 20 0 7 0 1107163 3133440 418 18446744073709551615 0\n";
}

std::string meminfo(unsigned long long total_kb, unsigned long long available_kb) {
  return "MemTotal:       " + std::to_string(total_kb) + " kB\nMemFree:         1000 kB\nMemAvailable:   " +
         std::to_string(available_kb) + " kB\nBuffers:          10 kB\n";
}

std::string status(unsigned threads, unsigned long long rss_kb) {
  return "Name:\tprog\nState:\tS (sleeping)\nVmPeak:\t  999999 kB\nVmRSS:\t    " + std::to_string(rss_kb) +
         " kB\nRssAnon:\t  100 kB\nThreads:\t" + std::to_string(threads) + "\nSigQ:\t0/95678\n";
}

std::string net_dev(const std::vector<std::tuple<std::string, unsigned long long, unsigned long long>>& ifaces) {
  std::string s =
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls "
      "carrier compressed\n";
  for (const auto& [name, recv, sent] : ifaces) {
    s += "  " + name + ": " + std::to_string(recv) + "  11 0 0 0 0 0 0 " + std::to_string(sent) +
         " 22 0 0 0 0 0 0\n";
  }
  return s;
}

std::string diskstats(const std::vector<std::tuple<std::string, unsigned long long, unsigned long long>>& disks) {
  std::string s;
  unsigned minor = 0;
  for (const auto& [name, read, written] : disks) {
    s += " 254 " + std::to_string(minor++) + " " + name + " 100 5 " + std::to_string(read) + " 40 200 6 " +
         std::to_string(written) + " 50 0 60 70 0 0 0 0 0 0\n";
  }
  return s;
}

/// A tree that gives every sample key.
void write_full_tree(const FakeTree& t) {
  t.write("proc/stat", proc_stat(100, 0, 100, 800, 0));
  t.write("proc/self/stat", self_stat(10, 5));
  t.write("proc/meminfo", meminfo(8 * 1024 * 1024, 6 * 1024 * 1024));
  t.write("proc/self/status", status(7, 512 * 1024));
  t.write("proc/net/dev", net_dev({{"lo", 1000, 1000}, {"eth0", 5000, 700}}));
  t.write("proc/diskstats", diskstats({{"vda", 2048, 4096}, {"vda1", 2048, 4096}, {"loop0", 99, 99}}));
  t.disk_with_device("vda");
  t.disk_without_device("loop0");
}

// ---------------------------------------------------------------------------

TEST(Iso8601Utc, FormatsMicrosecondsInUtcAndTruncates) {
  // 2026-12-03T16:25:12Z = 1796315112 s since the epoch.
  system_clock::time_point tp{std::chrono::seconds(1796315112)};
  EXPECT_EQ(iso8601_utc(tp + std::chrono::microseconds(123456)), "2026-12-03T16:25:12.123456Z");
  EXPECT_EQ(iso8601_utc(tp + std::chrono::nanoseconds(999999999)), "2026-12-03T16:25:12.999999Z");
  EXPECT_EQ(iso8601_utc(system_clock::time_point{}), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(iso8601_utc(system_clock::time_point{} - std::chrono::microseconds(1)),
            "1969-12-31T23:59:59.999999Z");
}

TEST(DiskKey, EscapesSlashesAsTheSdkShowsThem) {
  EXPECT_EQ(disk_key("/"), "disk.\\");
  EXPECT_EQ(disk_key("/") + ".usagePercent", R"(disk.\.usagePercent)");
  EXPECT_EQ(disk_key("/mnt/data"), "disk.\\mnt\\data");
}

// ---------------------------------------------------------------------------
// Samples from a fake tree

TEST(SystemSampler, ComputesEveryKeyExactlyFromFakeFiles) {
  FakeTree t;
  write_full_tree(t);
  SystemSampler sampler(t.paths(), nullptr);

  // Since construction: +100 user +20 system +10 iowait +70 idle +50 guest (in user):
  // total 200, busy 120 (guest is inside user, iowait is idle) → 60 %.
  t.write("proc/stat", proc_stat(200, 0, 120, 870, 10, 0, 0, 0, 50));
  t.write("proc/net/dev", net_dev({{"lo", 999999, 999999}, {"eth0", 5000 + 300, 700 + 40}}));
  t.write("proc/diskstats",
          diskstats({{"vda", 2048 + 4096, 4096 + 2048}, {"vda1", 999999, 999999}, {"loop0", 999999, 999999}}));

  Json s = sampler.sample();
  std::string stem = disk_key(t.root());
  std::vector<std::string> expected = {"cpu",
                                       "proc.cpu.threads",
                                       "memory",
                                       "proc.memory.availableMB",
                                       "proc.memory.rssMB",
                                       "proc.memory.percent",
                                       "network.sent",
                                       "network.recv",
                                       stem + ".usagePercent",
                                       stem + ".usageGB",
                                       "disk.in",
                                       "disk.out"};
  EXPECT_EQ(keys_of(s), expected);
  EXPECT_DOUBLE_EQ(s["cpu"].get<double>(), 60.0);
  EXPECT_EQ(s["proc.cpu.threads"], 7);
  EXPECT_TRUE(s["proc.cpu.threads"].is_number_integer());
  EXPECT_DOUBLE_EQ(s["memory"].get<double>(), 25.0);
  EXPECT_DOUBLE_EQ(s["proc.memory.availableMB"].get<double>(), 6 * 1024.0);
  EXPECT_DOUBLE_EQ(s["proc.memory.rssMB"].get<double>(), 512.0);
  EXPECT_DOUBLE_EQ(s["proc.memory.percent"].get<double>(), 100.0 * 512 / (8 * 1024));
  EXPECT_EQ(s["network.sent"], 40);
  EXPECT_EQ(s["network.recv"], 300);
  // 4096 sectors of 512 bytes = 2 MiB read, 2048 = 1 MiB written; vda1 and loop0 not counted.
  EXPECT_DOUBLE_EQ(s["disk.in"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(s["disk.out"].get<double>(), 1.0);

  struct statvfs st {};
  ASSERT_EQ(::statvfs(t.root().c_str(), &st), 0);
  double used = double(st.f_blocks - st.f_bfree) * st.f_frsize;
  double avail = double(st.f_bavail) * st.f_frsize;
  EXPECT_NEAR(s[stem + ".usagePercent"].get<double>(), 100.0 * used / (used + avail), 1.0);
  EXPECT_NEAR(s[stem + ".usageGB"].get<double>(), used / (1024.0 * 1024 * 1024), 0.1);

  // The next sample measures CPU since this one: +10 busy of +40 = 25 %.
  t.write("proc/stat", proc_stat(210, 0, 120, 900, 10, 0, 0, 0, 50));
  Json next = sampler.sample();
  EXPECT_DOUBLE_EQ(next["cpu"].get<double>(), 25.0);
  EXPECT_EQ(next["network.sent"], 40);  // unchanged counters, same totals
  EXPECT_DOUBLE_EQ(next["disk.in"].get<double>(), 2.0);
}

TEST(SystemSampler, DiskRootIsTheLiteralSdkKey) {
  FakeTree t;
  SystemSampler sampler({t.proc(), t.sys(), "/"}, nullptr);
  Json s = sampler.sample();
  ASSERT_TRUE(s.contains(R"(disk.\.usagePercent)")) << s.dump();
  ASSERT_TRUE(s.contains(R"(disk.\.usageGB)"));
  EXPECT_GE(s[R"(disk.\.usagePercent)"].get<double>(), 0.0);
  EXPECT_LE(s[R"(disk.\.usagePercent)"].get<double>(), 100.0);
}

TEST(SystemSampler, ProcessCpuIsThisProcessShareOfAllCpuTime) {
  FakeTree t;
  write_full_tree(t);
  SystemSampler sampler(t.paths(), nullptr, CpuMetric::kProcess);
  // +200 jiffies over all CPUs, of which this process used 30 + 20.
  t.write("proc/stat", proc_stat(150, 0, 150, 900, 0));
  t.write("proc/self/stat", self_stat(40, 25));
  EXPECT_DOUBLE_EQ(sampler.sample()["cpu"].get<double>(), 25.0);
  // The process's counters missing: no cpu key, and no throw.
  t.write("proc/stat", proc_stat(300, 0, 200, 1000, 0));
  t.write("proc/self/stat", "garbage");
  EXPECT_FALSE(sampler.sample().contains("cpu"));
}

TEST(SystemSampler, CpuIsLeftOutWhenNoTimePassedOrCountersGoBack) {
  FakeTree t;
  write_full_tree(t);
  SystemSampler sampler(t.paths(), nullptr);
  EXPECT_FALSE(sampler.sample().contains("cpu"));  // same /proc/stat: nothing to measure
  t.write("proc/stat", proc_stat(0, 0, 0, 10, 0));  // counters went back (a fake, or a new boot)
  EXPECT_FALSE(sampler.sample().contains("cpu"));
  t.write("proc/stat", proc_stat(5, 0, 0, 15, 0));  // measured from the last reading
  EXPECT_DOUBLE_EQ(sampler.sample()["cpu"].get<double>(), 50.0);
}

TEST(SystemSampler, CountersNeverDecreaseWhenInterfacesAndDisksComeAndGo) {
  FakeTree t;
  write_full_tree(t);
  t.disk_with_device("vdb");
  SystemSampler sampler(t.paths(), nullptr);

  t.write("proc/net/dev", net_dev({{"eth0", 6000, 800}}));  // +1000, +100
  EXPECT_EQ(sampler.sample()["network.recv"], 1000);
  // eth1 appears (all of it counts: it did not exist before), eth0 vanishes (its 1000 stay).
  t.write("proc/net/dev", net_dev({{"eth1", 50, 5}}));
  Json s = sampler.sample();
  EXPECT_EQ(s["network.recv"], 1050);
  EXPECT_EQ(s["network.sent"], 105);
  // eth0 comes back reset to 10: its new 10 count whole.
  t.write("proc/net/dev", net_dev({{"eth0", 10, 1}, {"eth1", 50, 5}}));
  EXPECT_EQ(sampler.sample()["network.recv"], 1060);

  // A disk counter going back (device re-created) counts from its new value.
  t.write("proc/diskstats", diskstats({{"vda", 2048 + 2048, 4096}}));
  EXPECT_DOUBLE_EQ(sampler.sample()["disk.in"].get<double>(), 1.0);
  t.write("proc/diskstats", diskstats({{"vda", 2048, 0}, {"vdb", 2048, 0}}));
  EXPECT_DOUBLE_EQ(sampler.sample()["disk.in"].get<double>(), 3.0);
}

TEST(SystemSampler, WithoutSysBlockGuessesWholeDisksFromNames) {
  FakeTree t;  // no sys/block
  const std::vector<std::string> counted = {"sda", "vdb", "xvda", "nvme0n1", "mmcblk0", "sr0"};
  const std::vector<std::string> skipped = {"sda1",  "vdb2",      "xvda1", "nvme0n1p1", "mmcblk0p2",
                                            "loop3", "ram0",      "zram0", "dm-0",      "md127",
                                            "nbd0"};
  std::vector<std::tuple<std::string, unsigned long long, unsigned long long>> zero, after;
  for (const auto& n : counted) zero.emplace_back(n, 0, 0), after.emplace_back(n, 2048, 0);
  for (const auto& n : skipped) zero.emplace_back(n, 0, 0), after.emplace_back(n, 2048 * 100, 0);
  t.write("proc/diskstats", diskstats(zero));
  SystemSampler sampler(t.paths(), nullptr);
  t.write("proc/diskstats", diskstats(after));
  // Each counted disk read 1 MiB.
  EXPECT_DOUBLE_EQ(sampler.sample()["disk.in"].get<double>(), double(counted.size()));
}

TEST(SystemSampler, CounterFilesUnreadableAtConstructionStartAtTheFirstReading) {
  FakeTree t;
  SystemSampler sampler(t.paths(), nullptr);
  Json s = sampler.sample();
  for (const char* key : {"cpu", "proc.cpu.threads", "memory", "proc.memory.availableMB", "proc.memory.rssMB",
                          "proc.memory.percent", "network.sent", "network.recv", "disk.in", "disk.out"}) {
    EXPECT_FALSE(s.contains(key)) << key;
  }
  EXPECT_EQ(s.size(), 2u) << s.dump();  // the disk usage of a real path only
  write_full_tree(t);
  s = sampler.sample();
  EXPECT_EQ(s["network.recv"], 0);
  EXPECT_FALSE(s.contains("cpu"));  // baseline taken now
  t.write("proc/net/dev", net_dev({{"eth0", 5100, 700}}));
  EXPECT_EQ(sampler.sample()["network.recv"], 100);
}

TEST(SystemSampler, MalformedFilesDropTheirKeysOnly) {
  FakeTree t;
  write_full_tree(t);
  SystemSampler sampler(t.paths(), nullptr);
  t.write("proc/meminfo", "MemTotal: 0 kB\nMemAvailable: 10 kB\n");  // no total: no percentages
  t.write("proc/self/status", "Threads: many\nVmRSS: 100 kB\n");
  t.write("proc/net/dev", "");
  t.write("proc/diskstats", "not a diskstats line\n\n\x01\x02\n");
  Json s = sampler.sample();
  EXPECT_FALSE(s.contains("memory"));
  EXPECT_FALSE(s.contains("proc.memory.percent"));
  EXPECT_DOUBLE_EQ(s["proc.memory.availableMB"].get<double>(), 10.0 / 1024);
  EXPECT_FALSE(s.contains("proc.cpu.threads"));
  EXPECT_DOUBLE_EQ(s["proc.memory.rssMB"].get<double>(), 100.0 / 1024);
  EXPECT_FALSE(s.contains("network.sent"));
  EXPECT_FALSE(s.contains("disk.in"));

  // A folder where a file should be, a percentage over 100 (available > total).
  fs::remove(fs::path(t.proc()) / "stat");
  fs::create_directories(fs::path(t.proc()) / "stat");
  t.write("proc/meminfo", meminfo(100, 50));
  t.write("proc/self/status", status(3, 400));
  s = sampler.sample();
  EXPECT_FALSE(s.contains("cpu"));
  EXPECT_DOUBLE_EQ(s["proc.memory.percent"].get<double>(), 100.0);  // clamped
}

TEST(SystemSampler, SurvivesRandomAndMutatedFiles) {
  FakeTree t;
  write_full_tree(t);
  const std::vector<std::string> files = {"proc/stat",     "proc/self/stat", "proc/meminfo",
                                          "proc/self/status", "proc/net/dev",  "proc/diskstats"};
  std::vector<std::string> valid;
  for (const auto& f : files) {
    std::ifstream in(fs::path(t.root()) / f, std::ios::binary);
    valid.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  SystemSampler system(t.paths(), nullptr);
  SystemSampler process(t.paths(), nullptr, CpuMetric::kProcess);
  std::mt19937 rng(12345);
  static const char letters[] = "0123456789 \t\n:-()kBcpulo.eth\x00\xff";
  const std::string alphabet(letters, sizeof letters - 1);
  int checked = 0;
  for (int round = 0; round < 100; ++round) {
    for (std::size_t i = 0; i < files.size(); ++i) {
      std::string text = valid[i];
      switch (rng() % 4) {
        case 0:  // random bytes
          text.assign(rng() % 200, '\0');
          for (char& c : text) c = alphabet[rng() % alphabet.size()];
          break;
        case 1:  // mutate some characters
          for (int k = 0; k < 5 && !text.empty(); ++k) text[rng() % text.size()] = alphabet[rng() % alphabet.size()];
          break;
        case 2:  // truncate
          text.resize(text.empty() ? 0 : rng() % text.size());
          break;
        default:  // keep valid, with huge numbers
          if (rng() % 2) text = "cpu 18446744073709551615 18446744073709551615 1 1\n";
          break;
      }
      t.write(files[i], text);
    }
    for (SystemSampler* sampler : {&system, &process}) {
      Json s;
      ASSERT_NO_THROW(s = sampler->sample());
      for (auto it = s.begin(); it != s.end(); ++it) {
        ASSERT_TRUE(it.value().is_number()) << it.key();
        double v = it.value().get<double>();
        ASSERT_TRUE(std::isfinite(v)) << it.key();
        ASSERT_GE(v, 0.0) << it.key();
        if (it.key() == "cpu" || it.key() == "memory" || it.key() == "proc.memory.percent") {
          ASSERT_LE(v, 100.0) << it.key();
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 0);
}

// ---------------------------------------------------------------------------
// GPUs through the GpuSource interface

class FakeGpus : public GpuSource {
 public:
  int count() override { return 2; }
  std::optional<std::string> name(int index) override {
    return index == 0 ? std::optional<std::string>("NVIDIA A100-SXM4-40GB") : std::nullopt;
  }
  GpuReading read(int index) override {
    if (index == 1) {
      if (throw_on_1) throw std::runtime_error("device fell off the bus");
      GpuReading r;
      r.temperature_c = 40;
      r.utilization_percent = std::nan("");
      r.power_watts = 50;  // no limit: no powerPercent
      return r;
    }
    GpuReading r;
    r.utilization_percent = 87;
    r.memory_utilization_percent = 30;
    r.memory_used_bytes = 10ull << 30;
    r.memory_total_bytes = 40ull << 30;
    r.temperature_c = 65;
    r.power_watts = 250.5;
    r.power_limit_watts = 400;
    return r;
  }
  std::optional<int> cuda_driver_version() override { return 12020; }
  bool throw_on_1 = false;
};

TEST(SystemSampler, GpuKeysNamesAndUnits) {
  FakeTree t;
  auto owned = std::make_unique<FakeGpus>();
  FakeGpus* gpus = owned.get();
  SystemSampler sampler(t.paths(), std::move(owned));
  Json s = sampler.sample();
  std::vector<std::string> gpu_keys;
  for (const auto& k : keys_of(s)) {
    if (k.rfind("gpu.", 0) == 0) gpu_keys.push_back(k);
  }
  EXPECT_EQ(gpu_keys, (std::vector<std::string>{"gpu.0.gpu", "gpu.0.memory", "gpu.0.memoryAllocated",
                                                "gpu.0.memoryAllocatedBytes", "gpu.0.temp", "gpu.0.powerWatts",
                                                "gpu.0.powerPercent", "gpu.1.temp", "gpu.1.powerWatts"}));
  EXPECT_DOUBLE_EQ(s["gpu.0.gpu"].get<double>(), 87);
  EXPECT_DOUBLE_EQ(s["gpu.0.memory"].get<double>(), 30);
  EXPECT_DOUBLE_EQ(s["gpu.0.memoryAllocated"].get<double>(), 25);
  EXPECT_EQ(s["gpu.0.memoryAllocatedBytes"], 10ull << 30);
  EXPECT_DOUBLE_EQ(s["gpu.0.temp"].get<double>(), 65);
  EXPECT_DOUBLE_EQ(s["gpu.0.powerWatts"].get<double>(), 250.5);
  EXPECT_DOUBLE_EQ(s["gpu.0.powerPercent"].get<double>(), 100 * 250.5 / 400);

  gpus->throw_on_1 = true;  // one failing device loses its keys, not the others'
  s = sampler.sample();
  EXPECT_TRUE(s.contains("gpu.0.gpu"));
  EXPECT_FALSE(s.contains("gpu.1.temp"));
}

// ---------------------------------------------------------------------------
// NVML through fake entry points

namespace fake_nvml {
int init_calls = 0, shutdown_calls = 0;
nvml::Return init_result = nvml::kSuccess;
unsigned device_count = 2;
int devices[2];
nvml::Device handle(int i) { return reinterpret_cast<nvml::Device>(&devices[i]); }
int index_of(nvml::Device d) { return d == handle(0) ? 0 : d == handle(1) ? 1 : -1; }

nvml::Return init() { ++init_calls; return init_result; }
nvml::Return shutdown() { ++shutdown_calls; return nvml::kSuccess; }
nvml::Return get_count(unsigned* n) { *n = device_count; return nvml::kSuccess; }
nvml::Return get_handle(unsigned i, nvml::Device* d) {
  if (i == 1) return 999;  // NVML_ERROR_UNKNOWN: this device is skipped
  *d = handle(int(i));
  return nvml::kSuccess;
}
nvml::Return get_name(nvml::Device d, char* buffer, unsigned size) {
  if (index_of(d) != 0 || size < nvml::kNameBufferSize) return 3;
  std::snprintf(buffer, size, "NVIDIA GeForce RTX 4090");
  return nvml::kSuccess;
}
nvml::Return get_memory(nvml::Device, nvml::Memory* m) {
  *m = {24ull << 30, 20ull << 30, 4ull << 30};
  return nvml::kSuccess;
}
nvml::Return get_utilization(nvml::Device, nvml::Utilization* u) {
  *u = {55, 12};
  return nvml::kSuccess;
}
nvml::Return get_temperature(nvml::Device, int sensor, unsigned* t) {
  if (sensor != nvml::kTemperatureGpu) return 2;
  *t = 71;
  return nvml::kSuccess;
}
nvml::Return get_power(nvml::Device, unsigned* mw) { *mw = 123456; return nvml::kSuccess; }
nvml::Return get_power_limit(nvml::Device, unsigned*) { return 3; }  // NOT_SUPPORTED
nvml::Return get_cuda_version(int* v) { *v = 12040; return nvml::kSuccess; }

NvmlApi api() {
  NvmlApi a;
  a.init = init;
  a.shutdown = shutdown;
  a.get_count = get_count;
  a.get_handle = get_handle;
  a.get_name = get_name;
  a.get_memory = get_memory;
  a.get_utilization = get_utilization;
  a.get_temperature = get_temperature;
  a.get_power = get_power;
  a.get_power_limit = get_power_limit;
  a.get_cuda_version = get_cuda_version;
  return a;
}
void reset() {
  init_calls = shutdown_calls = 0;
  init_result = nvml::kSuccess;
  device_count = 2;
}
}  // namespace fake_nvml

TEST(Nvml, ConvertsNvmlUnitsAndSkipsWhatFails) {
  fake_nvml::reset();
  {
    auto gpus = nvml_gpus(fake_nvml::api());
    ASSERT_NE(gpus, nullptr);
    EXPECT_EQ(fake_nvml::init_calls, 1);
    EXPECT_EQ(gpus->count(), 1);  // device 1 had no handle
    EXPECT_EQ(gpus->name(0), "NVIDIA GeForce RTX 4090");
    EXPECT_EQ(gpus->name(5), std::nullopt);
    GpuReading r = gpus->read(0);
    EXPECT_EQ(r.utilization_percent, 55);
    EXPECT_EQ(r.memory_utilization_percent, 12);
    EXPECT_EQ(r.memory_used_bytes, 4ull << 30);
    EXPECT_EQ(r.memory_total_bytes, 24ull << 30);
    EXPECT_EQ(r.temperature_c, 71);
    EXPECT_DOUBLE_EQ(*r.power_watts, 123.456);
    EXPECT_EQ(r.power_limit_watts, std::nullopt);
    EXPECT_EQ(gpus->cuda_driver_version(), 12040);
    EXPECT_EQ(fake_nvml::shutdown_calls, 0);
  }
  EXPECT_EQ(fake_nvml::shutdown_calls, 1);
}

TEST(Nvml, OptionalEntryPointsMayBeMissing) {
  fake_nvml::reset();
  NvmlApi a = fake_nvml::api();
  a.get_name = nullptr;
  a.get_power = nullptr;
  a.get_cuda_version = nullptr;
  auto gpus = nvml_gpus(a);
  ASSERT_NE(gpus, nullptr);
  EXPECT_EQ(gpus->name(0), std::nullopt);
  EXPECT_EQ(gpus->read(0).power_watts, std::nullopt);
  EXPECT_EQ(gpus->read(0).temperature_c, 71);
  EXPECT_EQ(gpus->cuda_driver_version(), std::nullopt);
}

TEST(Nvml, NoSourceWhenInitFailsThereIsNoDeviceOrARequiredCallIsMissing) {
  fake_nvml::reset();
  fake_nvml::init_result = 9;  // NVML_ERROR_DRIVER_NOT_LOADED
  EXPECT_EQ(nvml_gpus(fake_nvml::api()), nullptr);
  EXPECT_EQ(fake_nvml::shutdown_calls, 0);

  fake_nvml::reset();
  fake_nvml::device_count = 0;
  EXPECT_EQ(nvml_gpus(fake_nvml::api()), nullptr);
  EXPECT_EQ(fake_nvml::shutdown_calls, 1);  // initialised, so shut down

  fake_nvml::reset();
  NvmlApi a = fake_nvml::api();
  a.get_handle = nullptr;
  EXPECT_EQ(nvml_gpus(a), nullptr);
  EXPECT_EQ(fake_nvml::init_calls, 0);
}

TEST(Nvml, AbsentOrWrongLibraryGivesNoSource) {
  EXPECT_EQ(nvml_gpus("libwandb-no-such-library.so.1"), nullptr);
  EXPECT_EQ(nvml_gpus("libm.so.6"), nullptr);  // loads, has no NVML symbols
  // This machine has no NVIDIA driver: the default also gives none, silently.
  if (::access("/proc/driver/nvidia/version", F_OK) != 0) {
    EXPECT_EQ(nvml_gpus(), nullptr);
  }
}

// ---------------------------------------------------------------------------
// Metadata

TEST(SystemMetadata, ReadsEveryFieldFromAFakeTree) {
  FakeTree t;
  static const char cmdline[] = "./train\0--epochs\0" "3\0\0x y\0";
  t.write("proc/self/cmdline", std::string(cmdline, sizeof cmdline - 1));
  fs::create_symlink("/opt/bin/train", fs::path(t.proc()) / "self/exe");
  // 2 sockets x 2 cores x 2 threads.
  std::string cpuinfo;
  int processor = 0;
  for (int socket = 0; socket < 2; ++socket) {
    for (int core = 0; core < 2; ++core) {
      for (int thread = 0; thread < 2; ++thread) {
        ++processor;
        cpuinfo += "processor\t: " + std::to_string(processor - 1) + "\nmodel name\t: Fake CPU @ 3.00GHz\n" +
                   "cpu MHz\t\t: " + (processor % 2 ? "1000.000" : "3000.000") + "\nphysical id\t: " +
                   std::to_string(socket) + "\ncore id\t\t: " + std::to_string(core) + "\n\n";
      }
    }
  }
  t.write("proc/cpuinfo", cpuinfo);
  t.write("proc/meminfo", meminfo(16 * 1024 * 1024, 1000));
  t.write("sys/devices/system/cpu/online", "0-5,7\n");
  t.write("sys/devices/system/cpu/cpu0/cpufreq/scaling_min_freq", "800000\n");
  t.write("sys/devices/system/cpu/cpu0/cpufreq/scaling_max_freq", "4000000\n");
  t.write("sys/devices/system/cpu/cpu1/cpufreq/cpuinfo_min_freq", "1200000\n");  // the fallback
  t.write("sys/devices/system/cpu/cpu1/cpufreq/scaling_max_freq", "5000000\n");
  t.write("sys/devices/system/cpu/cpufreq/policy0/scaling_max_freq", "1\n");  // not a cpuN folder

  auto started = system_clock::time_point{std::chrono::seconds(1796315112)} + std::chrono::microseconds(5);
  FakeGpus gpus;
  Json extra = {{"wandb_image", "0.3.0"}, {"libtorch", "2.4.1"}, {"state", "custom"}};
  auto before = system_clock::now();
  Json m = system_metadata(t.paths(), extra, started, &gpus);

  EXPECT_EQ(keys_of(m), (std::vector<std::string>{"os", "startedAt", "heartbeatAt", "args", "state", "program",
                                                   "host", "username", "executable", "cpu_count",
                                                   "cpu_count_logical", "cpu_freq", "gpu", "gpu_count",
                                                   "gpu_nvidia", "cuda", "disk", "memory", "wandb_image",
                                                   "libtorch"}));
  struct utsname u {};
  ASSERT_EQ(::uname(&u), 0);
  EXPECT_EQ(m["os"].get<std::string>().rfind(std::string(u.sysname) + "-" + u.release + "-" + u.machine +
                                                 "-with-glibc",
                                             0),
            0u)
      << m["os"];
  EXPECT_EQ(m["startedAt"], "2026-12-03T16:25:12.000005Z");
  EXPECT_GE(m["heartbeatAt"].get<std::string>(), iso8601_utc(before));
  EXPECT_EQ(m["args"], Json::array({"--epochs", "3", "", "x y"}));
  EXPECT_EQ(m["state"], "custom");  // extra replaces, in place
  EXPECT_EQ(m["program"], "./train");
  EXPECT_EQ(m["host"], u.nodename);
  EXPECT_FALSE(m["username"].get<std::string>().empty());
  EXPECT_EQ(m["executable"], "/opt/bin/train");
  EXPECT_EQ(m["cpu_count"], 4);
  EXPECT_EQ(m["cpu_count_logical"], 7);
  EXPECT_DOUBLE_EQ(m["cpu_freq"]["current"].get<double>(), 2000.0);
  EXPECT_DOUBLE_EQ(m["cpu_freq"]["min"].get<double>(), 1000.0);
  EXPECT_DOUBLE_EQ(m["cpu_freq"]["max"].get<double>(), 4500.0);
  EXPECT_EQ(m["gpu"], "NVIDIA A100-SXM4-40GB");
  EXPECT_EQ(m["gpu_count"], 2);
  EXPECT_EQ(m["gpu_nvidia"], Json::parse(R"([{"name": "NVIDIA A100-SXM4-40GB", "memory_total": 42949672960}, {}])"));
  EXPECT_EQ(m["cuda"], "12.2");
  ASSERT_TRUE(m["disk"].contains(t.root()));
  EXPECT_GT(m["disk"][t.root()]["total"].get<std::uint64_t>(), 0u);
  EXPECT_LE(m["disk"][t.root()]["used"].get<std::uint64_t>(), m["disk"][t.root()]["total"].get<std::uint64_t>());
  EXPECT_EQ(m["memory"], Json({{"total", 16ull << 30}}));
  EXPECT_EQ(m["wandb_image"], "0.3.0");
}

TEST(SystemMetadata, MissingFilesLeaveTheirKeysOut) {
  FakeTree t;  // empty proc and sys
  Json m = system_metadata({t.proc(), t.sys(), t.root() + "/no-such-folder"}, nullptr, system_clock::now(), nullptr);
  EXPECT_EQ(m["args"], Json::array());
  EXPECT_EQ(m["state"], "running");
  for (const char* key : {"program", "executable", "cpu_freq", "gpu", "gpu_count", "gpu_nvidia", "cuda", "disk",
                          "memory"}) {
    EXPECT_FALSE(m.contains(key)) << key;
  }
  // Without cpuinfo or sys, both counts fall back to the online CPUs sysconf gives.
  long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  EXPECT_EQ(m["cpu_count_logical"], online);
  EXPECT_EQ(m["cpu_count"], online);
}

TEST(SystemMetadata, CpuInfoWithoutTopologyAndOddContent) {
  FakeTree t;
  t.write("proc/cpuinfo", "processor : 0\ncpu MHz : fast\nprocessor : 1\ncpu MHz : 1500\n\x01garbage\n");
  t.write("sys/devices/system/cpu/online", "7-3\n");  // malformed: processors counted instead
  t.write("proc/self/cmdline", "");
  t.write("proc/meminfo", "MemTotal: lots\n");
  Json m = system_metadata(t.paths(), Json::object(), system_clock::now(), nullptr);
  EXPECT_EQ(m["cpu_count_logical"], 2);
  EXPECT_EQ(m["cpu_count"], 2);  // no (physical id, core id): logical
  EXPECT_EQ(m["cpu_freq"], Json({{"current", 1500.0}}));
  EXPECT_EQ(m["args"], Json::array());
  EXPECT_FALSE(m.contains("program"));
  EXPECT_FALSE(m.contains("memory"));
}

TEST(SystemMetadata, ExtraMustBeAnObject) {
  FakeTree t;
  try {
    system_metadata(t.paths(), Json::array({1}), system_clock::now(), nullptr);
    FAIL() << "no exception";
  } catch (const TypeError& e) {
    EXPECT_STREQ(e.what(), "system_metadata extra: expected a JSON object, got array");
  }
}

TEST(SystemMetadata, AFailingGpuSourceDropsOnlyTheGpuKeys) {
  struct Broken : FakeGpus {
    std::optional<std::string> name(int) override { throw std::runtime_error("nvml gone"); }
  } gpus;
  FakeTree t;
  Json m = system_metadata(t.paths(), nullptr, system_clock::now(), &gpus);
  EXPECT_FALSE(m.contains("gpu_count"));
  EXPECT_EQ(m["state"], "running");
}

// ---------------------------------------------------------------------------
// The real machine

TEST(RealMachine, MetadataHasTheSdkKeys) {
  Json m = system_metadata({}, nullptr, system_clock::now(), nullptr);
  for (const char* key : {"os", "startedAt", "heartbeatAt", "args", "state", "program", "host", "username",
                          "executable", "cpu_count", "cpu_count_logical", "disk", "memory"}) {
    EXPECT_TRUE(m.contains(key)) << key << " in " << m.dump();
  }
  EXPECT_NE(m["os"].get<std::string>().find("-with-glibc"), std::string::npos);
  EXPECT_GE(m["cpu_count_logical"].get<int>(), 1);
  EXPECT_GE(m["cpu_count"].get<int>(), 1);
  EXPECT_LE(m["cpu_count"].get<int>(), m["cpu_count_logical"].get<int>());
  EXPECT_EQ(m["executable"], fs::read_symlink("/proc/self/exe").string());
  EXPECT_GT(m["memory"]["total"].get<std::uint64_t>(), 1ull << 20);
  EXPECT_GT(m["disk"]["/"]["total"].get<std::uint64_t>(), 0u);
  std::cout << "metadata: " << m.dump() << "\n";
}

TEST(RealMachine, SampleHasSaneValues) {
  SystemSampler sampler({}, nullptr);
  Json s;
  // "cpu" needs the kernel's CPU clock to tick between readings; wait for it
  // (bounded), without asserting anything about how long that takes.
  for (int i = 0; i < 200 && !s.contains("cpu"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    s = sampler.sample();
  }
  for (const char* key : {"cpu", "proc.cpu.threads", "memory", "proc.memory.availableMB", "proc.memory.rssMB",
                          "proc.memory.percent", "network.sent", "network.recv", R"(disk.\.usagePercent)",
                          R"(disk.\.usageGB)", "disk.in", "disk.out"}) {
    EXPECT_TRUE(s.contains(key)) << key << " in " << s.dump();
  }
  for (const char* key : {"cpu", "memory", "proc.memory.percent", R"(disk.\.usagePercent)"}) {
    EXPECT_GE(s.value(key, -1.0), 0.0) << key;
    EXPECT_LE(s.value(key, 101.0), 100.0) << key;
  }
  EXPECT_GE(s.value("proc.cpu.threads", 0), 1);
  EXPECT_GT(s.value("proc.memory.rssMB", 0.0), 0.1);
  EXPECT_GT(s.value("proc.memory.availableMB", 0.0), 1.0);
  EXPECT_GE(s.value("network.sent", -1), 0);
  EXPECT_GE(s.value("disk.in", -1.0), 0.0);
  std::cout << "sample: " << s.dump() << "\n";
}

}  // namespace
}  // namespace wandb::detail

namespace wandb::detail {
namespace {

// Pins the calling thread to its first allowed CPU for the scope.
class PinnedToOneCpu {
 public:
  PinnedToOneCpu() {
    CPU_ZERO(&old_);
    ok_ = ::sched_getaffinity(0, sizeof old_, &old_) == 0;
    cpu_set_t one;
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE && ok_; ++c) {
      if (CPU_ISSET(c, &old_)) {
        CPU_SET(c, &one);
        break;
      }
    }
    ok_ = ok_ && ::sched_setaffinity(0, sizeof one, &one) == 0;
  }
  ~PinnedToOneCpu() {
    if (ok_) ::sched_setaffinity(0, sizeof old_, &old_);
  }
  bool ok() const { return ok_; }

 private:
  cpu_set_t old_;
  bool ok_ = false;
};

TEST(UsableCpus, CgroupQuotaText) {
  EXPECT_EQ(cpu_max_cpus("max 100000\n"), std::nullopt);
  EXPECT_EQ(cpu_max_cpus("150000 100000\n"), 2);  // 1.5 CPUs: rounded up
  EXPECT_EQ(cpu_max_cpus("50000 100000"), 1);
  EXPECT_EQ(cpu_max_cpus("400000 100000"), 4);
  EXPECT_EQ(cpu_max_cpus("-1 100000"), std::nullopt);  // cgroup v1's "no limit"
  EXPECT_EQ(cpu_max_cpus("garbage"), std::nullopt);
  EXPECT_EQ(cpu_max_cpus(""), std::nullopt);
}

TEST(UsableCpus, AffinityAndQuotaBothLimit) {
  FakeTree tree;  // no cgroup files: the affinity mask alone
  const int all = usable_cpus(tree.paths());
  EXPECT_GE(all, 1);
  {
    PinnedToOneCpu pinned;
    ASSERT_TRUE(pinned.ok());
    EXPECT_EQ(usable_cpus(tree.paths()), 1);
  }
  EXPECT_EQ(usable_cpus(tree.paths()), all);
  tree.write("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "100000\n");  // cgroup v1: 1 CPU
  tree.write("sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(usable_cpus(tree.paths()), 1);
  tree.write("sys/fs/cgroup/cpu.max", "max 100000\n");  // v2 wins: no limit
  EXPECT_EQ(usable_cpus(tree.paths()), all);
  tree.write("sys/fs/cgroup/cpu.max", "100 100000\n");  // a sliver of a CPU: still 1
  EXPECT_EQ(usable_cpus(tree.paths()), 1);
}

}  // namespace
}  // namespace wandb::detail
