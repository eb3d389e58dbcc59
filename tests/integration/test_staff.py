"""Integration tests of staff alerts: the real gatewayd sending to two departments' WeCom
group robots on a FakeWeCom (fakecloud.py, which refuses more than per_minute messages a
minute per robot with errcode 45009, as WeCom does). With [staff] per_minute = 3 a burst of
alerts is merged into at most 3 messages a minute, every alert reaching its robot exactly
once; a robot whose minute is full holds its alerts while the other department's go at
once; permanent refusals fail the alerts, passing ones keep them waiting; the API checks
department, text and roles. per_minute is small so that no test waits for a whole minute.
Run from the repo root: python3 tests/integration/test_staff.py [NAME-FILTER]"""

import collections
import os
import re
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import *  # noqa: E402,F401,F403
import gwtest  # noqa: E402
import fakecloud as fc  # noqa: E402

PER_MINUTE = 3
KEYS = {"repair": "keyRepair-0001", "billing": "keyBilling-0002"}
MARK_RE = re.compile(r"\[([A-Z][0-9]{2})\]")


def robot(url, key):
    return {"type": "wecom", "channel": "staff", "endpoint": url, "secret": key,
            "timeout_ms": 2000}


def fake_wecom(env, keys=tuple(KEYS.values())):
    wecom = fc.FakeWeCom(keys=keys, per_minute=PER_MINUTE)
    env.fakes.append(wecom)
    return wecom.start()


def setup(env, wecom=None, robots=None):
    """A FakeWeCom (taking KEYS unless given) and a gatewayd whose departments' robots point
    at it. robots: {department: provider section}; default repair and billing on the fake."""
    wecom = wecom or fake_wecom(env)
    robots = robots or {dept: robot(wecom.url, key) for dept, key in KEYS.items()}
    providers = collections.OrderedDict(
        sms=gwtest.file_provider("sms", env.path("sms.out")),
        wechat=gwtest.file_provider("wechat", env.path("wechat.out")))
    pairs = []
    for dept, section in robots.items():
        providers["robot_" + dept] = section
        pairs.append("%s:robot_%s" % (dept, dept))
    d = env.daemon(providers=providers, overrides={
        "staff": {"robots": ", ".join(pairs), "per_minute": PER_MINUTE}})
    return wecom, d


def alert(d, dept, mark, key="dispatcher"):
    """Posts the alert marked [mark]; returns its id."""
    text = "**[%s]** 城东泵站压力异常，请%s值班人员到场处理" % (mark, dept)
    r = d.ok("POST", "/api/v1/staff-alerts", {"department": dept, "text": text},
             expect=201, key=key)
    eq(r.get("department"), dept, "department in the answer")
    eq(r.get("queued"), True, "queued in the answer")
    return r["id"]


def accepted(wecom, dept):
    """[(monotonic time, markdown content)] of the messages the robot of dept took."""
    out = []
    for c in wecom.snapshot(code=0):
        if dict(c.req.query()).get("key") == KEYS[dept]:
            out.append((c.req.t, c.req.json()["markdown"]["content"]))
    return out


def marks(wecom, dept):
    return collections.Counter(m for _, text in accepted(wecom, dept)
                               for m in MARK_RE.findall(text))


def most_in_a_minute(times):
    times = sorted(times)
    return max((sum(1 for u in times if t <= u < t + 60) for t in times), default=0)


def no_refusals(wecom):
    bad = [c for c in wecom.snapshot() if c.code != 0]
    check(not bad, "FakeWeCom refused %d request(s); first: %r" % (len(bad), bad[:1]))


def listing(d, dept):
    return d.ok("GET", "/api/v1/staff-alerts?department=" + dept, expect=200)


@test
def burst_is_merged_within_the_robots_limit(env):
    wecom, d = setup(env)
    a = ["A%02d" % i for i in range(1, 11)]
    b = ["B%02d" % i for i in range(1, 3)]
    for m in a:
        alert(d, "repair", m)
    t_b = time.monotonic()
    for m in b:
        alert(d, "billing", m, key="admin")
    # Normally all ten fit in the robot's first minute; should the posts straddle more turns
    # than that, the rest go when the minute allows, which this waits for.
    wait_until(lambda: set(marks(wecom, "repair")) == set(a), 75, "every repair alert sent")
    wait_until(lambda: set(marks(wecom, "billing")) == set(b), 5, "every billing alert sent")
    no_refusals(wecom)
    for dept, want in (("repair", a), ("billing", b)):
        got = marks(wecom, dept)
        eq(sorted(got.elements()), sorted(want), "alerts in %s's messages" % dept)
        msgs = accepted(wecom, dept)
        check(most_in_a_minute([t for t, _ in msgs]) <= PER_MINUTE,
              "%d messages to %s's robot within a minute" % (len(msgs), dept))
        check(all(text.startswith("**") and "条待处理提醒**" in text for _, text in msgs),
              "merged messages start with the count: %r" % msgs[:1])
    first_b = min(t for t, _ in accepted(wecom, "billing"))
    check(first_b - t_b < 4, "billing's alerts waited %.1f s behind repair's" % (first_b - t_b))
    r = listing(d, "repair")
    eq(r["pending"], 0, "repair alerts pending")
    eq(sorted(x["state"] for x in r["alerts"]), ["sent"] * 10, "states")
    check(all(x["attempts"] == 1 and x["sent_at"] and x["reason"] is None
              for x in r["alerts"]), "sent alerts: %s" % short(r["alerts"][:2]))


