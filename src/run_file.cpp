#include "wandb/run_file.h"

#include "detail/file_io.h"
#include "detail/guard.h"
#include "detail/log_reader.h"
#include "detail/record_json.h"
#include "detail/run_record.h"

namespace wandb {
namespace {

// The record a complete payload holds; false when the payload is no Record.
bool to_record(detail::LogPayload& payload, RunFileRecord* record) {
  wandb_internal::Record message;
  if (!detail::parse_record(payload.bytes, &message)) return false;
  record->offset = payload.offset;
  record->num = message.num();
  record->kind = detail::record_kind(message);
  record->json = detail::message_to_json(message);
  record->payload = std::move(payload.bytes);
  return true;
}

// The payloads as records, up to the first that is no Record: that one is
// damage like a bad chunk, ending the file's valid part before it.
std::vector<RunFileRecord> to_records(detail::LogContents* log) {
  std::vector<RunFileRecord> records;
  records.reserve(log->payloads.size());
  for (size_t i = 0; i < log->payloads.size(); ++i) {
    RunFileRecord record;
    detail::LogPayload& payload = log->payloads[i];
    if (!to_record(payload, &record)) {
      log->cut_at(i, "bad record at offset " + std::to_string(payload.offset) +
                         ": expected a wandb_internal.Record, got " +
                         std::to_string(payload.bytes.size()) + " bytes that do not parse");
      break;
    }
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace

RunFileContents parse_run_file(const std::string& bytes, const std::string& what) try {
  detail::LogContents log = detail::read_log(bytes, what);
  RunFileContents out;
  out.records = to_records(&log);
  out.header_ok = log.header_ok;
  out.torn_tail = log.torn_tail;
  out.valid_bytes = log.valid_bytes;
  out.file_bytes = log.file_bytes;
  out.tail_error = std::move(log.tail_error);
  return out;
} WANDB_PUBLIC_CALL("parse_run_file")

RunFileContents read_run_file(const std::string& path) try {
  return parse_run_file(detail::read_whole_file<std::string>(path), path);
} WANDB_PUBLIC_CALL("read_run_file")

}  // namespace wandb
