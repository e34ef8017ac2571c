/*
 * The AWS event stream codec (application/vnd.amazon.eventstream), "es"
 * for short: the framing of InvokeCodeInterpreter responses, decoded by the
 * client and encoded by the embedded control plane.
 *
 * A frame is a 12-byte prelude (total length, headers length, CRC-32 of the
 * first 8 bytes), the headers, the payload and a CRC-32 of everything
 * before it; all integers are big-endian. The decoder checks, in this
 * order: the prelude CRC, the lengths, the size limits, the message CRC,
 * then the headers. It buffers at most one frame, never more than the
 * limits allow, and only as the bytes arrive.
 *
 * Decoded messages do not own memory: names, strings and the payload point
 * into the frame and are not NUL-terminated. A message handed to the
 * decoder's callback lives until the callback returns.
 *
 * Malformed frames and truncated streams fail with SF_EINVALID; the message
 * starts with what is wrong ("Prelude checksum mismatch", "Message checksum
 * mismatch", "invalid headers length", "duplicate header 'x'", ...).
 */
#ifndef SF_EVENTSTREAM_H
#define SF_EVENTSTREAM_H

#include "util/util.h"

#define SF_ES_PRELUDE_LEN 12
#define SF_ES_OVERHEAD    16 /* prelude and trailing message CRC */
#define SF_ES_MAX_PAYLOAD (24u * 1024 * 1024)
#define SF_ES_MAX_HEADERS (128u * 1024)
#define SF_ES_MAX_NAME    255
#define SF_ES_MAX_VALUE   65535 /* byte_array and string values */
#define SF_ES_UUID_LEN    16

/* Header value types, as on the wire. */
enum sf_es_type {
	SF_ES_TRUE = 0,
	SF_ES_FALSE = 1,
	SF_ES_BYTE = 2,      /* int8 */
	SF_ES_SHORT = 3,     /* int16 */
	SF_ES_INT = 4,       /* int32 */
	SF_ES_LONG = 5,      /* int64 */
	SF_ES_BYTES = 6,     /* u16 length + bytes */
	SF_ES_STRING = 7,    /* u16 length + UTF-8 */
	SF_ES_TIMESTAMP = 8, /* int64 milliseconds since the epoch */
	SF_ES_UUID = 9,      /* 16 bytes */
};

struct sf_es_header {
	const char *name; /* name_len bytes, 1..255, not NUL-terminated */
	size_t name_len;
	enum sf_es_type type;
	int64_t i;           /* TRUE/FALSE (1/0), BYTE .. LONG, TIMESTAMP */
	const uint8_t *data; /* BYTES, STRING, UUID */
	size_t len;
};

/* A decoded frame; cursors point into frame. */
struct sf_es_message {
	const uint8_t *frame; /* the whole frame, total_length bytes */
	uint32_t total_length;
	uint32_t headers_length;
	uint32_t prelude_crc;
	uint32_t message_crc;
	struct sf_es_header *headers; /* in wire order */
	size_t nheaders;
	size_t headers_alloc;
	const uint8_t *payload;
	size_t payload_len;
};

/*
 * What the decoder accepts. The spec binds services to the defaults and
 * lets clients go higher; either way the values bound what is buffered.
 * A zero field means the default.
 */
struct sf_es_limits {
	size_t max_payload; /* default SF_ES_MAX_PAYLOAD */
	size_t max_headers; /* default SF_ES_MAX_HEADERS */
};

struct sf_es_decoder {
	struct sf_es_limits lim;
	/* Receives each complete message; a non-zero return (a negative
	 * enum sf_code, with err filled) stops the decoder with it. */
	int (*fn)(const struct sf_es_message *m, void *arg, struct sf_err *err);
	void *arg;
	struct sf_buf frame; /* the frame being received */
	uint32_t need;       /* its total length, once the prelude passed */
	uint64_t offset;     /* stream offset of its first byte */
	uint64_t count;      /* messages delivered */
	struct sf_es_message msg; /* reused for every message */
	int failed;               /* 0, or the code of the first error */
	struct sf_err fail;       /* that error, repeated by later calls */
};

/* CRC-32 (IEEE 802.3, as zlib's crc32): crc is 0 to start, or a previous
 * result to continue. */
uint32_t sf_es_crc32(uint32_t crc, const void *data, size_t len);

/* Streaming decoder. lim may be NULL for the defaults. */
void sf_es_decoder_init(struct sf_es_decoder *d, const struct sf_es_limits *lim,
    int (*fn)(const struct sf_es_message *m, void *arg, struct sf_err *err),
    void *arg);
void sf_es_decoder_release(struct sf_es_decoder *d);
/* Feed len bytes, split anywhere; calls fn for each message completed
 * (fn must not feed the same decoder). After an error every call returns
 * that error again. */
