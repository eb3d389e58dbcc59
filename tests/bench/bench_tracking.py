#!/usr/bin/env python3
"""make bench, tracking part: the public tracking page GET /t/{token} (HTML) and its JSON
GET /api/v1/track/{token} with 100,000 cases in the store, under wrk (2 threads, 32
connections by default, BENCH_WRK_CONNECTIONS to change; 10 s, a random one of 10,000
tokens per request). wrk runs closed-loop, so more connections only lengthen the queue: at
64 the p99 roughly doubles for the same throughput. About 20 cases are made
through the API, then copied with sqlite3 while the daemon is stopped (each copy with its
own number and token, its events and clocks). Prints requests per second and p99 latency
against the targets; a missed target is printed, not raised, but any error answer from the
server makes the script exit 1. Loopback only; wrk stops by itself."""
import hashlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (shares the daemon helpers)

N_CASES = int(os.environ.get("BENCH_CASES", "100000"))
N_API = 20
N_TOKENS = 10000
SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "10"))
THREADS = 2
CONNECTIONS = int(os.environ.get("BENCH_WRK_CONNECTIONS", "32"))
TARGET_RPS = 10000
TARGET_P99_MS = 10.0

# Every request asks for a random token of the file; setup() numbers the threads so that
# each seeds its own sequence.
LUA = """
local count = 0
function setup(thread)
  count = count + 1
  thread:set("id", count)
end
function init(args)
  prefix = args[2]
  tokens = {}
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  math.randomseed(os.time() * 1000 + id)
end
function request()
  return wrk.format("GET", prefix .. tokens[math.random(#tokens)])
end
"""


def write_config(tmp, port):
    conf = os.path.join(tmp, "gw-tracking.ini")
    with open(conf, "w") as f:
        f.write(f"""[server]
listen = 127.0.0.1:{port}
[store]
path = {tmp}/gw-tracking.db
[log]
level = warn
[templates]
dir = {bench.ROOT}/templates
[cases]
rules = {bench.ROOT}/config/cases.ini
calendar = {bench.ROOT}/config/calendar.ini
public_url = http://127.0.0.1:{port}
[tracking]
rate_per_minute = 0
[sms]
signature = 【幸福水务】
provider = sms
[wechat]
provider = wechat
[delivery]
quiet_hours = off
[provider.sms]
type = file
channel = sms
path = {tmp}/sms.jsonl
[provider.wechat]
type = file
channel = wechat
path = {tmp}/wechat.jsonl
""")
    return conf


def start(conf, port, log):
    env = dict(os.environ, GATEWAYD_CLOCK_START="")
    d = subprocess.Popen([os.path.join(bench.BIN, "gatewayd"), "--config", conf], env=env,
                         stderr=log, stdin=subprocess.DEVNULL)
    try:
        bench.wait_up(port)
    except RuntimeError:
        d.kill()
        d.wait()
        raise
    return d


def stop(d):
    d.send_signal(signal.SIGTERM)
    if d.wait(timeout=30) != 0:
        raise RuntimeError(f"gatewayd exited {d.returncode} after SIGTERM")


def make_key(conf, role):
    out = subprocess.run([os.path.join(bench.BIN, "gatewayctl"), "key", "create", "--role",
                          role, "--name", "bench", "--config", conf], capture_output=True,
                         text=True, check=True).stdout
    m = re.search(r"gwk_[0-9a-f]{64}", out)
    return m.group(0) if m else out.strip().splitlines()[-1]


def seed_api(port, conf):
    """Areas and N_API cases through the real API (accepted and dispatched)."""
    key = make_key(conf, "dispatcher")
    areas = [{"code": "D1", "name": "上城区", "parent": None, "level": "district"}]
    areas += [{"code": f"S{i}", "name": f"街道{i}", "parent": "D1", "level": "street"}
              for i in range(4)]
    bench.call(port, key, "POST", "/api/v1/areas", json.dumps({"areas": areas}).encode())
    agent = make_key(conf, "agent")
    categories = ("leak", "leak", "no_water", "pressure", "quality")
    for i in range(N_API):
        body = {"source": "phone", "kind": "repair", "category": categories[i % 5],
                "complainant": {"name": "张三", "mobile": f"138{i:08d}"},
                "content": "漏水", "area": f"S{i % 4}", "accept": True, "dispatch": True}
        bench.call(port, agent, "POST", "/api/v1/cases", json.dumps(body).encode())


