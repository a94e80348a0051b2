// The .wandb file: byte layout (header, chunks, blocks, CRC), the reader's
// handling of torn and corrupt files, writer errors, the line between the
// framing (opaque payloads) and the records it carries, and the
// wandb-image-inspect tool.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "detail/log_format.h"
#include "detail/log_reader.h"
#include "detail/log_writer.h"
#include "detail/run_record.h"
#include "test_support.h"
#include "wandb/errors.h"
#include "wandb/run_file.h"

namespace {

namespace fs = std::filesystem;
using wandb::detail::append_record;
using wandb::detail::append_records;
using wandb::detail::RunFileWriter;
using wandb_internal::Record;

constexpr int64_t kBlock = 32768;
const std::string kHeader("\x3A\x57\x26\x42\xE1\xBE\x00", 7);

uint32_t u32_at(const std::string& bytes, int64_t pos) {
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data() + pos);
  return uint32_t{u[0]} | uint32_t{u[1]} << 8 | uint32_t{u[2]} << 16 | uint32_t{u[3]} << 24;
}

int u16_at(const std::string& bytes, int64_t pos) {
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data() + pos);
  return u[0] | u[1] << 8;
}

// Computed here with zlib, independently of the library's chunk_crc.
uint32_t zlib_crc(int type, const std::string& payload) {
  std::string data(1, static_cast<char>(type));
  data += payload;
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

struct Chunk {
  int64_t offset;
  int type;
  std::string payload;
  bool crc_ok;
};

// A minimal chunk walker for checking layout; asserts the block rules.
std::vector<Chunk> walk_chunks(const std::string& bytes) {
  std::vector<Chunk> chunks;
  int64_t pos = 7;
  const auto size = static_cast<int64_t>(bytes.size());
  while (pos < size) {
    const int64_t left = kBlock - pos % kBlock;
    if (left < 7) {
      EXPECT_EQ(bytes.substr(pos, left), std::string(left, '\0')) << "padding at " << pos;
      pos += left;
      continue;
    }
    Chunk c{pos, static_cast<unsigned char>(bytes[pos + 6]), {}, false};
    const int length = u16_at(bytes, pos + 4);
    EXPECT_LE(length, left - 7) << "chunk at " << pos << " crosses its block";
    c.payload = bytes.substr(pos + 7, length);
    c.crc_ok = zlib_crc(c.type, c.payload) == u32_at(bytes, pos);
    chunks.push_back(c);
    pos += 7 + length;
  }
  EXPECT_EQ(pos, size) << "bytes after the last chunk";
  return chunks;
}

Record history_record(int64_t num, int64_t step, const std::string& value) {
  Record r;
  r.set_num(num);
  auto* h = r.mutable_history();
  h->mutable_step()->set_num(step);
  auto* item = h->add_item();
  item->set_key("k");
  item->set_value_json(value);
  return r;
}

// A history record whose serialised size is exactly `size` bytes.
Record sized_record(int64_t num, size_t size) {
  Record r = history_record(num, 0, "");
  auto* item = r.mutable_history()->mutable_item(0);
  size_t fill = size;
  for (int i = 0; i < 10; ++i) {
    item->set_value_json(std::string(fill, 'x'));
    const size_t got = r.ByteSizeLong();
    if (got == size) return r;
    fill = got > size ? fill - std::min(fill, got - size) : fill + (size - got);
  }
  // Varint length prefixes can skip a size: try the step field to absorb it.
  r.mutable_history()->mutable_step()->set_num(1);
  item->set_value_json(std::string(fill > 1 ? fill - 1 : 0, 'x'));
  if (r.ByteSizeLong() != size)
    throw std::runtime_error("cannot size record " + std::to_string(size));
  return r;
}

Record final_record() {
  Record r;
  r.mutable_final();
  return r;
}

std::vector<Record> every_record_type() {
  std::vector<Record> records;
  Record header;
  header.set_num(1);
  header.mutable_header()->mutable_version_info()->set_producer("wandb-image 0.1.0");
  header.mutable_header()->mutable_version_info()->set_min_consumer("0.10.0");
  records.push_back(header);

  Record run;
  run.set_num(2);
  auto* r = run.mutable_run();
  r->set_run_id("ab12cd34");
  r->set_entity("me");
  r->set_project("proj");
  r->set_run_group("g");
  r->set_job_type("train");
  r->set_display_name("name");
  r->set_notes("notes");
  r->add_tags("a");
  r->add_tags("b");
  r->set_host("host");
  r->set_starting_step(5000000000LL);
  r->mutable_start_time()->set_seconds(1700000000);
  r->mutable_start_time()->set_nanos(5);
  r->set_runtime(7);
  records.push_back(run);

  Record config;
  config.set_num(3);
  auto* up = config.mutable_config()->add_update();
  up->set_key("lr");
  up->set_value_json("0.001");
  auto* nested = config.mutable_config()->add_update();
  nested->add_nested_key("opt");
  nested->add_nested_key("beta");
  nested->set_value_json("[0.9, 0.99]");
  config.mutable_config()->add_remove()->set_key("old");
  records.push_back(config);

  Record files;
  files.set_num(4);
  auto* f = files.mutable_files()->add_files();
  f->set_path("media/images/img_0_abc.png");
  f->set_policy(wandb_internal::FilesItem::END);
  f->set_type(wandb_internal::FilesItem::MEDIA);
  files.mutable_files()->add_files()->set_path("media/x.json");  // NOW, OTHER: defaults
  records.push_back(files);

  records.push_back(history_record(5, 3, R"({"_type": "image-file", "path": "p"})"));

  Record summary;
  summary.set_num(6);
  auto* s = summary.mutable_summary()->add_update();
  s->set_key("loss");
  s->set_value_json("NaN");
  summary.mutable_summary()->add_remove()->set_key("gone");
  records.push_back(summary);

  Record exit;
  exit.set_num(7);
  exit.mutable_exit()->set_exit_code(-1);
  exit.mutable_exit()->set_runtime(12);
  records.push_back(exit);

  Record control;
  control.set_num(8);
  control.mutable_control();
  records.push_back(control);

  records.push_back(final_record());
  return records;
}

// Writes `records` to a new file; returns the file size after each record.
std::vector<int64_t> write_records(const fs::path& path, const std::vector<Record>& records) {
  RunFileWriter writer(path.string());
  std::vector<int64_t> ends;
  for (const auto& r : records) {
    append_record(writer, r);
    ends.push_back(writer.size());
  }
  return ends;
}

void flip_byte(const fs::path& path, int64_t offset) {
  std::string bytes = wandb::test::file_text(path);
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0x40);
  wandb::test::write_bytes(path, bytes);
}

// ---- Writer: byte layout ----------------------------------------------------------

