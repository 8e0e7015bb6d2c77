#include "envs/zmachine_env.h"

#include <dirent.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "core/file.h"
#include "core/strings.h"
#include "envs/internal/subprocess.h"

namespace arbor::envs {
namespace {

using internal::Subprocess;
using Millis = std::chrono::milliseconds;

constexpr Millis kQuiet(3);               // output settles this long after the prompt
constexpr std::size_t kMaxCommand = 200;  // the Z-machine's input buffer holds about this much

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string rstrip(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

// The interpreter waits for a command: its output ends with a '>' on a line of its own.
bool at_prompt(std::string_view text) {
  const std::string t = rstrip(text);
  return !t.empty() && t.back() == '>' && (t.size() == 1 || t[t.size() - 2] == '\n');
}

// ... or for a file name ("Please enter a filename [x.qzl]: ").
bool at_prompt_or_question(std::string_view text) {
  if (at_prompt(text))
    return true;
  const std::string t = rstrip(text);
  return !t.empty() && (t.back() == ':' || t.back() == '?');
}

// The integer that starts at or after `pos`.
std::optional<int> int_after(std::string_view s, std::size_t pos) {
  while (pos < s.size() && !std::isdigit(static_cast<unsigned char>(s[pos])) && s[pos] != '-')
    ++pos;
  if (pos >= s.size())
    return std::nullopt;
  char* end = nullptr;
  const std::string tail(s.substr(pos, 12));
  const long v = std::strtol(tail.c_str(), &end, 10);
  if (end == tail.c_str())
    return std::nullopt;
  return static_cast<int>(v);
}

bool game_over_text(std::string_view raw) {
  const std::string l = lower(raw);
  return l.find("would you like to restart") != std::string::npos ||
         (l.find("*** ") != std::string::npos && l.find(" ***") != std::string::npos);
}

void remove_dir(const std::string& dir) {
  if (dir.empty())
    return;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..")
        std::remove(join_path(dir, name).c_str());
    }
    ::closedir(d);
  }
  ::rmdir(dir.c_str());
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..")
        out.push_back(join_path(dir, name));
    }
    ::closedir(d);
  }
  return out;
}

}  // namespace

Status check_story_file(const std::string& path) {
  if (!file_exists(path))
    return Status::not_found(path + ": no such story file");
  if (is_directory(path))
    return Status::invalid_argument(path + ": is a folder, not a story file");
  std::ifstream in(path, std::ios::binary);
  char header[64] = {};
  in.read(header, sizeof header);
  const std::streamsize got = in.gcount();
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  if (got >= 12 && std::memcmp(header, "FORM", 4) == 0 && std::memcmp(header + 8, "IFRS", 4) == 0) {
    return Status::ok_status();  // a Blorb file
  }
  const auto version = static_cast<unsigned char>(header[0]);
  const auto word = [&](int at) {
    return (static_cast<unsigned>(static_cast<unsigned char>(header[at])) << 8) |
           static_cast<unsigned char>(header[at + 1]);
  };
  if (got < 64 || version < 1 || version > 8 || word(0x0E) < 64 || word(0x0E) > size) {
    return Status::invalid_argument(path + ": not a Z-machine story file (no version 1-8 header)");
  }
  return Status::ok_status();
}

StatusOr<std::string> find_dfrotz() {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH"))
    dirs = split(path, ':');
  dirs.push_back("/usr/games");
  dirs.push_back("/usr/local/games");
  for (const std::string& d : dirs) {
    if (d.empty())
      continue;
    const std::string candidate = join_path(d, "dfrotz");
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return Status::failed_precondition(
      "the Z-machine interpreter dfrotz was not found in PATH or /usr/games (install the "
      "Debian package frotz)");
}

std::string clean_zmachine_output(std::string_view raw, int* status_score, int* status_moves) {
  std::string text = rstrip(raw);
  if (!text.empty() && text.back() == '>')
    text.pop_back();
  std::vector<std::string> kept;
  for (std::string line : split(text, '\n')) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    const auto score_at = line.find("Score:");
    const auto moves_at =
        line.find("Moves:") != std::string::npos ? line.find("Moves:") : line.find("Turns:");
    if (score_at != std::string::npos && moves_at != std::string::npos) {
      // A status line: "  West of House        Score: 0        Moves: 1"
      if (auto v = int_after(line, score_at + 6); v && status_score)
        *status_score = *v;
      if (auto v = int_after(line, moves_at + 6); v && status_moves)
        *status_moves = *v;
      continue;
    }
    kept.push_back(rstrip(line));
  }
  std::string out;
  int blank = 0;
  for (const std::string& line : kept) {
    if (line.empty()) {
      ++blank;
      continue;
    }
    if (!out.empty())
      out += blank > 0 ? "\n\n" : "\n";
    blank = 0;
    out += line;
  }
  return out;
}

