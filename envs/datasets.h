// Math datasets behind one record type: GSM8K, MATH-500, the MATH test set and Game of 24.
//
// Every loader reads the file format of its source (docs/envs.md) and returns Problems. A line
// that is not valid (not JSON, a field missing or of the wrong type, no final answer, a bad
// puzzle) is an error naming the file and the 1-based line number; with skip_malformed the
// loader keeps going and lists such lines in LoadedDataset::skipped instead. Blank lines are
// ignored.
//
// Thread safety: free functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace arbor::envs {

struct Problem {
  std::string id;        // stable within its dataset ("gsm8k-test-17", "test/algebra/1.json")
  std::string question;  // the text given to the model
  std::string answer;    // the gold final answer, as graders take it
  std::string solution;  // a reference solution, when the dataset has one
  Json metadata = Json::object();  // source-specific: subject, level, numbers, rank ...
};

struct LoadOptions {
  bool skip_malformed = false;
};

struct LoadedDataset {
  std::vector<Problem> problems;
  std::vector<std::string> skipped;  // "file:line: why", only with skip_malformed
};

// The datasets this module reads: "gsm8k", "math500", "math_test", "game24".
const std::vector<std::string>& dataset_names();

// The file a name refers to inside the repository ("datasets/gsm8k/test.jsonl"), relative to
// the repository root; `split` is "test" or, for gsm8k, "train".
StatusOr<std::string> default_dataset_path(std::string_view name, std::string_view split = "test");

// Loads `path` in the format of dataset `name`. kNotFound for an unknown name or a missing
// file; kInvalidArgument "path:line: ..." for a malformed line.
StatusOr<LoadedDataset> load_dataset(std::string_view name, const std::string& path,
                                     const LoadOptions& options = {});

StatusOr<LoadedDataset> load_gsm8k(const std::string& path, const LoadOptions& options = {});
StatusOr<LoadedDataset> load_math500(const std::string& path, const LoadOptions& options = {});
StatusOr<LoadedDataset> load_math_test(const std::string& path, const LoadOptions& options = {});
StatusOr<LoadedDataset> load_game24(const std::string& path, const LoadOptions& options = {});

Json problem_to_json(const Problem& p);

}  // namespace arbor::envs
