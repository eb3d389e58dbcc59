"""Integration tests of the HTTP API's edges: health, metrics, keys and roles, request
validation (JSON, UTF-8, size, unknown fields) and the residents CRUD endpoints.
Run from the repo root: python3 tests/integration/test_api.py [NAME-FILTER]"""

import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import *  # noqa: E402,F401,F403
import gwtest  # noqa: E402


@test
def healthz_needs_no_key(env):
    d = env.daemon()
    st, b = d.get("/healthz", key=None)
    eq(st, 200, "GET /healthz status")
    eq(b.get("status"), "ok", "healthz status field")
    eq(b.get("queue_depth"), 0, "healthz queue_depth on an empty store")


@test
def metrics_text_format(env):
    d = env.daemon()
    d.add_areas()
    d.get("/api/v1/areas")
    st, text = d.get("/metrics", key=None)
    eq(st, 200, "GET /metrics status")
    check(isinstance(text, str), "metrics is not text: %r" % (text,))
    ctype = d.last_headers.get("Content-Type", "")
    check(ctype.startswith("text/plain"), "metrics Content-Type %r is not text/plain" % ctype)
    sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^{}]*\})? [-+0-9.eEinfNa]+( [0-9]+)?$')
    names = set()
    for ln in text.splitlines():
        if not ln or ln.startswith("#"):
            continue
        check(sample.match(ln), "metrics line is not in the Prometheus text format: %r" % ln)
        names.add(re.split(r"[{ ]", ln, 1)[0])
    check(any(n.startswith("gateway_") for n in names), "no gateway_ metric in %r" % names)
    check("gateway_queue_depth" in names, "gateway_queue_depth missing from %r" % names)
    check(any(n.startswith("gateway_http_requests") for n in names),
          "gateway_http_requests_total missing from %r" % names)


@test
def api_needs_a_key(env):
    d = env.daemon()
    expect_error(d, "GET", "/api/v1/residents", None, 401, "unauthorized", key=None)
    expect_error(d, "GET", "/api/v1/residents", None, 401, "unauthorized",
                 key="gwk_" + "0" * 64)
    expect_error(d, "POST", "/api/v1/notices", {}, 401, "unauthorized", key="not-a-key")


@test
def roles_are_enforced(env):
    d = env.daemon()
    d.add_areas()
    body = notice_body(areas=[building(3)], start=local_ts(2, 9), end=local_ts(2, 17))
    expect_error(d, "POST", "/api/v1/notices", body, 403, "forbidden", key="agent")
    expect_error(d, "POST", "/api/v1/areas", {"areas": []}, 403, "forbidden", key="agent")
    expect_error(d, "GET", "/api/v1/residents", None, 403, "forbidden", key="kiosk")
    # What an agent may do: read and write residents, read notices.
    d.ok("POST", "/api/v1/residents", resident(1, building(3)), key="agent", expect=201)
    d.ok("GET", "/api/v1/residents/%s" % resident(1, building(3))["account"], key="agent",
         expect=200)
    d.ok("GET", "/api/v1/notices", key="agent", expect=200)


@test
def malformed_json(env):
    d = env.daemon()
    d.add_areas()
    m = expect_error(d, "POST", "/api/v1/residents", '{"account": "1",\n "name": ', 400,
                     "invalid")
    check(re.search(r"line|\d+:\d+", m), "malformed-JSON message gives no line/column: %r" % m)
    expect_error(d, "POST", "/api/v1/residents", "[1,2,3]", 400, "invalid")


@test
def oversized_body(env):
    d = env.daemon(overrides={"server": {"max_body": 4096}})
    d.add_areas()
    big = resident(1, building(3), name="张" * 5000)
    expect_error(d, "POST", "/api/v1/residents", big, 413, "too_large")
    # The daemon still works after refusing.
    d.add_resident(resident(2, building(3)))


