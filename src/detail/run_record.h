// The records of a `.wandb` run file: each payload is one serialised
// wandb_internal.Record. Turning records into payloads and back, and handing
// a batch of them to the framing writer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "detail/log_writer.h"
#include "wandb_internal.pb.h"

namespace wandb::detail {

/// Serialises `record`; throws ValueError when protobuf cannot (over 2 GiB).
std::string serialize_record(const wandb_internal::Record& record);

/// Parses a payload; false when the bytes are not a Record.
bool parse_record(std::string_view payload, wandb_internal::Record* record);

/// parse_record's verdict alone, as a RunFileWriter::PayloadCheck.
bool is_record(std::string_view payload);

/// The record's kind: the name of its `record_type` field ("header", "run",
/// "history", ...), "control" when only `control` is set, else "unknown".
std::string record_kind(const wandb_internal::Record& record);

/// Writes `record` to `writer`; returns the offset of its first chunk. The
/// caller assigns Record.num.
int64_t append_record(RunFileWriter& writer, const wandb_internal::Record& record);

/// Writes `records` with a single write (RunFileWriter::append_all); after a
/// write error none of them is kept. Returns the offset of the first one's
/// first chunk (the writer's size() when empty).
int64_t append_records(RunFileWriter& writer, const std::vector<wandb_internal::Record>& records);

}  // namespace wandb::detail
