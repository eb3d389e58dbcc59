/* wechat_callback: the WeChat Official Account server callback (消息推送), as a pure module.
 * Owns: URL verification (GET ?signature&timestamp&nonce&echostr), the replay window on
 * timestamp, msg_signature and AES-256-CBC of secure mode (安全模式, encrypt_type=aes), and
 * parsing the pushed XML (expat; no DOCTYPE, no entities, capped sizes) into one event.
 * Called by the API's WeChat callback route. Never does I/O, never reads the clock (now_ms
 * is passed in), never logs; error messages name fields, never openids or message text. */
#ifndef GATEWAY_WECHAT_CALLBACK_H
#define GATEWAY_WECHAT_CALLBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* A request whose timestamp is further than this from now (either way) is refused. */
#define WECHAT_CB_WINDOW_S 300
/* Largest POST body (and Encrypt value, and decrypted XML) accepted: ERR_TOOBIG above. */
#define WECHAT_CB_BODY_MAX (64 * 1024)
#define WECHAT_CB_ID_MAX 64 /* openid (28 chars today), ToUserName gh_… */
#define WECHAT_CB_SCENE_MAX 128 /* EventKey: scene_str is 1-64 chars, scene_id digits */
#define WECHAT_CB_MSGID_MAX 24 /* decimal 64-bit */
#define WECHAT_CB_STATUS_MAX 64
#define WECHAT_CB_CONTENT_MAX 2048 /* bytes; longer text is cut on a UTF-8 boundary */
#define WECHAT_CB_SIG_LEN 40 /* hex SHA-1 */
#define WECHAT_CB_AES_KEY_LEN 43 /* EncodingAESKey characters */

enum wechat_cb_type {
	WECHAT_CB_SUBSCRIBE, /* Event subscribe (scene set when followed through a QR code) */
	WECHAT_CB_UNSUBSCRIBE, /* Event unsubscribe */
	WECHAT_CB_SCAN, /* Event SCAN: a follower scanned a parametric QR code */
	WECHAT_CB_TEMPLATE_FINISH, /* Event TEMPLATESENDJOBFINISH: msg_id and status set */
	WECHAT_CB_TEXT, /* MsgType text: content set */
	WECHAT_CB_OTHER, /* any other message or event; the common fields are still set */
};

/* One pushed message. Strings are NUL-terminated and "" when the XML had no such field.
 * openid is personal data: mask it (mask_openid) before it reaches a log. */
struct wechat_cb_event {
	enum wechat_cb_type type;
	char openid[WECHAT_CB_ID_MAX + 1]; /* FromUserName */
	char to_user[WECHAT_CB_ID_MAX + 1]; /* ToUserName: the account's original id */
	int64_t create_time; /* CreateTime, seconds since the epoch */
	/* EventKey; for subscribe the "qrscene_" prefix is removed, so that subscribe and SCAN
	 * from the same QR code give the same scene. */
	char scene[WECHAT_CB_SCENE_MAX + 1];
	char msg_id[WECHAT_CB_MSGID_MAX + 1]; /* MsgID (template result) or MsgId (text) */
	/* Template result: success | failed:user block | failed: system failed */
	char status[WECHAT_CB_STATUS_MAX + 1];
	char content[WECHAT_CB_CONTENT_MAX + 1]; /* text messages */
	bool content_truncated;
};

/* What the account is configured with. encoding_aes_key NULL or "" means plain mode. */
struct wechat_cb_keys {
	const char *token;
	const char *encoding_aes_key;
	const char *appid;
};

/* The query string of a callback request; absent parameters are NULL. */
struct wechat_cb_query {
	const char *signature;
	const char *timestamp;
	const char *nonce;
	const char *echostr; /* GET only */
	const char *encrypt_type; /* "aes" in secure and compatible mode, else absent or "raw" */
	const char *msg_signature; /* with encrypt_type=aes */
};

/* Replay protection. The signatures only bind timestamp and nonce to the token, so a
 * captured request stays valid; this module refuses a timestamp outside the window, and the
 * caller must refuse a (timestamp, nonce) pair it has accepted before within the last
 * 2 * WECHAT_CB_WINDOW_S seconds (a small in-memory cache is enough). WeChat itself
 * retries a push it got no answer to within 5 s (three times): deduplicate messages by
 * msg_id, events by openid + create_time, before acting on them. */

