"""Integration tests of `gatewayctl case ...` against a running gatewayd, as a hotline agent
uses them: create (accepted and dispatched at once, content from stdin), show, find, move
through start / resolve / visit, a refused move and a stale --version (exit 1 with the
gateway's own message), notes, a class change, the tracking QR code (decoded with zbarimg
when it is installed) and the statistics (summary and CSV with a BOM), plus command-line
mistakes (exit 2). Every result is checked against the API, not only against the output.
Run from the repo root: python3 tests/integration/test_cli_cases.py [NAME-FILTER]"""

import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import *  # noqa: E402,F401,F403
import gwtest  # noqa: E402

B3 = building(3)
BOM = b"\xef\xbb\xbf"


def cli(d, *args, key="agent", stdin=subprocess.DEVNULL, input=None, timeout=60):
    """Runs gatewayctl --url URL ARGS with the API key of role key in GATEWAY_KEY and no
    terminal. input (bytes) is fed to stdin. Returns (exit code, stdout, stderr) as text."""
    cmd = [gwtest.GATEWAYCTL, "--url", "http://127.0.0.1:%d" % d.port] + list(args)
    environ = dict(os.environ)
    environ.pop("GATEWAY_KEY", None)
    environ.pop("GATEWAY_URL", None)
    if key:
        environ["GATEWAY_KEY"] = d.key(key)
    try:
        r = subprocess.run(cmd, cwd=gwtest.REPO, env=environ, capture_output=True,
                           timeout=timeout, input=input,
                           stdin=None if input is not None else stdin)
    except subprocess.TimeoutExpired:
        fail("gatewayctl %s did not finish within %d s" % (" ".join(args), timeout))
    out = r.stdout.decode("utf-8", "replace")
    err = r.stderr.decode("utf-8", "replace")
    for m in gwtest.SANITIZER_MARKS:
        check(m not in err, "sanitizer report from gatewayctl %s: %s" % (" ".join(args), err))
    return r.returncode, out, err


def ok(d, *args, **kw):
    """cli() that must exit 0; returns stdout."""
    code, out, err = cli(d, *args, **kw)
    eq(code, 0, "exit code of gatewayctl %s (stdout %r, stderr %r)" % (" ".join(args), out, err))
    return out


def api_case(d, number):
    st, b = d.get("/api/v1/cases/%s" % number, key="agent")
    eq(st, 200, "GET case %s (%r)" % (number, b))
    return b


def create_args(i=1, *extra):
    return ("case", "create", "--kind", "repair", "--source", "phone", "--category", "leak",
            "--name", "张先生", "--mobile", mobile(i), "--address", "幸福小区3幢2单元",
            "--area", B3, "--content", "楼道水管漏水", "--request", "尽快上门维修") + extra


def create(d, i=1, *extra):
    """Creates a case with the CLI; returns (number, stdout)."""
    out = ok(d, *create_args(i, *extra))
    m = re.search(r"^case (\S+) created", out, re.M)
    check(m, "case create did not print the new case's number: %r" % out)
    return m.group(1), out


@test
def create_accept_dispatch_prints_summary(env):
    d = env.daemon()
    d.add_areas()
    number, out = create(d, 1, "--accept", "--dispatch")
    c = api_case(d, number)
    eq(c["state"], "dispatched", "state after --accept --dispatch")
    check(c["department"], "the dispatched case has no department: %r" % c)
    check(c["tracking_url"] in out, "the tracking URL %s is not in %r" % (c["tracking_url"], out))
    check("dispatched" in out and c["state_label"] in out, "state not printed: %r" % out)
    check("(%s)" % c["department"] in out, "department not printed: %r" % out)
    eq(len(c["clocks"]), len([k for k in c["clocks"] if k["label"] in out]),
       "every clock's label printed")
    for k in c["clocks"]:
        due = k["due_at"][:10] + " " + k["due_at"][11:16]
        check(due in out, "promised time %s of %s missing from %r" % (due, k["clock"], out))
    eq(c["name"], "张先生", "complainant name stored")
    eq(c["mobile"], mobile(1), "complainant mobile stored")
    eq(c["area"], B3, "area stored")


