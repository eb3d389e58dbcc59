"""Integration tests of appointments and return visits: the real gatewayd with the fake
Alibaba SMS service (fakecloud.py) for the resident's messages and replies (SmsUp pushes),
FakeWeCom for the department's group, and the daemon restarted on a later clock so that the
watch sends what is due. The full loop resolved -> survey -> 不满意 -> reopened -> resolved
-> survey -> 满意 -> closed through the reply callback; unanswered surveys on the phone-visit
list (JSON and CSV) and answered by an agent; the survey answered in two taps on the
tracking page; appointments booked inside the type's hours, confirmed, reminded the evening
before and an hour before, moved (no stale reminder) and missed (re-appointment notice).
Run from the repo root: python3 tests/integration/test_visits.py [NAME-FILTER]"""

import datetime
import os
import sys
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import *  # noqa: E402,F401,F403
import gwtest  # noqa: E402
import fakecloud as fc  # noqa: E402

MON = datetime.date(2026, 11, 23)  # a Monday; 11-28 is a Saturday


def setup(env, clock=None):
    wecom = fc.FakeWeCom(keys=("keyPipe-0001", "keyLead-0002"), per_minute=20)
    env.fakes.append(wecom)
    wecom.start()
    robots = {"robot_pipe": {"type": "wecom", "channel": "staff", "endpoint": wecom.url,
                             "secret": "keyPipe-0001"},
              "robot_leaders": {"type": "wecom", "channel": "staff", "endpoint": wecom.url,
                                "secret": "keyLead-0002"}}
    ov = {"staff": {"robots": "pipe:robot_pipe, leaders:robot_leaders"},
          "routing": {"notices": "sms", "emergency": "sms"}}
    for name, sec in robots.items():
        ov["provider." + name] = sec
    cl = fc.Cloud(env, sms=("ali",), overrides=ov, start=False)
    cl.d.start(clock=clock or local_ts(day=MON, hour=9))
    rs = cl.people(2)
    return cl, wecom, rs


def new_case(cl, r, **extra):
    body = {"source": "phone", "kind": "repair", "category": "leak", "content": "暖气不热",
            "complainant": {"name": "王五", "mobile": r["mobile"], "account": r["account"]},
            "area": fc.B3, "accept": True, "dispatch": True}
    body.update(extra)
    return cl.d.ok("POST", "/api/v1/cases", body, expect=201, key="agent")


def move(cl, number, action, **fields):
    return cl.d.ok("POST", "/api/v1/cases/%s/transitions" % number,
                   dict(fields, action=action), expect=200, key="agent")


def sms_texts(cl, phone):
    out = []
    for x in cl.ali.snapshot():
        q = dict(x.req.query())
        q.update(dict(urllib.parse.parse_qsl(x.req.body.decode("utf-8", "replace"))))
        if phone in q.get("PhoneNumbers", ""):
            out.append((q.get("TemplateCode"), q.get("TemplateParam", "")))
    return out


def wait_template(cl, phone, kind, n=1, timeout=15):
    code = fc.ALI_TEMPLATES[kind]
    wait_until(lambda: sum(c == code for c, _ in sms_texts(cl, phone)) >= n, timeout,
               "%d %s SMS to %s (got %s)" % (n, kind, phone, sms_texts(cl, phone)))


def reply(cl, phone, text):
    st, b = fc.post(cl.callback("ali", "replies"), [cl.ali.sms_up(phone, text)])
    eq(st, 200, "SmsUp push of %r" % text)


def restart_at(cl, ts):
    cl.d.term()
    cl.d.start(clock=ts)


def case(cl, number):
    return cl.d.ok("GET", "/api/v1/cases/" + number, key="agent")


