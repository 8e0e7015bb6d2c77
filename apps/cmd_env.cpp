// arbor env: the environment registry from the command line.
//
//   arbor env list
//       one JSON line per registered environment
//   arbor env play --env ID [--seed S] [--actions FILE|-] [--options JSON] [--max-steps N]
//       resets the environment, then applies one action per line of FILE (or stdin) and
//       prints one JSON line per step: {"step", "action", "observation", "reward",
//       "terminated", "truncated", "info"} (step 0 is the reset). Blank lines and lines
//       starting with '#' are skipped. An environment failure prints {"step", "action",
//       "error"} and exits 1.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "apps/commands.h"
#include "apps/flags.h"
#include "core/json.h"
#include "core/strings.h"
#include "envs/registry.h"

namespace arbor::apps {
namespace {

constexpr char kUsage[] =
    "usage: arbor env list\n"
    "       arbor env play --env ID [--seed S] [--actions FILE|-] [--options JSON] "
    "[--max-steps N]\n";

int run_list() {
  for (const envs::EnvRegistration& r : envs::EnvRegistry::builtin().list()) {
    print_json_line(json_dump(Json{{"id", r.usage},
                                   {"name", r.name},
                                   {"description", r.description},
                                   {"max_episode_steps", r.default_max_episode_steps}}));
  }
  return 0;
}

// Adds the admissible actions to `info` when the environment lists them and did not already.
void add_admissible(envs::Environment& env, Json& info) {
  if (!env.spec().admissible_actions || info.contains(envs::kInfoAdmissibleActions))
    return;
  auto actions = env.admissible_actions();
  if (actions.ok())
    info[envs::kInfoAdmissibleActions] = *actions;
}

int run_play(int argc, char** argv) {
  auto flags = Flags::parse(argc, argv, 3,
                            {{"--env", true},
                             {"--seed", true},
                             {"--actions", true},
                             {"--options", true},
                             {"--max-steps", true}});
  if (!flags.ok())
    return report_error("env play", flags.status());
  auto id = flags->require("--env");
  if (!id.ok())
    return report_error("env play", id.status());
  Json options = Json::object();
  if (auto o = flags->get("--options")) {
    auto parsed = parse_json(*o, "--options");
    if (!parsed.ok())
      return report_error("env play", parsed.status());
    if (!parsed->is_object()) {
      return report_error("env play", Status::invalid_argument("--options must be a JSON object"));
    }
    options = *parsed;
  }
  if (flags->has("--max-steps")) {
    auto n = flags->get_int("--max-steps", 0);
    if (!n.ok())
      return report_error("env play", n.status());
    options["max_episode_steps"] = *n;
  }
  std::optional<std::uint64_t> seed;
  if (flags->has("--seed")) {
    auto s = flags->get_int("--seed", 0);
    if (!s.ok())
      return report_error("env play", s.status());
    seed = static_cast<std::uint64_t>(*s);
  }
  const std::string actions_path = flags->get("--actions").value_or("-");
  std::ifstream file;
  if (actions_path != "-") {
    file.open(actions_path);
    if (!file) {
      return report_error("env play",
                          Status::not_found("--actions: cannot open '" + actions_path + "'"));
    }
  }
  std::istream& in = actions_path == "-" ? std::cin : file;

  auto env = envs::EnvRegistry::builtin().make(*id, options);
  if (!env.ok())
    return report_error("env play", env.status());
  auto reset = (*env)->reset(seed, options);
  if (!reset.ok()) {
    print_json_line(
        json_dump(Json{{"step", 0}, {"action", nullptr}, {"error", reset.status().message()}}));
    return report_error("env play", reset.status());
  }
  add_admissible(**env, reset->info);
  print_json_line(json_dump(Json{{"step", 0},
                                 {"action", nullptr},
                                 {"observation", reset->observation},
                                 {"reward", 0.0},
                                 {"terminated", false},
                                 {"truncated", false},
                                 {"info", reset->info}}));
  std::string line;
  int step = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    const std::string action(trim(line));
    if (action.empty() || action[0] == '#')
      continue;
    ++step;
    auto r = (*env)->step(action);
    if (!r.ok()) {
      print_json_line(
          json_dump(Json{{"step", step}, {"action", action}, {"error", r.status().message()}}));
      (*env)->close();
      const int code = report_error("env play", r.status());
      return code == 2 && r.status().code() == StatusCode::kFailedPrecondition ? 1 : code;
    }
    if (!r->terminated && !r->truncated)
      add_admissible(**env, r->info);
    print_json_line(json_dump(Json{{"step", step},
                                   {"action", action},
                                   {"observation", r->observation},
                                   {"reward", r->reward},
                                   {"terminated", r->terminated},
                                   {"truncated", r->truncated},
                                   {"info", r->info}}));
    if (r->terminated || r->truncated) {
      if (std::getline(in, line)) {
        std::fprintf(stderr,
                     "arbor env play: the episode ended at step %d; later actions "
                     "are ignored\n",
                     step);
      }
      break;
    }
  }
  (*env)->close();
  return 0;
}

}  // namespace

int cmd_env(int argc, char** argv) {
  if (argc < 3 || std::string(argv[2]) == "--help") {
    std::fputs(kUsage, argc < 3 ? stderr : stdout);
    return argc < 3 ? 2 : 0;
  }
  const std::string sub = argv[2];
  if (sub == "list")
    return run_list();
  if (sub == "play")
    return run_play(argc, argv);
  std::fprintf(stderr, "arbor env: unknown subcommand '%s'\n%s", sub.c_str(), kUsage);
  return 2;
}

}  // namespace arbor::apps
