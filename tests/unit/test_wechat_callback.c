/* Unit tests for wechat_callback: URL verification and the replay window, XML parsing of
 * every event kind and of hostile bodies, and secure mode (AES) against published vectors.
 *
 * Where the vectors come from:
 * - URL verification, plain mode: WeChat's 消息加解密说明 / 接入指引 for Official Accounts,
 *   https://developers.weixin.qq.com/doc/subscription/guide/dev/push/encryption.md
 *   (Token "AAAAA", timestamp 1714037059, nonce 486452656, signature 899cf89e…), and the
 *   消息推送 guide https://developers.weixin.qq.com/minigame/dev/guide/base-ability/message-push.md
 *   (Token "AAAAA", timestamp 1714036504, nonce 1514711492, echostr 4375120948345356249,
 *   signature f464b24f…).
 * - Secure mode: Tencent's official sample code linked from that page,
 *   https://wximg.gtimg.com/shake_tv/mpwiki/cryptoDemo.zip — Python/Sample.py (token
 *   "spamtest", EncodingAESKey "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", appid
 *   wx2c2769f8efd9abc2, timestamp 1409735669, nonce 1320562132, msg_signature
 *   5d197aaf…, the Encrypt value below) and Java WXBizMsgCryptTest.java (appid
 *   wxb11529c136998cb6, random "aaaabbbbccccdddd", "我是中文abcd123" -> "jn1L23DB…").
 *   Read from copies of the sample in public repositories (e.g. charlesXu86/Chatbot_CN
 *   Chatbot_Web/impl/weixin/Sample.py); the decryption was cross-checked with Python's
 *   cryptography package before the C code was written. */
#include <stdlib.h>

#include "crypto.h"
#include "test.h"
#include "utf8.h"
#include "wechat_callback.h"

/* ---- published vectors ---- */

#define DOC_TOKEN "AAAAA"

#define SAMPLE_TOKEN "spamtest"
#define SAMPLE_AES_KEY "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
#define SAMPLE_APPID "wx2c2769f8efd9abc2"
#define SAMPLE_TS "1409735669"
#define SAMPLE_NONCE "1320562132"
#define SAMPLE_MSG_SIG "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
#define SAMPLE_ENCRYPT                                                                                   \
	"hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGH"  \
	"QHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tE"  \
	"DYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZb" \
	"Gpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5r" \
	"v1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
/* The sample's request body (compatible mode: plain fields and Encrypt side by side). */
#define SAMPLE_BODY                                                                                  \
	"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA["           \
	"oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType>" \
	"<![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728" \
	"</MsgId><Encrypt><![CDATA[" SAMPLE_ENCRYPT "]]></Encrypt></xml>"

#define JAVA_APPID "wxb11529c136998cb6"
#define JAVA_PLAIN "我是中文abcd123"
#define JAVA_CIPHER                                                                                \
	"jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="

#define MY_APPID "wx0123456789abcdef"

static int parse(const char *xml, struct wechat_cb_event *ev, struct err *e)
{
	return wechat_cb_parse(xml, strlen(xml), ev, e);
}

/* ---- signatures and the window ---- */

TEST(verify_published_signatures)
{
	CHECK(wechat_cb_verify(DOC_TOKEN, "1714037059", "486452656",
			       "899cf89e464efb63f54ddac96b0a0a235f53aa78"));
	CHECK(wechat_cb_verify(DOC_TOKEN, "1714036504", "1514711492",
			       "f464b24fc39322e44b38aa78f5edd27bd1441696"));
	/* One character off, wrong case, wrong token, swapped values, truncated, absent. */
	CHECK(!wechat_cb_verify(DOC_TOKEN, "1714037059", "486452656",
				"899cf89e464efb63f54ddac96b0a0a235f53aa79"));
	CHECK(!wechat_cb_verify(DOC_TOKEN, "1714037059", "486452656",
				"899CF89E464EFB63F54DDAC96B0A0A235F53AA78"));
	CHECK(!wechat_cb_verify("AAAAB", "1714037059", "486452656",
				"899cf89e464efb63f54ddac96b0a0a235f53aa78"));
	CHECK(!wechat_cb_verify(DOC_TOKEN, "1714037060", "486452656",
				"899cf89e464efb63f54ddac96b0a0a235f53aa78"));
	CHECK(!wechat_cb_verify(DOC_TOKEN, "1714037059", "486452656",
				"899cf89e464efb63f54ddac96b0a0a235f53aa7"));
	CHECK(!wechat_cb_verify(DOC_TOKEN, "1714037059", "486452656",
				"899cf89e464efb63f54ddac96b0a0a235f53aa780"));
	CHECK(!wechat_cb_verify(DOC_TOKEN, "1714037059", "486452656", ""));
	CHECK(!wechat_cb_verify(DOC_TOKEN, "1714037059", "486452656", NULL));
	CHECK(!wechat_cb_verify(DOC_TOKEN, NULL, "486452656",
				"899cf89e464efb63f54ddac96b0a0a235f53aa78"));
}