@test
def unknown_field_named(env):
    d = env.daemon()
    d.add_areas()
    st, b = d.post("/api/v1/residents", resident(1, building(3), nickname="小张"))
    eq(st, 400, "unknown field status (%s)" % short(b))
    code, field, msg = api_error(b)
    eq(code, "invalid", "unknown field code")
    check(field == "nickname" or "nickname" in msg,
          "the answer does not name the unknown field: %s" % short(b))
    st, b = d.post("/api/v1/notices", dict(notice_body(areas=[building(3)],
                                                       start=local_ts(2, 9),
                                                       end=local_ts(2, 17)), colour="red"))
    eq(st, 400, "unknown notice field status (%s)" % short(b))
    code, field, msg = api_error(b)
    check(field == "colour" or "colour" in msg, "unknown notice field not named: %s" % short(b))


@test
def invalid_utf8(env):
    d = env.daemon()
    d.add_areas()
    raw = ('{"account":"8800000001","name":"张\xff","mobile":"13900000001","areas":["%s"]}'
           % building(3)).encode("utf-8").replace(b"\xc3\xbf", b"\xff")
    m = expect_error(d, "POST", "/api/v1/residents", raw, 400, "invalid")
    check(re.search(r"\d", m), "invalid UTF-8 message gives no byte offset: %r" % m)
    st, _ = d.get("/api/v1/residents/8800000001")
    eq(st, 404, "resident with invalid UTF-8 must not be stored")


@test
def residents_crud(env):
    d = env.daemon()
    d.add_areas()
    r1 = resident(1, building(3), with_openid=True)
    created = d.add_resident(r1)
    eq(created.get("account"), r1["account"], "created resident account")
    eq(created.get("mobile"), r1["mobile"], "created resident mobile")
    expect_error(d, "POST", "/api/v1/residents", r1, 409, "conflict")

    got = d.ok("GET", "/api/v1/residents/" + r1["account"], expect=200)
    for k in ("account", "name", "mobile", "openid"):
        eq(got.get(k), r1[k], "GET resident %s" % k)
    eq(got.get("areas"), [building(3)], "GET resident areas")
    eq(got.get("opt_out"), {"sms": False, "wechat": False}, "default opt_out")
    for k in ("created_at", "updated_at"):
        check(k in got, "resident has no %s: %s" % (k, short(got)))

    full = {k: v for k, v in r1.items() if k != "account"}
    full.update({"name": "张三丰", "mobile": "+86 139-0000-9999",
                 "opt_out": {"sms": True, "wechat": False}})
    d.ok("PUT", "/api/v1/residents/" + r1["account"], full, expect=200)
    got = d.ok("GET", "/api/v1/residents/" + r1["account"], expect=200)
    eq(got.get("mobile"), "13900009999", "mobile after PUT (normalised)")
    eq(got.get("name"), "张三丰", "name after PUT")
    eq(got.get("opt_out", {}).get("sms"), True, "opt_out.sms after PUT")
    expect_error(d, "PUT", "/api/v1/residents/" + r1["account"], {"mobile": "12345"}, 400,
                 "invalid", field="mobile")
    expect_error(d, "PUT", "/api/v1/residents/8899999999", {"name": "x"}, 404, "not_found")

    d.add_resident(resident(2, building(4)))
    d.add_resident(resident(3, OTHER_COMMUNITY + "001"))
    for area, want in ((building(3), {1}), (COMMUNITY, {1, 2}), (DISTRICT, {1, 2, 3}),
                       (OTHER_COMMUNITY, {3})):
        lst = d.ok("GET", "/api/v1/residents?area=%s&limit=100&offset=0" % area, expect=200)
        accts = {r["account"] for r in lst.get("residents", [])}
        eq(accts, {resident(i, "")["account"] for i in want}, "residents of area %s" % area)
        eq(lst.get("total"), len(want), "total of area %s" % area)
    page = d.ok("GET", "/api/v1/residents?area=%s&limit=2&offset=2" % DISTRICT, expect=200)
    eq(len(page.get("residents", [])), 1, "third resident on page 2 of size 2")
    eq(page.get("total"), 3, "total with paging")

    st, b = d.delete("/api/v1/residents/" + r1["account"])
    eq(st, 204, "DELETE resident status (%s)" % short(b))
    expect_error(d, "GET", "/api/v1/residents/" + r1["account"], None, 404, "not_found")
    expect_error(d, "DELETE", "/api/v1/residents/" + r1["account"], None, 404, "not_found")
    lst = d.ok("GET", "/api/v1/residents?area=%s" % COMMUNITY, expect=200)
    eq(lst.get("total"), 1, "residents of the community after the delete")


