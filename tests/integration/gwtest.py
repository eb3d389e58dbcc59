"""gwtest: the harness of the integration tests (Python 3 standard library only).

Owns: a tiny test runner (functions registered with @test, each given a fresh Env with its
own temporary directory; "FAIL name: reason" per failure and the closing line
"N passed, N failed"), starting and stopping the real gatewayd (build/test/gatewayd, built
with ASan/UBSan) on a free 127.0.0.1 port with a generated config, an HTTP client for its
API, CSV builders, and FakeProvider: an HTTP server on 127.0.0.1 that records every request
the gateway's webhook providers make and answers as each test scripts it.
Never listens on anything but 127.0.0.1; every daemon and server a test starts is stopped in
the Env's cleanup, and a daemon that does not exit 0 or prints a sanitizer report fails the
test that started it.
"""

import collections
import csv
import datetime
import hashlib
import hmac
import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("GW_BUILD", os.path.join(REPO, "build", "test"))
GATEWAYD = os.path.join(BUILD, "gatewayd")
GATEWAYCTL = os.path.join(BUILD, "gatewayctl")
TEMPLATES = os.path.join(REPO, "templates")
SIGNATURE = "【幸福水务】"
SECRET = "testsecret"

CST = datetime.timezone(datetime.timedelta(hours=8))
# The daemon's clock is always set (GATEWAYD_CLOCK_START) so that no test depends on the real
# time of day (quiet hours). Monday 2026-11-23 10:00 Beijing time unless a test says otherwise.
BASE_DAY = datetime.date(2026, 11, 23)

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "SUMMARY: UndefinedBehaviorSanitizer")
# A full mainland mobile number in the daemon's log is personal data that must have been
# masked; tests use numbers 13x/15x/18x + 8 digits.
FULL_MOBILE_RE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
# Likewise the openids and names the builders below give residents.
OPENID_RE = re.compile(r"oGwTest[0-9]{6,}")
NAME_RE = re.compile(r"住户[0-9]+")


# --------------------------------------------------------------------------------------
# Runner
# --------------------------------------------------------------------------------------

_TESTS = []


def test(fn):
    """Registers fn(env) as a test of the calling file."""
    _TESTS.append(fn)
    return fn


class TestFailure(AssertionError):
    pass


def fail(msg):
    raise TestFailure(msg)


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def eq(actual, expected, what):
    if actual != expected:
        raise TestFailure("%s: got %r, expected %r" % (what, actual, expected))


