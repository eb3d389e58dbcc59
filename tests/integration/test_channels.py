"""Integration tests of the cloud providers: the real gatewayd sending through fake Alibaba
Cloud SMS, Tencent Cloud SMS and WeChat servers (fakecloud.py, written from the vendors'
documents): batching up to each API's limit, per-number results, throttling, WeChat token
expiry in the middle of a broadcast, failover between SMS providers with the circuit
breaker, and WeChat-to-SMS fallback. Receipts and replies: test_channels_inbound.py.
Run from the repo root: python3 tests/integration/test_channels.py [NAME-FILTER]"""

import collections
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import *  # noqa: E402,F401,F403
import gwtest  # noqa: E402
import fakecloud as fc  # noqa: E402

B3 = building(3)
FAST = {"retry_base_ms": 100, "retry_max_ms": 1000, "max_attempts": 8}


def mobiles(rs):
    return {r["mobile"] for r in rs}


# ---- batching ----

@test
def aliyun_batches_up_to_1000(env):
    cl = fc.Cloud(env, sms=("ali", "tc"), delivery=FAST)
    rs = cl.people(2500)
    n = cl.planned()
    got = cl.d.wait_done(n["id"], timeout=90)
    cl.no_client_errors(cl.ali, cl.tc)
    eq(got["progress"].get("sent"), 2500, "sent (%s)" % got["progress"])
    calls = cl.ali.requests_ok
    sizes = [len(ph) for _, ph, _ in calls]
    check(all(s <= 1000 for s in sizes), "SendSms sizes %s" % sizes)
    eq(len(calls), 3, "SendSms calls for 2,500 numbers (sizes %s; is a batch capped by "
       "[delivery] claim_batch?)" % sizes)
    exactly_once(cl.ali.phones(), mobiles(rs), "numbers at Alibaba")
    eq(cl.tc.phones(), [], "nothing through Tencent while Alibaba is healthy")
    _, _, p = calls[0]
    eq((p.get("TemplateCode"), p.get("SignName")), ("SMS_1001", fc.SIGN_NAME),
       "template and sign of a planned notice")
    tp = cl.ali.sends[0].template_param
    eq(sorted(tp), sorted(fc.SMS_VARS), "TemplateParam keys")
    eq((tp["reason"], tp["hotline"]), ("主管道更换", "0571-87654321"), "TemplateParam values")
    h = cl.history(rs[0])["messages"][0]
    eq((h.get("state"), h.get("provider")), ("sent", "ali"), "history of a resident")


@test
def tencent_batches_up_to_200(env):
    cl = fc.Cloud(env, sms=("tc",), delivery=FAST)
    rs = cl.people(2500)
    n = cl.planned()
    got = cl.d.wait_done(n["id"], timeout=90)
    cl.no_client_errors(cl.tc)
    eq(got["progress"].get("sent"), 2500, "sent (%s)" % got["progress"])
    sizes = [int(c.note.split()[1]) for c in cl.tc.send_requests()]
    check(all(s <= 200 for s in sizes), "SendSms sizes %s" % sizes)
    eq(len(sizes), 13, "SendSms calls for 2,500 numbers (sizes %s; is a batch capped by "
       "[delivery] claim_batch?)" % sizes)
    exactly_once(cl.tc.phones(), mobiles(rs), "numbers at Tencent")
    s = cl.tc.sends[0]
    eq(s.request.get("TemplateId"), "2001", "TemplateId of a planned notice")
    eq(len(s.params), 5, "TemplateParamSet %s" % s.params)
    eq(s.params[3:], ["主管道更换", "0571-87654321"], "reason and hotline in the parameters")


# ---- per-number results ----

