#include "wandb/run_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include "detail/file_io.h"
#include "detail/run_file.h"
#include "wandb/errors.h"

namespace wandb {
namespace detail {
namespace {

namespace pb = google::protobuf;

std::string hex_bytes(std::string_view bytes) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(buf, sizeof(buf), i ? " %02x" : "%02x", static_cast<unsigned char>(bytes[i]));
    out += buf;
  }
  return out;
}

std::string hex32(uint32_t value) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", value);
  return buf;
}

uint32_t load_u32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} | uint32_t{u[1]} << 8 | uint32_t{u[2]} << 16 | uint32_t{u[3]} << 24;
}

uint16_t load_u16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>(u[0] | u[1] << 8);
}

Json field_value(const pb::Message& message, const pb::FieldDescriptor* field, int index) {
  const pb::Reflection* r = message.GetReflection();
  const bool rep = index >= 0;
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32:
      return rep ? r->GetRepeatedInt32(message, field, index) : r->GetInt32(message, field);
    case pb::FieldDescriptor::CPPTYPE_INT64:
      return rep ? r->GetRepeatedInt64(message, field, index) : r->GetInt64(message, field);
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      return rep ? r->GetRepeatedUInt32(message, field, index) : r->GetUInt32(message, field);
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      return rep ? r->GetRepeatedUInt64(message, field, index) : r->GetUInt64(message, field);
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      return rep ? r->GetRepeatedDouble(message, field, index) : r->GetDouble(message, field);
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
      return rep ? r->GetRepeatedFloat(message, field, index) : r->GetFloat(message, field);
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return rep ? r->GetRepeatedBool(message, field, index) : r->GetBool(message, field);
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      // proto3 enums are open: a number the schema lacks stays a number.
      const int number =
          rep ? r->GetRepeatedEnumValue(message, field, index) : r->GetEnumValue(message, field);
      const pb::EnumValueDescriptor* value = field->enum_type()->FindValueByNumber(number);
      return value ? Json(value->name()) : Json(number);
    }
    case pb::FieldDescriptor::CPPTYPE_STRING:
      return rep ? r->GetRepeatedString(message, field, index) : r->GetString(message, field);
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      return message_to_json(rep ? r->GetRepeatedMessage(message, field, index)
                                 : r->GetMessage(message, field));
  }
  return nullptr;
}

