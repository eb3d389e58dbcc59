"""Integration tests of what the cloud SMS providers push back to gatewayd: delivery receipts
(Alibaba SmsReport, Tencent status callbacks) arriving after the send is recorded, before it
(pushed from inside the provider's SendSms answer), twice, with a wrong token, as garbage or
too large; and residents' replies (Alibaba SmsUp, Tencent reply callbacks): "TD" opts the
resident out of SMS for planned notices but not for emergencies, a full-width "１" is only
stored. Fakes: fakecloud.py. Run from the repo root:
python3 tests/integration/test_channels_inbound.py [NAME-FILTER]"""

import json
import os
import sqlite3
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import *  # noqa: E402,F401,F403
import gwtest  # noqa: E402
import fakecloud as fc  # noqa: E402

B3 = building(3)
FAST = {"retry_base_ms": 100, "retry_max_ms": 1000, "max_attempts": 8}


def sent_notice(env, n_residents, sms=("ali",), **kw):
    cl = fc.Cloud(env, sms=sms, delivery=FAST, **kw)
    rs = cl.people(n_residents)
    n = cl.planned()
    got = cl.d.wait_done(n["id"], timeout=20)
    eq(got["progress"].get("sent"), n_residents, "sent (%s)" % got["progress"])
    return cl, rs, n["id"]


def push_ok(status_body, what):
    st, b = status_body
    eq(st, 200, "%s: status (body %s)" % (what, short(b)))
    return b


def ali_answer_ok(b, what):
    check(isinstance(b, dict) and isinstance(b.get("code"), int),
          "%s: Alibaba needs {\"code\": <number>, ...}, got %s" % (what, short(b)))


@test
def aliyun_receipts_after_send(env):
    cl, rs, nid = sent_notice(env, 3)
    ok, bad = cl.ali.send_for(rs[0]["mobile"]), cl.ali.send_for(rs[1]["mobile"])
    items = [cl.ali.report(ok), cl.ali.report(bad, success=False, err_code="MK:0005",
                                              err_msg="空号")]
    b = push_ok(cl.ali.push_reports(cl.callback("ali"), items), "SmsReport push")
    ali_answer_ok(b, "SmsReport answer")
    got = cl.d.get_notice(nid)
    p = got["progress"]
    eq((p.get("delivered"), p.get("failed"), p.get("sent")), (1, 1, 1),
       "delivered/failed/sent after the receipts (%s)" % p)
    fails = got.get("failures") or []
    check(any("MK:0005" in f.get("reason", "") for f in fails),
          "the carrier code in the failures: %s" % fails)
    h = cl.history(rs[1])["messages"][0]
    eq(h.get("state"), "failed", "history of the failed one")
    check("MK:0005" in (h.get("reason") or ""), "its reason: %s" % h)
    eq(cl.history(rs[0])["messages"][0].get("state"), "delivered", "history, delivered")
    cl.no_client_errors(cl.ali)


@test
def aliyun_receipt_before_send_is_recorded(env):
    cl = fc.Cloud(env, sms=("ali",), delivery=FAST)
    pushed = []

    def push_first(fake, sends):
        pushed.append(fake.push_reports(cl.callback("ali"), [fake.report(s) for s in sends]))
    cl.ali.on_send = push_first
    rs = cl.people(3)
    n = cl.planned()
    cl.d.wait_progress(n["id"], lambda p: p.get("delivered", 0) == 3, 20,
                       "three delivered (receipts pushed before SendSms was answered)")
    eq([st for st, _ in pushed], [200] * len(pushed), "answers to the early pushes (%s)" %
       pushed)
    for _, b in pushed:
        ali_answer_ok(b, "early SmsReport answer")
    cl.no_client_errors(cl.ali)