@test
def put_changes_only_given_fields(env):
    d = env.daemon()
    d.add_areas()
    r1 = resident(1, building(3), with_openid=True)
    d.add_resident(r1)
    d.ok("PUT", "/api/v1/residents/" + r1["account"],
         {"mobile": "+86 139-0000-9999", "opt_out": {"sms": True, "wechat": False}},
         expect=200)
    got = d.ok("GET", "/api/v1/residents/" + r1["account"], expect=200)
    eq(got.get("mobile"), "13900009999", "mobile after PUT (normalised)")
    eq(got.get("opt_out", {}).get("sms"), True, "opt_out.sms after PUT")
    for k in ("name", "openid", "areas"):
        eq(got.get(k), r1[k], "%s unchanged by a PUT without it" % k)
    d.ok("PUT", "/api/v1/residents/" + r1["account"], {"areas": [building(4)]}, expect=200)
    got = d.ok("GET", "/api/v1/residents/" + r1["account"], expect=200)
    eq((got.get("areas"), got.get("mobile")), ([building(4)], "13900009999"),
       "areas/mobile after a PUT of areas only")


@test
def resident_validation(env):
    d = env.daemon()
    d.add_areas()
    expect_error(d, "POST", "/api/v1/residents", resident(1, building(3), mobile="1381234"),
                 400, "invalid", field="mobile")
    expect_error(d, "POST", "/api/v1/residents", resident(2, "999999999"), 400, "invalid",
                 field="areas")
    r = resident(3, building(3))
    del r["account"]
    expect_error(d, "POST", "/api/v1/residents", r, 400, "invalid", field="account")
    st, b = d.get("/api/v1/residents?area=%s" % DISTRICT)
    eq((st, b.get("total")), (200, 0), "nothing stored after refused creates")


@test
def areas_validation(env):
    d = env.daemon()
    d.add_areas()
    for bad, field in (({"code": "X1", "name": "无父", "parent": "nowhere", "level": "building"},
                        "parent"),
                       ({"code": "X2", "name": "坏级别", "parent": DISTRICT, "level": "planet"},
                        "level")):
        st, b = d.post("/api/v1/areas", {"areas": [bad]})
        eq(st, 400, "area %s: status (%s)" % (bad["code"], short(b)))
        code, f, msg = api_error(b)
        check(code == "invalid" and (field in (f or "") or field in msg),
              "area %s: error does not name %s: %s" % (bad["code"], field, short(b)))
    # A parent that would make a cycle: the district under one of its own buildings.
    st, b = d.post("/api/v1/areas", {"areas": [{"code": DISTRICT, "name": "上城区",
                                                "parent": building(3), "level": "district"}]})
    eq(st, 400, "area cycle: status (%s)" % short(b))
    rep = d.ok("POST", "/api/v1/areas", {"areas": [{"code": building(3), "name": "3号楼",
                                                    "parent": COMMUNITY,
                                                    "level": "building"}]}, expect=200)
    eq((rep.get("created"), rep.get("updated")), (0, 1), "renaming an area (%s)" % short(rep))
    areas = {a["code"]: a for a in d.ok("GET", "/api/v1/areas", expect=200)["areas"]}
    eq(areas[building(3)]["name"], "3号楼", "renamed area")
    eq(len(areas), len(std_areas()), "areas after refused changes")


@test
def unknown_route_and_method(env):
    d = env.daemon()
    expect_error(d, "GET", "/api/v1/nothing-here", None, 404, "not_found")
    expect_error(d, "DELETE", "/api/v1/notices", None, 405, "method_not_allowed")


if __name__ == "__main__":
    gwtest.check_binaries()
    run()
