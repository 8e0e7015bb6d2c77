#include "runtime/value_head.h"

#include <cmath>
#include <filesystem>

#include "core/file.h"
#include "core/json.h"
#include "core/strings.h"
#include "models/safetensors.h"

namespace arbor::runtime {

std::vector<float> ValueHead::apply(const float* hidden) const {
  std::vector<float> out(static_cast<std::size_t>(n_out));
  for (std::int32_t o = 0; o < n_out; ++o) {
    double acc = bias[static_cast<std::size_t>(o)];
    const float* w = weight.data() + static_cast<std::size_t>(o) * n_embd;
    for (std::int32_t i = 0; i < n_embd; ++i) acc += static_cast<double>(w[i]) * hidden[i];
    out[static_cast<std::size_t>(o)] =
        sigmoid ? static_cast<float>(1.0 / (1.0 + std::exp(-acc))) : static_cast<float>(acc);
  }
  return out;
}

StatusOr<ValueHead> load_value_head(const std::string& json_path, std::int32_t n_embd) {
  ARBOR_ASSIGN_OR_RETURN(Json j, read_json_file(json_path));
  ValueHead h;
  h.n_embd = n_embd;
  ARBOR_ASSIGN_OR_RETURN(h.name, json_get<std::string>(j, "name", json_path));
  ARBOR_ASSIGN_OR_RETURN(std::string file, json_get<std::string>(j, "weights", json_path));
  ARBOR_ASSIGN_OR_RETURN(std::string weight_name,
                         json_get_or<std::string>(j, "weight", json_path, "weight"));
  ARBOR_ASSIGN_OR_RETURN(std::string bias_name, json_get_or<std::string>(j, "bias", json_path, ""));
  ARBOR_ASSIGN_OR_RETURN(std::string act, json_get_or<std::string>(j, "activation", json_path, "none"));
  if (act != "sigmoid" && act != "none") {
    return Status::invalid_argument(json_path + ": field 'activation' must be \"sigmoid\" or \"none\"");
  }
  h.sigmoid = act == "sigmoid";
  if (j.contains("labels") && j["labels"].is_array()) {
    for (const Json& l : j["labels"]) {
      if (l.is_string()) h.labels.push_back(l.get<std::string>());
    }
  }
  const std::string dir = std::filesystem::path(json_path).parent_path().string();
  ARBOR_ASSIGN_OR_RETURN(auto st, models::SafetensorsFile::open(join_path(dir, file)));
  const auto& tensors = st->tensors();
  const auto w = tensors.find(weight_name);
  if (w == tensors.end()) {
    return Status::not_found(st->path() + ": missing tensor '" + weight_name + "'");
  }
  const Shape& ws = w->second.shape;
  if (ws.rank() != 2 || ws[1] != n_embd) {
    return Status::invalid_argument(st->path() + ": tensor '" + weight_name + "' has shape " +
                                    ws.to_string() + ", expected [n_out, " +
                                    std::to_string(n_embd) + "]");
  }
  h.n_out = static_cast<std::int32_t>(ws[0]);
  ARBOR_ASSIGN_OR_RETURN(auto weights, [&]() -> StatusOr<std::vector<float>> {
    if (w->second.dtype != DType::kF32 && w->second.dtype != DType::kF16 &&
        w->second.dtype != DType::kBF16) {
      return Status::unimplemented(st->path() + ": head weights must be F32, F16 or BF16");
    }
    std::vector<float> v(static_cast<std::size_t>(ws.numel()));
    models::convert_to_f32(w->second.dtype, w->second.data, v.size(), v.data());
    return v;
  }());
  h.weight = std::move(weights);
  h.bias.assign(static_cast<std::size_t>(h.n_out), 0.0f);
  if (!bias_name.empty()) {
    const auto b = tensors.find(bias_name);
    if (b == tensors.end()) return Status::not_found(st->path() + ": missing tensor '" + bias_name + "'");
    if (!(b->second.shape == Shape{h.n_out}) || b->second.dtype != DType::kF32) {
      return Status::invalid_argument(st->path() + ": tensor '" + bias_name + "' must be F32 [" +
                                      std::to_string(h.n_out) + "]");
    }
    models::convert_to_f32(DType::kF32, b->second.data, h.bias.size(), h.bias.data());
  }
  return h;
}

StatusOr<std::map<std::string, ValueHead>> load_value_heads(const std::string& model_dir,
                                                            std::int32_t n_embd) {
  std::map<std::string, ValueHead> heads;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(model_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (!ends_with(name, ".head.json")) continue;
    ARBOR_ASSIGN_OR_RETURN(ValueHead h, load_value_head(e.path().string(), n_embd));
    if (heads.count(h.name) != 0) {
      return Status::invalid_argument(e.path().string() + ": a second head named '" + h.name + "'");
    }
    heads.emplace(h.name, std::move(h));
  }
  return heads;
}

}  // namespace arbor::runtime
