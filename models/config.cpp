#include "models/config.h"

#include <cmath>
#include <limits>

#include "core/file.h"

namespace arbor::models {

std::string_view arch_name(Arch arch) {
  switch (arch) {
    case Arch::kMamba1: return "mamba";
    case Arch::kMamba2: return "mamba2";
    case Arch::kGraniteHybrid: return "granitemoehybrid";
  }
  return "?";
}

std::int32_t ModelConfig::n_layers_of(LayerKind kind) const {
  std::int32_t n = 0;
  for (std::int32_t l = 0; l < n_layer; ++l) n += layer_kind(l) == kind ? 1 : 0;
  return n;
}

std::int32_t ModelConfig::index_in_kind(std::int32_t layer) const {
  const LayerKind kind = layer_kind(layer);
  std::int32_t n = 0;
  for (std::int32_t l = 0; l < layer; ++l) n += layer_kind(l) == kind ? 1 : 0;
  return n;
}

std::int32_t ModelConfig::conv_dim() const {
  return arch == Arch::kMamba1 ? d_inner : d_inner + 2 * n_group * d_state;
}

std::int64_t ModelConfig::ssm_state_floats() const {
  return arch == Arch::kMamba1 ? std::int64_t{d_inner} * d_state
                               : std::int64_t{n_head} * head_dim * d_state;
}

namespace {

// Python's json.dumps writes Infinity, -Infinity and NaN, which are not JSON. Outside string
// literals, turn them into the strings "Infinity", "-Infinity", "NaN" so the parser accepts them.
std::string quote_non_finite_literals(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
      continue;
    }
    bool replaced = false;
    for (std::string_view lit : {"-Infinity", "Infinity", "NaN"}) {
      if (text.substr(i, lit.size()) == lit) {
        out += '"';
        out += lit;
        out += '"';
        i += lit.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += c;
  }
  return out;
}

// A float field that may be a number, one of the non-finite strings above, or the
// {"__float__": "Infinity"} object newer transformers versions write.
StatusOr<float> get_float_value(const Json& v, std::string_view what) {
  if (v.is_number()) return v.get<float>();
  if (v.is_object() && v.contains("__float__")) return get_float_value(v["__float__"], what);
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "Infinity") return std::numeric_limits<float>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<float>::infinity();
  }
  return Status::invalid_argument(std::string(what) + " is not a number");
}

StatusOr<std::optional<std::int32_t>> optional_token_id(const Json& j, const char* key,
                                                        std::string_view where) {
  if (!j.contains(key) || j[key].is_null()) return std::optional<std::int32_t>();
  if (j[key].is_array()) {  // generation configs allow a list of ids; take the first
    if (j[key].empty() || !j[key][0].is_number_integer()) {
      return Status::invalid_argument(std::string(where) + ": field '" + key +
                                      "' is not a token id");
    }
    return std::optional<std::int32_t>(j[key][0].get<std::int32_t>());
  }
  ARBOR_ASSIGN_OR_RETURN(int id, json_get<int>(j, key, where));
  return std::optional<std::int32_t>(id);
}

Status positive(std::string_view where, const char* field, std::int64_t v) {
  if (v <= 0) {
    return Status::invalid_argument(std::string(where) + ": field '" + field +
                                    "' must be positive, got " + std::to_string(v));
  }
  return Status();
}


std::string field_error(std::string_view where, std::string_view field, const std::string& what) {
  return std::string(where) + ": field '" + std::string(field) + "' " + what;
}

