// arbor: the command-line entry point. Dispatches to the subcommands in commands().
#include <cstdio>
#include <cstring>
#include <string>

#include "apps/commands.h"
#include "apps/flags.h"
#include "core/strings.h"
#include "core/version.h"

namespace arbor::apps {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"logits", "print a model's logits for a list of token ids", cmd_logits},
      {"generate", "generate a continuation of a prompt", cmd_generate},
      {"bench", "measure decode or prefill tokens/s of a model", cmd_bench},
      {"random-model", "write a random-initialised checkpoint for a config.json",
       cmd_random_model},
      {"tokenize", "text -> token ids with a tokenizer.json", cmd_tokenize},
      {"detokenize", "token ids -> text with a tokenizer.json", cmd_detokenize},
      {"dataset", "write problems as JSON lines (arith, gsm8k, math500, math_test, game24)",
       cmd_dataset},
      {"grade", "grade {gold, pred} JSON lines from stdin (--mode gsm8k|hendrycks|prm800k|lenient)",
       cmd_grade},
      {"extract", "extract the final answer of a solution on stdin (--mode ...)", cmd_extract},
      {"sample", "many completions of many prompts through the engine, batched", cmd_sample},
      {"env", "list environments, or play one step by step (env list | env play --env ID)",
       cmd_env},
      {"memory", "long-term memory database: add, search, delete, stats, export", cmd_memory},
      {"search", "run one problem through a search algorithm; print the result and tree",
       cmd_search},
      {"search-eval", "greedy and search algorithms at token budgets over a problem file",
       cmd_search_eval},
      {"run", "run an experiment config (or --resume a run folder)", cmd_run},
      {"report", "compare run folders: a table and an HTML accuracy-vs-tokens page",
       cmd_report},
      {"agent", "ReAct / Reflexion episodes of a model on a text environment (--config FILE)",
       cmd_agent},
  };
  return kCommands;
}

namespace {

void print_usage(std::FILE* out) {
  std::fprintf(out, "usage: arbor <command> [flags]\n       arbor --version\n\ncommands:\n");
  for (const Command& c : commands()) {
    std::fprintf(out, "  %-12s %s\n", c.name.c_str(), c.summary.c_str());
  }
}

}  // namespace
}  // namespace arbor::apps

int main(int argc, char** argv) {
  using arbor::apps::commands;
  if (argc < 2) {
    arbor::apps::print_usage(stderr);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "--version" || name == "version") return arbor::apps::cmd_version(argc, argv);
  if (name == "--help" || name == "-h" || name == "help") {
    arbor::apps::print_usage(stdout);
    return 0;
  }
  for (const arbor::apps::Command& c : commands()) {
    if (c.name == name) return c.run(argc, argv);
  }
  std::vector<std::string> names;
  for (const auto& c : commands()) names.push_back(c.name);
  std::string msg = "arbor: unknown command '" + name + "'";
  const std::string near = arbor::nearest_name(name, names);
  if (!near.empty()) msg += " (did you mean '" + near + "'?)";
  std::fprintf(stderr, "%s\n", msg.c_str());
  return 2;
}
