"""Tests of the fake cloud services themselves (fakecloud.py), without gatewayd: their
signature checks must accept the worked examples the vendors publish (PROVIDERS.md) and
refuse what the real services refuse, with the real error shapes; scripted failures,
token invalidation, client_msg_id de-duplication and rate limits must behave as documented.
Run from the repo root: python3 tests/integration/test_fakecloud.py [NAME-FILTER]"""

import datetime
import hashlib
import http.client
import json
import os
import sys
import time
import urllib.parse
import uuid

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import test, run, eq, check  # noqa: E402
import fakecloud as fc  # noqa: E402

UTC = datetime.timezone.utc


def at(s):
    """Unix seconds of "2017-07-12T02:42:19Z"."""
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def iso_z(ts):
    return datetime.datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def raw(fake, method, target, headers, body=b""):
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for k, v in headers:
            conn.putheader(k, v)
        if body or method == "POST":
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if body:
            conn.send(body)
        r = conn.getresponse()
        data = r.read().decode("utf-8")
        ctype = r.getheader("Content-Type", "")
        return r.status, (json.loads(data) if "json" in ctype else data)
    finally:
        conn.close()


def qs(pairs):
    return "&".join("%s=%s" % (fc.pct(k), fc.pct(v)) for k, v in pairs)


# ---- clients written from the documents (the signing functions are checked against the
# published examples below, so they may sign for the end-to-end checks) ----

def aliyun_v3(fake, query, form=None, nonce=None, date=None, secret=None, key_id=None,
              action="SendSms", version="2017-05-25", host="dysmsapi.aliyuncs.com",
              tamper=None):
    body = qs(form).encode() if form else b""
    h = {"host": host, "x-acs-action": action, "x-acs-version": version,
         "x-acs-date": date or iso_z(fake.clock()),
         "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
         "x-acs-content-sha256": hashlib.sha256(body).hexdigest()}
    if form:
        h["content-type"] = "application/x-www-form-urlencoded"
    signed = sorted(h)
    creq = fc.aliyun_v3_canonical_request("POST", query, h, signed, h["x-acs-content-sha256"])
    sig, _ = fc.aliyun_v3_signature(secret or fake.secret, creq)
    h["authorization"] = "ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s" % (
        key_id or fake.key_id, ";".join(signed), sig)
    if tamper:
        tamper(h)
    return raw(fake, "POST", "/?" + qs(query), list(h.items()), body)


def aliyun_v2(fake, params, method="GET", nonce=None, ts=None, fmt="JSON"):
    p = [("AccessKeyId", fake.key_id), ("Format", fmt), ("SignatureMethod", "HMAC-SHA1"),
         ("SignatureNonce", nonce or uuid.uuid4().hex), ("SignatureVersion", "1.0"),
         ("Timestamp", ts or iso_z(fake.clock())), ("Version", "2017-05-25")] + params
    p = [(k, v) for k, v in p if v is not None]
    p.append(("Signature", fc.aliyun_v2_signature(fake.secret, method, p)))
    if method == "GET":
        return raw(fake, "GET", "/?" + qs(p), [("Host", "dysmsapi.aliyuncs.com")])
    return raw(fake, "POST", "/", [("Host", "dysmsapi.aliyuncs.com"),
                                   ("Content-Type", "application/x-www-form-urlencoded")],
               qs(p).encode())


def send_params(phones, code="SMS_1001", tp=None):
    return [("Action", "SendSms"), ("PhoneNumbers", ",".join(phones)), ("SignName", "幸福水务"),
            ("TemplateCode", code), ("TemplateParam", json.dumps(tp or {"area": "幸福小区"},
                                                                 ensure_ascii=False))]


