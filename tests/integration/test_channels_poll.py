"""Integration tests of receipt polling: gatewayd asks Alibaba (QuerySendDetails on the fake
in fakecloud.py) about messages that have no receipt 10 minutes after they were sent, and
about sends whose outcome was unknown (a timeout) before it would send them again.
The daemon is restarted with its clock moved forward instead of waiting real minutes.
Run from the repo root: python3 tests/integration/test_channels_poll.py [NAME-FILTER]"""

import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import *  # noqa: E402,F401,F403
import gwtest  # noqa: E402
import fakecloud as fc  # noqa: E402

FAST = {"retry_base_ms": 100, "retry_max_ms": 1000, "max_attempts": 8}


def query_calls(ali):
    return [c for c in ali.snapshot() if c.note.startswith("QuerySendDetails")]


@test
def polling_fetches_receipts_that_were_never_pushed(env):
    cl = fc.Cloud(env, sms=("ali",), delivery=FAST)
    rs = cl.people(3)
    n = cl.emergency()
    got = cl.d.wait_done(n["id"], timeout=20)
    eq(got["progress"].get("sent"), 3, "sent (%s)" % got["progress"])
    sent_at = cl.clock()
    # The carrier reported to Alibaba, but the push never reached us.
    with cl.ali.lock:
        for s in cl.ali.sends:
            s.status = 3
            s.err_code = "DELIVERED"
    cl.d.term()
    cl.d.start(clock=sent_at + 600 + 10)
    got = cl.d.wait_progress(n["id"], lambda p: p.get("delivered") == 3, 15,
                             "delivered through QuerySendDetails")
    check(len(query_calls(cl.ali)) >= 3, "a QuerySendDetails per number (%d)" %
          len(query_calls(cl.ali)))
    eq(len(cl.ali.sends), 3, "SendSms numbers (no second send)")


@test
def polling_settles_an_unknown_outcome_without_a_second_send(env):
    cl = fc.Cloud(env, sms=("ali",), opts={"ali": {"timeout_ms": 500}}, delivery=FAST)
    rs = cl.people(2)
    cl.ali.fail_always(fc.Timeout(1.5, accepted=True))
    n = cl.planned()
    cl.ali.wait(lambda: len(cl.ali.sends) == 2, 10, "the slow SendSms calls to be taken")
    time.sleep(1.5)
    cl.ali.heal()
    p = cl.d.progress(n["id"])
    eq(p.get("sent", 0), 0, "sent while the outcome is unknown (%s)" % p)
    # No receipt comes. Shortly before the two-minute wait is over gatewayd asks Alibaba,
    # which has the sends (waiting for the carrier): they went, so they are not sent again.
    cl.d.term()
    cl.d.start(clock=cl.clock() + 100)
    got = cl.d.wait_progress(n["id"], lambda p: p.get("sent") == 2, 15,
                             "both settled as sent by QuerySendDetails")
    time.sleep(1.0)
    exactly_once(cl.ali.phones(), {r["mobile"] for r in rs},
                 "numbers at Alibaba (a resend would be a second SMS)")
    check(query_calls(cl.ali), "QuerySendDetails was asked")
    avoided = [v for name, _, v in gwtest.metrics(cl.d)
               if name == "gateway_duplicates_avoided_total"]
    eq(avoided, [2.0], "duplicates avoided in /metrics")


@test
def tencent_unknown_outcome_settled_by_pulling_its_status(env):
    cl = fc.Cloud(env, sms=("tc",), opts={"tc": {"timeout_ms": 500}}, delivery=FAST)
    rs = cl.people(2)
    cl.tc.fail_next(fc.Timeout(1.5), fc.Timeout(1.5))
    n = cl.planned()
    cl.tc.wait(lambda: len(cl.tc.sends) == 2, 10, "the slow SendSms calls to be taken")
    time.sleep(1.5)
    p = cl.d.progress(n["id"])
    eq(p.get("sent", 0), 0, "sent while the outcome is unknown (%s)" % p)
    with cl.tc.lock:
        for x in cl.tc.sends:
            x.report = "SUCCESS"
    cl.d.term()
    cl.d.start(clock=cl.clock() + 100)
    got = cl.d.wait_progress(n["id"], lambda p: p.get("delivered") == 2, 15,
                             "both settled by PullSmsSendStatusByPhoneNumber")
    time.sleep(1.0)
    exactly_once(cl.tc.phones(), {r["mobile"] for r in rs},
                 "numbers at Tencent (a resend would be a second SMS)")
    pulls = [c for c in cl.tc.snapshot() if c.note.startswith("PullSmsSendStatus")]
    check(pulls, "PullSmsSendStatusByPhoneNumber was asked")


if __name__ == "__main__":
    gwtest.check_binaries()
    run()
