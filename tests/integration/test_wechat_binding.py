"""Integration tests of WeChat binding and the WeChat server callback: a resident is bound
to an openid when they scan the temporary QR code that gatewayd asked WeChat for (the fake
in fakecloud.py implements qrcode/create), pushed to /callbacks/wechat with WeChat's
signature; replays, bad signatures and reused codes are refused; unsubscribe drops the
openid. The pushes are built here as WeChat's documentation describes them.
Run from the repo root: python3 tests/integration/test_wechat_binding.py [NAME-FILTER]"""

import hashlib
import os
import sys
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gwtest import *  # noqa: E402,F401,F403
import gwtest  # noqa: E402
import fakecloud as fc  # noqa: E402

TOKEN = "cbtoken2026"


def signed_query(ts, nonce, extra=""):
    sig = hashlib.sha1("".join(sorted([TOKEN, str(ts), nonce])).encode()).hexdigest()
    return "signature=%s&timestamp=%d&nonce=%s%s" % (sig, ts, nonce, extra)


def event_xml(openid, event, key="", ts=0):
    return ("<xml><ToUserName><![CDATA[gh_123456789abc]]></ToUserName>"
            "<FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[%s]]></Event>"
            "<EventKey><![CDATA[%s]]></EventKey></xml>" % (openid, ts, event, key))


def push(d, body, ts, nonce, sig_ok=True):
    q = signed_query(ts, nonce)
    if not sig_ok:
        q = q.replace("signature=", "signature=0")
    return d.post("/callbacks/wechat?" + q, body, key=None, content_type="text/xml")


def setup(env):
    cl = fc.Cloud(env, sms=("ali",), wechat=("wx",), overrides={"wechat": {"token": TOKEN}})
    rs = cl.people(2)
    return cl, rs


@test
def url_verification(env):
    cl, _ = setup(env)
    ts = int(cl.clock())
    st, b = cl.d.get("/callbacks/wechat?" + signed_query(ts, "n1", "&echostr=abc123"), key=None)
    eq((st, b), (200, "abc123"), "the echostr comes back for a good signature")
    st, _ = cl.d.get("/callbacks/wechat?" + signed_query(ts, "n1", "&echostr=abc123")
                     .replace("signature=", "signature=f"), key=None)
    eq(st, 401, "a wrong signature")


@test
def scan_binds_once_and_unsubscribe_drops(env):
    cl, rs = setup(env)
    d, r = cl.d, rs[0]
    st, qr = d.post("/api/v1/residents/%s/wechat-binding" % r["account"])
    eq(st, 201, "binding QR code (%s)" % short(qr))
    check(qr.get("qr_image_url", "").startswith("https://mp.weixin.qq.com/cgi-bin/showqrcode?"
                                                 "ticket="), "a QR image URL (%s)" % qr)
    eq(len(cl.wx.qrcodes), 1, "qrcode/create calls at WeChat")
    scene, expire = cl.wx.qrcodes[0]
    check(len(scene) >= 20 and r["account"] not in scene and r["mobile"] not in scene,
          "the scene is a random one-time code, not the account or phone (%r)" % scene)
    check(expire <= 2592000, "a temporary code")
    ts = int(cl.clock())
    st, b = push(d, event_xml("oNEWFOLLOWER01", "subscribe", "qrscene_" + scene, ts), ts, "a1")
    eq((st, b), (200, "success"), "the subscribe push")
    eq(d.ok("GET", "/api/v1/residents/%s" % r["account"]).get("openid"), "oNEWFOLLOWER01",
       "the resident is bound to the follower")
    # The same push again (WeChat retries, or a replay): refused, nothing changes.
    st, _ = push(d, event_xml("oNEWFOLLOWER01", "subscribe", "qrscene_" + scene, ts), ts, "a1")
    eq(st, 403, "a replayed push")
    # The code is used: a second scanner is not bound.
    st, _ = push(d, event_xml("oSOMEONEELSE02", "SCAN", scene, ts), ts, "a2")
    eq(st, 200, "a SCAN push with a used code is answered")
    eq(d.ok("GET", "/api/v1/residents/%s" % r["account"]).get("openid"), "oNEWFOLLOWER01",
       "a used code binds nobody else")
    st, _ = push(d, event_xml("oNEWFOLLOWER01", "unsubscribe", "", ts), ts, "a3")
    eq(st, 200, "the unsubscribe push")
    check(not d.ok("GET", "/api/v1/residents/%s" % r["account"]).get("openid"),
          "unsubscribe drops the openid")


@test
def one_token_for_sends_and_qr_codes(env):
    """The WeChat worker's template messages and the API's QR codes use the same access
    token holder: one token request in all."""
    cl = fc.Cloud(env, sms=("ali",), wechat=("wx",), overrides={"wechat": {"token": TOKEN}})
    rs = cl.people(3, with_openid=True)
    n = cl.emergency(channels=("wechat",))
    got = cl.d.wait_done(n["id"], timeout=20)
    eq(got["progress"].get("sent"), 3, "WeChat messages sent (%s)" % got["progress"])
    st, _ = cl.d.post("/api/v1/residents/%s/wechat-binding" % rs[0]["account"])
    eq(st, 201, "a binding QR code")
    eq(len(cl.wx.token_calls), 1, "token requests at WeChat (%s)" %
       [k for k, _, _ in cl.wx.token_calls])


@test
def bad_pushes_are_refused(env):
    cl, rs = setup(env)
    d = cl.d
    ts = int(cl.clock())
    st, _ = push(d, event_xml("oX", "subscribe", "", ts), ts, "b1", sig_ok=False)
    eq(st, 401, "a wrong signature")
    old = ts - 3600
    st, _ = push(d, event_xml("oX", "subscribe", "", old), old, "b2")
    eq(st, 403, "a timestamp an hour old")
    st, _ = push(d, "<xml><not closed", ts, "b3")
    eq(st, 400, "garbage XML")
    st, _ = push(d, '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml>&a;</xml>',
                 ts, "b4")
    check(st in (400, 403), "a DOCTYPE with entities is refused (%d)" % st)
    st, _ = d.post("/api/v1/residents/%s/wechat-binding" % "nobody-here")
    eq(st, 404, "a binding for an unknown resident")


if __name__ == "__main__":
    gwtest.check_binaries()
    run()