StatusOr<std::unique_ptr<ZMachineEnv>> ZMachineEnv::create(std::string id, std::string story,
                                                           const Json& options) {
  ARBOR_RETURN_IF_ERROR(check_story_file(story));
  auto env = std::unique_ptr<ZMachineEnv>(new ZMachineEnv());
  env->spec_.id = std::move(id);
  env->spec_.save_restore = true;
  env->story_ = std::move(story);
  if (options.is_object() && options.contains("interpreter")) {
    ARBOR_ASSIGN_OR_RETURN(env->dfrotz_,
                           json_get<std::string>(options, "interpreter", "zmachine options"));
  } else {
    ARBOR_ASSIGN_OR_RETURN(env->dfrotz_, find_dfrotz());
  }
  if (options.is_object() && options.contains("timeout_ms")) {
    ARBOR_ASSIGN_OR_RETURN(env->timeout_ms_,
                           json_get<int>(options, "timeout_ms", "zmachine options"));
    if (env->timeout_ms_ <= 0)
      return Status::invalid_argument("zmachine options: timeout_ms must be > 0");
  }
  if (options.is_object() && options.contains("score_command")) {
    ARBOR_ASSIGN_OR_RETURN(env->score_command_,
                           json_get<bool>(options, "score_command", "zmachine options"));
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = join_path(tmp && *tmp ? tmp : "/tmp", "arbor-zmachine-XXXXXX");
  if (::mkdtemp(templ.data()) == nullptr) {
    return Status::internal("cannot create a folder for save files: " +
                            std::string(std::strerror(errno)));
  }
  env->dir_ = templ;
  return env;
}

ZMachineEnv::~ZMachineEnv() {
  close();
}

void ZMachineEnv::close() {
  if (proc_)
    proc_->terminate(Millis(200));
  proc_.reset();
  remove_dir(dir_);
  dir_.clear();
}

Status ZMachineEnv::fail(const Status& why) {
  const Status s = why.with_context(spec_.id);
  guard_.fail(s);
  if (proc_)
    proc_->terminate(Millis(100));
  proc_.reset();
  return s;
}

Status ZMachineEnv::start(std::optional<std::uint64_t> seed) {
  if (dir_.empty())
    return Status::failed_precondition(spec_.id + ": the environment was closed");
  if (proc_)
    proc_->terminate(Millis(100));
  proc_.reset();
  // No -R: dfrotz 2.54 garbles file names that start with the -R folder. Save files go to the
  // private folder by absolute path, and commands that touch files are refused in step().
  std::vector<std::string> argv = {dfrotz_, "-m", "-p", "-q", "-w", "200"};
  if (seed) {
    argv.push_back("-s");
    argv.push_back(std::to_string(*seed % 32768));  // dfrotz takes a small seed
  }
  argv.push_back(story_);
  ARBOR_ASSIGN_OR_RETURN(proc_, Subprocess::spawn(argv));
  return Status::ok_status();
}

StatusOr<std::string> ZMachineEnv::exchange(const std::string& line, bool file_prompt) {
  if (!proc_)
    return Status::unavailable("the interpreter is not running");
  ARBOR_RETURN_IF_ERROR(proc_->write(line + "\n"));
  return proc_->read_until(file_prompt ? at_prompt_or_question : at_prompt, Millis(timeout_ms_),
                           kQuiet);
}

bool ZMachineEnv::parse_score_text(std::string_view text) {
  // Inform: "You have so far scored 3 out of a possible 10, in 12 turns."
  //         "You scored 1 out of a possible 1, in 13 turn(s)."
  if (const auto p = text.find("scored "); p != std::string_view::npos) {
    const auto of = text.find("out of a possible", p);
    auto s = int_after(text, p + 7);
    if (of != std::string_view::npos && s) {
      auto m = int_after(text, of + 17);
      if (m) {
        score_ = *s;
        max_score_ = *m;
        if (const auto in = text.find(", in ", of); in != std::string_view::npos) {
          if (auto t = int_after(text, in + 5))
            moves_ = *t;
        }
        return true;
      }
    }
  }
  // Infocom: "Your score is 0 (total of 350 points), in 1 move."
  if (const auto p = text.find("Your score is "); p != std::string_view::npos) {
    const auto total = text.find("total of ", p);
    auto s = int_after(text, p + 14);
    if (total != std::string_view::npos && s) {
      if (auto m = int_after(text, total + 9)) {
        score_ = *s;
        max_score_ = *m;
        if (const auto in = text.find(", in ", total); in != std::string_view::npos) {
          if (auto t = int_after(text, in + 5))
            moves_ = *t;
        }
        return true;
      }
    }
  }
  return false;
}

Status ZMachineEnv::query_score() {
  if (!score_command_)
    return Status::ok_status();
  ARBOR_ASSIGN_OR_RETURN(std::string reply, exchange("score"));
  if (!parse_score_text(reply))
    score_command_ = false;  // this game has no score command
  return Status::ok_status();
}

Json ZMachineEnv::info() const {
  Json info = Json::object();
  info[kInfoScore] = score_;
  info[kInfoMaxScore] = max_score_;
  info[kInfoMoves] = moves_;
  info[kInfoWon] = won_;
  info[kInfoLost] = game_over_ && !won_;
  return info;
}

StatusOr<ResetResult> ZMachineEnv::reset(std::optional<std::uint64_t> seed, const Json& options) {
  if (options.is_object() && options.contains("timeout_ms")) {
    ARBOR_ASSIGN_OR_RETURN(timeout_ms_, json_get<int>(options, "timeout_ms", "zmachine options"));
  }
  if (seed)
    seed_ = seed;
  score_ = max_score_ = moves_ = 0;
  game_over_ = won_ = false;
  if (Status s = start(seed_); !s.ok())
    return fail(s);
  auto intro = proc_->read_until(at_prompt, Millis(timeout_ms_), kQuiet);
  if (!intro.ok())
    return fail(intro.status().with_context("starting " + story_));
  int status_score = -1, status_moves = -1;
  ResetResult r;
  r.observation = clean_zmachine_output(*intro, &status_score, &status_moves);
  if (status_score >= 0)
    score_ = status_score;
  if (status_moves >= 0)
    moves_ = status_moves;
  score_command_ = !options.is_object() || options.value("score_command", true);
  if (Status s = query_score(); !s.ok())
    return fail(s);
  last_observation_ = r.observation;
  guard_.start();
  r.info = info();
  return r;
}

StatusOr<StepResult> ZMachineEnv::step(std::string_view action) {
  ARBOR_RETURN_IF_ERROR(guard_.check_running(spec_.id));
  std::string command;
  for (char c : action) command += (c == '\n' || c == '\r') ? ' ' : c;
  command = std::string(trim(command)).substr(0, kMaxCommand);
  // Commands that would ask the interpreter for a file or end it are for the environment to
  // issue (save(), restore(), reset()), not for an agent.
  const std::string verb = lower(command.substr(0, command.find(' ')));
  for (const char* meta : {"save", "restore", "quit", "q", "restart", "script", "unscript",
                           "transcript", "#save", "#restore", "#quit", "#restart"}) {
    if (verb == meta) {
      StepResult r;
      r.observation = "'" + verb +
                      "' is not available here; the environment saves, restores "
                      "and restarts the game itself.";
      r.info = info();
      r.info[kInfoLastActionError] = r.observation;
      return r;
    }
  }
  const int before = score_;
  auto reply = exchange(command);
  if (!reply.ok())
    return fail(reply.status().with_context("command '" + command + "'"));
  StepResult r;
  int status_score = -1, status_moves = -1;
  r.observation = clean_zmachine_output(*reply, &status_score, &status_moves);
  if (status_score >= 0)
    score_ = status_score;
  if (status_moves >= 0)
    moves_ = status_moves;
  if (game_over_text(*reply)) {
    game_over_ = true;
    parse_score_text(*reply);  // the final "You scored X out of a possible Y"
    const std::string l = lower(*reply);
    if (l.find("won") != std::string::npos) {
      won_ = true;
    } else if (l.find("died") != std::string::npos || l.find("lost") != std::string::npos) {
      won_ = false;
    } else {
      won_ = max_score_ > 0 && score_ >= max_score_;
    }
    r.terminated = true;
    guard_.finish();
  } else {
    const bool had_command = score_command_;
    if (Status s = query_score(); !s.ok())
      return fail(s.with_context("reading the score"));
    if (!had_command || !score_command_) {
      // No score command: count the moves and follow "Your score has just gone up by N".
      ++moves_;
      const std::string l = lower(*reply);
      if (const auto p = l.find("score has just gone up by"); p != std::string::npos) {
        if (auto n = int_after(l, p + 25))
          score_ += *n;
      } else if (const auto q = l.find("score has just gone down by"); q != std::string::npos) {
        if (auto n = int_after(l, q + 27))
          score_ -= *n;
      }
    }
  }
  r.reward = score_ - before;
  last_observation_ = r.observation;
  r.info = info();
  return r;
}

// Snapshot: "ZM1\n", one JSON line (score, max_score, moves, observation, seed), the save file.
StatusOr<std::string> ZMachineEnv::save() {
  ARBOR_RETURN_IF_ERROR(guard_.check_running(spec_.id));
  for (const std::string& f : files_in(dir_)) std::remove(f.c_str());
  // Long names: dfrotz shortens some short ones.
  const std::string name =
      join_path(dir_, "arbor-snapshot-" + std::to_string(++file_counter_) + ".sav");
  auto asked = exchange("save", /*file_prompt=*/true);
  if (!asked.ok())
    return fail(asked.status().with_context("saving"));
  auto done = at_prompt(*asked) ? std::move(asked) : exchange(name);
  if (!done.ok())
    return fail(done.status().with_context("saving"));
  const std::vector<std::string> files = files_in(dir_);
  if (files.size() != 1 || lower(*done).find("ok") == std::string::npos) {
    return Status::internal(
        spec_.id + ": the game did not save: " + clean_zmachine_output(*done, nullptr, nullptr));
  }
  ARBOR_ASSIGN_OR_RETURN(std::string bytes, read_file(files[0]));
  std::remove(files[0].c_str());
  Json header = {{"score", score_},
                 {"max_score", max_score_},
                 {"moves", moves_},
                 {"observation", last_observation_},
                 {"score_command", score_command_}};
  if (seed_)
    header["seed"] = *seed_;
  return "ZM1\n" + json_dump(header) + "\n" + bytes;
}

Status ZMachineEnv::restore(std::string_view snapshot) {
  const auto bad = [&] {
    return Status::invalid_argument(spec_.id + ": not a Z-machine snapshot");
  };
  if (snapshot.substr(0, 4) != "ZM1\n")
    return bad();
  const auto eol = snapshot.find('\n', 4);
  if (eol == std::string_view::npos)
    return bad();
  auto header = parse_json(snapshot.substr(4, eol - 4), "Z-machine snapshot");
  if (!header.ok() || !header->is_object())
    return bad();
  const std::string_view bytes = snapshot.substr(eol + 1);
  if (!proc_ || !proc_->running()) {
    // A fresh interpreter to restore into (after a crash, or before any reset).
    if (Status s = start(seed_); !s.ok())
      return fail(s);
    auto intro = proc_->read_until(at_prompt, Millis(timeout_ms_), kQuiet);
    if (!intro.ok())
      return fail(intro.status());
  }
  for (const std::string& f : files_in(dir_)) std::remove(f.c_str());
  const std::string name =
      join_path(dir_, "arbor-restore-" + std::to_string(++file_counter_) + ".sav");
  ARBOR_RETURN_IF_ERROR(write_file_atomic(name, bytes));
  auto asked = exchange("restore", /*file_prompt=*/true);
  if (!asked.ok())
    return fail(asked.status().with_context("restoring"));
  auto done = at_prompt(*asked) ? std::move(asked) : exchange(name);
  std::remove(name.c_str());
  if (!done.ok())
    return fail(done.status().with_context("restoring"));
  if (lower(*done).find("ok") == std::string::npos) {
    return Status::invalid_argument(spec_.id + ": the game did not restore the snapshot: " +
                                    clean_zmachine_output(*done, nullptr, nullptr));
  }
  score_ = header->value("score", 0);
  max_score_ = header->value("max_score", 0);
  moves_ = header->value("moves", 0);
  score_command_ = header->value("score_command", true);
  last_observation_ = header->value("observation", std::string());
  game_over_ = won_ = false;
  guard_.start();
  return Status::ok_status();
}

}  // namespace arbor::envs
