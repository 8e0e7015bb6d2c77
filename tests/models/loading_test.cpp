// Every way a checkpoint folder can be wrong gives a clear error that names the file, field or
// tensor (and both shapes), never a crash. Also: F16/BF16 weights and sharded checkpoints load.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/file.h"
#include "core/json.h"
#include "models/model.h"
#include "models/random_checkpoint.h"
#include "models/safetensors.h"
#include "models/safetensors_writer.h"

namespace arbor::models {
namespace {

namespace fs = std::filesystem;

const char* kFixture = ARBOR_SOURCE_DIR "/tests/data/parity/mamba2_b";

// A scratch copy of a fixture folder, removed at the end of the test.
class TempModel {
 public:
  explicit TempModel(const std::string& src = kFixture) {
    char tmpl[] = "/tmp/arbor_model_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    for (const auto& e : fs::directory_iterator(src)) fs::copy(e.path(), dir_ / e.path().filename());
  }
  ~TempModel() { fs::remove_all(dir_); }
  std::string path(const std::string& name = "") const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
  }
  Json config() const { return *read_json_file(path("config.json")); }
  void write_config(const Json& j) const { write("config.json", j.dump()); }

 private:
  fs::path dir_;
};

std::string open_error(const std::string& dir) {
  auto m = Model::open(dir);
  EXPECT_FALSE(m.ok());
  return m.ok() ? "" : m.status().message();
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// The tensors of the fixture, re-serialised so a test can change them.
std::vector<NamedTensor> fixture_tensors(const TempModel& m) {
  auto file = SafetensorsFile::open(m.path("model.safetensors"));
  std::vector<NamedTensor> out;
  for (const auto& [name, info] : (*file)->tensors()) {
    NamedTensor t{name, info.dtype, info.shape, {info.data, info.data + info.bytes}};
    out.push_back(std::move(t));
  }
  return out;
}

TEST(LoadingTest, MissingFolderAndConfig) {
  EXPECT_TRUE(contains(open_error("/nonexistent/model"), "/nonexistent/model"));
  TempModel m;
  fs::remove(m.path("config.json"));
  EXPECT_TRUE(contains(open_error(m.path()), "config.json: file not found"));
}

TEST(LoadingTest, TruncatedSafetensors) {
  TempModel m;
  std::string bytes = *read_file(m.path("model.safetensors"));
  m.write("model.safetensors", bytes.substr(0, bytes.size() / 2));
  const std::string err = open_error(m.path());
  EXPECT_TRUE(contains(err, "model.safetensors")) << err;
  EXPECT_TRUE(contains(err, "past the end")) << err;
  m.write("model.safetensors", bytes.substr(0, 5));
  EXPECT_TRUE(contains(open_error(m.path()), "truncated safetensors file"));
  m.write("model.safetensors", bytes.substr(0, 100));
  EXPECT_TRUE(contains(open_error(m.path()), "truncated safetensors file: header of"));
}

// Rewrites the header of the fixture's safetensors file with `edit` applied.
void edit_header(const TempModel& m, const std::function<void(Json&)>& edit) {
  std::string bytes = *read_file(m.path("model.safetensors"));
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  Json header = Json::parse(bytes.substr(8, n));
  edit(header);
  std::string text = header.dump();
  std::string out(8, '\0');
  const std::uint64_t len = text.size();
  std::memcpy(out.data(), &len, 8);
  m.write("model.safetensors", out + text + bytes.substr(8 + n));
}

TEST(LoadingTest, BadHeaders) {
  {
    TempModel m;
    edit_header(m, [](Json& h) { h["backbone.norm_f.weight"]["data_offsets"][1] = 1u << 30; });
    const std::string err = open_error(m.path());
    EXPECT_TRUE(contains(err, "'backbone.norm_f.weight'") && contains(err, "past the end")) << err;
  }
  {
    TempModel m;
    edit_header(m, [](Json& h) { h["backbone.norm_f.weight"]["shape"] = {49}; });
    const std::string err = open_error(m.path());
    EXPECT_TRUE(contains(err, "shape [49] x F32 needs 196 bytes but data_offsets give 192")) << err;
  }
  {
    TempModel m;
    edit_header(m, [](Json& h) { h["backbone.norm_f.weight"]["dtype"] = "F8_E4M3"; });
    EXPECT_TRUE(contains(open_error(m.path()), "unsupported dtype 'F8_E4M3'"));
  }
  {
    TempModel m;
    edit_header(m, [](Json& h) {
      auto& a = h["backbone.norm_f.weight"]["data_offsets"];
      auto& b = h["backbone.embeddings.weight"]["data_offsets"];
      a[0] = b[0].get<std::uint64_t>() + 4;
      a[1] = a[0].get<std::uint64_t>() + 192;
    });
    EXPECT_TRUE(contains(open_error(m.path()), "overlap"));
  }
  {
    TempModel m;
    m.write("model.safetensors", std::string("\x10\0\0\0\0\0\0\0{not json}xxxxxx", 24));
    EXPECT_TRUE(contains(open_error(m.path()), "malformed JSON"));
  }
}

TEST(LoadingTest, ConfigErrorsNameTheField) {
  TempModel m;
  Json c = m.config();
  c["model_type"] = "llama";
  m.write_config(c);
  EXPECT_TRUE(contains(open_error(m.path()), "model_type 'llama' is not supported"));
  c = TempModel().config();
  c.erase("state_size");
  m.write_config(c);
  EXPECT_TRUE(contains(open_error(m.path()), "field 'state_size' is missing"));
  c = TempModel().config();
  c["num_heads"] = 5;
  m.write_config(c);
  EXPECT_TRUE(contains(open_error(m.path()), "num_heads * head_dim"));
  c = TempModel().config();
  c["hidden_size"] = "48";
  m.write_config(c);
  EXPECT_TRUE(contains(open_error(m.path()), "field 'hidden_size' has type string"));
  m.write("config.json", "{\"model_type\": ");
  EXPECT_TRUE(contains(open_error(m.path()), "config.json: malformed JSON"));
}

TEST(LoadingTest, MissingAndMisShapedTensors) {
  TempModel m;
  const auto original = fixture_tensors(m);
  auto tensors = original;
  std::erase_if(tensors, [](const NamedTensor& t) { return t.name == "backbone.norm_f.weight"; });
  ASSERT_TRUE(write_safetensors(m.path("model.safetensors"), tensors).ok());
  EXPECT_TRUE(contains(open_error(m.path()), "missing tensor 'backbone.norm_f.weight' (expected shape [48])"));

  tensors = original;
  for (auto& t : tensors) {
    if (t.name == "backbone.layers.1.mixer.D") {
      t = make_tensor(t.name, {5}, std::vector<float>(5, 1.0f));
    }
  }
  ASSERT_TRUE(write_safetensors(m.path("model.safetensors"), tensors).ok());
  EXPECT_TRUE(contains(open_error(m.path()),
                       "tensor 'backbone.layers.1.mixer.D' has shape [5], expected [4]"));
}

TEST(LoadingTest, HalfPrecisionWeightsConvertExactly) {
  // The same values stored as BF16 and as F32 (already rounded to bf16) give identical logits.
  TempModel m;
  auto tensors = fixture_tensors(m);
  std::vector<NamedTensor> as_bf16, as_f32;
  for (const auto& t : tensors) {
    std::vector<float> v(static_cast<std::size_t>(t.shape.numel()));
    convert_to_f32(t.dtype, t.bytes.data(), v.size(), v.data());
    NamedTensor b = make_tensor(t.name, t.shape, v, DType::kBF16);
    std::vector<float> rounded(v.size());
    convert_to_f32(DType::kBF16, b.bytes.data(), v.size(), rounded.data());
    as_f32.push_back(make_tensor(t.name, t.shape, rounded));
    as_bf16.push_back(std::move(b));
  }
  auto logits = [&](const std::vector<NamedTensor>& ts) {
    EXPECT_TRUE(write_safetensors(m.path("model.safetensors"), ts).ok());
    auto model = Model::open(m.path());
    EXPECT_TRUE(model.ok()) << model.status().to_string();
    auto arena = (*model)->make_state_arena(1);
    std::vector<std::int32_t> ids = {3, 17, 42, 5};
    kernels::SeqSpan span{0, 4, kernels::kNoSlot, 0};
    StepOutput out;
    EXPECT_TRUE((*model)->forward({ids, {&span, 1}, true}, **arena, &out).ok());
    return out.logits;
  };
  EXPECT_EQ(logits(as_bf16), logits(as_f32));
}

TEST(LoadingTest, ShardIndexErrors) {
  TempModel m(ARBOR_SOURCE_DIR "/tests/data/parity/mamba1_b");
  ASSERT_TRUE(Model::open(m.path()).ok());  // the sharded fixture loads
  Json index = *read_json_file(m.path("model.safetensors.index.json"));
  index["weight_map"]["backbone.norm_f.weight"] = "model-00009-of-00009.safetensors";
  m.write("model.safetensors.index.json", index.dump());
  EXPECT_TRUE(contains(open_error(m.path()), "model-00009-of-00009.safetensors"));
}

TEST(LoadingTest, TokenIdsOutsideTheVocabulary) {
  auto model = Model::open(kFixture);
  ASSERT_TRUE(model.ok());
  auto arena = (*model)->make_state_arena(1);
  std::vector<std::int32_t> ids = {3, 211};
  kernels::SeqSpan span{0, 2, kernels::kNoSlot, 0};
  StepOutput out;
  Status s = (*model)->forward({ids, {&span, 1}, false}, **arena, &out);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(contains(s.message(), "token id 211 is outside the vocabulary [0, 211)"));
}

TEST(RandomCheckpointTest, WritesALoadableModelDeterministically) {
  Json config = TempModel().config();
  char tmpl[] = "/tmp/arbor_rand_XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  ASSERT_TRUE(save_random_checkpoint(config, dir, 7).ok());
  auto model = Model::open(dir);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const std::string first = *read_file(dir + "/model.safetensors");
  ASSERT_TRUE(save_random_checkpoint(config, dir, 7).ok());
  EXPECT_EQ(first, *read_file(dir + "/model.safetensors"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace arbor::models
