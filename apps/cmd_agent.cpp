// arbor agent: ReAct or Reflexion episodes of the model on an environment (agents/react.h),
// from a run config's `model`, `env`, `agent` and `memory` sections (docs/agents.md). Each
// finished attempt is one JSON line (to --out when given, else stdout); the summary is printed
// last. An environment failure mid-run keeps the attempts already written.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "agents/agent_config.h"
#include "agents/engine_language_model.h"
#include "agents/react.h"
#include "apps/commands.h"
#include "apps/flags.h"
#include "core/json.h"
#include "memory/store.h"
#include "models/model.h"
#include "runtime/engine.h"

namespace arbor::apps {
namespace {

// `path` with `key` of a section (a string), or "" when absent.
std::string section_string(const Json& config, const char* section, const char* key) {
  if (!config.contains(section) || !config[section].is_object()) return {};
  const Json& s = config[section];
  return s.contains(key) && s[key].is_string() ? s[key].get<std::string>() : std::string();
}

Status run_agent(int argc, char** argv, bool* config_error) {
  ARBOR_ASSIGN_OR_RETURN(Flags flags, Flags::parse(argc, argv, 2,
                                                   {{"--config", true},
                                                    {"--model", true},
                                                    {"--memory", true},
                                                    {"--tasks", true},
                                                    {"--out", true},
                                                    {"--backend", true}}));
  *config_error = true;
  ARBOR_ASSIGN_OR_RETURN(std::string path, flags.require("--config"));
  ARBOR_ASSIGN_OR_RETURN(Json config, read_json_file(path));
  ARBOR_ASSIGN_OR_RETURN(agents::AgentRunConfig run, agents::agent_run_config(config));
  ARBOR_ASSIGN_OR_RETURN(std::int64_t tasks, flags.get_int("--tasks", run.episodes.tasks));
  if (tasks < 1) return Status::invalid_argument("--tasks: must be >= 1");
  run.episodes.tasks = static_cast<std::int32_t>(tasks);
  std::string model_dir = flags.get("--model").value_or(section_string(config, "model", "path"));
  if (model_dir.empty()) {
    return Status::invalid_argument(path + ": model.path: missing (or pass --model DIR)");
  }
  std::string db = flags.get("--memory").value_or(section_string(config, "memory", "database"));
  if (run.episodes.reflexion && db.empty()) {
    return Status::invalid_argument(path +
                                    ": memory.database: reflexion needs a database (or --memory)");
  }
  // Environment and model open before any episode, so their errors come first.
  ARBOR_ASSIGN_OR_RETURN(envs::EnvironmentPtr probe, agents::env_factory(run)());
  probe->close();
  ARBOR_ASSIGN_OR_RETURN(kernels::DeviceKind device,
                         kernels::parse_device_kind(flags.get("--backend").value_or("cpu")));
  ARBOR_ASSIGN_OR_RETURN(auto model, models::Model::open(model_dir, {device}));
  if (model->tokenizer() == nullptr) {
    return Status::failed_precondition(model_dir + ": the model folder has no tokenizer.json");
  }
  std::unique_ptr<memory::Store> store;
  if (!db.empty()) {
    const std::filesystem::path parent = std::filesystem::path(db).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) return Status::invalid_argument(db + ": cannot create its folder: " + ec.message());
    memory::StoreOptions so;
    so.create_if_missing = true;
    ARBOR_ASSIGN_OR_RETURN(store, memory::Store::open(db, so));
  }
  std::ofstream out;
  if (auto o = flags.get("--out")) {
    out.open(*o, std::ios::app);
    if (!out) return Status::invalid_argument("--out: cannot write " + *o);
  }
  *config_error = false;
  ARBOR_ASSIGN_OR_RETURN(auto engine, runtime::Engine::create(std::move(model)));
  agents::EngineLanguageModel lm(*engine);
  run.episodes.on_episode = [&](const agents::EpisodeResult& e) {
    const std::string line = e.to_json().dump();
    if (out.is_open()) {
      out << line << "\n";
      out.flush();
    } else {
      print_json_line(line);
    }
    std::fprintf(stderr, "task %d attempt %d: %s in %zu steps%s\n", e.task, e.attempt + 1,
                 e.won ? "won" : "not won", e.steps.size(),
                 e.reflection.empty() ? "" : (", reflection: " + e.reflection).c_str());
  };
  const agents::EpisodesReport report =
      agents::run_episodes(lm, agents::env_factory(run), store.get(), run.episodes);
  Json summary = report.summary(run.episodes.tasks, run.episodes.attempts);
  summary["kind"] = run.kind;
  summary["env"] = run.episodes.env_id;
  summary["model"] = model_dir;
  if (!report.status.ok()) summary["error"] = report.status.to_string();
  print_json_line(summary.dump());
  return report.status;
}

}  // namespace

int cmd_agent(int argc, char** argv) {
  bool config_error = false;
  Status s = run_agent(argc, argv, &config_error);
  if (s.ok()) return 0;
  const int code = report_error("agent", s);
  return config_error ? 2 : code;
}

}  // namespace arbor::apps