def wait_until(pred, timeout, what, interval=0.05):
    """Polls pred() until it returns something truthy; returns that value. Fails with what
    (and pred's last value) after timeout seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise TestFailure("timed out after %.1f s waiting for %s (last: %r)" %
                              (timeout, what, last))
        time.sleep(interval)


def run(argv=None):
    """Runs the registered tests whose name contains argv[1] (if given); prints the closing
    line and exits 1 when anything failed."""
    argv = sys.argv if argv is None else argv
    filt = argv[1] if len(argv) > 1 else ""
    passed = failed = 0
    for fn in _TESTS:
        name = fn.__name__
        if filt and filt not in name:
            continue
        t0 = time.monotonic()
        env = Env(name)
        reason = None
        try:
            fn(env)
        except TestFailure as e:
            reason = str(e)
        except Exception as e:  # a test bug or an unexpected answer: report, go on
            tb = traceback.extract_tb(e.__traceback__)
            where = ["%s:%d" % (os.path.basename(f.filename), f.lineno) for f in tb[-3:]]
            reason = "%s: %s (at %s)" % (type(e).__name__, e, " <- ".join(reversed(where)))
        cleanup_problems = env.cleanup()
        if cleanup_problems and reason is None:
            reason = "; ".join(cleanup_problems)
        elif cleanup_problems:
            reason += " [also: " + "; ".join(cleanup_problems) + "]"
        dt = time.monotonic() - t0
        if reason is None:
            passed += 1
            print("ok   %s (%.1f s)" % (name, dt), flush=True)
            env.remove_tmp()
        else:
            failed += 1
            print("FAIL %s: %s" % (name, reason), flush=True)
            env.print_logs()
            print("     (files kept in %s)" % env.tmp, flush=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(1 if failed else 0)


class Env:
    """What one test owns: a temporary directory, fake providers and daemons, all stopped in
    cleanup()."""

    def __init__(self, name):
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix="gwtest-%s-" % name)
        self.daemons = []
        self.fakes = []

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def fake(self, **kw):
        f = FakeProvider(**kw)
        self.fakes.append(f)
        f.start()
        return f

    def daemon(self, start=True, **kw):
        """A Daemon with a config written into this test's directory (see Daemon)."""
        d = Daemon(self, **kw)
        self.daemons.append(d)
        if start:
            d.start()
        return d

    def cleanup(self):
        problems = []
        for d in self.daemons:
            try:
                problems.extend(d.stop())
            except Exception as e:
                problems.append("stopping gatewayd: %s" % e)
        for f in self.fakes:
            try:
                f.stop()
            except Exception as e:
                problems.append("stopping fake provider: %s" % e)
        return problems

    def print_logs(self):
        for i, d in enumerate(self.daemons):
            for label, p in (("stderr", d.stderr_path),):
                try:
                    with open(p, "rb") as fh:
                        lines = fh.read().decode("utf-8", "replace").splitlines()
                except OSError:
                    continue
                if lines:
                    print("     --- gatewayd #%d %s (last 25 lines) ---" % (i, label))
                    for ln in lines[-25:]:
                        print("     | " + ln)

    def remove_tmp(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


# --------------------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------------------

def local_ts(day_offset=0, hour=10, minute=0, second=0, day=None):
    """Unix seconds of hour:minute local (UTC+8) on BASE_DAY (or day) + day_offset."""
    d = (day or BASE_DAY) + datetime.timedelta(days=day_offset)
    dt = datetime.datetime(d.year, d.month, d.day, hour, minute, second, tzinfo=CST)
    return int(dt.timestamp())


def iso(ts):
    """Unix seconds -> "2026-11-23T09:00:00+08:00"."""
    return datetime.datetime.fromtimestamp(int(ts), CST).isoformat()


def parse_iso(s):
    return datetime.datetime.fromisoformat(s).timestamp()


# --------------------------------------------------------------------------------------
# Config and processes
# --------------------------------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_ini(path, sections):
    """sections: {"server": {"listen": "..."}, "provider.sms": {...}}, in order. A value of
    None leaves the key out."""
    out = []
    for sec, keys in sections.items():
        out.append("[%s]" % sec)
        for k, v in keys.items():
            if v is None:
                continue
            out.append("%s = %s" % (k, v))
        out.append("")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(out))
    return path


def webhook_provider(channel, url, secret=SECRET, timeout_ms=2000, concurrency=8, **extra):
    p = {"type": "webhook", "channel": channel, "url": url, "secret": secret,
         "timeout_ms": timeout_ms, "concurrency": concurrency}
    p.update(extra)
    return p


def file_provider(channel, path):
    return {"type": "file", "channel": channel, "path": path}


def base_sections(tmp, port, providers, sms="sms", wechat="wechat", delivery=None):
    """A complete daemon config. providers: {"sms": {...}, "wechat": {...}} (without the
    "provider." prefix)."""
    secs = collections.OrderedDict()
    secs["server"] = {"listen": "127.0.0.1:%d" % port}
    secs["store"] = {"path": os.path.join(tmp, "gw.db")}
    secs["log"] = {"level": os.environ.get("GWTEST_LOG_LEVEL", "debug")}
    secs["templates"] = {"dir": TEMPLATES}
    secs["cases"] = {"rules": os.path.join(REPO, "config", "cases.ini"),
                     "calendar": os.path.join(REPO, "config", "calendar.ini"),
                     "public_url": "http://127.0.0.1:%d" % port}
    secs["sms"] = {"signature": SIGNATURE, "provider": sms}
    secs["wechat"] = {"provider": wechat}
    # Most tests count a message on every channel a resident has; the default routing
    # (WeChat for followers, else SMS) has its own test with this section removed.
    secs["routing"] = {"notices": "both", "emergency": "both"}
    d = {"retry_base_ms": 100, "retry_max_ms": 1000, "max_attempts": 8}
    d.update(delivery or {})
    secs["delivery"] = d
    for name, p in providers.items():
        secs["provider." + name] = dict(p)
    return secs


