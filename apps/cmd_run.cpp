// arbor run CONFIG [--set PATH=VALUE]... [--out DIR] [--dry-run]
// arbor run --resume RUN_DIR
// arbor report RUN_DIR... [--html FILE] [--json]
// (agents/experiment_config.h, agents/experiment_run.h, agents/experiment_report.h;
// docs/experiments.md)
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <mutex>

#include <unistd.h>

#include "agents/experiment_config.h"
#include "agents/experiment_report.h"
#include "agents/experiment_run.h"
#include "apps/commands.h"
#include "apps/flags.h"
#include "core/file.h"
#include "core/version.h"

namespace arbor::apps {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_sigint(int) {
  if (g_stop.load()) _exit(130);  // a second Ctrl-C: finished units are already committed
  g_stop.store(true);
  const char msg[] =
      "\narbor run: interrupted; finishing the problems in flight (Ctrl-C again "
      "to quit at once)\n";
  [[maybe_unused]] ssize_t n = write(2, msg, sizeof(msg) - 1);
}

std::string duration(double s) {
  if (s < 0) return "?";
  char buf[32];
  const long t = static_cast<long>(s + 0.5);
  if (t >= 3600) {
    std::snprintf(buf, sizeof(buf), "%ldh%02ldm", t / 3600, t / 60 % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%ldm%02lds", t / 60, t % 60);
  }
  return buf;
}

// A progress bar on a terminal, a plain line every 10 s (and at each new phase) otherwise.
agents::RunHooks make_hooks() {
  agents::RunHooks hooks;
  hooks.stop = &g_stop;
  const bool tty = isatty(2) != 0;
  auto last_line = std::make_shared<std::chrono::steady_clock::time_point>();
  auto last_phase = std::make_shared<std::string>();
  hooks.progress = [tty, last_line, last_phase](const agents::RunProgress& p) {
    char line[256];
    if (tty) {
      const int width = 24;
      const int filled = p.total > 0 ? static_cast<int>(width * p.done / p.total) : 0;
      std::string bar(filled, '#');
      bar += std::string(width - filled, '.');
      std::snprintf(line, sizeof(line),
                    "\r[%s] %lld/%lld  acc %.3f  %.0f tok/s  batch %.1f  ETA %s  %s\033[K",
                    bar.c_str(), static_cast<long long>(p.done), static_cast<long long>(p.total),
                    p.accuracy, p.tokens_per_s, p.mean_batch, duration(p.eta_s).c_str(),
                    p.phase.c_str());
      std::fputs(line, stderr);
      std::fflush(stderr);
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (p.phase == *last_phase && now - *last_line < std::chrono::seconds(10)) return;
    *last_line = now;
    *last_phase = p.phase;
    std::snprintf(line, sizeof(line),
                  "arbor run: %lld/%lld done, accuracy %.3f, %.0f tokens/s, batch %.1f, ETA %s, "
                  "running %s\n",
                  static_cast<long long>(p.done), static_cast<long long>(p.total), p.accuracy,
                  p.tokens_per_s, p.mean_batch, duration(p.eta_s).c_str(), p.phase.c_str());
    std::fputs(line, stderr);
  };
  return hooks;
}

// Pulls every "--set X" / "--set=X" out of argv (Flags keeps one value per flag).
std::vector<std::string> take_sets(int argc, char** argv, std::vector<char*>& rest, Status* error) {
  std::vector<std::string> sets;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--set") {
      if (i + 1 >= argc) {
        *error = Status::invalid_argument("flag --set needs a value (PATH=VALUE)");
        return sets;
      }
      sets.push_back(argv[++i]);
    } else if (a.rfind("--set=", 0) == 0) {
      sets.push_back(a.substr(6));
    } else {
      rest.push_back(argv[i]);
    }
  }
  return sets;
}

std::string version_string() {
  return std::string("arbor ") + ARBOR_VERSION + " (CUDA backend " +
         (ARBOR_CUDA_BUILT ? "compiled" : "not compiled") + ")";
}

StatusOr<Json> run_one(const StatusOr<Json>& result, const std::string& dir) {
  if (isatty(2)) std::fputs("\n", stderr);
  if (!result.ok()) return result.status();
  std::vector<agents::ReportRow> rows;
  auto loaded = agents::load_report({dir});
  if (loaded.ok()) std::fputs(agents::report_table(*loaded).c_str(), stderr);
  return Json{{"run_dir", dir}, {"summary", *result}};
}

Status run_run(int argc, char** argv) {
  std::vector<char*> rest;
  Status set_error;
  const std::vector<std::string> sets = take_sets(argc, argv, rest, &set_error);
  ARBOR_RETURN_IF_ERROR(set_error);
  ARBOR_ASSIGN_OR_RETURN(Flags flags,
                         Flags::parse(static_cast<int>(rest.size()), rest.data(), 2,
                                      {{"--out", true}, {"--resume", true}, {"--dry-run", false}}));
  std::signal(SIGINT, on_sigint);
  std::signal(SIGXFSZ, SIG_IGN);  // a file-size limit becomes a write error, not a kill
  agents::RunOptions options;
  options.code_version = version_string();
  options.hooks = make_hooks();

  if (auto dir = flags.get("--resume")) {
    if (!flags.positional().empty() || flags.has("--out")) {
      return Status::invalid_argument("--resume RUN_DIR takes no CONFIG and no --out");
    }
    std::vector<std::string> children;
    if (file_exists(join_path(*dir, "sweep.json"))) {
      ARBOR_ASSIGN_OR_RETURN(Json sweep, read_json_file(join_path(*dir, "sweep.json")));
      for (const Json& r : sweep.value("runs", Json::array())) {
        children.push_back(join_path(*dir, r.get<std::string>()));
      }
    } else {
      children.push_back(*dir);
    }
    Json out = Json::array();
    for (const std::string& child : children) {
      ARBOR_ASSIGN_OR_RETURN(Json r, run_one(agents::resume_run(child, sets, options), child));
      out.push_back(r);
    }
    print_json_line((out.size() == 1 ? out[0] : Json{{"runs", out}}).dump(1));
    return Status();
  }
  if (flags.positional().size() != 1) {
    return Status::invalid_argument(
        "usage: arbor run CONFIG [--set PATH=VALUE]... [--out DIR] "
        "[--dry-run] | arbor run --resume RUN_DIR");
  }
  const std::string config_path = flags.positional()[0];
  ARBOR_ASSIGN_OR_RETURN(Json config, agents::load_experiment_json(config_path, sets));
  StatusOr<std::vector<agents::SweepPoint>> points = agents::expand_sweep(config);
  if (!points.ok()) return points.status().with_context(config_path);
  // Validate every run before any work starts.
  std::vector<Json> resolved;
  for (const agents::SweepPoint& p : *points) {
    StatusOr<Json> r = agents::resolve_experiment(p.config);
    if (!r.ok()) {
      return r.status().with_context(config_path +
                                     (p.label.empty() ? "" : " (sweep " + p.label + ")"));
    }
    resolved.push_back(std::move(*r));
  }
  if (flags.has("--dry-run")) {
    Json out = Json::array();
    for (const Json& r : resolved) {
      out.push_back({{"config_hash", agents::config_hash(r)}, {"config", r}});
    }
    print_json_line((out.size() == 1 ? out[0] : out).dump(1));
    return Status();
  }
  Json first = resolved[0];
  if (points->size() > 1 && config.contains("experiment") && config["experiment"].is_object()) {
    first["experiment"]["name"] = config["experiment"].value("name", std::string("sweep"));
  }
  const std::string dir = flags.get("--out").value_or(agents::default_run_folder(first));
  if (points->size() == 1) {
    ARBOR_ASSIGN_OR_RETURN(Json r, run_one(agents::start_run(resolved[0], dir, options), dir));
    print_json_line(r.dump(1));
    return Status();
  }
  // A sweep: one run folder per point under `dir`, listed in sweep.json.
  if (file_exists(join_path(dir, "sweep.json"))) {
    return Status::already_exists(dir + ": already holds a sweep (arbor run --resume " + dir + ")");
  }
  Json names = Json::array();
  for (std::size_t i = 0; i < points->size(); ++i) {
    std::string label = (*points)[i].label;
    for (char& c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '=' && c != '-' && c != '.') c = '_';
    }
    names.push_back(std::to_string(i) + "-" + label);
  }
  {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::invalid_argument(dir + ": cannot create the folder: " + ec.message());
    ARBOR_RETURN_IF_ERROR(
        write_file_atomic(join_path(dir, "sweep.json"), Json{{"runs", names}}.dump(1) + "\n"));
  }
  Json out = Json::array();
  for (std::size_t i = 0; i < resolved.size(); ++i) {
    const std::string child = join_path(dir, names[i].get<std::string>());
    std::fprintf(stderr, "arbor run: sweep point %zu/%zu: %s\n", i + 1, resolved.size(),
                 names[i].get<std::string>().c_str());
    ARBOR_ASSIGN_OR_RETURN(Json r, run_one(agents::start_run(resolved[i], child, options), child));
    out.push_back(r);
  }
  print_json_line(Json{{"run_dir", dir}, {"runs", out}}.dump(1));
  return Status();
}

