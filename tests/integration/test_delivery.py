"""Integration tests of delivery against a misbehaving provider: retries after 5xx and
timeouts, throttling (429 + Retry-After), garbage answers, permanent errors grouped by
reason, connection refused until the provider comes up, attempts running out, and SIGTERM in
the middle of a send-out.
Run from the repo root: python3 tests/integration/test_delivery.py [NAME-FILTER]"""

import collections
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import *  # noqa: E402,F401,F403
import gwtest  # noqa: E402

B3 = building(3)


def send_to(d, n_residents, first=1):
    """Areas, n SMS-only residents in building 3, and a planned notice to them. Returns
    (notice id, residents)."""
    d.add_areas()
    rs = [resident(i, B3) for i in range(first, first + n_residents)]
    if n_residents > 20:
        rep = d.import_csv(csv_bytes([resident_row(r) for r in rs]))
        eq(rep.get("created"), n_residents, "imported residents (%s)" % short(rep))
    else:
        for r in rs:
            d.add_resident(r)
    n = d.notice(notice_body("planned", "water", areas=[B3], start=local_ts(2, 9),
                             end=local_ts(2, 17), channels=["sms"]))
    return n["id"], rs


def history(d, r):
    h = d.ok("GET", "/api/v1/residents/%s/history" % r["account"], expect=200)
    msgs = h.get("messages") or []
    check(msgs, "no history for %s" % r["account"])
    return msgs[0]


def requests_for(fake, r):
    return [rec for rec in fake.snapshot() if r["mobile"] in rec.tos]


@test
def retries_after_503(env):
    fake = env.fake()
    fake.push(reply(503, {"error": "busy"}), reply(503, {"error": "busy"}))
    d = env.daemon(fake=fake)
    nid, (r,) = send_to(d, 1)
    got = d.wait_done(nid, timeout=15)
    eq(got["progress"].get("sent"), 1, "sent (progress %s)" % got["progress"])
    recs = requests_for(fake, r)
    eq([rec.status for rec in recs], [503, 503, 200], "answers given")
    eq(len({str(rec.ids) for rec in recs}), 1,
       "a retry carries the same message id (ids %s)" % [rec.ids for rec in recs])
    eq(history(d, r).get("attempts"), 3, "attempts in the history")
    fake.check_signatures()


@test
def throttled_429_slows_down(env):
    fake = env.fake()
    fake.push(reply(429, {"error": "slow down"}, {"Retry-After": "1"}))
    d = env.daemon(fake=fake, provider_opts={"concurrency": 1})
    nid, rs = send_to(d, 3)
    got = d.wait_done(nid, timeout=15)
    eq(got["progress"].get("sent"), 3, "sent (progress %s)" % got["progress"])
    recs = fake.snapshot()
    eq(recs[0].status, 429, "first answer")
    eq(len(recs), 4, "requests (one throttled, three sent)")
    gap = recs[1].t - recs[0].t
    check(gap >= 0.9, "next request %.2f s after a 429 with Retry-After: 1" % gap)
    exactly_once(fake.delivered_to("sms"), mobiles_of(rs), "recipients after throttling")


def mobiles_of(rs):
    return {r["mobile"] for r in rs}


@test
def timeout_is_retried(env):
    fake = env.fake()
    fake.push(reply(200, delay=1.0))
    d = env.daemon(fake=fake, provider_opts={"timeout_ms": 300})
    nid, (r,) = send_to(d, 1)
    got = d.wait_done(nid, timeout=15)
    eq(got["progress"].get("sent"), 1, "sent (progress %s)" % got["progress"])
    recs = requests_for(fake, r)
    eq(len(recs), 2, "requests (the first timed out)")
    check(recs[1].t - recs[0].t < 1.0,
          "the retry came %.2f s later: was the 300 ms timeout applied?" % (recs[1].t - recs[0].t))
    check(history(d, r).get("attempts", 0) >= 2, "attempts after a timeout")


@test
def garbage_200_counts_as_sent(env):
    fake = env.fake()
    fake.set_default(reply(200, b"\x00\xff<html>not json"))
    d = env.daemon(fake=fake)
    nid, rs = send_to(d, 2)
    got = d.wait_done(nid, timeout=15)
    eq(got["progress"].get("sent"), 2, "sent (progress %s)" % got["progress"])
    eq(fake.count(), 2, "requests (no retries for a 200)")


