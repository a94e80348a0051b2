// Writes a sample `.wandb` file with every record type the library writes,
// including a history record spread over several blocks, plus a JSON sidecar
// (`<file>.json`) describing each record as the writer meant it. The Python
// cross-check (tests/python/read_wandb_file.py) decodes the file on its own
// and compares against the sidecar.
//
// usage: run_file_sample <out.wandb>
#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "detail/run_record.h"
#include "wandb/json.h"

namespace {

using wandb_internal::Record;

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::vector<Record> sample_records() {
  std::vector<Record> records;
  auto next = [&records](int64_t num) -> Record& {
    records.emplace_back();
    records.back().set_num(num);
    return records.back();
  };

  auto* version = next(1).mutable_header()->mutable_version_info();
  version->set_producer("wandb-image 0.1.0");
  version->set_min_consumer("0.10.0");

  auto* run = next(2).mutable_run();
  run->set_run_id("ab12cd34");
  run->set_entity("someone");
  run->set_project("cross-check");
  run->set_run_group("group");
  run->set_job_type("train");
  run->set_display_name("sample-run");
  run->set_notes("notes with unicode: \xc3\xa9t\xc3\xa9 \xe2\x9c\x93");
  run->add_tags("a");
  run->add_tags("b");
  run->set_host("localhost");
  run->set_starting_step(0);
  run->mutable_start_time()->set_seconds(1700000000);
  run->mutable_start_time()->set_nanos(123000000);
  run->set_runtime(0);

  auto* config = next(3).mutable_config();
  auto* lr = config->add_update();
  lr->set_key("lr");
  lr->set_value_json("0.001");
  auto* labels = config->add_update();
  labels->set_key("_wandb");
  labels->set_value_json(
      R"({"bounding_box/class_labels": {"img_wandb_delimeter_pred": {"type": )"
      R"("bounding_box/class_labels", "key": "img_wandb_delimeter_pred", "value": {"1": "cat"}}}})");

  auto* files = next(4).mutable_files();
  auto* image = files->add_files();
  image->set_path("media/images/img_0_0123456789abcdef0123.png");
  image->set_policy(wandb_internal::FilesItem::NOW);
  image->set_type(wandb_internal::FilesItem::MEDIA);
  auto* boxes = files->add_files();
  boxes->set_path("media/metadata/boxes2D/img_0_0123456789abcdef0123.boxes2D.json");
  boxes->set_policy(wandb_internal::FilesItem::NOW);
  boxes->set_type(wandb_internal::FilesItem::MEDIA);

  auto* history = next(5).mutable_history();
  history->mutable_step()->set_num(0);
  const std::pair<const char*, const char*> row[] = {
      {"img", R"({"_type": "image-file", "path": "media/images/img_0_0123456789abcdef0123.png"})"},
      {"loss", "0.5"},
      {"_step", "0"},
      {"_runtime", "1.25"},
      {"_timestamp", "1700000001.5"}};
  for (const auto& [key, value] : row) {
    auto* item = history->add_item();
    item->set_key(key);
    item->set_value_json(value);
  }

  // About 2.5 blocks of payload: FIRST, two MIDDLEs and a LAST.
  auto* big = next(6).mutable_history();
  big->mutable_step()->set_num(1);
  auto* blob = big->add_item();
  blob->set_key("long_text");
  std::string text = "\"";
  for (int i = 0; text.size() < 2 * 32768 + 20000; ++i) text += "row " + std::to_string(i) + "; ";
  text += "\"";
  blob->set_value_json(text);
  auto* nested = big->add_item();
  nested->add_nested_key("metrics");
  nested->add_nested_key("acc");
  nested->set_value_json("0.75");

  auto* summary = next(7).mutable_summary();
  auto* loss = summary->add_update();
  loss->set_key("loss");
  loss->set_value_json("0.5");
  auto* gone = summary->add_remove();
  gone->set_key("old");

  auto* exit = next(8).mutable_exit();
  exit->set_exit_code(0);
  exit->set_runtime(12);

  // The SDK writes the Final record as exactly the bytes A2 01 00.
  records.emplace_back();
  records.back().mutable_final();
  return records;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: run_file_sample <out.wandb>\n";
    return 2;
  }
  const std::filesystem::path out = argv[1];
  try {
    std::filesystem::create_directories(out.parent_path());
    std::filesystem::remove(out);
    const std::vector<Record> records = sample_records();
    wandb::detail::RunFileWriter writer(out.string());
    wandb::Json expected = wandb::Json::array();
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    for (const Record& record : records) {
      const int64_t offset = wandb::detail::append_record(writer, record);
      std::string json;
      if (!google::protobuf::util::MessageToJsonString(record, &json, options).ok()) {
        std::cerr << "run_file_sample: cannot render record " << record.num() << " as JSON\n";
        return 1;
      }
      expected.push_back({{"offset", offset},
                          {"kind", wandb::detail::record_kind(record)},
                          {"payload_hex", hex(wandb::detail::serialize_record(record))},
                          {"json", wandb::Json::parse(json)}});
    }
    writer.sync();
    writer.close();
    std::ofstream sidecar(out.string() + ".json");
    sidecar << wandb::Json{{"file_bytes", std::filesystem::file_size(out)}, {"records", expected}}
                   .dump(2)
            << "\n";
    if (!sidecar.flush()) {
      std::cerr << "run_file_sample: cannot write " << out.string() << ".json\n";
      return 1;
    }
    std::cout << "wrote " << records.size() << " records to " << out.string() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "run_file_sample: " << e.what() << "\n";
    return 1;
  }
}
