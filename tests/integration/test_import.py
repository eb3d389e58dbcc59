"""Integration tests of the CSV imports: the billing system's resident export (UTF-8 and
GBK, bad rows reported by line and skipped, phone numbers normalised, re-import by
account) and the areas import.
Run from the repo root: python3 tests/integration/test_import.py [NAME-FILTER]"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import *  # noqa: E402,F401,F403
import gwtest  # noqa: E402

B3, B4, B5, B6 = building(3), building(4), building(5), building(6)


def messy_rows():
    """Data rows (the header is line 1, so row i is on line i + 2) and what must come of
    them: {line: field} for the bad ones, {account: (mobile, areas, openid)} for the good."""
    rows = [
        ["8800000001", "张三", "+86 139 0000 0001", "", B3],             # line 2
        ["8800000002", "李四", "0086-139-0000-0002", "", B4],            # line 3
        ["8800000009", "坏号码", "1234567", "", B3],                     # line 4
        ["8800000010", "坏区域", "13900000010", "", "999999999"],         # line 5
        ["8800000011", "少一列", "13900000011"],                          # line 6
        ["8800000003", "王,五", "139 0000 0003", "oWang3", B3 + ";" + B4],  # line 7
        ["8800000004", "赵六", "8613900000004", "", B5 + "|" + B6],      # line 8
    ]
    bad = {4: "手机号", 5: "区域编码", 6: None}
    good = {"8800000001": ("13900000001", [B3], None, "张三"),
            "8800000002": ("13900000002", [B4], None, "李四"),
            "8800000003": ("13900000003", [B3, B4], "oWang3", "王,五"),
            "8800000004": ("13900000004", [B5, B6], None, "赵六")}
    return rows, bad, good


def check_report(rep, bad, good, encoding):
    check(rep.get("encoding", "").lower().replace("-", "") in encoding,
          "reported encoding %r, expected one of %r" % (rep.get("encoding"), encoding))
    eq(rep.get("rows"), len(bad) + len(good), "rows in the report")
    eq(rep.get("created"), len(good), "created")
    eq(rep.get("skipped"), len(bad), "skipped")
    errs = rep.get("errors") or []
    lines = sorted(e.get("line") for e in errs)
    eq(lines, sorted(bad), "lines of the reported errors (%s)" % short(errs))
    for e in errs:
        want = bad.get(e.get("line"))
        if want is not None:
            eq(e.get("field"), want, "field of the error on line %s (%s)" % (e.get("line"),
                                                                           e.get("message")))
        check(e.get("message"), "error on line %s has no message" % e.get("line"))


def check_stored(d, good, bad_accounts=("8800000009", "8800000010", "8800000011")):
    for acct, (mob, areas, oid, name) in good.items():
        r = d.ok("GET", "/api/v1/residents/" + acct, expect=200)
        eq(r.get("mobile"), mob, "mobile of %s" % acct)
        eq(sorted(r.get("areas") or []), sorted(areas), "areas of %s" % acct)
        eq(r.get("name"), name, "name of %s" % acct)
        if oid:
            eq(r.get("openid"), oid, "openid of %s" % acct)
        else:
            check(not r.get("openid"), "%s has openid %r" % (acct, r.get("openid")))
    for acct in bad_accounts:
        st, _ = d.get("/api/v1/residents/" + acct)
        eq(st, 404, "resident %s from a bad row" % acct)


@test
def utf8_import_with_bad_rows(env):
    d = env.daemon()
    d.add_areas()
    rows, bad, good = messy_rows()
    rep = d.import_csv(csv_bytes(rows))
    check_report(rep, bad, good, ("utf8",))
    check_stored(d, good)
    lst = d.ok("GET", "/api/v1/residents?area=%s" % COMMUNITY, expect=200)
    eq(lst.get("total"), 4, "residents in 幸福小区 after the import")


@test
def gbk_import_with_bad_rows(env):
    d = env.daemon()
    d.add_areas()
    rows, bad, good = messy_rows()
    rep = d.import_csv(csv_bytes(rows, encoding="gbk"))
    check_report(rep, bad, good, ("gb18030", "gbk", "gb2312"))
    check_stored(d, good)


@test
def bom_and_lf_line_endings(env):
    d = env.daemon()
    d.add_areas()
    text = "户号,户名,手机号,openid,区域编码\n8800000001,张三,13900000001,,%s\n" % B3
    rep = d.import_csv(b"\xef\xbb\xbf" + text.encode("utf-8"))
    eq((rep.get("created"), rep.get("skipped")), (1, 0), "created/skipped (%s)" % short(rep))
    # Columns in another order, the optional openid column absent.
    text = "区域编码,手机号,户名,户号\n%s,13900000002,李四,8800000002\n" % B4
    rep = d.import_csv(text.encode("utf-8"))
    eq((rep.get("created"), rep.get("skipped")), (1, 0), "reordered columns (%s)" % short(rep))
    r = d.ok("GET", "/api/v1/residents/8800000002", expect=200)
    eq((r.get("mobile"), r.get("areas")), ("13900000002", [B4]), "resident from reordered CSV")


@test
def reimport_updates_by_account(env):
    d = env.daemon()
    d.add_areas()
    r1, r2, r3 = (resident(i, B3) for i in (1, 2, 3))
    rep = d.import_csv(csv_bytes([resident_row(r) for r in (r1, r2)]))
    eq((rep.get("created"), rep.get("updated"), rep.get("unchanged")), (2, 0, 0),
       "first import (%s)" % short(rep))
    r1["mobile"] = "13911112222"
    rep = d.import_csv(csv_bytes([resident_row(r) for r in (r1, r2, r3)]))
    eq((rep.get("created"), rep.get("updated"), rep.get("unchanged"), rep.get("skipped")),
       (1, 1, 1, 0), "re-import created/updated/unchanged/skipped (%s)" % short(rep))
    got = d.ok("GET", "/api/v1/residents/" + r1["account"], expect=200)
    eq(got.get("mobile"), "13911112222", "mobile after re-import")
    lst = d.ok("GET", "/api/v1/residents?area=%s" % B3, expect=200)
    eq(lst.get("total"), 3, "no duplicate residents after re-import")


@test
def header_missing_required_column(env):
    d = env.daemon()
    d.add_areas()
    data = csv_bytes([["8800000001", "张三", B3]], header=["户号", "户名", "区域编码"])
    st, b = d.post("/api/v1/residents/import", data, content_type="text/csv")
    eq(st, 400, "import without 手机号 column (%s)" % short(b))
    code, _, msg = api_error(b)
    eq(code, "invalid", "error code")
    check("手机号" in msg, "message does not name the missing column: %r" % msg)
    lst = d.ok("GET", "/api/v1/residents?area=%s" % DISTRICT, expect=200)
    eq(lst.get("total"), 0, "nothing stored")


@test
def areas_import_csv(env):
    d = env.daemon()
    rows = [[DISTRICT, "上城区", "", "district"],
            [STREET, "湖滨街道", DISTRICT, "street"],
            [COMMUNITY, "幸福小区", STREET, "community"],
            [B3, "3幢", COMMUNITY, "building"],
            [B4, "4幢", COMMUNITY, "building"],
            ["330102001009", "无父区域", "330199", "community"],      # line 7: unknown parent
            ["330102001008", "坏级别", STREET, "planet"]]             # line 8: bad level
    for enc in ("utf-8", "gbk"):
        rep = d.import_csv(csv_bytes(rows, header=["code", "name", "parent", "level"],
                                     encoding=enc), path="/api/v1/areas/import")
        eq(rep.get("skipped"), 2, "skipped area rows (%s, %s)" % (enc, short(rep)))
        eq(sorted(e.get("line") for e in rep.get("errors", [])), [7, 8],
           "lines of bad area rows (%s)" % enc)
        if enc == "utf-8":
            eq(rep.get("created"), 5, "created areas (%s)" % short(rep))
        else:
            eq((rep.get("created"), rep.get("unchanged", 0) + rep.get("updated", 0)), (0, 5),
               "re-imported areas (%s)" % short(rep))
    areas = {a["code"]: a for a in d.ok("GET", "/api/v1/areas", expect=200)["areas"]}
    eq(set(areas), {DISTRICT, STREET, COMMUNITY, B3, B4}, "stored areas")
    eq(areas[B3].get("parent"), COMMUNITY, "parent of building 3")
    eq(areas[B3].get("name"), "3幢", "name of building 3")
    eq(areas[B3].get("level"), "building", "level of building 3")
    d.import_csv(csv_bytes([resident_row(resident(1, B3))]))
    areas = {a["code"]: a for a in d.ok("GET", "/api/v1/areas", expect=200)["areas"]}
    eq(areas[B3].get("residents"), 1, "resident count of building 3")


if __name__ == "__main__":
    gwtest.check_binaries()
    run()
