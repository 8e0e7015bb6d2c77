// The tokenizer.json pipeline, in HF `tokenizers` order:
//   added tokens (raw) -> normalizer -> added tokens (normalized) -> pre-tokenizer -> BPE.
// Post-processors add nothing here: encode() is HF's encode(text, add_special_tokens=False).
#include "models/tokenizer.h"

#include <algorithm>

#include "models/internal/added_vocabulary.h"
#include "models/internal/bpe.h"
#include "models/internal/decoder.h"
#include "models/internal/normalizer.h"
#include "models/internal/pre_tokenizer.h"
#include "models/internal/unicode.h"

namespace arbor::models {
namespace {

using internal::AddedVocabulary;
using internal::BpeModel;
using internal::Decoder;
using internal::Normalizer;
using internal::PreTokenizer;
using internal::Segment;

// The post-processors whose only effect with add_special_tokens=False is on offsets.
Status check_post_processor(const Json& json, const std::string& where) {
  if (json.is_null()) return Status::ok_status();
  ARBOR_ASSIGN_OR_RETURN(const std::string type, json_get<std::string>(json, "type", where));
  if (type == "ByteLevel" || type == "TemplateProcessing") return Status::ok_status();
  if (type == "Sequence") {
    const auto it = json.find("processors");
    if (it == json.end() || !it->is_array()) {
      return Status::invalid_argument(where + ": field 'processors' must be an array");
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      ARBOR_RETURN_IF_ERROR(
          check_post_processor((*it)[i], where + ".processors[" + std::to_string(i) + "]"));
    }
    return Status::ok_status();
  }
  return Status::unimplemented(where + " type '" + type + "' is not supported");
}

// Truncation and most padding settings change what HF's encode() returns; refuse them.
Status check_truncation_and_padding(const Json& json, const std::string& where) {
  if (json.contains("truncation") && !json["truncation"].is_null()) {
    return Status::unimplemented(where + ": truncation is not supported (set it to null)");
  }
  if (json.contains("padding") && !json["padding"].is_null()) {
    const Json& padding = json["padding"];
    // BatchLongest pads a single sequence to its own length: no change.
    const bool harmless =
        padding.is_object() && padding.contains("strategy") &&
        padding["strategy"] == "BatchLongest" &&
        (!padding.contains("pad_to_multiple_of") || padding["pad_to_multiple_of"].is_null());
    if (!harmless) {
      return Status::unimplemented(
          where + ": padding other than BatchLongest without pad_to_multiple_of is not supported");
    }
  }
  return Status::ok_status();
}

class BpeTokenizer final : public Tokenizer {
 public:
  BpeTokenizer(Normalizer normalizer, std::unique_ptr<PreTokenizer> pre_tokenizer,
               std::unique_ptr<BpeModel> model, AddedVocabulary added, Decoder decoder)
      : normalizer_(std::move(normalizer)),
        pre_tokenizer_(std::move(pre_tokenizer)),
        model_(std::move(model)),
        added_(std::move(added)),
        decoder_(std::move(decoder)) {}

  std::vector<std::int32_t> encode(std::string_view text) const override {
    std::string repaired;
    if (!internal::is_valid_utf8(text)) {
      repaired = internal::to_valid_utf8(text);
      text = repaired;
    }
    std::vector<std::int32_t> ids;
    std::vector<std::string> words;
    for (const Segment& raw : added_.split(text, /*normalized_group=*/false)) {
      if (raw.id >= 0) {
        ids.push_back(raw.id);
        continue;
      }
      const std::string normalized = normalizer_.normalize(raw.text);
      for (const Segment& piece : added_.split(normalized, /*normalized_group=*/true)) {
        if (piece.id >= 0) {
          ids.push_back(piece.id);
          continue;
        }
        words.clear();
        pre_tokenizer_->pre_tokenize(piece.text, &words);
        for (const std::string& word : words) model_->tokenize(word, &ids);
      }
    }
    return ids;
  }