TEST(RunFileWriterTest, NewFileHoldsExactlyTheHeader) {
  wandb::test::TempDir dir;
  RunFileWriter writer((dir / "run.wandb").string());
  EXPECT_EQ(writer.size(), 7);
  EXPECT_EQ(wandb::test::file_text(dir / "run.wandb"), kHeader);
  EXPECT_EQ(std::string(wandb::detail::kRunFileHeader), kHeader);
}

TEST(RunFileWriterTest, SmallRecordIsOneFullChunkWithZlibCrcOverTypeAndPayload) {
  wandb::test::TempDir dir;
  const Record r = history_record(1, 0, "0.5");
  RunFileWriter writer((dir / "run.wandb").string());
  EXPECT_EQ(append_record(writer, r), 7);
  const std::string bytes = wandb::test::file_text(dir / "run.wandb");
  const std::string payload = r.SerializeAsString();
  ASSERT_EQ(bytes.size(), 7 + 7 + payload.size());
  EXPECT_EQ(bytes.substr(0, 7), kHeader);
  EXPECT_EQ(u32_at(bytes, 7), zlib_crc(1, payload));  // plain, not masked
  EXPECT_EQ(u16_at(bytes, 11), static_cast<int>(payload.size()));
  EXPECT_EQ(bytes[13], 1);  // FULL
  EXPECT_EQ(bytes.substr(14), payload);
  EXPECT_EQ(writer.size(), static_cast<int64_t>(bytes.size()));
  EXPECT_EQ(wandb::detail::chunk_crc(wandb::detail::ChunkType::kFull, payload),
            zlib_crc(1, payload));
}

TEST(RunFileWriterTest, FinalRecordIsA20100) {
  EXPECT_EQ(wandb::detail::serialize_record(final_record()), std::string("\xA2\x01\x00", 3));
  wandb::test::TempDir dir;
  write_records(dir / "run.wandb", {final_record()});
  const std::string bytes = wandb::test::file_text(dir / "run.wandb");
  const std::string payload("\xA2\x01\x00", 3);
  std::string chunk(7, '\0');
  const uint32_t crc = zlib_crc(1, payload);
  for (int i = 0; i < 4; ++i) chunk[i] = static_cast<char>(crc >> (8 * i));
  chunk[4] = 3;
  chunk[6] = 1;
  EXPECT_EQ(bytes, kHeader + chunk + payload);
}

TEST(RunFileWriterTest, RecordLargerThanTwoBlocksIsSplitFirstMiddleLast) {
  wandb::test::TempDir dir;
  const Record big = sized_record(1, 3 * kBlock + 5000);
  const std::string payload = big.SerializeAsString();
  write_records(dir / "run.wandb", {big, history_record(2, 1, "1")});
  const std::string bytes = wandb::test::file_text(dir / "run.wandb");
  const auto chunks = walk_chunks(bytes);
  ASSERT_EQ(chunks.size(), 5u);
  EXPECT_EQ(chunks[0].offset, 7);
  EXPECT_EQ(chunks[0].type, 2);  // FIRST fills block 0
  EXPECT_EQ(chunks[0].payload.size(), static_cast<size_t>(kBlock - 14));
  EXPECT_EQ(chunks[1].offset, kBlock);
  EXPECT_EQ(chunks[1].type, 3);  // MIDDLE fills block 1
  EXPECT_EQ(chunks[1].payload.size(), static_cast<size_t>(kBlock - 7));
  EXPECT_EQ(chunks[2].offset, 2 * kBlock);
  EXPECT_EQ(chunks[2].type, 3);  // MIDDLE fills block 2
  EXPECT_EQ(chunks[3].offset, 3 * kBlock);
  EXPECT_EQ(chunks[3].type, 4);  // LAST
  EXPECT_EQ(chunks[4].type, 1);  // the next record follows directly
  EXPECT_EQ(chunks[4].offset, 3 * kBlock + 7 + static_cast<int64_t>(chunks[3].payload.size()));
  for (const auto& c : chunks) EXPECT_TRUE(c.crc_ok) << "chunk at " << c.offset;
  EXPECT_EQ(chunks[0].payload + chunks[1].payload + chunks[2].payload + chunks[3].payload, payload);

  const auto contents = wandb::read_run_file((dir / "run.wandb").string());
  ASSERT_EQ(contents.records.size(), 2u);
  EXPECT_EQ(contents.records[0].payload, payload);
  EXPECT_EQ(contents.records[0].offset, 7);
  EXPECT_EQ(contents.records[1].offset, chunks[4].offset);
  EXPECT_FALSE(contents.torn_tail);
}

TEST(RunFileWriterTest, RecordJustOverOneBlockIsFirstAndLast) {
  wandb::test::TempDir dir;
  write_records(dir / "run.wandb", {sized_record(1, kBlock - 14 + 1)});
  const auto chunks = walk_chunks(wandb::test::file_text(dir / "run.wandb"));
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].type, 2);
  EXPECT_EQ(chunks[1].type, 4);
  EXPECT_EQ(chunks[1].offset, kBlock);
  EXPECT_EQ(chunks[1].payload.size(), 1u);
}

TEST(RunFileWriterTest, RecordFillingTheBlockExactlyIsFullAndNextStartsTheNextBlock) {
  wandb::test::TempDir dir;
  const auto ends =
      write_records(dir / "run.wandb", {sized_record(1, kBlock - 14), history_record(2, 1, "2")});
  EXPECT_EQ(ends[0], kBlock);
  const auto chunks = walk_chunks(wandb::test::file_text(dir / "run.wandb"));
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].type, 1);
  EXPECT_EQ(chunks[1].type, 1);
  EXPECT_EQ(chunks[1].offset, kBlock);
}

// A record ending `gap` bytes before a block boundary: with fewer than 7 bytes
// left they are zero-filled (by the next append, never after the last chunk)
// and the next chunk starts in the next block.
class RunFileBlockGapTest : public ::testing::TestWithParam<int> {};

