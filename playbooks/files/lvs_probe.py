# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Send HTTP requests to virtual services and report which real server answered each one.

Runs where the client is: on the controller (inside a network namespace with ``ip netns exec``)
or on a client host (copied there by ``ansible.builtin.script``). Python 3 standard library only.
Each request opens a new TCP connection (``Connection: close``), so that IPVS schedules every one.

probe  --spec FILE|JSON   N requests to each target; prints one JSON report (verify.yml)
stream --url URL ...      requests until --stop-file appears or --duration passes; writes a JSON
                          summary with every failure (tests of rolling.yml)

The answering real server is identified by the response body (its first line, stripped) or by a
response header (``--identify header:X-Real-Server``); verify.yml maps identities to real servers
by inventory host name or address.
"""
import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request


def fetch(url, timeout, identify):
    req = urllib.request.Request(url, headers={"Connection": "close", "User-Agent": "lvs.cluster-probe"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read(4096).decode("utf-8", "replace")
            if identify.startswith("header:"):
                ident = resp.headers.get(identify.split(":", 1)[1], "")
            else:
                ident = body.strip().splitlines()[0].strip() if body.strip() else ""
            return ident, None
    except urllib.error.HTTPError as exc:
        return None, "HTTP %d" % exc.code
    except Exception as exc:  # every transport error is a failed request, counted and shown
        return None, "%s: %s" % (type(exc).__name__, exc)


def evaluate(target, counts, failures, max_deviation, require_all):
    """Distribution check of one target: expected shares from the weights of its real servers."""
    expected = target.get("expected") or {}  # identity -> weight
    aliases = target.get("aliases") or {}  # other identity (address, FQDN) -> identity
    merged = {}
    for ident, n in counts.items():
        key = aliases.get(ident, ident)
        merged[key] = merged.get(key, 0) + n
    total = sum(merged.values())
    total_weight = sum(w for w in expected.values() if w > 0)
    rows, problems = [], []
    for ident in sorted(set(expected) | set(merged)):
        weight = expected.get(ident)
        got = merged.get(ident, 0)
        share = got / total if total else 0.0
        want = (weight / total_weight) if (weight and total_weight) else 0.0
        rows.append({"real_server": ident, "weight": weight, "responses": got,
                     "share": round(share, 3), "expected_share": round(want, 3) if weight is not None else None})
        if weight is None:
            problems.append("%s answered %d request(s) but is not a real server of %s" % (ident, got, target["name"]))
        elif target.get("check_balance", True):
            if weight > 0 and got == 0 and require_all:
                problems.append("%s (weight %d) answered no request" % (ident, weight))
            elif weight == 0 and got > 0:
                problems.append("%s has weight 0 but answered %d request(s)" % (ident, got))
            elif total and abs(share - want) > max_deviation:
                problems.append("%s got %.0f%% of the answers, expected %.0f%% +- %.0f%%"
                                % (ident, share * 100, want * 100, max_deviation * 100))
    if failures:
        problems.append("%d of %d request(s) failed" % (len(failures), target["count"]))
    return rows, ["%s: %s" % (target["name"], p) for p in problems]


def cmd_probe(args):
    if os.path.exists(args.spec):
        with open(args.spec, encoding="utf-8") as handle:
            spec = json.load(handle)
    else:
        spec = json.loads(args.spec)
    timeout = float(spec.get("timeout", 3))
    identify = spec.get("identify", "body")
    report = {"targets": [], "ok": True}
    for target in spec["targets"]:
        counts, failures = {}, []
        started = time.monotonic()
        for _request in range(int(target["count"])):
            ident, err = fetch(target["url"], timeout, identify)
            if err:
                failures.append(err)
            else:
                counts[ident] = counts.get(ident, 0) + 1
        rows, problems = evaluate(target, counts, failures, float(spec.get("max_deviation", 0.2)),
                                  bool(spec.get("require_all", True)))
        report["targets"].append({
            "name": target["name"], "url": target["url"], "requests": int(target["count"]),
            "answered": sum(counts.values()), "failed": len(failures),
            "errors": sorted(set(failures))[:5], "check_balance": target.get("check_balance", True),
            "note": target.get("note", ""), "distribution": rows, "problems": problems,
            "seconds": round(time.monotonic() - started, 2),
        })
        report["ok"] = report["ok"] and not problems
    report["table"] = table(report["targets"])
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


def table(targets):
    lines = ["%-16s %-28s %-20s %6s %9s %7s %8s" % ("service", "url", "real server", "weight", "responses", "share", "expected")]
    for t in targets:
        for r in t["distribution"] or [{"real_server": "-", "weight": None, "responses": 0, "share": 0, "expected_share": None}]:
            lines.append("%-16s %-28s %-20s %6s %9d %6.0f%% %8s" % (
                t["name"], t["url"], r["real_server"], "-" if r["weight"] is None else r["weight"], r["responses"],
                r["share"] * 100, "-" if r["expected_share"] is None or not t["check_balance"] else "%.0f%%" % (r["expected_share"] * 100)))
        lines.append("%-16s %d/%d answered, %d failed%s%s" % (
            "", t["answered"], t["requests"], t["failed"], (": " + "; ".join(t["errors"])) if t["errors"] else "",
            ("  [" + t["note"] + "]") if t["note"] else ""))
    return "\n".join(lines)


def cmd_stream(args):
    """Steady stream for rolling tests: every failure is recorded with its time."""
    deadline = time.monotonic() + args.duration if args.duration else None
    total, failures, counts, timeline = 0, [], {}, []
    started = time.time()
    i = 0
    while True:
        if args.stop_file and os.path.exists(args.stop_file):
            break
        if deadline and time.monotonic() >= deadline:
            break
        url = args.url[i % len(args.url)]
        i += 1
        t0 = time.time()
        ident, err = fetch(url, args.timeout, args.identify)
        total += 1
        if err:
            failures.append({"t": round(t0 - started, 3), "url": url, "error": err})
        else:
            key = "%s %s" % (url, ident)
            counts[key] = counts.get(key, 0) + 1
            timeline.append([round(t0 - started, 2), url, ident])
        if args.interval:
            time.sleep(args.interval)
    summary = {"requests": total, "failed": len(failures), "failures": failures, "counts": counts,
               "seconds": round(time.time() - started, 1), "started": started,
               "timeline": timeline if args.timeline else None}
    out = json.dumps(summary, indent=1)
    if args.out:
        tmp = args.out + ".tmp"
        with open(tmp, "w") as fh:
            fh.write(out)
        os.replace(tmp, args.out)
    else:
        print(out)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("probe")
    p.add_argument("--spec", required=True, help="JSON text or a file holding it")
    p = sub.add_parser("stream")
    p.add_argument("--url", action="append", required=True)
    p.add_argument("--interval", type=float, default=0.05)
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--duration", type=float, default=0, help="seconds (0: until --stop-file)")
    p.add_argument("--stop-file")
    p.add_argument("--out")
    p.add_argument("--identify", default="body")
    p.add_argument("--timeline", action="store_true", help="record every answer with its time")
    args = ap.parse_args(argv)
    if args.cmd == "stream" and not (args.duration or args.stop_file):
        ap.error("stream needs --duration or --stop-file")
    return cmd_probe(args) if args.cmd == "probe" else cmd_stream(args)


if __name__ == "__main__":
    sys.exit(main())
