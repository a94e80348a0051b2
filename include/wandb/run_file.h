// Reading an offline run's `.wandb` file: its records as JSON, and whether the
// file is complete. For tests, tools and anyone checking what `wandb sync`
// will upload.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wandb/export.h"
#include "wandb/json.h"

namespace wandb {

/// One complete record of a `.wandb` file.
struct RunFileRecord {
  /// File offset of the record's first chunk header.
  int64_t offset = 0;
  /// The record's `num` field (0 when absent).
  int64_t num = 0;
  /// Which record it is: "header", "run", "config", "files", "history",
  /// "summary", "exit", "final", "control" or "unknown" (a record type this
  /// library does not model, e.g. one the Python SDK wrote).
  std::string kind;
  /// The record as JSON: {"num": 3, "history": {"item": [{"key": "loss",
  /// "value_json": "0.5"}], "step": {"num": 2}}}. Fields keep their .proto
  /// names and appear only when set; 64-bit integers are numbers, enums are
  /// names ("NOW", "MEDIA"), `value_json` stays a string, a Timestamp is
  /// {"seconds": s, "nanos": n}; field numbers the schema lacks are listed in
  /// "unknown_fields".
  Json json;
  /// The serialised `wandb_internal.Record` (the chunks' payloads joined).
  std::string payload;
};

/// Everything read from a `.wandb` file.
struct RunFileContents {
  /// Every complete record, in file order, up to the first damage.
  std::vector<RunFileRecord> records;
  /// True when the 7-byte header is present and right.
  bool header_ok = false;
  /// True when reading stopped before the end of the file: a truncated
  /// header, chunk or multi-chunk record (a writer killed mid-write), or a
  /// corrupt chunk (bad CRC, length, type or padding, or a payload that is no
  /// Record). Records after the damage are not returned.
  bool torn_tail = false;
  /// Offset just past the last complete record (7 after an intact header with
  /// no records, 0 when the header is incomplete).
  int64_t valid_bytes = 0;
  /// Size of the file.
  int64_t file_bytes = 0;
  /// What stopped the reader, with its offset; empty when !torn_tail.
  std::string tail_error;
};

/// Reads and checks a whole `.wandb` file (laid out as docs/run-file.md
/// describes): the header, every chunk's CRC, length and type sequence, and
/// that each record parses.
/// Damage never throws: it ends `records` and sets torn_tail / tail_error.
/// Throws IoError when the file cannot be read, and ValueError when its first
/// bytes are not the `.wandb` header (e.g. "not a .wandb file /x: expected
/// header 3a 57 26 42 e1 be 00, got 89 50 4e 47 0d 0a 1a").
WANDB_IMAGE_EXPORT RunFileContents read_run_file(const std::string& path);

/// read_run_file for bytes already in memory; `what` names them in messages.
WANDB_IMAGE_EXPORT RunFileContents parse_run_file(const std::string& bytes, const std::string& what = "<memory>");

}  // namespace wandb