// Writes all of `bytes` at `offset`, retrying short writes; returns errno, or 0.
int pwrite_all(int fd, std::string_view bytes, int64_t offset, size_t* written) {
  *written = 0;
  while (*written < bytes.size()) {
    const ssize_t n = ::pwrite(fd, bytes.data() + *written, bytes.size() - *written,
                               static_cast<off_t>(offset + static_cast<int64_t>(*written)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;  // no progress and no errno: never loop forever
    *written += static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace

uint32_t chunk_crc(ChunkType type, std::string_view payload) {
  const auto type_byte = static_cast<unsigned char>(type);
  uLong crc = ::crc32(0L, Z_NULL, 0);
  crc = ::crc32(crc, &type_byte, 1);
  // Chunk payloads are below 32 KiB, well inside zlib's uInt length.
  crc = ::crc32(crc, reinterpret_cast<const Bytef*>(payload.data()),
                static_cast<uInt>(payload.size()));
  return static_cast<uint32_t>(crc);
}

int64_t chunk_padding(int64_t offset) {
  const int64_t left = kRunFileBlockSize - offset % kRunFileBlockSize;
  return left < kChunkHeaderSize ? left : 0;
}

std::string encode_chunks(int64_t offset, std::string_view payload) {
  if (offset < static_cast<int64_t>(kRunFileHeader.size())) {
    throw ValueError("encode_chunks: expected an offset of at least 7, got " +
                     std::to_string(offset));
  }
  constexpr int64_t kData = kRunFileBlockSize - kChunkHeaderSize;
  std::string out;
  out.reserve(payload.size() +
              static_cast<size_t>(kChunkHeaderSize) * (payload.size() / kData + 3));
  const int64_t padding = chunk_padding(offset);
  out.append(static_cast<size_t>(padding), '\0');
  const int64_t left = kRunFileBlockSize - (offset + padding) % kRunFileBlockSize;
  auto put = [&out](ChunkType type, std::string_view part) {
    const uint32_t crc = chunk_crc(type, part);
    const auto length = static_cast<uint16_t>(part.size());
    const char header[kChunkHeaderSize] = {static_cast<char>(crc & 0xff),
                                           static_cast<char>((crc >> 8) & 0xff),
                                           static_cast<char>((crc >> 16) & 0xff),
                                           static_cast<char>((crc >> 24) & 0xff),
                                           static_cast<char>(length & 0xff),
                                           static_cast<char>((length >> 8) & 0xff),
                                           static_cast<char>(type)};
    out.append(header, sizeof(header));
    out.append(part);
  };
  const auto size = static_cast<int64_t>(payload.size());
  if (size + kChunkHeaderSize <= left) {
    put(ChunkType::kFull, payload);
    return out;
  }
  // As the SDK does: FIRST fills the block (it may carry no data when exactly
  // 7 bytes are left), MIDDLEs fill whole blocks, LAST takes the rest.
  int64_t used = left - kChunkHeaderSize;
  put(ChunkType::kFirst, payload.substr(0, static_cast<size_t>(used)));
  while (size - used > kData) {
    put(ChunkType::kMiddle, payload.substr(static_cast<size_t>(used), kData));
    used += kData;
  }
  put(ChunkType::kLast, payload.substr(static_cast<size_t>(used)));
  return out;
}

std::string serialize_record(const wandb_internal::Record& record) {
  std::string payload;
  if (!record.SerializeToString(&payload)) {
    throw ValueError("cannot serialise record: expected at most 2 GiB, got " +
                     std::to_string(record.ByteSizeLong()) + " bytes");
  }
  return payload;
}

bool parse_record(std::string_view payload, wandb_internal::Record* record) {
  if (payload.size() > static_cast<size_t>(INT_MAX)) return false;
  return record->ParseFromArray(payload.data(), static_cast<int>(payload.size()));
}

std::string record_kind(const wandb_internal::Record& record) {
  const pb::OneofDescriptor* oneof = record.GetDescriptor()->FindOneofByName("record_type");
  if (const pb::FieldDescriptor* field =
          record.GetReflection()->GetOneofFieldDescriptor(record, oneof)) {
    return field->name();
  }
  return record.has_control() ? "control" : "unknown";
}

Json message_to_json(const pb::Message& message) {
  Json out = Json::object();
  const pb::Reflection* r = message.GetReflection();
  if (message.GetDescriptor() == wandb_internal::Record::descriptor()) {
    out["num"] = static_cast<const wandb_internal::Record&>(message).num();
  }
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(message, &fields);  // set fields, by field number
  for (const pb::FieldDescriptor* field : fields) {
    if (field->is_repeated()) {
      Json list = Json::array();
      const int n = r->FieldSize(message, field);
      for (int i = 0; i < n; ++i) list.push_back(field_value(message, field, i));
      out[field->name()] = std::move(list);
    } else {
      out[field->name()] = field_value(message, field, -1);
    }
  }
  const pb::UnknownFieldSet& unknown = r->GetUnknownFields(message);
  if (!unknown.empty()) {
    std::set<int> numbers;
    for (int i = 0; i < unknown.field_count(); ++i) numbers.insert(unknown.field(i).number());
    out["unknown_fields"] = numbers;
  }
  return out;
}

// ---- RunFileWriter -----------------------------------------------------------

RunFileWriter::RunFileWriter(std::string path, Mode mode) : path_(std::move(path)) {
  // O_EXCL first, to know whether this writer created the file.
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ >= 0) {
    created_ = true;
  } else if (errno == EEXIST) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
  }
  if (fd_ < 0) throw_io_error("open file", path_, errno);
  try {
    // Two writers interleaving chunks would corrupt the file.
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
      const int err = errno;
      throw IoError("cannot lock file " + path_ + ": expected no other writer, got one (" +
                        std::strerror(err) + ")",
                    err);
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0) throw_io_error("stat file", path_, errno);
    if (st.st_size > 0 && mode == Mode::kCreate) {
      throw IoError("refusing to overwrite " + path_ + ": expected an empty or absent file, got " +
                        std::to_string(st.st_size) + " bytes",
                    EEXIST);
    }
    if (st.st_size > 0) {
      const RunFileContents contents = read_run_file(path_);  // ValueError for a foreign file
      if (contents.valid_bytes < contents.file_bytes) {
        if (::ftruncate(fd_, static_cast<off_t>(contents.valid_bytes)) != 0) {
          const int err = errno;
          throw IoError("cannot truncate file " + path_ + " to its last complete record at " +
                            std::to_string(contents.valid_bytes) + " bytes: " + std::strerror(err),
                        err);
        }
        dropped_bytes_ = contents.file_bytes - contents.valid_bytes;
      }
      size_ = contents.valid_bytes;
    }
    if (size_ == 0) write_locked(std::string(kRunFileHeader));
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    if (created_) ::unlink(path_.c_str());
    throw;
  }
}

RunFileWriter::~RunFileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void RunFileWriter::check_open_locked(const char* what) const {
  if (fd_ < 0) {
    throw StateError(std::string("cannot ") + what + " run file " + path_ +
                     ": expected an open writer, got a closed one");
  }
}

void RunFileWriter::write_locked(const std::string& bytes) {
  if (truncate_pending_) {
    // A failed write left bytes that could not be cut off then: cut them now,
    // or a shorter record would leave some of them behind it.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      const int err = errno;
      throw IoError("cannot truncate file " + path_ + " back to " + std::to_string(size_) +
                        " bytes after a failed write: " + std::strerror(err),
                    err);
    }
    truncate_pending_ = false;
  }
  size_t written = 0;
  const int err = pwrite_all(fd_, bytes, size_, &written);
  if (err != 0) {
    std::string message = "cannot write file " + path_ + ": " + std::strerror(err) + " (wrote " +
                          std::to_string(written) + " of " + std::to_string(bytes.size()) +
                          " bytes at offset " + std::to_string(size_) + ")";
    // Never leave part of a chunk behind: cut back to the last complete record.
    if (written > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      truncate_pending_ = true;
      message +=
          "; truncating back to " + std::to_string(size_) + " bytes failed: " + std::strerror(errno);
    }
    throw IoError(message, err);
  }
  size_ += static_cast<int64_t>(bytes.size());
}

