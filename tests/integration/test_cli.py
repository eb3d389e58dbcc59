"""Integration tests of gatewayctl against a running gatewayd: resident import report,
notice send (--yes --no-watch) and notice watch in a log (no terminal), refusal to send
without confirmation, a clear message when the gateway cannot be reached, and key create
in a shell without the daemon's provider secrets.
Run from the repo root: python3 tests/integration/test_cli.py [NAME-FILTER]"""

import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import *  # noqa: E402,F401,F403
import gwtest  # noqa: E402

B3 = building(3)


def cli(d, *args, key="dispatcher", url=None, stdin=subprocess.DEVNULL, timeout=60):
    """Runs gatewayctl [--url URL] ARGS with the API key in GATEWAY_KEY and no terminal on
    stdin or stdout. Returns (exit code, stdout, stderr) as text."""
    cmd = [gwtest.GATEWAYCTL]
    cmd += ["--url", url or "http://127.0.0.1:%d" % d.port]
    cmd += list(args)
    environ = dict(os.environ)
    environ.pop("GATEWAY_KEY", None)
    environ.pop("GATEWAY_URL", None)
    if key:
        environ["GATEWAY_KEY"] = d.key(key)
    try:
        r = subprocess.run(cmd, cwd=gwtest.REPO, env=environ, stdin=stdin,
                           capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        fail("gatewayctl %s did not finish within %d s" % (" ".join(args), timeout))
    out = r.stdout.decode("utf-8", "replace")
    err = r.stderr.decode("utf-8", "replace")
    for m in gwtest.SANITIZER_MARKS:
        check(m not in err, "sanitizer report from gatewayctl %s: %s" % (" ".join(args), err))
    return r.returncode, out, err


def send_args(*extra):
    return ("notice", "send", "--kind", "planned", "--utility", "water", "--area", B3,
            "--start", iso(local_ts(2, 9)), "--end", iso(local_ts(2, 17)),
            "--reason", "主管道更换", "--hotline", "0571-87654321") + extra


@test
def residents_import_prints_report(env):
    d = env.daemon()
    d.add_areas()
    rows = [resident_row(resident(1, B3)), resident_row(resident(2, B3)),
            ["8800000003", "坏号码", "1234567", "", B3]]
    path = env.path("billing.csv")
    with open(path, "wb") as fh:
        fh.write(csv_bytes(rows, encoding="gbk"))
    code, out, err = cli(d, "residents", "import", path)
    eq(code, 0, "exit code (stdout %r, stderr %r)" % (out, err))
    check(re.search(r"3 rows", out) and re.search(r"2 created", out) and
          re.search(r"1 skipped", out), "import summary missing from %r" % out)
    check("line 4" in err and "手机号" in err,
          "bad row (line 4, 手机号) not reported on stderr: %r" % err)
    st, b = d.get("/api/v1/residents?area=%s" % B3)
    eq(b.get("total"), 2, "residents stored by the CLI import")


@test
def notice_send_then_watch(env):
    fake = env.fake()
    d = env.daemon(fake=fake)
    d.add_areas()
    for i in (1, 2, 3):
        d.add_resident(resident(i, B3, with_openid=(i == 1)))
    code, out, err = cli(d, *send_args("--yes", "--no-watch"))
    eq(code, 0, "notice send exit code (stdout %r, stderr %r)" % (out, err))
    check(SIGNATURE in out, "the preview does not show the SMS text: %r" % out)
    m = re.search(r"notice (\d+) created", out)
    check(m, "notice send did not print the new notice's id: %r" % out)
    nid = int(m.group(1))
    code, out, err = cli(d, "notice", "watch", str(nid), timeout=60)
    eq(code, 0, "notice watch exit code (stdout %r, stderr %r)" % (out, err))
    check("\r" not in out and "\033" not in out,
          "notice watch drew on a terminal although stdout is not one: %r" % out)
    lines = [ln for ln in out.splitlines() if ln.strip()]
    check(lines, "notice watch printed nothing")
    check(re.search(r"4/4|sent 4", out), "final progress line lacks 4 sent: %r" % out)
    eq(d.get_notice(nid).get("done"), True, "done after watch returned")
    eq(len(fake.delivered_to()), 4, "messages at the provider")


@test
def send_without_yes_refused_off_terminal(env):
    fake = env.fake()
    d = env.daemon(fake=fake)
    d.add_areas()
    d.add_resident(resident(1, B3))
    for stdin in (subprocess.DEVNULL, subprocess.PIPE):
        code, out, err = cli(d, *send_args(), stdin=stdin)
        check(code != 0, "notice send without --yes on a pipe exited 0: %r %r" % (out, err))
        check("--yes" in err, "the refusal does not say how to confirm: %r" % err)
    lst = d.ok("GET", "/api/v1/notices", expect=200)
    eq(lst.get("notices"), [], "notices created without confirmation")
    eq(fake.count(), 0, "messages sent without confirmation")


@test
def unreachable_gateway(env):
    d = env.daemon()
    d.key("dispatcher")
    url = "http://127.0.0.1:%d" % free_port()
    code, out, err = cli(d, "notice", "list", url=url, timeout=30)
    check(code != 0, "gatewayctl exited 0 against a closed port")
    check(re.search(r"reach|connect|refused", err, re.I) and url.split("//")[1] in err,
          "the message does not say which gateway could not be reached: %r" % err)
    check("Traceback" not in err and len(err.splitlines()) <= 5,
          "the message is not short and clear: %r" % err)


@test
def missing_key_explained(env):
    d = env.daemon()
    code, out, err = cli(d, "notice", "list", key=None)
    check(code != 0, "gatewayctl without a key exited 0")
    check("GATEWAY_KEY" in err or "--key" in err, "no hint how to give a key: %r" % err)


@test
def key_create_without_provider_secrets(env):
    """key create reads the config only for the database path: it must work in a shell
    without the daemon's secret_env variables, and the key must then work in the daemon."""
    var, secret = "GWTEST_CLI_PROVIDER_SECRET", "cli-secret-Hq3v"
    fake = env.fake(secret=secret)
    providers = {ch: webhook_provider(ch, fake.url + "/" + ch, secret=None, secret_env=var)
                 for ch in ("sms", "wechat")}
    d = env.daemon(start=False, providers=providers)
    environ = dict(os.environ)
    environ.pop(var, None)
    r = subprocess.run([gwtest.GATEWAYCTL, "key", "create", "--role", "dispatcher",
                        "--config", d.config], cwd=gwtest.REPO, env=environ,
                       capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    out = r.stdout.decode("utf-8", "replace")
    err = r.stderr.decode("utf-8", "replace")
    eq(r.returncode, 0, "key create exit code with %s unset (stderr %r)" % (var, err))
    check(var not in err, "key create complained about %s: %r" % (var, err))
    m = re.fullmatch(r"(gwk_[0-9a-f]{64})\n", out)
    check(m, "key create did not print just the key: %r" % out)
    d.extra_env[var] = secret
    d.start()
    d.ok("GET", "/api/v1/notices", key=m.group(1), expect=200)


if __name__ == "__main__":
    gwtest.check_binaries()
    run()