// GraniteMoeHybridConfig. Absent fields take transformers' class defaults (save_pretrained
// writes every field, but hand-written configs may not).
StatusOr<ModelConfig> parse_granite_hybrid(const Json& j, std::string_view where) {
  ModelConfig c;
  c.arch = Arch::kGraniteHybrid;
  // Refused variants first, each naming its field.
  ARBOR_ASSIGN_OR_RETURN(int experts, json_get_or<int>(j, "num_local_experts", where, 8));
  if (experts != 0) {
    return Status::unimplemented(field_error(
        where, "num_local_experts",
        "is " + std::to_string(experts) +
            ": routed experts (MoE) are not supported; only the dense variant "
            "(num_local_experts 0, the shared MLP alone) is"));
  }
  ARBOR_ASSIGN_OR_RETURN(std::string pos,
                         json_get_or<std::string>(j, "position_embedding_type", where, "nope"));
  if (pos != "nope") {
    return Status::unimplemented(field_error(
        where, "position_embedding_type",
        "is '" + pos + "': only attention without position embeddings (\"nope\") is supported"));
  }
  ARBOR_ASSIGN_OR_RETURN(std::string act, json_get_or<std::string>(j, "hidden_act", where, "silu"));
  if (act != "silu") {
    return Status::unimplemented(
        field_error(where, "hidden_act", "is '" + act + "': only 'silu' is supported"));
  }
  ARBOR_ASSIGN_OR_RETURN(c.vocab_size, json_get_or<int>(j, "vocab_size", where, 32000));
  ARBOR_ASSIGN_OR_RETURN(c.n_embd, json_get_or<int>(j, "hidden_size", where, 4096));
  ARBOR_ASSIGN_OR_RETURN(c.n_layer, json_get_or<int>(j, "num_hidden_layers", where, 32));
  ARBOR_ASSIGN_OR_RETURN(c.n_attn_head, json_get_or<int>(j, "num_attention_heads", where, 32));
  ARBOR_ASSIGN_OR_RETURN(c.n_kv_head,
                         json_get_or<int>(j, "num_key_value_heads", where, c.n_attn_head));
  ARBOR_ASSIGN_OR_RETURN(c.mlp_inner, json_get_or<int>(j, "shared_intermediate_size", where, 1024));
  ARBOR_ASSIGN_OR_RETURN(c.norm_eps, json_get_or<float>(j, "rms_norm_eps", where, 1e-6f));
  ARBOR_ASSIGN_OR_RETURN(c.attention_bias, json_get_or<bool>(j, "attention_bias", where, false));
  ARBOR_ASSIGN_OR_RETURN(c.tie_word_embeddings,
                         json_get_or<bool>(j, "tie_word_embeddings", where, false));
  ARBOR_ASSIGN_OR_RETURN(c.embedding_multiplier,
                         json_get_or<float>(j, "embedding_multiplier", where, 1.0f));
  ARBOR_ASSIGN_OR_RETURN(c.attention_multiplier,
                         json_get_or<float>(j, "attention_multiplier", where, 1.0f));
  ARBOR_ASSIGN_OR_RETURN(c.residual_multiplier,
                         json_get_or<float>(j, "residual_multiplier", where, 1.0f));
  ARBOR_ASSIGN_OR_RETURN(c.logits_scaling, json_get_or<float>(j, "logits_scaling", where, 1.0f));
  ARBOR_ASSIGN_OR_RETURN(c.eos_token_id, optional_token_id(j, "eos_token_id", where));
  ARBOR_ASSIGN_OR_RETURN(c.bos_token_id, optional_token_id(j, "bos_token_id", where));
  ARBOR_RETURN_IF_ERROR(positive(where, "vocab_size", c.vocab_size));
  ARBOR_RETURN_IF_ERROR(positive(where, "hidden_size", c.n_embd));
  ARBOR_RETURN_IF_ERROR(positive(where, "num_hidden_layers", c.n_layer));
  ARBOR_RETURN_IF_ERROR(positive(where, "num_attention_heads", c.n_attn_head));
  ARBOR_RETURN_IF_ERROR(positive(where, "num_key_value_heads", c.n_kv_head));
  ARBOR_RETURN_IF_ERROR(positive(where, "shared_intermediate_size", c.mlp_inner));
  if (!(c.logits_scaling != 0.0f)) {
    return Status::invalid_argument(field_error(where, "logits_scaling", "must not be 0"));
  }

  // layer_types (alias layers_block_type); absent or null: every layer is Mamba. The
  // checkpoints spell the kinds "mamba" and "attention"; transformers 5.x's save_pretrained
  // writes "linear_attention" (Mamba-2) and "full_attention" instead.
  const char* types_key = j.contains("layer_types") ? "layer_types" : "layers_block_type";
  if (j.contains(types_key) && !j[types_key].is_null()) {
    const Json& types = j[types_key];
    if (!types.is_array() || static_cast<std::int64_t>(types.size()) != c.n_layer) {
      return Status::invalid_argument(field_error(
          where, types_key, "must be a list of num_hidden_layers (" + std::to_string(c.n_layer) +
                                ") strings"));
    }
    for (std::size_t l = 0; l < types.size(); ++l) {
      const std::string t = types[l].is_string() ? types[l].get<std::string>() : "";
      if (t == "mamba" || t == "linear_attention") {
        c.layer_kinds.push_back(LayerKind::kMamba);
      } else if (t == "attention" || t == "full_attention") {
        c.layer_kinds.push_back(LayerKind::kAttention);
      } else {
        return Status::invalid_argument(field_error(
            where, types_key, "entry " + std::to_string(l) + " is " + types[l].dump() +
                                  "; expected \"mamba\" or \"attention\" (or \"linear_attention\", "
                                  "\"full_attention\")"));
      }
    }
  } else {
    c.layer_kinds.assign(static_cast<std::size_t>(c.n_layer), LayerKind::kMamba);
  }

  // Attention: GQA, no position embedding.
  if (c.n_attn_head % c.n_kv_head != 0) {
    return Status::invalid_argument(field_error(
        where, "num_key_value_heads",
        "(" + std::to_string(c.n_kv_head) + ") must divide num_attention_heads (" +
            std::to_string(c.n_attn_head) + ")"));
  }
  if (j.contains("head_dim") && !j["head_dim"].is_null()) {
    ARBOR_ASSIGN_OR_RETURN(c.attn_head_dim, json_get<int>(j, "head_dim", where));
  } else {
    if (c.n_embd % c.n_attn_head != 0) {
      return Status::invalid_argument(field_error(
          where, "num_attention_heads",
          "(" + std::to_string(c.n_attn_head) + ") must divide hidden_size (" +
              std::to_string(c.n_embd) + ") when head_dim is absent"));
    }
    c.attn_head_dim = c.n_embd / c.n_attn_head;
  }
  ARBOR_RETURN_IF_ERROR(positive(where, "head_dim", c.attn_head_dim));

  // Mamba-2 layers.
  ARBOR_ASSIGN_OR_RETURN(c.n_head, json_get_or<int>(j, "mamba_n_heads", where, 128));
  ARBOR_ASSIGN_OR_RETURN(c.n_group, json_get_or<int>(j, "mamba_n_groups", where, 1));
  ARBOR_ASSIGN_OR_RETURN(c.d_state, json_get_or<int>(j, "mamba_d_state", where, 256));
  ARBOR_ASSIGN_OR_RETURN(c.d_conv, json_get_or<int>(j, "mamba_d_conv", where, 4));
  ARBOR_ASSIGN_OR_RETURN(double expand, json_get_or<double>(j, "mamba_expand", where, 2.0));
  ARBOR_ASSIGN_OR_RETURN(c.chunk_size, json_get_or<int>(j, "mamba_chunk_size", where, 256));
  ARBOR_ASSIGN_OR_RETURN(c.use_conv_bias, json_get_or<bool>(j, "mamba_conv_bias", where, true));
  ARBOR_ASSIGN_OR_RETURN(c.use_bias, json_get_or<bool>(j, "mamba_proj_bias", where, false));
  ARBOR_RETURN_IF_ERROR(positive(where, "mamba_n_heads", c.n_head));
  ARBOR_RETURN_IF_ERROR(positive(where, "mamba_n_groups", c.n_group));
  ARBOR_RETURN_IF_ERROR(positive(where, "mamba_d_state", c.d_state));
  ARBOR_RETURN_IF_ERROR(positive(where, "mamba_d_conv", c.d_conv));
  if (!(expand > 0)) {
    return Status::invalid_argument(field_error(where, "mamba_expand", "must be positive"));
  }
  c.d_inner = static_cast<std::int32_t>(expand * c.n_embd);
  if (c.d_inner % c.n_head != 0) {
    return Status::invalid_argument(field_error(
        where, "mamba_n_heads",
        "(" + std::to_string(c.n_head) + ") must divide mamba_expand * hidden_size (" +
            std::to_string(c.d_inner) + ")"));
  }
  if (j.contains("mamba_d_head") && j["mamba_d_head"].is_number_integer()) {
    ARBOR_ASSIGN_OR_RETURN(c.head_dim, json_get<int>(j, "mamba_d_head", where));
  } else if (!j.contains("mamba_d_head") || j["mamba_d_head"].is_null() ||
             (j["mamba_d_head"].is_string() && j["mamba_d_head"].get<std::string>() == "auto")) {
    c.head_dim = c.d_inner / c.n_head;
  } else {
    return Status::invalid_argument(
        field_error(where, "mamba_d_head", "must be an integer or \"auto\""));
  }
  if (c.head_dim * c.n_head != c.d_inner) {
    return Status::invalid_argument(field_error(
        where, "mamba_d_head",
        "* mamba_n_heads = " + std::to_string(c.head_dim * c.n_head) +
            " must equal mamba_expand * hidden_size = " + std::to_string(c.d_inner)));
  }
  if (c.n_head % c.n_group != 0) {
    return Status::invalid_argument(field_error(
        where, "mamba_n_groups",
        "(" + std::to_string(c.n_group) + ") must divide mamba_n_heads (" +
            std::to_string(c.n_head) + ")"));
  }
  c.norm_before_gate = false;
  c.dt_min = 0.0f;
  c.dt_max = std::numeric_limits<float>::infinity();
  if (j.contains("time_step_limit") && !j["time_step_limit"].is_null()) {
    const Json& lim = j["time_step_limit"];
    const std::string what = std::string(where) + ": field 'time_step_limit'";
    if (!lim.is_array() || lim.size() != 2) {
      return Status::invalid_argument(what + " must be a [min, max] pair");
    }
    ARBOR_ASSIGN_OR_RETURN(c.dt_min, get_float_value(lim[0], what));
    ARBOR_ASSIGN_OR_RETURN(c.dt_max, get_float_value(lim[1], what));
    if (!(c.dt_min <= c.dt_max)) return Status::invalid_argument(what + " has min > max");
  }
  return c;
}

}  // namespace

