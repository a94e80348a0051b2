// The `.wandb` reader: any bytes must give records up to the first damage, or
// a wandb::Error, and the result must keep the promises run_file.h makes.
#include "fuzz_support.h"

#include <wandb/errors.h>
#include <wandb/json.h>
#include <wandb/run_file.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using wandb_fuzz::check;
  wandb::RunFileContents contents;
  try {
    contents = wandb::parse_run_file(wandb_fuzz::text(data, size), "fuzz.wandb");
  } catch (const wandb::Error&) {
    return 0;
  }
  check(contents.file_bytes == static_cast<int64_t>(size), "file_bytes is the input size");
  check(contents.valid_bytes >= 0 && contents.valid_bytes <= contents.file_bytes,
        "valid_bytes within the file");
  check(contents.torn_tail == !contents.tail_error.empty(), "tail_error set exactly when torn");
  int64_t previous = -1;
  for (const wandb::RunFileRecord& record : contents.records) {
    check(record.offset > previous && record.offset < contents.valid_bytes,
          "record offsets increase and lie before valid_bytes");
    previous = record.offset;
    // Records are shown to people and tools as Python-style JSON.
    wandb::dumps_python(record.json);
  }
  return 0;
}