TEST(msg_signature_published)
{
	char sig[WECHAT_CB_SIG_LEN + 1];
	struct err e;

	CHECK_INT(wechat_cb_sign(SAMPLE_TOKEN, SAMPLE_TS, SAMPLE_NONCE, SAMPLE_ENCRYPT, sig, &e),
		  0);
	CHECK_STR(sig, SAMPLE_MSG_SIG);
	CHECK(wechat_cb_verify_msg(SAMPLE_TOKEN, SAMPLE_TS, SAMPLE_NONCE, SAMPLE_ENCRYPT,
				   SAMPLE_MSG_SIG));
	CHECK(!wechat_cb_verify_msg(SAMPLE_TOKEN, SAMPLE_TS, SAMPLE_NONCE, SAMPLE_ENCRYPT "x",
				    SAMPLE_MSG_SIG));
	CHECK(!wechat_cb_verify_msg(SAMPLE_TOKEN, SAMPLE_TS, "1320562133", SAMPLE_ENCRYPT,
				    SAMPLE_MSG_SIG));
	CHECK(!wechat_cb_verify_msg(SAMPLE_TOKEN, SAMPLE_TS, SAMPLE_NONCE, NULL, SAMPLE_MSG_SIG));
}

TEST(time_window)
{
	const int64_t now = 1714037059000LL;
	struct err e;

	CHECK_INT(wechat_cb_check_time("1714037059", now, &e), 0);
	CHECK_INT(wechat_cb_check_time("1714037059", now + 999, &e), 0);
	CHECK_INT(wechat_cb_check_time("1714036759", now, &e), 0); /* exactly 300 s old */
	CHECK_INT(wechat_cb_check_time("1714037359", now, &e), 0); /* 300 s ahead */
	CHECK_INT(wechat_cb_check_time("1714036758", now, &e), ERR_FORBIDDEN);
	CHECK(strstr(e.msg, "301 s behind") != NULL);
	CHECK_STR(e.field, "timestamp");
	CHECK_INT(wechat_cb_check_time("1714037360", now, &e), ERR_FORBIDDEN);
	CHECK(strstr(e.msg, "ahead") != NULL);
	CHECK_INT(wechat_cb_check_time("0", now, &e), ERR_FORBIDDEN);
	CHECK_INT(wechat_cb_check_time("", now, &e), ERR_INVALID);
	CHECK_INT(wechat_cb_check_time(NULL, now, &e), ERR_INVALID);
	CHECK_INT(wechat_cb_check_time("-1714037059", now, &e), ERR_INVALID);
	CHECK_INT(wechat_cb_check_time("1714037059 ", now, &e), ERR_INVALID);
	CHECK_INT(wechat_cb_check_time("99999999999999999999", now, &e), ERR_INVALID);
}

TEST(check_url)
{
	struct wechat_cb_keys k = { .token = DOC_TOKEN };
	struct wechat_cb_query q = { .signature = "f464b24fc39322e44b38aa78f5edd27bd1441696",
				     .timestamp = "1714036504",
				     .nonce = "1514711492",
				     .echostr = "4375120948345356249" };
	const int64_t now = 1714036504000LL + 12000;
	struct err e;

	CHECK_INT(wechat_cb_check_url(&k, &q, now, &e), 0);
	/* The same request an hour later: a replay. */
	CHECK_INT(wechat_cb_check_url(&k, &q, now + 3600 * 1000LL, &e), ERR_FORBIDDEN);
	CHECK_STR(e.field, "timestamp");
	/* echostr is not signed: markup must never be echoed. */
	q.echostr = "<script>alert(1)</script>";
	CHECK_INT(wechat_cb_check_url(&k, &q, now, &e), ERR_INVALID);
	q.echostr = NULL;
	CHECK_INT(wechat_cb_check_url(&k, &q, now, &e), ERR_INVALID);
	q.echostr = "4375120948345356249";
	q.signature = "f464b24fc39322e44b38aa78f5edd27bd1441697";
	CHECK_INT(wechat_cb_check_url(&k, &q, now, &e), ERR_UNAUTH);
	CHECK_STR(e.field, "signature");
	k.token = "";
	CHECK_INT(wechat_cb_check_url(&k, &q, now, &e), ERR_FORBIDDEN);
}

/* ---- XML ---- */

