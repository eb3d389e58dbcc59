"""fakecloud: local stand-ins for the real messaging APIs, for the integration tests.

Owns four HTTP servers on 127.0.0.1 (ThreadingHTTPServer, Python standard library only):
FakeAliyun (dysmsapi 2017-05-25, signatures V3 ACS3-HMAC-SHA256 and V2 HMAC-SHA1),
FakeTencent (sms 2021-01-11, TC3-HMAC-SHA256), FakeWeChat (stable_token / token and
template messages) and FakeWeCom (group robot webhook). Each checks a request the way the
real service documents it (/work/shared/PROVIDERS.md and the vendors' pages it cites) and
refuses a bad one with the real error shape; tests script failures, read what was accepted
and make the fakes push receipts and replies the way the services do.
Written from the documents, never from the gateway's C code: a fake that agreed with our
code by construction would test nothing. Never listens on anything but 127.0.0.1.
At the end, Cloud wires the fakes into a gatewayd started with gwtest (the providers' config
sections, callback URLs and the daemon's fake clock) for test_channels*.py.
"""

import base64
import collections
import datetime
import hashlib
import hmac
import http.client
import itertools
import json
import random
import re
import socket
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler

import gwtest  # the harness: LoopbackServer here, the daemon wiring of Cloud below

UTC = datetime.timezone.utc
CST = datetime.timezone(datetime.timedelta(hours=8))
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


# --------------------------------------------------------------------------------------
# Plumbing shared by the fakes
# --------------------------------------------------------------------------------------

class Request:
    """One HTTP request as the fake received it."""

    def __init__(self, method, target, header_items, body):
        self.t = time.monotonic()
        self.method = method
        self.target = target
        parts = urllib.parse.urlsplit(target)
        self.path = parts.path
        self.raw_query = parts.query
        self.header_items = header_items          # [(name as sent, value)], in order
        self.headers = {k.lower(): v for k, v in header_items}
        self.body = body

    def query(self):
        """The query string's parameters as (name, value) pairs, decoded the way a servlet
        container decodes them ('+' is a space)."""
        return urllib.parse.parse_qsl(self.raw_query, keep_blank_values=True)

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None


class Answer:
    """What a fake answers: status None closes the connection without answering; delay
    (seconds) is slept first, as a slow or hanging service would."""

    def __init__(self, status=200, body=None, headers=None, delay=0.0):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.delay = delay


class Call:
    """One request and what the fake made of it: code is the service's error code ("OK",
    "SignatureDoesNotMatch", 40001, ...), note a sentence for test failure messages."""

    def __init__(self, req, answer, code, note=""):
        self.req = req
        self.answer = answer
        self.status = answer.status
        self.code = code
        self.note = note

    def __repr__(self):
        return "<%s %s -> %s %s %s>" % (self.req.method, self.req.target[:80], self.status,
                                       self.code, self.note[:200])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _any(self):
        fake = self.server.fake
        req = Request(self.command, self.path, list(self.headers.items()), self._read_body())
        try:
            answer = fake._dispatch(req)
        except Exception as e:  # a bug in the fake must show, not hang the client
            answer = Answer(599, {"fake_error": "%s: %s" % (type(e).__name__, e)})
            fake._record(Call(req, answer, "FAKE_BUG", repr(e)))
        self._answer(answer)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _any

    def _answer(self, a):
        fake = self.server.fake
        deadline = time.monotonic() + a.delay
        while time.monotonic() < deadline and not fake.stopping:
            time.sleep(min(0.02, max(0.0, deadline - time.monotonic())))
        if a.status is None or fake.stopping:
            self.close_connection = True
            return
        body, ctype = a.body, "application/json;charset=utf-8"
        if isinstance(body, (dict, list)):
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        elif isinstance(body, str):
            data = body.encode("utf-8")
            ctype = "text/xml;charset=utf-8" if body.startswith("<?xml") else \
                "text/plain;charset=utf-8"
        else:
            data = body or b""
        hdrs = {"Content-Type": ctype}
        hdrs.update(a.headers)
        try:
            self.send_response(a.status)
            for k, v in hdrs.items():
                self.send_header(k, str(v))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True


class _Fake(gwtest.LoopbackServer):
    """Start/stop, the record of calls, and a clock the tests may replace (the daemon runs
    on a fake clock: GATEWAYD_CLOCK_START), shared by the fakes."""

    def __init__(self, clock=None, port=0):
        self.clock = clock or time.time
        self.port = port
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.calls = []
        self.server = None
        self.thread = None
        self.stopping = False

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def _make_server(self):
        return gwtest._Server(("127.0.0.1", self.port), _Handler, self)

    def _record(self, call):
        with self.cond:
            self.calls.append(call)
            self.cond.notify_all()
        return call.answer

    def snapshot(self, code=None):
        with self.lock:
            calls = list(self.calls)
        return [c for c in calls if code is None or c.code == code]

    def rejected(self):
        """Calls refused for a reason that is the client's fault (signature, format,
        parameters), not scripted failures."""
        return [c for c in self.snapshot() if c.note.startswith("client error")]

    def wait(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                v = pred()
                if v:
                    return v
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out after %.1f s waiting for %s" %
                                         (timeout, what))
                self.cond.wait(min(left, 0.1))


