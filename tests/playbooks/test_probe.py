"""playbooks/files/lvs_probe.py: the judgement verify.yml relies on, and one real probe against a
web server on the loopback."""
import importlib.util
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import PLAYBOOKS

spec = importlib.util.spec_from_file_location("lvs_probe", PLAYBOOKS / "files" / "lvs_probe.py")
probe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(probe)

T = {"name": "web", "count": 100, "expected": {"rs1": 1, "rs2": 1}, "aliases": {"192.0.2.11": "rs1"}}


def test_even_split_passes():
    rows, problems = probe.evaluate(T, {"rs1": 48, "192.0.2.11": 2, "rs2": 50}, [], 0.2, True)
    assert problems == [] and {r["real_server"]: r["responses"] for r in rows} == {"rs1": 50, "rs2": 50}


def test_silent_server_imbalance_and_failures_fail():
    _rows, problems = probe.evaluate(T, {"rs1": 100}, [], 0.2, True)
    assert problems == ["web: rs1 got 100% of the answers, expected 50% +- 20%", "web: rs2 (weight 1) answered no request"]
    _rows, problems = probe.evaluate(T, {"rs1": 80, "rs2": 20}, [], 0.2, True)
    assert len(problems) == 2 and "expected 50%" in problems[0]
    _rows, problems = probe.evaluate(T, {"rs1": 50, "rs2": 49}, ["timeout"], 0.2, True)
    assert problems == ["web: 1 of 100 request(s) failed"]
    _rows, problems = probe.evaluate(T, {"rs1": 50, "stranger": 50}, [], 0.5, False)
    assert any("not a real server" in p for p in problems)


def test_sticky_service_is_shown_not_judged():
    _rows, problems = probe.evaluate({**T, "check_balance": False}, {"rs1": 100}, [], 0.2, True)
    assert problems == []


def test_probe_on_loopback():
    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"rs1\n")

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        spec_ = {"targets": [{"name": "web", "url": f"http://127.0.0.1:{srv.server_port}/", "count": 20,
                              "expected": {"rs1": 1, "rs2": 1}}]}
        p = subprocess.run([sys.executable, str(PLAYBOOKS / "files" / "lvs_probe.py"), "probe", "--spec", json.dumps(spec_)],
                           capture_output=True, text=True, check=True, timeout=60)
    finally:
        srv.shutdown()
    report = json.loads(p.stdout)
    assert report["targets"][0]["answered"] == 20 and not report["ok"]
    assert "web: rs2 (weight 1) answered no request" in report["targets"][0]["problems"]
    assert "rs1" in report["table"]
