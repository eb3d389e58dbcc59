#!/usr/bin/env python3
"""make bench, channels part: a notice to 100,000 residents over the Alibaba-style API (nginx
answering a fixed SendSms success), the same over Tencent (a Python fake that answers each
number of a SendSms request, since results are matched by number), and 20,000 WeChat
template messages (nginx answering stable_token and template/send). Prints API calls made,
time until all accepted and recipients (messages) per second. Loopback only."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (shares the daemon and data helpers)

N_SMS = int(os.environ.get("BENCH_RESIDENTS", "100000"))
N_WECHAT = int(os.environ.get("BENCH_WECHAT", "20000"))
KINDS = ("planned", "emergency", "update", "restored", "cancelled")
CASE_KINDS = ("case_accepted", "case_dispatched", "case_resolved", "case_explained",
              "appt_confirmed", "appt_reminder", "appt_moved", "appt_cancelled",
              "appt_missed", "survey")


def nginx_conf(tmp, port):
    log = os.path.join(tmp, "access.log")
    with open(os.path.join(tmp, "nginx.conf"), "w") as f:
        f.write(f"""worker_processes 1;
error_log {tmp}/nginx-error.log;
pid {tmp}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
  log_format calls '$uri';
  access_log {log} calls buffer=64k;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  keepalive_requests 1000000;
  client_max_body_size 8m;
  server {{
    listen 127.0.0.1:{port};
    default_type application/json;
    location = / {{ return 200 '{{"Code":"OK","Message":"OK","BizId":"900619746936498440^0","RequestId":"F655A8D5"}}'; }}
    location = /cgi-bin/stable_token {{ return 200 '{{"access_token":"BENCHTOKEN","expires_in":7200}}'; }}
    location = /cgi-bin/message/template/send {{ return 200 '{{"errcode":0,"errmsg":"ok","msgid":200228332}}'; }}
  }}
}}
""")
    return log


class TencentFake(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    calls = 0
    lock = threading.Lock()

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with TencentFake.lock:
            TencentFake.calls += 1
        status = [{"SerialNo": "5000:%d" % i, "PhoneNumber": p, "Fee": 1, "Code": "Ok",
                   "Message": "send success", "IsoCode": "CN"}
                  for i, p in enumerate(body["PhoneNumberSet"])]
        out = json.dumps({"Response": {"SendStatusSet": status, "RequestId": "r"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


def provider_section(kind, url):
    base = {"aliyun": "type = aliyun\nkey_id = benchId\nsecret = benchSecret\nsign_name = 幸福水务\n",
            "tencent": "type = tencent\nkey_id = AKIDbench\nsecret = benchSecret\n"
                       "app_id = 1400006666\nsign_name = 幸福水务\n",
            "wechat": "type = wechat\nkey_id = wxbench\nsecret = benchSecret\n"}[kind]
    lines = [base, f"endpoint = {url}\n", "concurrency = 64\ntimeout_ms = 10000\n",
             "channel = %s\n" % ("wechat" if kind == "wechat" else "sms")]
    for k in CASE_KINDS:
        params = "character_string1=number,thing2=kind" if kind == "wechat" else "number,link"
        lines.append(f"template.{k} = T_{k}\nparams.{k} = {params}\n")
    for k in KINDS:
        if kind == "wechat":
            lines.append(f"template.{k} = TPL_{k}\nparams.{k} = thing1=area,time2=start,"
                         "thing3=reason,phone_number4=hotline\n")
        else:
            lines.append(f"template.{k} = SMS_{k}\nparams.{k} = area,start,end,reason,hotline\n")
    return "".join(lines)


def config(tmp, port, label, kind, url):
    conf = os.path.join(tmp, f"gw-{label}.ini")
    channel = "wechat" if kind == "wechat" else "sms"
    with open(conf, "w") as f:
        f.write(f"[server]\nlisten = 127.0.0.1:{port}\n[store]\npath = {tmp}/gw-{label}.db\n"
                f"[log]\nlevel = warn\n[templates]\ndir = {bench.ROOT}/templates\n"
                "[delivery]\nquiet_hours = off\nclaim_batch = 5000\n")
        if channel == "sms":
            f.write("[sms]\nsignature = 【幸福水务】\nprovider = p\n")
        else:
            f.write("[wechat]\nprovider = p\n")
        f.write("[provider.p]\n" + provider_section(kind, url))
    return conf


def residents_csv(tmp, n, with_openid):
    path = os.path.join(tmp, f"residents-{n}-{with_openid}.csv")
    with open(path, "w") as f:
        f.write("户号,户名,手机号,openid,区域编码\n")
        for i in range(n):
            oid = "oBench%012d" % i if with_openid else ""
            f.write(f"{9000000000 + i},张三,13{i % 10}{i:08d},{oid},B{(i // 10) % 10}{i % 10}\n")
    return path


def run(tmp, label, kind, url, residents, count_calls):
    port = bench.free_port()
    conf = config(tmp, port, label, kind, url)
    d = subprocess.Popen([os.path.join(bench.BIN, "gatewayd"), "--config", conf])
    try:
        bench.wait_up(port)
        key = bench.make_key(conf)
        areas = os.path.join(tmp, "areas.csv")
        with open(areas, "rb") as f:
            bench.call(port, key, "POST", "/api/v1/areas/import", f.read(), "text/csv")
        with open(residents, "rb") as f:
            bench.call(port, key, "POST", "/api/v1/residents/import", f.read(), "text/csv")
        channel = "wechat" if kind == "wechat" else "sms"
        calls0 = count_calls()
        t0 = time.time()
        notice = bench.call(port, key, "POST", "/api/v1/notices", bench.emergency([channel]))
        st = bench.wait_done(port, key, notice["id"])
        total = time.time() - t0
    finally:
        d.send_signal(signal.SIGTERM)
        d.wait(timeout=30)
    sent = st["progress"]["sent"]
    return {"label": label, "messages": sent, "failed": st["progress"]["failed"],
            "calls": count_calls() - calls0, "seconds": total, "per_s": sent / total}


def main():
    tmp = tempfile.mkdtemp(prefix="gw-bench-ch-")
    results = []
    try:
        bench.write_data(tmp)
        nport = bench.free_port()
        log = nginx_conf(tmp, nport)
        subprocess.run(["nginx", "-c", os.path.join(tmp, "nginx.conf"), "-p", tmp], check=True)

        def nginx_calls(path="/"):
            subprocess.run(["nginx", "-c", os.path.join(tmp, "nginx.conf"), "-p", tmp, "-s",
                            "reopen"], check=False)
            time.sleep(0.2)
            try:
                with open(log) as f:
                    return sum(1 for line in f if line.strip() == path)
            except OSError:
                return 0
        try:
            sms = residents_csv(tmp, N_SMS, False)
            results.append(run(tmp, "alibaba", "aliyun", f"http://127.0.0.1:{nport}", sms,
                               nginx_calls))
            srv = ThreadingHTTPServer(("127.0.0.1", 0), TencentFake)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            try:
                results.append(run(tmp, "tencent", "tencent",
                                   f"http://127.0.0.1:{srv.server_address[1]}", sms,
                                   lambda: TencentFake.calls))
            finally:
                srv.shutdown()
                srv.server_close()
            wx = residents_csv(tmp, N_WECHAT, True)
            results.append(run(tmp, "wechat", "wechat", f"http://127.0.0.1:{nport}", wx,
                               lambda: nginx_calls("/cgi-bin/message/template/send")))
        finally:
            bench.stop_nginx(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("\nchannels (release build, durable outbox, fakes on loopback):")
    print(f"{'API':10} {'messages':>9} {'API calls':>10} {'all accepted s':>15} {'per s':>9}")
    for r in results:
        print(f"{r['label']:10} {r['messages']:9} {r['calls']:10} {r['seconds']:15.2f} "
              f"{r['per_s']:9.0f}" + (f"  ({r['failed']} failed)" if r['failed'] else ""))
    print("target: all 100,000 SMS recipients accepted in under 5 s")


if __name__ == "__main__":
    main()
