// Reading the framing of a `.wandb` run file: the header and the chunks,
// joined back into the payloads they carry. What the payloads mean is the
// caller's business (see run_record.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wandb::detail {

/// One payload whose chunks were all present and intact.
struct LogPayload {
  /// File offset of its first chunk header.
  int64_t offset = 0;
  /// File offset just past its last chunk.
  int64_t end = 0;
  /// The chunks' data joined.
  std::string bytes;
};

/// What read_log found; the fields mean what RunFileContents' do.
struct LogContents {
  /// Every complete payload, in file order, up to the first damage.
  std::vector<LogPayload> payloads;
  bool header_ok = false;
  bool torn_tail = false;
  /// Offset just past the last complete payload (7 after an intact header
  /// with none, 0 when the header is incomplete).
  int64_t valid_bytes = 0;
  int64_t file_bytes = 0;
  /// What stopped the reader, with its offset; empty when !torn_tail.
  std::string tail_error;

  /// Declares payloads[index] damaged, for a caller that cannot use it: it and
  /// every payload after it are dropped, valid_bytes ends before it, and
  /// `error` replaces tail_error (the damage comes before any the framing
  /// found further on).
  void cut_at(size_t index, std::string error);
};

/// Reads the header and every chunk of `bytes`: each chunk's CRC, length and
/// type sequence, and the zero padding at block ends. Damage never throws: it
/// ends `payloads` and sets torn_tail / tail_error. Throws ValueError when the
/// first bytes are not the `.wandb` header (`what` names the file).
LogContents read_log(std::string_view bytes, const std::string& what);

}  // namespace wandb::detail
