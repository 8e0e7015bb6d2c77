#include "models/safetensors_writer.h"

#include <cstring>

#include "core/file.h"
#include "core/float16.h"
#include "core/json.h"

namespace arbor::models {

NamedTensor make_tensor(std::string name, const Shape& shape, const std::vector<float>& values,
                        DType dtype) {
  ARBOR_CHECK(static_cast<std::int64_t>(values.size()) == shape.numel());
  NamedTensor t{std::move(name), dtype, shape, {}};
  t.bytes.resize(values.size() * dtype_size(dtype));
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (dtype == DType::kF32) {
      std::memcpy(t.bytes.data() + 4 * i, &values[i], 4);
    } else {
      ARBOR_CHECK(dtype == DType::kBF16 || dtype == DType::kF16);
      const std::uint16_t h = dtype == DType::kBF16 ? f32_to_bf16(values[i]) : f32_to_f16(values[i]);
      std::memcpy(t.bytes.data() + 2 * i, &h, 2);
    }
  }
  return t;
}

std::string serialize_safetensors(const std::vector<NamedTensor>& tensors) {
  Json header = Json::object();
  std::size_t offset = 0;
  for (const NamedTensor& t : tensors) {
    std::vector<std::int64_t> dims;
    for (int i = 0; i < t.shape.rank(); ++i) dims.push_back(t.shape[i]);
    header[t.name] = {{"dtype", std::string(dtype_name(t.dtype))},
                      {"shape", dims},
                      {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text += ' ';  // align the data as the reference writer does
  std::string out(8, '\0');
  const std::uint64_t n = text.size();
  std::memcpy(out.data(), &n, 8);
  out += text;
  for (const NamedTensor& t : tensors) {
    out.append(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size());
  }
  return out;
}

Status write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors) {
  return write_file_atomic(path, serialize_safetensors(tensors));
}

}  // namespace arbor::models
