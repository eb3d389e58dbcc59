"""Integration tests of cases: the real gatewayd with file providers for the complainant's
messages and a FakeWeCom (fakecloud.py) for the departments' and leaders' groups. Intake
(number, owner, routing, the department told at once, the caller's SMS with the tracking
link), the state machine over HTTP with its errors and the version conflict, escalation at
80 % and 100 % across daemon restarts on a shifted clock, major complaints, clusters and
repeats, the tracking page and JSON (masking, the same 404 for every bad token, the rate
limit), the QR code decoded by zbarimg, and statistics as JSON and CSV.
Run from the repo root: python3 tests/integration/test_cases.py [NAME-FILTER]"""

import collections
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import *  # noqa: E402,F401,F403
import gwtest  # noqa: E402
import fakecloud as fc  # noqa: E402

ROBOTS = {"pipe": "keyPipe-0001", "leaders": "keyLead-0002", "service": "keySvc-0003",
          "production": "keyProd-0004"}
ARTIFACTS = os.path.join(gwtest.REPO, "tests", "artifacts")
NAME, PHONE = "张三丰", "13812345678"


def setup(env, overrides=None, clock=None):
    wecom = fc.FakeWeCom(keys=tuple(ROBOTS.values()), per_minute=20)
    env.fakes.append(wecom)
    wecom.start()
    providers = collections.OrderedDict(
        sms=gwtest.file_provider("sms", env.path("sms.out")),
        wechat=gwtest.file_provider("wechat", env.path("wechat.out")))
    pairs = []
    for dept, key in ROBOTS.items():
        providers["robot_" + dept] = {"type": "wecom", "channel": "staff",
                                      "endpoint": wecom.url, "secret": key}
        pairs.append("%s:robot_%s" % (dept, dept))
    ov = {"staff": {"robots": ", ".join(pairs)}}
    ov.update(overrides or {})
    d = env.daemon(providers=providers, overrides=ov, clock=clock)
    d.add_areas()
    return wecom, d


def group_texts(wecom, dept):
    return [c.req.json()["markdown"]["content"] for c in wecom.snapshot(code=0)
            if dict(c.req.query()).get("key") == ROBOTS[dept]]


def wait_group(wecom, dept, needle, timeout=15):
    wait_until(lambda: any(needle in t for t in group_texts(wecom, dept)), timeout,
               "a %s group message with %r (got %r)" % (dept, needle, group_texts(wecom, dept)))


