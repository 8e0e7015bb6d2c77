// `arbor report RUN_DIR...`: the runs' summaries side by side, as a text table and as a
// self-contained HTML page (inline SVG, no scripts, no network) plotting accuracy against
// tokens per problem, one point per run and algorithm: the test-time scaling picture.
//
// Thread safety: pure functions (load_report reads files).
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace arbor::agents {

// One row: an algorithm of a run.
struct ReportRow {
  std::string run;  // the run folder's experiment name
  std::string run_dir;
  std::string algorithm;
  double problems = 0;
  double accuracy = 0;
  double pass_at_k = 0;
  double tokens_per_problem = 0;
  double seconds = 0;
  double tokens_per_s = 0;
  double mean_batch = 0;
  bool complete = true;
};

// Reads summary.json of each folder (a sweep's parent folder, holding sweep.json, stands for
// its runs). Errors name the folder and the missing or malformed file.
StatusOr<std::vector<ReportRow>> load_report(const std::vector<std::string>& run_dirs);

// A fixed-width table, one line per row, with a header.
std::string report_table(const std::vector<ReportRow>& rows);

// The HTML page.
std::string report_html(const std::vector<ReportRow>& rows);

}  // namespace arbor::agents