def tencent(fake, body, ts=None, ctype="application/json", sign_ctype=None, sep=", ",
            secret=None, service="sms", action="SendSms"):
    data = json.dumps(body, ensure_ascii=False).encode() if not isinstance(body, bytes) \
        else body
    ts = str(int(ts if ts is not None else fake.clock()))
    h = {"content-type": sign_ctype or ctype, "host": "sms.tencentcloudapi.com"}
    creq = fc.tc3_canonical_request("POST", "", h, ["content-type", "host"], data)
    sig, _ = fc.tc3_signature(secret or fake.secret, service, ts, creq)
    date = datetime.datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%d")
    auth = ("TC3-HMAC-SHA256 Credential=%s/%s/%s/tc3_request" + sep +
            "SignedHeaders=content-type;host" + sep + "Signature=%s") % (
        fake.key_id, date, service, sig)
    hdrs = [("Host", "sms.tencentcloudapi.com"), ("Content-Type", ctype),
            ("X-TC-Action", action), ("X-TC-Version", "2021-01-11"), ("X-TC-Timestamp", ts),
            ("X-TC-Region", "ap-guangzhou"), ("Authorization", auth)]
    return raw(fake, "POST", "/", hdrs, data)


def tc_body(phones, **kw):
    b = {"PhoneNumberSet": phones, "SmsSdkAppId": "1400006666", "TemplateId": "2001",
         "SignName": "幸福水务", "TemplateParamSet": ["a", "b"]}
    b.update(kw)
    return b


def started(env, fake):
    env.fakes.append(fake)
    return fake.start()


# ---- published examples ----

@test
def vectors_pure_functions(env):
    p = [("AccessKeyId", "testId"), ("Action", "SendSms"), ("Format", "XML"), ("OutId", "123"),
         ("PhoneNumbers", "15300000001"), ("RegionId", "cn-hangzhou"),
         ("SignName", "阿里云短信测试专用"), ("SignatureMethod", "HMAC-SHA1"),
         ("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"),
         ("SignatureVersion", "1.0"), ("TemplateCode", "SMS_71390007"),
         ("TemplateParam", '{"customer":"test"}'), ("Timestamp", "2017-07-12T02:42:19Z"),
         ("Version", "2017-05-25")]
    eq(fc.aliyun_v2_signature("testSecret", "GET", p), "zJDF+Lrzhj/ThnlvIToysFRq6t4=",
       "Alibaba V2 example")
    h = {"host": "ecs.cn-shanghai.aliyuncs.com", "x-acs-action": "RunInstances",
         "x-acs-version": "2014-05-26", "x-acs-date": "2023-10-26T10:22:32Z",
         "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
         "x-acs-content-sha256": fc.EMPTY_SHA256}
    q = [("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"),
         ("RegionId", "cn-shanghai")]
    creq = fc.aliyun_v3_canonical_request("POST", q, h, sorted(h), fc.EMPTY_SHA256)
    eq(fc.aliyun_v3_signature("YourAccessKeySecret", creq)[0],
       "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0", "Alibaba V3 example")
    body = (b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], '
            b'"Name": "instance-name"}]}')
    eq(hashlib.sha256(body).hexdigest()[:8], "35e9c5b0", "Tencent example payload hash")
    th = {"content-type": "application/json; charset=utf-8", "host": "cvm.tencentcloudapi.com"}
    creq = fc.tc3_canonical_request("POST", "", th, ["content-type", "host"], body)
    eq(fc.tc3_signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm", "1551113065", creq)[0],
       "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168", "Tencent example")


@test
def aliyun_v2_example_through_the_server(env):
    fake = started(env, fc.FakeAliyun(clock=lambda: at("2017-07-12T02:42:19Z") + 30))
    target = ("/?AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123"
              "&PhoneNumbers=15300000001&RegionId=cn-hangzhou"
              "&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95"
              "%E4%B8%93%E7%94%A8&SignatureMethod=HMAC-SHA1"
              "&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0"
              "&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D"
              "&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25"
              "&Signature=zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D")
    st, body = raw(fake, "GET", target, [("Host", "dysmsapi.aliyuncs.com")])
    eq(st, 200, "status (%s)" % body)
    check("<Code>OK</Code>" in body and "<BizId>" in body, "XML answer (Format=XML): %s" % body)
    eq(fake.phones(), ["15300000001"], "accepted numbers")
    st, body = raw(fake, "GET", target, [("Host", "dysmsapi.aliyuncs.com")])
    eq(st, 400, "replayed request")
    check("<Code>SignatureNonceUsed</Code>" in body, "replay answer: %s" % body)


