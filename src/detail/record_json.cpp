#include "detail/record_json.h"

#include <set>
#include <vector>

#include "wandb_internal.pb.h"

namespace wandb::detail {
namespace {

namespace pb = google::protobuf;

// One value of `field`: element `index` of a repeated field, or the field
// itself when `index` is negative.
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

}  // namespace

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

}  // namespace wandb::detail