def copy_cases(db_path):
    """Copies the API-made cases into N_CASES rows in one transaction; returns every token."""
    db = sqlite3.connect(db_path)
    try:
        cur = db.execute("SELECT * FROM cases ORDER BY id")
        cols = [c[0] for c in cur.description]
        cases = cur.fetchall()
        tokens = [r[cols.index("token")] for r in cases]
        events = {r[0]: db.execute("SELECT * FROM case_events WHERE case_id = ?",
                                   (r[0],)).fetchall() for r in cases}
        clocks = {r[0]: db.execute("SELECT * FROM case_clocks WHERE case_id = ?",
                                   (r[0],)).fetchall() for r in cases}
        ecols = [c[1] for c in db.execute("PRAGMA table_info(case_events)")]
        kcols = [c[1] for c in db.execute("PRAGMA table_info(case_clocks)")]
        head = cases[0][cols.index("number")].rsplit("-", 1)[0]
        prefix, month = head[:-6], head[-6:]
        next_id = max(r[0] for r in cases) + 1
        serial = len(cases) + 1
        rows, erows, krows = [], [], []
        for i in range(N_CASES - len(cases)):
            src = cases[i % len(cases)]
            token = secrets.token_urlsafe(18)
            row = list(src)
            row[0] = next_id + i
            row[cols.index("number")] = f"{prefix}{month}-{serial + i:05d}"
            row[cols.index("token")] = token
            row[cols.index("token_hash")] = hashlib.sha256(token.encode()).hexdigest()
            rows.append(row)
            tokens.append(token)
            for ev in events[src[0]]:
                erows.append([None, next_id + i] + list(ev[2:]))
            for k in clocks[src[0]]:
                krows.append([next_id + i] + list(k[1:]))
        with db:
            db.executemany(f"INSERT INTO cases VALUES({','.join('?' * len(cols))})", rows)
            db.executemany(f"INSERT INTO case_events VALUES({','.join('?' * len(ecols))})",
                           erows)
            db.executemany(f"INSERT INTO case_clocks VALUES({','.join('?' * len(kcols))})",
                           krows)
            # Numbers made through the API after this go on after the copies.
            db.execute("UPDATE case_serials SET last = ? WHERE month = ?",
                       (serial + len(rows) - 1, month))
        count = db.execute("SELECT count(*) FROM cases").fetchone()[0]
    finally:
        db.close()
    return count, tokens


def parse_ms(text):
    m = re.match(r"([0-9.]+)(us|ms|s|m)$", text)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]
    return float(m.group(1)) * scale