@test
def aliyun_v3_example_through_the_server(env):
    fake = started(env, fc.FakeAliyun(key_id="YourAccessKeyId", secret="YourAccessKeySecret",
                                      clock=lambda: at("2023-10-26T10:22:32Z") - 60))
    hdrs = [("Host", "ecs.cn-shanghai.aliyuncs.com"),
            ("x-acs-action", "RunInstances"), ("x-acs-version", "2014-05-26"),
            ("x-acs-date", "2023-10-26T10:22:32Z"),
            ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
            ("x-acs-content-sha256", fc.EMPTY_SHA256),
            ("Authorization", "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;"
             "x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;"
             "x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f"
             "3283c0")]
    target = "/?ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai"
    st, body = raw(fake, "POST", target, hdrs)
    # The signature is right; this fake is dysmsapi, so the ECS version is what it refuses.
    eq((st, body.get("Code")), (400, "InvalidVersion"), "answer to the V3 example (%s)" % body)
    st, body = raw(fake, "POST", target, hdrs)
    eq(body.get("Code"), "SignatureNonceUsed", "the example replayed")
    hdrs[-1] = (hdrs[-1][0], hdrs[-1][1][:-1] + "1")
    st, body = raw(fake, "POST", target, hdrs)
    eq((st, body.get("Code")), (400, "SignatureDoesNotMatch"), "a changed signature")
    eq(body.get("HostId"), "dysmsapi.aliyuncs.com", "error shape")


# ---- Alibaba behaviour ----

@test
def aliyun_v3_sends_and_refuses(env):
    fake = started(env, fc.FakeAliyun(sign_name="幸福水务", templates={"SMS_1001": ["area"]}))
    st, b = aliyun_v3(fake, send_params(["13900000001", "+8613900000002"]))
    eq((st, b.get("Code")), (200, "OK"), "send (%s)" % b)
    check(b.get("BizId") and b.get("RequestId"), "BizId and RequestId in %s" % b)
    eq(fake.phones(), ["13900000001", "13900000002"], "numbers recorded (normalised)")
    eq(fake.send_for("13900000002").template_param, {"area": "幸福小区"}, "params recorded")
    # parameters in a form body are covered by the body hash
    st, b = aliyun_v3(fake, [], form=send_params(["13900000003"]))
    eq((st, b.get("Code")), (200, "OK"), "send with a form body (%s)" % b)
    nonce = uuid.uuid4().hex
    eq(aliyun_v3(fake, send_params(["13900000004"]), nonce=nonce)[1].get("Code"), "OK", "first")
    st, b = aliyun_v3(fake, send_params(["13900000004"]), nonce=nonce)
    eq((st, b.get("Code")), (400, "SignatureNonceUsed"), "same nonce again")
    st, b = aliyun_v3(fake, send_params(["13900000005"]), date=iso_z(time.time() - 16 * 60))
    eq((st, b.get("Code")), (400, "InvalidTimeStamp.Expired"), "16 minutes old")
    st, b = aliyun_v3(fake, send_params(["13900000005"]), date="2026-11-23 10:00:00")
    eq(b.get("Code"), "InvalidTimeStamp.Format", "a date without T and Z")
    st, b = aliyun_v3(fake, send_params(["13900000005"]), secret="wrong")
    eq((st, b.get("Code")), (400, "SignatureDoesNotMatch"), "wrong secret")
    st, b = aliyun_v3(fake, send_params(["13900000005"]), key_id="nobody")
    eq((st, b.get("Code")), (404, "InvalidAccessKeyId.NotFound"), "unknown key")

    def drop_nonce_from_signed(h):
        h["authorization"] = h["authorization"].replace("x-acs-signature-nonce;", "")
    st, b = aliyun_v3(fake, send_params(["13900000005"]), tamper=drop_nonce_from_signed)
    eq((st, b.get("Code")), (400, "IncompleteSignature"), "an x-acs-* header left unsigned")

    def wrong_body_hash(h):
        h["x-acs-content-sha256"] = fc.EMPTY_SHA256
    st, b = aliyun_v3(fake, [], form=send_params(["13900000005"]), tamper=wrong_body_hash)
    eq((st, b.get("Code")), (400, "SignatureDoesNotMatch"), "a body hash that is not the body's")
    st, b = aliyun_v3(fake, send_params(["1390000000%d" % i for i in range(10)] +
                                        ["139%08d" % i for i in range(991)]))
    eq((st, b.get("Code")), (200, "isv.MOBILE_COUNT_OVER_LIMIT"), "1001 numbers")
    st, b = aliyun_v3(fake, send_params(["1390000001"]))
    eq(b.get("Code"), "isv.MOBILE_NUMBER_ILLEGAL", "10 digits")
    st, b = aliyun_v3(fake, send_params(["13900000006"], tp={"area": 3}))
    eq(b.get("Code"), "isv.INVALID_JSON_PARAM", "a number as a template value")
    st, b = aliyun_v3(fake, send_params(["13900000006"], tp={"x": "y"}))
    eq(b.get("Code"), "isv.TEMPLATE_MISSING_PARAMETERS", "a template variable missing")
    st, b = aliyun_v3(fake, send_params(["13900000006"], code="SMS_9"))
    eq(b.get("Code"), "isv.SMS_TEMPLATE_ILLEGAL", "unknown template")
    check("BizId" not in b, "a business error carries no BizId")
    eq(len(fake.phones()), 4, "nothing recorded from refused requests")


