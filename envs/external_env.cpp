#include "envs/external_env.h"

#include "core/logging.h"
#include "core/strings.h"
#include "envs/internal/subprocess.h"

namespace arbor::envs {
namespace {

using Millis = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr char kProtocolVersion[] = "1";

std::string excerpt(std::string_view s) {
  std::string out(s.substr(0, 120));
  if (s.size() > 120)
    out += "...";
  return out;
}

// An error response as a Status: the server is fine, the request was not.
Status error_response(const std::string& method, const Json& err) {
  const int code = err.is_object() ? err.value("code", 0) : 0;
  std::string msg =
      "env server error in " + method + ": " +
      (err.is_object() ? err.value("message", std::string("(no message)")) : err.dump());
  if (err.is_object() && err.contains("data") && !err["data"].is_null()) {
    std::string data =
        err["data"].is_string() ? err["data"].get<std::string>() : err["data"].dump();
    if (data.size() > 600)
      data = "..." + data.substr(data.size() - 600);
    msg += " (" + data + ")";
  }
  switch (code) {
    case -32601:
      return Status::unimplemented(msg);
    case -32602:
      return Status::invalid_argument(msg);
    default:
      return Status::internal(msg);
  }
}

}  // namespace

StatusOr<ExternalEnvOptions> ExternalEnvOptions::parse(std::string_view argument,
                                                       const Json& options) {
  ExternalEnvOptions o;
  std::string_view arg = trim(argument);
  if (const auto hash = arg.rfind('#'); hash != std::string_view::npos) {
    o.env_id = std::string(trim(arg.substr(hash + 1)));
    arg = trim(arg.substr(0, hash));
  }
  for (const std::string& part : split(arg, ' ')) {
    if (!part.empty())
      o.command.push_back(part);
  }
  if (options.is_object()) {
    const std::string where = "external environment options";
    if (options.contains("command")) {
      if (!options["command"].is_array() || options["command"].empty()) {
        return Status::invalid_argument(where + ": 'command' must be a non-empty array of strings");
      }
      o.command.clear();
      for (const Json& c : options["command"]) {
        if (!c.is_string())
          return Status::invalid_argument(where + ": 'command' must hold strings");
        o.command.push_back(c.get<std::string>());
      }
    }
    if (options.contains("env")) {
      ARBOR_ASSIGN_OR_RETURN(o.env_id, json_get<std::string>(options, "env", where));
    }
    if (options.contains("kwargs")) {
      if (!options["kwargs"].is_object())
        return Status::invalid_argument(where + ": 'kwargs' must be an object");
      o.kwargs = options["kwargs"];
    }
    for (auto [key, field] :
         {std::pair{"timeout_ms", &o.timeout_ms}, std::pair{"init_timeout_ms", &o.init_timeout_ms},
          std::pair{"shutdown_grace_ms", &o.shutdown_grace_ms}}) {
      if (options.contains(key)) {
        ARBOR_ASSIGN_OR_RETURN(*field, json_get<int>(options, key, where));
        if (*field <= 0)
          return Status::invalid_argument(where + ": '" + key + "' must be > 0");
      }
    }
  }
  if (o.command.empty()) {
    return Status::invalid_argument(
        "external environment: no command (use "
        "external:<program> [args]#<env> or options.command)");
  }
  return o;
}

StatusOr<std::unique_ptr<ExternalEnv>> ExternalEnv::create(std::string id,
                                                           ExternalEnvOptions options) {
  auto env = std::unique_ptr<ExternalEnv>(new ExternalEnv());
  env->spec_.id = std::move(id);
  env->options_ = std::move(options);
  ARBOR_RETURN_IF_ERROR(env->start());
  return env;
}

ExternalEnv::~ExternalEnv() {
  close();
}

Status ExternalEnv::fail(const Status& why) {
  const Status s = why.with_context(spec_.id);
  guard_.fail(s);
  if (proc_)
    proc_->terminate(Millis(options_.shutdown_grace_ms));
  proc_.reset();
  return s;
}

Status ExternalEnv::start() {
  if (proc_)
    proc_->terminate(Millis(options_.shutdown_grace_ms));
  proc_.reset();
  ARBOR_ASSIGN_OR_RETURN(proc_, internal::Subprocess::spawn(options_.command));
  auto init = call("initialize",
                   Json{{"protocol_version", kProtocolVersion},
                        {"client", {{"name", "arbor"}, {"version", "0.1"}}}},
                   options_.init_timeout_ms);
  if (!init.ok())
    return fail(init.status().with_context("initialize"));
  if (!init->is_object())
    return fail(Status::unavailable("initialize: the result is not an object"));
  server_info_ = init->value("server", Json::object());
  const std::string version = init->value("protocol_version", std::string());
  if (version != kProtocolVersion) {
    return fail(Status::unavailable("initialize: the server speaks protocol '" + version +
                                    "', Arbor speaks '" + kProtocolVersion + "'"));
  }
  if (options_.env_id.empty()) {
    // A server with one environment needs no name.
    const Json envs = init->value("envs", Json::array());
    if (envs.size() == 1 && envs[0].is_object() && envs[0].contains("id")) {
      options_.env_id = envs[0]["id"].get<std::string>();
    } else {
      return fail(Status::invalid_argument("the server offers " + envs.dump() +
                                           "; name one with external:<command>#<env> or "
                                           "options.env"));
    }
  }
  auto made = call("env.make", Json{{"env_id", options_.env_id}, {"kwargs", options_.kwargs}},
                   options_.init_timeout_ms);
  if (!made.ok()) {
    // The server said no (an unknown env id): shut it down cleanly, keep its message.
    if (proc_)
      proc_->terminate(Millis(options_.shutdown_grace_ms));
    proc_.reset();
    return made.status().with_context(spec_.id + ": env.make");
  }
  if (!made->is_object() || !made->contains("instance_id")) {
    return fail(Status::unavailable("env.make: the result has no instance_id"));
  }
  instance_id_ = (*made)["instance_id"];
  const Json spec = made->value("spec", Json::object());
  spec_.admissible_actions = spec.value("admissible_actions", false);
  spec_.save_restore = spec.value("save_restore", false);
  spec_.deterministic = spec.value("deterministic", true);
  return Status::ok_status();
}

StatusOr<Json> ExternalEnv::call(const std::string& method, Json params, int timeout_ms) {
  if (!proc_)
    return Status::unavailable("the env server is not running");
  const std::int64_t id = next_id_++;
  const Json request = {
      {"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
  if (Status s = proc_->write(json_dump(request) + "\n"); !s.ok()) {
    return fail(s.with_context(method));
  }
  const auto deadline = Clock::now() + Millis(timeout_ms);
  while (true) {
    const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    auto line = proc_->read_line(left.count() > 0 ? left : Millis(0));
    if (!line.ok()) {
      if (line.status().code() == StatusCode::kDeadlineExceeded) {
        (void)proc_->write(json_dump(Json{{"jsonrpc", "2.0"},
                                          {"method", "notifications/cancelled"},
                                          {"params", {{"requestId", id}, {"reason", "timeout"}}}}) +
                           "\n");
        return fail(Status::deadline_exceeded(method + ": no reply within " +
                                              std::to_string(timeout_ms) + " ms"));
      }
      return fail(line.status().with_context(method));
    }
    if (trim(*line).empty())
      continue;
    Json msg = Json::parse(*line, nullptr, /*allow_exceptions=*/false);
    if (msg.is_discarded() || !msg.is_object()) {
      return fail(Status::unavailable(method +
                                      ": the server printed a line that is not "
                                      "JSON-RPC on stdout: '" +
                                      excerpt(*line) + "'"));
    }
    if (msg.value("jsonrpc", std::string()) != "2.0") {
      return fail(Status::unavailable(method + ": a message without \"jsonrpc\": \"2.0\": '" +
                                      excerpt(*line) + "'"));
    }
    if (!msg.contains("id") || msg["id"].is_null()) {
      if (msg.contains("method")) {  // a notification: logs and progress
        ARBOR_LOG(kDebug) << spec_.id << ": " << excerpt(*line);
        continue;
      }
      if (msg.contains("error"))
        return error_response(method, msg["error"]);
      return fail(
          Status::unavailable(method + ": a response without an id: '" + excerpt(*line) + "'"));
    }
    if (msg["id"] != Json(id)) {
      return fail(Status::unavailable(method + ": a response to request " + msg["id"].dump() +
                                      " while waiting for " + std::to_string(id)));
    }
    if (msg.contains("error"))
      return error_response(method, msg["error"]);
    if (!msg.contains("result")) {
      return fail(Status::unavailable(method + ": a response with neither result nor error"));
    }
    return msg["result"];
  }
}

StatusOr<ResetResult> ExternalEnv::reset(std::optional<std::uint64_t> seed, const Json& options) {
  if (!proc_ || !proc_->running()) {
    ARBOR_RETURN_IF_ERROR(start());
  }
  Json params = {{"instance_id", instance_id_},
                 {"options", options.is_object() ? options : Json::object()}};
  if (seed)
    params["seed"] = *seed;
  ARBOR_ASSIGN_OR_RETURN(Json result, call("env.reset", std::move(params), options_.timeout_ms));
  if (!result.is_object() || !result.contains("observation") ||
      !result["observation"].is_string()) {
    return fail(Status::unavailable("env.reset: the result needs a string 'observation'"));
  }
  ResetResult r;
  r.observation = result["observation"].get<std::string>();
  r.info = result.value("info", Json::object());
  if (!r.info.is_object())
    r.info = Json::object();
  guard_.start();
  return r;
}

StatusOr<StepResult> ExternalEnv::step(std::string_view action) {
  ARBOR_RETURN_IF_ERROR(guard_.check_running(spec_.id));
  ARBOR_ASSIGN_OR_RETURN(
      Json result,
      call("env.step", Json{{"instance_id", instance_id_}, {"action", std::string(action)}},
           options_.timeout_ms));
  if (!result.is_object() || !result.contains("observation") ||
      !result["observation"].is_string() || !result.value("reward", Json()).is_number() ||
      !result.value("terminated", Json()).is_boolean()) {
    return fail(
        Status::unavailable("env.step: the result needs observation (string), reward "
                            "(number) and terminated (boolean); got " +
                            excerpt(result.dump())));
  }
  StepResult r;
  r.observation = result["observation"].get<std::string>();
  r.reward = result["reward"].get<double>();
  r.terminated = result["terminated"].get<bool>();
  r.truncated = result.value("truncated", false);
  r.info = result.value("info", Json::object());
  if (!r.info.is_object())
    r.info = Json::object();
  if (r.terminated || r.truncated)
    guard_.finish();
  return r;
}

StatusOr<std::vector<std::string>> ExternalEnv::admissible_actions() {
  if (!spec_.admissible_actions)
    return Environment::admissible_actions();
  ARBOR_ASSIGN_OR_RETURN(
      Json result,
      call("env.admissible_actions", Json{{"instance_id", instance_id_}}, options_.timeout_ms));
  const Json actions = result.is_object() ? result.value("actions", Json()) : Json();
  std::vector<std::string> out;
  if (!actions.is_array())
    return fail(Status::unavailable("env.admissible_actions: no 'actions' array"));
  for (const Json& a : actions) {
    if (!a.is_string())
      return fail(Status::unavailable("env.admissible_actions: actions must be strings"));
    out.push_back(a.get<std::string>());
  }
  return out;
}

StatusOr<std::string> ExternalEnv::save() {
  if (!spec_.save_restore)
    return Environment::save();
  ARBOR_ASSIGN_OR_RETURN(
      Json result, call("env.get_state", Json{{"instance_id", instance_id_}}, options_.timeout_ms));
  if (!result.is_object() || !result.value("state", Json()).is_string()) {
    return fail(Status::unavailable("env.get_state: the result needs a string 'state'"));
  }
  // The episode flag travels with the server's state.
  return std::string(guard_.running() ? "R" : "O") + result["state"].get<std::string>();
}

Status ExternalEnv::restore(std::string_view snapshot) {
  if (!spec_.save_restore)
    return Environment::restore(snapshot);
  if (snapshot.empty() || (snapshot[0] != 'R' && snapshot[0] != 'O')) {
    return Status::invalid_argument(spec_.id + ": not a snapshot of this environment");
  }
  if (!proc_ || !proc_->running()) {
    ARBOR_RETURN_IF_ERROR(start());
  }
  ARBOR_ASSIGN_OR_RETURN(Json result, call("env.set_state",
                                           Json{{"instance_id", instance_id_},
                                                {"state", std::string(snapshot.substr(1))}},
                                           options_.timeout_ms));
  (void)result;
  if (snapshot[0] == 'R') {
    guard_.start();
  } else {
    guard_.finish();
  }
  return Status::ok_status();
}

void ExternalEnv::close() {
  if (!proc_)
    return;
  if (proc_->running()) {
    // Polite first: the server may flush and clean up. Short deadlines: it may be stuck.
    const int t = std::min(options_.timeout_ms, 2000);
    (void)call("env.close", Json{{"instance_id", instance_id_}}, t);
    if (proc_)
      (void)call("shutdown", Json::object(), t);
  }
  if (proc_)
    proc_->terminate(Millis(options_.shutdown_grace_ms));
  proc_.reset();
}

}  // namespace arbor::envs
