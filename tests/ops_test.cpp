// libwandb_image_ops: the registered schemas and class, dispatcher calls equal
// to direct calls, errors, logging into the current run, the dead-code
// elimination proof, TorchScript compiled from C++, and models scripted in
// Python (tests/python/script_model.py, run by ctest as a fixture).
#include <gtest/gtest.h>
#include <torch/csrc/jit/frontend/resolver.h>
#include <torch/csrc/jit/frontend/sugared_value.h>
#include <torch/csrc/jit/ir/irparser.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/script.h>

#include <cstdlib>
#include <mutex>
#include <sstream>
#include <thread>

#include "run_support.h"
#include "test_support.h"
#include "wandb/errors.h"
#include "wandb/run.h"
#include "wandb/torch_ops.h"
#include "wandb/warnings.h"

namespace fs = std::filesystem;
namespace jit = torch::jit;
using wandb::Image;
using wandb::Json;

namespace {

using wandb::test::expect_error;
using wandb::test::Warnings;

// ---- helpers ------------------------------------------------------------------


c10::OperatorHandle op(const char* name) {
  return c10::Dispatcher::singleton().findSchemaOrThrow(name, "");
}

// Calls an operator through the dispatcher's boxed path (as the JIT does).
c10::IValue call_boxed(const char* name, std::vector<c10::IValue> args) {
  const auto handle = op(name);
  jit::Stack stack(std::move(args));
  // Fill in the schema defaults the caller left out.
  const auto& arguments = handle.schema().arguments();
  for (size_t i = stack.size(); i < arguments.size(); ++i) {
    stack.push_back(*arguments[i].default_value());
  }
  handle.callBoxed(stack);
  return stack.empty() ? c10::IValue() : stack.back();
}

// Calls a method of torch.classes.wandb.Image, with keyword arguments.
c10::IValue call_method(const c10::IValue& self, const std::string& name,
                        std::vector<c10::IValue> args = {}, jit::Kwargs kwargs = {}) {
  args.insert(args.begin(), self);
  return self.toObjectRef().type()->getMethod(name)(std::move(args), kwargs);
}

// torch.classes.wandb.Image(args..., **kwargs), the way Python's ScriptClass does it.
c10::IValue new_image(std::vector<c10::IValue> args, jit::Kwargs kwargs = {}) {
  const c10::ClassTypePtr type = jit::getCustomClass(wandb::ops::kImageClassName);
  auto object = c10::ivalue::Object::create(c10::StrongTypePtr(nullptr, type), 1);
  args.insert(args.begin(), object);
  type->getMethod("__init__")(std::move(args), kwargs);
  return object;
}

bool same(const at::Tensor& a, const at::Tensor& b) {
  return a.sizes() == b.sizes() && a.scalar_type() == b.scalar_type() && a.equal(b);
}

at::Tensor bytes_of(const std::vector<uint8_t>& v) {
  return at::from_blob(const_cast<uint8_t*>(v.data()), {static_cast<int64_t>(v.size())}, at::kByte)
      .clone();
}

at::Tensor gradient(int64_t c, int64_t h, int64_t w) {
  return (at::arange(c * h * w, at::kDouble) / double(c * h * w)).reshape({c, h, w});
}

// Source compiled from C++: `Image` is the class and `ops` the operator
// namespaces, as in the code torch.jit.save writes.
struct OpsNamespace : jit::SugaredValue {
  std::string kind() const override { return "ops namespace"; }
  std::shared_ptr<jit::SugaredValue> attr(const jit::SourceRange&, jit::GraphFunction&,
                                          const std::string& field) override {
    return std::make_shared<jit::BuiltinModule>(field);
  }
};

struct WandbResolver : jit::Resolver {
  std::shared_ptr<jit::SugaredValue> resolveValue(const std::string& name, jit::GraphFunction& m,
                                                  const jit::SourceRange& loc) override {
    if (name == "Image") {
      return std::make_shared<jit::ClassValue>(jit::getCustomClass(wandb::ops::kImageClassName));
    }
    if (name == "ops") return std::make_shared<OpsNamespace>();
    return jit::nativeResolver()->resolveValue(name, m, loc);
  }
  c10::TypePtr resolveType(const std::string& name, const jit::SourceRange& loc) override {
    if (name == "Image") return jit::getCustomClass(wandb::ops::kImageClassName);
    return jit::nativeResolver()->resolveType(name, loc);
  }
};

std::shared_ptr<jit::CompilationUnit> compile(const std::string& source) {
  auto cu = std::make_shared<jit::CompilationUnit>();
  cu->define(c10::nullopt, source, std::make_shared<WandbResolver>(), nullptr);
  return cu;
}

std::vector<std::string> node_kinds(jit::Block* block) {
  std::vector<std::string> kinds;
  for (jit::Node* node : block->nodes()) {
    kinds.emplace_back(node->kind().toQualString());
    for (jit::Block* inner : node->blocks()) {
      auto more = node_kinds(inner);
      kinds.insert(kinds.end(), more.begin(), more.end());
    }
  }
  return kinds;
}

bool has_kind(const std::shared_ptr<jit::Graph>& graph, const std::string& kind) {
  const auto kinds = node_kinds(graph->block());
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

// History rows without the fields that depend on the time of the run.
std::vector<Json> history(const wandb::Run& run) {
  auto rows = wandb::test::read_history_lines(run.dir());
  for (auto& row : rows) {
    row.erase("_runtime");
    row.erase("_timestamp");
  }
  return rows;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Same history, same media names and identical media bytes.
void expect_same_runs(const wandb::Run& a, const wandb::Run& b) {
  EXPECT_EQ(history(a), history(b));
  const auto files = wandb::test::media_files(a.dir());
  EXPECT_EQ(files, wandb::test::media_files(b.dir()));
  EXPECT_FALSE(files.empty());
  for (const auto& f : files) {
    EXPECT_EQ(read_file(a.dir() / f), read_file(b.dir() / f)) << f;
  }
  // Compared without key order: the run registers layer labels from its
  // background workers, so their order in the config varies between runs.
  EXPECT_EQ(nlohmann::json::parse(a.config().dump()), nlohmann::json::parse(b.config().dump()));
}

const std::vector<std::string> kSchemas = {
    "wandb::log_ready(Tensor data, str? mode=None, bool normalize=True) -> Tensor",
    "wandb::encode(Tensor data, str file_type=\"png\", str? mode=None, bool normalize=True, "
    "int? png_compression=None, int jpeg_quality=75) -> Tensor",
    "wandb::log(str key, __torch__.torch.classes.wandb.Image image, int? step=None) -> ()",
    "wandb::log_list(str key, __torch__.torch.classes.wandb.Image[] images, int? step=None) -> ()",
};

}  // namespace

// ---- registry ---------------------------------------------------------------------

TEST(OpsRegistry, LoadFindsTheFourOps) { EXPECT_EQ(wandb::ops::load(), 4); }

TEST(OpsRegistry, SchemasAreExact) {
  wandb::ops::load();
  for (const std::string& expected : kSchemas) {
    const std::string name = expected.substr(0, expected.find('('));
    std::ostringstream got;
    got << op(name.c_str()).schema();
    EXPECT_EQ(got.str(), expected);
  }
  EXPECT_EQ(op("wandb::log_ready").schema().aliasAnalysis(), c10::AliasAnalysisKind::FROM_SCHEMA);
  EXPECT_EQ(op("wandb::encode").schema().aliasAnalysis(), c10::AliasAnalysisKind::FROM_SCHEMA);
  EXPECT_EQ(op("wandb::log").schema().aliasAnalysis(), c10::AliasAnalysisKind::CONSERVATIVE);
  EXPECT_EQ(op("wandb::log_list").schema().aliasAnalysis(), c10::AliasAnalysisKind::CONSERVATIVE);
  // The JIT's operator registry sees them too (as scripted code does).
  for (const char* name : {"wandb::log_ready", "wandb::encode", "wandb::log", "wandb::log_list"}) {
    EXPECT_EQ(jit::getAllOperatorsFor(c10::Symbol::fromQualString(name)).size(), 1u) << name;
  }
}

TEST(OpsRegistry, ClassAndMethods) {
  const c10::ClassTypePtr type = jit::getCustomClass("__torch__.torch.classes.wandb.Image");
  ASSERT_TRUE(type);
  std::ostringstream init;
  init << type->getMethod("__init__").getSchema();
  EXPECT_EQ(init.str(),
            "__init__(__torch__.torch.classes.wandb.Image _0, Tensor data, str? caption=None, "
            "str? mode=None, str? file_type=None, bool normalize=True, int? grouping=None) -> "
            "NoneType _0");
  std::ostringstream boxes;
  boxes << type->getMethod("add_boxes").getSchema();
  EXPECT_NE(boxes.str().find("str layer, Tensor boxes, Tensor class_ids, str format=\"xyxy\", "
                             "Tensor? scores=None, str score_name=\"score\", str domain=\"pixel\", "
                             "Dict(int, str)? class_labels=None"),
            std::string::npos)
      << boxes.str();
  for (const char* m :
       {"width", "height", "format", "mode", "caption", "grouping", "sha256", "pixels", "encoded",
        "add_boxes", "add_mask", "__str__", "__repr__", "__eq__", "__ne__", "box_layers",
        "mask_layers", "boxes_json", "masks_json", "mask", "__getstate__", "__setstate__"}) {
    EXPECT_NE(type->findMethod(m), nullptr) << m;
  }
}

// ---- dispatcher calls equal direct calls -------------------------------------------

TEST(OpsDispatch, LogReadyEqualsImagePixels) {
  const auto typed = op("wandb::log_ready")
                         .typed<at::Tensor(const at::Tensor&, c10::optional<std::string>, bool)>();
  struct Case {
    at::Tensor data;
    std::optional<std::string> mode;
    bool normalize;
  };
  const std::vector<Case> cases = {
      {gradient(3, 5, 7), std::nullopt, true},
      {gradient(3, 5, 7) * 2 - 1, std::nullopt, true},  // [-1, 1]
      {gradient(1, 4, 6).to(at::kFloat), "L", true},
      {gradient(4, 3, 3), std::nullopt, true},  // RGBA
      {(gradient(3, 4, 4) * 300).to(at::kInt), "RGB", false},
      {(gradient(1, 6, 2) * 255).to(at::kByte).squeeze(0), std::nullopt, true},  // H x W
      {gradient(3, 8, 8).permute({0, 2, 1}), std::nullopt, true},                // not contiguous
  };
  for (const Case& c : cases) {
    wandb::ImageOptions options;
    options.mode = c.mode;
    options.normalize = c.normalize;
    const at::Tensor expected = Image(c.data, options).pixels();
    const c10::optional<std::string> mode =
        c.mode ? c10::optional<std::string>(*c.mode) : c10::nullopt;
    EXPECT_TRUE(same(typed.call(c.data, mode, c.normalize), expected));
    EXPECT_TRUE(
        same(call_boxed("wandb::log_ready", {c.data, mode, c.normalize}).toTensor(), expected));
  }
  // Defaults: mode=None, normalize=True.
  EXPECT_TRUE(same(call_boxed("wandb::log_ready", {gradient(3, 2, 2)}).toTensor(),
                   Image(gradient(3, 2, 2)).pixels()));
}

TEST(OpsDispatch, EncodeEqualsImageEncoded) {
  const at::Tensor x = gradient(3, 16, 12);
  struct Case {
    std::string file_type;
    std::optional<int> png;
    int quality;
  };
  for (const Case& c : std::vector<Case>{{"png", std::nullopt, 75},
                                         {"png", 9, 75},
                                         {"jpg", std::nullopt, 90},
                                         {"jpeg", std::nullopt, 75},
                                         {"bmp", std::nullopt, 75}}) {
    const auto expected =
        Image(x, {.file_type = c.file_type, .png_compression = c.png, .jpeg_quality = c.quality})
            .encoded();
    const c10::IValue png = c.png ? c10::IValue(int64_t{*c.png}) : c10::IValue();
    const at::Tensor got =
        call_boxed("wandb::encode", {x, c.file_type, c10::IValue(), true, png, int64_t{c.quality}})
            .toTensor();
    EXPECT_TRUE(same(got, bytes_of(expected))) << c.file_type;
  }
  EXPECT_TRUE(same(call_boxed("wandb::encode", {x}).toTensor(), bytes_of(Image(x).encoded())));
}

TEST(OpsDispatch, ClassMethodsEqualImage) {
  const at::Tensor x = gradient(3, 10, 14);
  const c10::IValue obj = new_image({x}, {{"caption", std::string("cap")},
                                          {"file_type", std::string("jpg")},
                                          {"grouping", int64_t{4}}});
  const Image expected(x, {.caption = "cap", .grouping = 4, .file_type = "jpg"});
  EXPECT_EQ(call_method(obj, "width").toInt(), 14);
  EXPECT_EQ(call_method(obj, "height").toInt(), 10);
  EXPECT_EQ(call_method(obj, "format").toStringRef(), "jpg");
  EXPECT_EQ(call_method(obj, "mode").toStringRef(), "RGB");
  EXPECT_EQ(call_method(obj, "caption").toStringRef(), "cap");
  EXPECT_EQ(call_method(obj, "grouping").toInt(), 4);
  EXPECT_EQ(call_method(obj, "sha256").toStringRef(), expected.sha256());
  EXPECT_TRUE(same(call_method(obj, "pixels").toTensor(), expected.pixels()));
  EXPECT_TRUE(same(call_method(obj, "encoded").toTensor(), bytes_of(expected.encoded())));
  EXPECT_TRUE(wandb::ops::to_image(obj) == expected);

  const c10::IValue plain = new_image({x});
  EXPECT_TRUE(call_method(plain, "caption").isNone());
  EXPECT_TRUE(call_method(plain, "grouping").isNone());
  EXPECT_EQ(call_method(plain, "format").toStringRef(), "png");
  const c10::IValue grey =
      new_image({x.select(0, 0)}, {{"mode", std::string("L")}, {"normalize", false}});
  EXPECT_TRUE(same(call_method(grey, "pixels").toTensor(),
                   Image(x.select(0, 0), {.mode = "L", .normalize = false}).pixels()));
}

TEST(OpsDispatch, AddBoxesAndMaskEqualDirectLayers) {
  const at::Tensor x = gradient(3, 12, 16);
  const at::Tensor boxes = at::tensor({2.0, 1.0, 6.0, 5.0, 8.0, 4.0, 3.0, 3.0}).reshape({2, 4});
  const at::Tensor ids = at::tensor({int64_t{1}, int64_t{2}});
  const at::Tensor scores = at::tensor({0.25, 0.75});
  const at::Tensor mask = (x.select(0, 0) * 3).to(at::kLong);
  c10::Dict<int64_t, std::string> box_labels;
  box_labels.insert(2, "dog");
  box_labels.insert(1, "cat");
  c10::Dict<int64_t, std::string> mask_labels;
  mask_labels.insert(0, "bg");
  mask_labels.insert(2, "fg");

  c10::IValue obj = new_image({x}, {{"caption", std::string("layers")}});
  obj = call_method(obj, "add_boxes", {std::string("pred"), boxes, ids},
                    {{"format", std::string("xywh")},
                     {"scores", scores},
                     {"score_name", std::string("conf")},
                     {"class_labels", box_labels}});
  obj = call_method(obj, "add_boxes", {std::string("frac"), boxes / 20, ids},
                    {{"format", std::string("cxcywh")}, {"domain", std::string("fraction")}});
  obj = call_method(obj, "add_mask", {std::string("seg"), mask, mask_labels});
  obj = call_method(obj, "add_mask", {std::string("plain"), mask.to(at::kByte)});

  const auto pred = wandb::BoundingBoxes2D::from_tensors(
      boxes, ids, wandb::BoxFormat::kXYWH, wandb::BoxDomain::kPixel, &scores, "conf",
      wandb::ClassLabels{{2, "dog"}, {1, "cat"}});
  const auto frac = wandb::BoundingBoxes2D::from_tensors(boxes / 20, ids, wandb::BoxFormat::kCXCYWH,
                                                         wandb::BoxDomain::kFraction);
  const Image expected(
      x, {.caption = "layers",
          .boxes = {{"pred", pred}, {"frac", frac}},
          .masks = {{"seg", wandb::ImageMask(mask, wandb::ClassLabels{{0, "bg"}, {2, "fg"}})},
                    {"plain", wandb::ImageMask(mask)}}});
  const Image got = wandb::ops::to_image(obj);
  EXPECT_TRUE(got == expected);  // pixels, caption and classes
  ASSERT_EQ(got.boxes().size(), 2u);
  ASSERT_EQ(got.masks().size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(got.boxes()[i].first, expected.boxes()[i].first);
    EXPECT_EQ(got.boxes()[i].second.json(), expected.boxes()[i].second.json());
    EXPECT_EQ(got.masks()[i].first, expected.masks()[i].first);
    EXPECT_TRUE(got.masks()[i].second == expected.masks()[i].second);
  }
  EXPECT_EQ(got.classes()->to_json(), expected.classes()->to_json());
}

// ---- str, ==, layers read back ----------------------------------------------------

namespace {

// A jpg image with a caption that needs escaping, a grouping, two box layers
// and a mask layer, built through the class methods.
struct Layered {
  at::Tensor x = gradient(3, 10, 14);
  at::Tensor boxes = at::tensor({2.0, 1.0, 6.0, 5.0}).reshape({1, 4});
  at::Tensor ids = at::tensor({int64_t{1}});
  at::Tensor mask = (at::arange(140, at::kLong) % 2 * 2).reshape({10, 14});  // 0 and 2
  c10::IValue obj;

  explicit Layered(const at::Tensor& box_shift = at::zeros({1, 4}, at::kDouble)) {
    c10::Dict<int64_t, std::string> labels;
    labels.insert(1, "cat");
    c10::Dict<int64_t, std::string> mask_labels;
    mask_labels.insert(0, "bg");
    mask_labels.insert(2, "fg");
    obj = new_image({x}, {{"caption", std::string("say \"hi\"")},
                          {"file_type", std::string("jpg")},
                          {"grouping", int64_t{4}}});
    obj = call_method(obj, "add_boxes", {std::string("pred"), boxes + box_shift, ids},
                      {{"class_labels", labels}});
    obj = call_method(obj, "add_boxes", {std::string("frac"), boxes / 20, ids},
                      {{"domain", std::string("fraction")}});
    obj = call_method(obj, "add_mask", {std::string("seg"), mask, mask_labels});
  }
};

bool eq(const c10::IValue& a, const c10::IValue& b) {
  return call_method(a, "__eq__", {b}).toBool();
}
bool ne(const c10::IValue& a, const c10::IValue& b) {
  return call_method(a, "__ne__", {b}).toBool();
}

}  // namespace

TEST(OpsImageMethods, StrNamesSizeModeFormatCaptionAndLayers) {
  const Layered layered;
  const std::string expected =
      "wandb.Image(14x10 RGB jpg, caption=\"say \\\"hi\\\"\", grouping=4, boxes=[\"pred\", "
      "\"frac\"], masks=[\"seg\"])";
  EXPECT_EQ(call_method(layered.obj, "__str__").toStringRef(), expected);
  EXPECT_EQ(call_method(layered.obj, "__repr__").toStringRef(), expected);
  EXPECT_EQ(call_method(new_image({gradient(1, 3, 5)}), "__str__").toStringRef(),
            "wandb.Image(5x3 L png)");
  const c10::IValue ref =
      wandb::ops::to_ivalue(Image("https://example.com/a.png", {.caption = "ref"}));
  EXPECT_EQ(call_method(ref, "__str__").toStringRef(),
            "wandb.Image(reference \"https://example.com/a.png\", caption=\"ref\")");

  wandb::test::TempDir tmp;
  const fs::path png = tmp / "file.png";
  const auto bytes = Image(gradient(3, 6, 7)).encoded();
  wandb::test::write_bytes(png, std::string(bytes.begin(), bytes.end()));
  const c10::IValue file = wandb::ops::to_ivalue(Image(png.string()));
  EXPECT_EQ(call_method(file, "__str__").toStringRef(),
            "wandb.Image(7x6 RGB png, file=" + Json(png.string()).dump() + ")");
  // A file name that is not UTF-8 is printed with U+FFFD, not an error.
  const fs::path odd_png = tmp / "odd\xff.png";
  wandb::test::write_bytes(odd_png, std::string(bytes.begin(), bytes.end()));
  const c10::IValue odd = wandb::ops::to_ivalue(Image(odd_png.string()));
  EXPECT_EQ(call_method(odd, "__str__").toStringRef(),
            "wandb.Image(7x6 RGB png, file=\"" + (tmp / "odd").string() + "\xef\xbf\xbd.png\")");
}

TEST(OpsImageMethods, EqualityComparesImageAndLayers) {
  const Layered a;
  const Layered b;  // built again: another object, the same content
  EXPECT_TRUE(eq(a.obj, a.obj));
  EXPECT_TRUE(eq(a.obj, b.obj));
  EXPECT_FALSE(ne(a.obj, b.obj));

  // The core's == (the SDK's) does not look at box positions; __eq__ does.
  const Layered moved(at::tensor({1.0, 0.0, 1.0, 0.0}).reshape({1, 4}));
  EXPECT_TRUE(wandb::ops::to_image(a.obj) == wandb::ops::to_image(moved.obj));  // the control
  EXPECT_FALSE(eq(a.obj, moved.obj));
  EXPECT_TRUE(ne(a.obj, moved.obj));

  // Mask values, with the same labels.
  c10::Dict<int64_t, std::string> mask_labels;
  mask_labels.insert(0, "bg");
  mask_labels.insert(2, "fg");
  const c10::IValue flat = call_method(new_image({a.x}), "add_mask",
                                       {std::string("seg"), at::zeros({10, 14}, at::kLong),
                                        mask_labels});
  const c10::IValue shaped =
      call_method(new_image({a.x}), "add_mask", {std::string("seg"), a.mask, mask_labels});
  EXPECT_TRUE(wandb::ops::to_image(flat) == wandb::ops::to_image(shaped));  // the control
  EXPECT_FALSE(eq(flat, shaped));

  // Layer order counts; the caption and the pixels do too.
  const c10::IValue plain = new_image({a.x});
  const c10::IValue one = call_method(plain, "add_mask", {std::string("m1"), a.mask});
  const c10::IValue m1m2 = call_method(one, "add_mask", {std::string("m2"), a.mask});
  const c10::IValue m2m1 = call_method(
      call_method(plain, "add_mask", {std::string("m2"), a.mask}), "add_mask",
      {std::string("m1"), a.mask});
  EXPECT_TRUE(eq(m1m2, call_method(one, "add_mask", {std::string("m2"), a.mask})));
  EXPECT_FALSE(eq(m1m2, m2m1));
  EXPECT_FALSE(eq(plain, new_image({a.x}, {{"caption", std::string("c")}})));
  EXPECT_FALSE(eq(plain, new_image({a.x * 0.5})));
  EXPECT_TRUE(eq(plain, new_image({a.x})));

  // Anything else is unequal, not an error.
  EXPECT_FALSE(eq(plain, c10::IValue()));
  EXPECT_FALSE(eq(plain, a.x));
  EXPECT_TRUE(ne(plain, std::string("img")));
}

TEST(OpsImageMethods, LayersReadBackAsJson) {
  const Layered layered;
  const Image image = wandb::ops::to_image(layered.obj);
  const auto names = [](const c10::IValue& list) {
    std::vector<std::string> out;
    for (const c10::IValue& v : list.toListRef()) out.push_back(v.toStringRef());
    return out;
  };
  EXPECT_EQ(names(call_method(layered.obj, "box_layers")),
            (std::vector<std::string>{"pred", "frac"}));
  EXPECT_EQ(names(call_method(layered.obj, "mask_layers")), std::vector<std::string>{"seg"});

  const Json boxes = Json::parse(call_method(layered.obj, "boxes_json").toStringRef());
  ASSERT_EQ(boxes.size(), 2u);
  EXPECT_EQ(boxes.begin().key(), "pred");  // layer order, not sorted
  // Each value is the layer's .boxes2D.json, byte for byte once dumped as Python does.
  EXPECT_EQ(wandb::dumps_python(boxes["pred"]), image.boxes()[0].second.file_content());
  EXPECT_EQ(wandb::dumps_python(boxes["frac"]), image.boxes()[1].second.file_content());
  EXPECT_EQ(boxes["pred"]["class_labels"], Json({{"1", "cat"}}));
  EXPECT_EQ(boxes["pred"]["box_data"][0]["position"],
            Json({{"minX", 2.0}, {"maxX", 6.0}, {"minY", 1.0}, {"maxY", 5.0}}));

  const Json masks = Json::parse(call_method(layered.obj, "masks_json").toStringRef());
  const wandb::ImageMask& seg = image.masks()[0].second;
  EXPECT_EQ(masks, Json({{"seg",
                          {{"width", 14},
                           {"height", 10},
                           {"class_labels", {{"0", "bg"}, {"2", "fg"}}},
                           {"sha256", seg.sha256()},
                           {"size", seg.size()}}}}));
  const at::Tensor values = call_method(layered.obj, "mask", {std::string("seg")}).toTensor();
  EXPECT_TRUE(same(values, layered.mask.to(at::kByte)));

  const c10::IValue plain = new_image({layered.x});
  EXPECT_EQ(call_method(plain, "boxes_json").toStringRef(), "{}");
  EXPECT_EQ(call_method(plain, "masks_json").toStringRef(), "{}");
  EXPECT_TRUE(call_method(plain, "box_layers").toListRef().empty());
  expect_error<c10::ValueError>(
      [&] { call_method(layered.obj, "mask", {std::string("pred")}); },
      "wandb.Image.mask: mask layer: expected one of [\"seg\"], got \"pred\"");
}

// TorchScript compiles str(img), img == x and img != x to the methods.
TEST(OpsImageMethods, ScriptedStrAndComparison) {
  const auto cu = compile(
      "def describe(img: Image, other: Image) -> Tuple[str, bool, bool]:\n"
      "    return (str(img), img == other, img != other)\n"
      "def is_none(img: Image) -> bool:\n"
      "    return img == None\n");
  const Layered a;
  const Layered b;
  const Layered moved(at::tensor({1.0, 0.0, 1.0, 0.0}).reshape({1, 4}));
  const auto same_out = cu->run_method("describe", a.obj, b.obj).toTupleRef().elements();
  EXPECT_EQ(same_out[0].toStringRef(), call_method(a.obj, "__str__").toStringRef());
  EXPECT_TRUE(same_out[1].toBool());
  EXPECT_FALSE(same_out[2].toBool());
  const auto other_out = cu->run_method("describe", a.obj, moved.obj).toTupleRef().elements();
  EXPECT_FALSE(other_out[1].toBool());
  EXPECT_TRUE(other_out[2].toBool());
  EXPECT_FALSE(cu->run_method("is_none", a.obj).toBool());
}

// ---- errors -------------------------------------------------------------------------

TEST(OpsErrors, BadArgumentsRaiseC10ErrorsWithTheCoreMessage) {
  const at::Tensor x = gradient(3, 4, 4);
  expect_error<c10::ValueError>(
      [&] {
        call_boxed("wandb::log_ready", {at::zeros({1, 3, 4, 4})});
      },
      "expected C x H x W or H x W");
  expect_error<c10::ValueError>(
      [&] {
        call_boxed("wandb::log_ready", {x, std::string("CMYK")});
      },
      "mode: expected one of ['L', 'LA', 'RGB', 'RGBA'], got 'CMYK'");
  expect_error<c10::ValueError>(
      [&] {
        call_boxed("wandb::encode", {x, std::string("gif")});
      },
      "file_type must be one of ['png', 'jpg', 'jpeg', 'bmp'], got 'gif'");
  expect_error<c10::ValueError>(
      [&] {
        call_boxed("wandb::encode", {x, std::string("png"), c10::IValue(), true, int64_t{10}});
      },
      "png_compression: expected a zlib level from 0 to 9, got 10");
  expect_error<c10::ValueError>(
      [&] {
        call_boxed("wandb::encode", {x, std::string("png"), c10::IValue(), true, int64_t{1} << 40});
      },
      "png_compression: expected a 32-bit integer, got 1099511627776");
  expect_error<c10::ValueError>(
      [&] {
        new_image({at::zeros({2, 2, 2, 2})});
      },
      "wandb.Image: image tensor: expected C x H x W or H x W");

  const c10::IValue obj = new_image({x});
  const at::Tensor box = at::tensor({0.0, 0.0, 1.0, 1.0}).reshape({1, 4});
  const at::Tensor id = at::tensor({int64_t{1}});
  expect_error<c10::ValueError>(
      [&] {
        call_method(obj, "add_boxes", {std::string("b"), box, id}, {{"format", std::string("xy")}});
      },
      "wandb.Image.add_boxes: box format: expected \"xyxy\", \"xywh\" or \"cxcywh\", got \"xy\"");
  expect_error<c10::ValueError>(
      [&] {
        call_method(obj, "add_boxes", {std::string("b"), box, id}, {{"domain", std::string("px")}});
      },
      "box domain: expected \"pixel\" or \"fraction\", got \"px\"");
  expect_error<c10::ValueError>(
      [&] {
        call_method(obj, "add_boxes", {std::string("b"), at::zeros({2, 3}), id});
      },
      "boxes: expected an (N, 4) tensor");
  expect_error<c10::TypeError>(
      [&] {
        call_method(obj, "add_boxes", {std::string("b"), box, at::ones({1})});
      },
      "A box's class_id must be an integer");
  expect_error<c10::ValueError>(
      [&] {
        call_method(obj, "add_mask", {std::string("m"), at::full({4, 4}, 256, at::kLong)});
      },
      "Mask data must be integers between 0 and 255: got values from 256 to 256");
  expect_error<c10::ValueError>(
      [&] {
        call_method(obj, "add_mask", {std::string("m"), at::zeros({4, 4, 1}, at::kLong)});
      },
      "mask_data must be a 2D array");
  expect_error<c10::TypeError>(
      [&] {
        call_method(obj, "add_mask", {std::string("m"), at::zeros({4, 4})});
      },
      "Mask data must be integers between 0 and 255: expected an integer dtype, got Float");
  // A second layer with the same name is refused by the core.
  const c10::IValue once =
      call_method(obj, "add_mask", {std::string("m"), at::zeros({4, 4}, at::kLong)});
  expect_error<c10::ValueError>(
      [&] {
        call_method(once, "add_mask", {std::string("m"), at::zeros({4, 4}, at::kLong)});
      },
      "masks: expected unique layer names, got \"m\" twice");
  // References have no pixels.
  const c10::IValue ref = wandb::ops::to_ivalue(Image("s3://bucket/x.png"));
  expect_error<c10::Error>([&] { call_method(ref, "pixels"); }, "wandb.Image.pixels");
}

TEST(OpsErrors, ScriptedCodeCarriesTheMessage) {
  const auto cu = compile(
      "def bad_mode(x: Tensor) -> Tensor:\n"
      "    return ops.wandb.log_ready(x, mode='P')\n");
  try {
    cu->run_method("bad_mode", gradient(3, 2, 2));
    ADD_FAILURE() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_NE(
        std::string(e.what()).find("mode: expected one of ['L', 'LA', 'RGB', 'RGBA'], got 'P'"),
        std::string::npos)
        << e.what();
  }
}

TEST(OpsErrors, ToImageRefusesOtherValues) {
  expect_error<wandb::TypeError>(
      [] { wandb::ops::to_image(at::zeros({1})); },
      "to_image: expected a __torch__.torch.classes.wandb.Image, got Tensor");
  expect_error<wandb::TypeError>(
      [] { wandb::ops::to_image(c10::IValue()); },
      "to_image: expected a __torch__.torch.classes.wandb.Image, got None");
  expect_error<wandb::TypeError>([] { wandb::ops::to_images(c10::IValue(int64_t{3})); },
                                 "to_images: expected a list or tuple of");
  c10::impl::GenericList list(c10::AnyType::get());
  list.push_back(wandb::ops::to_ivalue(Image(gradient(3, 2, 2))));
  list.push_back(std::string("no"));
  expect_error<wandb::TypeError>(
      [&] { wandb::ops::to_images(list); },
      "expected a __torch__.torch.classes.wandb.Image at index 1, got str");
  const auto tuple = c10::ivalue::Tuple::create({wandb::ops::to_ivalue(Image(gradient(3, 2, 2))),
                                                 wandb::ops::to_ivalue(Image(gradient(1, 2, 2)))});
  const auto images = wandb::ops::to_images(tuple);
  ASSERT_EQ(images.size(), 2u);
  EXPECT_EQ(images[1].mode(), "L");
}

// ---- logging into the current run -----------------------------------------------

TEST(OpsLog, NoCurrentRunDoesNothingAndWarnsOnce) {
  // warn_once is per process: ctest runs each test in its own; in one process
  // this must be the first test to log without a run (it is, in file order).
  Warnings warnings;
  wandb::ops::set_current_run(nullptr);
  ASSERT_EQ(wandb::ops::current_run(), nullptr);
  const c10::IValue img = wandb::ops::to_ivalue(Image(gradient(3, 2, 2)));
  c10::impl::GenericList list(img.type());
  list.push_back(img);
  for (int i = 0; i < 3; ++i) {
    call_boxed("wandb::log", {std::string("k"), img});
    call_boxed("wandb::log_list", {std::string("k"), list, int64_t{i}});
  }
  EXPECT_EQ(warnings.count("torch.ops.wandb.log: expected a current run"), 1);
  EXPECT_EQ(warnings.seen.size(), 1u);
}

TEST(OpsLog, LogsLikeRunLog) {
  wandb::test::TempDir tmp;
  const Image a(gradient(3, 6, 5), {.caption = "a"});
  const Image b(gradient(1, 6, 5));
  wandb::Run via_ops(wandb::RunOptions{.dir = tmp / "ops"});
  {
    wandb::ops::CurrentRun current(via_ops);
    EXPECT_EQ(wandb::ops::current_run(), &via_ops);
    c10::impl::GenericList list(wandb::ops::to_ivalue(a).type());
    list.push_back(wandb::ops::to_ivalue(a));
    list.push_back(wandb::ops::to_ivalue(b));
    call_boxed("wandb::log", {std::string("one"), wandb::ops::to_ivalue(a)});
    call_boxed("wandb::log_list", {std::string("many"), list, int64_t{5}});
    call_boxed("wandb::log", {std::string("one"), wandb::ops::to_ivalue(b), int64_t{5}});
    call_boxed("wandb::log_list",
               {std::string("empty"), c10::impl::GenericList(list.elementType())});
  }
  EXPECT_EQ(wandb::ops::current_run(), nullptr);
  via_ops.finish();

  wandb::Run direct(wandb::RunOptions{.dir = tmp / "direct"});
  direct.log({{"one", a}});
  direct.log({{"many", std::vector<Image>{a, b}}}, 5);
  direct.log({{"one", b}}, 5);
  direct.log({{"empty", std::vector<Image>{}}});
  direct.finish();
  expect_same_runs(via_ops, direct);
  EXPECT_EQ(history(via_ops).size(), 2u);  // step 0, then step 5 with "empty" merged
}

TEST(OpsLog, CurrentRunNestsAndRestores) {
  wandb::test::TempDir tmp;
  wandb::Run outer(wandb::RunOptions{.dir = tmp / "outer"});
  wandb::Run inner(wandb::RunOptions{.dir = tmp / "inner"});
  {
    wandb::ops::CurrentRun a(outer);
    {
      wandb::ops::CurrentRun b(inner);
      EXPECT_EQ(wandb::ops::current_run(), &inner);
    }
    EXPECT_EQ(wandb::ops::current_run(), &outer);
  }
  EXPECT_EQ(wandb::ops::current_run(), nullptr);
  wandb::ops::set_current_run(&inner);
  EXPECT_EQ(wandb::ops::current_run(), &inner);
  wandb::ops::set_current_run(nullptr);
  EXPECT_EQ(wandb::ops::current_run(), nullptr);
}

TEST(OpsLog, ThreadsLogWhileTheRunIsSwitched) {
  wandb::test::TempDir tmp;
  Warnings warnings;  // the "no current run" warning is expected here
  wandb::Run run(wandb::RunOptions{.dir = tmp.path()});
  const c10::IValue img = wandb::ops::to_ivalue(Image(gradient(3, 4, 4)));
  std::atomic<bool> stop{false};
  std::thread switcher([&] {
    for (int i = 0; !stop; ++i) wandb::ops::set_current_run(i % 2 ? &run : nullptr);
  });
  std::vector<std::thread> loggers;
  for (int t = 0; t < 4; ++t) {
    loggers.emplace_back([&, key = std::string("k").append(std::to_string(t))] {
      for (int i = 0; i < 25; ++i) call_boxed("wandb::log", {key, img});
    });
  }
  for (auto& th : loggers) th.join();
  stop = true;
  switcher.join();
  wandb::ops::set_current_run(nullptr);  // from here on the run is not used by any op
  run.finish();
  EXPECT_LE(history(run).size(), 100u);
  EXPECT_EQ(static_cast<int64_t>(history(run).size()), run.step());
}

// ---- dead-code elimination, freezing, TorchScript from C++ -------------------------

// The proof, on a graph written in IR: EliminateDeadCode keeps wandb::log and
// wandb::log_list, whose results nothing uses, and removes the unused pure
// wandb::log_ready and wandb::encode (the control: the pass did run). The
// frontend already drops such pure calls, hence the IR.
TEST(OpsDce, LogSurvivesDeadCodeElimination) {
  wandb::ops::load();
  const auto graph = std::make_shared<jit::Graph>();
  jit::parseIR(R"IR(
graph(%x : Tensor, %img : __torch__.torch.classes.wandb.Image, %imgs : __torch__.torch.classes.wandb.Image[]):
  %none : NoneType = prim::Constant()
  %true : bool = prim::Constant[value=1]()
  %png : str = prim::Constant[value="png"]()
  %q : int = prim::Constant[value=75]()
  %key : str = prim::Constant[value="k"]()
  %pixels : Tensor = wandb::log_ready(%x, %none, %true)
  %bytes : Tensor = wandb::encode(%x, %png, %none, %true, %none, %q)
  wandb::log(%key, %img, %none)
  wandb::log_list(%key, %imgs, %none)
  return (%x)
)IR",
               graph.get());
  for (const char* kind : {"wandb::log_ready", "wandb::encode", "wandb::log", "wandb::log_list"}) {
    ASSERT_TRUE(has_kind(graph, kind)) << kind;
  }
  jit::EliminateDeadCode(graph);
  EXPECT_TRUE(has_kind(graph, "wandb::log")) << *graph;
  EXPECT_TRUE(has_kind(graph, "wandb::log_list")) << *graph;
  EXPECT_FALSE(has_kind(graph, "wandb::log_ready")) << *graph;
  EXPECT_FALSE(has_kind(graph, "wandb::encode")) << *graph;
}

// A scripted function whose only effect is the log call keeps it and logs,
// also once the executor has profiled and optimised it.
TEST(OpsDce, LogOnlyFunctionStillLogs) {
  const auto cu = compile(
      "def log_only(x: Tensor):\n"
      "    img = Image(x, caption='dce')\n"
      "    ops.wandb.log('only', img)\n");
  auto& fn = jit::toGraphFunction(cu->get_function("log_only"));
  const auto graph = fn.graph()->copy();
  jit::EliminateDeadCode(graph);
  EXPECT_TRUE(has_kind(graph, "wandb::log")) << *graph;

  wandb::test::TempDir tmp;
  wandb::Run run(wandb::RunOptions{.dir = tmp.path()});
  {
    wandb::ops::CurrentRun current(run);
    for (int i = 0; i < 4; ++i) fn({gradient(3, 4, 4)});
  }
  run.finish();
  const auto rows = history(run);
  ASSERT_EQ(rows.size(), 4u);
  for (const auto& row : rows) EXPECT_EQ(row["only"]["_type"], "image-file");
}

TEST(OpsDce, LogSurvivesFreezeAndOptimizeForInference) {
  jit::Module module("LogOnly");
  module.define(
      "def forward(self, x: Tensor) -> Tensor:\n"
      "    ops.wandb.log('only', Image(x))\n"
      "    return x\n",
      std::make_shared<WandbResolver>());
  module.eval();
  jit::Module frozen = jit::freeze(module);
  EXPECT_TRUE(has_kind(frozen.get_method("forward").graph(), "wandb::log"));
  jit::Module optimized = jit::optimize_for_inference(module);
  EXPECT_TRUE(has_kind(optimized.get_method("forward").graph(), "wandb::log"));

  wandb::test::TempDir tmp;
  wandb::Run run(wandb::RunOptions{.dir = tmp.path()});
  {
    wandb::ops::CurrentRun current(run);
    for (int i = 0; i < 3; ++i) {
      frozen.forward({gradient(3, 4, 4)});
      optimized.forward({gradient(3, 4, 4)});
    }
  }
  run.finish();
  EXPECT_EQ(history(run).size(), 6u);
}

TEST(OpsScript, CompiledFromCppUsesClassAndOps) {
  const auto cu = compile(
      "def make(x: Tensor, boxes: Tensor, ids: Tensor, mask: Tensor) -> Image:\n"
      "    img = Image(x, caption='scripted', file_type='png')\n"
      "    img = img.add_boxes('pred', boxes, ids, format='cxcywh', class_labels={1: 'one'})\n"
      "    return img.add_mask('seg', mask)\n"
      "def check(x: Tensor) -> Tuple[Tensor, Tensor, Tensor, int, str]:\n"
      "    img = Image(x)\n"
      "    return (ops.wandb.log_ready(x), ops.wandb.encode(x, 'bmp'), img.pixels(),\n"
      "            img.width(), img.mode())\n");
  const at::Tensor x = gradient(3, 8, 8);
  const at::Tensor boxes = at::tensor({4.0, 4.0, 2.0, 2.0}).reshape({1, 4});
  const at::Tensor ids = at::tensor({int64_t{1}});
  const at::Tensor mask = (x.select(0, 2) > 0.5).to(at::kInt);
  const Image got = wandb::ops::to_image(cu->run_method("make", x, boxes, ids, mask));
  const Image expected(
      x, {.caption = "scripted",
          .boxes = {{"pred", wandb::BoundingBoxes2D::from_tensors(
                                 boxes, ids, wandb::BoxFormat::kCXCYWH, wandb::BoxDomain::kPixel,
                                 nullptr, "score", wandb::ClassLabels{{1, "one"}})}},
          .masks = {{"seg", wandb::ImageMask(mask)}},
          .file_type = "png"});
  EXPECT_TRUE(got == expected);
  EXPECT_EQ(got.sha256(), expected.sha256());
  EXPECT_EQ(got.boxes()[0].second.json(), expected.boxes()[0].second.json());
  EXPECT_TRUE(got.masks()[0].second == expected.masks()[0].second);

  const auto out = cu->run_method("check", x).toTupleRef().elements();
  EXPECT_TRUE(same(out[0].toTensor(), Image(x).pixels()));
  EXPECT_TRUE(same(out[1].toTensor(), bytes_of(Image(x, {.file_type = "bmp"}).encoded())));
  EXPECT_TRUE(same(out[2].toTensor(), Image(x).pixels()));
  EXPECT_EQ(out[3].toInt(), 8);
  EXPECT_EQ(out[4].toStringRef(), "RGB");
}

// An Image attribute survives Module::save/load: pixels, layers, classes; file
// images keep their bytes and references their URL.
TEST(OpsScript, ImageAttributeRoundTripsThroughSave) {
  wandb::test::TempDir tmp;
  const at::Tensor x = gradient(3, 9, 11);
  const Image in_memory(x, {.caption = "kept",
                            .grouping = 2,
                            .classes = wandb::Classes{{9, "nine"}},
                            .boxes = {{"b", wandb::BoundingBoxes2D::from_tensors(
                                                at::tensor({1.0, 2.0, 3.0, 4.0}).reshape({1, 4}),
                                                at::tensor({int64_t{5}}))}},
                            .masks = {{"m", wandb::ImageMask((x.select(0, 0) * 4).to(at::kLong),
                                                             wandb::ClassLabels{{1, "one"}})}},
                            .file_type = "jpg"});
  const fs::path png = tmp / "file.png";
  wandb::test::write_bytes(png,
                           std::string(reinterpret_cast<const char*>(Image(x).encoded().data()),
                                       Image(x).encoded().size()));
  const Image from_file(png.string(), {.caption = "file"});
  const Image reference("https://example.com/a.png", {.caption = "ref"});

  for (const Image* image : {&in_memory, &from_file, &reference}) {
    jit::Module module("Holder");
    module.register_attribute("image", jit::getCustomClass(wandb::ops::kImageClassName),
                              wandb::ops::to_ivalue(*image));
    module.define(
        "def forward(self) -> __torch__.torch.classes.wandb.Image:\n"
        "    return self.image\n");
    std::stringstream saved;
    module.save(saved);
    jit::Module loaded = jit::load(saved);
    const c10::IValue original = wandb::ops::to_ivalue(*image);
    EXPECT_TRUE(call_method(loaded.attr("image"), "__eq__", {original}).toBool());
    EXPECT_EQ(call_method(loaded.attr("image"), "boxes_json").toStringRef(),
              call_method(original, "boxes_json").toStringRef());
    EXPECT_EQ(call_method(loaded.attr("image"), "masks_json").toStringRef(),
              call_method(original, "masks_json").toStringRef());
    for (const Image& got :
         {wandb::ops::to_image(loaded.attr("image")), wandb::ops::to_image(loaded.forward({}))}) {
      EXPECT_TRUE(got == *image) << image->caption().value();
      EXPECT_EQ(got.format(), image->format());
      EXPECT_EQ(got.mode(), image->mode());
      EXPECT_EQ(got.grouping(), image->grouping());
      EXPECT_EQ(got.classes(), image->classes());
      EXPECT_EQ(got.sha256(), image->sha256());
      EXPECT_EQ(got.is_reference(), image->is_reference());
      if (!image->is_reference()) {
        EXPECT_TRUE(same(got.pixels(), image->pixels()));
      }
      ASSERT_EQ(got.boxes().size(), image->boxes().size());
      ASSERT_EQ(got.masks().size(), image->masks().size());
      for (size_t i = 0; i < got.boxes().size(); ++i) {
        EXPECT_EQ(got.boxes()[i].first, image->boxes()[i].first);
        EXPECT_TRUE(got.boxes()[i].second == image->boxes()[i].second);
        EXPECT_EQ(got.boxes()[i].second.has_explicit_labels(),
                  image->boxes()[i].second.has_explicit_labels());
      }
      for (size_t i = 0; i < got.masks().size(); ++i) {
        EXPECT_EQ(got.masks()[i].first, image->masks()[i].first);
        EXPECT_TRUE(got.masks()[i].second == image->masks()[i].second);
      }
    }
  }
}

// ---- models scripted in Python (tests/python/script_model.py) -----------------------

namespace {

constexpr int64_t kBatch = 2, kHeight = 24, kWidth = 32;

fs::path scripted_dir() {
  const char* dir = std::getenv("WANDB_OPS_SCRIPTED_DIR");
  if (!dir || !*dir) {
    throw std::runtime_error(
        "WANDB_OPS_SCRIPTED_DIR: expected the folder tests/python/script_model.py wrote (ctest "
        "sets it), got none");
  }
  return dir;
}

// script_model.make_input(), with the same ops.
at::Tensor make_input() {
  const int64_t n = kBatch * 3 * kHeight * kWidth;
  return ((at::arange(n, at::kLong) % 251).to(at::kFloat) / 250.0)
      .reshape({kBatch, 3, kHeight, kWidth});
}

// script_model.Detector.forward, as direct C++ calls.
std::vector<Image> detect_directly(const at::Tensor& images) {
  std::vector<Image> out;
  for (int64_t i = 0; i < images.size(0); ++i) {
    const at::Tensor x = images[i];
    const at::Tensor mask = (x.mean(0) > 0.5).to(at::kLong);
    const at::Tensor points = mask.nonzero();
    EXPECT_GT(points.size(0), 0);  // the input exercises the box branch
    const at::Tensor box = at::stack({points.select(1, 1).min(), points.select(1, 0).min(),
                                      points.select(1, 1).max() + 1, points.select(1, 0).max() + 1})
                               .to(at::kFloat)
                               .unsqueeze(0);
    const at::Tensor score = mask.to(at::kFloat).mean().unsqueeze(0);
    const auto boxes = wandb::BoundingBoxes2D::from_tensors(
        box, at::ones({1}, at::kLong), wandb::BoxFormat::kXYXY, wandb::BoxDomain::kPixel, &score,
        "score", wandb::ClassLabels{{1, "bright"}});
    out.emplace_back(
        x, wandb::ImageOptions{
               .caption = "sample " + std::to_string(i),
               .boxes = {{"predictions", boxes}},
               .masks = {{"segmentation",
                          wandb::ImageMask(
                              mask, wandb::ClassLabels{{0, "background"}, {1, "bright"}})}}});
  }
  return out;
}

}  // namespace

TEST(OpsScripted, PythonModelLogsLikeDirectCalls) {
  jit::Module detector = jit::load((scripted_dir() / "detector.pt").string());
  wandb::test::TempDir tmp;
  wandb::Run scripted(wandb::RunOptions{.dir = tmp / "scripted"});
  std::vector<Image> returned;
  {
    wandb::ops::CurrentRun current(scripted);
    returned = wandb::ops::to_images(detector.forward({make_input()}));
  }
  scripted.finish();

  const std::vector<Image> expected = detect_directly(make_input());
  wandb::Run direct(wandb::RunOptions{.dir = tmp / "direct"});
  direct.log({{"first", expected[0]}});
  direct.log({{"examples", expected}});
  direct.finish();

  expect_same_runs(scripted, direct);
  ASSERT_EQ(history(scripted).size(), 2u);
  ASSERT_EQ(returned.size(), expected.size());
  for (size_t i = 0; i < returned.size(); ++i) {
    EXPECT_TRUE(returned[i] == expected[i]);
    EXPECT_EQ(returned[i].sha256(), expected[i].sha256());
    EXPECT_EQ(returned[i].boxes()[0].second.json(), expected[i].boxes()[0].second.json());
    EXPECT_TRUE(returned[i].masks()[0].second == expected[i].masks()[0].second);
  }
}

TEST(OpsScripted, PythonImageAttributeLoadsWithSamePixels) {
  jit::Module module = jit::load((scripted_dir() / "image_attr.pt").string());
  const at::Tensor x = make_input()[1];
  const Image expected(
      x, {.caption = "attribute",
          .grouping = 3,
          .boxes = {{"boxes", wandb::BoundingBoxes2D::from_tensors(
                                  at::tensor({2.0f, 3.0f, 10.0f, 8.0f}).reshape({1, 4}),
                                  at::tensor({int64_t{7}}), wandb::BoxFormat::kXYWH)}},
          .masks = {{"mask", wandb::ImageMask((x[0] > 0.5).to(at::kByte),
                                              wandb::ClassLabels{{1, "on"}})}}});
  for (const Image& got :
       {wandb::ops::to_image(module.attr("image")), wandb::ops::to_image(module.forward({}))}) {
    EXPECT_TRUE(same(got.pixels(), expected.pixels()));
    EXPECT_TRUE(got == expected);
    EXPECT_EQ(got.sha256(), expected.sha256());
    ASSERT_EQ(got.boxes().size(), 1u);
    EXPECT_EQ(got.boxes()[0].second.json(), expected.boxes()[0].second.json());
    ASSERT_EQ(got.masks().size(), 1u);
    EXPECT_TRUE(got.masks()[0].second == expected.masks()[0].second);
  }
}

TEST(OpsScripted, PythonLogOnlySurvivesFreezeAndLogs) {
  jit::Module module = jit::load((scripted_dir() / "log_only.pt").string());
  module.eval();
  jit::Module frozen = jit::optimize_for_inference(module);
  EXPECT_TRUE(has_kind(frozen.get_method("forward").graph(), "wandb::log"));
  wandb::test::TempDir tmp;
  wandb::Run run(wandb::RunOptions{.dir = tmp.path()});
  {
    wandb::ops::CurrentRun current(run);
    frozen.forward({make_input()[0]});
  }
  run.finish();
  const auto rows = history(run);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["only"]["_type"], "image-file");
}

// str(), == and != saved by Python run in C++ on Images built here.
TEST(OpsScripted, PythonStrAndComparisonRunInCpp) {
  jit::Module describe = jit::load((scripted_dir() / "describe.pt").string());
  const Layered a;
  const Layered b;
  const Layered moved(at::tensor({1.0, 0.0, 1.0, 0.0}).reshape({1, 4}));
  const auto same_out = describe.forward({a.obj, b.obj}).toTupleRef().elements();
  EXPECT_EQ(same_out[0].toStringRef(), call_method(a.obj, "__str__").toStringRef());
  EXPECT_TRUE(same_out[1].toBool());
  EXPECT_FALSE(same_out[2].toBool());
  const auto other_out = describe.forward({a.obj, moved.obj}).toTupleRef().elements();
  EXPECT_FALSE(other_out[1].toBool());
  EXPECT_TRUE(other_out[2].toBool());
}
