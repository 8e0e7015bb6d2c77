#!/usr/bin/env python3
"""A reference environment server for Arbor's external environments.

It speaks JSON-RPC 2.0 on stdin/stdout, one message per line (see docs/envs.md), and uses only
the Python standard library. stdout carries protocol messages only; logs go to stderr.

    arbor env play --env 'external:python3 examples/envs/arbor_env_server.py#guess_number'

Environments:
  guess_number  find a secret integer in [1, n] (kwargs: n, default 20); actions "guess K";
                replies "higher" / "lower"; admissible actions and state snapshots
  echo          repeats each action back; ends after `turns` actions (kwargs: turns, default 3)

To add an environment, subclass Env and list it in ENVS.
"""

import base64
import json
import random
import sys

PROTOCOL_VERSION = "1"

# JSON-RPC error codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
UNKNOWN_INSTANCE = -32001
EPISODE_NOT_STARTED = -32002


class RpcError(Exception):
    def __init__(self, code, message, data=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def log(*args):
    print("[arbor_env_server]", *args, file=sys.stderr, flush=True)


class Env:
    """One environment instance. Subclasses implement reset and step."""

    spec = {"admissible_actions": False, "save_restore": False, "deterministic": True}

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.rng = random.Random(0)

    def reset(self, seed, options):
        raise NotImplementedError

    def step(self, action):
        raise NotImplementedError

    def admissible_actions(self):
        raise RpcError(METHOD_NOT_FOUND, "this environment has no admissible actions")

    def get_state(self):
        raise RpcError(METHOD_NOT_FOUND, "this environment cannot save its state")

    def set_state(self, state):
        raise RpcError(METHOD_NOT_FOUND, "this environment cannot restore a state")


class GuessNumber(Env):
    spec = {"admissible_actions": True, "save_restore": True, "deterministic": True}

    def __init__(self, n=20):
        super().__init__(n=n)
        if not isinstance(n, int) or n < 1:
            raise RpcError(INVALID_PARAMS, "n must be a positive integer")
        self.n = n
        self.secret = None

    def _info(self):
        return {"low": self.low, "high": self.high, "moves": self.moves,
                "objective": "Find the secret number between 1 and %d." % self.n}

    def reset(self, seed, options):
        if seed is not None:
            self.rng.seed(seed)
        self.secret = self.rng.randint(1, self.n)
        self.low, self.high, self.moves = 1, self.n, 0
        return {"observation": "Guess a number between 1 and %d." % self.n, "info": self._info()}

    def step(self, action):
        if self.secret is None:
            raise RpcError(EPISODE_NOT_STARTED, "step before reset")
        words = action.strip().lower().split()
        if words and words[0] == "guess":
            words = words[1:]
        info = self._info()
        if len(words) != 1 or not words[0].isdigit():
            info["last_action_error"] = "say 'guess K' with a number K"
            return {"observation": "I did not understand '%s'." % action, "reward": 0.0,
                    "terminated": False, "truncated": False, "info": info}
        guess = int(words[0])
        self.moves += 1
        if guess == self.secret:
            self.low = self.high = guess
            info = self._info()
            info.update({"won": True, "score": 1, "max_score": 1})
            return {"observation": "Correct! The number was %d." % guess, "reward": 1.0,
                    "terminated": True, "truncated": False, "info": info}
        if guess < self.secret:
            self.low = max(self.low, guess + 1)
            reply = "Higher."
        else:
            self.high = min(self.high, guess - 1)
            reply = "Lower."
        return {"observation": reply, "reward": 0.0, "terminated": False, "truncated": False,
                "info": self._info()}

    def admissible_actions(self):
        return ["guess %d" % k for k in range(self.low, self.high + 1)]

    def get_state(self):
        raw = json.dumps([self.secret, self.low, self.high, self.moves]).encode()
        return base64.b64encode(raw).decode()

    def set_state(self, state):
        try:
            self.secret, self.low, self.high, self.moves = json.loads(base64.b64decode(state))
        except (ValueError, TypeError) as e:
            raise RpcError(INVALID_PARAMS, "not a guess_number state: %s" % e)


class Echo(Env):
    def __init__(self, turns=3):
        super().__init__(turns=turns)
        self.turns = turns
        self.count = None

    def reset(self, seed, options):
        self.count = 0
        return {"observation": "Say anything.", "info": {}}

    def step(self, action):
        if self.count is None:
            raise RpcError(EPISODE_NOT_STARTED, "step before reset")
        self.count += 1
        return {"observation": "You said: " + action, "reward": float(len(action)),
                "terminated": self.count >= self.turns, "truncated": False,
                "info": {"moves": self.count}}


ENVS = {"guess_number": GuessNumber, "echo": Echo}


class Server:
    def __init__(self, envs):
        self.envs = envs
        self.instances = {}
        self.next_instance = 1
        self.running = True

    # ---- methods ---------------------------------------------------------------------------
    def initialize(self, params):
        return {"protocol_version": PROTOCOL_VERSION,
                "server": {"name": "arbor_env_server", "version": "1"},
                "envs": [{"id": name, "spec": cls.spec} for name, cls in self.envs.items()],
                "capabilities": {}}

    def make(self, params):
        env_id = params.get("env_id")
        if env_id not in self.envs:
            raise RpcError(INVALID_PARAMS, "unknown env_id %r (known: %s)"
                           % (env_id, ", ".join(sorted(self.envs))))
        kwargs = params.get("kwargs") or {}
        try:
            env = self.envs[env_id](**kwargs)
        except TypeError as e:
            raise RpcError(INVALID_PARAMS, "bad kwargs for %s: %s" % (env_id, e))
        instance_id = "%s-%d" % (env_id, self.next_instance)
        self.next_instance += 1
        self.instances[instance_id] = env
        return {"instance_id": instance_id, "spec": env.spec}

    def instance(self, params):
        iid = params.get("instance_id")
        if iid not in self.instances:
            raise RpcError(UNKNOWN_INSTANCE, "unknown instance_id %r" % iid)
        return self.instances[iid]

    def dispatch(self, method, params):
        if method == "initialize":
            return self.initialize(params)
        if method == "env.make":
            return self.make(params)
        if method == "env.reset":
            return self.instance(params).reset(params.get("seed"), params.get("options") or {})
        if method == "env.step":
            action = params.get("action")
            if not isinstance(action, str):
                raise RpcError(INVALID_PARAMS, "action must be a string")
            return self.instance(params).step(action)
        if method == "env.admissible_actions":
            return {"actions": self.instance(params).admissible_actions()}
        if method == "env.get_state":
            return {"state": self.instance(params).get_state()}
        if method == "env.set_state":
            self.instance(params).set_state(params.get("state"))
            return {}
        if method == "env.close":
            self.instances.pop(params.get("instance_id"), None)
            return {}
        if method == "shutdown":
            self.running = False
            return {}
        raise RpcError(METHOD_NOT_FOUND, "unknown method %r" % method)

    # ---- transport ---------------------------------------------------------------------------
    def send(self, message):
        sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
        sys.stdout.flush()

    def handle_line(self, line):
        try:
            msg = json.loads(line)
        except ValueError as e:
            self.send({"jsonrpc": "2.0", "id": None,
                       "error": {"code": PARSE_ERROR, "message": "parse error: %s" % e}})
            return
        if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0" or "method" not in msg:
            self.send({"jsonrpc": "2.0", "id": msg.get("id") if isinstance(msg, dict) else None,
                       "error": {"code": INVALID_REQUEST, "message": "invalid request"}})
            return
        if "id" not in msg:  # a notification: nothing to answer
            if msg["method"] == "notifications/cancelled":
                log("request cancelled:", msg.get("params"))
            return
        try:
            result = self.dispatch(msg["method"], msg.get("params") or {})
            self.send({"jsonrpc": "2.0", "id": msg["id"], "result": result})
        except RpcError as e:
            error = {"code": e.code, "message": e.message}
            if e.data is not None:
                error["data"] = e.data
            self.send({"jsonrpc": "2.0", "id": msg["id"], "error": error})
        except Exception as e:  # a bug in an environment: report it, keep serving
            import traceback
            self.send({"jsonrpc": "2.0", "id": msg["id"],
                       "error": {"code": -32603, "message": "internal error: %s" % e,
                                 "data": traceback.format_exc()}})

    def serve(self, stream):
        for line in stream:
            if line.strip():
                self.handle_line(line)
            if not self.running:
                break
        log("shutting down")


def main():
    Server(ENVS).serve(sys.stdin)


if __name__ == "__main__":
    main()
