#include "models/safetensors.h"

#include <algorithm>
#include <cstring>

#include "core/float16.h"
#include "core/json.h"

namespace arbor::models {
namespace {

StatusOr<DType> parse_dtype(const std::string& s, const std::string& where) {
  if (s == "F32") return DType::kF32;
  if (s == "F16") return DType::kF16;
  if (s == "BF16") return DType::kBF16;
  if (s == "I32") return DType::kI32;
  if (s == "I64") return DType::kI64;
  return Status::unimplemented(where + ": unknown or unsupported dtype '" + s +
                               "' (supported: F32, F16, BF16, I32, I64)");
}

}  // namespace

void convert_to_f32(DType dtype, const std::uint8_t* src, std::size_t count, float* dst) {
  switch (dtype) {
    case DType::kF32:
      std::memcpy(dst, src, count * sizeof(float));
      return;
    case DType::kF16:
      for (std::size_t i = 0; i < count; ++i) {
        std::uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        dst[i] = f16_to_f32(h);
      }
      return;
    case DType::kBF16:
      for (std::size_t i = 0; i < count; ++i) {
        std::uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        dst[i] = bf16_to_f32(h);
      }
      return;
    default:
      ARBOR_CHECK(false) << "cannot convert " << dtype_name(dtype) << " to F32";
  }
}

StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string& path) {
  ARBOR_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> mapped, MappedFile::open(path));
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile(std::move(mapped)));
  ARBOR_RETURN_IF_ERROR(file->parse());
  return file;
}

Status SafetensorsFile::parse() {
  const std::string& where = file_->path();
  const std::size_t size = file_->size();
  if (size < 8) {
    return Status::data_loss(where + ": truncated safetensors file (" + std::to_string(size) +
                             " bytes, need at least an 8-byte header length)");
  }
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, file_->data(), 8);  // little-endian on every supported platform
  if (header_len > size - 8) {
    return Status::data_loss(where + ": truncated safetensors file: header of " +
                             std::to_string(header_len) + " bytes but only " +
                             std::to_string(size - 8) + " bytes follow");
  }
  const std::string_view header_text(reinterpret_cast<const char*>(file_->data() + 8),
                                     static_cast<std::size_t>(header_len));
  ARBOR_ASSIGN_OR_RETURN(Json header, parse_json(header_text, where + " (header)"));
  if (!header.is_object()) {
    return Status::data_loss(where + ": safetensors header is not a JSON object");
  }
  const std::uint8_t* data_start = file_->data() + 8 + header_len;
  const std::size_t data_size = size - 8 - static_cast<std::size_t>(header_len);

  struct Range {
    std::size_t begin, end;
    const std::string* name;
  };
  std::vector<Range> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string tw = where + ": tensor '" + name + "'";
    ARBOR_ASSIGN_OR_RETURN(std::string dtype_s, json_get<std::string>(entry, "dtype", tw));
    ARBOR_ASSIGN_OR_RETURN(DType dtype, parse_dtype(dtype_s, tw));
    if (!entry.contains("shape") || !entry["shape"].is_array()) {
      return Status::data_loss(tw + ": missing or malformed 'shape'");
    }
    const Json& shape_j = entry["shape"];
    if (shape_j.size() > Shape::kMaxDims) {
      return Status::unimplemented(tw + ": rank " + std::to_string(shape_j.size()) +
                                   " is more than the 4 dimensions Arbor supports");
    }
    std::vector<std::int64_t> dims;
    for (const Json& d : shape_j) {
      if (!d.is_number_integer() || d.get<std::int64_t>() < 0) {
        return Status::data_loss(tw + ": shape has a non-integer or negative dimension");
      }
      dims.push_back(d.get<std::int64_t>());
    }
    Shape shape;
    switch (dims.size()) {
      case 0: shape = Shape{}; break;
      case 1: shape = Shape{dims[0]}; break;
      case 2: shape = Shape{dims[0], dims[1]}; break;
      case 3: shape = Shape{dims[0], dims[1], dims[2]}; break;
      default: shape = Shape{dims[0], dims[1], dims[2], dims[3]}; break;
    }
    const Json* offsets = entry.contains("data_offsets") ? &entry["data_offsets"] : nullptr;
    if (offsets == nullptr || !offsets->is_array() || offsets->size() != 2 ||
        !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned()) {
      return Status::data_loss(tw + ": missing or malformed 'data_offsets'");
    }
    const auto begin = (*offsets)[0].get<std::uint64_t>();
    const auto end = (*offsets)[1].get<std::uint64_t>();
    if (begin > end || end > data_size) {
      return Status::data_loss(tw + ": data_offsets [" + std::to_string(begin) + ", " +
                               std::to_string(end) + "] lie past the end of the data (" +
                               std::to_string(data_size) + " bytes): truncated file?");
    }
    const std::size_t expected = static_cast<std::size_t>(shape.numel()) * dtype_size(dtype);
    if (end - begin != expected) {
      return Status::data_loss(tw + ": shape " + shape.to_string() + " x " + dtype_s + " needs " +
                               std::to_string(expected) + " bytes but data_offsets give " +
                               std::to_string(end - begin));
    }
    TensorInfo info{name, dtype, shape, data_start + begin, static_cast<std::size_t>(end - begin),
                    where};
    auto [it, inserted] = tensors_.emplace(name, std::move(info));
    ranges.push_back({static_cast<std::size_t>(begin), static_cast<std::size_t>(end), &it->first});
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.begin < b.begin; });
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].begin < ranges[i - 1].end) {
      return Status::data_loss(where + ": tensors '" + *ranges[i - 1].name + "' and '" +
                               *ranges[i].name + "' overlap");
    }
  }
  return Status();
}