def sms_lines(env):
    try:
        with open(env.path("sms.out"), encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def leak(**extra):
    body = {"source": "phone", "kind": "repair", "category": "leak",
            "complainant": {"name": NAME, "mobile": PHONE, "address": "幸福小区3幢2单元501",
                            "account": "1100000001"},
            "content": "楼道水管漏水", "request": "尽快维修", "area": building(3),
            "accept": True, "dispatch": True}
    body.update(extra)
    return body


def create(d, body, key="agent"):
    return d.ok("POST", "/api/v1/cases", body, expect=201, key=key)


def move(d, number, action, expect=200, **fields):
    body = dict(fields, action=action)
    return d.ok("POST", "/api/v1/cases/%s/transitions" % number, body, expect=expect)


def token_of(case):
    return case["tracking_url"].rsplit("/t/", 1)[1]


@test
def intake_routes_tells_group_and_texts_the_caller(env):
    wecom, d = setup(env)
    c = create(d, leak())
    check(re.fullmatch(r"\d{6}-00001", c["number"]), "number %r" % c["number"])
    eq(c["number"][:6], iso(d.clock)[:4] + iso(d.clock)[5:7], "YYYYMM of the number")
    eq(c["owner"], "agent", "first-responsibility owner (the name of the agent's key)")
    eq(c["state"], "dispatched", "state after accept + dispatch")
    eq(c["department"], "pipe", "routed by the rule repair/leak = pipe")
    eq(c["routed"], "rule", "routing recorded as by rule")
    eq(c["class"], "urgentish", "class of repair/leak")
    eq([ev["action"] for ev in c["events"]], ["create", "accept", "dispatch"], "history")
    clocks = {k["clock"]: k for k in c["clocks"]}
    check(clocks["first_contact"]["met_at"] is not None, "a phone case is in contact already")
    check(clocks["on_site"]["met_at"] is None, "on-site clock running")
    wait_group(wecom, "pipe", c["number"])
    text = [t for t in group_texts(wecom, "pipe") if c["number"] in t][0]
    check(PHONE not in text and NAME not in text, "the group sees masked data: %r" % text)
    check("138****5678" in text and "张**" in text, "masked name and phone in %r" % text)
    wait_until(lambda: len(sms_lines(env)) >= 2, 15, "the caller's SMS")
    texts = [m.get("text", "") for m in sms_lines(env)]
    check(any(c["number"] in t and c["tracking_url"] in t for t in texts),
          "accepted SMS with number and link: %r" % texts)
    # A second case the same month gets the next serial; a manual route is recorded.
    c2 = create(d, leak(department="production", complainant={"mobile": "13900000002"}))
    eq(c2["number"], c["number"][:7] + "00002", "next serial")
    eq((c2["department"], c2["routed"]), ("production", "manual"), "manual override")


@test
def bad_input_is_refused_with_the_field(env):
    _, d = setup(env)
    for body, field in (
            (leak(complainant={"name": NAME}), "complainant.mobile"),
            (leak(kind="leakage"), "kind"),
            (leak(source="fax"), "source"),
            (leak(area="nosuch"), "area"),
            (leak(**{"class": "nosuch"}), "class"),
            (leak(content=""), "content"),
            (leak(complainant={"mobile": "1381234"}), "complainant.mobile"),
            (leak(accept=False), "dispatch"),
            (leak(department="nosuch"), "department")):
        expect_error(d, "POST", "/api/v1/cases", body, 400, "invalid", field=field, key="agent")
    # Anonymous: no reply wanted, no contact needed.
    c = create(d, leak(reply=False, complainant=None, kind="theft", category=None))
    eq(c["department"], "enforcement", "theft routed to the enforcement team")
    eq(d.get("/api/v1/cases", key="kiosk")[0], 403, "a kiosk key may not read cases")
    eq(d.post("/api/v1/cases", leak(), key=None)[0], 401, "no key")


@test
def every_transition_and_the_conflicts(env):
    _, d = setup(env)
    c = create(d, leak(accept=False, dispatch=False))
    n = c["number"]
    eq(c["state"], "received", "state at intake")
    st, r = d.post("/api/v1/cases/%s/transitions" % n, {"action": "resolve", "note": "x"})
    eq(st, 409, "resolve before accept")
    check("received" in r["error"]["message"] and "accept" in r["error"]["message"],
          "message names the state and what is allowed: %r" % r)
    expect_error(d, "POST", "/api/v1/cases/%s/transitions" % n, {"action": "fly"}, 400,
                 "invalid", field="action")
    for action, state in (("accept", "accepted"), ("dispatch", "dispatched"),
                          ("start", "in_progress")):
        eq(move(d, n, action)["state"], state, action)
    expect_error(d, "POST", "/api/v1/cases/%s/transitions" % n, {"action": "resolve"}, 400,
                 "invalid", field="note")
    r = move(d, n, "reassign", department="production")
    eq((r["state"], r["department"], r["routed"]), ("in_progress", "production", "manual"),
       "reassign keeps the state")
    eq(move(d, n, "resolve", note="更换阀门")["state"], "resolved", "resolve")
    r = move(d, n, "reopen", note="仍然漏水")
    eq((r["state"], r["reopen_count"]), ("reopened", 1), "reopen")
    for action, state in (("dispatch", "dispatched"), ("resolve", "resolved"),
                          ("visit", "visited")):
        r = move(d, n, action, note="ok")
        eq(r["state"], state, action)
    eq(r["closed"], True, "visited is closed")
    eq(d.post("/api/v1/cases/%s/transitions" % n, {"action": "reopen", "note": "x"})[0], 409,
       "a closed case stays closed")
    # Explain closes a case and sends the explanation; merge needs a real other case.
    c2 = create(d, leak(accept=False, dispatch=False, complainant={"mobile": "13900000003"}))
    expect_error(d, "POST", "/api/v1/cases/%s/transitions" % c2["number"],
                 {"action": "merge", "into": c2["number"]}, 400, "invalid", field="into")
    r = move(d, c2["number"], "merge", into=n)
    eq(r["state"], "merged", "merge")
    c3 = create(d, leak(accept=False, dispatch=False, complainant={"mobile": "13900000004"}))
    r = move(d, c3["number"], "explain", note="该处为市政管道，已转交市政部门")
    eq(r["state"], "explained", "explain")
    wait_until(lambda: any("市政部门" in m.get("text", "") for m in sms_lines(env)), 15,
               "the explanation by SMS")
    eq(d.get("/api/v1/cases/202001-99999")[0], 404, "unknown case")


@test
def two_agents_at_once_one_wins(env):
    _, d = setup(env)
    c = create(d, leak(dispatch=False))
    n, v = c["number"], c["version"]
    results = []

    def go(action, dept):
        results.append(d.post("/api/v1/cases/%s/transitions" % n,
                              {"action": action, "department": dept, "version": v})[0])

    threads = [threading.Thread(target=go, args=("dispatch", dept))
               for dept in ("pipe", "production")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    eq(sorted(results), [200, 409], "one wins, the other gets a conflict")
    st, r = d.post("/api/v1/cases/%s/transitions" % n,
                   {"action": "start", "version": v})
    eq(st, 409, "a stale version")
    eq(r["error"]["field"], "version", "field of the stale-version error")


@test
def deadlines_warn_at_80_and_alert_leaders_at_100_across_restarts(env):
    start = local_ts(0, 10, 0)
    wecom, d = setup(env, clock=start)
    # urgent: on site within 30 min, so the warning is due at 24 min and the breach at 30.
    c = create(d, leak(category="burst"))
    eq(c["class"], "urgent", "class of a burst")
    on_site = [k for k in c["clocks"] if k["clock"] == "on_site"][0]
    eq(parse_iso(on_site["due_at"]), start + 30 * 60, "on-site limit")
    d.term()
    d.start(clock=start + 20 * 60)
    wait_group(wecom, "pipe", c["number"])  # the dispatch alert only
    check(not any("即将超时" in t for t in group_texts(wecom, "pipe")), "no warning at 20 min")
    d.term()
    d.start(clock=start + 25 * 60)
    wait_group(wecom, "pipe", "即将超时")
    check(not any(c["number"] in t for t in group_texts(wecom, "leaders")),
          "the leaders are not told of a warning")
    d.term()
    d.start(clock=start + 31 * 60)
    wait_group(wecom, "pipe", "已超时")
    wait_group(wecom, "leaders", "已超时")
    d.term()
    d.start()  # a restart repeats nothing
    view = d.ok("GET", "/api/v1/cases/" + c["number"])
    acts = [ev["action"] for ev in view["events"]]
    eq(acts.count("warning"), 1, "one warning in the history")
    eq(acts.count("breach"), 1, "one breach in the history")
    eq(sum("已超时" in t for t in group_texts(wecom, "pipe")), 1, "one breach alert")
    found = d.ok("GET", "/api/v1/cases?overdue=1")
    eq([x["number"] for x in found["cases"]], [c["number"]], "the overdue list")
    # Starting the work stops the on-site clock; changing the class recomputes the rest.
    move(d, c["number"], "start")
    r = d.ok("PUT", "/api/v1/cases/%s/class" % c["number"], {"class": "general"})
    res = [k for k in r["clocks"] if k["clock"] == "resolution"][0]
    eq(res["provisional"], False, "deadline inside the calendar")
    check(parse_iso(res["due_at"]) > start + 86400, "general: resolution in a working day")


@test
def working_day_deadline_skips_national_day(env):
    # A staff-rudeness complaint accepted on 2026-09-29 gets 5 working days: 09-30, 10-08,
    # 10-09, 10-10 (the adjusted working Saturday) and 10-12.
    accepted = local_ts(day=datetime.date(2026, 9, 29), hour=10)
    _, d = setup(env, clock=accepted)
    c = create(d, leak(kind="complaint", category="attitude", dispatch=False))
    res = [k for k in c["clocks"] if k["clock"] == "resolution"][0]
    eq(res["due_at"], "2026-10-12T23:59:59+08:00", "5 working days after 09-29")


@test
def major_clusters_and_repeats_reach_the_leaders_once(env):
    wecom, d = setup(env)
    c = create(d, leak(kind="complaint", category="attitude", major=True, dispatch=False))
    wait_group(wecom, "leaders", "重大投诉")
    numbers = []
    for i in range(4):
        numbers.append(create(d, leak(complainant={"mobile": "1390000%04d" % (10 + i)},
                                      area=building(4)))["number"])
    wait_group(wecom, "leaders", "集群")
    cl = [t for t in group_texts(wecom, "leaders") if "集群" in t]
    eq(len(cl), 1, "one report per cluster")
    check(all(n in cl[0] for n in numbers[:3]), "the cluster's cases are named: %r" % cl)
    create(d, leak(category="meter", complainant={"mobile": PHONE}))  # the same person
    wait_group(wecom, "leaders", "重复")
    rep = [t for t in group_texts(wecom, "leaders") if "重复" in t]
    eq(len(rep), 1, "one repeat report")
    check(c["number"] in rep[0], "the earlier case is named in %r" % rep)


@test
def tracking_page_json_masking_and_404s(env):
    _, d = setup(env, overrides={"tracking": {"rate_per_minute": 1000}})
    c = create(d, leak())
    tok = token_of(c)
    check(re.fullmatch(r"[A-Za-z0-9_-]{24}", tok), "token shape %r" % tok)
    check(c["number"] not in tok, "token not derived from the number")
    move(d, c["number"], "explain", expect=409)  # dispatched cases are not explained
    st, v = d.get("/api/v1/track/" + tok, key=None)
    eq(st, 200, "track JSON")
    eq(v["number"], c["number"], "number")
    eq(v["complainant"], {"name": "张**", "mobile": "138****5678"}, "masked complainant")
    eq(v["status"], "dispatched", "status")
    eq(v["department"], "管网部", "department name")
    check(v["area"] and "幸福小区" in v["area"], "community shown: %r" % v["area"])
    body = json.dumps(v, ensure_ascii=False)
    for secret in (PHONE, NAME, "2单元501", "1100000001", "楼道水管漏水"):
        check(secret not in body, "%r leaked into the public JSON" % secret)
    eq([h["status"] for h in v["history"]], ["received", "accepted", "dispatched"], "history")
    d.ok("POST", "/api/v1/cases/%s/notes" % c["number"], {"note": "内部备注：用户脾气急"},
         expect=201)
    st, page = d.get("/t/" + tok, key=None)
    eq(st, 200, "page")
    check("text/html" in d.last_headers.get("Content-Type", ""), "HTML")
    for secret in (PHONE, NAME, "2单元501", "内部备注"):
        check(secret not in page, "%r leaked into the page" % secret)
    check(c["number"] in page and "138****5678" in page, "number and masked phone on page")
    check('src="/t/%s/qr.svg"' % tok in page, "the page shows its own QR code")
    st, svg = d.get("/t/%s/qr.svg" % tok, key=None)
    eq(st, 200, "the page's QR code")
    check(svg.startswith("<?xml") and "<svg" in svg, "an SVG image")
    check("max-age" in d.last_headers.get("Cache-Control", ""), "the browser may keep it")
    eq(d.get("/t/%s/qr.svg" % ("A" * 24), key=None)[0], 404, "no QR for an unknown token")
    bad = ["A" * 24, tok[:-1] + ("B" if tok[-1] != "B" else "C"), tok[:23], tok + "x",
           "%2e%2e", "!" * 24]
    answers = set()
    for t in bad:
        st, b = d.get("/t/" + t, key=None)
        eq(st, 404, "page for %r" % t)
        answers.add(b)
        st, j = d.get("/api/v1/track/" + t, key=None)
        eq(st, 404, "JSON for %r" % t)
        answers.add(json.dumps(j))
    eq(len(answers), 2, "the same 404 for every bad token (one page, one JSON)")


@test
def page_offers_follow_in_wechat_and_case_messages_use_the_real_providers(env):
    cl = fc.Cloud(env, sms=("ali",), wechat=("wx",))
    rs = cl.people(2)
    d = cl.d
    c = create(d, leak(dispatch=False, complainant={"mobile": rs[0]["mobile"],
                                                    "account": rs[0]["account"]}))
    tok = token_of(c)
    st, v = d.get("/api/v1/track/" + tok, key=None)
    eq(v["wechat_follow"], "/t/%s/wechat" % tok, "the follow link for a resident")
    st, page = d.get("/t/%s/wechat" % tok, key=None)
    eq(st, 200, "the follow page")
    check("showqrcode?ticket=" in page, "WeChat's binding QR image on the page")
    eq(d.get("/t/%s/wechat" % ("A" * 24), key=None)[0], 404, "follow for an unknown token")
    other = create(d, leak(dispatch=False, complainant={"mobile": "13900000077"}))
    st, v = d.get("/api/v1/track/" + token_of(other), key=None)
    eq(v["wechat_follow"], None, "no follow link without a resident")
    # The accepted message went through Alibaba with the case template and its number.
    def sent(x):
        q = " ".join(v for _, v in x.req.query())
        return q + " " + urllib.parse.unquote_plus(x.req.body.decode("utf-8", "replace"))

    wait_until(lambda: any(c["number"] in sent(x) and fc.ALI_TEMPLATES["case_accepted"]
                           in sent(x) for x in cl.ali.snapshot()), 15,
               "the case SMS at Alibaba with its template")


@test
def a_follower_gets_the_case_by_wechat_with_the_page_as_its_link(env):
    cl = fc.Cloud(env, sms=("ali",), wechat=("wx",))
    rs = cl.people(1, with_openid=True)
    c = create(cl.d, leak(dispatch=False, complainant={"mobile": rs[0]["mobile"],
                                                       "account": rs[0]["account"]}))

    def template_sends():
        return [x.req.json() for x in cl.wx.snapshot() if "template/send" in x.req.path]

    wait_until(lambda: any(m.get("url") == c["tracking_url"] for m in template_sends()), 15,
               "a WeChat template message linking to the tracking page")
    m = [m for m in template_sends() if m.get("url") == c["tracking_url"]][0]
    eq(m["template_id"], fc.WX_TEMPLATES["case_accepted"], "the case template")
    eq(m["data"]["character_string1"]["value"], c["number"], "the number as a keyword")


@test
def kiosk_reserves_numbers_and_its_spooled_request_lands_once(env):
    _, d = setup(env)
    r = d.ok("POST", "/api/v1/kiosk/reservations", {"count": 3}, expect=201, key="kiosk")
    res = r["reservations"]
    eq(len(res), 3, "three reserved")
    check(all(re.fullmatch(r"\d{6}-0000[1-3]", x["number"]) for x in res), "numbers %s" % res)
    # A case created meanwhile gets the next number after the block.
    other = create(d, leak())
    eq(other["number"][-5:], "00004", "the block's numbers are not reused")
    body = leak(source="kiosk", accept=True, dispatch=False,
                reservation={"number": res[0]["number"], "token": res[0]["token"]})
    c = create(d, body, key="kiosk")
    eq(c["number"], res[0]["number"], "the case takes the reserved number")
    eq(c["tracking_url"], res[0]["tracking_url"], "and the token printed on the ticket")
    again = d.ok("POST", "/api/v1/cases", body, expect=200, key="kiosk")
    eq(again["number"], c["number"], "sent again (the spool after a crash): the same case")
    eq(d.ok("GET", "/api/v1/cases?number=" + c["number"])["total"], 1, "only one case")
    bad = dict(body, reservation={"number": res[1]["number"], "token": res[2]["token"]})
    expect_error(d, "POST", "/api/v1/cases", bad, 400, "invalid", field="reservation",
                 key="kiosk")
    v = d.ok("GET", "/api/v1/kiosk/cases/" + c["number"], key="kiosk")
    eq(v["complainant"]["mobile"], "138****5678", "the kiosk's lookup is masked")
    eq(d.get("/api/v1/kiosk/cases/" + c["number"], key="agent")[0], 403, "kiosk only")


@test
def tracking_is_rate_limited_per_client(env):
    _, d = setup(env, overrides={"tracking": {"rate_per_minute": 5}})
    tok = token_of(create(d, leak()))
    codes = [d.get("/api/v1/track/" + tok, key=None)[0] for _ in range(7)]
    eq(codes[:5], [200] * 5, "within the limit")
    eq(codes[5:], [429, 429], "over the limit")
    eq(d.get("/t/" + tok, key=None)[0], 429, "the page shares the limit")


def zbar(path):
    out = subprocess.run(["zbarimg", "-q", "--raw", path], capture_output=True, text=True,
                         timeout=60)
    return out.stdout.strip()


@test
def qr_png_and_svg_decode_to_the_tracking_url(env):
    _, d = setup(env)
    c = create(d, leak())
    st, _ = d.get("/api/v1/cases/%s/qr" % c["number"], key="kiosk")
    eq(st, 403, "the QR (it holds the token) is for staff")
    conn_path = "/api/v1/cases/%s/qr?format=png&module=6" % c["number"]
    import http.client
    h = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
    h.request("GET", conn_path, headers={"Authorization": "Bearer " + d.key("agent")})
    r = h.getresponse()
    png = r.read()
    h.close()
    eq(r.status, 200, "QR PNG")
    eq(png[:8], b"\x89PNG\r\n\x1a\n", "PNG signature")
    path = env.path("qr.png")
    with open(path, "wb") as f:
        f.write(png)
    eq(zbar(path), c["tracking_url"], "zbarimg decodes the tracking URL")
    st, svg = d.get("/api/v1/cases/%s/qr?format=svg" % c["number"], key="agent")
    eq(st, 200, "QR SVG")
    check("<svg" in svg and "viewBox" in svg, "an SVG document")


@test
def tracking_page_in_chromium_at_phone_size(env):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        fail("chromium is not installed (scripts/deps.sh installs it)")
    _, d = setup(env)
    c = create(d, leak())
    move(d, c["number"], "start")
    os.makedirs(ARTIFACTS, exist_ok=True)
    shot = os.path.join(ARTIFACTS, "tracking-page.png")
    if os.path.exists(shot):
        os.remove(shot)
    profile = env.path("chromium-profile")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--user-data-dir=" + profile,
                    "--window-size=390,1600", "--screenshot=" + shot,
                    "http://127.0.0.1:%d/t/%s" % (d.port, token_of(c))],
                   capture_output=True, timeout=120)
    check(os.path.exists(shot) and os.path.getsize(shot) > 5000, "a screenshot was taken")
    eq(zbar(shot), c["tracking_url"], "the QR on the rendered page decodes to its URL")


