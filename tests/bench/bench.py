#!/usr/bin/env python3
"""make bench: a notice to 100,000 residents through the file provider and through the
webhook provider (one request per message) against nginx answering a fixed 200 on
127.0.0.1. Prints time to resolve and enqueue, time until every message is accepted,
messages per second, gatewayd CPU seconds per 10,000 messages and peak RSS.
Uses build/release/gatewayd; everything runs on loopback and stops by itself."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "build", "release")
N = int(os.environ.get("BENCH_RESIDENTS", "100000"))
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nginx(tmp):
    port = free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1;
error_log {tmp}/nginx-error.log;
pid {tmp}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    location / {{ return 200 '{{"id":"ok"}}'; }}
  }}
}}
""")
    subprocess.run(["nginx", "-c", conf, "-p", tmp], check=True)
    return port


def stop_nginx(tmp):
    try:
        with open(os.path.join(tmp, "nginx.pid")) as f:
            os.kill(int(f.read().strip()), signal.SIGQUIT)
    except (OSError, ValueError):
        pass


def write_data(tmp):
    areas = os.path.join(tmp, "areas.csv")
    with open(areas, "w") as f:
        f.write("code,name,parent,level\nD1,上城区,,district\nS1,湖滨街道,D1,street\n")
        for c in range(10):
            f.write(f"C{c},小区{c},S1,community\n")
            for b in range(10):
                f.write(f"B{c}{b},{b + 1}号楼,C{c},building\n")
    res = os.path.join(tmp, "residents.csv")
    with open(res, "w") as f:
        f.write("户号,户名,手机号,openid,区域编码\n")
        for i in range(N):
            f.write(f"{9000000000 + i},张三,13{i % 10}{i:08d},,B{(i // 10) % 10}{i % 10}\n")
    return areas, res


def write_config(tmp, port, label, provider):
    conf = os.path.join(tmp, f"gw-{label}.ini")
    with open(conf, "w") as f:
        f.write(f"""[server]
listen = 127.0.0.1:{port}
[store]
path = {tmp}/gw-{label}.db
[log]
level = warn
[sms]
signature = 【幸福水务】
provider = bench
[templates]
dir = {ROOT}/templates
[delivery]
quiet_hours = off
claim_batch = 2000
""")
        if provider == "file":
            f.write(f"[provider.bench]\ntype = file\nchannel = sms\npath = {tmp}/sent.jsonl\n")
        else:
            f.write(f"[provider.bench]\ntype = webhook\nchannel = sms\nurl = {provider}\n"
                    "secret = bench-secret\nconcurrency = 64\ntimeout_ms = 10000\n")
    return conf


def call(port, key, method, path, body=None, ctype="application/json"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method)
    req.add_header("Authorization", "Bearer " + key)
    req.add_header("Content-Type", ctype)
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read() or b"{}")


def wait_up(port):
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("gatewayd did not come up")


def make_key(conf):
    return subprocess.run([os.path.join(BIN, "gatewayctl"), "key", "create", "--role",
                           "dispatcher", "--config", conf], capture_output=True, text=True,
                          check=True).stdout.strip()


def emergency(channels):
    now = time.time()
    return json.dumps({"kind": "emergency", "utility": "water", "areas": ["D1"],
                       "start": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 60)),
                       "end": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now + 7200)),
                       "reason": "主管道爆裂抢修", "hotline": "0571-87654321",
                       "channels": channels}).encode()


def wait_done(port, key, notice_id):
    # A progress query counts the notice's 100,000 rows; asking five times a second (a
    # dispatcher's watch asks twice) keeps that cost from being billed to delivery.
    while True:
        st = call(port, key, "GET", f"/api/v1/notices/{notice_id}")
        if st["done"]:
            return st
        time.sleep(0.2)


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_hwm_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def run(tmp, label, provider, areas, residents):
    port = free_port()
    conf = write_config(tmp, port, label, provider)
    env = dict(os.environ, GATEWAYD_CLOCK_START="")
    d = subprocess.Popen([os.path.join(BIN, "gatewayd"), "--config", conf], env=env)
    try:
        wait_up(port)
        key = make_key(conf)
        with open(areas, "rb") as f:
            call(port, key, "POST", "/api/v1/areas/import", f.read(), "text/csv")
        t = time.time()
        with open(residents, "rb") as f:
            rep = call(port, key, "POST", "/api/v1/residents/import", f.read(), "text/csv")
        import_s = time.time() - t
        assert rep["created"] == N, rep
        body = emergency(["sms"])
        cpu0 = proc_cpu(d.pid)
        t0 = time.time()
        notice = call(port, key, "POST", "/api/v1/notices", body)
        enqueue_s = time.time() - t0
        st = wait_done(port, key, notice["id"])
        total_s = time.time() - t0
        cpu = proc_cpu(d.pid) - cpu0
        sent = st["progress"]["sent"]
        rss = proc_hwm_mb(d.pid)
    finally:
        d.send_signal(signal.SIGTERM)
        d.wait(timeout=30)
    return {"provider": label, "residents": N, "import_s": import_s, "enqueue_s": enqueue_s,
            "all_accepted_s": total_s, "sent": sent, "failed": st["progress"]["failed"],
            "msgs_per_s": sent / total_s, "cpu_s_per_10k": cpu / sent * 10000,
            "peak_rss_mb": rss}


def main():
    if not os.path.exists(os.path.join(BIN, "gatewayd")):
        sys.exit("build/release/gatewayd is missing: run make bench")
    tmp = tempfile.mkdtemp(prefix="gw-bench-")
    results = []
    try:
        areas, residents = write_data(tmp)
        results.append(run(tmp, "file", "file", areas, residents))
        nport = start_nginx(tmp)
        try:
            results.append(run(tmp, "webhook", f"http://127.0.0.1:{nport}/send", areas,
                               residents))
        finally:
            stop_nginx(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nnotice to {N} residents (durable outbox, SQLite WAL), gatewayd release build:")
    print(f"{'provider':10} {'import s':>9} {'enqueue s':>10} {'all sent s':>11} {'msgs/s':>9} "
          f"{'CPU s/10k':>10} {'peak RSS MB':>12}")
    for r in results:
        print(f"{r['provider']:10} {r['import_s']:9.2f} {r['enqueue_s']:10.3f} "
              f"{r['all_accepted_s']:11.2f} {r['msgs_per_s']:9.0f} {r['cpu_s_per_10k']:10.2f} "
              f"{r['peak_rss_mb']:12.1f}")
        if r["failed"]:
            print(f"  ({r['failed']} failed)")
    print("targets: enqueue < 1 s; webhook >= 10000 msgs/s at < 1 CPU s per 10k; RSS < 64 MB")


if __name__ == "__main__":
    main()
