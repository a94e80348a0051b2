#include "detail/run_record.h"

#include <climits>

#include "wandb/errors.h"

namespace wandb::detail {

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

bool is_record(std::string_view payload) {
  wandb_internal::Record record;
  return parse_record(payload, &record);
}

std::string record_kind(const wandb_internal::Record& record) {
  namespace pb = google::protobuf;
  const pb::OneofDescriptor* oneof = record.GetDescriptor()->FindOneofByName("record_type");
  if (const pb::FieldDescriptor* field =
          record.GetReflection()->GetOneofFieldDescriptor(record, oneof)) {
    return field->name();
  }
  return record.has_control() ? "control" : "unknown";
}

int64_t append_record(RunFileWriter& writer, const wandb_internal::Record& record) {
  return writer.append(serialize_record(record));
}

int64_t append_records(RunFileWriter& writer, const std::vector<wandb_internal::Record>& records) {
  std::vector<std::string> payloads;
  payloads.reserve(records.size());
  for (const auto& record : records) payloads.push_back(serialize_record(record));
  return writer.append_all(payloads);
}

}  // namespace wandb::detail
