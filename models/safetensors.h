// Reading checkpoints in the safetensors format, single-file or sharded.
//
// A file is memory-mapped and its header validated completely before any tensor is used:
// header length and JSON, every dtype, every offset and length against the file size,
// shape x dtype size against the byte length, and no two tensors overlapping. Sharded
// checkpoints (model.safetensors.index.json) map each tensor name to its shard.
//
// Thread safety: immutable after open(); safe to read from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/file.h"
#include "core/status.h"
#include "core/tensor.h"

namespace arbor::models {

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
  const std::uint8_t* data = nullptr;  // into the mapped file; lives as long as the file
  std::size_t bytes = 0;
  std::string file;                    // the file it lives in, for error messages
};

class SafetensorsFile {
 public:
  static StatusOr<std::unique_ptr<SafetensorsFile>> open(const std::string& path);

  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }
  const std::string& path() const { return file_->path(); }

 private:
  explicit SafetensorsFile(std::unique_ptr<MappedFile> file) : file_(std::move(file)) {}
  Status parse();

  std::unique_ptr<MappedFile> file_;
  std::map<std::string, TensorInfo> tensors_;
};

// All tensors of a checkpoint folder: model.safetensors, or the shards listed in
// model.safetensors.index.json.
class Checkpoint {
 public:
  static StatusOr<std::unique_ptr<Checkpoint>> open(const std::string& dir);

  const TensorInfo* find(const std::string& name) const;
  // The tensor converted to fp32. Errors name the tensor, its file, and both shapes when the
  // shape differs from `expected`; NotFound when it is absent.
  StatusOr<std::vector<float>> read_f32(const std::string& name, const Shape& expected) const;
  std::vector<std::string> names() const;

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorInfo*> index_;
  std::string dir_;
};

// Converts `count` elements of `dtype` at `src` to fp32. REQUIRES: dtype is F32, F16 or BF16.
void convert_to_f32(DType dtype, const std::uint8_t* src, std::size_t count, float* dst);

}  // namespace arbor::models