@test
def create_json_and_content_from_stdin(env):
    d = env.daemon()
    code, out, err = cli(d, "case", "create", "--kind", "consultation", "--source", "web",
                         "--no-reply", "--content", "-", "--json",
                         input="请问水费怎么缴？\n".encode("utf-8"))
    eq(code, 0, "exit code (stdout %r, stderr %r)" % (out, err))
    b = json.loads(out)
    eq(b["state"], "received", "a case neither accepted nor dispatched")
    c = api_case(d, b["number"])
    eq(c["content"], "请问水费怎么缴？", "content read from stdin, final line break dropped")
    eq(c["reply"], False, "--no-reply")
    eq(c["clocks"], [], "no clocks before acceptance")


@test
def show_prints_clocks_and_history(env):
    d = env.daemon()
    d.add_areas()
    number, _ = create(d, 1, "--accept", "--dispatch")
    out = ok(d, "case", "show", number)
    c = api_case(d, number)
    check(out.startswith("case %s" % number), "show does not start with the number: %r" % out)
    for text in ("楼道水管漏水", "尽快上门维修", mobile(1), c["tracking_url"], "clocks:",
                 "history:", c["department_name"]):
        check(text in out, "%r missing from case show: %r" % (text, out))
    for k in c["clocks"]:
        check(k["label"] in out, "clock %s missing from %r" % (k["label"], out))
    check(re.search(r"met \d{4}-\d\d-\d\d \d\d:\d\d", out),
          "the first contact of a phone case is met at acceptance: %r" % out)
    hist = out.split("history:", 1)[1]
    for action, arrow in (("create", "(new) -> received"), ("accept", "received -> accepted"),
                          ("dispatch", "accepted -> dispatched")):
        check(re.search(r"%s\s+%s" % (action, re.escape(arrow)), hist),
              "history line %s %s missing from %r" % (action, arrow, hist))
    code, out, err = cli(d, "case", "show", number, "--json")
    eq(code, 0, "show --json exit code (%r)" % err)
    eq(json.loads(out)["number"], number, "show --json")
    code, out, err = cli(d, "case", "show", "GD000000000")
    eq(code, 1, "show of an unknown case (stdout %r)" % out)
    check("no case" in err, "unknown case message: %r" % err)


@test
def find_by_mobile_and_open(env):
    d = env.daemon()
    d.add_areas()
    mine, _ = create(d, 1, "--accept", "--dispatch")
    other, _ = create(d, 2, "--accept")
    code, out, err = cli(d, "case", "find", "--mobile", mobile(1))
    eq(code, 0, "find exit code (%r)" % err)
    check(mine in out and other not in out, "find --mobile: %r" % out)
    check(re.search(r"%s\s+repair\s+dispatched\s+\S+\s+\d{4}-\d\d-\d\d \d\d:\d\d" % mine, out),
          "find row (number, kind, state, department, due) of %s: %r" % (mine, out))
    check("1 of 1 cases" in err, "find count on stderr: %r" % err)
    out = ok(d, "case", "find", "--area", gwtest.COMMUNITY, "--limit", "10")
    check(mine in out and other in out, "find --area of the community: %r" % out)
    b = json.loads(ok(d, "case", "find", "--state", "accepted", "--json"))
    eq([c["number"] for c in b["cases"]], [other], "find --state accepted --json")
    ok(d, "case", "move", mine, "start")
    ok(d, "case", "move", mine, "resolve", "--note", "已更换阀门")
    ok(d, "case", "move", mine, "visit")
    out = ok(d, "case", "find", "--open")
    check(other in out and mine not in out, "find --open after the visit: %r" % out)
    code, out, err = cli(d, "case", "find", "--limit", "0")
    eq(code, 2, "find --limit 0 is a command-line error")


@test
def find_overdue_marks_late_cases(env):
    d = env.daemon()
    d.add_areas()
    # From the web nobody has talked to the complainant yet: first contact is due in 20 min.
    late, _ = create(d, 1, "--accept", "--dispatch")
    code, out, err = cli(d, "case", "create", "--kind", "repair", "--source", "web",
                         "--mobile", mobile(2), "--area", B3, "--content", "水表漏水",
                         "--accept")
    eq(code, 0, "create from the web (%r)" % err)
    web = re.search(r"^case (\S+) created", out, re.M).group(1)
    out = ok(d, "case", "find", "--overdue")
    check(web not in out and "OVERDUE" not in out, "nothing is overdue yet: %r" % out)
    rc, _ = d.term()
    eq(rc, 0, "gatewayd exit code")
    d.start(clock=local_ts(0, 11, 0))
    out = ok(d, "case", "find", "--overdue")
    check(re.search(r"^%s .*OVERDUE$" % re.escape(web), out, re.M),
          "the web case is not marked OVERDUE an hour later: %r" % out)
    check(late not in out, "the phone case (first contact met) is not overdue: %r" % out)
    b = api_case(d, web)
    check(any(k["late"] and k["met_at"] is None for k in b["clocks"]),
          "the API agrees that a clock is late: %r" % b["clocks"])