@test
def duplicated_receipts_counted_once(env):
    cl, rs, nid = sent_notice(env, 2)
    item = cl.ali.report(cl.ali.send_for(rs[0]["mobile"]))
    push_ok(cl.ali.push_reports(cl.callback("ali"), [item, item]), "a push with a repeat")
    push_ok(cl.ali.push_reports(cl.callback("ali"), [item]), "the same push again")
    p = cl.d.progress(nid)
    eq((p.get("delivered"), p.get("sent")), (1, 1), "delivered/sent (%s)" % p)
    # A late failure report for a delivered message does not move it back.
    late = cl.ali.report(cl.ali.send_for(rs[0]["mobile"]), success=False, err_code="MK:0001")
    push_ok(cl.ali.push_reports(cl.callback("ali"), [late]), "a contradicting repeat")
    eq(cl.d.progress(nid).get("delivered"), 1, "delivered after a contradicting report")


@test
def receipts_with_wrong_token(env):
    cl, rs, nid = sent_notice(env, 2, sms=("ali", "tc"))
    item = cl.ali.report(cl.ali.send_for(rs[0]["mobile"]))
    for tok in ("tok2", "", "TOK1", "tok1x"):
        st, b = fc.post(cl.callback("ali", token=tok), [item])
        eq(st, 403, "token %r (answer %s)" % (tok, short(b)))
    st, b = fc.post(cl.callback("tc", token="tok1"), [item])
    eq(st, 403, "Alibaba's token on Tencent's URL (answer %s)" % short(b))
    st, b = fc.post("http://127.0.0.1:%d/callbacks/ali/receipts" % cl.d.port, [item])
    eq(st, 403, "no token at all (answer %s)" % short(b))
    p = cl.d.progress(nid)
    eq((p.get("delivered", 0), p.get("sent")), (0, 2), "progress unchanged (%s)" % p)
    st, b = fc.post("http://127.0.0.1:%d/callbacks/nobody/receipts?token=tok1" % cl.d.port,
                    [item])
    check(st in (403, 404), "an unknown provider: %d %s" % (st, short(b)))


@test
def garbage_and_huge_receipts(env):
    cl, rs, nid = sent_notice(env, 2, overrides={"server": {"max_body": "64K"}})
    url = cl.callback("ali")
    wrong = []
    garbage = [b"", b"not json", b"{\"phone_number\": 1}", b"\xff\xfe[]", b"[" * 5000,
               b"[1, 2, 3]", b"[\"a\"]", b"[{}]", b"[{\"success\": \"maybe\"}]",
               # SmsUp replies pushed to the receipts URL (a console misconfiguration): if
               # taken with 200 the residents' replies, opt-outs included, are lost silently.
               json.dumps([cl.ali.sms_up(rs[0]["mobile"], "TD")]).encode()]
    for body in garbage:
        st, b = fc.post(url, body)
        if st != 400:
            wrong.append("%r -> %d %s" % (body[:60], st, short(b)))
    item = cl.ali.report(cl.ali.send_for(rs[0]["mobile"]))
    huge = json.dumps([item] * 600).encode()
    check(len(huge) > 64 * 1024, "the huge body is %d bytes" % len(huge))
    st, b = fc.post(url, huge)
    eq(st, 413, "a %d-byte push (answer %s)" % (len(huge), short(b)))
    eq(cl.d.progress(nid).get("delivered", 0), 0, "nothing applied")
    push_ok(cl.ali.push_reports(url, [item, {"biz_id": 7}]), "a good receipt beside a bad one")
    eq(cl.d.progress(nid).get("delivered"), 1, "the good receipt applied")
    p = cl.d.get_notice(nid)
    eq(p["progress"].get("sent"), 1, "the other message untouched (%s)" % p["progress"])
    check(not wrong, "pushes with no receipt in them must be refused with 400 (Alibaba then "
          "shows the failure and re-pushes), got: %s" % "; ".join(wrong))


