"""Integration tests of outage notices: who receives them (exactly once per channel, areas
with descendants, follow-ups to the original recipients), dry runs, lead times, supersede,
expiry, quiet hours, progress and per-resident history.
The daemon's clock starts at 10:00 local on gwtest.BASE_DAY unless a test says otherwise.
Run from the repo root: python3 tests/integration/test_notices.py [NAME-FILTER]"""

import math
import os
import re
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import *  # noqa: E402,F401,F403
import gwtest  # noqa: E402

B3, B4, B5, B6 = building(3), building(4), building(5), building(6)
HOUR = 3600
DAY = 24 * HOUR


def setup_people(d):
    """Two residents per building 3–6 of 幸福小区 (the odd-numbered ones follow the
    WeChat account) and one in 和平小区. Returns {area: [resident, ...]}."""
    d.add_areas()
    people = {}
    i = 1
    for area in (B3, B4, B5, B6, OTHER_COMMUNITY + "001"):
        people[area] = []
        for _ in range(2 if area != OTHER_COMMUNITY + "001" else 1):
            r = resident(i, area, with_openid=(i % 2 == 1))
            d.add_resident(r)
            people[area].append(r)
            i += 1
    return people


def in_areas(people, areas):
    return [r for a in areas for r in people[a]]


def mobiles(rs):
    return {r["mobile"] for r in rs}


def openids(rs):
    return {r["openid"] for r in rs if r.get("openid")}


def json_strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from json_strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from json_strings(x)


def planned(areas, start=None, end=None, **kw):
    """A planned water notice for the day after tomorrow 09:00-17:00 (47 h ahead of the
    default clock: the 24 h lead is met)."""
    return notice_body("planned", "water", areas=areas,
                       start=start if start is not None else local_ts(2, 9),
                       end=end if end is not None else local_ts(2, 17), **kw)


def check_reached(fake, rs, what, since=0):
    exactly_once(fake.delivered_to("sms", since), mobiles(rs), what + " (sms)")
    exactly_once(fake.delivered_to("wechat", since), openids(rs), what + " (wechat)")


@test
def planned_reaches_each_resident_once(env):
    fake = env.fake()
    d = env.daemon(fake=fake)
    people = setup_people(d)
    n = d.notice(planned([B3, B4, B5]))
    targets = in_areas(people, [B3, B4, B5])
    total = len(mobiles(targets)) + len(openids(targets))
    check(n.get("id"), "notice answer has no id: %s" % short(n))
    check(n.get("recipients") in (total, len(targets)),
          "recipients %r, expected %d messages or %d residents" % (n.get("recipients"), total,
                                                                    len(targets)))
    got = d.wait_done(n["id"])
    eq(got["progress"].get("sent", 0) + got["progress"].get("delivered", 0), total,
       "sent messages (progress %s)" % got["progress"])
    check_reached(fake, targets, "planned notice to buildings 3-5")
    fake.check_signatures()
    for rec in fake.snapshot("sms"):
        check(any(s.startswith(SIGNATURE) for s in json_strings(rec.json)),
              "SMS request carries no text starting with %s: %s" % (SIGNATURE, rec.body[:200]))
    sms_texts = {rec.text for rec in fake.snapshot("sms")}
    eq(len(sms_texts), 1, "distinct SMS texts of one notice")
    text = sms_texts.pop() or ""
    for part in ("11月25日", "09:00", "17:00", "幸福小区", "主管道更换", "0571-87654321"):
        check(part in text, "SMS text %r lacks %r" % (text, part))
    ids = [i for rec in fake.snapshot() for i in rec.ids]
    eq(len(ids), len(set(ids)), "distinct message ids in the requests")
    m = metrics(d)
    eq(metric_sum(m, "gateway_messages", provider="sms", result=("sent", "ok")) +
       metric_sum(m, "gateway_messages", provider="sms", state="sent"),
       len(mobiles(targets)), "gateway_messages sent for provider sms in /metrics")
    eq(got.get("kind"), "planned", "kind")
    eq(sorted(a.get("code") for a in got.get("areas", [])), [B3, B4, B5], "notice areas")
    check(got.get("texts", {}).get("sms", "").startswith(SIGNATURE), "stored SMS text")
    eq(got.get("forced"), None, "forced")