TEST_P(RunFileBlockGapTest, PadsOrUsesTheRestOfTheBlock) {
  const int gap = GetParam();
  wandb::test::TempDir dir;
  const fs::path path = dir / "run.wandb";
  RunFileWriter writer(path.string());
  append_record(writer, sized_record(1, static_cast<size_t>(kBlock - gap - 14)));
  ASSERT_EQ(writer.size(), kBlock - gap);
  EXPECT_EQ(wandb::test::file_text(path).size(), static_cast<size_t>(kBlock - gap)) << "nothing after a chunk";

  const Record next = history_record(2, 1, "0.25");
  const int64_t offset = append_record(writer, next);
  const std::string bytes = wandb::test::file_text(path);
  const auto chunks = walk_chunks(bytes);
  if (gap < 7) {
    EXPECT_EQ(offset, kBlock);
    EXPECT_EQ(bytes.substr(kBlock - gap, gap), std::string(gap, '\0'));
    ASSERT_EQ(chunks.size(), 2u);
    EXPECT_EQ(chunks[1].offset, kBlock);
    EXPECT_EQ(chunks[1].type, 1);
  } else if (gap == 7) {
    // As the SDK does: an empty FIRST chunk uses the 7 bytes, LAST follows.
    EXPECT_EQ(offset, kBlock - 7);
    ASSERT_EQ(chunks.size(), 3u);
    EXPECT_EQ(chunks[1].type, 2);
    EXPECT_EQ(chunks[1].payload, "");
    EXPECT_EQ(chunks[2].offset, kBlock);
    EXPECT_EQ(chunks[2].type, 4);
  } else {
    EXPECT_EQ(offset, kBlock - gap);
    ASSERT_GE(chunks.size(), 2u);
    EXPECT_EQ(chunks[1].offset, kBlock - gap);
  }
  for (const auto& c : chunks) EXPECT_TRUE(c.crc_ok) << "chunk at " << c.offset;

  const auto contents = wandb::read_run_file(path.string());
  ASSERT_EQ(contents.records.size(), 2u);
  EXPECT_EQ(contents.records[1].offset, offset);
  EXPECT_EQ(contents.records[1].payload, next.SerializeAsString());
  EXPECT_FALSE(contents.torn_tail);
}

INSTANTIATE_TEST_SUITE_P(Gaps, RunFileBlockGapTest, ::testing::Range(0, 10));

TEST(RunFileWriterTest, EncodeChunksKeepsEveryChunkInsideItsBlock) {
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    const int64_t offset = 7 + static_cast<int64_t>(rng() % (3 * kBlock));
    const size_t size = rng() % 3 == 0 ? rng() % 100000 : rng() % 64;
    const std::string payload(size, static_cast<char>('a' + i % 26));
    const std::string bytes = wandb::detail::encode_chunks(offset, payload);
    // Walk the bytes as if they sat at `offset` in a file.
    int64_t pos = offset;
    size_t at = 0;
    std::string joined;
    std::vector<int> types;
    while (at < bytes.size()) {
      const int64_t left = kBlock - pos % kBlock;
      if (left < 7) {
        ASSERT_TRUE(types.empty()) << "padding only before the first chunk";
        pos += left;
        at += static_cast<size_t>(left);
        continue;
      }
      const int length = u16_at(bytes, static_cast<int64_t>(at) + 4);
      ASSERT_LE(length, left - 7);
      types.push_back(bytes[at + 6]);
      joined += bytes.substr(at + 7, length);
      pos += 7 + length;
      at += 7 + static_cast<size_t>(length);
    }
    ASSERT_EQ(joined, payload) << "offset " << offset << " size " << size;
    if (types.size() == 1) {
      EXPECT_EQ(types[0], 1);
    } else {
      EXPECT_EQ(types.front(), 2);
      EXPECT_EQ(types.back(), 4);
      for (size_t k = 1; k + 1 < types.size(); ++k) EXPECT_EQ(types[k], 3);
    }
  }
  EXPECT_THROW(wandb::detail::encode_chunks(3, "x"), wandb::ValueError);
}

// ---- Round trips --------------------------------------------------------------------

TEST(RunFileReaderTest, EveryRecordTypeRoundTrips) {
  wandb::test::TempDir dir;
  const auto records = every_record_type();
  const auto ends = write_records(dir / "run.wandb", records);
  const auto contents = wandb::read_run_file((dir / "run.wandb").string());
  EXPECT_TRUE(contents.header_ok);
  EXPECT_FALSE(contents.torn_tail);
  EXPECT_EQ(contents.tail_error, "");
  EXPECT_EQ(contents.valid_bytes, ends.back());
  EXPECT_EQ(contents.file_bytes, ends.back());
  ASSERT_EQ(contents.records.size(), records.size());
  const std::vector<std::string> kinds = {"header",  "run",  "config",  "files", "history",
                                          "summary", "exit", "control", "final"};
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& got = contents.records[i];
    EXPECT_EQ(got.kind, kinds[i]);
    EXPECT_EQ(got.num, records[i].num());
    EXPECT_EQ(got.payload, records[i].SerializeAsString());
    EXPECT_EQ(got.offset, i == 0 ? 7 : ends[i - 1]);
    Record parsed;
    ASSERT_TRUE(wandb::detail::parse_record(got.payload, &parsed));
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, records[i])) << got.kind;
    EXPECT_EQ(wandb::detail::record_kind(parsed), kinds[i]);
  }
  const auto& j = contents.records;
  EXPECT_EQ(
      j[0].json,
      (wandb::Json{
          {"num", 1},
          {"header",
           {{"version_info", {{"producer", "wandb-image 0.1.0"}, {"min_consumer", "0.10.0"}}}}}}));
  const wandb::Json run = j[1].json["run"];
  EXPECT_EQ(run["run_id"], "ab12cd34");
  EXPECT_EQ(run["tags"], (wandb::Json{"a", "b"}));
  EXPECT_EQ(run["starting_step"], 5000000000LL);  // int64 as a JSON number
  EXPECT_EQ(run["start_time"], (wandb::Json{{"seconds", 1700000000}, {"nanos", 5}}));
  EXPECT_EQ(run["runtime"], 7);
  EXPECT_EQ(j[2].json["config"]["update"][1],
            (wandb::Json{{"nested_key", {"opt", "beta"}}, {"value_json", "[0.9, 0.99]"}}));
  EXPECT_EQ(j[2].json["config"]["remove"][0]["key"], "old");
  EXPECT_EQ(
      j[3].json["files"]["files"][0],
      (wandb::Json{{"path", "media/images/img_0_abc.png"}, {"policy", "END"}, {"type", "MEDIA"}}));
  EXPECT_EQ(j[3].json["files"]["files"][1], (wandb::Json{{"path", "media/x.json"}}));
  EXPECT_EQ(j[4].json["history"]["step"]["num"], 3);
  EXPECT_EQ(j[4].json["history"]["item"][0]["value_json"],
            R"({"_type": "image-file", "path": "p"})");  // stays a string
  EXPECT_EQ(j[5].json["summary"]["update"][0]["value_json"], "NaN");
  EXPECT_EQ(j[6].json, (wandb::Json{{"num", 7}, {"exit", {{"exit_code", -1}, {"runtime", 12}}}}));
  EXPECT_EQ(j[7].json, (wandb::Json{{"num", 8}, {"control", wandb::Json::object()}}));
  EXPECT_EQ(j[8].json, (wandb::Json{{"num", 0}, {"final", wandb::Json::object()}}));
}

TEST(RunFileReaderTest, RecordTypeOutsideTheSchemaIsUnknownButKept) {
  Record r;
  r.set_num(9);
  r.GetReflection()->MutableUnknownFields(&r)->AddLengthDelimited(11, "");  // SDK telemetry
  wandb::test::TempDir dir;
  write_records(dir / "run.wandb", {r, final_record()});
  const auto contents = wandb::read_run_file((dir / "run.wandb").string());
  ASSERT_EQ(contents.records.size(), 2u);
  EXPECT_EQ(contents.records[0].kind, "unknown");
  EXPECT_EQ(contents.records[0].json, (wandb::Json{{"num", 9}, {"unknown_fields", {11}}}));
  EXPECT_FALSE(contents.torn_tail);
}