@test
def aliyun_scripted_failures_and_v2(env):
    fake = started(env, fc.FakeAliyun())
    fake.fail_next("isv.BUSINESS_LIMIT_CONTROL", 500, "isp.SYSTEM_ERROR", fc.Timeout(0.5))
    got = [aliyun_v3(fake, send_params(["13900000001"])) for _ in range(3)]
    eq([(s, b.get("Code")) for s, b in got],
       [(200, "isv.BUSINESS_LIMIT_CONTROL"), (500, "InternalError"), (200, "isp.SYSTEM_ERROR")],
       "scripted answers")
    t0 = time.monotonic()
    st, b = aliyun_v3(fake, send_params(["13900000001"]))
    check(time.monotonic() - t0 >= 0.45 and b.get("Code") == "OK", "slow answer: %s" % b)
    eq(fake.phones(), ["13900000001"], "only the slow one was sent")
    st, b = aliyun_v2(fake, send_params(["13900000002"]), method="POST")
    eq((st, b.get("Code")), (200, "OK"), "V2 with a form body (%s)" % b)
    st, b = aliyun_v2(fake, send_params(["13900000003"]), fmt=None)
    check(isinstance(b, str) and "<Code>OK</Code>" in b, "XML without Format: %s" % b)
    nonce = uuid.uuid4().hex
    aliyun_v2(fake, send_params(["13900000004"]), nonce=nonce)
    eq(aliyun_v2(fake, send_params(["13900000004"]), nonce=nonce)[1].get("Code"),
       "SignatureNonceUsed", "V2 nonce reused")
    eq(aliyun_v2(fake, send_params(["13900000004"]), ts=iso_z(time.time() + 20 * 60))[1]
       .get("Code"), "InvalidTimeStamp.Expired", "V2 timestamp 20 min ahead")
    # a '+' sent raw in the query is a space to the server: the signature no longer matches
    p = [("AccessKeyId", fake.key_id), ("Format", "JSON"), ("SignatureMethod", "HMAC-SHA1"),
         ("SignatureNonce", uuid.uuid4().hex), ("SignatureVersion", "1.0"),
         ("Timestamp", iso_z(fake.clock())), ("Version", "2017-05-25")] + \
        send_params(["+8613900000005"])
    sig = fc.aliyun_v2_signature(fake.secret, "GET", p)
    target = "/?" + qs(p).replace("%2B86", "+86") + "&Signature=" + fc.pct(sig)
    st, b = raw(fake, "GET", target, [("Host", "x")])
    eq(b.get("Code"), "SignatureDoesNotMatch", "raw '+' in the query")
    sends = [fake.send_for("13900000002")]
    item = fake.report(sends[0], success=False, err_code="MK:0001")
    eq((item["success"], item["err_code"], item["phone_number"]), (False, "MK:0001",
                                                                  "13900000002"), "report item")