StatusOr<ModelConfig> parse_model_config(const Json& j, std::string_view where) {
  ModelConfig c;
  ARBOR_ASSIGN_OR_RETURN(std::string model_type, json_get<std::string>(j, "model_type", where));
  if (model_type == "granitemoehybrid") return parse_granite_hybrid(j, where);
  if (model_type == "mamba") {
    c.arch = Arch::kMamba1;
  } else if (model_type == "mamba2") {
    c.arch = Arch::kMamba2;
  } else {
    return Status::unimplemented(std::string(where) + ": model_type '" + model_type +
                                 "' is not supported (supported: mamba, mamba2, granitemoehybrid)");
  }
  ARBOR_ASSIGN_OR_RETURN(c.vocab_size, json_get<int>(j, "vocab_size", where));
  ARBOR_ASSIGN_OR_RETURN(c.n_embd, json_get<int>(j, "hidden_size", where));
  ARBOR_ASSIGN_OR_RETURN(c.n_layer, json_get<int>(j, "num_hidden_layers", where));
  ARBOR_ASSIGN_OR_RETURN(c.d_state, json_get<int>(j, "state_size", where));
  ARBOR_ASSIGN_OR_RETURN(c.d_conv, json_get<int>(j, "conv_kernel", where));
  ARBOR_ASSIGN_OR_RETURN(double expand, json_get<double>(j, "expand", where));
  ARBOR_ASSIGN_OR_RETURN(c.norm_eps, json_get<float>(j, "layer_norm_epsilon", where));
  ARBOR_ASSIGN_OR_RETURN(c.use_bias, json_get<bool>(j, "use_bias", where));
  ARBOR_ASSIGN_OR_RETURN(c.use_conv_bias, json_get<bool>(j, "use_conv_bias", where));
  ARBOR_ASSIGN_OR_RETURN(c.residual_in_fp32, json_get_or<bool>(j, "residual_in_fp32", where, true));
  ARBOR_ASSIGN_OR_RETURN(c.tie_word_embeddings,
                         json_get_or<bool>(j, "tie_word_embeddings", where, true));
  ARBOR_ASSIGN_OR_RETURN(c.eos_token_id, optional_token_id(j, "eos_token_id", where));
  ARBOR_ASSIGN_OR_RETURN(c.bos_token_id, optional_token_id(j, "bos_token_id", where));

  ARBOR_RETURN_IF_ERROR(positive(where, "vocab_size", c.vocab_size));
  ARBOR_RETURN_IF_ERROR(positive(where, "hidden_size", c.n_embd));
  ARBOR_RETURN_IF_ERROR(positive(where, "num_hidden_layers", c.n_layer));
  ARBOR_RETURN_IF_ERROR(positive(where, "state_size", c.d_state));
  ARBOR_RETURN_IF_ERROR(positive(where, "conv_kernel", c.d_conv));
  if (!(expand > 0)) {
    return Status::invalid_argument(std::string(where) + ": field 'expand' must be positive");
  }
  // transformers computes int(expand * hidden_size).
  c.d_inner = static_cast<std::int32_t>(expand * c.n_embd);
  ARBOR_RETURN_IF_ERROR(positive(where, "expand * hidden_size", c.d_inner));

  if (c.arch == Arch::kMamba1) {
    if (!j.contains("time_step_rank")) {
      return Status::invalid_argument(std::string(where) + ": field 'time_step_rank' is missing");
    }
    const Json& r = j["time_step_rank"];
    if (r.is_string() && r.get<std::string>() == "auto") {
      c.dt_rank = (c.n_embd + 15) / 16;
    } else {
      ARBOR_ASSIGN_OR_RETURN(c.dt_rank, json_get<int>(j, "time_step_rank", where));
    }
    ARBOR_RETURN_IF_ERROR(positive(where, "time_step_rank", c.dt_rank));
    return c;
  }

  ARBOR_ASSIGN_OR_RETURN(c.n_head, json_get<int>(j, "num_heads", where));
  ARBOR_ASSIGN_OR_RETURN(c.head_dim, json_get<int>(j, "head_dim", where));
  ARBOR_ASSIGN_OR_RETURN(c.n_group, json_get<int>(j, "n_groups", where));
  ARBOR_ASSIGN_OR_RETURN(c.chunk_size, json_get_or<int>(j, "chunk_size", where, 256));
  ARBOR_ASSIGN_OR_RETURN(c.norm_before_gate,
                         json_get_or<bool>(j, "norm_before_gate", where, false));
  ARBOR_RETURN_IF_ERROR(positive(where, "num_heads", c.n_head));
  ARBOR_RETURN_IF_ERROR(positive(where, "head_dim", c.head_dim));
  ARBOR_RETURN_IF_ERROR(positive(where, "n_groups", c.n_group));
  if (c.n_head * c.head_dim != c.d_inner) {
    return Status::invalid_argument(
        std::string(where) + ": num_heads * head_dim = " + std::to_string(c.n_head * c.head_dim) +
        " must equal expand * hidden_size = " + std::to_string(c.d_inner));
  }
  if (c.n_head % c.n_group != 0) {
    return Status::invalid_argument(std::string(where) + ": num_heads (" +
                                    std::to_string(c.n_head) + ") must be a multiple of n_groups (" +
                                    std::to_string(c.n_group) + ")");
  }
  if (j.contains("rms_norm") && j["rms_norm"].is_boolean() && !j["rms_norm"].get<bool>()) {
    return Status::unimplemented(std::string(where) +
                                 ": field 'rms_norm' is false; only the gated RMSNorm variant is "
                                 "supported");
  }
  c.dt_min = 0.0f;
  c.dt_max = std::numeric_limits<float>::infinity();
  if (j.contains("time_step_limit") && !j["time_step_limit"].is_null()) {
    const Json& lim = j["time_step_limit"];
    if (!lim.is_array() || lim.size() != 2) {
      return Status::invalid_argument(std::string(where) +
                                      ": field 'time_step_limit' must be a [min, max] pair");
    }
    const std::string what = std::string(where) + ": field 'time_step_limit'";
    ARBOR_ASSIGN_OR_RETURN(c.dt_min, get_float_value(lim[0], what));
    ARBOR_ASSIGN_OR_RETURN(c.dt_max, get_float_value(lim[1], what));
    if (!(c.dt_min <= c.dt_max)) {
      return Status::invalid_argument(what + " has min > max");
    }
  }
  return c;
}

StatusOr<ModelConfig> read_model_config(const std::string& path) {
  ARBOR_ASSIGN_OR_RETURN(std::string text, read_file(path));
  ARBOR_ASSIGN_OR_RETURN(Json j, parse_json(quote_non_finite_literals(text), path));
  return parse_model_config(j, path);
}

}  // namespace arbor::models