TEST(parse_subscribe_and_scan)
{
	struct wechat_cb_event ev;
	struct err e;

	CHECK_INT(parse("<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
			"<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>"
			"<CreateTime>1714037059</CreateTime><MsgType><![CDATA[event]]></MsgType>"
			"<Event><![CDATA[subscribe]]></Event>"
			"<EventKey><![CDATA[qrscene_AREA-12_acct]]></EventKey>"
			"<Ticket><![CDATA[gQH47joAAAAAAAAAASxodHRw]]></Ticket></xml>",
			&ev, &e),
		  0);
	CHECK_INT(ev.type, WECHAT_CB_SUBSCRIBE);
	CHECK_STR(ev.openid, "oyORnuP8q7ou2gfYjqLzSIWZf0rs");
	CHECK_STR(ev.to_user, "gh_10f6c3c3ac5a");
	CHECK_INT(ev.create_time, 1714037059);
	CHECK_STR(ev.scene, "AREA-12_acct");

	/* A plain follow (search, profile page): empty EventKey, no scene. */
	CHECK_INT(parse("<xml><ToUserName>gh_1</ToUserName><FromUserName>oA</FromUserName>"
			"<CreateTime>1</CreateTime><MsgType>event</MsgType><Event>subscribe</Event>"
			"<EventKey><![CDATA[]]></EventKey></xml>",
			&ev, &e),
		  0);
	CHECK_INT(ev.type, WECHAT_CB_SUBSCRIBE);
	CHECK_STR(ev.scene, "");

	/* SCAN by a follower: EventKey is the scene itself, no prefix to strip. */
	CHECK_INT(parse("<xml><ToUserName>gh_1</ToUserName><FromUserName>oA</FromUserName>"
			"<CreateTime>2</CreateTime><MsgType>event</MsgType><Event>SCAN</Event>"
			"<EventKey>qrscene_x</EventKey><Ticket>t</Ticket></xml>",
			&ev, &e),
		  0);
	CHECK_INT(ev.type, WECHAT_CB_SCAN);
	CHECK_STR(ev.scene, "qrscene_x");

	CHECK_INT(
		parse("<xml>\n  <ToUserName>gh_1</ToUserName>\n  <FromUserName>oB</FromUserName>\n"
		      "  <CreateTime>3</CreateTime>\n  <MsgType>event</MsgType>\n"
		      "  <Event>unsubscribe</Event>\n  <EventKey></EventKey>\n</xml>\n",
		      &ev, &e),
		0);
	CHECK_INT(ev.type, WECHAT_CB_UNSUBSCRIBE);
	CHECK_STR(ev.openid, "oB");
}

static void template_result(const char *status)
{
	char xml[512];
	struct wechat_cb_event ev;
	struct err e;

	snprintf(xml, sizeof(xml),
		 "<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName><FromUserName><![CDATA["
		 "oia2TjuEGTNoeX76QEjQNrcURxG8]]></FromUserName><CreateTime>1395658920</CreateTime>"
		 "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[TEMPLATESENDJOBFINISH]]>"
		 "</Event><MsgID>200163836</MsgID><Status><![CDATA[%s]]></Status></xml>",
		 status);
	CHECK_INT(parse(xml, &ev, &e), 0);
	CHECK_INT(ev.type, WECHAT_CB_TEMPLATE_FINISH);
	CHECK_STR(ev.msg_id, "200163836");
	CHECK_STR(ev.status, status);
	CHECK_STR(ev.openid, "oia2TjuEGTNoeX76QEjQNrcURxG8");
}

TEST(parse_template_finish)
{
	template_result("success");
	template_result("failed:user block");
	template_result("failed: system failed");
}

TEST(parse_text_and_other)
{
	struct wechat_cb_event ev;
	struct err e;

	/* A CDATA section cannot hold "]]>", so WeChat splits it; markup and Chinese pass. */
	CHECK_INT(parse("<xml><ToUserName>gh_1</ToUserName><FromUserName>oC</FromUserName>"
			"<CreateTime>1714037059</CreateTime><MsgType>  <![CDATA[text]]></MsgType>"
			"<Content><![CDATA[ 停水了吗？<b>a]]]]><![CDATA[>b &amp; ]]></Content>"
			"<MsgId>6054768590064713728</MsgId></xml>",
			&ev, &e),
		  0);
	CHECK_INT(ev.type, WECHAT_CB_TEXT);
	CHECK_STR(ev.content, " 停水了吗？<b>a]]>b &amp; ");
	CHECK_STR(ev.msg_id, "6054768590064713728");
	CHECK(!ev.content_truncated);

	/* Entities outside CDATA are the five predefined ones only. */
	CHECK_INT(parse("<xml><ToUserName>gh_1</ToUserName><FromUserName>oC</FromUserName>"
			"<CreateTime>1</CreateTime><MsgType>text</MsgType>"
			"<Content>a &lt;&amp;&gt; &#x4E2D;</Content></xml>",
			&ev, &e),
		  0);
	CHECK_STR(ev.content, "a <&> 中");

	/* A menu click and an image: other, with the common fields. */
	CHECK_INT(parse("<xml><ToUserName>gh_1</ToUserName><FromUserName>oD</FromUserName>"
			"<CreateTime>5</CreateTime><MsgType>event</MsgType><Event>CLICK</Event>"
			"<EventKey>MENU_OUTAGES</EventKey></xml>",
			&ev, &e),
		  0);
	CHECK_INT(ev.type, WECHAT_CB_OTHER);
	CHECK_STR(ev.scene, "MENU_OUTAGES");
	CHECK_INT(
		parse("<xml><ToUserName>gh_1</ToUserName><FromUserName>oD</FromUserName>"
		      "<CreateTime>5</CreateTime><MsgType>image</MsgType><PicUrl>http://x/</PicUrl>"
		      "<Video><MediaId>m</MediaId></Video><MsgId>7</MsgId></xml>",
		      &ev, &e),
		0);
	CHECK_INT(ev.type, WECHAT_CB_OTHER);
	CHECK_STR(ev.openid, "oD");
	CHECK_STR(ev.msg_id, "7");
}