TEST(RunFileReaderTest, ManyRecordsOfRandomSizesRoundTrip) {
  wandb::test::TempDir dir;
  std::mt19937 rng(42);
  std::vector<Record> records;
  for (int i = 0; i < 60; ++i) {
    const size_t size = rng() % 4 == 0 ? rng() % 70000 : rng() % 300;
    records.push_back(history_record(i + 1, i, std::string(size, static_cast<char>('a' + i % 26))));
  }
  const auto ends = write_records(dir / "run.wandb", records);
  const std::string bytes = wandb::test::file_text(dir / "run.wandb");
  for (const auto& c : walk_chunks(bytes)) EXPECT_TRUE(c.crc_ok) << "chunk at " << c.offset;
  const auto contents = wandb::parse_run_file(bytes);
  ASSERT_EQ(contents.records.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(contents.records[i].payload, records[i].SerializeAsString()) << i;
  }
  EXPECT_EQ(contents.valid_bytes, ends.back());
  EXPECT_FALSE(contents.torn_tail);
}

TEST(RunFileWriterTest, AppendAllWritesSeveralRecordsAtOnce) {
  wandb::test::TempDir dir;
  const fs::path path = dir / "run.wandb";
  RunFileWriter writer(path.string());
  EXPECT_EQ(append_records(writer, {}), 7);
  EXPECT_EQ(writer.size(), 7);
  std::vector<Record> batch = {sized_record(1, kBlock - 14 - 3), history_record(2, 0, "1"),
                               sized_record(3, 40000), final_record()};
  EXPECT_EQ(append_records(writer, batch), 7);
  // Same bytes as appending one by one.
  write_records(dir / "one-by-one.wandb", batch);
  EXPECT_EQ(wandb::test::file_text(path), wandb::test::file_text(dir / "one-by-one.wandb"));
  EXPECT_EQ(writer.size(), static_cast<int64_t>(wandb::test::file_text(path).size()));
  // The first record of a batch that starts with padding.
  RunFileWriter padded((dir / "padded.wandb").string());
  append_record(padded, sized_record(1, kBlock - 14 - 3));
  EXPECT_EQ(append_records(padded, {history_record(2, 0, "1")}), kBlock);
}