@test
def tencent_partial_success(env):
    cl = fc.Cloud(env, sms=("tc",), delivery=FAST)
    rs = cl.people(4)
    bad = rs[1]["mobile"]
    cl.tc.number_codes[bad] = "InvalidParameterValue.IncorrectPhoneNumber"
    n = cl.planned()
    got = cl.d.wait_done(n["id"], timeout=20)
    cl.no_client_errors(cl.tc)
    p = got["progress"]
    eq((p.get("sent"), p.get("failed")), (3, 1), "sent/failed (%s)" % p)
    fails = got.get("failures") or []
    check(len(fails) == 1 and "IncorrectPhoneNumber" in fails[0].get("reason", ""),
          "failure reasons %s" % fails)
    eq([c for ph, c, _ in cl.tc.results if ph == "+86" + bad],
       ["InvalidParameterValue.IncorrectPhoneNumber"], "tries of the bad number (a permanent "
       "per-number error is not retried)")
    exactly_once(cl.tc.phones(), mobiles(rs) - {bad}, "numbers sent (the good ones not resent)")
    h = cl.history(rs[1])["messages"][0]
    eq(h.get("state"), "failed", "history of the bad number")
    check("IncorrectPhoneNumber" in (h.get("reason") or ""), "its reason: %s" % h)


@test
def tencent_thirty_second_limit(env):
    cl = fc.Cloud(env, sms=("tc",), delivery=FAST)
    rs = cl.people(4)
    slow = rs[2]["mobile"]
    cl.tc.number_once(slow, "LimitExceeded.PhoneNumberThirtySecondLimit")
    n = cl.planned()
    cl.d.wait_progress(n["id"], lambda p: p.get("sent", 0) >= 3, 20, "the other three sent")
    t_others = time.monotonic()
    exactly_once(cl.tc.phones(), mobiles(rs) - {slow}, "numbers sent at first")
    got = cl.d.wait_done(n["id"], timeout=60)
    cl.no_client_errors(cl.tc)
    eq(got["progress"].get("sent"), 4, "sent in the end (%s)" % got["progress"])
    exactly_once(cl.tc.phones(), mobiles(rs), "numbers sent")
    tries = [(c, t) for ph, c, t in cl.tc.results if ph == "+86" + slow]
    eq([c for c, _ in tries], ["LimitExceeded.PhoneNumberThirtySecondLimit", "Ok"],
       "answers for the limited number")
    print("     tencent_thirty_second_limit: retried %.1f s after the limit (others done "
          "%.1f s before)" % (tries[1][1] - tries[0][1], time.monotonic() - t_others))
    hist = cl.history(rs[2])
    eq(hist["messages"][0].get("state"), "sent", "history state")
    check(any("slow down" in (e.get("what") or "") or "Limit" in (e.get("what") or "")
              for e in hist.get("decisions", [])),
          "the throttle is a decision in the history: %s" % hist.get("decisions"))


@test
def tencent_number_limit_does_not_stall_others(env):
    """LimitExceeded.PhoneNumberThirtySecondLimit is about one number: other residents'
    messages (here an emergency in another building) must not wait out its 30 s."""
    cl = fc.Cloud(env, sms=("tc",), delivery=FAST)
    rs = cl.people(3)
    others = [resident(i, building(4)) for i in (11, 12, 13)]
    for r in others:
        cl.d.add_resident(r)
    cl.tc.number_once(rs[0]["mobile"], "LimitExceeded.PhoneNumberThirtySecondLimit")
    n1 = cl.planned()
    cl.d.wait_progress(n1["id"], lambda p: p.get("sent", 0) == 2, 20, "two of three sent")
    now = int(cl.d.now())
    n2 = cl.d.notice(notice_body("emergency", "water", areas=[building(4)], start=now,
                                 end=now + 6 * 3600, reason="爆管抢修", channels=["sms"]))
    t0 = time.monotonic()
    cl.d.wait_progress(n2["id"], lambda p: p.get("sent", 0) == 3, 40,
                       "the emergency in building 4 sent")
    took = time.monotonic() - t0
    check(took < 5, "the emergency to other numbers waited %.1f s behind one number's "
          "30-second limit (the whole provider was paused)" % took)
    cl.no_client_errors(cl.tc)


# ---- WeChat ----