TEST(parse_long_content_is_cut)
{
	static const char head[] = "<xml><ToUserName>gh_1</ToUserName><FromUserName>oE"
				   "</FromUserName><CreateTime>1</CreateTime><MsgType>text"
				   "</MsgType><Content>";
	size_t n = strlen(head);
	char *xml = malloc(n + 1000 * 3 + 64);
	struct wechat_cb_event ev;
	struct err e;

	memcpy(xml, head, n);
	xml[n++] = 'x'; /* so that the 3-byte characters straddle the cap */
	for (int i = 0; i < 1000; i++) {
		memcpy(xml + n, "中", 3);
		n += 3;
	}
	strcpy(xml + n, "</Content></xml>");
	CHECK_INT(parse(xml, &ev, &e), 0);
	CHECK(ev.content_truncated);
	CHECK(strlen(ev.content) <= WECHAT_CB_CONTENT_MAX);
	CHECK(strlen(ev.content) > WECHAT_CB_CONTENT_MAX - 3);
	CHECK(utf8_valid(ev.content, strlen(ev.content), NULL));
	free(xml);
}

/* Expects code and, when why is not NULL, a message that says why. */
static void refused_why(const char *xml, int code, const char *why)
{
	struct wechat_cb_event ev;
	struct err e;

	memset(&ev, 0x5a, sizeof(ev));
	CHECK_INT(parse(xml, &ev, &e), code);
	CHECK(e.msg[0] != '\0');
	if (why != NULL && strstr(e.msg, why) == NULL) {
		fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", e.msg, why);
		CHECK(0);
	}
	CHECK_INT(((unsigned char *)&ev)[0], 0x5a); /* out untouched on failure */
}

static void refused(const char *xml, int code)
{
	refused_why(xml, code, NULL);
}

#define EV_HEAD                                                                                    \
	"<xml><ToUserName>gh_1</ToUserName><CreateTime>1</CreateTime><MsgType>event</MsgType>"

TEST(parse_refuses_garbage)
{
	struct wechat_cb_event ev;
	struct err e;

	refused("hello", ERR_INVALID);
	refused("{\"ToUserName\":\"gh_1\"}", ERR_INVALID);
	refused("<xml><ToUserName>gh_1</ToUserName>", ERR_INVALID); /* unterminated */
	refused("<xml><a></b></xml>", ERR_INVALID);
	refused("<xml></xml><xml></xml>", ERR_INVALID);
	refused_why("<root><FromUserName>oA</FromUserName></root>", ERR_INVALID, "root");
	refused_why(EV_HEAD "<Event>subscribe</Event></xml>", ERR_INVALID, "<FromUserName>");
	refused_why(EV_HEAD "<FromUserName>oA</FromUserName></xml>", ERR_INVALID, "<Event>");
	refused_why(EV_HEAD "<FromUserName>oA</FromUserName><FromUserName>oB</FromUserName>"
			    "<Event>subscribe</Event></xml>",
		    ERR_INVALID, "twice");
	refused_why(EV_HEAD "<FromUserName><b>oA</b></FromUserName><Event>subscribe</Event></xml>",
		    ERR_INVALID, "holds an element");
	refused("<xml><ToUserName>gh_1</ToUserName><FromUserName>oA</FromUserName>"
		"<CreateTime>yesterday</CreateTime><MsgType>event</MsgType></xml>",
		ERR_INVALID);
	refused("<xml><ToUserName>gh_1</ToUserName><FromUserName>oA</FromUserName>"
		"<CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
		ERR_INVALID); /* text without Content */
	refused(EV_HEAD "<FromUserName>oA</FromUserName><Event>subscribe</Event>"
			"<MsgID>12;DROP</MsgID></xml>",
		ERR_INVALID);
	refused(EV_HEAD "<FromUserName>o&undefined;</FromUserName><Event>subscribe</Event></xml>",
		ERR_INVALID);
	refused(EV_HEAD "<FromUserName>oA\xff\xfe</FromUserName><Event>subscribe</Event></xml>",
		ERR_INVALID);
	refused_why("<xml><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a></a></a></a></a>"
		    "</a></a></a></a></a></a></a></a></a></a></a></a></a></a></xml>",
		    ERR_INVALID, "deep");
	refused(EV_HEAD "<FromUserName>o12345678901234567890123456789012345678901234567890"
			"12345678901234567890</FromUserName><Event>subscribe</Event></xml>",
		ERR_TOOBIG);
	CHECK_INT(wechat_cb_parse(NULL, 0, &ev, &e), ERR_INVALID);
	CHECK_INT(wechat_cb_parse("", 0, &ev, &e), ERR_INVALID);
	/* A NUL inside the length given is not XML. */
	CHECK_INT(wechat_cb_parse("<xml>\0</xml>", 12, &ev, &e), ERR_INVALID);
}