@test
def move_through_the_states(env):
    d = env.daemon()
    d.add_areas()
    number, _ = create(d, 1, "--accept", "--dispatch")
    for action, extra, want in (("start", (), "in_progress"),
                                ("resolve", ("--note", "已更换阀门"), "resolved"),
                                ("visit", (), "visited")):
        out = ok(d, "case", "move", number, action, *extra)
        c = api_case(d, number)
        eq(c["state"], want, "state after %s" % action)
        check(re.search(r"-> %s \(%s\), version %d" % (want, re.escape(c["state_label"]),
                                                       c["version"]), out),
              "move %s did not print the new state and version: %r" % (action, out))
    eq(c["events"][-2]["note"], "已更换阀门", "the resolve note")


@test
def refused_move_exits_1_with_the_gateways_message(env):
    d = env.daemon()
    d.add_areas()
    number, _ = create(d, 1, "--accept")
    code, out, err = cli(d, "case", "move", number, "visit")
    eq(code, 1, "exit code of a move the state machine refuses (stdout %r)" % out)
    st, b = d.post("/api/v1/cases/%s/transitions" % number, {"action": "visit"}, key="agent")
    eq(st, 409, "the same move through the API")
    check(b["error"]["message"] in err,
          "the gateway's message %r is not in stderr %r" % (b["error"]["message"], err))
    eq(api_case(d, number)["state"], "accepted", "state after the refused move")
    # A stale version is refused too, and nothing changes.
    version = api_case(d, number)["version"]
    code, out, err = cli(d, "case", "move", number, "dispatch", "--version", str(version - 1))
    eq(code, 1, "exit code with a stale --version (stdout %r)" % out)
    check("version" in err and str(version) in err, "version conflict message: %r" % err)
    eq(api_case(d, number)["state"], "accepted", "state after the version conflict")
    out = ok(d, "case", "move", number, "dispatch", "--version", str(version))
    eq(api_case(d, number)["state"], "dispatched", "dispatch with the current version")
    # Mistakes of the command line are exit 2, before anything is sent.
    for args in (("case", "move", number), ("case", "move", number, "start", "extra"),
                 ("case", "move", number, "start", "--version", "x"),
                 ("case", "move", number, "resolve", "--note", "a", "--note", "b")):
        code, out, err = cli(d, *args)
        eq(code, 2, "exit code of %s (stderr %r)" % (" ".join(args), err))
        check("usage:" in err, "usage missing after %s: %r" % (" ".join(args), err))
    eq(api_case(d, number)["state"], "dispatched", "state after the command-line mistakes")


@test
def note_and_class(env):
    d = env.daemon()
    d.add_areas()
    number, _ = create(d, 1, "--accept", "--dispatch")
    before = api_case(d, number)
    out = ok(d, "case", "note", number, "已电话联系住户，约定下午上门", "--contact")
    check("contact note added" in out, "note output: %r" % out)
    c = api_case(d, number)
    eq((c["events"][-1]["action"], c["events"][-1]["note"]),
       ("contact", "已电话联系住户，约定下午上门"), "the note in the history")
    ok(d, "case", "note", number, "-", input="内部备注\n".encode("utf-8"))
    eq(api_case(d, number)["events"][-1]["note"], "内部备注", "a note read from stdin")
    out = ok(d, "case", "class", number, "urgent", "--version", str(c["version"]))
    c = api_case(d, number)
    eq(c["class"], "urgent", "class after case class")
    check("class urgent" in out and c["class_label"] in out, "class output: %r" % out)
    res = [k for k in c["clocks"] if k["clock"] == "resolution"][0]
    res0 = [k for k in before["clocks"] if k["clock"] == "resolution"][0]
    check(res["due_at"] != res0["due_at"], "the new class did not change the resolution due")
    check(res["due_at"][11:16] in out, "the new due time is not printed: %r" % out)
    code, out, err = cli(d, "case", "class", number, "nosuchclass")
    eq(code, 1, "unknown class (stdout %r)" % out)
    check("nosuchclass" in err, "unknown class message: %r" % err)


