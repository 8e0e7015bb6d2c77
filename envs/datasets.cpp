#include "envs/datasets.h"

#include <functional>

#include "core/file.h"
#include "core/strings.h"
#include "envs/answer_extract.h"
#include "envs/game24.h"

namespace arbor::envs {
namespace {

// Calls `parse_line` for every non-blank line; collects or returns its errors with file:line.
StatusOr<LoadedDataset> for_each_line(
    const std::string& path, const LoadOptions& options, std::size_t first_line,
    const std::function<StatusOr<Problem>(std::string_view line, std::size_t row)>& parse_line) {
  if (!file_exists(path))
    return Status::not_found(path + ": no such dataset file");
  ARBOR_ASSIGN_OR_RETURN(std::string text, read_file(path));
  LoadedDataset out;
  std::size_t line_no = 0;
  std::size_t row = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++line_no;
    if (line_no <= first_line)
      continue;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (trim(line).empty())
      continue;
    StatusOr<Problem> p = parse_line(line, row);
    if (!p.ok()) {
      const std::string where = path + ":" + std::to_string(line_no) + ": " + p.status().message();
      if (!options.skip_malformed)
        return Status::invalid_argument(where);
      out.skipped.push_back(where);
      continue;
    }
    out.problems.push_back(std::move(*p));
    ++row;
  }
  return out;
}

StatusOr<Json> parse_object(std::string_view line) {
  Json j = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return Status::invalid_argument("not valid JSON");
  if (!j.is_object())
    return Status::invalid_argument("expected a JSON object");
  return j;
}

std::string file_split(const std::string& path) {
  const auto slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (const auto dot = base.find('.'); dot != std::string::npos)
    base = base.substr(0, dot);
  return base;
}

}  // namespace

const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> kNames = {"gsm8k", "math500", "math_test", "game24"};
  return kNames;
}

StatusOr<std::string> default_dataset_path(std::string_view name, std::string_view split) {
  if (name == "gsm8k" && (split == "test" || split == "train")) {
    return "datasets/gsm8k/" + std::string(split) + ".jsonl";
  }
  if (split != "test") {
    return Status::invalid_argument("dataset '" + std::string(name) + "' has no split '" +
                                    std::string(split) + "'");
  }
  if (name == "math500")
    return std::string("datasets/math500/test.jsonl");
  if (name == "math_test")
    return std::string("datasets/math_test/test.jsonl");
  if (name == "game24")
    return std::string("datasets/game24/24.csv");
  return Status::not_found("unknown dataset '" + std::string(name) +
                           "' (known: gsm8k, math500, math_test, game24)");
}

StatusOr<LoadedDataset> load_gsm8k(const std::string& path, const LoadOptions& options) {
  const std::string split = file_split(path);
  return for_each_line(
      path, options, 0, [&](std::string_view line, std::size_t row) -> StatusOr<Problem> {
        ARBOR_ASSIGN_OR_RETURN(Json j, parse_object(line));
        Problem p;
        ARBOR_ASSIGN_OR_RETURN(p.question, json_get<std::string>(j, "question", "GSM8K record"));
        ARBOR_ASSIGN_OR_RETURN(p.solution, json_get<std::string>(j, "answer", "GSM8K record"));
        const auto marker = p.solution.rfind("####");
        if (marker == std::string::npos) {
          return Status::invalid_argument("field 'answer' has no '#### <final answer>' line");
        }
        p.answer = clean_number(p.solution.substr(marker + 4));
        if (p.answer.empty())
          return Status::invalid_argument("empty final answer after '####'");
        p.id = "gsm8k-" + split + "-" + std::to_string(row);
        return p;
      });
}

StatusOr<LoadedDataset> load_math500(const std::string& path, const LoadOptions& options) {
  return for_each_line(
      path, options, 0, [&](std::string_view line, std::size_t) -> StatusOr<Problem> {
        ARBOR_ASSIGN_OR_RETURN(Json j, parse_object(line));
        Problem p;
        ARBOR_ASSIGN_OR_RETURN(p.question, json_get<std::string>(j, "problem", "MATH-500 record"));
        ARBOR_ASSIGN_OR_RETURN(p.solution, json_get<std::string>(j, "solution", "MATH-500 record"));
        ARBOR_ASSIGN_OR_RETURN(p.answer, json_get<std::string>(j, "answer", "MATH-500 record"));
        ARBOR_ASSIGN_OR_RETURN(p.id, json_get<std::string>(j, "unique_id", "MATH-500 record"));
        ARBOR_ASSIGN_OR_RETURN(std::string subject,
                               json_get<std::string>(j, "subject", "MATH-500 record"));
        ARBOR_ASSIGN_OR_RETURN(int level, json_get<int>(j, "level", "MATH-500 record"));
        p.metadata = {{"subject", subject}, {"level", level}};
        return p;
      });
}