TEST(parse_refuses_doctype)
{
	struct err e;
	struct wechat_cb_event ev;

	refused_why(
		"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
		"<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
		"<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
		"<xml><ToUserName>gh_1</ToUserName><FromUserName>oA</FromUserName>"
		"<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol3;</Content></xml>",
		ERR_INVALID, "DOCTYPE");
	refused("<!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
		"<xml><ToUserName>gh_1</ToUserName><FromUserName>&xxe;</FromUserName>"
		"<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>",
		ERR_INVALID);
	refused("<!DOCTYPE xml><xml/>", ERR_INVALID);
	CHECK_INT(parse("<!DOCTYPE xml><xml/>", &ev, &e), ERR_INVALID);
	CHECK(strstr(e.msg, "DOCTYPE") != NULL);
	/* A declared encoding other than UTF-8 is overridden, not obeyed. */
	CHECK_INT(parse("<?xml version=\"1.0\" encoding=\"GBK\"?><xml><ToUserName>gh_1"
			"</ToUserName><FromUserName>oA</FromUserName><CreateTime>1</CreateTime>"
			"<MsgType>text</MsgType><Content>中</Content></xml>",
			&ev, &e),
		  0);
	CHECK_STR(ev.content, "中");
}

TEST(parse_refuses_huge)
{
	size_t n = WECHAT_CB_BODY_MAX + 1;
	char *xml = malloc(n + 1);
	struct wechat_cb_event ev;
	struct err e;

	memset(xml, ' ', n);
	memcpy(xml, "<xml>", 5);
	memcpy(xml + n - 6, "</xml>", 6);
	xml[n] = '\0';
	CHECK_INT(wechat_cb_parse(xml, n, &ev, &e), ERR_TOOBIG);
	/* Just under the cap is parsed (and then lacks its fields). */
	memcpy(xml + n - 7, "</xml>", 6);
	CHECK_INT(wechat_cb_parse(xml, n - 1, &ev, &e), ERR_INVALID);
	CHECK_STR(e.field, "ToUserName");
	free(xml);
}

/* ---- secure mode ---- */

TEST(decrypt_published_vector)
{
	char *xml = NULL, *enc = NULL;
	struct wechat_cb_event ev;
	struct err e;

	CHECK_INT(wechat_cb_envelope(SAMPLE_BODY, strlen(SAMPLE_BODY), &enc, &e), 0);
	CHECK_STR(enc, SAMPLE_ENCRYPT);
	CHECK_INT(wechat_cb_decrypt(SAMPLE_AES_KEY, SAMPLE_APPID, enc, &xml, &e), 0);
	CHECK(xml != NULL && strncmp(xml, "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]>", 44) == 0);
	if (xml != NULL) {
		CHECK_INT(parse(xml, &ev, &e), 0);
		CHECK_INT(ev.type, WECHAT_CB_TEXT);
		CHECK_STR(ev.openid, "oyORnuP8q7ou2gfYjqLzSIWZf0rs");
		CHECK_STR(ev.content, "abcdteT");
		CHECK_STR(ev.msg_id, "6054768590064713728");
		CHECK_INT(ev.create_time, 1409735668);
	}
	free(xml);
	free(enc);
}

TEST(encrypt_published_vector)
{
	unsigned char random16[16];
	char *b64 = NULL, *xml = NULL;
	struct err e;

	memcpy(random16, "aaaabbbbccccdddd", 16);
	CHECK_INT(wechat_cb_encrypt(SAMPLE_AES_KEY, JAVA_APPID, random16, JAVA_PLAIN, &b64, &e), 0);
	CHECK_STR(b64, JAVA_CIPHER);
	CHECK_INT(wechat_cb_decrypt(SAMPLE_AES_KEY, JAVA_APPID, JAVA_CIPHER, &xml, &e), 0);
	CHECK_STR(xml, JAVA_PLAIN);
	free(b64);
	free(xml);
}