def merge_sections(secs, overrides):
    """overrides: {section: {key: value or None}}; None deletes the key; a section set to
    None is removed."""
    for sec, keys in (overrides or {}).items():
        if keys is None:
            secs.pop(sec, None)
            continue
        cur = secs.setdefault(sec, {})
        for k, v in keys.items():
            if v is None:
                cur.pop(k, None)
            else:
                cur[k] = v
    return secs


def check_binaries():
    for b in (GATEWAYD, GATEWAYCTL):
        if not os.access(b, os.X_OK):
            print("FAIL setup: %s is missing; build it with `make build-test`" % b)
            print("0 passed, 1 failed")
            sys.exit(1)


class Daemon:
    """One gatewayd. Keyword arguments:
      fake: a FakeProvider; sms and wechat go to it as webhook providers (paths /sms and
            /wechat) unless providers is given; without fake, file providers in the tmp dir.
      providers: {name: provider section} replacing the default ones.
      provider_opts: extra keys merged into every default webhook provider (timeout_ms...).
      delivery: keys of [delivery]; overrides: {section: {key: value}} applied last.
      clock: Unix seconds for GATEWAYD_CLOCK_START (default 10:00 local on BASE_DAY).
      env: extra environment variables."""

    def __init__(self, env, fake=None, providers=None, provider_opts=None, delivery=None,
                 overrides=None, clock=None, extra_env=None, port=None, config_path=None):
        self.env = env
        self.port = port or free_port()
        self.tmp = env.tmp
        self.clock = local_ts(0, 10, 0) if clock is None else clock
        self.extra_env = dict(extra_env or {})
        if providers is None:
            if fake is not None:
                opts = provider_opts or {}
                providers = {"sms": webhook_provider("sms", fake.url + "/sms", **opts),
                             "wechat": webhook_provider("wechat", fake.url + "/wechat", **opts)}
            else:
                providers = {"sms": file_provider("sms", env.path("sms.out")),
                             "wechat": file_provider("wechat", env.path("wechat.out"))}
        self.sections = merge_sections(
            base_sections(self.tmp, self.port, providers, delivery=delivery), overrides)
        self.config = config_path or env.path("gateway.ini")
        if config_path is None:
            write_ini(self.config, self.sections)
        self.proc = None
        self.starts = 0
        self.t_spawn = None
        self.clock_at_spawn = None
        self.stderr_path = env.path("gatewayd.stderr")
        self.stdout_path = env.path("gatewayd.stdout")
        self._keys = {}
        self.stderr_checked = 0

    # ---- process ----
    def start(self, clock=None, wait=True):
        """Starts gatewayd; clock (Unix seconds) defaults to where the previous run's clock
        would be now, so that a restart continues the same timeline."""
        assert self.proc is None or self.proc.poll() is not None
        if clock is None:
            clock = self.now() if self.t_spawn is not None else self.clock
        environ = dict(os.environ)
        environ.update({"GATEWAYD_CLOCK_START": str(int(clock)),
                        "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS",
                                                       "detect_leaks=1:abort_on_error=0"),
                        "UBSAN_OPTIONS": os.environ.get("UBSAN_OPTIONS",
                                                        "print_stacktrace=1:halt_on_error=1")})
        environ.update(self.extra_env)
        # Each run appends to the same log files, marked, so a failure shows every run.
        err = open(self.stderr_path, "ab")
        out = open(self.stdout_path, "ab")
        err.write(("=== start #%d clock=%s ===\n" % (self.starts, iso(clock))).encode())
        err.flush()
        self.err_offset = err.tell()
        try:
            self.proc = subprocess.Popen([GATEWAYD, "--config", self.config], cwd=REPO,
                                         env=environ, stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL)
        finally:
            err.close()
            out.close()
        self.t_spawn = time.monotonic()
        self.clock_at_spawn = int(clock)
        self.starts += 1
        if wait:
            self.wait_healthy()
        return self

    def now(self):
        """The daemon's clock now (Unix seconds, float)."""
        return self.clock_at_spawn + (time.monotonic() - self.t_spawn)

    def wait_healthy(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                fail("gatewayd exited with %s during start-up: %s" %
                     (self.proc.returncode, self.stderr_tail()))
            try:
                st, _ = self.request("GET", "/healthz", key=None, timeout=2)
                if st == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        fail("gatewayd did not answer /healthz within %d s: %s" % (timeout, self.stderr_tail()))

    def stderr_text(self, this_run_only=False):
        try:
            with open(self.stderr_path, "rb") as fh:
                if this_run_only:
                    fh.seek(self.err_offset)
                return fh.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stderr_tail(self, n=12):
        lines = self.stderr_text(True).strip().splitlines()
        return " | ".join(lines[-n:]) if lines else "(stderr empty)"

    def _log_problems(self):
        text = self.stderr_text(True)
        problems = []
        for m in SANITIZER_MARKS:
            if m in text:
                i = text.index(m)
                problems.append("sanitizer report in stderr: %s" %
                                text[i:i + 300].replace("\n", " | "))
                break
        for what, rx in (("mobile number", FULL_MOBILE_RE), ("openid", OPENID_RE),
                         ("resident name", NAME_RE)):
            m = rx.search(text)
            if m:
                problems.append("unmasked %s in the daemon's log: ...%s..." %
                                (what, text[max(0, m.start() - 60):m.end() + 20]
                                 .replace("\n", " | ")))
        return problems

    def term(self, timeout=10):
        """SIGTERM; returns (exit code, seconds it took) and checks the log. Fails on a
        sanitizer report or a hang."""
        if self.proc is None or self.proc.poll() is not None:
            return (self.proc.returncode if self.proc else None), 0.0
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            fail("gatewayd did not exit within %d s of SIGTERM" % timeout)
        dt = time.monotonic() - t0
        problems = self._log_problems()
        if problems:
            fail("; ".join(problems))
        return rc, dt

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        """Cleanup: SIGTERM and check exit 0 and a clean log. Returns a list of problems."""
        if self.proc is None:
            return []
        if self.proc.poll() is not None:
            rc = self.proc.returncode
            probs = self._log_problems()
            if rc not in (0, -signal.SIGKILL) and not getattr(self, "expect_exit", False):
                probs.append("gatewayd had exited by itself with %s: %s" %
                             (rc, self.stderr_tail()))
            return probs
        try:
            rc, dt = self.term()
        except TestFailure as e:
            return [str(e)]
        if rc != 0:
            return ["gatewayd exited with %s after SIGTERM: %s" % (rc, self.stderr_tail())]
        return []

    # ---- CLI ----
    def ctl(self, *args, input=None, timeout=60, config=True, env=None):
        cmd = [GATEWAYCTL] + list(args)
        if config:
            cmd += ["--config", self.config]
        environ = dict(os.environ)
        environ.update(self.extra_env)  # the config may name secrets in the environment
        environ.update(env or {})
        return subprocess.run(cmd, cwd=REPO, input=input, capture_output=True, timeout=timeout,
                              env=environ)

    def key(self, role="dispatcher"):
        """An API key of role (created once per daemon and role with gatewayctl)."""
        if role not in self._keys:
            r = self.ctl("key", "create", "--role", role)
            out = r.stdout.decode("utf-8", "replace")
            if r.returncode != 0:
                fail("gatewayctl key create --role %s exited %d: %s %s" %
                     (role, r.returncode, out, r.stderr.decode("utf-8", "replace")))
            m = re.search(r"gwk_[0-9a-f]{64}", out)
            lines = [ln.strip() for ln in out.splitlines() if ln.strip()]
            if m:
                self._keys[role] = m.group(0)
            elif lines:
                self._keys[role] = lines[-1]
            else:
                fail("gatewayctl key create printed no key")
        return self._keys[role]

    # ---- HTTP ----
    def request(self, method, path, body=None, key="dispatcher", content_type=None,
                headers=None, timeout=60):
        """Sends one request; body may be a dict/list (sent as JSON), str or bytes.
        key: a role name (its key is created on first use), a literal key starting with
        "gwk_" or anything else sent as is, or None for no Authorization header.
        Returns (status, parsed JSON, or text, or None when empty)."""
        hdrs = {}
        if key is not None:
            k = key
            if key in ("admin", "dispatcher", "agent", "kiosk"):
                k = self.key(key)
            hdrs["Authorization"] = "Bearer " + k
        data = None
        if body is not None:
            if isinstance(body, (dict, list)):
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                content_type = content_type or "application/json"
            elif isinstance(body, str):
                data = body.encode("utf-8")
            else:
                data = body
            hdrs["Content-Type"] = content_type or "application/json"
            hdrs["Content-Length"] = str(len(data))
        hdrs.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.putrequest(method, path)
            for k, v in hdrs.items():
                conn.putheader(k, v)
            conn.endheaders()
            if data:
                try:
                    conn.send(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the server answered early (413) and closed: read that answer
            resp = conn.getresponse()
            raw = resp.read()
            status = resp.status
            self.last_headers = dict(resp.getheaders())
        finally:
            conn.close()
        text = raw.decode("utf-8", "replace")
        if not raw:
            return status, None
        ctype = self.last_headers.get("Content-Type", "")
        if "json" in ctype or text[:1] in "{[":
            try:
                return status, json.loads(text)
            except ValueError:
                pass
        return status, text

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def ok(self, method, path, body=None, expect=(200, 201, 204), **kw):
        """A request that must succeed; returns the parsed body."""
        st, b = self.request(method, path, body, **kw)
        if st not in (expect if isinstance(expect, tuple) else (expect,)):
            fail("%s %s -> %d %s (request body: %s)" %
                 (method, path, st, short(b), short(body)))
        return b

    # ---- domain helpers ----
    def add_areas(self, areas=None):
        return self.ok("POST", "/api/v1/areas", {"areas": areas or std_areas()}, expect=200)

    def add_resident(self, r):
        return self.ok("POST", "/api/v1/residents", r, expect=201)

    def import_csv(self, data, path="/api/v1/residents/import", expect=200):
        return self.ok("POST", path, data, content_type="text/csv", expect=expect)

    def notice(self, body, dry_run=False, expect=201):
        path = "/api/v1/notices" + ("?dry_run=1" if dry_run else "")
        return self.ok("POST", path, body, expect=(200 if dry_run else expect))

    def get_notice(self, nid):
        return self.ok("GET", "/api/v1/notices/%d" % nid, expect=200)

    def progress(self, nid):
        return self.get_notice(nid)["progress"]

    def wait_done(self, nid, timeout=30):
        n = {}

        def done():
            n["v"] = self.get_notice(nid)
            return n["v"].get("done")
        wait_until(done, timeout, "notice %d to be done" % nid, interval=0.1)
        return n["v"]

    def wait_progress(self, nid, pred, timeout, what):
        last = {}

        def p():
            last["v"] = self.progress(nid)
            return pred(last["v"])
        try:
            wait_until(p, timeout, what, interval=0.1)
        except TestFailure:
            fail("timed out after %s s waiting for %s; progress %r" % (timeout, what,
                                                                       last.get("v")))
        return last["v"]


_METRIC_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^{}]*)\})? (\S+)')
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def metrics(d):
    """GET /metrics as a list of (name, {label: value}, float)."""
    st, text = d.get("/metrics", key=None)
    eq(st, 200, "GET /metrics status")
    out = []
    for ln in text.splitlines():
        m = _METRIC_RE.match(ln)
        if m and not ln.startswith("#"):
            out.append((m.group(1), dict(_LABEL_RE.findall(m.group(2) or "")),
                        float(m.group(3))))
    return out


