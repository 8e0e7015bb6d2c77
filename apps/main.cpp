// arbor: the command-line entry point. Dispatches to the subcommands in commands().
#include <cstdio>
#include <cstring>
#include <string>

#include "apps/commands.h"
#include "apps/flags.h"
#include "core/version.h"

namespace arbor::apps {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"memory", "long-term memory database: add, search, delete, stats, export", cmd_memory},
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
  const std::string near = arbor::apps::nearest_name(name, names);
  if (!near.empty()) msg += " (did you mean '" + near + "'?)";
  std::fprintf(stderr, "%s\n", msg.c_str());
  return 2;
}