@test
def full_minute_holds_alerts_and_the_other_department_goes(env):
    wecom, d = setup(env)
    # Three alerts one after the other: three messages, the robot's minute is full.
    for i in range(1, PER_MINUTE + 1):
        alert(d, "repair", "A%02d" % i)
        wait_until(lambda: len(accepted(wecom, "repair")) == i, 5, "repair message %d" % i)
    held = ["A%02d" % i for i in range(PER_MINUTE + 1, 11)]
    for m in held:
        alert(d, "repair", m)
    t_b = time.monotonic()
    alert(d, "billing", "B01")
    alert(d, "billing", "B02")
    wait_until(lambda: set(marks(wecom, "billing")) == {"B01", "B02"}, 5,
               "billing's alerts while repair's robot is at its limit")
    check(time.monotonic() - t_b < 5, "billing waited for repair")
    time.sleep(2.5)  # two more turns of the sender: repair's robot must still be left alone
    eq(len(accepted(wecom, "repair")), PER_MINUTE, "messages to repair's robot")
    no_refusals(wecom)
    r = listing(d, "repair")
    eq(r["pending"], len(held), "repair alerts waiting for the next minute")
    waiting = [x for x in r["alerts"] if x["state"] == "pending"]
    eq(sorted(MARK_RE.findall(x["text"])[0] for x in waiting), held, "the waiting alerts")
    check(all(x["attempts"] == 0 and x["sent_at"] is None for x in waiting),
          "waiting alerts were not tried: %s" % short(waiting[:2]))
    eq(listing(d, "billing")["pending"], 0, "billing alerts pending")


@test
def refusals_and_bad_requests(env):
    wecom = fake_wecom(env, keys=("keyRepair-0001",))
    down_port = free_port()  # nothing listens there
    _, d = setup(env, wecom, robots={
        "repair": robot(wecom.url, "keyRepair-0001"),
        "gone": robot(wecom.url, "keyRemovedRobot-9999"),
        "down": robot("http://127.0.0.1:%d" % down_port, "keyDown-7777")})
    ok_id = alert(d, "repair", "A01")
    gone_id = alert(d, "gone", "G01")
    down_id = alert(d, "down", "D01")

    def state(dept, aid):
        return next(x for x in listing(d, dept)["alerts"] if x["id"] == aid)
    wait_until(lambda: state("repair", ok_id)["state"] == "sent", 5, "repair's alert sent")
    g = wait_until(lambda: (lambda x: x if x["state"] == "failed" else None)(
        state("gone", gone_id)), 5, "the removed robot's alert failed")
    check("93000" in (g["reason"] or "") and g["failed_at"], "failed alert: %s" % g)
    x = wait_until(lambda: (lambda x: x if x["attempts"] >= 2 else None)(
        state("down", down_id)), 10, "two tries at the robot that is down")
    eq(x["state"], "pending", "an alert whose robot is down")
    check("connection failed" in (x["reason"] or ""), "reason %r" % x["reason"])
    eq(listing(d, "down")["pending"], 1, "alerts waiting for the robot that is down")
    # The API: departments, texts, fields, limits and roles.
    for body, field in (({"department": "nosuch", "text": "x"}, "department"),
                        ({"text": "x"}, "department"),
                        ({"department": "repair", "text": "  "}, "text"),
                        ({"department": "repair", "text": "x" * 2001}, "text"),
                        ({"department": "repair", "text": "停" * 1400}, "text"),
                        ({"department": "repair", "text": 5}, "text"),
                        ({"department": "repair", "text": "x", "to": "all"}, "to")):
        st, r = d.post("/api/v1/staff-alerts", body)
        eq(st, 400, "POST %s" % short(body))
        eq(r["error"]["field"], field, "field of %s" % short(r))
    eq(d.get("/api/v1/staff-alerts?department=nosuch")[0], 400, "GET unknown department")
    eq(d.get("/api/v1/staff-alerts?limit=0")[0], 400, "GET limit=0")
    everything = d.ok("GET", "/api/v1/staff-alerts?limit=2", expect=200)
    eq(everything["department"], None, "department of the whole listing")
    eq(len(everything["alerts"]), 2, "alerts with limit=2")
    eq(d.post("/api/v1/staff-alerts", {"department": "repair", "text": "x"},
              key="agent")[0], 403, "an agent posting")
    eq(d.get("/api/v1/staff-alerts", key="agent")[0], 403, "an agent reading")
    eq(d.post("/api/v1/staff-alerts", {"department": "repair", "text": "x"},
              key=None)[0], 401, "no key")
    log = d.stderr_text()
    for key in ("keyRemovedRobot-9999", "keyDown-7777", "keyRepair-0001"):
        check(key not in log, "a robot's key in the daemon's log")


@test
def staff_alerts_off_without_robots(env):
    d = env.daemon()
    st, r = d.post("/api/v1/staff-alerts", {"department": "repair", "text": "x"})
    eq(st, 400, "POST without [staff] robots")
    check("[staff] robots" in r["error"]["message"], "message %r" % r["error"]["message"])


if __name__ == "__main__":
    gwtest.check_binaries()
    run()
