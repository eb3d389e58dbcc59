"""Integration tests of `gatewayctl appointment ...` and `gatewayctl visits ...` against a
running gatewayd, as a hotline agent uses them: book a visit (local times typed as for
`notice send`), a window the gateway refuses (exit 1 with its own message), an overlap
warned on stderr, move / confirm / cancel / missed with and without a current --version,
`case show` listing the appointments and return visits; the phone-visit list empty and
with a case whose survey went unanswered (the daemon restarted on later clocks so that the
watch sends the survey and then gives up on it), its CSV with a BOM, and the agent's answer
closing the case. Every result is checked against the API, not only against the output.
Run from the repo root: python3 tests/integration/test_cli_visits.py [NAME-FILTER]"""

import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import *  # noqa: E402,F401,F403
import gwtest  # noqa: E402

B3 = building(3)
BOM = b"\xef\xbb\xbf"
# The daemon starts on Monday 2026-11-23 10:00; the Saturday after is 2026-11-28.
SAT = "2026-11-28"
SUN = "2026-11-29"
TASKS_HEADER = re.compile(r"^number\s+mobile\s+name\s+kind\s+department\s+answer due$")


def cli(d, *args, key="agent"):
    """Runs gatewayctl --url URL ARGS with the API key of role key in GATEWAY_KEY and no
    terminal. Returns (exit code, stdout, stderr) as text."""
    cmd = [gwtest.GATEWAYCTL, "--url", "http://127.0.0.1:%d" % d.port] + list(args)
    environ = dict(os.environ)
    environ.pop("GATEWAY_KEY", None)
    environ.pop("GATEWAY_URL", None)
    if key:
        environ["GATEWAY_KEY"] = d.key(key)
    try:
        r = subprocess.run(cmd, cwd=gwtest.REPO, env=environ, capture_output=True,
                           timeout=60, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        fail("gatewayctl %s did not finish within 60 s" % " ".join(args))
    out = r.stdout.decode("utf-8", "replace")
    err = r.stderr.decode("utf-8", "replace")
    for m in gwtest.SANITIZER_MARKS:
        check(m not in err, "sanitizer report from gatewayctl %s: %s" % (" ".join(args), err))
    return r.returncode, out, err


def ok(d, *args):
    """cli() that must exit 0; returns (stdout, stderr)."""
    code, out, err = cli(d, *args)
    eq(code, 0, "exit code of gatewayctl %s (stdout %r, stderr %r)" % (" ".join(args), out, err))
    return out, err


def new_case(d, i=1):
    """A repair case created, accepted and dispatched through the API; returns its number."""
    body = {"source": "phone", "kind": "repair", "category": "leak", "content": "暖气不热",
            "complainant": {"name": "王五", "mobile": mobile(i)}, "area": B3,
            "accept": True, "dispatch": True}
    return d.ok("POST", "/api/v1/cases", body, expect=201, key="agent")["number"]


def api_case(d, number):
    return d.ok("GET", "/api/v1/cases/" + number, key="agent")


def appts(d, number):
    """{id: appointment} of the case, as the API gives them."""
    return {a["id"]: a for a in api_case(d, number)["appointments"]}


def book(d, number, start, end, *extra):
    """Books with the CLI; returns (id, stdout, stderr)."""
    out, err = ok(d, "appointment", "book", number, "--type", "temperature", "--start", start,
                  "--end", end, *extra)
    m = re.search(r"^case %s: appointment (\d+) booked$" % re.escape(number), out, re.M)
    check(m, "appointment book did not print the new id: %r" % out)
    return int(m.group(1)), out, err


def restart(d, ts):
    rc, _ = d.term()
    eq(rc, 0, "gatewayd exit code")
    d.start(clock=ts)


@test
def book_prints_the_window_and_case_show_lists_it(env):
    d = env.daemon()
    d.add_areas()
    n = new_case(d)
    aid, out, err = book(d, n, SAT + " 14:00", SAT + " 16:00", "--technician", "李师傅")
    a = appts(d, n)[aid]
    eq((a["type"], a["status"], a["technician"]), ("temperature", "confirmed", "李师傅"),
       "the appointment stored")
    eq((a["start_at"], a["end_at"]), (SAT + "T14:00:00+08:00", SAT + "T16:00:00+08:00"),
       "local times sent with +08:00")
    check(re.search(r"#%d\s+室温测量\s+%s 14:00-16:00\s+confirmed\s+version 1" % (aid, SAT), out),
          "id, type, window, status and version: %r" % out)
    check("warning" not in err, "no warning for a lone visit: %r" % err)
    out, _ = ok(d, "case", "show", n)
    check("appointments:" in out, "case show has no appointments section: %r" % out)
    check(re.search(r"#%d\s+temperature\s+%s 14:00-16:00\s+confirmed" % (aid, SAT), out),
          "case show lists the appointment: %r" % out)
    check(out.index("appointments:") < out.index("history:"), "appointments before history")
    # --proposed, then confirmed; --json gives the gateway's answer.
    out, _ = ok(d, "appointment", "book", n, "--type", "meter", "--start", SUN + " 09:00",
                "--end", SUN + " 10:00", "--proposed", "--json")
    b = json.loads(out)
    eq((b["appointment"]["status"], b["warnings"]), ("proposed", []), "book --proposed --json")
    pid = b["appointment"]["id"]
    out, _ = ok(d, "appointment", "confirm", n, str(pid))
    eq(appts(d, n)[pid]["status"], "confirmed", "status after appointment confirm")
    check("appointment %d confirmed" % pid in out, "confirm output: %r" % out)


@test
def refused_window_exits_1_with_the_gateways_message(env):
    d = env.daemon()
    d.add_areas()
    n = new_case(d)
    for start, end, field in ((SAT + " 14:00", SAT + " 13:00", "end"),
                              ("2026-11-23 09:00", SAT + " 10:00", "start"),
                              (SAT + " 21:00", SAT + " 22:00", None)):
        code, out, err = cli(d, "appointment", "book", n, "--type", "temperature",
                             "--start", start, "--end", end)
        eq(code, 1, "exit code of the window %s-%s (stdout %r)" % (start, end, out))
        st, b = d.post("/api/v1/cases/%s/appointments" % n,
                       {"type": "temperature", "start": start.replace(" ", "T") + ":00+08:00",
                        "end": end.replace(" ", "T") + ":00+08:00"}, key="agent")
        eq(st, 400, "the same window through the API")
        if field:
            eq(b["error"]["field"], field, "the field the API names")
        check(b["error"]["message"] in err,
              "the gateway's message %r is not in stderr %r" % (b["error"]["message"], err))
    code, out, err = cli(d, "appointment", "book", n, "--type", "nosuchtype", "--start",
                         SAT + " 14:00", "--end", SAT + " 16:00")
    eq(code, 1, "an unknown type is the gateway's refusal")
    check("type" in err, "the gateway's message about the type: %r" % err)
    # Mistakes of the command line are exit 2, before anything is sent.
    for args in (("--start", SAT + " 14:00", "--end", SAT + " 16:00"),
                 ("--type", "repair", "--start", SAT + " 14:00"),
                 ("--type", "repair", "--start", "28.11.2026 14:00", "--end", SAT + " 16:00"),
                 ("--type", "repair", "--type", "meter", "--start", SAT + " 14:00",
                  "--end", SAT + " 16:00")):
        code, out, err = cli(d, "appointment", "book", n, *args)
        eq(code, 2, "exit code of book %s (stderr %r)" % (" ".join(args), err))
        check("usage:" in err, "usage missing after book %s: %r" % (" ".join(args), err))
    code, out, err = cli(d, "appointment", "cancel", n, "x1")
    eq(code, 2, "an appointment id that is not a number (stderr %r)" % err)
    eq(api_case(d, n)["appointments"], [], "nothing was booked")


@test
def overlap_is_warned_on_stderr(env):
    d = env.daemon()
    d.add_areas()
    a = new_case(d, 1)
    b = new_case(d, 2)
    book(d, a, SAT + " 14:00", SAT + " 16:00", "--technician", "李师傅")
    bid, out, err = book(d, b, SAT + " 15:00", SAT + " 17:00", "--technician", "李师傅")
    check(re.search(r"^warning: .*李师傅", err, re.M), "the overlap warning: %r" % err)
    check("warning" not in out, "warnings stay off stdout: %r" % out)
    eq(appts(d, b)[bid]["status"], "confirmed", "an overlap is booked all the same")


@test
def move_cancel_and_missed(env):
    d = env.daemon()
    d.add_areas()
    n = new_case(d)
    aid, _, _ = book(d, n, SAT + " 14:00", SAT + " 16:00")
    bid, _, _ = book(d, n, SAT + " 17:00", SAT + " 18:00")
    out, _ = ok(d, "appointment", "move", n, str(aid), "--start", SUN + " 09:00", "--end",
                SUN + " 11:00", "--version", "1", "--note", "住户周六不在家")
    a = appts(d, n)[aid]
    eq((a["status"], a["version"]), ("rescheduled", 2), "status and version after the move")
    eq((a["start_at"], a["end_at"]), (SUN + "T09:00:00+08:00", SUN + "T11:00:00+08:00"),
       "the new window")
    check("appointment %d rescheduled" % aid in out and SUN + " 09:00-11:00" in out,
          "move output: %r" % out)
    # A stale version is refused, and nothing changes.
    code, out, err = cli(d, "appointment", "cancel", n, str(aid), "--version", "1")
    eq(code, 1, "exit code with a stale --version (stdout %r)" % out)
    check("version 1" in err, "version conflict message: %r" % err)
    eq(appts(d, n)[aid]["status"], "rescheduled", "status after the version conflict")
    code, out, err = cli(d, "appointment", "move", n, str(aid), "--start", SUN + " 09:00")
    eq(code, 2, "move without --end (stderr %r)" % err)
    code, out, err = cli(d, "appointment", "cancel", n, str(aid), "--start", SUN + " 09:00")
    eq(code, 2, "cancel takes no window (stderr %r)" % err)
    ok(d, "appointment", "cancel", n, str(bid), "--note", "重复预约")
    out, _ = ok(d, "appointment", "missed", n, str(aid))
    check("appointment %d missed" % aid in out, "missed output: %r" % out)
    got = {i: x["status"] for i, x in appts(d, n).items()}
    eq(got, {aid: "missed", bid: "cancelled"}, "the appointments after cancel and missed")
    code, out, err = cli(d, "appointment", "done", n, str(aid))
    eq(code, 1, "a missed appointment cannot change (stdout %r)" % out)
    check("missed" in err, "the gateway's reason: %r" % err)
    code, out, err = cli(d, "appointment", "done", n, "999")
    eq(code, 1, "an unknown appointment id")
    out, _ = ok(d, "case", "show", n)
    check(re.search(r"#%d .*missed" % aid, out) and re.search(r"#%d .*cancelled" % bid, out),
          "case show lists both with their status: %r" % out)


@test
def empty_phone_list_and_answer_without_survey(env):
    d = env.daemon()
    d.add_areas()
    n = new_case(d)
    out, err = ok(d, "visits", "tasks")
    lines = out.splitlines()
    eq(len(lines), 1, "only the header for an empty list: %r" % out)
    check(TASKS_HEADER.match(lines[0]), "the header: %r" % lines[0])
    eq(json.loads(ok(d, "visits", "tasks", "--json")[0])["tasks"], [], "tasks --json")
    code, out, err = cli(d, "visits", "answer", n, "1")
    eq(code, 1, "answer on a case with no survey (stdout %r)" % out)
    st, b = d.post("/api/v1/cases/%s/survey" % n, {"answer": "1"}, key="agent")
    eq(st, 409, "the same answer through the API")
    check(b["error"]["message"] in err, "the gateway's message in %r" % err)
    eq(api_case(d, n)["state"], "dispatched", "the case did not change")
    code, out, err = cli(d, "visits", "tasks", "--csv", env.path("t.csv"), "--json")
    eq(code, 2, "--csv with --json")
    code, out, err = cli(d, "visits", "answer", n)
    eq(code, 2, "answer without the answer")


@test
def unanswered_survey_on_the_phone_list_then_answered(env):
    d = env.daemon()
    d.add_areas()
    n = new_case(d, 1)
    other = new_case(d, 2)
    d.ok("POST", "/api/v1/cases/%s/transitions" % n, {"action": "resolve", "note": "已修复"},
         key="agent")
    # The next working day at 10:00 the survey goes out; two working days later nobody has
    # answered, and the case goes on the phone-visit list.
    restart(d, local_ts(day_offset=1, hour=10, second=1))
    wait_until(lambda: api_case(d, n)["surveys"][0]["state"] == "sent", 15, "the survey sent")
    restart(d, local_ts(day_offset=4, hour=9))
    wait_until(lambda: d.ok("GET", "/api/v1/visit-tasks", key="agent")["tasks"], 15,
               "the phone-visit list")
    task = d.ok("GET", "/api/v1/visit-tasks", key="agent")["tasks"][0]
    out, err = ok(d, "visits", "tasks")
    lines = out.splitlines()
    check(TASKS_HEADER.match(lines[0]), "the header: %r" % out)
    eq(len(lines), 2, "one case on the list: %r" % out)
    due = task["answer_due"][:10] + " " + task["answer_due"][11:16]
    check(re.match(r"%s\s+%s\s+王五\s+repair\s+%s\s+%s$" %
                   (n, mobile(1), re.escape(task["department"]), due), lines[1]),
          "the row of %s: %r" % (n, lines[1]))
    check(other not in out, "a case without a survey is not listed")
    check("1 return visit" in err, "the count on stderr: %r" % err)
    csv_path = env.path("tasks.csv")
    out, _ = ok(d, "visits", "tasks", "--csv", csv_path)
    check(csv_path in out, "tasks --csv output: %r" % out)
    with open(csv_path, "rb") as fh:
        data = fh.read()
    check(data.startswith(BOM), "the CSV does not start with the UTF-8 BOM: %r" % data[:20])
    text = data.decode("utf-8")
    check(n in text and mobile(1) in text, "the case and the number to call in %r" % text)
    out, _ = ok(d, "case", "show", n)
    check(re.search(r"return visits:\n\s+round 0\s+phone\s+sent", out),
          "case show lists the unanswered survey: %r" % out)
    out, _ = ok(d, "visits", "answer", n, "1")
    c = api_case(d, n)
    eq((c["state"], c["satisfaction"]), ("visited", "satisfied"), "the agent's answer closes it")
    check(re.search(r"answered satisfied; visited \(%s\), version %d" %
                    (re.escape(c["state_label"]), c["version"]), out), "answer output: %r" % out)
    eq(d.ok("GET", "/api/v1/visit-tasks", key="agent")["tasks"], [], "the list is empty")
    eq(len(ok(d, "visits", "tasks")[0].splitlines()), 1, "visits tasks after the answer")
    code, out, err = cli(d, "visits", "answer", n, "1")
    eq(code, 1, "a second answer: no survey waits any more (stdout %r)" % out)


if __name__ == "__main__":
    gwtest.check_binaries()
    gwtest.run()