/* hex(SHA1(sort([token, timestamp, nonce]) joined)) == signature, compared in constant
 * time. False on any NULL or over-long argument. */
bool wechat_cb_verify(const char *token, const char *timestamp, const char *nonce,
		      const char *signature);
/* The secure-mode msg_signature: hex(SHA1(sort([token, timestamp, nonce, encrypt])
 * joined)) into out. Also what a caller puts in <MsgSignature> of an encrypted reply. */
int wechat_cb_sign(const char *token, const char *timestamp, const char *nonce, const char *encrypt,
		   char out[WECHAT_CB_SIG_LEN + 1], struct err *e);
/* Constant-time check of msg_signature; false on any NULL or over-long argument. */
bool wechat_cb_verify_msg(const char *token, const char *timestamp, const char *nonce,
			  const char *encrypt, const char *msg_signature);
/* 0 when timestamp (decimal seconds) is within WECHAT_CB_WINDOW_S of now_ms; else
 * ERR_INVALID (not a number) or ERR_FORBIDDEN (stale or from the future). */
int wechat_cb_check_time(const char *timestamp, int64_t now_ms, struct err *e);

/* Parses a plain pushed message (or a decrypted one) of len bytes into *out.
 * ERR_TOOBIG: body or a field over its cap; ERR_INVALID: not well-formed, root not <xml>,
 * a DOCTYPE/entity declaration, a duplicated or missing field (ToUserName, FromUserName,
 * CreateTime, MsgType; Event for events, Content for text). */
int wechat_cb_parse(const char *body, size_t len, struct wechat_cb_event *out, struct err *e);
/* Takes the <Encrypt> value out of a secure-mode body into *encrypt_b64 (malloc'd, caller
 * frees). Same errors as wechat_cb_parse; ERR_INVALID when there is no Encrypt. */
int wechat_cb_envelope(const char *body, size_t len, char **encrypt_b64, struct err *e);

/* Decrypts an Encrypt value: AESKey = base64(encoding_aes_key + "="), IV = its first 16
 * bytes, plaintext = random(16) | msg_len (4 bytes big-endian) | msg | appid, PKCS#7 with a
 * 32-byte block. *out_xml (malloc'd, NUL-terminated, caller frees) gets msg. ERR_INVALID:
 * bad key, base64, length or padding; ERR_FORBIDDEN: the appid inside is not ours.
 * Call it only after wechat_cb_verify_msg succeeded, so that it is no padding oracle. */
int wechat_cb_decrypt(const char *encoding_aes_key, const char *appid, const char *encrypt_b64,
		      char **out_xml, struct err *e);
/* The reverse, for encrypted replies and tests: random16 is 16 bytes the caller drew from
 * a CSPRNG. *out_b64 is malloc'd (caller frees). */
int wechat_cb_encrypt(const char *encoding_aes_key, const char *appid,
		      const unsigned char random16[16], const char *xml, char **out_b64,
		      struct err *e);

/* The GET that confirms the server URL: 0 when the caller may answer 200 with q->echostr
 * as text/plain. echostr is not signed, so it must be 1-64 letters or digits (what WeChat
 * sends); anything else is ERR_INVALID, so that the route never reflects markup.
 * ERR_UNAUTH: bad signature; ERR_FORBIDDEN: no token configured; window errors as
 * wechat_cb_check_time. */
int wechat_cb_check_url(const struct wechat_cb_keys *k, const struct wechat_cb_query *q,
			int64_t now_ms, struct err *e);
/* A POST: checks signature (plain) or msg_signature (secure), the window, decrypts when
 * encrypt_type=aes and parses into *out. ERR_UNAUTH: bad or missing signature;
 * ERR_FORBIDDEN: no token configured, stale, foreign appid, or the body's mode does not
 * match the account's (secure mode configured but a plain push, or the reverse); others as
 * the parts above.
 * The caller still owes the (timestamp, nonce) cache check described above. */
int wechat_cb_receive(const struct wechat_cb_keys *k, const struct wechat_cb_query *q,
		      const char *body, size_t len, int64_t now_ms, struct wechat_cb_event *out,
		      struct err *e);

#endif
