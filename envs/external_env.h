// ExternalEnv: an environment served by another process over JSON-RPC 2.0 on its stdio, one
// message per line (no embedded newlines). Its stdout carries only protocol messages; its
// stderr is free-form logging, kept for error messages. The protocol (docs/envs.md) is:
//
//   initialize {protocol_version, client}           -> {protocol_version, server, envs}
//   env.make {env_id, kwargs}                       -> {instance_id, spec}
//   env.reset {instance_id, seed?, options}         -> {observation, info}
//   env.step {instance_id, action}                  -> {observation, reward, terminated,
//                                                       truncated, info}
//   env.admissible_actions {instance_id}            -> {actions}
//   env.get_state {instance_id}                     -> {state}   (an opaque string)
//   env.set_state {instance_id, state}              -> {}
//   env.close {instance_id}                         -> {}
//   shutdown {}                                     -> {}
//
// Every request has a deadline (options "timeout_ms", default 10000; "init_timeout_ms" for
// start-up). On a timeout Arbor sends notifications/cancelled and then stops the process. A
// server that times out, crashes, exits early or prints something that is not JSON-RPC ends
// the episode with kDeadlineExceeded / kUnavailable naming what happened (with the end of its
// stderr); the next reset() starts a new server. An error response (the server's own report)
// is returned as a Status and the server keeps running. Shutdown: env.close, shutdown, close
// stdin, SIGTERM after a grace period, SIGKILL after another.
//
// Thread safety: one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "envs/environment.h"

namespace arbor::envs {

namespace internal {
class Subprocess;
}  // namespace internal

struct ExternalEnvOptions {
  std::vector<std::string> command;  // the server program and its arguments
  std::string env_id;                // passed to env.make
  Json kwargs = Json::object();      // passed to env.make
  int timeout_ms = 10000;
  int init_timeout_ms = 10000;
  int shutdown_grace_ms = 1000;

  // From the registry id's argument ("python3 server.py#guess_number": the command, then the
  // environment after '#') and the options object ("command" array, "env", "kwargs",
  // "timeout_ms", "init_timeout_ms", "shutdown_grace_ms").
  static StatusOr<ExternalEnvOptions> parse(std::string_view argument, const Json& options);
};

class ExternalEnv final : public Environment {
 public:
  // Starts the server, initializes it and makes the environment: errors here (a program that
  // does not start, a failed handshake, an unknown env id) fail make().
  static StatusOr<std::unique_ptr<ExternalEnv>> create(std::string id, ExternalEnvOptions options);
  ~ExternalEnv() override;

  const EnvSpec& spec() const override { return spec_; }
  StatusOr<ResetResult> reset(std::optional<std::uint64_t> seed, const Json& options) override;
  StatusOr<StepResult> step(std::string_view action) override;
  StatusOr<std::vector<std::string>> admissible_actions() override;
  StatusOr<std::string> save() override;
  Status restore(std::string_view snapshot) override;
  void close() override;

  // The server's "server" object from initialize.
  const Json& server_info() const { return server_info_; }

 private:
  ExternalEnv() = default;
  Status start();
  StatusOr<Json> call(const std::string& method, Json params, int timeout_ms);
  Status fail(const Status& why);

  EnvSpec spec_;
  ExternalEnvOptions options_;
  std::unique_ptr<internal::Subprocess> proc_;
  Json server_info_ = Json::object();
  Json instance_id_;
  std::int64_t next_id_ = 1;
  EpisodeGuard guard_;
};

}  // namespace arbor::envs