@test
def permanent_400_fails_grouped(env):
    bad = {mobile(1), mobile(2)}

    def answer(rec):
        if set(rec.tos) & bad:
            return reply(400, {"error": "invalid number"})
        return OK
    fake = env.fake()
    fake.set_default(answer)
    d = env.daemon(fake=fake)
    nid, rs = send_to(d, 3)
    got = d.wait_done(nid, timeout=15)
    p = got["progress"]
    eq((p.get("sent"), p.get("failed")), (1, 2), "sent/failed (progress %s)" % p)
    fails = got.get("failures") or []
    eq(len(fails), 1, "failure groups (%s)" % fails)
    reason = fails[0].get("reason", "")
    check("400" in reason or "invalid number" in reason, "failure reason %r" % reason)
    eq(fails[0].get("count"), 2, "failure count")
    eq(fake.count(), 3, "requests (a permanent error is not retried)")
    h = history(d, rs[0])
    eq(h.get("state"), "failed", "history state of a bad number")
    check(h.get("reason"), "history of a failed message has no reason")


@test
def connection_refused_then_provider_comes_up(env):
    port = free_port()
    fake = FakeProvider(port=port)
    env.fakes.append(fake)
    d = env.daemon(fake=fake, delivery={"retry_base_ms": 100, "retry_max_ms": 1000,
                                        "max_attempts": 100})
    nid, rs = send_to(d, 2)

    def retried():
        h = history(d, rs[0])
        return h.get("attempts", 0) >= 2 and h
    h = wait_until(retried, 10, "a second attempt against the closed port")
    eq(h.get("state") in ("queued", "sending"), True, "state while refused: %s" % short(h))
    check(h.get("reason"), "no reason recorded while the provider refuses: %s" % short(h))
    p = d.progress(nid)
    eq((p.get("queued", 0) + p.get("sending", 0), p.get("failed", 0), p.get("sent", 0)),
       (2, 0, 0), "queued+sending/failed/sent while refused (%s)" % p)
    eq(d.get_notice(nid).get("done"), False, "done while the provider refuses")
    fake.start()
    got = d.wait_done(nid, timeout=15)
    eq(got["progress"].get("sent"), 2, "sent once the provider is up (%s)" % got["progress"])
    exactly_once(fake.delivered_to("sms"), mobiles_of(rs), "recipients")


@test
def attempts_run_out(env):
    fake = env.fake()
    fake.set_default(reply(503, {"error": "busy"}))
    d = env.daemon(fake=fake, delivery={"max_attempts": 3, "retry_base_ms": 100})
    nid, (r,) = send_to(d, 1)
    got = d.wait_done(nid, timeout=15)
    eq(got["progress"].get("failed"), 1, "failed (progress %s)" % got["progress"])
    fails = got.get("failures") or []
    check(fails and "503" in fails[0].get("reason", ""), "failure reasons %s" % fails)
    eq(len(requests_for(fake, r)), 3, "requests before giving up")
    eq(history(d, r).get("attempts"), 3, "attempts in the history")


@test
def rate_limit_paces_requests(env):
    fake = env.fake()
    d = env.daemon(fake=fake, provider_opts={"rate": 10})
    nid, rs = send_to(d, 20)
    d.wait_done(nid, timeout=20)
    recs = fake.snapshot()
    eq(len(recs), 20, "requests")
    span = recs[-1].t - recs[0].t
    check(span >= 1.4, "20 messages at rate = 10/s took only %.2f s" % span)
    check(span <= 6, "20 messages at rate = 10/s took %.2f s" % span)


@test
def sigterm_during_delivery(env):
    fake = env.fake()
    fake.set_default(reply(200, delay=0.03))
    n = 300
    d = env.daemon(fake=fake, provider_opts={"concurrency": 4})
    nid, rs = send_to(d, n)
    fake.wait_count(50, 20)
    rc, took = d.term(timeout=10)
    eq(rc, 0, "exit code after SIGTERM")
    check(took < 5, "gatewayd took %.1f s to stop" % took)
    before = fake.count()
    check(before < n, "everything was sent before SIGTERM: make the send-out slower")
    d.start()
    got = d.wait_done(nid, timeout=60)
    eq(got["progress"].get("sent"), n, "sent after restart (%s)" % got["progress"])
    c = collections.Counter(fake.delivered_to("sms"))
    missing = mobiles_of(rs) - set(c)
    eq(missing, set(), "residents never reached")
    dups = sum(v - 1 for v in c.values())
    print("     sigterm_during_delivery: %d of %d sent before SIGTERM, %d duplicates"
          % (before, n, dups))
    check(dups <= 4, "%d duplicates after a graceful stop (concurrency 4)" % dups)


if __name__ == "__main__":
    gwtest.check_binaries()
    run()