@test
def aliyun_query_send_details(env):
    fake = started(env, fc.FakeAliyun())
    aliyun_v3(fake, send_params(["13900000001"]))
    s = fake.send_for("13900000001")
    day = datetime.datetime.fromtimestamp(s.t, fc.CST).strftime("%Y%m%d")
    q = [("PhoneNumber", "13900000001"), ("SendDate", day), ("PageSize", "10"),
         ("CurrentPage", "1"), ("BizId", s.biz_id)]
    st, b = aliyun_v3(fake, q, action="QuerySendDetails")
    eq((b.get("Code"), b.get("TotalCount")), ("OK", 1), "query (%s)" % b)
    eq(b["SmsSendDetailDTOs"]["SmsSendDetailDTO"][0]["SendStatus"], 1, "waiting for receipt")


# ---- Tencent ----

@test
def tencent_signs_and_answers_per_number(env):
    fake = started(env, fc.FakeTencent(sign_name="幸福水务", templates={"2001": 2}))
    fake.number_codes["13900000002"] = "InvalidParameterValue.IncorrectPhoneNumber"
    fake.number_once("13900000003", "LimitExceeded.PhoneNumberThirtySecondLimit")
    st, b = tencent(fake, tc_body(["+8613900000001", "13900000002", "008613900000003"]))
    eq(st, 200, "status")
    rs = b["Response"]["SendStatusSet"]
    eq([r["Code"] for r in rs], ["Ok", "InvalidParameterValue.IncorrectPhoneNumber",
                                 "LimitExceeded.PhoneNumberThirtySecondLimit"], "codes")
    check(rs[0]["SerialNo"] and not rs[1]["SerialNo"], "SerialNo only for Ok: %s" % rs)
    eq(rs[0]["PhoneNumber"], "+8613900000001", "E.164 in the answer")
    st, b = tencent(fake, tc_body(["13900000003"]))
    eq(b["Response"]["SendStatusSet"][0]["Code"], "Ok", "second try after the 30 s limit")
    eq(fake.phones(), ["13900000001", "13900000003"], "accepted numbers")
    st, b = tencent(fake, tc_body(["13900000004"], TemplateParamSet=["a"]))
    eq(b["Response"]["SendStatusSet"][0]["Code"],
       "FailedOperation.TemplateParamSetNotMatchApprovedTemplate", "one parameter short")


@test
def tencent_refuses(env):
    fake = started(env, fc.FakeTencent())

    def code(resp):
        return resp[1]["Response"].get("Error", {}).get("Code")
    eq(code(tencent(fake, tc_body(["13900000001"]), sep=",")),
       "AuthFailure.InvalidAuthorization", "',' instead of ', '")
    eq(code(tencent(fake, tc_body(["13900000001"]), ts=time.time() - 301)),
       "AuthFailure.SignatureExpire", "timestamp 5 min old")
    eq(code(tencent(fake, tc_body(["13900000001"]), secret="x")),
       "AuthFailure.SignatureFailure", "wrong secret")
    eq(code(tencent(fake, tc_body(["13900000001"]), service="cvm")),
       "AuthFailure.SignatureFailure", "service cvm")
    eq(code(tencent(fake, tc_body(["13900000001"]), ctype="application/json; charset=utf-8",
                    sign_ctype="application/json")),
       "AuthFailure.SignatureFailure", "content-type signed differently from what is sent")
    eq(code(tencent(fake, tc_body(["13900000001"]), ctype="application/json; charset=utf-8")),
       None, "charset sent and signed alike")
    eq(code(tencent(fake, tc_body(["139%08d" % i for i in range(201)]))),
       "LimitExceeded.PhoneNumberCountLimit", "201 numbers")
    eq(code(tencent(fake, tc_body(["13900000001"], SmsSdkAppId="1400000000"))),
       "InvalidParameterValue.SdkAppIdNotExist", "wrong app id")
    eq(code(tencent(fake, b"{not json")), "FailedOperation.JsonParseFail", "garbage body")
    fake.fail_next("InternalError.Timeout", 502)
    eq(code(tencent(fake, tc_body(["13900000001"]))), "InternalError.Timeout", "scripted")
    eq(tencent(fake, tc_body(["13900000001"]))[0], 502, "scripted HTTP 502")
    eq(len(fake.phones()), 1, "accepted")