@test
def community_and_building_reach_each_once(env):
    fake = env.fake()
    d = env.daemon(fake=fake)
    people = setup_people(d)
    # A resident of two buildings is in three of the notice's areas: still reached once.
    both = resident(50, [B3, B4], with_openid=True)
    d.add_resident(both)
    n = d.notice(planned([COMMUNITY, B3]))
    d.wait_done(n["id"])
    check_reached(fake, in_areas(people, [B3, B4, B5, B6]) + [both],
                  "notice to 幸福小区 and its 3幢")


@test
def dry_run_stores_nothing(env):
    fake = env.fake()
    d = env.daemon(fake=fake)
    d.add_areas()
    a = resident(1, B3, with_openid=True)
    b = resident(2, B3)
    c = resident(3, B3, with_openid=True, opt_out={"sms": True, "wechat": False})
    for r in (a, b, c):
        d.add_resident(r)
    dr = d.notice(planned([B3], channels=["sms"]), dry_run=True)
    eq(dr.get("dry_run"), True, "dry_run flag")
    sms = dr.get("texts", {}).get("sms", "")
    check(sms.startswith(SIGNATURE), "dry-run SMS text %r lacks the signature" % sms)
    check("0571-87654321" in sms, "dry-run SMS text lacks the hotline: %r" % sms)
    eq(dr.get("residents"), 3, "residents")
    eq(dr.get("recipients", {}).get("sms"), 2, "sms recipients")
    eq(dr.get("skipped", {}).get("opted_out"), 1, "skipped opted_out")
    eq(dr.get("skipped", {}).get("no_channel"), 0, "skipped no_channel")
    chars = dr.get("sms_chars")
    eq(chars, len(sms), "sms_chars (length of %r in characters)" % sms)
    parts = 1 if chars <= 70 else math.ceil(chars / 67)
    eq(dr.get("sms_parts_per_message"), parts, "sms_parts_per_message for %d chars" % chars)
    eq(dr.get("sms_parts_total"), parts * 2, "sms_parts_total")

    dr = d.notice(planned([B3], channels=["wechat"]), dry_run=True)
    eq(dr.get("recipients", {}).get("wechat"), 2, "wechat recipients")
    eq(dr.get("skipped", {}).get("no_channel"), 1, "skipped no_channel (no openid)")
    eq(dr.get("skipped", {}).get("opted_out"), 0, "skipped opted_out (wechat)")
    check(dr.get("texts", {}).get("wechat"), "dry run has no wechat text")

    # Opt-outs do not apply to emergency outages.
    now = d.now()
    dr = d.notice(notice_body("emergency", "water", areas=[B3], start=int(now) - 600,
                              end=int(now) + 4 * HOUR, reason="主管爆裂", channels=["sms"]),
                  dry_run=True)
    eq(dr.get("recipients", {}).get("sms"), 3, "emergency sms recipients despite opt-out")
    eq(dr.get("skipped", {}).get("opted_out"), 0, "emergency skipped opted_out")

    # Dry runs validate like real ones.
    expect_error(d, "POST", "/api/v1/notices?dry_run=1",
                 planned([B3], start=local_ts(2, 17), end=local_ts(2, 9)), 400, "invalid")
    lst = d.ok("GET", "/api/v1/notices", expect=200)
    eq(lst.get("notices"), [], "notices stored by dry runs")
    hist = d.ok("GET", "/api/v1/residents/%s/history" % a["account"], expect=200)
    eq(hist.get("messages"), [], "history after dry runs")
    time.sleep(0.3)
    eq(fake.count(), 0, "requests at the provider after dry runs")