TEST(RunFileWriterTest, ConcurrentAppendsKeepRecordsWhole) {
  wandb::test::TempDir dir;
  const fs::path path = dir / "run.wandb";
  {
    RunFileWriter writer(path.string());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&writer, t] {
        for (int i = 0; i < 150; ++i) {
          const size_t size = (i * 7919 + t * 104729) % (i % 10 == 0 ? 50000 : 200);
          append_record(writer, history_record(t * 1000 + i, i, std::string(size, 'v')));
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  const auto contents = wandb::read_run_file(path.string());
  EXPECT_FALSE(contents.torn_tail) << contents.tail_error;
  ASSERT_EQ(contents.records.size(), 600u);
  std::vector<int> next(4, 0);
  for (const auto& r : contents.records) {
    const int t = static_cast<int>(r.num / 1000);
    const int i = static_cast<int>(r.num % 1000);
    ASSERT_LT(t, 4);
    EXPECT_EQ(i, next[t]++) << "each thread's records stay in order";
  }
}

// ---- Torn and corrupt files -----------------------------------------------------------

TEST(RunFileReaderTest, TruncationAtEveryOffsetKeepsTheCompleteRecords) {
  wandb::test::TempDir dir;
  const fs::path full = dir / "full.wandb";
  const auto records = every_record_type();
  const auto ends = write_records(full, records);
  const std::string bytes = wandb::test::file_text(full);
  ASSERT_EQ(static_cast<int64_t>(bytes.size()), ends.back());
  const fs::path cut = dir / "cut.wandb";
  for (int64_t n = 0; n <= ends.back(); ++n) {
    wandb::test::write_bytes(cut, bytes.substr(0, n));
    const auto contents = wandb::read_run_file(cut.string());
    size_t complete = 0;
    while (complete < ends.size() && ends[complete] <= n) ++complete;
    ASSERT_EQ(contents.records.size(), complete) << "cut at " << n;
    for (size_t i = 0; i < complete; ++i) {
      ASSERT_EQ(contents.records[i].payload, records[i].SerializeAsString()) << "cut at " << n;
    }
    EXPECT_EQ(contents.file_bytes, n);
    EXPECT_EQ(contents.header_ok, n >= 7) << "cut at " << n;
    EXPECT_EQ(contents.valid_bytes, n < 7      ? 0
                                    : complete ? ends[complete - 1]
                                               : 7)
        << "cut at " << n;
    const bool at_record_end = n == 7 || (complete && ends[complete - 1] == n);
    EXPECT_EQ(contents.torn_tail, !at_record_end) << "cut at " << n;
    EXPECT_EQ(contents.tail_error.empty(), at_record_end) << "cut at " << n;
  }
  const auto whole = wandb::read_run_file(full.string());
  EXPECT_FALSE(whole.torn_tail);
  EXPECT_EQ(whole.records.size(), records.size());
}

TEST(RunFileReaderTest, TruncationInsideMultiBlockRecordsAndPadding) {
  // FIRST/MIDDLE/LAST, then a record ending 3 bytes before a block boundary,
  // whose successor is preceded by padding.
  std::vector<Record> records = {history_record(1, 0, "1"), sized_record(2, 2 * kBlock + 100)};
  std::vector<int64_t> ends;
  std::string bytes;
  {
    wandb::test::TempDir dir;
    ends = write_records(dir / "run.wandb", records);
    // Spans the rest of block 2 (FIRST) and most of block 3 (LAST).
    const int64_t room = 4 * kBlock - ends.back() - 3 - 14;
    records.push_back(sized_record(3, static_cast<size_t>(room)));
    records.push_back(history_record(4, 3, "4"));
    ends = write_records(dir / "run.wandb2", records);
    bytes = wandb::test::file_text(dir / "run.wandb2");
  }
  ASSERT_EQ(ends[2], 4 * kBlock - 3);
  ASSERT_EQ(ends[3], 4 * kBlock + 7 + static_cast<int64_t>(records[3].ByteSizeLong()));
  std::vector<int64_t> cuts;
  for (int64_t base : {int64_t{7}, kBlock, 2 * kBlock, 3 * kBlock, 4 * kBlock, ends[0], ends[1],
                       ends[2], ends[3]}) {
    for (int64_t d = -9; d <= 9; ++d) {
      if (base + d >= 0 && base + d <= ends.back()) cuts.push_back(base + d);
    }
  }
  for (int64_t n = 0; n <= ends.back(); n += 997) cuts.push_back(n);
  for (const int64_t n : cuts) {
    const auto contents = wandb::parse_run_file(bytes.substr(0, n));
    size_t complete = 0;
    while (complete < ends.size() && ends[complete] <= n) ++complete;
    ASSERT_EQ(contents.records.size(), complete) << "cut at " << n;
    const bool at_end = n == 7 || (complete && ends[complete - 1] == n);
    EXPECT_EQ(contents.torn_tail, !at_end) << "cut at " << n << ": " << contents.tail_error;
  }
  const auto padding = wandb::parse_run_file(bytes.substr(0, 4 * kBlock - 1));
  EXPECT_EQ(padding.tail_error, "truncated padding at offset " + std::to_string(4 * kBlock - 3) +
                                    ": expected 3 zero bytes, got 2");
  const int64_t last_length = ends[1] - 2 * kBlock - 7;
  ASSERT_GT(last_length, 50);
  const auto inside = wandb::parse_run_file(bytes.substr(0, 2 * kBlock + 50));
  EXPECT_EQ(inside.records.size(), 1u);
  EXPECT_EQ(inside.tail_error, "truncated chunk at offset " + std::to_string(2 * kBlock) +
                                   ": expected " + std::to_string(last_length) +
                                   " payload bytes, got 43");
  // Padding with nothing after it: the write of the next record was torn.
  const auto only_padding = wandb::parse_run_file(bytes.substr(0, 4 * kBlock));
  EXPECT_EQ(only_padding.records.size(), 3u);
  EXPECT_EQ(only_padding.valid_bytes, ends[2]);
  EXPECT_EQ(only_padding.tail_error, "truncated record at offset " + std::to_string(ends[2]) +
                                         ": expected a chunk after 3 bytes of padding, got end of "
                                         "file");
  const auto between = wandb::parse_run_file(bytes.substr(0, 2 * kBlock));
  EXPECT_EQ(between.tail_error, "truncated record at offset " + std::to_string(ends[0]) +
                                    ": expected a MIDDLE or LAST chunk at offset " +
                                    std::to_string(2 * kBlock) + ", got end of file");
}

TEST(RunFileReaderTest, FlippedPayloadByteIsACrcErrorAfterTheGoodRecords) {
  wandb::test::TempDir dir;
  const fs::path path = dir / "run.wandb";
  const auto ends = write_records(path, every_record_type());
  flip_byte(path, ends[2] + 7 + 2);  // inside the fourth record's payload
  const auto contents = wandb::read_run_file(path.string());
  EXPECT_TRUE(contents.header_ok);
  EXPECT_TRUE(contents.torn_tail);
  ASSERT_EQ(contents.records.size(), 3u);
  EXPECT_EQ(contents.valid_bytes, ends[2]);
  EXPECT_EQ(contents.file_bytes, ends.back());
  EXPECT_NE(contents.tail_error.find("CRC mismatch in chunk at offset " + std::to_string(ends[2]) +
                                     ": expected 0x"),
            std::string::npos)
      << contents.tail_error;
}

TEST(RunFileReaderTest, DamagedChunkHeadersAreReportedNotThrown) {
  wandb::test::TempDir dir;
  const fs::path path = dir / "run.wandb";
  const auto ends = write_records(path, every_record_type());
  const std::string good = wandb::test::file_text(path);

  std::string bad_type = good;
  bad_type[ends[0] + 6] = 9;
  auto c = wandb::parse_run_file(bad_type);
  EXPECT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.tail_error, "bad chunk type at offset " + std::to_string(ends[0]) +
                              ": expected 1 (FULL), 2 (FIRST), 3 (MIDDLE) or 4 (LAST), got 9");

  std::string bad_length = good;
  bad_length[ends[0] + 5] = static_cast<char>(0x90);  // length > 32768
  c = wandb::parse_run_file(bad_length);
  EXPECT_EQ(c.records.size(), 1u);
  EXPECT_NE(c.tail_error.find("bad chunk length at offset"), std::string::npos) << c.tail_error;

  c = wandb::parse_run_file(good + "xyz");
  EXPECT_EQ(c.records.size(), every_record_type().size());
  EXPECT_TRUE(c.torn_tail);
  EXPECT_EQ(c.valid_bytes, ends.back());
  EXPECT_EQ(c.tail_error, "truncated chunk header at offset " + std::to_string(ends.back()) +
                              ": expected 7 bytes, got 3");
}

std::string chunk_bytes(int type, const std::string& payload) {
  std::string out(7, '\0');
  const uint32_t crc = zlib_crc(type, payload);
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(crc >> (8 * i));
  out[4] = static_cast<char>(payload.size() & 0xff);
  out[5] = static_cast<char>(payload.size() >> 8);
  out[6] = static_cast<char>(type);
  return out + payload;
}

TEST(RunFileReaderTest, ChunkTypeSequenceIsChecked) {
  const std::string rec = final_record().SerializeAsString();
  auto c = wandb::parse_run_file(kHeader + chunk_bytes(1, rec) + chunk_bytes(3, rec));
  EXPECT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.tail_error, "unexpected MIDDLE chunk at offset 17: expected FULL or FIRST");
  c = wandb::parse_run_file(kHeader + chunk_bytes(4, rec));
  EXPECT_EQ(c.tail_error, "unexpected LAST chunk at offset 7: expected FULL or FIRST");
  c = wandb::parse_run_file(kHeader + chunk_bytes(2, "\xA2") + chunk_bytes(1, rec));
  EXPECT_EQ(c.tail_error,
            "unexpected FULL chunk at offset 15: expected MIDDLE or LAST after FIRST at offset 7");
  // FIRST + LAST inside one block is unusual but valid.
  c = wandb::parse_run_file(kHeader + chunk_bytes(2, "\xA2") +
                            chunk_bytes(4, std::string("\x01\x00", 2)));
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].kind, "final");
  EXPECT_FALSE(c.torn_tail);
}

TEST(RunFileReaderTest, PayloadThatIsNoRecordIsReported) {
  const auto c = wandb::parse_run_file(kHeader + chunk_bytes(1, "\xff\xff\xff"));
  EXPECT_TRUE(c.records.empty());
  EXPECT_TRUE(c.torn_tail);
  EXPECT_EQ(c.valid_bytes, 7);
  EXPECT_EQ(
      c.tail_error,
      "bad record at offset 7: expected a wandb_internal.Record, got 3 bytes that do not parse");
}

TEST(RunFileReaderTest, NonZeroPaddingIsReported) {
  std::string bytes = kHeader + chunk_bytes(1, sized_record(1, kBlock - 17).SerializeAsString());
  ASSERT_EQ(bytes.size(), static_cast<size_t>(kBlock - 3));
  bytes += std::string("\0\x01\0", 3) + chunk_bytes(1, final_record().SerializeAsString());
  const auto c = wandb::parse_run_file(bytes);
  EXPECT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.tail_error, "bad padding at offset 32765: expected 3 zero bytes, got 00 01 00");
}