StatusOr<std::unique_ptr<Checkpoint>> Checkpoint::open(const std::string& dir) {
  if (!is_directory(dir)) {
    return Status::not_found(dir + ": model folder does not exist or is not a folder");
  }
  auto ckpt = std::make_unique<Checkpoint>();
  ckpt->dir_ = dir;
  const std::string single = join_path(dir, "model.safetensors");
  const std::string index_path = join_path(dir, "model.safetensors.index.json");
  if (file_exists(single)) {
    ARBOR_ASSIGN_OR_RETURN(auto file, SafetensorsFile::open(single));
    for (const auto& [name, info] : file->tensors()) ckpt->index_[name] = &info;
    ckpt->files_.push_back(std::move(file));
    return ckpt;
  }
  if (!file_exists(index_path)) {
    return Status::not_found(dir + ": no model.safetensors or model.safetensors.index.json");
  }
  ARBOR_ASSIGN_OR_RETURN(Json index, read_json_file(index_path));
  if (!index.contains("weight_map") || !index["weight_map"].is_object()) {
    return Status::invalid_argument(index_path + ": field 'weight_map' is missing or not an object");
  }
  std::map<std::string, SafetensorsFile*> shards;
  for (const auto& [name, shard_j] : index["weight_map"].items()) {
    if (!shard_j.is_string()) {
      return Status::invalid_argument(index_path + ": weight_map entry '" + name +
                                      "' is not a file name");
    }
    const std::string shard = shard_j.get<std::string>();
    if (shard.find('/') != std::string::npos) {
      return Status::invalid_argument(index_path + ": shard name '" + shard +
                                      "' must be a file name in the model folder");
    }
    auto it = shards.find(shard);
    if (it == shards.end()) {
      ARBOR_ASSIGN_OR_RETURN(auto file, SafetensorsFile::open(join_path(dir, shard)));
      it = shards.emplace(shard, file.get()).first;
      ckpt->files_.push_back(std::move(file));
    }
    const auto& tensors = it->second->tensors();
    const auto t = tensors.find(name);
    if (t == tensors.end()) {
      return Status::not_found(index_path + ": tensor '" + name + "' is listed in shard '" +
                               shard + "' but that file does not contain it");
    }
    ckpt->index_[name] = &t->second;
  }
  return ckpt;
}

const TensorInfo* Checkpoint::find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  for (const auto& [name, info] : index_) out.push_back(name);
  return out;
}

StatusOr<std::vector<float>> Checkpoint::read_f32(const std::string& name,
                                                  const Shape& expected) const {
  const TensorInfo* info = find(name);
  if (info == nullptr) {
    return Status::not_found(dir_ + ": missing tensor '" + name + "' (expected shape " +
                             expected.to_string() + ")");
  }
  if (!(info->shape == expected)) {
    return Status::invalid_argument(info->file + ": tensor '" + name + "' has shape " +
                                    info->shape.to_string() + ", expected " +
                                    expected.to_string());
  }
  if (info->dtype != DType::kF32 && info->dtype != DType::kF16 && info->dtype != DType::kBF16) {
    return Status::unimplemented(info->file + ": tensor '" + name + "' has dtype " +
                                 std::string(dtype_name(info->dtype)) +
                                 "; weights must be F32, F16 or BF16");
  }
  std::vector<float> out(static_cast<std::size_t>(info->shape.numel()));
  convert_to_f32(info->dtype, info->data, out.size(), out.data());
  return out;
}

}  // namespace arbor::models
