#!/usr/bin/env python3
"""The reference environment server with one injected fault, for testing Arbor's client.

    faulty_env_server.py --fault MODE

MODE: hang_step (never answers env.step), hang_ignore_term (the same, and ignores SIGTERM),
crash_step (exits with status 3 in env.step), garbage_step (prints a non-JSON line in env.step),
exit_init (exits before answering initialize), wrong_version (answers initialize with protocol
99), noisy (logs to stderr and sends notifications around every answer; otherwise correct),
wrong_id (answers env.step with another request id).
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "examples", "envs"))
import arbor_env_server as base  # noqa: E402


class FaultyServer(base.Server):
    def __init__(self, envs, fault):
        super().__init__(envs)
        self.fault = fault

    def dispatch(self, method, params):
        if method == "initialize" and self.fault == "exit_init":
            sys.stderr.write("faulty server: giving up at start-up\n")
            sys.stderr.flush()
            os._exit(2)
        if method == "initialize" and self.fault == "wrong_version":
            result = super().dispatch(method, params)
            result["protocol_version"] = "99"
            return result
        if method == "env.step":
            if self.fault in ("hang_step", "hang_ignore_term"):
                if self.fault == "hang_ignore_term":
                    signal.signal(signal.SIGTERM, signal.SIG_IGN)
                while True:
                    time.sleep(1)
            if self.fault == "crash_step":
                sys.stderr.write("faulty server: segfault in the physics engine\n")
                sys.stderr.flush()
                os._exit(3)
            if self.fault == "garbage_step":
                sys.stdout.write("Traceback (most recent call last): oops\n")
                sys.stdout.flush()
                time.sleep(60)
        return super().dispatch(method, params)

    def send(self, message):
        if self.fault == "noisy":
            sys.stderr.write("noisy: about to answer\n" * 50)
            super().send({"jsonrpc": "2.0", "method": "log", "params": {"message": "hello"}})
        if self.fault == "wrong_id" and "result" in message and "reward" in message["result"]:
            message = dict(message, id=12345)
        super().send(message)


if __name__ == "__main__":
    fault = sys.argv[sys.argv.index("--fault") + 1] if "--fault" in sys.argv else ""
    FaultyServer(base.ENVS, fault).serve(sys.stdin)