@test
def lead_times(env):
    d = env.daemon()
    people = setup_people(d)
    now = int(d.now())

    def post(utility, start, hours, force=None):
        b = notice_body("planned", utility, areas=[B3], start=start, end=start + hours * HOUR)
        if force:
            b["force"] = {"reason": force}
        return d.post("/api/v1/notices", b)

    def refused(utility, start, hours, what):
        st, b = post(utility, start, hours)
        eq(st, 400, "%s: status (%s)" % (what, short(b)))
        code, field, msg = api_error(b)
        eq((code, field), ("invalid", "start"), "%s: code/field (%s)" % (what, msg))
        return msg

    def accepted(utility, start, hours, what, force=None):
        st, b = post(utility, start, hours, force)
        eq(st, 201, "%s: status (%s)" % (what, short(b)))
        return b

    msg = refused("water", now + 10 * HOUR, 8, "water 10 h ahead")
    check(re.search(r"24 ?h|1 day", msg), "lead-time message does not give the required 24 h: %r" % msg)
    n = accepted("water", now + 10 * HOUR, 8, "water 10 h ahead, forced", force="抢修后续")
    eq(d.get_notice(n["id"]).get("forced"), "抢修后续", "forced reason recorded")
    accepted("water", now + 25 * HOUR, 8, "water 25 h ahead, 8 h stop")
    msg = refused("water", now + 30 * HOUR, 13, "water 30 h ahead, 13 h stop")
    check(re.search(r"48 ?h|2 days", msg), "long-stop lead message does not give 48 h: %r" % msg)
    accepted("water", now + 49 * HOUR, 13, "water 49 h ahead, 13 h stop")
    refused("power", now + 6 * DAY, 8, "power 6 days ahead")
    accepted("power", now + 7 * DAY + HOUR, 8, "power 7 days + 1 h ahead")
    refused("heat", now + 30 * HOUR, 8, "heat 30 h ahead")
    accepted("heat", now + 49 * HOUR, 8, "heat 49 h ahead")
    # Start after end.
    st, b = d.post("/api/v1/notices", planned([B3], start=local_ts(2, 17), end=local_ts(2, 9)))
    eq(st, 400, "start after end: status (%s)" % short(b))
    code, field, _ = api_error(b)
    check(code == "invalid" and field in ("start", "end"), "start after end: %s" % short(b))
    # Emergencies have no lead time.
    b = notice_body("emergency", "water", areas=[B3], start=now - 600, end=now + 4 * HOUR,
                    reason="主管爆裂")
    d.ok("POST", "/api/v1/notices", b, expect=201)
    eq(len(people[B3]), 2, "setup")


@test
def followups_reach_the_original_recipients(env):
    fake = env.fake()
    d = env.daemon(fake=fake)
    people = setup_people(d)
    first = d.notice(planned([B3]))
    d.wait_done(first["id"])
    targets = people[B3]
    check_reached(fake, targets, "first notice")
    # Move a recipient away and add a newcomer: follow-ups still go to the first audience.
    moved = targets[1]
    d.ok("PUT", "/api/v1/residents/" + moved["account"], {"areas": [B6]}, expect=200)
    d.add_resident(resident(70, B3, with_openid=True))
    base = fake.mark()
    upd = d.notice({"kind": "update", "references": first["id"],
                    "start": iso(local_ts(3, 9)), "end": iso(local_ts(3, 17)),
                    "reason": "施工延期", "hotline": "0571-87654321"})
    got = d.wait_done(upd["id"])
    eq(got.get("outage_id"), first.get("outage_id"), "outage id of the update")
    eq(got.get("references"), first["id"], "references of the update")
    eq(got.get("utility"), "water", "utility copied from the original")
    check_reached(fake, targets, "update notice", since=base)
    base = fake.mark()
    rest = d.notice({"kind": "restored", "references": first["id"],
                     "hotline": "0571-87654321"})
    d.wait_done(rest["id"])
    check_reached(fake, targets, "restored notice", since=base)
    expect_error(d, "POST", "/api/v1/notices",
                 {"kind": "restored", "references": first["id"], "areas": [B4],
                  "hotline": "0571-87654321"}, 400, "invalid", field="areas")
    st, b = d.post("/api/v1/notices", {"kind": "update", "references": 999999,
                                       "hotline": "0571-87654321"})
    check(st in (400, 404), "update of an unknown notice: %d %s" % (st, short(b)))