def post(url, body, content_type="application/json", timeout=10, headers=None):
    """POSTs body (dict/list as JSON, str, bytes) to url; returns (status, parsed JSON or
    text). Used to push receipts and replies to the gateway."""
    if isinstance(body, (dict, list)):
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    elif isinstance(body, str):
        data = body.encode("utf-8")
    else:
        data = body
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        target = u.path + ("?" + u.query if u.query else "")
        conn.putrequest("POST", target)
        conn.putheader("Content-Type", content_type)
        conn.putheader("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        try:
            conn.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered early (413) and closed: read that answer
        resp = conn.getresponse()
        raw = resp.read()
        status = resp.status
    finally:
        conn.close()
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def pct(s):
    """RFC 3986 percent-encoding of UTF-8 text as both Alibaba signatures define it:
    A-Z a-z 0-9 - _ . ~ unchanged, everything else %XY upper-case."""
    return urllib.parse.quote(s, safe="")


def mainland(number):
    """The 11-digit form of a mainland mobile number given as +86/0086/86/bare, or None."""
    n = number.strip()
    for p in ("+86", "0086", "86", "+"):
        if n.startswith(p) and len(n) - len(p) == 11:
            n = n[len(p):]
            break
    return n if re.fullmatch(r"1[3-9][0-9]{9}", n) else None


def beijing(ts):
    return datetime.datetime.fromtimestamp(ts, CST).strftime("%Y-%m-%d %H:%M:%S")


class Timeout:
    """A scripted slow answer: the fake sleeps seconds before answering. accepted=True
    means the message really went out (the client just stopped waiting), as happens with
    the real services, so a resend is a duplicate."""

    def __init__(self, seconds, accepted=True):
        self.seconds = seconds
        self.accepted = accepted


# --------------------------------------------------------------------------------------
# Alibaba Cloud SMS (dysmsapi 2017-05-25)
# --------------------------------------------------------------------------------------

def aliyun_v2_string_to_sign(method, params):
    """params: (name, value) pairs, Signature excluded."""
    canon = "&".join("%s=%s" % (pct(k), pct(v)) for k, v in sorted(params))
    return method + "&" + pct("/") + "&" + pct(canon)


def aliyun_v2_signature(secret, method, params):
    sts = aliyun_v2_string_to_sign(method, params)
    mac = hmac.new((secret + "&").encode(), sts.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def aliyun_v3_canonical_request(method, query_pairs, headers, signed, payload_hash):
    """headers: {lowercase name: value}; signed: the lowercase names, sorted."""
    cq = "&".join("%s=%s" % (pct(k), pct(v)) for k, v in
                  sorted((k, v) for k, v in query_pairs))
    ch = "".join("%s:%s\n" % (h, headers.get(h, "").strip()) for h in signed)
    return "\n".join([method, "/", cq, ch, ";".join(signed), payload_hash])


def aliyun_v3_signature(secret, canonical_request):
    sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode()).hexdigest()
    return hmac.new(secret.encode(), sts.encode(), hashlib.sha256).hexdigest(), sts


_ACS3_AUTH = re.compile(r"ACS3-HMAC-SHA256 Credential=([^,]*),SignedHeaders=([^,]*),"
                        r"Signature=([0-9a-f]{64})$")
_ISO_Z = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z$")

ALIYUN_MESSAGES = {
    "isv.BUSINESS_LIMIT_CONTROL": "触发分钟级流控Permits:1",
    "isv.DAY_LIMIT_CONTROL": "触发日发送限额",
    "isp.SYSTEM_ERROR": "isp.SYSTEM_ERROR",
    "isp.GATEWAY_ERROR": "isp.GATEWAY_ERROR",
    "isv.MOBILE_NUMBER_ILLEGAL": "非法手机号",
    "isv.MOBILE_COUNT_OVER_LIMIT": "手机号码数量超过限制，最多支持1000条",
    "isv.SMS_SIGNATURE_ILLEGAL": "该账号下找不到对应签名",
    "isv.SMS_TEMPLATE_ILLEGAL": "该账号下找不到对应模板",
    "isv.TEMPLATE_MISSING_PARAMETERS": "模板变量中存在未赋值变量",
    "isv.INVALID_JSON_PARAM": "JSON参数不合法，只接受字符串值",
    "isv.AMOUNT_NOT_ENOUGH": "账户余额不足",
}


class AliyunSend:
    """One number of an accepted SendSms."""

    def __init__(self, biz_id, phone, params, template_param, t):
        self.biz_id = biz_id
        self.phone = phone
        self.params = params            # every request parameter, decoded
        self.template_param = template_param
        self.out_id = params.get("OutId", "")
        self.t = t                      # the fake's clock (Unix seconds)
        self.status = 1                 # QuerySendDetails: 1 waiting, 2 failed, 3 delivered
        self.err_code = ""


class FakeAliyun(_Fake):
    """dysmsapi at "/". key_id/secret: the one AccessKey it knows; sign_name: the approved
    sign (None: any); templates: {TemplateCode: [variable, ...]} (None: any code, no
    variable check). Script failures with fail_next() / fail_always(); read accepted sends
    from .sends; on_send(fake, [AliyunSend]) runs before a SendSms is answered."""

    def __init__(self, key_id="testId", secret="testSecret", sign_name=None, templates=None,
                 clock=None, port=0):
        super().__init__(clock, port)
        self.key_id = key_id
        self.secret = secret
        self.sign_name = sign_name
        self.templates = templates
        self.nonces = {}                 # nonce -> clock when first used
        self.script = collections.deque()
        self.always = None
        self.number_codes = {}           # 11-digit number -> code failing its request
        self.sends = []                  # AliyunSend, in order
        self.requests_ok = []            # [(biz_id, [phones], params)] per accepted SendSms
        self.on_send = None
        self.biz_seq = itertools.count(1)

    # ---- scripting ----
    def fail_next(self, *specs):
        """Each spec answers one SendSms (after its signature was checked): a code string
        (HTTP 200 business error), an int HTTP status (500 InternalError, 503
        ServiceUnavailable, ...) or a Timeout."""
        with self.lock:
            self.script.extend(specs)

    def fail_always(self, spec):
        with self.lock:
            self.always = spec

    def heal(self):
        with self.lock:
            self.always = None
            self.script.clear()

    # ---- what was accepted ----
    def phones(self):
        with self.lock:
            return [s.phone for s in self.sends]

    def send_for(self, phone):
        with self.lock:
            got = [s for s in self.sends if s.phone == phone]
        return got[-1] if got else None

    def send_requests(self):
        """Calls that were SendSms requests with a good signature (answered OK or not)."""
        return [c for c in self.snapshot() if c.note.startswith("SendSms")]

    # ---- pushes ----
    def report(self, send, success=True, err_code=None, err_msg=None, delay_s=5):
        """An SmsReport item for an AliyunSend (or a (biz_id, phone, out_id) tuple)."""
        if isinstance(send, tuple):
            biz_id, phone, out_id, t = send + (self.clock(),)
        else:
            biz_id, phone, out_id, t = send.biz_id, send.phone, send.out_id, send.t
        code = err_code or ("DELIVERED" if success else "MK:0001")
        return {"phone_number": phone, "send_time": beijing(t),
                "report_time": beijing(t + delay_s), "success": bool(success),
                "err_code": code, "err_msg": err_msg or ("用户接收成功" if success else code),
                "sms_size": "1", "biz_id": biz_id, "out_id": out_id}

    def push_reports(self, url, items):
        """POSTs SmsReport items (a JSON array) as Alibaba does; the fake's own send records
        follow what was pushed (for QuerySendDetails)."""
        with self.lock:
            for it in items:
                for s in self.sends:
                    if s.biz_id == it["biz_id"] and s.phone == it["phone_number"]:
                        s.status = 3 if it["success"] else 2
                        s.err_code = it["err_code"]
        return post(url, items)

    def sms_up(self, phone, content, dest_code="1234", sign_name=None):
        return {"phone_number": phone, "send_time": beijing(self.clock()), "content": content,
                "sign_name": sign_name or self.sign_name or "",
                "dest_code": dest_code, "sequence_id": random.randint(10**9, 10**10)}

    def push_sms_up(self, url, items):
        return post(url, items)

    # ---- the service ----
    def _err(self, req, status, code, message, note, fmt="JSON"):
        body = {"RequestId": str(uuid.uuid4()).upper(), "HostId": "dysmsapi.aliyuncs.com",
                "Code": code, "Message": message,
                "Recommend": "https://api.aliyun.com/troubleshoot?q=%s" % code}
        return self._record(Call(req, Answer(status, _aliyun_body(body, "Error", fmt)), code,
                                 note))

    def _dispatch(self, req):
        if req.path != "/":
            return self._err(req, 404, "InvalidAction.NotFound",
                             "Specified api is not found, please check your url and method.",
                             "client error: path %r (dysmsapi is RPC style: always /)" %
                             req.path)
        if req.method not in ("GET", "POST"):
            return self._err(req, 400, "UnsupportedHTTPMethod", "Specified http method is "
                             "not supported.", "client error: method " + req.method)
        params = req.query()
        ctype = req.headers.get("content-type", "")
        if req.body and ctype.split(";")[0].strip().lower() == \
                "application/x-www-form-urlencoded":
            params += urllib.parse.parse_qsl(req.body.decode("utf-8", "replace"),
                                             keep_blank_values=True)
        names = [k for k, _ in params]
        dup = [k for k in set(names) if names.count(k) > 1]
        if dup:
            return self._err(req, 400, "InvalidParameter", "Parameter %s is repeated." %
                             dup[0], "client error: parameter %s given twice" % dup[0])
        auth = req.headers.get("authorization", "")
        if auth.startswith("ACS3-HMAC-SHA256"):
            return self._v3(req, params, auth)
        if any(k == "Signature" for k, _ in params):
            return self._v2(req, params)
        return self._err(req, 400, "MissingSignature", "Signature is mandatory for this "
                         "action.", "client error: no Authorization header and no Signature")

    def _check_time(self, req, stamp, what, fmt):
        m = _ISO_Z.match(stamp or "")
        if not m:
            return self._err(req, 400, "InvalidTimeStamp.Format", "Specified time stamp or "
                             "date value is not well formatted.",
                             "client error: %s %r is not yyyy-MM-ddTHH:mm:ssZ" % (what, stamp),
                             fmt)
        t = datetime.datetime(*map(int, m.groups()), tzinfo=UTC).timestamp()
        if abs(t - self.clock()) > 15 * 60:
            return self._err(req, 400, "InvalidTimeStamp.Expired", "Specified time stamp or "
                             "date value is expired.", "client error: %s %s is %.0f s off the "
                             "server's clock" % (what, stamp, t - self.clock()), fmt)
        return None

    def _check_nonce(self, req, nonce, fmt):
        with self.lock:
            if nonce in self.nonces:
                return self._err(req, 400, "SignatureNonceUsed", "Specified signature nonce "
                                 "was used already.", "client error: nonce %r reused" % nonce,
                                 fmt)
            self.nonces[nonce] = self.clock()
        return None

    def _v3(self, req, params, auth):
        h = req.headers
        m = _ACS3_AUTH.match(auth)
        if not m:
            return self._err(req, 400, "IncompleteSignature", "The request signature does not "
                             "conform to Aliyun standards.",
                             "client error: Authorization %r is malformed" % auth[:200])
        cred, signed_s, sig = m.groups()
        if cred != self.key_id:
            return self._err(req, 404, "InvalidAccessKeyId.NotFound", "Specified access key "
                             "is not found.", "client error: AccessKeyId %r" % cred)
        signed = signed_s.split(";")
        needed = {"host"} | {k for k in h if k.startswith("x-acs-")}
        for name in ("x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce",
                     "x-acs-content-sha256"):
            if name not in h:
                return self._err(req, 400, "Missing" + name, "%s is mandatory for this action."
                                 % name, "client error: header %s missing" % name)
        if signed != sorted(signed) or len(set(signed)) != len(signed) or \
                not needed <= set(signed) or any(s not in h for s in signed):
            return self._err(req, 400, "IncompleteSignature", "The request signature does not "
                             "conform to Aliyun standards.", "client error: SignedHeaders %r "
                             "(must be sorted, name only present headers and include %s)" %
                             (signed_s, sorted(needed)))
        body_hash = hashlib.sha256(req.body).hexdigest()
        if h["x-acs-content-sha256"] != body_hash:
            return self._err(req, 400, "SignatureDoesNotMatch", "Specified signature does not "
                             "match our calculation. x-acs-content-sha256 is not the body's "
                             "hash.", "client error: x-acs-content-sha256 %r, body hashes to %s"
                             % (h["x-acs-content-sha256"], body_hash))
        creq = aliyun_v3_canonical_request(req.method, req.query(), h, signed, body_hash)
        want, sts = aliyun_v3_signature(self.secret, creq)
        if not hmac.compare_digest(want, sig):
            return self._err(req, 400, "SignatureDoesNotMatch", "Specified signature does not "
                             "match our calculation. server string to sign is:" + sts,
                             "client error: V3 signature; canonical request:\n" + creq)
        bad = self._check_time(req, h["x-acs-date"], "x-acs-date", "JSON") or \
            self._check_nonce(req, h["x-acs-signature-nonce"], "JSON")
        if bad:
            return bad
        if h["x-acs-version"] != "2017-05-25":
            return self._err(req, 400, "InvalidVersion", "Specified parameter Version is not "
                             "valid.", "client error: version %r" % h["x-acs-version"])
        p = dict(params)
        return self._action(req, h["x-acs-action"], p, p.get("Format", "JSON"))

    def _v2(self, req, params):
        p = dict(params)
        fmt = p.get("Format", "XML")   # the documented default
        for name in ("AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce",
                     "Timestamp", "Version", "Action"):
            if not p.get(name):
                return self._err(req, 400, "Missing" + name, "%s is mandatory for this action."
                                 % name, "client error: parameter %s missing" % name, fmt)
        if p["AccessKeyId"] != self.key_id:
            return self._err(req, 404, "InvalidAccessKeyId.NotFound", "Specified access key "
                             "is not found.", "client error: AccessKeyId %r" % p["AccessKeyId"],
                             fmt)
        if p["SignatureMethod"] != "HMAC-SHA1" or p["SignatureVersion"] != "1.0":
            return self._err(req, 400, "IncompleteSignature", "The request signature does not "
                             "conform to Aliyun standards.", "client error: SignatureMethod %r "
                             "SignatureVersion %r" % (p["SignatureMethod"],
                                                      p["SignatureVersion"]), fmt)
        rest = [(k, v) for k, v in params if k != "Signature"]
        want = aliyun_v2_signature(self.secret, req.method, rest)
        if not hmac.compare_digest(want, p["Signature"]):
            return self._err(req, 400, "SignatureDoesNotMatch", "Specified signature does not "
                             "match our calculation. server string to sign is:" +
                             aliyun_v2_string_to_sign(req.method, rest),
                             "client error: V2 signature %r, expected %r" %
                             (p["Signature"], want), fmt)
        bad = self._check_time(req, p["Timestamp"], "Timestamp", fmt) or \
            self._check_nonce(req, p["SignatureNonce"], fmt)
        if bad:
            return bad
        if p["Version"] != "2017-05-25":
            return self._err(req, 400, "InvalidVersion", "Specified parameter Version is not "
                             "valid.", "client error: version %r" % p["Version"], fmt)
        return self._action(req, p["Action"], p, fmt)

    def _action(self, req, action, p, fmt):
        if action == "SendSms":
            return self._send_sms(req, p, fmt)
        if action == "QuerySendDetails":
            return self._query(req, p, fmt)
        return self._err(req, 404, "InvalidAction.NotFound", "Specified api is not found, "
                         "please check your url and method.", "client error: action %r" %
                         action, fmt)

    def _biz(self, req, code, fmt, note, extra=None):
        body = {"Code": code, "Message": ALIYUN_MESSAGES.get(code, code),
                "RequestId": str(uuid.uuid4()).upper()}
        body.update(extra or {})
        return self._record(Call(req, Answer(200, _aliyun_body(body, "SendSmsResponse", fmt)),
                                 code, note))

    def _send_sms(self, req, p, fmt):
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not p.get(name):
                return self._err(req, 400, "Missing" + name, "%s is mandatory for this action."
                                 % name, "client error: SendSms without %s" % name, fmt)
        with self.lock:
            spec = self.script.popleft() if self.script else self.always
        if spec is not None and not isinstance(spec, Timeout):
            if isinstance(spec, int):
                code = {500: "InternalError", 503: "ServiceUnavailable"}.get(spec, "Error%d" %
                                                                              spec)
                return self._err(req, spec, code, "The request processing has failed due to "
                                 "some unknown error.", "SendSms: scripted HTTP %d" % spec, fmt)
            return self._biz(req, spec, fmt, "SendSms: scripted " + spec)
        phones = [mainland(x) for x in p["PhoneNumbers"].split(",")]
        if len(phones) > 1000:
            return self._biz(req, "isv.MOBILE_COUNT_OVER_LIMIT", fmt,
                             "SendSms: client error: %d numbers" % len(phones))
        if None in phones:
            bad = p["PhoneNumbers"].split(",")[phones.index(None)]
            return self._biz(req, "isv.MOBILE_NUMBER_ILLEGAL", fmt,
                             "SendSms: client error: number %r" % bad)
        if len(set(phones)) != len(phones):
            return self._biz(req, "isv.INVALID_PARAMETERS", fmt,
                             "SendSms: client error: a number twice in one request")
        for ph in phones:
            if ph in self.number_codes:
                return self._biz(req, self.number_codes[ph], fmt,
                                 "SendSms: scripted %s for %s" % (self.number_codes[ph], ph))
        if self.sign_name is not None and p["SignName"] != self.sign_name:
            return self._biz(req, "isv.SMS_SIGNATURE_ILLEGAL", fmt,
                             "SendSms: client error: SignName %r" % p["SignName"])
        tp, why = self._template_param(p)
        if why:
            return self._biz(req, why[0], fmt, "SendSms: client error: " + why[1])
        return self._accept(req, p, phones, tp, fmt, spec)

    def _template_param(self, p):
        tp = None
        if "TemplateParam" in p:
            try:
                tp = json.loads(p["TemplateParam"])
            except ValueError:
                return None, ("isv.INVALID_JSON_PARAM", "TemplateParam is not JSON: %r" %
                              p["TemplateParam"][:100])
            if not isinstance(tp, dict) or not all(isinstance(v, str) for v in tp.values()):
                return None, ("isv.INVALID_JSON_PARAM", "TemplateParam must be an object of "
                              "strings: %r" % p["TemplateParam"][:200])
        if self.templates is None:
            return tp, None
        if p["TemplateCode"] not in self.templates:
            return None, ("isv.SMS_TEMPLATE_ILLEGAL", "TemplateCode %r" % p["TemplateCode"])
        missing = [v for v in self.templates[p["TemplateCode"]] if not (tp or {}).get(v)]
        if missing:
            return None, ("isv.TEMPLATE_MISSING_PARAMETERS", "template %s needs %s, "
                          "TemplateParam has %s" % (p["TemplateCode"], missing,
                                                    sorted(tp or {})))
        return tp, None

    def _accept(self, req, p, phones, tp, fmt, spec):
        biz = "%d^0" % (900619746936498440 + next(self.biz_seq))
        now = self.clock()
        sends = [AliyunSend(biz, ph, p, tp, now) for ph in phones]
        with self.cond:
            self.sends.extend(sends)
            self.requests_ok.append((biz, phones, p))
            self.cond.notify_all()
        if self.on_send is not None:
            self.on_send(self, sends)
        body = _aliyun_body({"Code": "OK", "Message": "OK", "BizId": biz,
                             "RequestId": str(uuid.uuid4()).upper()}, "SendSmsResponse", fmt)
        delay = spec.seconds if isinstance(spec, Timeout) else 0.0
        return self._record(Call(req, Answer(200, body, delay=delay), "OK",
                                 "SendSms: %d numbers%s" % (len(phones), " (slow answer)"
                                                            if delay else "")))

    def _query(self, req, p, fmt):
        for name in ("PhoneNumber", "SendDate", "PageSize", "CurrentPage"):
            if not p.get(name):
                return self._err(req, 400, "Missing" + name, "%s is mandatory for this action."
                                 % name, "client error: QuerySendDetails without %s" % name, fmt)
        phone = mainland(p["PhoneNumber"])
        with self.lock:
            rows = [s for s in self.sends if s.phone == phone and
                    datetime.datetime.fromtimestamp(s.t, CST).strftime("%Y%m%d") ==
                    p["SendDate"] and (not p.get("BizId") or s.biz_id == p["BizId"])]
        size, page = int(p["PageSize"]), int(p["CurrentPage"])
        if not 1 <= size <= 50 or page < 1:
            return self._biz(req, "isv.INVALID_PARAMETERS", fmt,
                             "QuerySendDetails: client error: PageSize %d" % size)
        dtos = [{"PhoneNum": s.phone, "SendStatus": s.status, "ErrCode": s.err_code or
                 ("DELIVERED" if s.status == 3 else ""), "TemplateCode": s.params.get(
                     "TemplateCode", ""), "Content": "【%s】%s" % (s.params.get("SignName", ""),
                                                               json.dumps(s.template_param,
                                                                          ensure_ascii=False)),
                 "SendDate": beijing(s.t), "ReceiveDate": beijing(s.t + 5)
                 if s.status != 1 else "", "OutId": s.out_id}
                for s in rows[(page - 1) * size:page * size]]
        return self._biz(req, "OK", fmt, "QuerySendDetails", {
            "TotalCount": len(rows), "SmsSendDetailDTOs": {"SmsSendDetailDTO": dtos}})


def _aliyun_body(obj, root, fmt):
    """JSON unless the request asked for XML (V2's documented default)."""
    if fmt.upper() != "XML":
        return obj

    def x(k, v):
        if isinstance(v, dict):
            return "<%s>%s</%s>" % (k, "".join(x(a, b) for a, b in v.items()), k)
        if isinstance(v, list):
            return "".join(x(k, i) for i in v)
        s = str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return "<%s>%s</%s>" % (k, s, k)
    return '<?xml version="1.0" encoding="UTF-8"?>' + x(root, obj)


# --------------------------------------------------------------------------------------
# Tencent Cloud SMS (2021-01-11)
# --------------------------------------------------------------------------------------

def tc3_signature(secret_key, service, timestamp, canonical_request):
    date = datetime.datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d")
    scope = "%s/%s/tc3_request" % (date, service)
    sts = "TC3-HMAC-SHA256\n%s\n%s\n%s" % (timestamp, scope, hashlib.sha256(
        canonical_request.encode()).hexdigest())

    def mac(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()
    k = mac(mac(mac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(k, sts.encode(), hashlib.sha256).hexdigest(), sts


def tc3_canonical_request(method, query, headers, signed, body):
    """headers: {lowercase name: value}; signed: lowercase names in the order given."""
    ch = "".join("%s:%s\n" % (n, headers.get(n, "").strip().lower()) for n in signed)
    return "\n".join([method, "/", query, ch, ";".join(signed),
                      hashlib.sha256(body).hexdigest()])


_TC3_AUTH = re.compile(r"TC3-HMAC-SHA256 Credential=([^/,]+)/([0-9]{4}-[0-9]{2}-[0-9]{2})/"
                       r"([a-z]+)/tc3_request, SignedHeaders=([a-z0-9;.-]+), "
                       r"Signature=([0-9a-f]{64})$")

TENCENT_MESSAGES = {
    "Ok": "send success",
    "LimitExceeded.PhoneNumberThirtySecondLimit": "单个手机号30秒内下发短信条数超过设定的上限",
    "LimitExceeded.PhoneNumberDailyLimit": "单个手机号日下发短信条数超过设定的上限",
    "InvalidParameterValue.IncorrectPhoneNumber": "手机号格式错误",
    "FailedOperation.PhoneNumberInBlacklist": "手机号在免打扰名单库中",
    "InternalError.Timeout": "请求下发短信超时",
    "RequestLimitExceeded": "请求的次数超过了频率限制",
}


class TencentSend:
    def __init__(self, serial, phone, req_json, t):
        self.serial = serial
        self.phone = phone              # 11 digits
        self.request = req_json
        self.params = req_json.get("TemplateParamSet") or []
        self.session = req_json.get("SessionContext", "")
        self.t = t
        self.report = None              # "SUCCESS" / "FAIL" once the carrier reported


class FakeTencent(_Fake):
    """sms.tencentcloudapi.com at "/". app_id: the SmsSdkAppId; templates: {TemplateId:
    number of {n} parameters} (None: any). Script request-level failures with fail_next()
    (an Error code string, an int HTTP status or a Timeout) and per-number results with
    number_once(phone, code...) (used in order, then Ok) or number_codes[phone] = code
    (always)."""

    def __init__(self, key_id="AKIDtest", secret="tcsecret", app_id="1400006666",
                 sign_name=None, templates=None, clock=None, port=0):
        super().__init__(clock, port)
        self.key_id = key_id
        self.secret = secret
        self.app_id = app_id
        self.sign_name = sign_name
        self.templates = templates
        self.script = collections.deque()
        self.always = None
        self.number_codes = {}
        self.number_scripts = collections.defaultdict(collections.deque)
        self.sends = []                   # accepted (Code Ok) numbers: TencentSend
        self.results = []                 # every per-number result: (phone, code, t)
        self.on_send = None
        self.serial_seq = itertools.count(1)

    def fail_next(self, *specs):
        with self.lock:
            self.script.extend(specs)

    def fail_always(self, spec):
        with self.lock:
            self.always = spec

    def heal(self):
        with self.lock:
            self.always = None
            self.script.clear()

    def number_once(self, phone, *codes):
        with self.lock:
            self.number_scripts[phone].extend(codes)

    def phones(self):
        with self.lock:
            return [s.phone for s in self.sends]

    def send_for(self, phone):
        with self.lock:
            got = [s for s in self.sends if s.phone == phone]
        return got[-1] if got else None

    def send_requests(self):
        return [c for c in self.snapshot() if c.note.startswith("SendSms")]

    def status(self, send, success=True, errmsg=None, description=None, delay_s=5):
        """A status-callback item for a TencentSend."""
        return {"user_receive_time": beijing(send.t + delay_s), "nationcode": "86",
                "mobile": send.phone, "report_status": "SUCCESS" if success else "FAIL",
                "errmsg": errmsg or ("DELIVRD" if success else "MK:0001"),
                "description": description or ("用户短信送达成功" if success else "用户短信未送达"),
                "sid": send.serial}

    def push_status(self, url, items):
        return post(url, items)

    def reply(self, phone, text, sign=None, extend=""):
        return {"extend": extend, "mobile": phone, "nationcode": "86",
                "sign": sign or self.sign_name or "", "text": text, "time": int(self.clock())}

    def push_reply(self, url, item):
        return post(url, item)

    # ---- the service ----
    def _error(self, req, code, message, note):
        body = {"Response": {"Error": {"Code": code, "Message": message},
                             "RequestId": str(uuid.uuid4())}}
        return self._record(Call(req, Answer(200, body), code, note))

    def _dispatch(self, req):
        if req.path != "/":
            return self._record(Call(req, Answer(404, "Not Found"), 404,
                                     "client error: path %r" % req.path))
        if req.method != "POST":
            return self._error(req, "InvalidParameter", "this fake takes POST only (GET "
                               "would need a form-encoded query)", "client error: method " +
                               req.method)
        h = req.headers
        bad = self._check_auth(req, h)
        if bad:
            return bad
        action, version = h.get("x-tc-action", ""), h.get("x-tc-version", "")
        if action not in ("SendSms", "PullSmsSendStatusByPhoneNumber"):
            return self._error(req, "InvalidAction", "The action %s does not exist." % action,
                               "client error: X-TC-Action %r" % action)
        if version != "2021-01-11":
            return self._error(req, "NoSuchVersion", "The requested version does not exist.",
                               "client error: X-TC-Version %r" % version)
        if h.get("x-tc-region", "") not in ("ap-guangzhou", "ap-beijing", "ap-nanjing"):
            return self._error(req, "UnsupportedRegion", "The region is not supported.",
                               "client error: X-TC-Region %r" % h.get("x-tc-region"))
        if not h.get("content-type", "").lower().startswith("application/json"):
            return self._error(req, "InvalidParameter", "POST takes application/json",
                               "client error: Content-Type %r" % h.get("content-type"))
        if action == "PullSmsSendStatusByPhoneNumber":
            return self._pull_status(req)
        return self._send_sms(req)

    def _check_auth(self, req, h):
        ts = h.get("x-tc-timestamp", "")
        if not re.fullmatch(r"[0-9]{9,11}", ts):
            return self._error(req, "MissingParameter", "X-TC-Timestamp is missing or not "
                               "Unix seconds", "client error: X-TC-Timestamp %r" % ts)
        m = _TC3_AUTH.match(h.get("authorization", ""))
        if not m:
            return self._error(req, "AuthFailure.InvalidAuthorization", "Authorization is "
                               "invalid", "client error: Authorization %r (note the ', ' "
                               "separators)" % h.get("authorization", "")[:200])
        sid, date, service, signed_s, sig = m.groups()
        if sid != self.key_id:
            return self._error(req, "AuthFailure.SecretIdNotFound", "The SecretId is not "
                               "found.", "client error: SecretId %r" % sid)
        signed = signed_s.split(";")
        if service != "sms" or "content-type" not in signed or "host" not in signed or \
                signed != sorted(signed) or any(s not in h for s in signed):
            return self._error(req, "AuthFailure.SignatureFailure", "The provided credentials "
                               "could not be validated.", "client error: service %r, "
                               "SignedHeaders %r" % (service, signed_s))
        want_date = datetime.datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%d")
        if date != want_date:
            return self._error(req, "AuthFailure.SignatureFailure", "The provided credentials "
                               "could not be validated.", "client error: scope date %s, "
                               "timestamp's UTC date %s" % (date, want_date))
        creq = tc3_canonical_request("POST", "", h, signed, req.body)
        want, sts = tc3_signature(self.secret, "sms", ts, creq)
        if not hmac.compare_digest(want, sig):
            return self._error(req, "AuthFailure.SignatureFailure", "The provided credentials "
                               "could not be validated. Please check your signature is "
                               "correct.", "client error: TC3 signature; canonical request:\n" +
                               creq)
        if abs(int(ts) - self.clock()) > 300:
            return self._error(req, "AuthFailure.SignatureExpire", "Signature expired. "
                               "Timestamp is %s, server time is %d" % (ts, self.clock()),
                               "client error: X-TC-Timestamp %.0f s off" %
                               (int(ts) - self.clock()))
        return None

    def _send_sms(self, req):
        body = req.json()
        if not isinstance(body, dict):
            return self._error(req, "FailedOperation.JsonParseFail", "解析请求包体时候失败",
                               "client error: body is not a JSON object")
        for name in ("PhoneNumberSet", "SmsSdkAppId", "TemplateId"):
            if name not in body:
                return self._error(req, "MissingParameter", "The parameter `%s` is missing."
                                   % name, "client error: SendSms without " + name)
        nums, params = body["PhoneNumberSet"], body.get("TemplateParamSet", [])
        if not isinstance(nums, list) or not all(isinstance(x, str) for x in nums) or \
                not isinstance(params, list) or not all(isinstance(x, str) for x in params):
            return self._error(req, "InvalidParameter", "PhoneNumberSet and TemplateParamSet "
                               "are arrays of strings", "client error: types in %s" %
                               json.dumps(body, ensure_ascii=False)[:200])
        if body["SmsSdkAppId"] != self.app_id:
            return self._error(req, "InvalidParameterValue.SdkAppIdNotExist", "SdkAppId不存在",
                               "client error: SmsSdkAppId %r" % body["SmsSdkAppId"])
        if len(nums) > 200:
            return self._error(req, "LimitExceeded.PhoneNumberCountLimit", "调用接口单次提交的"
                               "手机号个数超过200个", "client error: %d numbers" % len(nums))
        if self.sign_name is not None and body.get("SignName") != self.sign_name:
            return self._error(req, "FailedOperation.SignatureIncorrectOrUnapproved", "签名未审"
                               "批或格式错误", "client error: SignName %r" % body.get("SignName"))
        if self.templates is not None and body["TemplateId"] not in self.templates:
            return self._error(req, "FailedOperation.TemplateUnapprovedOrNotExist", "模板未审批"
                               "或不存在", "client error: TemplateId %r" % body["TemplateId"])
        with self.lock:
            spec = self.script.popleft() if self.script else self.always
        if spec is not None and not isinstance(spec, Timeout):
            if isinstance(spec, int):
                return self._record(Call(req, Answer(spec, "<html>%d</html>" % spec), spec,
                                         "SendSms: scripted HTTP %d" % spec))
            return self._error(req, spec, TENCENT_MESSAGES.get(spec, spec),
                               "SendSms: scripted " + spec)
        return self._results(req, body, nums, params, spec)

    def _one(self, body, raw, params):
        phone = mainland(raw)
        if phone is None:
            return None, "InvalidParameterValue.IncorrectPhoneNumber"
        with self.lock:
            q = self.number_scripts.get(phone)
            if q:
                return phone, q.popleft()
            if phone in self.number_codes:
                return phone, self.number_codes[phone]
        if self.templates is not None and len(params) != self.templates[body["TemplateId"]]:
            return phone, "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"
        return phone, "Ok"

    def _pull_status(self, req):
        """PullSmsSendStatusByPhoneNumber (2021-01-11): the reports of one number between
        BeginTime and EndTime (at most 7 days back), with the SessionContext of the send."""
        body = req.json()
        need = ("BeginTime", "Offset", "Limit", "PhoneNumber", "SmsSdkAppId")
        for k in need:
            if not isinstance(body, dict) or k not in body:
                return self._error(req, "MissingParameter", "The request is missing a "
                                   "required parameter `%s`." % k, "client error: no " + k)
        if body["SmsSdkAppId"] != self.app_id or not 1 <= int(body["Limit"]) <= 100:
            return self._error(req, "InvalidParameterValue", "bad SmsSdkAppId or Limit",
                               "client error: SmsSdkAppId/Limit")
        phone = mainland(body["PhoneNumber"])
        end = int(body.get("EndTime", self.clock()))
        with self.lock:
            rows = [x for x in self.sends if x.phone == phone and x.report and
                    int(body["BeginTime"]) <= x.t <= end + 1]
        out = [{"UserReceiveTime": int(x.t) + 5, "CountryCode": "86", "SubscriberNumber":
                x.phone, "PhoneNumber": "+86" + x.phone, "SerialNo": x.serial,
                "ReportStatus": x.report, "Description": "DELIVRD" if x.report == "SUCCESS"
                else "MK:0001", "SessionContext": x.session} for x in rows][:int(body["Limit"])]
        answer = {"Response": {"PullSmsSendStatusSet": out, "RequestId": str(uuid.uuid4())}}
        return self._record(Call(req, Answer(200, answer), "Ok",
                                 "PullSmsSendStatusByPhoneNumber: %d records" % len(out)))

    def _results(self, req, body, nums, params, spec):
        now, out, sends = self.clock(), [], []
        for raw in nums:
            phone, code = self._one(body, raw, params)
            serial = "2433:%d" % (104571066915705365 + next(self.serial_seq)) \
                if code == "Ok" else ""
            out.append({"SerialNo": serial, "PhoneNumber": "+86" + phone if phone else raw,
                        "Fee": 1 if code == "Ok" else 0,
                        "SessionContext": body.get("SessionContext", ""), "Code": code,
                        "Message": TENCENT_MESSAGES.get(code, code),
                        "IsoCode": "CN" if phone else ""})
            if code == "Ok":
                sends.append(TencentSend(serial, phone, body, now))
        with self.cond:
            self.sends.extend(sends)
            self.results.extend((r["PhoneNumber"], r["Code"], now) for r in out)
            self.cond.notify_all()
        if self.on_send is not None and sends:
            self.on_send(self, sends)
        delay = spec.seconds if isinstance(spec, Timeout) else 0.0
        answer = {"Response": {"SendStatusSet": out, "RequestId": str(uuid.uuid4())}}
        return self._record(Call(req, Answer(200, answer, delay=delay), "Ok",
                                 "SendSms: %d numbers, %d Ok" % (len(nums), len(sends))))


# --------------------------------------------------------------------------------------
# WeChat Official Account
# --------------------------------------------------------------------------------------

WX_ERRMSG = {
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type", 40003: "invalid openid", 40013: "invalid appid",
    40037: "invalid template_id", 40125: "invalid appsecret", 41001: "access_token missing",
    42001: "access_token expired", 43002: "require POST method", 43004: "require subscribe",
    47001: "data format error", 47003: "argument invalid!", -1: "system error",
    45009: "reach max api daily quota limit",
}

_CJK = r"\u4e00-\u9fff"
# What the category templates accept in a keyword, by the keyword's name prefix
# (类目模板消息参数值内容限制); None: any text up to the length.
WX_RULES = (
    ("character_string", 32, r"[0-9A-Za-z!-/:-@\[-`{-~]+"),
    ("phone_number", 17, r"[0-9+\-() ]+"),
    ("car_number", 8, None),
    ("number", 32, r"[0-9]+(\.[0-9]+)?"),
    ("letter", 32, r"[A-Za-z]+"),
    ("symbol", 5, r"[!-/:-@\[-`{-~]+"),
    ("amount", 16, r"[¥$€]?[0-9]{1,10}(\.[0-9]+)?元?"),
    ("phrase", 5, r"[" + _CJK + r"]+"),
    ("name", 20, None),
    ("thing", 20, None),
    ("date", 40, r"[0-9年月日/\- :~至]+"),
    ("time", 40, r"[0-9年月日/\- :~至]*[0-2]?[0-9]:[0-5][0-9][0-9年月日/\- :~至]*"),
)


def wx_value_ok(key, value):
    for prefix, n, rx in WX_RULES:
        if key.startswith(prefix):
            if not value or len(value) > n or "\n" in value:
                return False
            return rx is None or re.fullmatch(rx, value) is not None
    return bool(value) and len(value) <= 200


class WxSend:
    def __init__(self, msgid, body, t):
        self.msgid = msgid
        self.touser = body.get("touser")
        self.template_id = body.get("template_id")
        self.data = body.get("data")
        self.url = body.get("url")
        self.client_msg_id = body.get("client_msg_id")
        self.t = t


class FakeWeChat(_Fake):
    """api.weixin.qq.com: /cgi-bin/stable_token, /cgi-bin/token and
    /cgi-bin/message/template/send. templates: {template_id: [keyword, ...]} (None: any).
    unfollowed: openids answered 43004; invalidate_token() / expire_token() make the next send
    get 40001 / 42001; invalidate_after(n) does it after n more accepted sends."""

    def __init__(self, appid="wxappid", secret="wxsecret", templates=None, token_ttl=7200,
                 clock=None, port=0):
        super().__init__(clock, port)
        self.appid = appid
        self.secret = secret
        self.templates = templates
        self.token_ttl = token_ttl
        self.tokens = {}                  # token -> {"until": monotonic, "state": ...}
        self.stable = None                # the current stable token
        self.last_force = None
        self.token_calls = []             # (kind, force_refresh, token issued)
        self.unfollowed = set()
        self.qrcodes = []
        self.invalid_openids = set()
        self.sends = []                   # WxSend accepted (not the de-duplicated repeats)
        self.dedup = {}                   # (openid, client_msg_id) -> (msgid, monotonic)
        self.dedup_hits = 0
        self.script = collections.deque()  # errcodes/HTTP statuses for the next sends
        self.countdown = None
        self.countdown_code = 40001
        self.msg_seq = itertools.count(200228332)

    # ---- scripting ----
    def fail_next(self, *specs):
        """Each spec answers one template send with a good token: an errcode (int < 1000)
        or an HTTP status (int >= 500) or a Timeout."""
        with self.lock:
            self.script.extend(specs)

    def invalidate_token(self):
        with self.lock:
            for t in self.tokens.values():
                t["state"] = "invalid"

    def expire_token(self):
        with self.lock:
            for t in self.tokens.values():
                if t["state"] == "ok":
                    t["state"] = "expired"

    def invalidate_after(self, n, code=40001):
        with self.lock:
            self.countdown = n
            self.countdown_code = code

    def openids(self):
        with self.lock:
            return [s.touser for s in self.sends]

    # ---- the service ----
    def _wx(self, req, code, note, extra=None, status=200):
        body = {"errcode": code, "errmsg": WX_ERRMSG.get(code, "ok" if code == 0 else "error")
                + ("" if code == 0 else " rid: %s" % uuid.uuid4().hex[:24])}
        body.update(extra or {})
        return self._record(Call(req, Answer(status, body), code, note))

    def _dispatch(self, req):
        if req.path == "/cgi-bin/stable_token":
            return self._stable_token(req)
        if req.path == "/cgi-bin/token":
            return self._token(req)
        if req.path == "/cgi-bin/message/template/send":
            return self._template_send(req)
        if req.path == "/cgi-bin/qrcode/create":
            return self._qrcode_create(req)
        return self._record(Call(req, Answer(404, "<html>404</html>"), 404,
                                 "client error: path %r" % req.path))

    def _issue(self, kind, force):
        tok = "wxtok_" + uuid.uuid4().hex + uuid.uuid4().hex
        self.tokens[tok] = {"until": time.monotonic() + self.token_ttl, "state": "ok"}
        self.token_calls.append((kind, force, tok))
        return tok

    def _stable_token(self, req):
        if req.method != "POST":
            return self._wx(req, 43002, "client error: stable_token takes POST")
        b = req.json()
        if not isinstance(b, dict):
            return self._wx(req, 47001, "client error: stable_token body is not JSON")
        bad = self._credentials(req, b.get("grant_type"), b.get("appid"), b.get("secret"))
        if bad:
            return bad
        force = b.get("force_refresh") is True
        with self.lock:
            now = time.monotonic()
            cur = self.tokens.get(self.stable)
            usable = cur is not None and cur["state"] == "ok" and cur["until"] > now
            if force and (self.last_force is None or now - self.last_force >= 30):
                self.last_force = now
                if cur is not None:
                    cur["state"] = "invalid"
                self.stable = self._issue("stable", True)
            elif not usable or cur["until"] - now <= 300:
                # Refreshed 5 min before expiry; the old one stays valid until it expires.
                self.stable = self._issue("stable", force)
            else:
                self.token_calls.append(("stable", force, self.stable))
            left = int(self.tokens[self.stable]["until"] - now)
            tok = self.stable
        return self._wx(req, 0, "stable_token", {"access_token": tok, "expires_in": left})

    def _token(self, req):
        q = dict(req.query())
        bad = self._credentials(req, q.get("grant_type"), q.get("appid"), q.get("secret"))
        if bad:
            return bad
        with self.lock:
            tok = self._issue("token", False)
        return self._wx(req, 0, "token", {"access_token": tok, "expires_in": self.token_ttl})

    def _credentials(self, req, grant, appid, secret):
        if grant != "client_credential":
            return self._wx(req, 40002, "client error: grant_type %r" % grant)
        if appid != self.appid:
            return self._wx(req, 40013, "client error: appid %r" % appid)
        if secret != self.secret:
            return self._wx(req, 40125, "client error: wrong appsecret")
        return None

    def _token_state(self, tok):
        t = self.tokens.get(tok)
        if t is None or t["state"] == "invalid":
            return 40001
        if t["state"] == "expired" or t["until"] <= time.monotonic():
            return 42001
        return 0

    def _qrcode_create(self, req):
        """Temporary parametric QR codes (QR_STR_SCENE, scene_str of 1-64 characters,
        expire_seconds up to 30 days), recorded in .qrcodes as (scene_str, expire_seconds)."""
        tok = dict(req.query()).get("access_token")
        with self.lock:
            st = self._token_state(tok) if tok else 41001
        if st:
            return self._wx(req, st, "qrcode/create with a bad token (%d)" % st)
        b = req.json()
        try:
            scene = b["action_info"]["scene"]["scene_str"]
            expire = int(b.get("expire_seconds", 60))
            ok = (b.get("action_name") == "QR_STR_SCENE" and 1 <= len(scene) <= 64 and
                  60 <= expire <= 2592000)
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok:
            return self._wx(req, 40053, "client error: qrcode/create body %r" % (b,))
        ticket = "gQH" + uuid.uuid4().hex
        with self.lock:
            self.qrcodes.append((scene, expire))
        return self._wx(req, 0, "qrcode/create", {"ticket": ticket, "expire_seconds": expire,
                                                  "url": "http://weixin.qq.com/q/" + ticket[:20]})

    def _template_send(self, req):
        tok = dict(req.query()).get("access_token")
        if not tok:
            return self._wx(req, 41001, "client error: no access_token")
        with self.lock:
            st = self._token_state(tok)
        if st:
            return self._wx(req, st, "template send with a bad token (%d)" % st)
        if req.method != "POST":
            return self._wx(req, 43002, "client error: template send takes POST")
        b = req.json()
        if not isinstance(b, dict) or not isinstance(b.get("data", {}), dict):
            return self._wx(req, 47001, "client error: body is not a JSON object")
        bad = self._check_message(req, b)
        if bad:
            return bad
        with self.lock:
            spec = self.script.popleft() if self.script else None
        if isinstance(spec, int):
            if spec >= 500:
                return self._record(Call(req, Answer(spec, "<html>%d</html>" % spec), spec,
                                         "template send: scripted HTTP %d" % spec))
            return self._wx(req, spec, "template send: scripted %d" % spec)
        if b["touser"] in self.unfollowed:
            return self._wx(req, 43004, "template send: %s does not follow" % b["touser"])
        return self._accept(req, b, spec)

    def _check_message(self, req, b):
        if not isinstance(b.get("touser"), str) or not b["touser"] or \
                b["touser"] in self.invalid_openids:
            return self._wx(req, 40003, "client error: touser %r" % b.get("touser"))
        tid = b.get("template_id")
        if not isinstance(tid, str) or (self.templates is not None and
                                        tid not in self.templates):
            return self._wx(req, 40037, "client error: template_id %r" % tid)
        cmi = b.get("client_msg_id")
        if cmi is not None and (not isinstance(cmi, str) or len(cmi) > 64):
            return self._wx(req, 47003, "client error: client_msg_id %r" % cmi)
        for k, v in (b.get("data") or {}).items():
            if not isinstance(v, dict) or not isinstance(v.get("value"), str):
                return self._wx(req, 47001, "client error: data.%s is not {\"value\": \"…\"}"
                                % k)
            if self.templates is not None and k not in self.templates[tid]:
                continue  # an unknown keyword is ignored by the platform
            if not wx_value_ok(k, v["value"]):
                return self._wx(req, 47003, "client error: data.%s.value invalid: %r" %
                                (k, v["value"]), {"errmsg": "argument invalid! data.%s.value "
                                                  "invalid rid: %s" % (k, uuid.uuid4().hex[:24])})
        return None

    def _accept(self, req, b, spec):
        key = (b["touser"], b.get("client_msg_id"))
        with self.cond:
            now = time.monotonic()
            prev = self.dedup.get(key) if key[1] else None
            if prev is not None and now - prev[1] < 600:
                self.dedup_hits += 1
                msgid, note = prev[0], "template send: de-duplicated by client_msg_id"
            else:
                msgid = next(self.msg_seq)
                self.sends.append(WxSend(msgid, b, self.clock()))
                if key[1]:
                    self.dedup[key] = (msgid, now)
                note = "template send"
                if self.countdown is not None:
                    self.countdown -= 1
                    if self.countdown <= 0:
                        self.countdown = None
                        for t in self.tokens.values():
                            if t["state"] == "ok":
                                t["state"] = "invalid" if self.countdown_code == 40001 \
                                    else "expired"
            self.cond.notify_all()
        delay = spec.seconds if isinstance(spec, Timeout) else 0.0
        body = {"errcode": 0, "errmsg": "ok", "msgid": msgid}
        return self._record(Call(req, Answer(200, body, delay=delay), 0, note))


# --------------------------------------------------------------------------------------
# WeCom group robot
# --------------------------------------------------------------------------------------

class FakeWeCom(_Fake):
    """qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY: 20 messages per minute per robot
    (45009 beyond). keys: the robots' keys. .messages: (key, body) accepted."""

    LIMITS = {"text": 2048, "markdown": 4096}

    def __init__(self, keys=("robotkey",), per_minute=20, clock=None, port=0):
        super().__init__(clock or time.monotonic, port)
        self.keys = set(keys)
        self.per_minute = per_minute
        self.window = collections.defaultdict(collections.deque)
        self.messages = []

    def _wx(self, req, code, note, status=200):
        body = {"errcode": code, "errmsg": {0: "ok", 93000: "invalid webhook url",
                                            45009: "api freq out of limit",
                                            40008: "invalid message type",
                                            40058: "invalid parameter", 44004: "empty content",
                                            47001: "data format error"}.get(code, "error")}
        return self._record(Call(req, Answer(status, body), code, note))

    def _dispatch(self, req):
        if req.path != "/cgi-bin/webhook/send":
            return self._record(Call(req, Answer(404, "<html>404</html>"), 404,
                                     "client error: path %r" % req.path))
        key = dict(req.query()).get("key", "")
        if key not in self.keys:
            return self._wx(req, 93000, "client error: key %r" % key)
        if req.method != "POST":
            return self._wx(req, 43002, "client error: method " + req.method)
        b = req.json()
        if not isinstance(b, dict):
            return self._wx(req, 47001, "client error: body is not a JSON object")
        t = b.get("msgtype")
        if t not in ("text", "markdown", "image", "news", "file", "voice", "template_card"):
            return self._wx(req, 40008, "client error: msgtype %r" % t)
        if t in self.LIMITS:
            content = (b.get(t) or {}).get("content")
            if not isinstance(content, str) or not content:
                return self._wx(req, 44004, "client error: empty %s content" % t)
            if len(content.encode("utf-8")) > self.LIMITS[t]:
                return self._wx(req, 40058, "client error: %s content is %d bytes" %
                                (t, len(content.encode("utf-8"))))
        with self.cond:
            now = self.clock()
            w = self.window[key]
            while w and now - w[0] >= 60:
                w.popleft()
            if len(w) >= self.per_minute:
                return self._wx(req, 45009, "more than %d messages a minute" %
                                self.per_minute)
            w.append(now)
            self.messages.append((key, b))
            self.cond.notify_all()
        return self._wx(req, 0, "webhook send")


# --------------------------------------------------------------------------------------
# Wiring the fakes into a gatewayd (for test_channels*.py)
# --------------------------------------------------------------------------------------

NOTICE_KINDS = ("planned", "emergency", "update", "restored", "cancelled")
CASE_KINDS = ("case_accepted", "case_dispatched", "case_resolved", "case_explained",
              "appt_confirmed", "appt_reminder", "appt_moved", "appt_cancelled",
              "appt_missed", "survey")
KINDS = NOTICE_KINDS + CASE_KINDS
SMS_VARS = ["area", "start", "end", "reason", "hotline"]
WX_KEYS = [("thing1", "area"), ("time2", "start"), ("thing3", "reason"),
           ("phone_number4", "hotline")]
CASE_SMS_VARS = ["number", "link"]
CASE_WX_KEYS = [("character_string1", "number"), ("thing2", "kind")]
ALI_TEMPLATES = {k: "SMS_%d" % (1001 + i) for i, k in enumerate(KINDS)}
TC_TEMPLATES = {k: str(2001 + i) for i, k in enumerate(KINDS)}
WX_TEMPLATES = {k: "TPL_" + k.upper() for k in KINDS}


def _vars_of(kind, notice_vars, case_vars):
    return list(case_vars if kind in CASE_KINDS else notice_vars)
SIGN_NAME = "幸福水务"
TOKENS = {"ali": "tok1", "tc": "tok2", "wx": "tok3"}
B3 = "330102001001003"   # gwtest.building(3): 幸福小区3幢


class Cloud:
    """The four fakes and one gatewayd whose providers point at them. sms / wechat: the
    provider names of each channel in failover order ("ali", "tc" / "wx"); opts: extra
    keys per provider name ({"ali": {"sig_version": "v2"}}); delivery and overrides as for
    gwtest.Daemon. The fakes run on the daemon's clock."""

    def __init__(self, env, sms=("ali", "tc"), wechat=(), opts=None, delivery=None,
                 overrides=None, start=True):
        self.env = env
        self.ali = FakeAliyun("testId", "testSecret", sign_name=SIGN_NAME,
                              templates={c: _vars_of(k, SMS_VARS, CASE_SMS_VARS)
                                         for k, c in ALI_TEMPLATES.items()})
        self.tc = FakeTencent("AKIDtest", "tcsecret", "1400006666", sign_name=SIGN_NAME,
                              templates={t: len(_vars_of(k, SMS_VARS, CASE_SMS_VARS))
                                         for k, t in TC_TEMPLATES.items()})
        self.wx = FakeWeChat("wxappid", "wxsecret", templates={
            t: [kw for kw, _ in _vars_of(k, WX_KEYS, CASE_WX_KEYS)]
            for k, t in WX_TEMPLATES.items()})
        self.wecom = FakeWeCom()
        for f in (self.ali, self.tc, self.wx, self.wecom):
            env.fakes.append(f)
            f.start()
        opts = opts or {}
        providers = collections.OrderedDict()
        for name in list(sms) + list(wechat):
            providers[name] = self.section(name)
            providers[name].update(opts.get(name, {}))
        ov = {"sms": {"provider": None, "providers": ", ".join(sms)},
              "wechat": {"provider": None, "providers": ", ".join(wechat)} if wechat else None}
        for sec, keys in (overrides or {}).items():
            ov[sec] = keys if keys is None or ov.get(sec) is None else dict(ov[sec], **keys)
        self.d = env.daemon(start=False, providers=providers, delivery=delivery, overrides=ov)
        for f in (self.ali, self.tc, self.wx):
            f.clock = self.clock
        if start:
            self.d.start()

    def clock(self):
        return self.d.now() if self.d.t_spawn is not None else self.d.clock

    def section(self, name):
        kind = name.rstrip("0123456789")
        if kind == "ali":
            s = {"type": "aliyun", "channel": "sms", "endpoint": self.ali.url,
                 "key_id": "testId", "secret": "testSecret", "sign_name": SIGN_NAME,
                 "sig_version": "v3", "callback_token": TOKENS["ali"],
                 "breaker_threshold": 3, "breaker_cooldown_s": 5}
            tpl, params = ALI_TEMPLATES, (",".join(SMS_VARS), ",".join(CASE_SMS_VARS))
        elif kind == "tc":
            s = {"type": "tencent", "channel": "sms", "endpoint": self.tc.url,
                 "key_id": "AKIDtest", "secret": "tcsecret", "app_id": "1400006666",
                 "sign_name": SIGN_NAME, "callback_token": TOKENS["tc"],
                 "breaker_threshold": 3, "breaker_cooldown_s": 5}
            tpl, params = TC_TEMPLATES, (",".join(SMS_VARS), ",".join(CASE_SMS_VARS))
        elif kind == "wx":
            s = {"type": "wechat", "channel": "wechat", "endpoint": self.wx.url,
                 "key_id": "wxappid", "secret": "wxsecret"}
            tpl, params = WX_TEMPLATES, (",".join("%s=%s" % kv for kv in WX_KEYS),
                                         ",".join("%s=%s" % kv for kv in CASE_WX_KEYS))
        else:
            raise ValueError("no fake for provider %r" % name)
        for k in KINDS:
            s["template." + k] = tpl[k]
            s["params." + k] = params[1] if k in CASE_KINDS else params[0]
        return s

    # ---- what the channel tests do with the daemon ----
    def people(self, n, first=1, with_openid=False):
        """Areas and n residents in building 3 (imported as CSV when many)."""
        d = self.d
        d.add_areas()
        rs = [gwtest.resident(i, B3, with_openid=with_openid) for i in range(first, first + n)]
        if n > 20:
            rep = d.import_csv(gwtest.csv_bytes([gwtest.resident_row(r) for r in rs]))
            gwtest.eq(rep.get("created"), n, "imported residents (%s)" % gwtest.short(rep))
        else:
            for r in rs:
                d.add_resident(r)
        return rs

    def planned(self, channels=("sms",), day=2, **kw):
        return self.d.notice(gwtest.notice_body(
            "planned", "water", areas=[B3], start=gwtest.local_ts(day, 9),
            end=gwtest.local_ts(day, 17), channels=list(channels), **kw))

    def emergency(self, channels=("sms",), **kw):
        now = int(self.d.now())
        return self.d.notice(gwtest.notice_body(
            "emergency", "water", areas=[B3], start=now, end=now + 6 * 3600,
            reason="爆管抢修", channels=list(channels), **kw))

    def history(self, r):
        return self.d.ok("GET", "/api/v1/residents/%s/history" % r["account"], expect=200)

    def no_client_errors(self, *fakes):
        """Every request the gateway made was well-formed: a refusal for a bad signature,
        format or parameter is a gatewayd bug, reported with exactly what was sent."""
        for f in fakes or (self.ali, self.tc, self.wx):
            bad = f.rejected()
            if bad:
                c = bad[0]
                gwtest.fail("%s refused %d request(s); first: %s %s -> %s %s\n  %s\n"
                            "  headers %s\n  body %s" % (
                                type(f).__name__, len(bad), c.req.method, c.req.target[:300],
                                c.status, c.code, c.note[:1500], c.req.headers,
                                c.req.body[:400]))

    def callback(self, name, what="receipts", token=None):
        """The gateway's push URL for provider name (what: receipts | replies)."""
        tok = TOKENS.get(name, "") if token is None else token
        return "http://127.0.0.1:%d/callbacks/%s/%s?token=%s" % (
            self.d.port, name, what, urllib.parse.quote(tok))