int64_t RunFileWriter::append(const wandb_internal::Record& record) {
  return append_payloads({serialize_record(record)});
}

int64_t RunFileWriter::append_all(const std::vector<wandb_internal::Record>& records) {
  std::vector<std::string> payloads;
  payloads.reserve(records.size());
  for (const auto& record : records) payloads.push_back(serialize_record(record));
  return append_payloads(payloads);
}

int64_t RunFileWriter::append_payloads(const std::vector<std::string>& payloads) {
  std::lock_guard<std::mutex> lock(mutex_);
  check_open_locked("append to");
  std::string bytes;
  for (const std::string& payload : payloads) {
    bytes += encode_chunks(size_ + static_cast<int64_t>(bytes.size()), payload);
  }
  if (bytes.empty()) return size_;
  const int64_t first = size_ + chunk_padding(size_);
  write_locked(bytes);
  return first;
}

void RunFileWriter::sync() {
  std::lock_guard<std::mutex> lock(mutex_);
  check_open_locked("sync");
  if (::fsync(fd_) != 0) throw_io_error("sync file", path_, errno);
  if (created_ && !dir_synced_) {
    // A new file's directory entry is only durable once its folder is synced.
    std::filesystem::path dir = std::filesystem::path(path_).parent_path();
    if (dir.empty()) dir = ".";
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) throw_io_error("open folder", dir, errno);
    // Some file systems cannot sync a folder (EINVAL); the file itself is synced.
    if (::fsync(dir_fd) != 0 && errno != EINVAL) {
      const int err = errno;
      ::close(dir_fd);
      throw_io_error("sync folder", dir, err);
    }
    ::close(dir_fd);
    dir_synced_ = true;
  }
}

void RunFileWriter::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fd_ < 0) return;
  const int fd = fd_;
  fd_ = -1;  // released even when close reports an error
  if (::close(fd) != 0) throw_io_error("close file", path_, errno);
}

bool RunFileWriter::is_open() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fd_ >= 0;
}

int64_t RunFileWriter::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return size_;
}

}  // namespace detail

// ---- Reader --------------------------------------------------------------------

namespace {

using detail::ChunkType;
using detail::kChunkHeaderSize;
using detail::kRunFileBlockSize;
using detail::kRunFileHeader;

const char* chunk_type_name(int type) {
  switch (type) {
    case 1: return "FULL";
    case 2: return "FIRST";
    case 3: return "MIDDLE";
    case 4: return "LAST";
    default: return "?";
  }
}

}  // namespace