@test
def later_notice_supersedes_queued(env):
    fake = env.fake()
    fake.set_default(reply(503, {"error": "busy"}))
    d = env.daemon(fake=fake, delivery={"retry_base_ms": 3000, "retry_max_ms": 6000,
                                        "max_attempts": 50})
    people = setup_people(d)
    first = d.notice(planned([B3, B4]))
    total = len(mobiles(in_areas(people, [B3, B4]))) + len(openids(in_areas(people, [B3, B4])))
    # Every message has been tried once and is back in the queue, waiting for its retry.
    fake.wait_count(total, 10)
    d.wait_progress(first["id"], lambda p: p.get("queued") == total, 10,
                    "all %d first-notice messages queued for retry" % total)
    # Another outage, also waiting for a retry: the update must leave it alone.
    other = d.notice(planned([B5]))
    other_total = len(mobiles(people[B5])) + len(openids(people[B5]))
    fake.wait_count(total + other_total, 10)
    d.wait_progress(other["id"], lambda p: p.get("queued") == other_total, 10,
                    "the other outage's messages queued for retry")
    fake.set_default(OK)
    base = fake.mark()
    upd = d.notice({"kind": "update", "references": first["id"],
                    "start": iso(local_ts(3, 9)), "end": iso(local_ts(3, 17)),
                    "reason": "施工延期", "hotline": "0571-87654321"})
    d.wait_done(upd["id"])
    p = d.wait_progress(first["id"], lambda p: p.get("queued", 0) + p.get("sending", 0) == 0,
                        10, "the first notice to finish")
    eq(p.get("superseded"), total, "superseded messages of the first notice (%s)" % p)
    eq(p.get("sent", 0), 0, "first-notice messages sent after the update (%s)" % p)
    eq(d.get_notice(first["id"]).get("done"), True, "first notice done")
    p = d.wait_done(other["id"], timeout=15)["progress"]
    eq((p.get("sent"), p.get("superseded")), (other_total, 0),
       "the other outage after the update (%s)" % p)
    # Since the update: its own messages plus the other outage's retries, each once.
    check_reached(fake, in_areas(people, [B3, B4, B5]), "update after supersede", since=base)
    upd_texts = {rec.text for rec in fake.snapshot("sms")[base:] if rec.tos[0] in
                 mobiles(in_areas(people, [B3, B4]))}
    check(all(t and "11月26日" in t for t in upd_texts),
          "update SMS texts do not give the new date 11月26日: %r" % upd_texts)


@test
def emergency_expires_at_outage_end(env):
    fake = env.fake()
    fake.set_default(reply(503, {"error": "down"}))
    d = env.daemon(fake=fake, delivery={"retry_base_ms": 200, "retry_max_ms": 1000,
                                        "max_attempts": 100})
    people = setup_people(d)
    now = d.now()
    end = math.ceil(now) + 3
    n = d.notice(notice_body("emergency", "water", areas=[B3], start=int(now) - 600, end=end,
                             reason="主管爆裂"))
    total = len(mobiles(people[B3])) + len(openids(people[B3]))
    fake.wait_count(total, 5)
    wait_until(lambda: d.now() > end + 0.5, 10, "the outage end")
    p = d.wait_progress(n["id"], lambda p: p.get("expired") == total, 10,
                        "all %d messages expired" % total)
    eq(p.get("sent", 0) + p.get("queued", 0) + p.get("sending", 0), 0, "progress %s" % p)
    eq(d.get_notice(n["id"]).get("done"), True, "done after expiry")
    seen = fake.count()
    time.sleep(1.0)  # retries were due every 0.2-0.4 s: none may come any more
    eq(fake.count(), seen, "requests after expiry")