StatusOr<LoadedDataset> load_math_test(const std::string& path, const LoadOptions& options) {
  return for_each_line(
      path, options, 0, [&](std::string_view line, std::size_t row) -> StatusOr<Problem> {
        ARBOR_ASSIGN_OR_RETURN(Json j, parse_object(line));
        Problem p;
        ARBOR_ASSIGN_OR_RETURN(p.question, json_get<std::string>(j, "problem", "MATH record"));
        ARBOR_ASSIGN_OR_RETURN(p.solution, json_get<std::string>(j, "solution", "MATH record"));
        ARBOR_ASSIGN_OR_RETURN(std::string type, json_get<std::string>(j, "type", "MATH record"));
        ARBOR_ASSIGN_OR_RETURN(std::string level, json_get<std::string>(j, "level", "MATH record"));
        auto boxed = last_boxed(p.solution);
        if (!boxed)
          return Status::invalid_argument("field 'solution' has no \\boxed{} answer");
        p.answer = *boxed;
        ARBOR_ASSIGN_OR_RETURN(
            std::int64_t idx,
            json_get_or<std::int64_t>(j, "idx", "MATH record", static_cast<std::int64_t>(row)));
        p.id = "math-" + std::to_string(idx);
        // "Level 3" -> 3; "Level ?" occurs upstream and is kept as null.
        Json level_value = nullptr;
        if (starts_with(level, "Level ")) {
          auto n = parse_int(level.substr(6), "level");
          if (n.ok())
            level_value = *n;
        }
        p.metadata = {{"subject", type}, {"level", level_value}};
        return p;
      });
}

StatusOr<LoadedDataset> load_game24(const std::string& path, const LoadOptions& options) {
  if (file_exists(path)) {
    ARBOR_ASSIGN_OR_RETURN(std::string text, read_file(path));
    const std::string header = text.substr(0, text.find('\n'));
    if (!starts_with(header, "Rank,Puzzles")) {
      return Status::invalid_argument(path + ":1: expected the header 'Rank,Puzzles,...', got '" +
                                      header.substr(0, 60) + "'");
    }
  }
  return for_each_line(
      path, options, 1, [&](std::string_view line, std::size_t) -> StatusOr<Problem> {
        const std::vector<std::string> cols = split(line, ',');
        if (cols.size() < 2) {
          return Status::invalid_argument("expected 'Rank,Puzzles,...', got " +
                                          std::to_string(cols.size()) + " column(s)");
        }
        ARBOR_ASSIGN_OR_RETURN(std::int64_t rank, parse_int(cols[0], "column Rank"));
        ARBOR_ASSIGN_OR_RETURN(std::vector<int> numbers, parse_game24_puzzle(cols[1]));
        Problem p;
        p.id = "game24-" + std::to_string(rank);
        p.question = std::string(trim(cols[1]));
        p.answer = "24";
        p.metadata = {{"rank", rank}, {"numbers", numbers}};
        if (cols.size() > 3)
          p.metadata["solved_rate"] = std::string(trim(cols[3]));
        return p;
      });
}

StatusOr<LoadedDataset> load_dataset(std::string_view name, const std::string& path,
                                     const LoadOptions& options) {
  if (name == "gsm8k")
    return load_gsm8k(path, options);
  if (name == "math500")
    return load_math500(path, options);
  if (name == "math_test")
    return load_math_test(path, options);
  if (name == "game24")
    return load_game24(path, options);
  return Status::not_found("unknown dataset '" + std::string(name) +
                           "' (known: gsm8k, math500, math_test, game24)");
}

Json problem_to_json(const Problem& p) {
  Json j = {{"id", p.id}, {"question", p.question}, {"answer", p.answer}};
  if (!p.solution.empty())
    j["solution"] = p.solution;
  if (!p.metadata.empty())
    j["metadata"] = p.metadata;
  return j;
}

}  // namespace arbor::envs
