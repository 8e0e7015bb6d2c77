// arbor tokenize / arbor detokenize: the model's tokenizer from the command line.
//
//   arbor tokenize --tokenizer tokenizer.json --text "Hello World!"   -> {"ids":[12092,3645,2]}
//   arbor detokenize --tokenizer tokenizer.json --ids 12092,3645,2    -> {"text":"Hello World!"}
//
// tokenize adds no BOS/EOS (Hugging Face's add_special_tokens=False); added tokens written in the
// text, such as <|endoftext|>, are recognised. detokenize keeps special tokens.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "apps/flags.h"
#include "core/json.h"
#include "core/strings.h"
#include "models/tokenizer.h"

namespace arbor::apps {
namespace {

StatusOr<std::unique_ptr<models::Tokenizer>> load(const Flags& flags) {
  ARBOR_ASSIGN_OR_RETURN(const std::string path, flags.require("--tokenizer"));
  return models::Tokenizer::from_file(path);
}

Status no_positional(const Flags& flags) {
  if (flags.positional().empty()) return Status::ok_status();
  return Status::invalid_argument("unexpected argument '" + flags.positional().front() + "'");
}

StatusOr<std::vector<std::int32_t>> parse_ids(const std::string& list) {
  ARBOR_ASSIGN_OR_RETURN(const std::vector<std::int64_t> values, parse_int_list(list, "--ids"));
  std::vector<std::int32_t> ids;
  ids.reserve(values.size());
  for (const std::int64_t v : values) {
    if (v < 0 || v > std::numeric_limits<std::int32_t>::max()) {
      return Status::out_of_range("--ids: token id " + std::to_string(v) +
                                  " is not in the vocabulary");
    }
    ids.push_back(static_cast<std::int32_t>(v));
  }
  return ids;
}

Status run_tokenize(int argc, char** argv) {
  ARBOR_ASSIGN_OR_RETURN(const Flags flags,
                         Flags::parse(argc, argv, 2, {{"--tokenizer", true}, {"--text", true}}));
  ARBOR_RETURN_IF_ERROR(no_positional(flags));
  ARBOR_ASSIGN_OR_RETURN(const std::string text, flags.require("--text"));
  ARBOR_ASSIGN_OR_RETURN(const std::unique_ptr<models::Tokenizer> tokenizer, load(flags));
  print_json_line(json_dump(Json{{"ids", tokenizer->encode(text)}}));
  return Status::ok_status();
}

Status run_detokenize(int argc, char** argv) {
  ARBOR_ASSIGN_OR_RETURN(const Flags flags,
                         Flags::parse(argc, argv, 2, {{"--tokenizer", true}, {"--ids", true}}));
  ARBOR_RETURN_IF_ERROR(no_positional(flags));
  ARBOR_ASSIGN_OR_RETURN(const std::string list, flags.require("--ids"));
  ARBOR_ASSIGN_OR_RETURN(const std::vector<std::int32_t> ids, parse_ids(list));
  ARBOR_ASSIGN_OR_RETURN(const std::unique_ptr<models::Tokenizer> tokenizer, load(flags));
  ARBOR_ASSIGN_OR_RETURN(const std::string text, tokenizer->decode(ids));
  print_json_line(json_dump(Json{{"text", text}}));
  return Status::ok_status();
}

}  // namespace

int cmd_tokenize(int argc, char** argv) {
  const Status status = run_tokenize(argc, argv);
  return status.ok() ? 0 : report_error("tokenize", status);
}

int cmd_detokenize(int argc, char** argv) {
  const Status status = run_detokenize(argc, argv);
  return status.ok() ? 0 : report_error("detokenize", status);
}

}  // namespace arbor::apps