TEST(RunFileReaderTest, ArbitraryDamageNeverThrowsAndKeepsAPrefix) {
  wandb::test::TempDir dir;
  const auto records = every_record_type();
  write_records(dir / "run.wandb", records);
  const std::string good = wandb::test::file_text(dir / "run.wandb");
  std::mt19937 rng(1234);
  for (int i = 0; i < 3000; ++i) {
    std::string bytes = good;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = 7 + rng() % (bytes.size() - 7);
      bytes[at] = static_cast<char>(rng());
    }
    if (rng() % 3 == 0) bytes.resize(7 + rng() % (bytes.size() - 7));
    if (rng() % 5 == 0) bytes += std::string(rng() % 40, static_cast<char>(rng()));
    wandb::RunFileContents c;
    ASSERT_NO_THROW(c = wandb::parse_run_file(bytes)) << "case " << i;
    ASSERT_LE(c.records.size(), records.size());
    EXPECT_LE(c.valid_bytes, c.file_bytes);
  }
  // Random bytes after a valid header.
  for (int i = 0; i < 500; ++i) {
    std::string bytes = kHeader;
    const size_t n = rng() % 200;
    for (size_t k = 0; k < n; ++k) bytes += static_cast<char>(rng());
    ASSERT_NO_THROW(wandb::parse_run_file(bytes)) << "case " << i;
  }
}

TEST(RunFileReaderTest, WrongMagicIsAValueError) {
  try {
    wandb::parse_run_file(std::string("\x89PNG\r\n\x1a\n", 8), "/x.wandb");
    FAIL() << "expected ValueError";
  } catch (const wandb::ValueError& e) {
    EXPECT_STREQ(e.what(),
                 "not a .wandb file /x.wandb: expected header 3a 57 26 42 e1 be 00, got 89 50 4e "
                 "47 0d 0a 1a");
  }
  EXPECT_THROW(wandb::parse_run_file("abc"), wandb::ValueError);
  std::string v1 = kHeader;
  v1[6] = 1;
  try {
    wandb::parse_run_file(v1, "f");
    FAIL() << "expected ValueError";
  } catch (const wandb::ValueError& e) {
    EXPECT_STREQ(e.what(), "unsupported .wandb version in f: expected 0, got 1");
  }
  wandb::test::TempDir dir;
  wandb::test::write_bytes(dir / "x.wandb", "not a run file");
  EXPECT_THROW(wandb::read_run_file((dir / "x.wandb").string()), wandb::ValueError);
}

TEST(RunFileReaderTest, HeaderPrefixIsATornFileNotAnError) {
  const auto c = wandb::parse_run_file(kHeader.substr(0, 4));
  EXPECT_FALSE(c.header_ok);
  EXPECT_TRUE(c.torn_tail);
  EXPECT_EQ(c.valid_bytes, 0);
  EXPECT_EQ(c.tail_error, "truncated header at offset 0: expected 7 bytes, got 4");
}

TEST(RunFileReaderTest, MissingFileIsAnIoError) {
  wandb::test::TempDir dir;
  const std::string path = (dir / "absent.wandb").string();
  try {
    wandb::read_run_file(path);
    FAIL() << "expected IoError";
  } catch (const wandb::IoError& e) {
    EXPECT_EQ(e.code(), ENOENT);
    EXPECT_EQ(std::string(e.what()), "cannot open file " + path + ": No such file or directory");
  }
}

// ---- Writer errors and modes -------------------------------------------------------------

TEST(RunFileWriterTest, PathUnderARegularFileIsAnIoError) {
  wandb::test::TempDir dir;
  wandb::test::write_bytes(dir / "file", "x");
  const std::string path = (dir / "file" / "x.wandb").string();
  try {
    RunFileWriter writer(path);
    FAIL() << "expected IoError";
  } catch (const wandb::IoError& e) {
    EXPECT_EQ(e.code(), ENOTDIR);
    EXPECT_EQ(std::string(e.what()), "cannot open file " + path + ": Not a directory");
  }
  try {
    RunFileWriter writer(dir.path().string());
    FAIL() << "expected IoError";
  } catch (const wandb::IoError& e) {
    EXPECT_EQ(e.code(), EISDIR);
  }
  EXPECT_THROW(RunFileWriter("/proc/wandb-image-test.wandb"), wandb::IoError);
}

TEST(RunFileWriterTest, RefusesToOverwriteANonEmptyFile) {
  wandb::test::TempDir dir;
  const fs::path path = dir / "run.wandb";
  wandb::test::write_bytes(path, "hello");
  try {
    RunFileWriter writer(path.string());
    FAIL() << "expected IoError";
  } catch (const wandb::IoError& e) {
    EXPECT_EQ(e.code(), EEXIST);
    EXPECT_EQ(std::string(e.what()), "refusing to overwrite " + path.string() +
                                         ": expected an empty or absent file, got 5 bytes");
  }
  EXPECT_EQ(wandb::test::file_text(path), "hello");
  // An empty file is taken.
  wandb::test::write_bytes(dir / "empty.wandb", "");
  RunFileWriter writer((dir / "empty.wandb").string());
  EXPECT_EQ(wandb::test::file_text(dir / "empty.wandb"), kHeader);
}

TEST(RunFileWriterTest, SecondWriterOnTheSameFileIsRefused) {
  wandb::test::TempDir dir;
  const std::string path = (dir / "run.wandb").string();
  RunFileWriter first(path);
  try {
    RunFileWriter second(path, RunFileWriter::Mode::kAppend);
    FAIL() << "expected IoError";
  } catch (const wandb::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot lock file " + path + ": expected no other writer"),
              std::string::npos)
        << e.what();
  }
  first.close();
  RunFileWriter third(path, RunFileWriter::Mode::kAppend);
  EXPECT_EQ(third.size(), 7);
}

TEST(RunFileWriterTest, AppendModeContinuesAFile) {
  wandb::test::TempDir dir;
  const fs::path path = dir / "run.wandb";
  {
    RunFileWriter absent(path.string(), RunFileWriter::Mode::kAppend);  // creates it
    append_record(absent, history_record(1, 0, "1"));
  }
  int64_t size = 0;
  {
    RunFileWriter writer(path.string(), RunFileWriter::Mode::kAppend);
    EXPECT_EQ(writer.dropped_bytes(), 0);
    EXPECT_EQ(writer.size(), static_cast<int64_t>(fs::file_size(path)));
    append_record(writer, sized_record(2, 70000));
    append_record(writer, final_record());
    size = writer.size();
  }
  const auto contents = wandb::read_run_file(path.string());
  ASSERT_EQ(contents.records.size(), 3u);
  EXPECT_EQ(contents.records[1].num, 2);
  EXPECT_EQ(contents.valid_bytes, size);
  EXPECT_FALSE(contents.torn_tail);
}