TEST(encrypt_decrypt_round_trip)
{
	static const char key[] = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
	const unsigned char random16[16] = {
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
	};
	char msg[200] = "<xml><Content><![CDATA[明日停水]]></Content></xml>";
	struct err e;

	/* Lengths around the 32-byte padding block: a full block of padding and none short. */
	for (size_t extra = 0; extra < 40; extra++) {
		char *b64 = NULL, *back = NULL;
		size_t base = strlen("<xml><Content><![CDATA[明日停水]]></Content></xml>");

		memset(msg + base, ' ', extra);
		msg[base + extra] = '\0';
		CHECK_INT(wechat_cb_encrypt(key, MY_APPID, random16, msg, &b64, &e), 0);
		CHECK_INT(wechat_cb_decrypt(key, MY_APPID, b64, &back, &e), 0);
		CHECK_STR(back, msg);
		free(b64);
		free(back);
	}
	/* An empty message survives too. */
	{
		char *b64 = NULL, *back = NULL;
		CHECK_INT(wechat_cb_encrypt(key, MY_APPID, random16, "", &b64, &e), 0);
		CHECK_INT(wechat_cb_decrypt(key, MY_APPID, b64, &back, &e), 0);
		CHECK_STR(back, "");
		free(b64);
		free(back);
	}
}

TEST(decrypt_wrong_appid_and_key)
{
	char *xml = NULL;
	struct err e;

	CHECK_INT(wechat_cb_decrypt(SAMPLE_AES_KEY, MY_APPID, SAMPLE_ENCRYPT, &xml, &e),
		  ERR_FORBIDDEN);
	CHECK_STR(e.field, "appid");
	CHECK_INT(wechat_cb_decrypt(SAMPLE_AES_KEY, "", SAMPLE_ENCRYPT, &xml, &e), ERR_FORBIDDEN);
	CHECK_INT(wechat_cb_decrypt(SAMPLE_AES_KEY, SAMPLE_APPID "x", SAMPLE_ENCRYPT, &xml, &e),
		  ERR_FORBIDDEN);
	/* Another valid key: the padding check catches it. */
	CHECK_INT(wechat_cb_decrypt("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", SAMPLE_APPID,
				    SAMPLE_ENCRYPT, &xml, &e),
		  ERR_INVALID);
	/* Malformed keys: short, long, not base64. */
	CHECK_INT(wechat_cb_decrypt("abcdefghijklmnopqrstuvwxyz0123456789ABCDEF", SAMPLE_APPID,
				    SAMPLE_ENCRYPT, &xml, &e),
		  ERR_INVALID);
	CHECK_STR(e.field, "encoding_aes_key");
	CHECK_INT(wechat_cb_decrypt(SAMPLE_AES_KEY "H", SAMPLE_APPID, SAMPLE_ENCRYPT, &xml, &e),
		  ERR_INVALID);
	CHECK_INT(wechat_cb_decrypt("abcdefghijklmnopqrstuvwxyz0123456789ABCDE!G", SAMPLE_APPID,
				    SAMPLE_ENCRYPT, &xml, &e),
		  ERR_INVALID);
	CHECK_INT(wechat_cb_decrypt(NULL, SAMPLE_APPID, SAMPLE_ENCRYPT, &xml, &e), ERR_INVALID);
	CHECK(xml == NULL);
}

/* Encrypts a hand-made plaintext block with the sample key, for the padding tests. */
static char *raw_encrypt(const unsigned char *plain, size_t n)
{
	unsigned char key[33], cipher[256];
	char *b64 = malloc(512);
	struct err e;

	CHECK_INT(crypto_unbase64(SAMPLE_AES_KEY "=", 44, key, sizeof(key)), 32);
	CHECK_INT(crypto_aes256_cbc(1, key, key, plain, n, cipher, &e), 0);
	CHECK(crypto_base64(cipher, n, b64, 512) > 0);
	return b64;
}

/* 16 random | len 5 | "<xml>" | appid | pad: 64 bytes, with the pad bytes given. */
static void bad_block(unsigned char last, unsigned char fill, unsigned char len_lo, int code)
{
	unsigned char plain[64];
	size_t used = 16 + 4 + 5 + strlen(SAMPLE_APPID);
	char *b64, *xml = NULL;
	struct err e;

	memset(plain, 'r', 16);
	plain[16] = plain[17] = plain[18] = 0;
	plain[19] = len_lo;
	memcpy(plain + 20, "<xml>", 5);
	memcpy(plain + 25, SAMPLE_APPID, strlen(SAMPLE_APPID));
	memset(plain + used, fill, sizeof(plain) - used);
	plain[63] = last;
	b64 = raw_encrypt(plain, sizeof(plain));
	CHECK_INT(wechat_cb_decrypt(SAMPLE_AES_KEY, SAMPLE_APPID, b64, &xml, &e), code);
	if (code == 0)
		CHECK_STR(xml, "<xml>");
	free(xml);
	free(b64);
}

