"""Integration test of crash safety: 10,000 residents, one notice to all of them, gatewayd
killed with SIGKILL in the middle of the send-out and restarted. Nobody may be missed;
duplicates are bounded by what can be in flight (provider concurrency + one claim batch).
Run from the repo root: python3 tests/integration/test_crash.py [NAME-FILTER]"""

import collections
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import *  # noqa: E402,F401,F403
import gwtest  # noqa: E402

N = 10000
KILL_AFTER = 2000
CONCURRENCY = 32
CLAIM_BATCH = 500
MAX_DUPLICATES = 600


@test
def kill9_loses_nothing(env):
    fake = env.fake()
    d = env.daemon(fake=fake, provider_opts={"concurrency": CONCURRENCY},
                   delivery={"claim_batch": CLAIM_BATCH})
    d.add_areas()
    areas = [building(b) for b in (3, 4, 5, 6)]
    rs = [resident(i, areas[i % 4]) for i in range(1, N + 1)]
    t0 = time.monotonic()
    rep = d.import_csv(csv_bytes([resident_row(r) for r in rs]))
    eq((rep.get("created"), rep.get("skipped")), (N, 0), "import of %d residents" % N)
    t_import = time.monotonic() - t0
    n = d.notice(notice_body("planned", "water", areas=[COMMUNITY], start=local_ts(2, 9),
                             end=local_ts(2, 17), channels=["sms"]))
    fake.wait_count(KILL_AFTER, 90)
    d.kill9()
    at_kill = fake.count()
    d.start()
    t1 = time.monotonic()
    got = d.wait_done(n["id"], timeout=150)
    p = got["progress"]
    eq(p.get("sent"), N, "sent after the restart (%s)" % p)
    c = collections.Counter(fake.delivered_to("sms"))
    missing = {r["mobile"] for r in rs} - set(c)
    eq(len(missing), 0, "residents never reached (e.g. %s)" % sorted(missing)[:5])
    extra = set(c) - {r["mobile"] for r in rs}
    eq(extra, set(), "unexpected recipients")
    dups = sum(v - 1 for v in c.values())
    print("     kill9_loses_nothing: import %.1f s, %d received before SIGKILL, rest in %.1f s,"
          " %d duplicates (limit %d)" % (t_import, at_kill, time.monotonic() - t1, dups,
                                          MAX_DUPLICATES), flush=True)
    check(dups <= MAX_DUPLICATES, "%d duplicates after kill -9" % dups)
    # A re-sent message carries the id of the first try, so a receiver can drop it.
    ids = collections.defaultdict(set)
    for rec in fake.snapshot():
        for to in rec.tos:
            ids[to].add(str(rec.ids))
    changed = [to for to, v in ids.items() if len(v) > 1]
    eq(changed, [], "recipients whose re-sent message had a new id")
    fake.check_signatures()
    st, h = d.get("/healthz", key=None)
    eq((st, h.get("queue_depth")), (200, 0), "healthz after the send-out")


if __name__ == "__main__":
    gwtest.check_binaries()
    run()