def token_dies_mid_broadcast(env, code):
    cl = fc.Cloud(env, sms=("ali",), wechat=("wx",), delivery=FAST)
    rs = cl.people(40, with_openid=True)
    cl.wx.invalidate_after(10, code)
    n = cl.d.notice(notice_body("planned", "water", areas=[B3], start=local_ts(2, 9),
                                end=local_ts(2, 17), channels=["wechat"]))
    got = cl.d.wait_done(n["id"], timeout=40)
    cl.no_client_errors(cl.wx)
    eq(got["progress"].get("sent"), 40, "sent (%s)" % got["progress"])
    exactly_once(cl.wx.openids(), {r["openid"] for r in rs}, "openids reached")
    bad_token = [c for c in cl.wx.snapshot() if c.code == code]
    check(bad_token, "the fake never answered %d: was the token used at all?" % code)
    issued = {tok for kind, force, tok in cl.wx.token_calls}
    eq(len(issued), 2, "tokens issued (one at start, one refresh; calls %s)" %
       [(k, f) for k, f, _ in cl.wx.token_calls])
    eq(len(cl.wx.token_calls), 2, "token requests (one central holder refreshes once, "
       "not once per failed message; calls %s)" % [(k, f) for k, f, _ in cl.wx.token_calls])
    cmis = [s.client_msg_id for s in cl.wx.sends]
    check(all(cmis), "every template message carries client_msg_id")
    eq(len(set(cmis)), len(cmis), "client_msg_id unique per message")
    s = cl.wx.sends[0]
    eq(s.template_id, "TPL_PLANNED", "template_id of a planned notice")
    eq(sorted(s.data), sorted(k for k, _ in fc.WX_KEYS), "data keywords")
    eq(s.data["thing3"]["value"], "主管道更换", "thing3 = reason")
    eq(cl.ali.phones(), [], "no SMS for residents WeChat reached")


@test
def wechat_token_invalidated_mid_broadcast(env):
    token_dies_mid_broadcast(env, 40001)


@test
def wechat_token_expired_mid_broadcast(env):
    token_dies_mid_broadcast(env, 42001)


@test
def wechat_unfollowed_falls_back_to_sms(env):
    cl = fc.Cloud(env, sms=("ali",), wechat=("wx",), delivery=FAST)
    rs = cl.people(3, with_openid=True)
    gone = rs[0]
    cl.wx.unfollowed.add(gone["openid"])
    n = cl.d.notice(notice_body("planned", "water", areas=[B3], start=local_ts(2, 9),
                                end=local_ts(2, 17), channels=["wechat"]))
    cl.d.wait_done(n["id"], timeout=20)
    cl.no_client_errors(cl.wx, cl.ali)
    exactly_once(cl.wx.openids(), {r["openid"] for r in rs[1:]}, "openids reached")
    h = cl.history(gone)
    by_chan = {m["channel"]: m for m in h["messages"]}
    eq((by_chan.get("sms", {}).get("state"), by_chan.get("sms", {}).get("reason")),
       ("sent", None), "the fallback SMS (history %s)" % short(h, 1500))
    eq(cl.ali.phones(), [gone["mobile"]], "SMS sent (only to the unfollowed resident)")
    eq(by_chan.get("wechat", {}).get("state"), "failed", "WeChat message state (%s)" %
       h["messages"])
    check("43004" in (by_chan["wechat"].get("reason") or "") or
          "subscribe" in (by_chan["wechat"].get("reason") or ""),
          "WeChat failure reason: %s" % by_chan["wechat"])
    check(any("SMS" in (e.get("what") or "") for e in h.get("decisions", [])),
          "the fallback is a decision in the history: %s" % h.get("decisions"))


# ---- failover ----