TEST(decrypt_bad_padding)
{
	unsigned char pad = (unsigned char)(64 - 16 - 4 - 5 - strlen(SAMPLE_APPID));

	bad_block(pad, pad, 5, 0); /* the well-formed control */
	bad_block(0, pad, 5, ERR_INVALID); /* pad 0 */
	bad_block(33, 33, 5, ERR_INVALID); /* pad over the 32-byte block */
	bad_block(pad, (unsigned char)(pad + 1), 5, ERR_INVALID); /* inconsistent bytes */
	bad_block(64, 64, 5, ERR_INVALID); /* pad as long as everything */
	bad_block(pad, pad, 200, ERR_INVALID); /* msg_len past the end */
	bad_block(pad, pad, 4, ERR_FORBIDDEN); /* shifted: appid becomes ">wx…" */
}

TEST(decrypt_truncated_base64)
{
	char buf[sizeof(SAMPLE_ENCRYPT)];
	size_t n = strlen(SAMPLE_ENCRYPT);
	char *xml = NULL;
	struct err e;

	memcpy(buf, SAMPLE_ENCRYPT, n + 1);
	buf[n - 1] = '\0'; /* lost the final '=' */
	CHECK_INT(wechat_cb_decrypt(SAMPLE_AES_KEY, SAMPLE_APPID, buf, &xml, &e), ERR_INVALID);
	buf[n - 4] = '\0'; /* whole quantum lost: 3 bytes short of a block */
	CHECK_INT(wechat_cb_decrypt(SAMPLE_AES_KEY, SAMPLE_APPID, buf, &xml, &e), ERR_INVALID);
	buf[64] = '\0'; /* 48 bytes: whole blocks, but the message is cut off */
	CHECK_INT(wechat_cb_decrypt(SAMPLE_AES_KEY, SAMPLE_APPID, buf, &xml, &e), ERR_INVALID);
	buf[0] = '\0';
	CHECK_INT(wechat_cb_decrypt(SAMPLE_AES_KEY, SAMPLE_APPID, buf, &xml, &e), ERR_INVALID);
	CHECK_INT(wechat_cb_decrypt(SAMPLE_AES_KEY, SAMPLE_APPID, "!!!!", &xml, &e), ERR_INVALID);
	CHECK_INT(wechat_cb_decrypt(SAMPLE_AES_KEY, SAMPLE_APPID, NULL, &xml, &e), ERR_INVALID);
	CHECK(xml == NULL);
}

TEST(receive_secure_published)
{
	struct wechat_cb_keys k = { SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_APPID };
	struct wechat_cb_query q = { .signature = "ignored-in-secure-mode",
				     .timestamp = SAMPLE_TS,
				     .nonce = SAMPLE_NONCE,
				     .encrypt_type = "aes",
				     .msg_signature = SAMPLE_MSG_SIG };
	const int64_t now = 1409735669000LL + 4000;
	struct wechat_cb_event ev;
	struct err e;

	CHECK_INT(wechat_cb_receive(&k, &q, SAMPLE_BODY, strlen(SAMPLE_BODY), now, &ev, &e), 0);
	CHECK_INT(ev.type, WECHAT_CB_TEXT);
	CHECK_STR(ev.content, "abcdteT");
	/* Replayed an hour later. */
	CHECK_INT(
		wechat_cb_receive(&k, &q, SAMPLE_BODY, strlen(SAMPLE_BODY), now + 3600000, &ev, &e),
		ERR_FORBIDDEN);
	/* Wrong or missing msg_signature. */
	q.msg_signature = "5d197aaffba7e9b25a30732f161a50dee96bd5fb";
	CHECK_INT(wechat_cb_receive(&k, &q, SAMPLE_BODY, strlen(SAMPLE_BODY), now, &ev, &e),
		  ERR_UNAUTH);
	q.msg_signature = NULL;
	CHECK_INT(wechat_cb_receive(&k, &q, SAMPLE_BODY, strlen(SAMPLE_BODY), now, &ev, &e),
		  ERR_UNAUTH);
	/* A plain push to an account configured for secure mode. */
	q.msg_signature = SAMPLE_MSG_SIG;
	q.encrypt_type = NULL;
	CHECK_INT(wechat_cb_receive(&k, &q, SAMPLE_BODY, strlen(SAMPLE_BODY), now, &ev, &e),
		  ERR_FORBIDDEN);
	CHECK_STR(e.field, "encrypt_type");
	/* Our appid differs from the sample's. */
	q.encrypt_type = "aes";
	k.appid = MY_APPID;
	CHECK_INT(wechat_cb_receive(&k, &q, SAMPLE_BODY, strlen(SAMPLE_BODY), now, &ev, &e),
		  ERR_FORBIDDEN);
	CHECK_STR(e.field, "appid");
}