def metric_sum(samples, prefix, **labels):
    """Sum of the samples whose name starts with prefix and whose labels include labels
    (a label value may be a tuple of accepted values)."""
    total = 0.0
    for name, lab, v in samples:
        if not name.startswith(prefix):
            continue
        if all(lab.get(k) in (w if isinstance(w, tuple) else (w,)) for k, w in labels.items()):
            total += v
    return total


def short(x, n=400):
    s = x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)
    return s if s is None or len(s) <= n else s[:n] + "..."


def api_error(body):
    """(code, field, message) of an error answer; fails when body is not one."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        fail("expected an error object, got %s" % short(body))
    e = body["error"]
    return e.get("code"), e.get("field"), e.get("message", "")


def expect_error(d, method, path, body, status, code, field=None, contains=None, **kw):
    """A request that must fail with status/code (and field, and a message containing
    contains). Returns the message."""
    st, b = d.request(method, path, body, **kw)
    if st != status:
        fail("%s %s: got %d %s, expected %d %s" % (method, path, st, short(b), status, code))
    c, f, m = api_error(b)
    eq(c, code, "%s %s error code" % (method, path))
    if field is not None:
        eq(f, field, "%s %s error field (message: %s)" % (method, path, m))
    if contains is not None:
        check(contains in m, "%s %s: message %r does not mention %r" % (method, path, m,
                                                                          contains))
    return m


# --------------------------------------------------------------------------------------
# Data builders
# --------------------------------------------------------------------------------------

DISTRICT = "330102"
STREET = "330102001"
COMMUNITY = "330102001001"         # 幸福小区
OTHER_COMMUNITY = "330102001002"   # 和平小区


def building(n):
    return "%s%03d" % (COMMUNITY, n)


def std_areas():
    """上城区 → 湖滨街道 → 幸福小区 (buildings 3–6) and 和平小区 (building 1)."""
    a = [{"code": DISTRICT, "name": "上城区", "parent": None, "level": "district"},
         {"code": STREET, "name": "湖滨街道", "parent": DISTRICT, "level": "street"},
         {"code": COMMUNITY, "name": "幸福小区", "parent": STREET, "level": "community"},
         {"code": OTHER_COMMUNITY, "name": "和平小区", "parent": STREET,
          "level": "community"},
         {"code": OTHER_COMMUNITY + "001", "name": "1幢", "parent": OTHER_COMMUNITY,
          "level": "building"}]
    for n in (3, 4, 5, 6):
        a.append({"code": building(n), "name": "%d幢" % n, "parent": COMMUNITY,
                  "level": "building"})
    return a


def mobile(i):
    return "139%08d" % i


def openid(i):
    return "oGwTest%021d" % i


def resident(i, areas, with_openid=False, **extra):
    """Resident number i (account 88xxxxxxxx, mobile 139xxxxxxxx) in areas (code or list)."""
    r = {"account": "88%08d" % i, "name": "住户%d" % i, "mobile": mobile(i),
         "areas": [areas] if isinstance(areas, str) else list(areas)}
    if with_openid:
        r["openid"] = openid(i)
    r.update(extra)
    return r


RES_HEADER = ["户号", "户名", "手机号", "openid", "区域编码"]


def csv_bytes(rows, header=RES_HEADER, encoding="utf-8", bom=False):
    """CSV text (CRLF, minimal quoting) of header + rows, encoded. Rows are lists."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    if header is not None:
        w.writerow(header)
    for r in rows:
        w.writerow(r)
    data = buf.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def resident_row(r):
    return [r["account"], r["name"], r["mobile"], r.get("openid", ""), ";".join(r["areas"])]