def run_wrk(tmp, port, prefix, tokens_file, seconds):
    script = os.path.join(tmp, "track.lua")
    with open(script, "w") as f:
        f.write(LUA)
    out = subprocess.run(["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d",
                          f"{seconds}s", "--latency", "-s", script, f"http://127.0.0.1:{port}",
                          "--", tokens_file, prefix], capture_output=True, text=True,
                         check=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    p99 = parse_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    total = re.search(r"(\d+) requests in ([0-9.]+\w+), ([0-9.]+)(\w+) read", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                     out)
    nbytes = float(total.group(3)) * {"B": 1, "KB": 1024, "MB": 1 << 20,
                                      "GB": 1 << 30}.get(total.group(4), 1)
    return {"rps": rps, "p99": p99, "requests": int(total.group(1)),
            "bytes": nbytes / max(int(total.group(1)), 1),
            "non2xx": int(bad.group(1)) if bad else 0,
            "sock_errors": sum(int(x) for x in sock.groups()) if sock else 0, "raw": out}


def check_sample(port, tok):
    """One page and one JSON answer for a copied case, so wrk measures real answers."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/track/{tok}") as r:
        view = json.loads(r.read())
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/t/{tok}") as r:
        page = r.read().decode()
    if view["number"] not in page:
        raise RuntimeError("the tracking page of a copied case does not show its number")
    return view


def measure(tmp, port, d, tokens_file, label, prefix):
    cpu0 = bench.proc_cpu(d.pid)
    r = run_wrk(tmp, port, prefix, tokens_file, SECONDS)
    cpu = bench.proc_cpu(d.pid) - cpu0
    # CPU per request says more than req/s when something else shares the two cores.
    r["cpu_share"] = cpu / SECONDS
    r["cpu_us"] = cpu * 1e6 / max(r["requests"], 1)
    r["label"] = label
    return r


def report(count, results):
    print(f"\ntracking page with {count} cases in the store (release build, wrk "
          f"{THREADS} threads / {CONNECTIONS} connections / {SECONDS} s, a random token "
          f"of {min(N_TOKENS, count)} per request):")
    print(f"{'endpoint':26} {'req/s':>9} {'p99 ms':>8} {'bytes':>7} {'cores used':>11} "
          f"{'CPU us/req':>11} {'errors':>7}  verdict")
    for r in results:
        ok = r["rps"] >= TARGET_RPS and r["p99"] < TARGET_P99_MS
        print(f"{r['label']:26} {r['rps']:9.0f} {r['p99']:8.2f} {r['bytes']:7.0f} "
              f"{r['cpu_share']:11.2f} {r['cpu_us']:11.0f} "
              f"{r['non2xx'] + r['sock_errors']:7}  {'PASS' if ok else 'MISS'}")
    print(f"targets: >= {TARGET_RPS} req/s and p99 < {TARGET_P99_MS:.0f} ms per endpoint "
          f"(wrk shares the machine's {os.cpu_count()} cores; load average at the end "
          f"{os.getloadavg()[0]:.1f})")


def prepare(tmp, port, conf, log):
    """The store with N_CASES cases; returns (cases, copy seconds, tokens file, the token
    of one copied case)."""
    d = start(conf, port, log)
    try:
        seed_api(port, conf)
    finally:
        stop(d)
    t0 = time.time()
    count, tokens = copy_cases(os.path.join(tmp, "gw-tracking.db"))
    copy_s = time.time() - t0
    tokens_file = os.path.join(tmp, "tokens.txt")
    with open(tokens_file, "w") as f:
        f.write("\n".join(random.sample(tokens, min(N_TOKENS, len(tokens)))) + "\n")
    return count, copy_s, tokens_file, tokens[-1]


def load(tmp, port, conf, log, tokens_file, sample):
    d = start(conf, port, log)
    try:
        check_sample(port, sample)
        run_wrk(tmp, port, "/api/v1/track/", tokens_file, 2)  # warm-up, not reported
        return [measure(tmp, port, d, tokens_file, "GET /t/{token}", "/t/"),
                measure(tmp, port, d, tokens_file, "GET /api/v1/track/{token}",
                        "/api/v1/track/")]
    finally:
        stop(d)


def main():
    if not os.path.exists(os.path.join(bench.BIN, "gatewayd")):
        sys.exit("build/release/gatewayd is missing: run make bench")
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")
    tmp = tempfile.mkdtemp(prefix="gw-bench-track-")
    port = bench.free_port()
    conf = write_config(tmp, port)
    keep = True
    try:
        with open(os.path.join(tmp, "gatewayd.stderr"), "wb") as log:
            count, copy_s, tokens_file, sample = prepare(tmp, port, conf, log)
            results = load(tmp, port, conf, log, tokens_file, sample)
        bad = [r for r in results if r["non2xx"] or r["sock_errors"]]
        keep = bool(bad)
    finally:
        if keep:
            print(f"(gatewayd log and wrk files kept in {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"(copied {count - N_API} cases in {copy_s:.1f} s)")
    report(count, results)
    for r in bad:
        print(f"{r['label']}: {r['non2xx']} non-2xx answers, {r['sock_errors']} socket "
              "errors\n" + r["raw"])
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