  StatusOr<std::string> decode(std::span<const std::int32_t> ids) const override {
    std::vector<std::string_view> tokens;
    tokens.reserve(ids.size());
    for (const std::int32_t id : ids) {
      const std::string* token = token_string(id);
      if (token == nullptr) {
        return Status::out_of_range("token id " + std::to_string(id) +
                                    " is not in the vocabulary (ids are below " +
                                    std::to_string(vocab_size()) + ")");
      }
      tokens.push_back(*token);
    }
    return decoder_.decode(tokens);
  }

  std::string token_bytes(std::int32_t id) const override {
    ARBOR_CHECK(id >= 0 && id < vocab_size()) << "token_bytes: id " << id << " out of range";
    const std::string* token = token_string(id);
    // An id in range that names no token (a gap in a sparse vocabulary) contributes nothing.
    return token == nullptr ? std::string() : decoder_.token_bytes(*token);
  }

  std::int32_t vocab_size() const override { return std::max(model_->id_end(), added_.id_end()); }

  std::optional<std::int32_t> token_to_id(std::string_view token) const override {
    if (auto id = added_.token_to_id(token)) return id;
    return model_->token_to_id(token);
  }

  bool is_special(std::int32_t id) const override { return added_.is_special(id); }

 private:
  // The string HF hands the decoder for `id`: an added token's, else the vocabulary entry.
  const std::string* token_string(std::int32_t id) const {
    if (const std::string* added = added_.decoder_string(id)) return added;
    return model_->id_to_token(id);
  }

  Normalizer normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<BpeModel> model_;
  AddedVocabulary added_;
  Decoder decoder_;
};

const Json& field_or_null(const Json& json, const char* key) {
  static const Json kNull;
  const auto it = json.find(key);
  return it == json.end() ? kNull : *it;
}

}  // namespace

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::from_file(const std::string& path) {
  ARBOR_ASSIGN_OR_RETURN(const Json json, read_json_file(path));
  return from_json(json, path);
}

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::from_json(const Json& json,
                                                          std::string_view where_view) {
  const std::string where(where_view);
  if (!json.is_object()) {
    return Status::invalid_argument(where + ": expected a JSON object at the top level");
  }
  if (json.contains("version") && json["version"] != "1.0") {
    return Status::unimplemented(where + ": version " + json["version"].dump() +
                                 " is not supported (expected \"1.0\")");
  }
  ARBOR_RETURN_IF_ERROR(check_truncation_and_padding(json, where));
  if (!json.contains("model"))
    return Status::invalid_argument(where + ": field 'model' is missing");

  ARBOR_ASSIGN_OR_RETURN(
      Normalizer normalizer,
      Normalizer::from_json(field_or_null(json, "normalizer"), where + ": normalizer"));
  ARBOR_ASSIGN_OR_RETURN(
      std::unique_ptr<PreTokenizer> pre_tokenizer,
      PreTokenizer::from_json(field_or_null(json, "pre_tokenizer"), where + ": pre_tokenizer"));
  ARBOR_ASSIGN_OR_RETURN(std::unique_ptr<BpeModel> model,
                         BpeModel::from_json(json["model"], where + ": model"));
  ARBOR_ASSIGN_OR_RETURN(Decoder decoder,
                         Decoder::from_json(field_or_null(json, "decoder"), where + ": decoder"));
  ARBOR_RETURN_IF_ERROR(
      check_post_processor(field_or_null(json, "post_processor"), where + ": post_processor"));
  ARBOR_ASSIGN_OR_RETURN(AddedVocabulary added,
                         AddedVocabulary::from_json(field_or_null(json, "added_tokens"), *model,
                                                    normalizer, where + ": added_tokens"));
  return std::unique_ptr<Tokenizer>(new BpeTokenizer(std::move(normalizer),
                                                     std::move(pre_tokenizer), std::move(model),
                                                     std::move(added), std::move(decoder)));
}

}  // namespace arbor::models