def notice_body(kind="planned", utility="water", areas=None, start=None, end=None,
                reason="主管道更换", hotline="0571-87654321", **extra):
    b = {"kind": kind, "utility": utility, "hotline": hotline}
    if areas is not None:
        b["areas"] = areas
    if start is not None:
        b["start"] = iso(start) if isinstance(start, (int, float)) else start
    if end is not None:
        b["end"] = iso(end) if isinstance(end, (int, float)) else end
    if reason is not None:
        b["reason"] = reason
    b.update(extra)
    return b


# --------------------------------------------------------------------------------------
# Fake provider
# --------------------------------------------------------------------------------------

def reply(status=200, body=None, headers=None, delay=0.0):
    """One scripted answer. body: dict/list (JSON), str or bytes; status None closes the
    connection without answering."""
    return (status, {"ok": True} if body is None else body, headers or {}, delay)


OK = reply(200)

_TO_KEYS = ("to", "mobile", "phone", "phone_number", "phonenumber", "touser", "openid",
            "recipient", "recipients", "mobiles", "phones", "phone_numbers", "openids",
            "address", "addresses")
_ID_KEYS = ("id", "ids", "message_id", "message_ids", "msg_id", "msgid", "out_id")


def _walk_json(v, tos, ids):
    if isinstance(v, dict):
        for k, x in v.items():
            lk = k.lower()
            if lk in _TO_KEYS:
                if isinstance(x, str):
                    tos.append(x)
                elif isinstance(x, list):
                    for y in x:
                        if isinstance(y, str):
                            tos.append(y)
                        else:
                            _walk_json(y, tos, ids)
                elif isinstance(x, dict):
                    _walk_json(x, tos, ids)
            elif lk in _ID_KEYS:
                if isinstance(x, (str, int)):
                    ids.append(x)
                elif isinstance(x, list):
                    ids.extend(y for y in x if isinstance(y, (str, int)))
            elif isinstance(x, (dict, list)):
                _walk_json(x, tos, ids)
    elif isinstance(v, list):
        for x in v:
            _walk_json(x, tos, ids)