Status run_report(int argc, char** argv) {
  ARBOR_ASSIGN_OR_RETURN(Flags flags,
                         Flags::parse(argc, argv, 2, {{"--html", true}, {"--json", false}}));
  if (flags.positional().empty()) {
    return Status::invalid_argument("usage: arbor report RUN_DIR... [--html FILE] [--json]");
  }
  ARBOR_ASSIGN_OR_RETURN(std::vector<agents::ReportRow> rows,
                         agents::load_report(flags.positional()));
  const std::string html =
      flags.get("--html").value_or(join_path(flags.positional()[0], "report.html"));
  Status w = write_file_atomic(html, agents::report_html(rows));
  if (!w.ok()) return Status::invalid_argument("--html: " + w.message());
  if (flags.has("--json")) {
    Json out = Json::array();
    for (const agents::ReportRow& r : rows) {
      out.push_back({{"run", r.run},
                     {"run_dir", r.run_dir},
                     {"algorithm", r.algorithm},
                     {"problems", r.problems},
                     {"accuracy", r.accuracy},
                     {"pass_at_k", r.pass_at_k},
                     {"tokens_per_problem", r.tokens_per_problem},
                     {"seconds", r.seconds},
                     {"tokens_per_s", r.tokens_per_s},
                     {"mean_batch", r.mean_batch},
                     {"complete", r.complete}});
    }
    print_json_line(Json{{"rows", out}, {"html", html}}.dump(1));
  } else {
    std::fputs(agents::report_table(rows).c_str(), stdout);
    std::fprintf(stderr, "arbor report: wrote %s\n", html.c_str());
  }
  return Status();
}

}  // namespace

int cmd_run(int argc, char** argv) {
  Status s = run_run(argc, argv);
  return s.ok() ? 0 : report_error("run", s);
}

int cmd_report(int argc, char** argv) {
  Status s = run_report(argc, argv);
  return s.ok() ? 0 : report_error("report", s);
}

}  // namespace arbor::apps