RunFileContents parse_run_file(const std::string& bytes, const std::string& what) {
  RunFileContents out;
  const auto size = static_cast<int64_t>(bytes.size());
  out.file_bytes = size;

  // The header: a proper prefix of it is a torn file, anything else is foreign.
  const auto head_len = static_cast<size_t>(std::min<int64_t>(size, kRunFileHeader.size()));
  const std::string_view head(bytes.data(), head_len);
  if (head.substr(0, 6) != kRunFileHeader.substr(0, std::min<size_t>(head_len, 6))) {
    throw ValueError("not a .wandb file " + what + ": expected header " +
                     detail::hex_bytes(kRunFileHeader) + ", got " + detail::hex_bytes(head));
  }
  if (head_len < kRunFileHeader.size()) {
    out.torn_tail = true;
    out.tail_error =
        "truncated header at offset 0: expected 7 bytes, got " + std::to_string(head_len);
    return out;
  }
  if (head[6] != kRunFileHeader[6]) {
    throw ValueError("unsupported .wandb version in " + what + ": expected 0, got " +
                     std::to_string(static_cast<unsigned char>(head[6])));
  }
  out.header_ok = true;

  int64_t pos = kRunFileHeader.size();
  out.valid_bytes = pos;
  std::string pending;         // payload of a record split over chunks
  int64_t pending_start = -1;  // offset of its FIRST chunk, -1 when none
  auto fail = [&](std::string message) {
    out.torn_tail = true;
    out.tail_error = std::move(message);
  };

  for (;;) {
    if (pos == size) {
      if (pending_start >= 0) {
        fail("truncated record at offset " + std::to_string(pending_start) +
             ": expected a MIDDLE or LAST chunk at offset " + std::to_string(pos) +
             ", got end of file");
      }
      break;
    }
    const int64_t left = kRunFileBlockSize - pos % kRunFileBlockSize;
    if (left < kChunkHeaderSize) {
      if (pos + left > size) {
        fail("truncated padding at offset " + std::to_string(pos) + ": expected " +
             std::to_string(left) + " zero bytes, got " + std::to_string(size - pos));
        break;
      }
      const std::string_view pad(bytes.data() + pos, static_cast<size_t>(left));
      if (pad.find_first_not_of('\0') != std::string_view::npos) {
        fail("bad padding at offset " + std::to_string(pos) + ": expected " + std::to_string(left) +
             " zero bytes, got " + detail::hex_bytes(pad));
        break;
      }
      pos += left;
      if (pos == size && pending_start < 0) {
        // Padding is only written together with the chunk that follows it.
        fail("truncated record at offset " + std::to_string(pos - left) +
             ": expected a chunk after " + std::to_string(left) +
             " bytes of padding, got end of file");
        break;
      }
      continue;
    }
    if (size - pos < kChunkHeaderSize) {
      fail("truncated chunk header at offset " + std::to_string(pos) + ": expected 7 bytes, got " +
           std::to_string(size - pos));
      break;
    }
    const char* h = bytes.data() + pos;
    const uint32_t stored_crc = detail::load_u32(h);
    const int64_t length = detail::load_u16(h + 4);
    const int type = static_cast<unsigned char>(h[6]);
    if (type < 1 || type > 4) {
      fail("bad chunk type at offset " + std::to_string(pos) +
           ": expected 1 (FULL), 2 (FIRST), 3 (MIDDLE) or 4 (LAST), got " + std::to_string(type));
      break;
    }
    if (length > left - kChunkHeaderSize) {
      fail("bad chunk length at offset " + std::to_string(pos) + ": expected at most " +
           std::to_string(left - kChunkHeaderSize) + " (the rest of the block), got " +
           std::to_string(length));
      break;
    }
    if (pos + kChunkHeaderSize + length > size) {
      fail("truncated chunk at offset " + std::to_string(pos) + ": expected " +
           std::to_string(length) + " payload bytes, got " +
           std::to_string(size - pos - kChunkHeaderSize));
      break;
    }
    const std::string_view data(h + kChunkHeaderSize, static_cast<size_t>(length));
    const uint32_t crc = detail::chunk_crc(static_cast<ChunkType>(type), data);
    if (crc != stored_crc) {
      fail("CRC mismatch in chunk at offset " + std::to_string(pos) + ": expected " +
           detail::hex32(stored_crc) + ", got " + detail::hex32(crc));
      break;
    }
    const bool starts = type == 1 || type == 2;
    if (starts != (pending_start < 0)) {
      fail(std::string("unexpected ") + chunk_type_name(type) + " chunk at offset " +
           std::to_string(pos) +
           (pending_start < 0 ? ": expected FULL or FIRST"
                              : ": expected MIDDLE or LAST after FIRST at offset " +
                                    std::to_string(pending_start)));
      break;
    }
    const int64_t chunk_start = pos;
    pos += kChunkHeaderSize + length;
    if (type == 2) {
      pending_start = chunk_start;
      pending.assign(data);
      continue;
    }
    if (type == 3) {
      pending.append(data);
      continue;
    }
    RunFileRecord record;
    if (type == 1) {
      record.offset = chunk_start;
      record.payload.assign(data);
    } else {
      record.offset = pending_start;
      pending.append(data);
      record.payload = std::move(pending);
      pending.clear();
      pending_start = -1;
    }
    wandb_internal::Record message;
    if (!detail::parse_record(record.payload, &message)) {
      fail("bad record at offset " + std::to_string(record.offset) +
           ": expected a wandb_internal.Record, got " + std::to_string(record.payload.size()) +
           " bytes that do not parse");
      break;
    }
    record.num = message.num();
    record.kind = detail::record_kind(message);
    record.json = detail::message_to_json(message);
    out.records.push_back(std::move(record));
    out.valid_bytes = pos;
  }
  return out;
}

RunFileContents read_run_file(const std::string& path) {
  return parse_run_file(detail::read_whole_file<std::string>(path), path);
}

}  // namespace wandb