def failover(env, failure):
    cl = fc.Cloud(env, sms=("ali", "tc"), delivery=FAST)
    rs = cl.people(6)
    cl.ali.fail_always(failure)
    n1 = cl.planned()
    got = cl.d.wait_done(n1["id"], timeout=30)
    cl.no_client_errors(cl.ali, cl.tc)
    eq(got["progress"].get("sent"), 6, "sent while Alibaba fails (%s)" % got["progress"])
    failed_calls = [c for c in cl.ali.send_requests() if c.code != "OK"]
    check(len(failed_calls) >= 3, "Alibaba saw %d failing calls before the breaker opened" %
          len(failed_calls))
    # Requests already in flight when the third failure came back may fail too; a request
    # that starts well after it means the breaker did not open.
    t3 = failed_calls[2].req.t
    late = [round(c.req.t - t3, 3) for c in failed_calls[3:] if c.req.t - t3 > 0.25]
    check(not late, "Alibaba kept getting traffic after breaker_threshold = 3 failures: "
          "requests %s s after the third" % late)
    exactly_once(cl.tc.phones(), mobiles(rs), "numbers sent through Tencent")
    eq(cl.ali.phones(), [], "nothing accepted by Alibaba")
    h = cl.history(rs[0])
    eq(h["messages"][0].get("provider"), "tc", "provider in the history")
    check(any("sent through tc" in (e.get("what") or "") for e in h.get("decisions", [])),
          "history decisions: %s" % h.get("decisions"))
    # Alibaba healthy again: after the 5 s cool-down new traffic goes back to it.
    cl.ali.heal()
    time.sleep(5.5)
    n2 = cl.emergency()
    got = cl.d.wait_done(n2["id"], timeout=30)
    eq(got["progress"].get("sent"), 6, "second notice sent (%s)" % got["progress"])
    exactly_once(cl.ali.phones(), mobiles(rs), "numbers sent through Alibaba after recovery")
    eq(len(cl.tc.phones()), 6, "Tencent got nothing more")
    cl.no_client_errors(cl.ali, cl.tc)


@test
def failover_on_system_error(env):
    failover(env, "isp.SYSTEM_ERROR")


@test
def failover_on_http_500(env):
    failover(env, 500)


# ---- timeouts: Alibaba is not idempotent ----

@test
def aliyun_timeout_waits_for_the_receipt(env):
    cl = fc.Cloud(env, sms=("ali",), opts={"ali": {"timeout_ms": 500}}, delivery=FAST)
    rs = cl.people(2)
    cl.ali.fail_always(fc.Timeout(1.5, accepted=True))
    n = cl.planned()
    cl.ali.wait(lambda: len(cl.ali.sends) == 2, 10, "the slow SendSms calls to be taken")
    time.sleep(2.0)
    cl.ali.heal()
    cl.no_client_errors(cl.ali)
    exactly_once(cl.ali.phones(), mobiles(rs), "numbers taken by Alibaba after timeouts (a "
                 "resend would be a second SMS: the first one went)")
    p = cl.d.progress(n["id"])
    eq((p.get("failed", 0), p.get("sent", 0)), (0, 0), "failed/sent while unknown (%s)" % p)
    out_ids = {s.out_id for s in cl.ali.sends}
    check(all(out_ids), "SendSms carries OutId (to match receipts after a timeout)")
    st, b = cl.ali.push_reports(cl.callback("ali"), [cl.ali.report(s) for s in cl.ali.sends])
    eq(st, 200, "receipts push (%s)" % short(b))
    got = cl.d.wait_done(n["id"], timeout=10)
    eq(got["progress"].get("delivered"), 2, "delivered after the receipts (%s)" %
       got["progress"])
    exactly_once(cl.ali.phones(), mobiles(rs), "numbers taken by Alibaba in the end")
    check(any("may have gone" in (e.get("what") or "") or "unknown" in (e.get("what") or "")
              for e in cl.history(rs[0]).get("decisions", [])),
          "the unknown outcome is a decision in the history")


# ---- signature V2 ----

@test
def aliyun_signature_v2(env):
    cl = fc.Cloud(env, sms=("ali",), opts={"ali": {"sig_version": "v2"}}, delivery=FAST)
    rs = cl.people(3)
    n = cl.emergency()
    got = cl.d.wait_done(n["id"], timeout=20)
    cl.no_client_errors(cl.ali)
    eq(got["progress"].get("sent"), 3, "sent (%s)" % got["progress"])
    exactly_once(cl.ali.phones(), mobiles(rs), "numbers at Alibaba")
    call = cl.ali.send_requests()[0]
    check("authorization" not in call.req.headers, "a V2 request carries no Authorization")
    _, _, p = cl.ali.requests_ok[0]
    eq((p.get("SignatureMethod"), p.get("Format"), p.get("TemplateCode")),
       ("HMAC-SHA1", "JSON", "SMS_1002"), "V2 parameters of an emergency notice")


if __name__ == "__main__":
    gwtest.check_binaries()
    run()
