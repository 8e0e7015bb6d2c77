// The arbor subcommands. Each takes the whole argv (argv[1] is its name) and returns the exit
// status of ARCHITECTURE.md: 0 success, 1 a failure while running, 2 a usage, config or input
// error, 130 interrupted. Machine-readable output goes to stdout; messages to stderr.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"

namespace arbor::apps {

struct Command {
  std::string name;
  std::string summary;  // one line for `arbor --help`
  std::function<int(int argc, char** argv)> run;
};

// The subcommands, one file each (apps/cmd_<name>.cpp).
int cmd_version(int argc, char** argv);
int cmd_logits(int argc, char** argv);
int cmd_generate(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_random_model(int argc, char** argv);
int cmd_tokenize(int argc, char** argv);    // apps/cmd_tokenize.cpp
int cmd_detokenize(int argc, char** argv);  // apps/cmd_tokenize.cpp
int cmd_dataset(int argc, char** argv);
int cmd_grade(int argc, char** argv);
int cmd_extract(int argc, char** argv);
int cmd_env(int argc, char** argv);
int cmd_sample(int argc, char** argv);
int cmd_memory(int argc, char** argv);
int cmd_search(int argc, char** argv);       // apps/cmd_search.cpp
int cmd_search_eval(int argc, char** argv);  // apps/cmd_search.cpp
int cmd_run(int argc, char** argv);          // apps/cmd_run.cpp
int cmd_report(int argc, char** argv);       // apps/cmd_run.cpp
int cmd_agent(int argc, char** argv);         // apps/cmd_agent.cpp

// Every command, registered in apps/main.cpp.
const std::vector<Command>& commands();

// Prints "arbor <command>: <message>" to stderr and returns the exit status for `status`:
// 2 for input errors (invalid argument, not found, unimplemented, data loss, out of range,
// failed precondition), 130 for cancelled, 1 otherwise.
int report_error(const std::string& command, const Status& status);

// Prints one JSON document (or one JSON line) to stdout.
void print_json_line(const std::string& json);

}  // namespace arbor::apps