@test
def tencent_status_callback(env):
    cl, rs, nid = sent_notice(env, 3, sms=("tc",))
    s0, s1 = cl.tc.send_for(rs[0]["mobile"]), cl.tc.send_for(rs[1]["mobile"])
    items = [cl.tc.status(s0), cl.tc.status(s1, success=False, errmsg="MI:0013",
                                            description="用户停机")]
    b = push_ok(cl.tc.push_status(cl.callback("tc"), items), "status push")
    eq(b.get("result") if isinstance(b, dict) else b, 0, "Tencent's expected answer")
    push_ok(cl.tc.push_status(cl.callback("tc"), items[:1]), "a repeat")
    got = cl.d.get_notice(nid)
    p = got["progress"]
    eq((p.get("delivered"), p.get("failed"), p.get("sent")), (1, 1, 1), "progress (%s)" % p)
    check(any("MI:0013" in f.get("reason", "") for f in got.get("failures") or []),
          "failures %s" % got.get("failures"))
    st, _ = fc.post(cl.callback("tc", token="tok1"), items)
    eq(st, 403, "Tencent push with Alibaba's token")
    cl.no_client_errors(cl.tc)


def inbound_rows(env, phone):
    db = sqlite3.connect("file:%s?mode=ro" % env.path("gw.db"), uri=True, timeout=5)
    try:
        return db.execute("SELECT text, action FROM inbound WHERE phone = ?",
                          (phone,)).fetchall()
    finally:
        db.close()


@test
def opt_out_by_reply(env):
    cl = fc.Cloud(env, sms=("ali",), delivery=FAST)
    rs = cl.people(3)
    td, one = rs[0], rs[1]
    b = push_ok(cl.ali.push_sms_up(cl.callback("ali", "replies"),
                                   [cl.ali.sms_up(td["mobile"], "TD")]), "SmsUp push")
    ali_answer_ok(b, "SmsUp answer")
    push_ok(cl.ali.push_sms_up(cl.callback("ali", "replies"),
                               [cl.ali.sms_up(one["mobile"], "１")]), "SmsUp '１'")
    got = cl.d.ok("GET", "/api/v1/residents/%s" % td["account"], expect=200)
    eq(got["opt_out"].get("sms"), True, "opt_out.sms after replying TD")
    eq(got["opt_out"].get("wechat"), False, "opt_out.wechat untouched")
    got = cl.d.ok("GET", "/api/v1/residents/%s" % one["account"], expect=200)
    eq(got["opt_out"].get("sms"), False, "opt_out.sms after replying a full-width 1")
    eq([t for t, _ in inbound_rows(env, one["mobile"])], ["１"], "the reply '１' is stored")
    n = cl.planned()
    got = cl.d.wait_done(n["id"], timeout=20)
    eq((got["progress"].get("sent"), got["progress"].get("skipped")), (2, 1),
       "sent/skipped of a planned notice (%s)" % got["progress"])
    check(any("opted out" in s.get("reason", "") for s in got.get("skips") or []),
          "skip reasons %s" % got.get("skips"))
    eq(sorted(cl.ali.phones()), sorted([one["mobile"], rs[2]["mobile"]]), "planned SMS to")
    n2 = cl.emergency()
    got = cl.d.wait_done(n2["id"], timeout=20)
    eq(got["progress"].get("sent"), 3, "an emergency reaches everyone (%s)" % got["progress"])
    check(td["mobile"] in cl.ali.phones(), "the opted-out resident got the emergency")
    cl.no_client_errors(cl.ali)


@test
def tencent_reply_opts_out(env):
    cl = fc.Cloud(env, sms=("tc",), delivery=FAST)
    rs = cl.people(2)
    b = push_ok(cl.tc.push_reply(cl.callback("tc", "replies"),
                                 cl.tc.reply(rs[0]["mobile"], "退订")), "reply push")
    eq(b.get("result") if isinstance(b, dict) else b, 0, "Tencent's expected answer")
    got = cl.d.ok("GET", "/api/v1/residents/%s" % rs[0]["account"], expect=200)
    eq(got["opt_out"].get("sms"), True, "opt_out.sms after replying 退订")
    st, _ = fc.post(cl.callback("tc", "replies", token="nope"), cl.tc.reply(rs[1]["mobile"],
                                                                           "TD"))
    eq(st, 403, "reply with a wrong token")
    got = cl.d.ok("GET", "/api/v1/residents/%s" % rs[1]["account"], expect=200)
    eq(got["opt_out"].get("sms"), False, "no opt-out from a refused push")


if __name__ == "__main__":
    gwtest.check_binaries()
    run()