TEST(receive_secure_reply_round_trip)
{
	struct wechat_cb_keys k = { "tok3n", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
				    MY_APPID };
	const unsigned char random16[16] = "0123456789abcde";
	char sig[WECHAT_CB_SIG_LEN + 1], body[2048], *enc = NULL;
	struct wechat_cb_query q = { .timestamp = "1714037059",
				     .nonce = "42",
				     .encrypt_type = "aes",
				     .msg_signature = sig };
	struct wechat_cb_event ev;
	struct err e;

	CHECK_INT(wechat_cb_encrypt(k.encoding_aes_key, MY_APPID, random16,
				    "<xml><ToUserName>gh_1</ToUserName><FromUserName>oZ"
				    "</FromUserName><CreateTime>1714037050</CreateTime>"
				    "<MsgType>event</MsgType><Event>unsubscribe</Event></xml>",
				    &enc, &e),
		  0);
	CHECK_INT(wechat_cb_sign(k.token, q.timestamp, q.nonce, enc, sig, &e), 0);
	snprintf(body, sizeof(body),
		 "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt>"
		 "</xml>",
		 enc);
	CHECK_INT(wechat_cb_receive(&k, &q, body, strlen(body), 1714037059000LL, &ev, &e), 0);
	CHECK_INT(ev.type, WECHAT_CB_UNSUBSCRIBE);
	CHECK_STR(ev.openid, "oZ");
	/* An envelope without Encrypt. */
	CHECK_INT(wechat_cb_receive(&k, &q, "<xml><ToUserName>gh_1</ToUserName></xml>", 40,
				    1714037059000LL, &ev, &e),
		  ERR_INVALID);
	CHECK_STR(e.field, "Encrypt");
	free(enc);
}

TEST(receive_plain)
{
	struct wechat_cb_keys k = { .token = DOC_TOKEN, .appid = MY_APPID };
	struct wechat_cb_query q = { .signature = "899cf89e464efb63f54ddac96b0a0a235f53aa78",
				     .timestamp = "1714037059",
				     .nonce = "486452656" };
	static const char body[] = "<xml><ToUserName>gh_97417a04a28d</ToUserName>"
				   "<FromUserName>o9AgO5Kd5ggOC-bXrbNODIiE3bGY</FromUserName>"
				   "<CreateTime>1714037059</CreateTime><MsgType>event</MsgType>"
				   "<Event>SCAN</Event><EventKey>42</EventKey></xml>";
	const int64_t now = 1714037059000LL;
	struct wechat_cb_event ev;
	struct err e;

	CHECK_INT(wechat_cb_receive(&k, &q, body, strlen(body), now, &ev, &e), 0);
	CHECK_INT(ev.type, WECHAT_CB_SCAN);
	CHECK_STR(ev.scene, "42");
	q.encrypt_type = "raw";
	CHECK_INT(wechat_cb_receive(&k, &q, body, strlen(body), now, &ev, &e), 0);
	CHECK_INT(wechat_cb_receive(&k, &q, body, strlen(body), now - 301000, &ev, &e),
		  ERR_FORBIDDEN);
	q.encrypt_type = "rot13";
	CHECK_INT(wechat_cb_receive(&k, &q, body, strlen(body), now, &ev, &e), ERR_INVALID);
	q.encrypt_type = "aes"; /* no EncodingAESKey configured */
	CHECK_INT(wechat_cb_receive(&k, &q, body, strlen(body), now, &ev, &e), ERR_FORBIDDEN);
	q.encrypt_type = NULL;
	q.nonce = "486452657";
	CHECK_INT(wechat_cb_receive(&k, &q, body, strlen(body), now, &ev, &e), ERR_UNAUTH);
	/* Error messages never carry the openid. */
	CHECK(strstr(e.msg, "o9AgO5") == NULL);
}

int main(void)
{
	RUN(verify_published_signatures);
	RUN(msg_signature_published);
	RUN(time_window);
	RUN(check_url);
	RUN(parse_subscribe_and_scan);
	RUN(parse_template_finish);
	RUN(parse_text_and_other);
	RUN(parse_long_content_is_cut);
	RUN(parse_refuses_garbage);
	RUN(parse_refuses_doctype);
	RUN(parse_refuses_huge);
	RUN(decrypt_published_vector);
	RUN(encrypt_published_vector);
	RUN(encrypt_decrypt_round_trip);
	RUN(decrypt_wrong_appid_and_key);
	RUN(decrypt_bad_padding);
	RUN(decrypt_truncated_base64);
	RUN(receive_secure_published);
	RUN(receive_secure_reply_round_trip);
	RUN(receive_plain);
	return TEST_END();
}
