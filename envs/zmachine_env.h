// ZMachineEnv: a Z-machine story file (Infocom, Inform, TextWorld .z5/.z8) played through the
// `dfrotz` interpreter (Debian package frotz) running as a child process.
//
// reset() starts a fresh interpreter (seeded with -s when a seed is given) and returns the
// game's opening text; step() sends one command line and returns the game's reply. Output is
// cleaned: the prompt, blank-line runs and any status line are removed (the status line's
// score and moves are used). After each step the score is read from the game ("score" is an
// out-of-world command in Inform games and costs no turn), so info has score, max_score and
// moves, and the reward is the change in score. The episode ends (terminated) when the game
// prints its end banner ("*** The End ***", "*** You have died ***") or asks to RESTART;
// won when the banner says so or the final score is the maximum.
//
// save() / restore() go through the interpreter's own save files in a private temporary
// folder, so a search can branch (an agent's own "save", "restore", "quit", "restart" and
// "script" commands are refused with info["last_action_error"]); the snapshot also carries score,
// moves and the last observation. A hung interpreter (no prompt within options["timeout_ms"],
// default 5000) or a crashed one ends the episode with kDeadlineExceeded / kUnavailable and the
// interpreter is shut down; reset() starts a new one.
//
// Thread safety: one thread at a time.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "envs/environment.h"

namespace arbor::envs {

namespace internal {
class Subprocess;
}  // namespace internal

// OK when `path` is a readable Z-machine story (version 1-8 header, or a Blorb file);
// kNotFound / kInvalidArgument naming the file otherwise.
Status check_story_file(const std::string& path);

// The dfrotz executable: $PATH, then /usr/games. kFailedPrecondition when absent.
StatusOr<std::string> find_dfrotz();

// Removes the prompt, status lines and surrounding blank lines from interpreter output.
// Sets *status_score / *status_moves when a status line showed them (else leaves them).
std::string clean_zmachine_output(std::string_view raw, int* status_score, int* status_moves);

class ZMachineEnv final : public Environment {
 public:
  // Options: "timeout_ms" (per reply, default 5000), "interpreter" (path to dfrotz),
  // "score_command" (default true: ask the game for its score after each step).
  static StatusOr<std::unique_ptr<ZMachineEnv>> create(std::string id, std::string story,
                                                       const Json& options);
  ~ZMachineEnv() override;

  const EnvSpec& spec() const override { return spec_; }
  StatusOr<ResetResult> reset(std::optional<std::uint64_t> seed, const Json& options) override;
  StatusOr<StepResult> step(std::string_view action) override;
  StatusOr<std::string> save() override;
  Status restore(std::string_view snapshot) override;
  void close() override;

 private:
  ZMachineEnv() = default;
  Status start(std::optional<std::uint64_t> seed);
  // Sends a line and reads the reply up to the next prompt (or, with file_prompt, up to a
  // question such as "Please enter a filename: ").
  StatusOr<std::string> exchange(const std::string& line, bool file_prompt = false);
  // Asks the game for its score; updates score_, max_score_, moves_ when it answers.
  Status query_score();
  bool parse_score_text(std::string_view text);
  Json info() const;
  // Shuts the interpreter down and records why the episode cannot go on.
  Status fail(const Status& why);

  EnvSpec spec_;
  std::string story_;
  std::string dfrotz_;
  std::string dir_;  // private folder for save files
  int timeout_ms_ = 5000;
  bool score_command_ = true;
  std::unique_ptr<internal::Subprocess> proc_;
  std::optional<std::uint64_t> seed_;
  int score_ = 0;
  int max_score_ = 0;
  int moves_ = 0;
  bool game_over_ = false;
  bool won_ = false;
  std::string last_observation_;
  int file_counter_ = 0;
  EpisodeGuard guard_;
};

}  // namespace arbor::envs