@test
def qr_png_decodes_to_tracking_url(env):
    d = env.daemon()
    d.add_areas()
    number, _ = create(d, 1, "--accept")
    url = api_case(d, number)["tracking_url"]
    png = env.path("case.png")
    out = ok(d, "case", "qr", number, "--out", png)
    check(png in out, "qr output: %r" % out)
    with open(png, "rb") as fh:
        data = fh.read()
    eq(data[:8], b"\x89PNG\r\n\x1a\n", "PNG signature")
    check(not os.path.exists(png + ".tmp"), "the temporary file was left behind")
    if shutil.which("zbarimg"):
        r = subprocess.run(["zbarimg", "-q", "--raw", png], capture_output=True, timeout=30)
        eq(r.returncode, 0, "zbarimg exit code (%r)" % r.stderr)
        eq(r.stdout.decode().strip(), url, "the QR code's content")
    svg = env.path("case.svg")
    ok(d, "case", "qr", number, "--out", svg, "--module", "4")
    with open(svg, "rb") as fh:
        text = fh.read().decode("utf-8")
    check("<svg" in text, "--out x.svg did not write an SVG: %r" % text[:100])
    code, out, err = cli(d, "case", "qr", number)
    eq(code, 2, "qr without --out")
    code, out, err = cli(d, "case", "qr", "GD000000000", "--out", env.path("none.png"))
    eq(code, 1, "qr of an unknown case")
    check(not os.path.exists(env.path("none.png")), "a file was written for an unknown case")


@test
def stats_summary_and_csv(env):
    d = env.daemon()
    d.add_areas()
    a, _ = create(d, 1, "--accept", "--dispatch")
    create(d, 2, "--accept", "--dispatch")
    ok(d, "case", "move", a, "resolve", "--note", "已修复")
    st, s = d.get("/api/v1/case-stats?month=2026-11", key="agent")
    eq(st, 200, "stats through the API")
    eq((s["total"], s["handled"]), (2, 1), "the API's counts")
    out = ok(d, "case", "stats", "--month", "2026-11")
    check(re.search(r"total\s+2\b", out) and re.search(r"handled\s+1\b", out),
          "stats summary counts: %r" % out)
    check("50.0 %" in out, "handling rate 50.0 %% missing: %r" % out)
    for dep in s["by"]["department"]:
        check(dep["label"] in out, "department %s missing: %r" % (dep["label"], out))
    csv_path = env.path("stats.csv")
    out = ok(d, "case", "stats", "--month", "2026-11", "--csv", csv_path)
    with open(csv_path, "rb") as fh:
        data = fh.read()
    check(data.startswith(BOM), "the CSV does not start with the UTF-8 BOM: %r" % data[:20])
    data.decode("utf-8")
    b = json.loads(ok(d, "case", "stats", "--quarter", "2026-Q4", "--json"))
    eq(b["total"], 2, "stats --quarter --json total")
    for args in (("--month", "2026-11", "--quarter", "2026-Q4"), ("--from", "2026-11-01"),
                 ("--csv", csv_path, "--json")):
        code, out, err = cli(d, "case", "stats", *args)
        eq(code, 2, "stats %s (stderr %r)" % (" ".join(args), err))
    code, out, err = cli(d, "case", "stats", "--month", "2026-13")
    eq(code, 1, "stats with a month the gateway refuses")
    check("month" in err, "the gateway's message about the month: %r" % err)


@test
def create_mistakes_are_usage_errors(env):
    d = env.daemon()
    d.add_areas()
    for args, what in ((("--source", "phone", "--content", "x"), "--kind"),
                       (("--kind", "repair", "--content", "x"), "--source"),
                       (("--kind", "repair", "--source", "phone"), "--content"),
                       (create_args(1, "--dispatch")[2:], "--accept"),
                       (create_args(1, "--area", B3)[2:], "twice")):
        code, out, err = cli(d, "case", "create", *args)
        eq(code, 2, "create %s (stderr %r)" % (what, err))
        check(what in err, "message about %s: %r" % (what, err))
    code, out, err = cli(d, "case", "create", "--kind", "repair", "--source", "phone",
                         "--mobile", mobile(1), "--area", "nosuch", "--content", "x")
    eq(code, 1, "an unknown area is the gateway's refusal")
    check("nosuch" in err, "the gateway's message: %r" % err)
    st, b = d.get("/api/v1/cases", key="agent")
    eq(b["total"], 0, "cases after refused creates")


if __name__ == "__main__":
    gwtest.check_binaries()
    gwtest.run()