class Record:
    """One request the fake received."""

    def __init__(self, path, headers, body, sig_ok):
        self.t = time.monotonic()
        self.path = path
        self.headers = headers
        self.body = body
        self.sig_ok = sig_ok
        self.status = None      # what we answered (None: not answered / dropped)
        self.answered = False   # the answer was written without error
        self.json = None
        self.tos = []
        self.ids = []
        self.text = None
        try:
            self.json = json.loads(body.decode("utf-8"))
        except ValueError:
            q = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            self.json = {k: (v[0] if len(v) == 1 else v) for k, v in q.items()} or None
        if self.json is not None:
            _walk_json(self.json, self.tos, self.ids)
            if isinstance(self.json, dict):
                for k in ("text", "content", "message", "body"):
                    if isinstance(self.json.get(k), str):
                        self.text = self.json[k]
                        break

    @property
    def channel(self):
        return self.path.strip("/").split("/")[-1].split("?")[0]

    def ok(self):
        return self.status is not None and 200 <= self.status < 300 and self.answered


class _Server(ThreadingHTTPServer):
    """A threading server that knows its connections (so stop() can cut keep-alive ones)
    and the fake it serves; fakecloud.py's fakes use it too."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler, fake):
        self.fake = fake
        self.conns = set()
        self.conns_lock = threading.Lock()
        super().__init__(addr, handler)

    def process_request(self, request, client_address):
        with self.conns_lock:
            self.conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.conns_lock:
            self.conns.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        pass  # the gateway hanging up on a slow answer is what some tests do on purpose


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        self._answer(self.server.fake._handle(self, b""))

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        self._answer(self.server.fake._handle(self, body))

    def _answer(self, item):
        rec, (status, body, headers, delay) = item
        if delay:
            time.sleep(delay)
        if status is None or self.server.fake.stopping:
            self.close_connection = True
            return
        if isinstance(body, (dict, list)):
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            ctype = "application/json"
        elif isinstance(body, str):
            data = body.encode("utf-8")
            ctype = "text/plain; charset=utf-8"
        else:
            data = body
            ctype = "application/octet-stream"
        try:
            self.send_response(status)
            hdrs = {"Content-Type": ctype}
            hdrs.update(headers)
            for k, v in hdrs.items():
                self.send_header(k, str(v))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
            if rec is not None:
                rec.answered = True
        except OSError:
            self.close_connection = True


class LoopbackServer:
    """start() and stop() of a fake server on 127.0.0.1 (also used by fakecloud.py). The
    subclass builds its server in _make_server(); the server keeps .conns and .conns_lock
    so that stop() can cut keep-alive connections."""

    def start(self):
        self.stopping = False
        self.server = self._make_server()
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        """Stops listening and cuts every open connection (keep-alive ones included)."""
        if self.server is None:
            return
        self.stopping = True
        self.server.shutdown()
        with self.server.conns_lock:
            conns = list(self.server.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.server.server_close()
        self.thread.join(5)
        self.server = None


class FakeProvider(LoopbackServer):
    """A webhook provider on 127.0.0.1. Answers come first from the script (push(): tuples
    from reply() or functions rec -> tuple, used once each, in order), then from the default
    (set_default(): a tuple or a function rec -> tuple). Every request is recorded, with
    whether its X-Gateway-Signature was right."""

    def __init__(self, secret=SECRET, port=0):
        self.secret = secret.encode()
        self.port = port
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.script = collections.deque()
        self.default = OK
        self.records = []
        self.bad_signatures = []
        self.server = None
        self.thread = None
        self.stopping = False

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def _make_server(self):
        return _Server(("127.0.0.1", self.port), _Handler, self)

    def push(self, *answers):
        with self.lock:
            self.script.extend(answers)

    def set_default(self, answer):
        with self.lock:
            self.default = answer

    def _handle(self, handler, body):
        headers = {k.lower(): v for k, v in handler.headers.items()}
        sig = headers.get("x-gateway-signature", "")
        want = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        sig_ok = hmac.compare_digest(sig, want)
        rec = Record(handler.path, headers, body, sig_ok)
        with self.lock:
            answer = self.script.popleft() if self.script else self.default
        if callable(answer):
            answer = answer(rec)
        status, rbody, rheaders, delay = answer
        rec.status = status
        with self.cond:
            self.records.append(rec)
            if not sig_ok:
                self.bad_signatures.append((handler.path, sig))
            self.cond.notify_all()
        return rec, (status, rbody, rheaders, delay)

    # ---- what was received ----
    def snapshot(self, channel=None):
        with self.lock:
            recs = list(self.records)
        if channel:
            recs = [r for r in recs if r.channel == channel]
        return recs

    def count(self, channel=None, ok_only=False):
        return sum(1 for r in self.snapshot(channel) if not ok_only or r.status and
                   200 <= r.status < 300)

    def mark(self):
        """A position in the record, for delivered_to(since=...)."""
        with self.lock:
            return len(self.records)

    def delivered_to(self, channel=None, since=0):
        """Recipients of the requests answered 2xx (from record number since on), one entry
        per (request, recipient)."""
        out = []
        with self.lock:
            recs = self.records[since:]
        for r in recs:
            if channel and r.channel != channel:
                continue
            if r.status is not None and 200 <= r.status < 300:
                out.extend(r.tos)
        return out

    def wait_count(self, n, timeout, channel=None, ok_only=False):
        return wait_until(lambda: self.count(channel, ok_only) >= n, timeout,
                          "%d requests at the fake provider (have %d)" %
                          (n, self.count(channel, ok_only)))

    def check_signatures(self):
        check(not self.bad_signatures,
              "%d requests with a wrong X-Gateway-Signature, first: %r" %
              (len(self.bad_signatures), self.bad_signatures[:1]))
        with self.lock:
            unparsed = [r for r in self.records if not r.tos]
        check(not unparsed, "requests without a recognisable recipient: %s" %
              (unparsed[0].body[:300] if unparsed else ""))


def counts(items):
    return collections.Counter(items)


def exactly_once(received, expected, what):
    """received: list of recipients; expected: set. Fails naming missing, extra and
    duplicate recipients."""
    c = collections.Counter(received)
    missing = sorted(set(expected) - set(c))
    extra = sorted(set(c) - set(expected))
    dups = sorted(k for k, v in c.items() if v > 1)
    if missing or extra or dups:
        fail("%s: %d missing %s, %d unexpected %s, %d duplicated %s" %
             (what, len(missing), missing[:5], len(extra), extra[:5], len(dups), dups[:5]))
