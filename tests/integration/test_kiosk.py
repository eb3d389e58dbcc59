"""Integration tests of the kiosk against a running gatewayd: scripted touch sessions drive
the real state machine from the welcome screen to a printed ticket (PNG display backend,
ticket bytes to a file printer); the case is in the gateway, the ticket's bytes carry its
number in GB18030, and the last frame's QR decodes (zbarimg) to the case's tracking URL.
With the gateway down the kiosk still takes the request under a reserved number, prints
it, and a restart with the gateway back delivers it exactly once.
Run from the repo root: python3 tests/integration/test_kiosk.py [NAME-FILTER]"""

import os
import sqlite3
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import *  # noqa: E402,F401,F403
import gwtest  # noqa: E402

KIOSK = os.path.join(gwtest.REPO, "build", "test", "kiosk", "kiosk")

# Button centres on a 1080x1920 canvas, from kiosk/ui_draw.c's layout.
WELCOME = {"报修": (290, 570), "投诉": (790, 570), "咨询": (290, 910), "查询进度": (790, 910)}
CATEGORY_FIRST = (290, 480)
KEYS = {d: (210 + ((i) % 3) * 330, 705 + ((i) // 3) * 200)
        for i, d in enumerate("123456789")}
KEYS.update({"0": (540, 1305), "删除": (210, 1305), "确定": (870, 1305)})
CONFIRM = (540, 1100)


def script(env, name, mobile):
    lines = ["tap %d %d" % WELCOME["报修"], "tap %d %d" % CATEGORY_FIRST]
    lines += ["tap %d %d" % KEYS[d] for d in mobile]
    lines += ["tap %d %d" % KEYS["确定"], "tap %d %d" % CONFIRM, "wait 500"]
    path = env.path(name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def kiosk_ini(env, d, key, script_path, area=None):
    ini = env.path("kiosk.ini")
    with open(ini, "w") as f:
        f.write("[kiosk]\ncompany = 幸福水务\nhotline = 96116\n" +
                ("area = %s\n" % area if area else "") +
                "[display]\ndevice = png:%s\nwidth = 1080\nheight = 1920\n"
                "[input]\ndevice = script:%s\n"
                "[printer]\ndevice = file:%s\npaper = 80\n"
                "[gateway]\nurl = http://127.0.0.1:%d\nkey = %s\ntimeout_ms = 2000\n"
                "reserve = 5\n[spool]\npath = %s\n" %
                (env.path("frame.png"), script_path, env.path("tickets.bin"), d.port, key,
                 env.path("spool.db")))
    return ini


def run_kiosk(ini):
    out = subprocess.run([KIOSK, "--config", ini], capture_output=True, text=True, timeout=120,
                         cwd=gwtest.REPO)
    eq(out.returncode, 0, "kiosk exit status (stderr: %s)" % out.stderr[-800:])
    return out


def zbar(path):
    out = subprocess.run(["zbarimg", "-q", "--raw", path], capture_output=True, text=True,
                         timeout=60)
    return out.stdout.strip()


@test
def scripted_session_prints_a_ticket_for_a_real_case(env):
    d = env.daemon()
    d.add_areas()
    key = d.key("kiosk")
    run_kiosk(kiosk_ini(env, d, key, script(env, "s1.txt", "13812345678")))
    found = d.ok("GET", "/api/v1/cases?mobile=13812345678", key="agent")
    eq(found["total"], 1, "the case is in the gateway")
    c = d.ok("GET", "/api/v1/cases/" + found["cases"][0]["number"], key="agent")
    eq((c["source"], c["kind"], c["category"]), ("kiosk", "repair", "leak"), "what was chosen")
    with open(env.path("tickets.bin"), "rb") as f:
        ticket = f.read()
    check(c["number"].encode() in ticket, "the number is on the ticket")
    check("受理回执".encode("gb18030") in ticket, "Chinese in GB18030 on the ticket")
    check(ticket.endswith(b"\x1dV\x42\x00") or b"\x1dV" in ticket, "the ticket is cut")
    eq(zbar(env.path("frame.png")), c["tracking_url"], "the screen's QR opens the case")


@test
def gateway_down_the_request_is_kept_and_delivered_once(env):
    d = env.daemon()
    d.add_areas()
    key = d.key("kiosk")
    ini = kiosk_ini(env, d, key, script(env, "warm.txt", ""))
    # A first run with the gateway up reserves numbers for later.
    with open(env.path("warm.txt"), "w") as f:
        f.write("wait 100\n")
    run_kiosk(ini)
    d.stop()
    ini = kiosk_ini(env, d, key, script(env, "s2.txt", "13900001111"))
    run_kiosk(ini)
    with open(env.path("tickets.bin"), "rb") as f:
        ticket = f.read()
    check(len(ticket) > 100, "a ticket was printed while the gateway was down")
    shown = zbar(env.path("frame.png"))
    check("/t/" in shown, "the offline ticket's QR is a tracking URL: %r" % shown)
    d.start()
    with open(env.path("warm.txt"), "w") as f:
        f.write("wait 100\n")
    run_kiosk(kiosk_ini(env, d, key, env.path("warm.txt")))
    run_kiosk(kiosk_ini(env, d, key, env.path("warm.txt")))  # a second sync sends nothing new
    found = d.ok("GET", "/api/v1/cases?mobile=13900001111", key="agent")
    eq(found["total"], 1, "delivered exactly once")
    c = d.ok("GET", "/api/v1/cases/" + found["cases"][0]["number"], key="agent")
    eq(c["tracking_url"], shown, "the QR printed offline opens the case")


@test
def a_ticket_lost_to_a_power_cut_is_reprinted_at_start(env):
    d = env.daemon()
    d.add_areas()
    key = d.key("kiosk")
    run_kiosk(kiosk_ini(env, d, key, script(env, "s3.txt", "13700002222")))
    # The power went after the request was stored, before its ticket was printed.
    db = sqlite3.connect(env.path("spool.db"))
    number = db.execute("SELECT number FROM requests").fetchone()[0]
    db.execute("UPDATE requests SET printed = 0")
    db.commit()
    db.close()
    os.remove(env.path("tickets.bin"))
    with open(env.path("idle.txt"), "w") as f:
        f.write("wait 100\n")
    run_kiosk(kiosk_ini(env, d, key, env.path("idle.txt")))
    with open(env.path("tickets.bin"), "rb") as f:
        check(number.encode() in f.read(), "the ticket of %s is reprinted at start" % number)
    db = sqlite3.connect(env.path("spool.db"))
    eq(db.execute("SELECT printed FROM requests").fetchone()[0], 1, "and marked printed")
    db.close()


@test
def the_welcome_screen_gets_the_halls_outage_notices(env):
    d = env.daemon()
    d.add_areas()
    now = int(d.now())
    n = d.notice(gwtest.notice_body("emergency", "water", areas=[building(3)], start=now - 600,
                                    end=now + 4 * 3600, reason="主管道爆裂抢修"))
    got = d.ok("GET", "/api/v1/kiosk/notices?area=" + gwtest.STREET, key="kiosk")["notices"]
    eq([x["reason"] for x in got], ["主管道爆裂抢修"], "the street's hall sees the outage below it")
    got = d.ok("GET", "/api/v1/kiosk/notices?area=%s001" % gwtest.OTHER_COMMUNITY,
               key="kiosk")["notices"]
    eq(got, [], "a hall in another community does not")
    eq(d.get("/api/v1/kiosk/notices?area=nosuch", key="kiosk")[0], 400, "unknown area")
    key = d.key("kiosk")
    with open(env.path("idle.txt"), "w") as f:
        f.write("wait 100\n")
    out = run_kiosk(kiosk_ini(env, d, key, env.path("idle.txt"), area=gwtest.STREET))
    check("1 outage notice(s)" in out.stderr, "the kiosk fetched it: %s" % out.stderr[-400:])
    d.notice({"kind": "restored", "references": n["id"], "hotline": "0571-87654321"})
    got = d.ok("GET", "/api/v1/kiosk/notices?area=" + gwtest.STREET, key="kiosk")["notices"]
    eq(got, [], "a restored outage is no longer shown")


if __name__ == "__main__":
    gwtest.check_binaries()
    if not os.access(KIOSK, os.X_OK):
        print("FAIL setup: %s is missing; build it with `make build-test`" % KIOSK)
        print("0 passed, 1 failed")
        sys.exit(1)
    run()