TEST(RunFileWriterTest, AppendModeCutsATornTail) {
  wandb::test::TempDir dir;
  const fs::path path = dir / "run.wandb";
  const auto ends = write_records(path, {history_record(1, 0, "1"), sized_record(2, 50000)});
  fs::resize_file(path, static_cast<uintmax_t>(ends[1] - 10));
  {
    RunFileWriter writer(path.string(), RunFileWriter::Mode::kAppend);
    EXPECT_EQ(writer.dropped_bytes(), ends[1] - 10 - ends[0]);
    EXPECT_EQ(writer.size(), ends[0]);
    EXPECT_EQ(append_record(writer, history_record(3, 1, "3")), ends[0]);
  }
  const auto contents = wandb::read_run_file(path.string());
  EXPECT_FALSE(contents.torn_tail) << contents.tail_error;
  ASSERT_EQ(contents.records.size(), 2u);
  EXPECT_EQ(contents.records[1].num, 3);

  // A torn header is rewritten; a foreign file is refused and left alone.
  wandb::test::write_bytes(dir / "torn.wandb", kHeader.substr(0, 3));
  RunFileWriter torn((dir / "torn.wandb").string(), RunFileWriter::Mode::kAppend);
  EXPECT_EQ(wandb::test::file_text(dir / "torn.wandb"), kHeader);
  wandb::test::write_bytes(dir / "foreign.wandb", "foreign bytes");
  EXPECT_THROW(RunFileWriter((dir / "foreign.wandb").string(), RunFileWriter::Mode::kAppend),
               wandb::ValueError);
  EXPECT_EQ(wandb::test::file_text(dir / "foreign.wandb"), "foreign bytes");
}

TEST(RunFileWriterTest, ClosedWriterIsAStateError) {
  wandb::test::TempDir dir;
  RunFileWriter writer((dir / "run.wandb").string());
  append_record(writer, final_record());
  writer.sync();
  writer.close();
  writer.close();  // idempotent
  EXPECT_FALSE(writer.is_open());
  try {
    append_record(writer, final_record());
    FAIL() << "expected StateError";
  } catch (const wandb::StateError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot append to run file " + writer.path() +
                                         ": expected an open writer, got a closed one");
  }
  EXPECT_THROW(writer.sync(), wandb::StateError);
}

TEST(RunFileWriterTest, DeviceWithNoSpaceIsAnIoError) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  try {
    RunFileWriter writer("/dev/full");
    FAIL() << "expected IoError";
  } catch (const wandb::IoError& e) {
    EXPECT_EQ(e.code(), ENOSPC);
    EXPECT_EQ(std::string(e.what()),
              "cannot write file /dev/full: No space left on device (wrote 0 of 7 bytes at offset "
              "0)");
  }
}

// RLIMIT_FSIZE makes the kernel accept only part of a write, then fail with
// EFBIG: the disk-full situation, which root cannot bypass.
TEST(RunFileWriterTest, ShortWriteIsReportedAndRolledBack) {
  wandb::test::TempDir dir;
  const fs::path path = dir / "run.wandb";
  RunFileWriter writer(path.string());
  append_record(writer, history_record(1, 0, "1"));
  const int64_t good = writer.size();

  struct rlimit old {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* old_handler = signal(SIGXFSZ, SIG_IGN);
  struct rlimit limited = old;
  limited.rlim_cur = static_cast<rlim_t>(good + 1000);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  int code = 0;
  std::string message;
  try {
    append_record(writer, sized_record(2, 5000));
  } catch (const wandb::IoError& e) {
    code = e.code();
    message = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, old_handler);

  EXPECT_EQ(code, EFBIG);
  EXPECT_EQ(message, "cannot write file " + path.string() + ": File too large (wrote 1000 of " +
                         std::to_string(5000 + 7) + " bytes at offset " + std::to_string(good) +
                         ")");
  EXPECT_EQ(writer.size(), good);
  EXPECT_EQ(static_cast<int64_t>(fs::file_size(path)), good) << "partial chunk truncated away";
  // The writer carries on where it was.
  append_record(writer, history_record(3, 1, "3"));
  const auto contents = wandb::read_run_file(path.string());
  EXPECT_FALSE(contents.torn_tail) << contents.tail_error;
  ASSERT_EQ(contents.records.size(), 2u);
  EXPECT_EQ(contents.records[1].num, 3);
}

TEST(RunFileWriterTest, KilledWriterLeavesEveryCompleteRecordReadable) {
  wandb::test::TempDir dir;
  const fs::path path = dir / "run.wandb";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      RunFileWriter writer(path.string());
      for (int64_t i = 1;; ++i) {
        append_record(writer, history_record(i, i, std::string(i % 5000, 'z')));
      }
    } catch (...) {
    }
    _exit(3);
  }
  // Let it write a few blocks, then kill it mid-stream.
  for (int i = 0; i < 200 && (!fs::exists(path) || fs::file_size(path) < 200000); ++i) {
    usleep(5000);
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  const auto contents = wandb::read_run_file(path.string());
  EXPECT_TRUE(contents.header_ok);
  ASSERT_GT(contents.records.size(), 10u);
  for (size_t i = 0; i < contents.records.size(); ++i) {
    ASSERT_EQ(contents.records[i].num, static_cast<int64_t>(i + 1));
  }
  if (contents.torn_tail) {
    EXPECT_LT(contents.valid_bytes, contents.file_bytes);
  }
}

// ---- Layers: the framing carries bytes, the record layer reads them as Records -----------

TEST(RunFileLayersTest, FramingCarriesOpaquePayloads) {
  wandb::test::TempDir dir;
  const fs::path path = dir / "run.wandb";
  const std::vector<std::string> payloads = {"", std::string("\xff\xff\xff", 3),
                                             std::string(2 * kBlock + 5, 'p'), "tail"};
  {
    RunFileWriter writer(path.string());
    EXPECT_EQ(writer.append(payloads[0]), 7);
    EXPECT_EQ(writer.append_all({payloads[1], payloads[2], payloads[3]}), 14);
  }
  const std::string bytes = wandb::test::file_text(path);
  const auto log = wandb::detail::read_log(bytes, path.string());
  EXPECT_TRUE(log.header_ok);
  EXPECT_FALSE(log.torn_tail) << log.tail_error;
  EXPECT_EQ(log.file_bytes, static_cast<int64_t>(bytes.size()));
  ASSERT_EQ(log.payloads.size(), payloads.size());
  // The big payload: FIRST at 24, a MIDDLE, then LAST with 43 bytes at 2 * kBlock.
  const std::vector<int64_t> offsets = {7, 14, 24, 2 * kBlock + 50};
  const std::vector<int64_t> ends = {14, 24, 2 * kBlock + 50, 2 * kBlock + 61};
  for (size_t i = 0; i < payloads.size(); ++i) {
    EXPECT_EQ(log.payloads[i].bytes, payloads[i]) << i;
    EXPECT_EQ(log.payloads[i].offset, offsets[i]) << i;
    EXPECT_EQ(log.payloads[i].end, ends[i]) << i;
  }
  EXPECT_EQ(log.valid_bytes, ends.back());

  // As records: no bytes are a Record with nothing set; 0xff 0xff 0xff is none.
  const auto contents = wandb::parse_run_file(bytes);
  ASSERT_EQ(contents.records.size(), 1u);
  EXPECT_EQ(contents.records[0].kind, "unknown");
  EXPECT_TRUE(contents.torn_tail);
  EXPECT_EQ(contents.valid_bytes, 14);
  EXPECT_EQ(
      contents.tail_error,
      "bad record at offset 14: expected a wandb_internal.Record, got 3 bytes that do not parse");
}