int sf_es_decoder_feed(
    struct sf_es_decoder *d, const void *data, size_t len, struct sf_err *err);
/* The end of the stream: an error if a frame was left incomplete. */
int sf_es_decoder_finish(struct sf_es_decoder *d, struct sf_err *err);

/* Decode one whole frame of exactly len bytes (no streaming). m must have
 * been initialized; it points into frame afterwards. */
void sf_es_message_init(struct sf_es_message *m);
void sf_es_message_release(struct sf_es_message *m);
int sf_es_message_parse(struct sf_es_message *m, const void *frame, size_t len,
    const struct sf_es_limits *lim, struct sf_err *err);

/* Header lookup: NULL when absent. */
const struct sf_es_header *sf_es_message_find(
    const struct sf_es_message *m, const char *name);
/* Typed lookups: SF_ENOTFOUND when absent, SF_EINVALID for another type.
 * get_int takes BYTE, SHORT, INT, LONG and TIMESTAMP; get_bytes takes
 * BYTES and UUID. */
int sf_es_message_get_str(const struct sf_es_message *m, const char *name,
    const char **s, size_t *len, struct sf_err *err);
int sf_es_message_get_int(const struct sf_es_message *m, const char *name,
    int64_t *v, struct sf_err *err);
int sf_es_message_get_bool(const struct sf_es_message *m, const char *name,
    bool *v, struct sf_err *err);
int sf_es_message_get_bytes(const struct sf_es_message *m, const char *name,
    const uint8_t **data, size_t *len, struct sf_err *err);
/* Whether s (len bytes) equals the NUL-terminated lit. */
bool sf_es_str_eq(const char *s, size_t len, const char *lit);

/*
 * AgentCore (Smithy restJson1) semantics of a message:
 *   event      :message-type event, :event-type (e.g. "result"),
 *              :content-type; the payload is the event's JSON
 *   exception  :message-type exception, :exception-type (the union member,
 *              e.g. "validationException"), :content-type; the payload is
 *              the error shape's JSON, {"message": ...}
 *   error      :message-type error, :error-code, :error-message; unmodeled
 * Every header named here is required and must be a string; the type
 * (:event-type, :exception-type, :error-code) must not be empty. A frame
 * without them fails with SF_EINVALID naming the missing header. The
 * JSON payload is left to the caller.
 */
enum sf_es_kind {
	SF_ES_EVENT,
	SF_ES_EXCEPTION,
	SF_ES_ERROR,
};

struct sf_es_class {
	enum sf_es_kind kind;
	const char *type; /* :event-type, :exception-type or :error-code */
	size_t type_len;
	const char *content_type; /* NULL for errors */
	size_t content_type_len;
	const char *message; /* :error-message; NULL otherwise */
	size_t message_len;
	const uint8_t *payload;
	size_t payload_len;
};

int sf_es_classify(
    struct sf_es_class *c, const struct sf_es_message *m, struct sf_err *err);
/* Whether c->type is type, e.g. sf_es_class_is(&c, "result"). */
bool sf_es_class_is(const struct sf_es_class *c, const char *type);

/* Header values for the encoder; name (and a string value) must outlive
 * the encode call. type picks the width of an integer, or BYTES/UUID. */
struct sf_es_header sf_es_header_bool(const char *name, bool v);
struct sf_es_header sf_es_header_int(
    const char *name, enum sf_es_type type, int64_t v);
struct sf_es_header sf_es_header_data(
    const char *name, enum sf_es_type type, const void *data, size_t len);
struct sf_es_header sf_es_header_str(const char *name, const char *value);

/*
 * Append one frame to out. Checks everything the decoder checks (name
 * lengths, value sizes and ranges, duplicate names, the default limits)
 * and leaves out unchanged on error.
 */
int sf_es_encode(struct sf_buf *out, const struct sf_es_header *headers,
    size_t nheaders, const void *payload, size_t payload_len,
    struct sf_err *err);
/* :event-type, :content-type, :message-type event. */
int sf_es_encode_event(struct sf_buf *out, const char *event_type,
    const char *content_type, const void *payload, size_t payload_len,
    struct sf_err *err);
/* A "result" event with a JSON payload. */
int sf_es_encode_result(
    struct sf_buf *out, const char *json, size_t len, struct sf_err *err);
/* :exception-type, :content-type application/json, :message-type
 * exception, and the error shape's JSON. */
int sf_es_encode_exception(struct sf_buf *out, const char *exception_type,
    const char *json, size_t len, struct sf_err *err);
/* :message-type error, :error-code, :error-message, no payload. */
int sf_es_encode_error(struct sf_buf *out, const char *code,
    const char *message, struct sf_err *err);

#endif