@test
def quiet_hours_hold_planned_not_emergency(env):
    fake = env.fake()
    d = env.daemon(fake=fake, clock=local_ts(0, 22, 0))
    people = setup_people(d)
    pl = d.notice(planned([B3], start=local_ts(3, 9), end=local_ts(3, 17)))
    now = int(d.now())
    em = d.notice(notice_body("emergency", "water", areas=[B4], start=now - 600,
                              end=now + 4 * HOUR, reason="主管爆裂"))
    d.wait_done(em["id"], timeout=10)
    check_reached(fake, people[B4], "emergency during quiet hours")
    time.sleep(1.5)  # give the planned notice every chance to (wrongly) go
    p = d.progress(pl["id"])
    total = len(mobiles(people[B3])) + len(openids(people[B3]))
    eq((p.get("queued"), p.get("sent", 0)), (total, 0), "planned notice at 22:00 (%s)" % p)
    eq(d.get_notice(pl["id"]).get("done"), False, "planned notice done at 22:00")
    leaked = set(fake.delivered_to()) & (mobiles(people[B3]) | openids(people[B3]))
    eq(leaked, set(), "planned-notice recipients reached during quiet hours")
    st, h = d.get("/healthz", key=None)
    eq(h.get("queue_depth"), total, "healthz queue_depth with the planned notice held")
    # Cancelling the held outage supersedes its queued messages; the cancellation itself
    # is not urgent either, so it waits for the morning too.
    can = d.notice({"kind": "cancelled", "references": pl["id"], "hotline": "0571-87654321"})
    p = d.wait_progress(pl["id"], lambda p: p.get("superseded") == total, 10,
                        "the held planned messages superseded by the cancellation")
    eq(d.get_notice(pl["id"]).get("done"), True, "planned notice done after cancellation")
    p = d.progress(can["id"])
    eq((p.get("queued"), p.get("sent", 0)), (total, 0), "cancellation at 22:00 (%s)" % p)


@test
def quiet_hours_end_releases(env):
    fake = env.fake()
    # Five seconds before 08:00: the held messages go once quiet hours end, not before.
    d = env.daemon(fake=fake, clock=local_ts(1, 7, 59, 55))
    people = setup_people(d)
    pl = d.notice(planned([B3], start=local_ts(3, 9), end=local_ts(3, 17)))
    check(d.now() < local_ts(1, 8, 0), "set-up took too long to test the 08:00 boundary")
    d.wait_done(pl["id"], timeout=20)
    check_reached(fake, people[B3], "planned notice after quiet hours")
    for rec in fake.snapshot():
        at = d.clock_at_spawn + (rec.t - d.t_spawn)
        check(at >= local_ts(1, 8, 0) - 0.3, "a message went at %s, before 08:00" % iso(at))


@test
def emergency_ignores_opt_outs_with_follow_ups(env):
    fake = env.fake()
    d = env.daemon(fake=fake)
    d.add_areas()
    opted = resident(80, B3, with_openid=True, opt_out={"sms": True, "wechat": True})
    plain = resident(81, B3)
    for r in (opted, plain):
        d.add_resident(r)
    now = int(d.now())
    em = d.notice(notice_body("emergency", "water", areas=[B3], start=now - 600,
                              end=now + 4 * HOUR, reason="主管爆裂"))
    d.wait_done(em["id"])
    check_reached(fake, [opted, plain], "emergency notice despite opt-outs")
    base = fake.mark()
    rest = d.notice({"kind": "restored", "references": em["id"], "hotline": "0571-87654321"})
    d.wait_done(rest["id"])
    check_reached(fake, [opted, plain], "restored after an emergency despite opt-outs",
                  since=base)
    # A planned notice respects the opt-out.
    base = fake.mark()
    pl = d.notice(planned([B3]))
    got = d.wait_done(pl["id"])
    check_reached(fake, [plain], "planned notice with an opted-out resident", since=base)
    eq(got["progress"].get("skipped"), 2, "skipped (sms and wechat of the opted-out resident)")