TEST(RunFileLayersTest, BadRecordIsReportedBeforeLaterFramingDamage) {
  const std::string bytes = kHeader + chunk_bytes(1, final_record().SerializeAsString()) +
                            chunk_bytes(1, "\xff\xff\xff") + "xyz";
  const auto log = wandb::detail::read_log(bytes, "<memory>");
  EXPECT_EQ(log.payloads.size(), 2u);
  EXPECT_EQ(log.valid_bytes, 27);
  EXPECT_EQ(log.tail_error, "truncated chunk header at offset 27: expected 7 bytes, got 3");
  const auto c = wandb::parse_run_file(bytes);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.valid_bytes, 17);
  EXPECT_EQ(
      c.tail_error,
      "bad record at offset 17: expected a wandb_internal.Record, got 3 bytes that do not parse");
}

TEST(RunFileLayersTest, AppendModeCutsBeforeAPayloadTheCheckRefuses) {
  wandb::test::TempDir dir;
  const fs::path path = dir / "run.wandb";
  const std::string good = kHeader + chunk_bytes(1, final_record().SerializeAsString());
  const std::string junk = chunk_bytes(1, "\xff\xff\xff");
  wandb::test::write_bytes(path, good + junk);
  {
    // The framing alone finds nothing wrong.
    RunFileWriter framing(path.string(), RunFileWriter::Mode::kAppend);
    EXPECT_EQ(framing.dropped_bytes(), 0);
    EXPECT_EQ(framing.size(), static_cast<int64_t>(good.size() + junk.size()));
  }
  RunFileWriter writer(path.string(), RunFileWriter::Mode::kAppend, wandb::detail::is_record);
  EXPECT_EQ(writer.dropped_bytes(), static_cast<int64_t>(junk.size()));
  EXPECT_EQ(append_record(writer, history_record(2, 0, "2")), static_cast<int64_t>(good.size()));
  const auto contents = wandb::read_run_file(path.string());
  EXPECT_FALSE(contents.torn_tail) << contents.tail_error;
  ASSERT_EQ(contents.records.size(), 2u);
  EXPECT_EQ(contents.records[1].num, 2);
}

// ---- wandb-image-inspect -----------------------------------------------------------------

struct ToolResult {
  int status;
  std::string out;
};

ToolResult run_inspect(const std::string& args) {
  const std::string command = std::string(WANDB_INSPECT_TOOL) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(RunFileInspectTest, ReportsRecordsMediaAndExitStatus) {
  wandb::test::TempDir dir;
  const fs::path run_dir = dir / "offline-run-20240101_000000-ab12cd34";
  fs::create_directories(run_dir / "files" / "media" / "images");
  wandb::test::write_bytes(run_dir / "files" / "media" / "images" / "img_0_abc.png", "png");
  auto records = every_record_type();
  write_records(run_dir / "run-ab12cd34.wandb", records);

  // The files record also names media/x.json, which is absent.
  auto r = run_inspect(run_dir.string());
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("#2 @"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("run id=ab12cd34 project=proj"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("history step=3 keys: k"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("config keys: lr, opt.beta; removed: old"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("media/x.json (NOW) MISSING"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("media/images/img_0_abc.png (END),"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tail: complete"), std::string::npos) << r.out;

  wandb::test::write_bytes(run_dir / "files" / "media" / "x.json", "{}");
  r = run_inspect(run_dir.string());
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("status: ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  media/images/img_0_abc.png\n"), std::string::npos) << r.out;
  // The .wandb file itself works too.
  EXPECT_EQ(run_inspect((run_dir / "run-ab12cd34.wandb").string()).status, 0);

  fs::resize_file(run_dir / "run-ab12cd34.wandb",
                  fs::file_size(run_dir / "run-ab12cd34.wandb") - 2);
  r = run_inspect(run_dir.string());
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("tail: TORN after"), std::string::npos) << r.out;

  wandb::test::write_bytes(dir / "foreign.wandb", "nope nope");
  r = run_inspect((dir / "foreign.wandb").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("not a .wandb file"), std::string::npos) << r.out;
  EXPECT_EQ(run_inspect((dir / "absent").string()).status, 1);
  fs::create_directories(dir / "empty");
  r = run_inspect((dir / "empty").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("expected one .wandb file in"), std::string::npos) << r.out;
}

TEST(RunFileInspectTest, CountsEachMissingFileOnce) {
  wandb::test::TempDir dir;
  const fs::path run_dir = dir / "offline-run-20240101_000000-ab12cd34";
  fs::create_directories(run_dir / "files");
  // media/images/a.png is named by two files records and referenced by a
  // history row (twice) and a summary; media/images/b.png only by the row.
  std::vector<Record> records;
  for (int num : {1, 2}) {
    Record files;
    files.set_num(num);
    files.mutable_files()->add_files()->set_path("media/images/a.png");
    records.push_back(files);
  }
  records.push_back(history_record(
      3, 0,
      R"({"a": {"_type": "image-file", "path": "media/images/a.png"}, )"
      R"("list": {"_type": "images/separated", "filenames": ["media/images/a.png", "media/images/b.png"]}})"));
  Record summary;
  summary.set_num(4);
  auto* s = summary.mutable_summary()->add_update();
  s->set_key("last");
  s->set_value_json(R"({"_type": "image-file", "path": "media/images/a.png"})");
  records.push_back(summary);
  write_records(run_dir / "run-ab12cd34.wandb", records);

  for (const fs::path& target : {run_dir, run_dir / "run-ab12cd34.wandb"}) {
    const auto r = run_inspect(target.string());
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_NE(r.out.find("files records name 1 paths; missing files: 2\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("status: DAMAGED"), std::string::npos) << r.out;
  }
}

TEST(RunFileInspectTest, UsageErrorsExitWithTwo) {
  EXPECT_EQ(run_inspect("").status, 2);
  EXPECT_EQ(run_inspect("a b").status, 2);
  EXPECT_EQ(run_inspect("--bogus").status, 2);
  const auto help = run_inspect("--help");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("usage: wandb-image-inspect"), std::string::npos);
}

}  // namespace