@test
def statistics_json_and_csv(env):
    _, d = setup(env)
    a = create(d, leak())
    b = create(d, leak(kind="complaint", category="billing",
                       complainant={"mobile": "13900000005"}))
    move(d, a["number"], "start")
    move(d, a["number"], "resolve", note="修好了")
    month = iso(d.clock)[:7]
    s = d.ok("GET", "/api/v1/case-stats?month=" + month, key="agent")
    eq(s["total"], 2, "total")
    eq(s["handled"], 1, "handled")
    kinds = {r["key"]: r for r in s["by"]["kind"]}
    eq(kinds["repair"]["label"], "报修", "kind label")
    depts = {r["key"]: r for r in s["by"]["department"]}
    eq(depts["branch"]["count"], 1, "complaint/billing counted for the branch")
    eq(depts["branch"]["label"], "营业分公司", "department label")
    check(b["number"], "second case")
    import http.client
    h = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
    h.request("GET", "/api/v1/case-stats?format=csv&month=" + month,
              headers={"Authorization": "Bearer " + d.key("agent")})
    r = h.getresponse()
    raw = r.read()
    h.close()
    eq(r.status, 200, "CSV")
    eq(raw[:3], b"\xef\xbb\xbf", "UTF-8 BOM")
    check("报修" in raw.decode("utf-8"), "Chinese labels in the CSV")
    check("attachment" in r.getheader("Content-Disposition", ""), "a download")
    expect_error(d, "GET", "/api/v1/case-stats?month=2026-13", None, 400, "invalid",
                 field="month", key="agent")


if __name__ == "__main__":
    gwtest.check_binaries()
    run()