# ---- WeChat and WeCom ----

def wx_token(fake, force=False, secret="wxsecret"):
    st, b = raw(fake, "POST", "/cgi-bin/stable_token", [("Content-Type", "application/json")],
                json.dumps({"grant_type": "client_credential", "appid": "wxappid",
                            "secret": secret, "force_refresh": force}).encode())
    return b


def wx_send(fake, token, touser, cmi=None, data=None, tid="TPL_planned"):
    body = {"touser": touser, "template_id": tid,
            "data": data or {"thing1": {"value": "幸福小区3幢"},
                             "time2": {"value": "11月25日09:00"},
                             "phone_number4": {"value": "0571-87654321"}}}
    if cmi:
        body["client_msg_id"] = cmi
    st, b = raw(fake, "POST", "/cgi-bin/message/template/send?access_token=" +
                urllib.parse.quote(token), [("Content-Type", "application/json")],
                json.dumps(body, ensure_ascii=False).encode())
    return b


@test
def wechat_tokens_and_template_messages(env):
    fake = started(env, fc.FakeWeChat(templates={"TPL_planned": ["thing1", "time2", "thing3",
                                                                 "phone_number4"]}))
    eq(wx_token(fake, secret="bad").get("errcode"), 40125, "wrong secret")
    t1 = wx_token(fake)
    check(t1.get("access_token") and t1.get("expires_in", 0) > 7000, "token %s" % t1)
    eq(wx_token(fake)["access_token"], t1["access_token"], "stable token: same while valid")
    eq(wx_send(fake, t1["access_token"], "oA", "n1-m1").get("errcode"), 0, "send")
    again = wx_send(fake, t1["access_token"], "oA", "n1-m1")
    eq((again.get("errcode"), fake.dedup_hits, len(fake.sends)), (0, 1, 1),
       "same openid + client_msg_id: answered ok, sent once")
    fake.unfollowed.add("oB")
    eq(wx_send(fake, t1["access_token"], "oB").get("errcode"), 43004, "unfollowed")
    bad = wx_send(fake, t1["access_token"], "oC", data={"thing1": {"value": "一" * 21}})
    eq(bad.get("errcode"), 47003, "thing over 20 characters (%s)" % bad)
    check("data.thing1.value invalid" in bad.get("errmsg", ""), "errmsg %s" % bad)
    eq(wx_send(fake, t1["access_token"], "oC", tid="nope").get("errcode"), 40037, "template")
    fake.invalidate_after(1)
    eq(wx_send(fake, t1["access_token"], "oD").get("errcode"), 0, "last good send")
    eq(wx_send(fake, t1["access_token"], "oE").get("errcode"), 40001, "then 40001")
    t2 = wx_token(fake)
    check(t2["access_token"] != t1["access_token"], "a new token after invalidation")
    eq(wx_send(fake, t2["access_token"], "oE").get("errcode"), 0, "new token works")
    fake.expire_token()
    eq(wx_send(fake, t2["access_token"], "oF").get("errcode"), 42001, "expired")
    t3 = wx_token(fake, force=True)
    eq(wx_send(fake, t3["access_token"], "oF").get("errcode"), 0, "after force_refresh")
    eq(wx_send(fake, "", "oF").get("errcode"), 41001, "no token")


@test
def wecom_twenty_a_minute(env):
    now = [1000.0]
    fake = started(env, fc.FakeWeCom(keys=("k1",), clock=lambda: now[0]))

    def send(key="k1", content="停水通知"):
        return raw(fake, "POST", "/cgi-bin/webhook/send?key=" + key,
                   [("Content-Type", "application/json")],
                   json.dumps({"msgtype": "text", "text": {"content": content}},
                              ensure_ascii=False).encode())[1]["errcode"]
    eq([send() for _ in range(21)], [0] * 20 + [45009], "21 messages in a minute")
    now[0] += 61
    eq(send(), 0, "a minute later")
    eq(send(key="k2"), 93000, "unknown key")
    eq(send(content=""), 44004, "empty")
    eq(send(content="x" * 2049), 40058, "2049 bytes")


if __name__ == "__main__":
    run()