@test
def full_loop_until_the_customer_is_satisfied(env):
    cl, wecom, rs = setup(env)
    r = rs[0]
    c = new_case(cl, r)
    n = c["number"]
    move(cl, n, "start")
    v = move(cl, n, "resolve", note="更换暖气阀门")
    eq(v["surveys"][0]["state"], "scheduled", "a survey is scheduled at resolution")
    eq(v["surveys"][0]["send_at"], "2026-11-24T10:00:00+08:00", "next working day 10:00")
    restart_at(cl, local_ts(day=MON, hour=10, minute=0, second=1, day_offset=1))
    wait_template(cl, r["mobile"], "survey")
    reply(cl, r["mobile"], "３ 不满意，还是不热")
    v = case(cl, n)
    eq(v["state"], "reopened", "不满意 reopens the case")
    eq(v["satisfaction"], "unsatisfied", "satisfaction recorded")
    wait_until(lambda: any("回访不满意" in x.req.json()["markdown"]["content"]
                           for x in wecom.snapshot(code=0)), 15, "the department is alerted")
    reply(cl, r["mobile"], "3")  # the same answer again: kept, changes nothing
    eq(case(cl, n)["state"], "reopened", "a second reply changes nothing")
    move(cl, n, "dispatch")
    v = move(cl, n, "resolve", note="更换散热器")
    eq([s["round"] for s in v["surveys"]], [1, 0], "a new round after the next resolution")
    restart_at(cl, local_ts(day=MON, hour=10, minute=0, second=1, day_offset=2))
    wait_template(cl, r["mobile"], "survey", n=2)
    reply(cl, r["mobile"], "满意，谢谢师傅")
    v = case(cl, n)
    eq((v["state"], v["satisfaction"]), ("visited", "satisfied"), "满意 closes the case")
    outcomes = [x["outcome"] for x in v["replies"]]
    check("survey:unsatisfied" in outcomes and "survey:satisfied" in outcomes,
          "the replies are kept with their outcome: %s" % outcomes)
    check("after answer" in outcomes, "the repeated reply is kept as such: %s" % outcomes)
    reply(cl, r["mobile"], "谢谢")  # after the close: kept for staff, no error
    eq(case(cl, n)["replies"][0]["outcome"], "after answer", "a reply after the close")


@test
def unparsed_replies_are_kept_and_unanswered_surveys_go_to_the_phone_list(env):
    cl, _, rs = setup(env)
    r = rs[0]
    n = new_case(cl, r)["number"]
    move(cl, n, "resolve", note="已修复")
    restart_at(cl, local_ts(day=MON, hour=10, second=1, day_offset=1))
    wait_template(cl, r["mobile"], "survey")
    reply(cl, r["mobile"], "你们什么时候再来看看")
    v = case(cl, n)
    eq(v["replies"][0]["outcome"], "unparsed", "an unreadable reply is kept for staff")
    eq(v["state"], "resolved", "and changes nothing")
    reply(cl, rs[1]["mobile"], "1")  # a number with no survey: stored, no error
    # Two working days later without an answer: the phone-visit list.
    restart_at(cl, local_ts(day=MON, hour=9, day_offset=4))
    wait_until(lambda: cl.d.ok("GET", "/api/v1/visit-tasks", key="agent")["tasks"], 15,
               "the phone-visit list")
    tasks = cl.d.ok("GET", "/api/v1/visit-tasks", key="agent")["tasks"]
    eq([t["number"] for t in tasks], [n], "the case is on the list")
    eq(tasks[0]["mobile"], r["mobile"], "with the number to call")
    st, csv = cl.d.get("/api/v1/visit-tasks?format=csv", key="agent")
    eq(st, 200, "CSV")
    check(csv.startswith("\ufeff") and n in csv, "CSV with a BOM and the case")
    v = cl.d.ok("POST", "/api/v1/cases/%s/survey" % n, {"answer": "2"}, key="agent")
    eq((v["state"], v["satisfaction"]), ("visited", "basically"), "the agent's call closes it")
    eq(cl.d.ok("GET", "/api/v1/visit-tasks", key="agent")["tasks"], [], "the list is empty")
    st, b = cl.d.post("/api/v1/cases/%s/survey" % n, {"answer": "1"}, key="agent")
    eq(st, 409, "no survey waits any more")


@test
def a_survey_of_a_case_reopened_meanwhile_is_not_sent(env):
    cl, _, rs = setup(env)
    r = rs[0]
    n = new_case(cl, r)["number"]
    move(cl, n, "resolve", note="已修复")
    move(cl, n, "reopen", note="用户来电：仍然漏水")
    restart_at(cl, local_ts(day=MON, hour=10, second=1, day_offset=1))
    wait_until(lambda: case(cl, n)["surveys"][0]["state"] == "cancelled", 15,
               "the survey of the reopened round is cancelled")
    eq([c for c, _ in sms_texts(cl, r["mobile"]) if c == fc.ALI_TEMPLATES["survey"]], [],
       "no survey SMS")


@test
def survey_answered_in_two_taps_on_the_tracking_page(env):
    cl, _, rs = setup(env)
    c = new_case(cl, rs[0])
    move(cl, c["number"], "resolve", note="已修复")
    restart_at(cl, local_ts(day=MON, hour=10, second=1, day_offset=1))
    tok = c["tracking_url"].rsplit("/t/", 1)[1]
    wait_until(lambda: "服务评价" in cl.d.get("/t/" + tok, key=None)[1], 15, "the survey form")
    page = cl.d.get("/t/" + tok, key=None)[1]
    check('action="/t/%s/survey"' % tok in page and 'value="3"' in page, "three buttons")
    st, done = cl.d.post("/t/%s/survey" % tok, "answer=1", key=None,
                         content_type="application/x-www-form-urlencoded")
    eq(st, 200, "the tap")
    check("感谢" in done, "thanked")
    eq(case(cl, c["number"])["state"], "visited", "closed by the tap")
    st, _ = cl.d.post("/t/%s/survey" % tok, "answer=1", key=None,
                      content_type="application/x-www-form-urlencoded")
    eq(st, 409, "a second tap")
    st, _ = cl.d.post("/t/%s/survey" % ("A" * 24), "answer=1", key=None,
                      content_type="application/x-www-form-urlencoded")
    eq(st, 404, "unknown token")