@test
def progress_failures_and_history(env):
    fake = env.fake()
    bad = resident(90, B3)

    def answer(rec):
        if bad["mobile"] in rec.tos:
            return reply(400, {"error": "invalid number"})
        return OK
    fake.set_default(answer)
    d = env.daemon(fake=fake)
    d.add_areas()
    ok1 = resident(91, B3, with_openid=True)
    opted = resident(92, B3, opt_out={"sms": True, "wechat": False})
    for r in (bad, ok1, opted):
        d.add_resident(r)
    n = d.notice(planned([B3]))
    got = d.wait_done(n["id"])
    p = got["progress"]
    eq((p.get("sent"), p.get("failed"), p.get("skipped")), (2, 1, 1),
       "sent/failed/skipped (%s)" % p)
    for k in ("queued", "sending", "delivered", "superseded", "expired"):
        eq(p.get(k), 0, "progress %s" % k)
    fails = got.get("failures") or []
    eq(len(fails), 1, "failure groups (%s)" % fails)
    check("400" in fails[0].get("reason", "") or "invalid number" in fails[0].get("reason", ""),
          "failure reason %r names neither the status nor the provider's error" % fails[0])
    eq(fails[0].get("count"), 1, "failure count")
    skips = got.get("skips") or []
    check(len(skips) == 1 and "opt" in skips[0].get("reason", "") and skips[0].get("count") == 1,
          "skips %s" % skips)
    lst = d.ok("GET", "/api/v1/notices?limit=50", expect=200)["notices"]
    eq([(x.get("id"), x.get("done")) for x in lst], [(n["id"], True)], "notice list")

    h = d.ok("GET", "/api/v1/residents/%s/history" % ok1["account"], expect=200)
    eq(h.get("account"), ok1["account"], "history account")
    msgs = h.get("messages") or []
    eq(sorted(m.get("channel") for m in msgs), ["sms", "wechat"], "history channels")
    for m in msgs:
        eq((m.get("notice_id"), m.get("kind"), m.get("utility"), m.get("state")),
           (n["id"], "planned", "water", "sent"), "history entry %s" % short(m))
        check(m.get("sent_at") and m.get("created_at"), "history times missing: %s" % short(m))
        check(m.get("attempts", 0) >= 1, "history attempts: %s" % short(m))
    h = d.ok("GET", "/api/v1/residents/%s/history" % bad["account"], expect=200)
    states = [(m.get("channel"), m.get("state")) for m in h.get("messages") or []]
    eq(states, [("sms", "failed")], "history of the bad number")
    check("400" in (h["messages"][0].get("reason") or "") or
          "invalid" in (h["messages"][0].get("reason") or ""),
          "failed history entry reason: %s" % short(h["messages"][0]))
    h = d.ok("GET", "/api/v1/residents/%s/history" % opted["account"], expect=200)
    states = [(m.get("channel"), m.get("state")) for m in h.get("messages") or []]
    eq(states, [("sms", "skipped")], "history of the opted-out resident")
    # Deleting a resident keeps the history.
    d.ok("DELETE", "/api/v1/residents/" + ok1["account"], expect=204)
    h = d.ok("GET", "/api/v1/residents/%s/history" % ok1["account"], expect=200)
    eq(len(h.get("messages") or []), 2, "history after the resident was deleted")


@test
def default_routing_wechat_for_followers_else_sms(env):
    """Without channels in the request, [routing]'s defaults apply: a planned notice
    reaches followers by WeChat only and everybody else by SMS; an emergency goes both
    ways."""
    fake = env.fake()
    d = env.daemon(fake=fake, overrides={"routing": None})
    people = setup_people(d)
    rs = in_areas(people, [B3, B4])
    followers = [r for r in rs if r.get("openid")]
    others = [r for r in rs if not r.get("openid")]
    preview = d.notice(planned([B3, B4]), dry_run=True)
    eq(preview["recipients"], {"sms": len(others), "wechat": len(followers)},
       "dry-run recipients with wechat-else-sms routing")
    n = d.notice(planned([B3, B4]))
    eq(n.get("routing"), "wechat-else-sms", "the notice's routing")
    d.wait_done(n["id"])
    exactly_once(fake.delivered_to("sms"), mobiles(others), "planned notice by SMS")
    exactly_once(fake.delivered_to("wechat"), openids(followers), "planned notice by WeChat")
    base = fake.mark()
    e = d.notice(notice_body("emergency", "water", areas=[B5], start=int(d.now()) - 600,
                             end=int(d.now()) + 4 * HOUR, reason="主管爆裂"))
    eq(e.get("routing"), "both", "the emergency's routing")
    d.wait_done(e["id"])
    check_reached(fake, people[B5], "emergency notice", since=base)


if __name__ == "__main__":
    gwtest.check_binaries()
    run()
