"""Integration tests of configuration and start-up checks: --check-config on the demo
config and on broken files (typos named with file:line), templates that are missing or use
unknown variables, and provider secrets taken from the environment and never logged.
Run from the repo root: python3 tests/integration/test_config.py [NAME-FILTER]"""

import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import *  # noqa: E402,F401,F403
import gwtest  # noqa: E402

DEMO = os.path.join(gwtest.REPO, "config", "gateway.ini")


def gatewayd(*args, env=None, timeout=15):
    """Runs gatewayd to completion (it must exit by itself). Returns (code, stdout+stderr)."""
    environ = dict(os.environ)
    environ.update(env or {})
    try:
        r = subprocess.run([gwtest.GATEWAYD] + list(args), cwd=gwtest.REPO, env=environ,
                           capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        fail("gatewayd %s did not exit within %d s (it should refuse to start)" %
             (" ".join(args), timeout))
    out = (r.stdout + r.stderr).decode("utf-8", "replace")
    for m in gwtest.SANITIZER_MARKS:
        check(m not in out, "sanitizer report from gatewayd %s: %s" % (" ".join(args), out))
    return r.returncode, out


def line_of(path, text):
    with open(path, encoding="utf-8") as fh:
        for i, ln in enumerate(fh, 1):
            if text in ln:
                return i
    fail("%r not in %s" % (text, path))


def write_config(env, **kw):
    """Writes a complete config (file providers) without starting anything."""
    d = env.daemon(start=False, **kw)
    return d


@test
def demo_config_checks_ok(env):
    check(os.path.exists(DEMO), "%s does not exist" % DEMO)
    code, out = gatewayd("--check-config", DEMO)
    eq(code, 0, "gatewayd --check-config %s exit code (output: %s)" % (DEMO, out.strip()))


@test
def test_config_checks_ok(env):
    d = write_config(env)
    code, out = gatewayd("--check-config", d.config)
    eq(code, 0, "--check-config of the tests' own config (output: %s)" % out.strip())


@test
def typo_keys_named_with_line(env):
    d = write_config(env, delivery={"retry_bsae_ms": 100},
                     overrides={"server": {"listne": "127.0.0.1:1"}})
    code, out = gatewayd("--check-config", d.config)
    check(code != 0, "--check-config accepted a typo (output: %s)" % out.strip())
    for key in ("retry_bsae_ms", "listne"):
        want = "%s:%d" % (os.path.basename(d.config), line_of(d.config, key))
        check(want in out, "output does not give %s for %s: %s" % (want, key, out.strip()))
        check(key in out, "output does not name %s: %s" % (key, out.strip()))
    code, out = gatewayd("--config", d.config)
    check(code != 0, "gatewayd started with a typo in its config")
    check("retry_bsae_ms" in out, "start-up refusal does not name the key: %s" % out.strip())


@test
def unknown_section_and_bad_value(env):
    d = write_config(env, overrides={"delivry": {"x": "1"}, "delivery": {"max_attempts": "many"}})
    code, out = gatewayd("--check-config", d.config)
    check(code != 0, "--check-config accepted an unknown section and a bad number")
    check("delivry" in out, "unknown section not named: %s" % out.strip())
    check("max_attempts" in out, "bad value not named: %s" % out.strip())


@test
def missing_template_dir_refused(env):
    missing = env.path("no-such-templates")
    d = write_config(env, overrides={"templates": {"dir": missing}})
    code, out = gatewayd("--config", d.config)
    check(code != 0, "gatewayd started without a templates directory")
    check("no-such-templates" in out, "refusal does not name the directory: %s" % out.strip())


@test
def template_with_unknown_variable_refused(env):
    tdir = env.path("templates")
    shutil.copytree(gwtest.TEMPLATES, tdir)
    p = os.path.join(tdir, "planned.sms.txt")
    with open(p, encoding="utf-8") as fh:
        text = fh.read()
    with open(p, "w", encoding="utf-8") as fh:
        fh.write(text.rstrip("\n") + "{{colour}}\n")
    d = write_config(env, overrides={"templates": {"dir": tdir}})
    code, out = gatewayd("--config", d.config)
    check(code != 0, "gatewayd started with {{colour}} in a template")
    check("planned.sms.txt" in out and "colour" in out,
          "refusal does not name the file and the variable: %s" % out.strip())
    # A missing template is refused too.
    with open(p, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.unlink(os.path.join(tdir, "restored.wechat.txt"))
    code, out = gatewayd("--config", d.config)
    check(code != 0, "gatewayd started without restored.wechat.txt")
    check("restored.wechat.txt" in out, "refusal does not name the file: %s" % out.strip())


@test
def secret_from_env_never_logged(env):
    secret = "s3cr3t-from-env-Zq8w"
    fake = env.fake(secret=secret)
    opts = {"secret": None, "secret_env": "GWTEST_SMS_SECRET"}
    providers = {"sms": webhook_provider("sms", fake.url + "/sms", **opts),
                 "wechat": webhook_provider("wechat", fake.url + "/wechat", **opts)}
    for p in providers.values():
        p.pop("secret")
    d = env.daemon(start=False, providers=providers, overrides={"log": {"level": "debug"}},
                   extra_env={"GWTEST_SMS_SECRET": secret})
    # Without the variable the daemon must refuse, naming it.
    code, out = gatewayd("--config", d.config)
    check(code != 0, "gatewayd started although GWTEST_SMS_SECRET is unset")
    check("GWTEST_SMS_SECRET" in out, "refusal does not name the variable: %s" % out.strip())
    code, out = gatewayd("--check-config", d.config,
                         env={"GWTEST_SMS_SECRET": secret})
    eq(code, 0, "--check-config with the secret in the environment (%s)" % out.strip())
    check(secret not in out, "--check-config printed the secret")
    d.start()
    d.add_areas()
    d.add_resident(resident(1, building(3), with_openid=True))
    n = d.notice(notice_body("planned", "water", areas=[building(3)], start=local_ts(2, 9),
                             end=local_ts(2, 17)))
    d.wait_done(n["id"])
    eq(fake.count(), 2, "requests at the provider")
    fake.check_signatures()
    rc, _ = d.term()
    eq(rc, 0, "exit code")
    check(secret not in d.stderr_text(), "the secret appears in gatewayd's stderr")
    with open(d.stdout_path, "rb") as fh:
        check(secret.encode() not in fh.read(), "the secret appears in gatewayd's stdout")


if __name__ == "__main__":
    gwtest.check_binaries()
    run()