@test
def appointment_booked_reminded_moved_and_missed(env):
    cl, wecom, rs = setup(env, clock=local_ts(day=MON, hour=10, day_offset=3))  # Thursday
    r = rs[0]
    c = new_case(cl, r, category="no_heat")
    n = c["number"]
    sat = lambda h, m=0: iso(local_ts(day=MON, day_offset=5, hour=h, minute=m))  # noqa: E731
    for start, end, field in ((sat(14), sat(13), "end"), (sat(20), sat(22), "end"),
                              (iso(local_ts(day=MON, hour=9)), sat(10), "start")):
        st, b = cl.d.post("/api/v1/cases/%s/appointments" % n,
                          {"type": "temperature", "start": start, "end": end}, key="agent")
        eq((st, b["error"]["field"]), (400, field), "refused window %s-%s" % (start, end))
    a = cl.d.ok("POST", "/api/v1/cases/%s/appointments" % n,
                {"type": "temperature", "start": sat(14), "end": sat(16),
                 "technician": "李师傅"}, expect=201, key="agent")["appointment"]
    wait_template(cl, r["mobile"], "appt_confirmed")
    b = cl.d.ok("POST", "/api/v1/cases/%s/appointments" % n,
                {"type": "temperature", "start": sat(15), "end": sat(17),
                 "technician": "李师傅"}, expect=201, key="agent")
    check(b["warnings"] and "李师傅" in b["warnings"][0], "an overlap is warned: %s" % b)
    cl.d.ok("POST", "/api/v1/cases/%s/appointments/%d" % (n, b["appointment"]["id"]),
            {"action": "cancel"}, key="agent")
    # Moved to Sunday before any reminder went: Friday 19:00 reminds of nothing.
    sun = lambda h: iso(local_ts(day=MON, day_offset=6, hour=h))  # noqa: E731
    m = cl.d.ok("POST", "/api/v1/cases/%s/appointments/%d" % (n, a["id"]),
                {"action": "reschedule", "start": sun(9), "end": sun(11)}, key="agent")
    eq(m["status"], "rescheduled", "moved")
    wait_template(cl, r["mobile"], "appt_moved")
    restart_at(cl, local_ts(day=MON, day_offset=4, hour=19, second=5))  # Friday 19:00
    restart_at(cl, local_ts(day=MON, day_offset=5, hour=19, second=5))  # Saturday 19:00
    wait_template(cl, r["mobile"], "appt_reminder")
    restart_at(cl, local_ts(day=MON, day_offset=6, hour=8, second=5))  # Sunday 08:00
    wait_template(cl, r["mobile"], "appt_reminder", n=2)
    eq(sum(code == fc.ALI_TEMPLATES["appt_reminder"] for code, _ in sms_texts(cl, r["mobile"])),
       2, "two reminders, none for the old Saturday window")
    tok = c["tracking_url"].rsplit("/t/", 1)[1]
    page = cl.d.get("/t/" + tok, key=None)[1]
    check("上门预约" in page and 'value="confirm"' in page, "the visit on the page: %s" % page)
    st, done = cl.d.post("/t/%s/appointment" % tok, "action=confirm", key=None,
                         content_type="application/x-www-form-urlencoded")
    eq(st, 200, "confirmed on the page")
    eq({x["id"]: x["status"] for x in case(cl, n)["appointments"]}[a["id"]], "confirmed",
       "the page's confirmation")
    reply(cl, r["mobile"], "2 改个时间")
    wait_until(lambda: any("改约" in x.req.json()["markdown"]["content"]
                           for x in wecom.snapshot(code=0)), 15, "the request reaches the group")
    cl.d.ok("POST", "/api/v1/cases/%s/appointments/%d" % (n, a["id"]), {"action": "missed"},
            key="agent")
    wait_template(cl, r["mobile"], "appt_missed")
    appts = {x["id"]: x["status"] for x in case(cl, n)["appointments"]}
    eq(appts, {a["id"]: "missed", b["appointment"]["id"]: "cancelled"}, "the appointments")


if __name__ == "__main__":
    gwtest.check_binaries()
    run()
