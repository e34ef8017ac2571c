/*
 * Unit tests of the event stream codec: the shared test vectors (aws-sdk-go,
 * botocore, AgentCore synthetic frames) field by field, then the decoder
 * under every split, truncation and single-byte corruption, the encoder
 * for every header type, the limits, the header errors and the classifier.
 *
 * The vector tests need $SF_SHARED_DIR/eventstream-test-vectors; without
 * it the rest still runs and the program exits 77 (skipped).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "provider/aws/eventstream.h"
#include "util/fs.h"

static char *vectors_dir; /* NULL when the shared vectors are absent */

/* Helpers */

static void
hex_decode(const char *hex, struct sf_buf *out)
{
	size_t i, n = strlen(hex);

	assert_int_equal(n % 2, 0);
	for (i = 0; i < n; i += 2) {
		unsigned v;

		assert_int_equal(sscanf(hex + i, "%2x", &v), 1);
		sf_buf_addch(out, (int)v);
	}
}

static void
b64_encode(const void *data, size_t len, struct sf_buf *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                          "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | p[i + 1] << 8 | p[i + 2];

		sf_buf_addch(out, tab[v >> 18]);
		sf_buf_addch(out, tab[(v >> 12) & 63]);
		sf_buf_addch(out, tab[(v >> 6) & 63]);
		sf_buf_addch(out, tab[v & 63]);
	}
	if (len - i == 1) {
		sf_buf_addch(out, tab[p[i] >> 2]);
		sf_buf_addch(out, tab[(p[i] & 3) << 4]);
		sf_buf_adds(out, "==");
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];

		sf_buf_addch(out, tab[v >> 10]);
		sf_buf_addch(out, tab[(v >> 4) & 63]);
		sf_buf_addch(out, tab[(v & 15) << 2]);
		sf_buf_addch(out, '=');
	}
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

#define assert_prefix(s, prefix)                                           \
	do {                                                               \
		if (!has_prefix((s), (prefix)))                            \
			fail_msg("\"%s\" does not start with \"%s\"", (s), \
			    (prefix));                                     \
	} while (0)

static json_t *
load_json(const char *name)
{
	char *path = sf_fs_join(vectors_dir, name);
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);

	if (!j)
		fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
	free(path);
	return j;
}

static void
read_file(const char *path, struct sf_buf *out)
{
	struct sf_err err;

	if (sf_fs_read(path, 1 << 20, out, &err) != 0)
		fail_msg("%s: %s", path, err.msg);
}

/* A frame with valid CRCs around raw header bytes, for malformed headers. */
static void
raw_frame(struct sf_buf *out, const void *headers, size_t hlen,
    const void *payload, size_t plen)
{
	uint8_t pre[12], crc[4];
	uint32_t total = (uint32_t)(16 + hlen + plen), c;
	size_t start = out->len;
	int i;

	for (i = 0; i < 4; i++) {
		pre[i] = (uint8_t)(total >> (24 - 8 * i));
		pre[4 + i] = (uint8_t)(hlen >> (24 - 8 * i));
	}
	c = sf_es_crc32(0, pre, 8);
	for (i = 0; i < 4; i++)
		pre[8 + i] = (uint8_t)(c >> (24 - 8 * i));
	sf_buf_add(out, pre, 12);
	sf_buf_add(out, headers, hlen);
	sf_buf_add(out, payload, plen);
	c = sf_es_crc32(0, out->buf + start, out->len - start);
	for (i = 0; i < 4; i++)
		crc[i] = (uint8_t)(c >> (24 - 8 * i));
	sf_buf_add(out, crc, 4);
}

/* Compare a decoded message with the JSON of a decoded vector file. */
static void
check_decoded(const struct sf_es_message *m, json_t *want, const char *name)
{
	json_t *hs = json_object_get(want, "headers");
	struct sf_buf b = SF_BUF_INIT;
	size_t i;

#define FIELD(f) json_integer_value(json_object_get(want, f))
	if (m->total_length != FIELD("total_length") ||
	    m->headers_length != FIELD("headers_length") ||
	    m->prelude_crc != (uint32_t)FIELD("prelude_crc") ||
	    m->message_crc != (uint32_t)FIELD("message_crc"))
		fail_msg("%s: prelude or CRC differs", name);
#undef FIELD
	if (m->nheaders != json_array_size(hs))
		fail_msg("%s: %zu headers, want %zu", name, m->nheaders,
		    json_array_size(hs));
	for (i = 0; i < m->nheaders; i++) {
		const struct sf_es_header *h = &m->headers[i];
		json_t *w = json_array_get(hs, i);
		json_t *v = json_object_get(w, "value");
		const char *wn = json_string_value(json_object_get(w, "name"));

		if (!sf_es_str_eq(h->name, h->name_len, wn))
			fail_msg("%s: header %zu is not %s", name, i, wn);
		if ((json_int_t)h->type !=
		    json_integer_value(json_object_get(w, "type")))
			fail_msg(
			    "%s: header %s has type %d", name, wn, h->type);
		switch (h->type) {
		case SF_ES_TRUE:
		case SF_ES_FALSE:
			assert_true(json_is_boolean(v));
			assert_int_equal(
			    h->type == SF_ES_TRUE, json_is_true(v));
			assert_int_equal(h->i, h->type == SF_ES_TRUE);
			break;
		case SF_ES_BYTES:
		case SF_ES_STRING:
		case SF_ES_UUID:
			sf_buf_reset(&b);
			b64_encode(h->data, h->len, &b);
			if (strcmp(b.buf, json_string_value(v)) != 0)
				fail_msg(
				    "%s: header %s is %s", name, wn, b.buf);
			break;
		default:
			if (h->i != json_integer_value(v))
				fail_msg("%s: header %s is %lld", name, wn,
				    (long long)h->i);
			break;
		}
	}
	sf_buf_reset(&b);
	b64_encode(m->payload, m->payload_len, &b);
	if (strcmp(b.buf, json_string_value(json_object_get(want, "payload"))))
		fail_msg("%s: payload %s", name, b.buf);
	sf_buf_release(&b);
}

/* What a decoder delivered: the frames re-encoded, back to back. */
struct sink {
	size_t count;
	struct sf_buf frames;
	json_t *want; /* when set, the decoded JSON of every message */
	const char *name;
	size_t fail_at; /* when non-zero, fail on this message */
};

static int
sink_fn(const struct sf_es_message *m, void *arg, struct sf_err *err)
{
	struct sink *s = arg;
	size_t start = s->frames.len;
	struct sf_err e;

	s->count++;
	if (s->fail_at && s->count == s->fail_at)
		return sf_error(
		    err, SF_EREMOTE, "sink", "stop at %zu", s->count);
	assert_int_equal(m->total_length,
	    SF_ES_OVERHEAD + m->headers_length + m->payload_len);
	assert_ptr_equal(
	    m->payload, m->frame + SF_ES_PRELUDE_LEN + m->headers_length);
	if (s->want)
		check_decoded(m, s->want, s->name);
	/* Re-encoding a decoded message gives its bytes back. */
	if (sf_es_encode(&s->frames, m->headers, m->nheaders, m->payload,
	        m->payload_len, &e) != 0)
		fail_msg("%s: re-encode: %s", s->name, e.msg);
	assert_int_equal(s->frames.len - start, m->total_length);
	assert_memory_equal(s->frames.buf + start, m->frame, m->total_length);
	return 0;
}

static void
sink_init(struct sink *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	sf_buf_init(&s->frames, 0);
	s->name = name;
}

/* Decode p in chunks of chunk bytes (0: all at once), then finish. */
static int
decode(const void *p, size_t len, size_t chunk, const struct sf_es_limits *lim,
    struct sink *s, struct sf_err *err)
{
	struct sf_es_decoder d;
	const char *c = p;
	size_t off = 0;
	int r = 0;

	sf_es_decoder_init(&d, lim, sink_fn, s);
	if (chunk == 0)
		chunk = len ? len : 1;
	while (off < len && r == 0) {
		size_t n = len - off < chunk ? len - off : chunk;

		r = sf_es_decoder_feed(&d, c + off, n, err);
		off += n;
	}
	if (r == 0)
		r = sf_es_decoder_finish(&d, err);
	sf_es_decoder_release(&d);
	return r;
}

/* One frame survives any chunking: split at every offset, one byte at a
 * time; every truncation is reported; every corrupted byte is caught. */
static void
stress_frame(const uint8_t *frame, size_t len, const char *name)
{
	static const uint8_t flips[] = { 0x01, 0x80, 0xff };
	struct sf_es_decoder d;
	struct sf_err err;
	struct sink s;
	uint8_t *copy;
	size_t cut, i, k;
	int r;

	sink_init(&s, name);
	assert_int_equal(decode(frame, len, 1, NULL, &s, &err), 0);
	assert_int_equal(s.count, 1);
	for (cut = 0; cut <= len; cut++) {
		sf_buf_reset(&s.frames);
		s.count = 0;
		sf_es_decoder_init(&d, NULL, sink_fn, &s);
		assert_int_equal(sf_es_decoder_feed(&d, frame, cut, &err), 0);
		assert_int_equal(s.count, cut == len);
		assert_int_equal(
		    sf_es_decoder_feed(&d, frame + cut, len - cut, &err), 0);
		assert_int_equal(sf_es_decoder_finish(&d, &err), 0);
		assert_int_equal(s.count, 1);
		sf_es_decoder_release(&d);
	}
	/* Truncated at every length: an error at the end, never before. */
	for (cut = 0; cut < len; cut++) {
		s.count = 0;
		r = decode(frame, cut, 0, NULL, &s, &err);
		assert_int_equal(s.count, 0);
		if (cut == 0) {
			assert_int_equal(r, 0);
			continue;
		}
		assert_int_equal(r, SF_EINVALID);
		assert_prefix(err.msg, "truncated event stream");
	}
	/* A bad byte anywhere is caught by one CRC or the other. */
	copy = sf_xmalloc(len);
	for (i = 0; i < len; i++) {
		for (k = 0; k < SF_ARRAY_LEN(flips); k++) {
			memcpy(copy, frame, len);
			copy[i] ^= flips[k];
			s.count = 0;
			r = decode(copy, len, 0, NULL, &s, &err);
			if (r != SF_EINVALID)
				fail_msg("%s: byte %zu ^ %#x not caught", name,
				    i, flips[k]);
			assert_int_equal(s.count, 0);
			assert_prefix(
			    err.msg, i < SF_ES_PRELUDE_LEN
			                 ? "Prelude checksum mismatch"
			                 : "Message checksum mismatch");
		}
	}
	free(copy);
	sf_buf_release(&s.frames);
}

/* The frames this file builds itself, for the tests that need no vectors. */
static void
own_frames(struct sf_buf *all, size_t *offsets, size_t *n)
{
	static const uint8_t uuid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
		13, 14, 15, 16 };
	static const char result[] =
	    "{\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}";
	static const char slow[] = "{\"message\":\"slow down\"}";
	struct sf_es_header h[10];
	char payload[1000];
	size_t i;

	*n = 0;
	h[0] = sf_es_header_bool("t", true);
	h[1] = sf_es_header_bool("f", false);
	h[2] = sf_es_header_int("b", SF_ES_BYTE, -128);
	h[3] = sf_es_header_int("s", SF_ES_SHORT, 32767);
	h[4] = sf_es_header_int("i", SF_ES_INT, INT32_MIN);
	h[5] = sf_es_header_int("l", SF_ES_LONG, INT64_MAX);
	h[6] = sf_es_header_data("y", SF_ES_BYTES, "\0\1\2", 3);
	h[7] = sf_es_header_str("str", "");
	h[8] = sf_es_header_int("ts", SF_ES_TIMESTAMP, 1700000000123);
	h[9] = sf_es_header_data("u", SF_ES_UUID, uuid, 16);
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (char)(i * 7);
	offsets[(*n)++] = all->len;
	assert_int_equal(sf_es_encode(all, NULL, 0, NULL, 0, NULL), 0);
	offsets[(*n)++] = all->len;
	assert_int_equal(sf_es_encode(all, h, 10, "{}", 2, NULL), 0);
	offsets[(*n)++] = all->len;
	assert_int_equal(
	    sf_es_encode_result(all, result, strlen(result), NULL), 0);
	offsets[(*n)++] = all->len;
	assert_int_equal(sf_es_encode_exception(all, "throttlingException",
	                     slow, strlen(slow), NULL),
	    0);
	offsets[(*n)++] = all->len;
	assert_int_equal(
	    sf_es_encode_error(all, "InternalFailure", "oops", NULL), 0);
	offsets[(*n)++] = all->len;
	assert_int_equal(sf_es_encode(all, NULL, 0, payload, 1000, NULL), 0);
	offsets[*n] = all->len;
}

/* Tests of the shared vectors */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
list_dir(const char *dir, char names[][64], size_t *n, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t len;

	if (!d)
		fail_msg("%s: cannot open", dir);
	*n = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		assert_true(*n < max);
		len = strlen(de->d_name);
		assert_true(len < 64);
		memcpy(names[(*n)++], de->d_name, len + 1);
	}
	closedir(d);
	qsort(names, *n, 64, name_cmp);
}

static void
test_sdk_go_positive(void **state)
{
	char names[16][64], *enc, *dec, *p;
	size_t n, i;

	(void)state;
	enc = sf_fs_join(vectors_dir, "aws-sdk-go/encoded/positive");
	dec = sf_fs_join(vectors_dir, "aws-sdk-go/decoded/positive");
	list_dir(enc, names, &n, SF_ARRAY_LEN(names));
	assert_int_equal(n, 5);
	for (i = 0; i < n; i++) {
		struct sf_buf frame = SF_BUF_INIT, text = SF_BUF_INIT;
		struct sf_es_message m;
		struct sf_err err;
		struct sink s;
		json_error_t jerr;
		json_t *want;

		p = sf_fs_join(enc, names[i]);
		read_file(p, &frame);
		free(p);
		p = sf_fs_join(dec, names[i]);
		read_file(p, &text);
		free(p);
		if (!(want = json_loads(text.buf, 0, &jerr)))
			fail_msg("%s: %s", names[i], jerr.text);
		sf_es_message_init(&m);
		if (sf_es_message_parse(&m, frame.buf, frame.len, NULL, &err))
			fail_msg("%s: %s", names[i], err.msg);
		check_decoded(&m, want, names[i]);
		sf_es_message_release(&m);
		sink_init(&s, names[i]);
		s.want = want;
		assert_int_equal(
		    decode(frame.buf, frame.len, 0, NULL, &s, &err), 0);
		assert_int_equal(
		    decode(frame.buf, frame.len, 1, NULL, &s, &err), 0);
		assert_int_equal(s.count, 2);
		stress_frame((const uint8_t *)frame.buf, frame.len, names[i]);
		sf_buf_release(&s.frames);
		json_decref(want);
		sf_buf_release(&frame);
		sf_buf_release(&text);
	}
	free(enc);
	free(dec);
}

static void
test_sdk_go_negative(void **state)
{
	char names[16][64], *enc, *dec, *p;
	size_t n, i, chunk;

	(void)state;
	enc = sf_fs_join(vectors_dir, "aws-sdk-go/encoded/negative");
	dec = sf_fs_join(vectors_dir, "aws-sdk-go/decoded/negative");
	list_dir(enc, names, &n, SF_ARRAY_LEN(names));
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++) {
		struct sf_buf frame = SF_BUF_INIT, text = SF_BUF_INIT;
		struct sf_es_message m;
		struct sf_err err;
		struct sink s;

		p = sf_fs_join(enc, names[i]);
		read_file(p, &frame);
		free(p);
		p = sf_fs_join(dec, names[i]);
		read_file(p, &text);
		free(p);
		while (text.len && (text.buf[text.len - 1] == '\n' ||
		                       text.buf[text.len - 1] == '\r'))
			sf_buf_setlen(&text, text.len - 1);
		sf_es_message_init(&m);
		assert_int_equal(
		    sf_es_message_parse(&m, frame.buf, frame.len, NULL, &err),
		    SF_EINVALID);
		assert_prefix(err.msg, text.buf);
		sf_es_message_release(&m);
		sink_init(&s, names[i]);
		for (chunk = 0; chunk < 4; chunk++) {
			assert_int_equal(
			    decode(frame.buf, frame.len, chunk, NULL, &s, &err),
			    SF_EINVALID);
			assert_prefix(err.msg, text.buf);
		}
		assert_int_equal(s.count, 0);
		sf_buf_release(&frame);
		sf_buf_release(&text);
	}
	free(enc);
	free(dec);
}

static void
test_botocore_positive(void **state)
{
	json_t *root = load_json("botocore-vectors.json");
	json_t *pos = json_object_get(root, "positive"), *c;
	size_t i;

	(void)state;
	assert_int_equal(json_array_size(pos), 9);
	json_array_foreach(pos, i, c)
	{
		const char *name =
		    json_string_value(json_object_get(c, "name"));
		json_t *want = json_object_get(c, "decoded");
		struct sf_buf frame = SF_BUF_INIT;
		struct sf_es_message m;
		struct sf_err err;
		struct sink s;

		hex_decode(json_string_value(json_object_get(c, "encoded_hex")),
		    &frame);
		sf_es_message_init(&m);
		if (sf_es_message_parse(&m, frame.buf, frame.len, NULL, &err))
			fail_msg("%s: %s", name, err.msg);
		check_decoded(&m, want, name);
		sf_es_message_release(&m);
		sink_init(&s, name);
		s.want = want;
		assert_int_equal(
		    decode(frame.buf, frame.len, 0, NULL, &s, &err), 0);
		assert_int_equal(
		    decode(frame.buf, frame.len, 3, NULL, &s, &err), 0);
		assert_int_equal(s.count, 2);
		stress_frame((const uint8_t *)frame.buf, frame.len, name);
		sf_buf_release(&s.frames);
		sf_buf_release(&frame);
	}
	json_decref(root);
}

/* The oversize case: only the prelude is real, and it alone must fail. */
static void
botocore_oversize(json_t *gen, const char *expect)
{
	struct sf_buf frame = SF_BUF_INIT;
	struct sf_es_decoder d;
	struct sf_es_message m;
	struct sf_err err;
	struct sink s;
	size_t fill;
	int fillbyte;
	size_t i;

	hex_decode(
	    json_string_value(json_object_get(gen, "prelude_hex")), &frame);
	assert_int_equal(frame.len, 12);
	fill =
	    (size_t)json_integer_value(json_object_get(gen, "payload_length"));
	assert_int_equal(fill, 25165825);
	fillbyte = (int)strtol(
	    json_string_value(json_object_get(gen, "payload_fill_byte_hex")),
	    NULL, 16);

	/* The prelude alone, fed byte by byte: rejected at its 12th byte,
	 * with nothing buffered for the payload. */
	sink_init(&s, "invalid_payload_length");
	sf_es_decoder_init(&d, NULL, sink_fn, &s);
	for (i = 0; i < 11; i++)
		assert_int_equal(
		    sf_es_decoder_feed(&d, frame.buf + i, 1, &err), 0);
	assert_int_equal(
	    sf_es_decoder_feed(&d, frame.buf + 11, 1, &err), SF_EINVALID);
	assert_prefix(err.msg, expect);
	assert_true(d.frame.alloc < 1024);
	sf_es_decoder_release(&d);

	/* The frame as built, in one chunk and in 64 KiB chunks. */
	sf_buf_grow(&frame, fill + 4);
	memset(frame.buf + frame.len, fillbyte, fill);
	sf_buf_setlen(&frame, frame.len + fill);
	hex_decode(
	    json_string_value(json_object_get(gen, "message_crc_hex")), &frame);
	assert_int_equal(
	    decode(frame.buf, frame.len, 0, NULL, &s, &err), SF_EINVALID);
	assert_prefix(err.msg, expect);
	assert_int_equal(
	    decode(frame.buf, frame.len, 65536, NULL, &s, &err), SF_EINVALID);
	assert_prefix(err.msg, expect);
	sf_es_message_init(&m);
	assert_int_equal(
	    sf_es_message_parse(&m, frame.buf, frame.len, NULL, &err),
	    SF_EINVALID);
	assert_prefix(err.msg, expect);
	assert_int_equal(s.count, 0);
	sf_buf_release(&frame);
}

static void
test_botocore_negative(void **state)
{
	json_t *root = load_json("botocore-vectors.json");
	json_t *neg = json_object_get(root, "negative"), *c, *gen;
	size_t i, chunk, ran = 0;

	(void)state;
	assert_int_equal(json_array_size(neg), 7);
	json_array_foreach(neg, i, c)
	{
		const char *name =
		    json_string_value(json_object_get(c, "name"));
		const char *expect =
		    json_string_value(json_object_get(c, "expected_error"));
		struct sf_buf frame = SF_BUF_INIT;
		struct sf_es_message m;
		struct sf_err err;
		struct sink s;

		if ((gen = json_object_get(c, "generator"))) {
			botocore_oversize(gen, expect);
			ran++;
			continue;
		}
		hex_decode(json_string_value(json_object_get(c, "encoded_hex")),
		    &frame);
		sf_es_message_init(&m);
		if (sf_es_message_parse(&m, frame.buf, frame.len, NULL, &err) !=
		    SF_EINVALID)
			fail_msg("%s: accepted", name);
		assert_prefix(err.msg, expect);
		sf_es_message_release(&m);
		sink_init(&s, name);
		for (chunk = 0; chunk < 4; chunk++) {
			assert_int_equal(
			    decode(frame.buf, frame.len, chunk, NULL, &s, &err),
			    SF_EINVALID);
			assert_prefix(err.msg, expect);
		}
		assert_int_equal(s.count, 0);
		sf_buf_release(&frame);
		ran++;
	}
	assert_int_equal(ran, 7);
	json_decref(root);
}

/* "EventStreamError: An error occurred (CODE) when calling the X
 * operation: MESSAGE" */
static void
split_raises(const char *raises, char *code, size_t csize, const char **msg)
{
	const char *open = strchr(raises, '('), *close, *colon;

	assert_non_null(open);
	close = strchr(open, ')');
	assert_non_null(close);
	colon = strstr(close, "operation: ");
	assert_non_null(colon);
	assert_true((size_t)(close - open) <= csize);
	snprintf(code, csize, "%.*s", (int)(close - open - 1), open + 1);
	*msg = colon + strlen("operation: ");
}

static void
test_agentcore_synthetic(void **state)
{
	json_t *root = load_json("agentcore-synthetic.json");
	json_t *frames = json_object_get(root, "frames"), *c;
	size_t i;

	(void)state;
	assert_int_equal(json_array_size(frames), 4);
	json_array_foreach(frames, i, c)
	{
		const char *name =
		    json_string_value(json_object_get(c, "name"));
		json_t *view = json_object_get(c, "botocore_view"), *payload;
		struct sf_buf frame = SF_BUF_INIT, again = SF_BUF_INIT;
		struct sf_es_message m;
		struct sf_es_class cl;
		struct sf_err err;
		char code[128], *type, *text;
		const char *msg;

		hex_decode(json_string_value(json_object_get(c, "encoded_hex")),
		    &frame);
		sf_es_message_init(&m);
		if (sf_es_message_parse(&m, frame.buf, frame.len, NULL, &err))
			fail_msg("%s: %s", name, err.msg);
		check_decoded(&m, json_object_get(c, "decoded"), name);
		stress_frame((const uint8_t *)frame.buf, frame.len, name);
		if (sf_es_classify(&cl, &m, &err))
			fail_msg("%s: %s", name, err.msg);
		type = sf_xstrndup(cl.type, cl.type_len);
		payload = NULL;
		if (cl.payload_len)
			payload = json_loadb(
			    (const char *)cl.payload, cl.payload_len, 0, NULL);
		if (json_is_array(view)) {
			/* An event the SDK surfaces as {"result": {...}}. */
			assert_int_equal(cl.kind, SF_ES_EVENT);
			assert_true(sf_es_class_is(&cl, "result"));
			assert_true(sf_es_str_eq(cl.content_type,
			    cl.content_type_len, "application/json"));
			assert_null(cl.message);
			assert_true(json_equal(payload,
			    json_object_get(json_array_get(view, 0), type)));
			assert_int_equal(
			    sf_es_encode_result(&again,
			        (const char *)cl.payload, cl.payload_len, &err),
			    0);
		} else {
			split_raises(
			    json_string_value(json_object_get(view, "raises")),
			    code, sizeof(code), &msg);
			assert_string_equal(type, code);
			if (cl.kind == SF_ES_EXCEPTION) {
				assert_string_equal(msg,
				    json_string_value(
				        json_object_get(payload, "message")));
				assert_true(sf_es_str_eq(cl.content_type,
				    cl.content_type_len, "application/json"));
				assert_int_equal(
				    sf_es_encode_exception(&again, type,
				        (const char *)cl.payload,
				        cl.payload_len, &err),
				    0);
			} else {
				assert_int_equal(cl.kind, SF_ES_ERROR);
				assert_true(sf_es_str_eq(
				    cl.message, cl.message_len, msg));
				assert_int_equal(cl.payload_len, 0);
				text = sf_xstrndup(cl.message, cl.message_len);
				assert_int_equal(sf_es_encode_error(
				                     &again, type, text, &err),
				    0);
				free(text);
			}
		}
		/* The builders give the recorded frame byte for byte. */
		assert_int_equal(again.len, frame.len);
		assert_memory_equal(again.buf, frame.buf, frame.len);
		json_decref(payload);
		free(type);
		sf_es_message_release(&m);
		sf_buf_release(&frame);
		sf_buf_release(&again);
	}
	json_decref(root);
}

/* Vectors back to back in one stream, in many chunkings. */
static void
test_vectors_back_to_back(void **state)
{
	json_t *root = load_json("botocore-vectors.json"), *c;
	json_t *syn = load_json("agentcore-synthetic.json");
	struct sf_buf all = SF_BUF_INIT;
	struct sf_err err;
	struct sink s;
	size_t i, n = 0, chunk;

	(void)state;
	json_array_foreach(json_object_get(root, "positive"), i, c)
	{
		hex_decode(
		    json_string_value(json_object_get(c, "encoded_hex")), &all);
		n++;
	}
	json_array_foreach(json_object_get(syn, "frames"), i, c)
	{
		hex_decode(
		    json_string_value(json_object_get(c, "encoded_hex")), &all);
		n++;
	}
	sink_init(&s, "botocore+synthetic");
	for (chunk = 0; chunk < 40; chunk++) {
		sf_buf_reset(&s.frames);
		s.count = 0;
		assert_int_equal(
		    decode(all.buf, all.len, chunk, NULL, &s, &err), 0);
		assert_int_equal(s.count, n);
		assert_int_equal(s.frames.len, all.len);
		assert_memory_equal(s.frames.buf, all.buf, all.len);
	}
	sf_buf_release(&s.frames);
	sf_buf_release(&all);
	json_decref(root);
	json_decref(syn);
}

/* Own tests */

static void
test_crc32(void **state)
{
	(void)state;
	assert_int_equal(sf_es_crc32(0, "", 0), 0);
	assert_int_equal(sf_es_crc32(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(
	    sf_es_crc32(sf_es_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
	assert_int_equal(
	    sf_es_crc32(0, "The quick brown fox jumps over the lazy dog", 43),
	    0x414fa339u);
}

static void
test_own_frames_stress(void **state)
{
	struct sf_buf all = SF_BUF_INIT;
	size_t off[16], n, i;
	char name[32];

	(void)state;
	own_frames(&all, off, &n);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "own frame %zu", i);
		stress_frame((const uint8_t *)all.buf + off[i],
		    off[i + 1] - off[i], name);
	}
	sf_buf_release(&all);
}

static void
test_back_to_back(void **state)
{
	struct sf_buf all = SF_BUF_INIT;
	struct sf_err err;
	struct sink s;
	size_t off[16], n, chunk;

	(void)state;
	own_frames(&all, off, &n);
	sink_init(&s, "own frames");
	for (chunk = 0; chunk < 70; chunk++) {
		sf_buf_reset(&s.frames);
		s.count = 0;
		assert_int_equal(
		    decode(all.buf, all.len, chunk, NULL, &s, &err), 0);
		assert_int_equal(s.count, n);
		assert_int_equal(s.frames.len, all.len);
		assert_memory_equal(s.frames.buf, all.buf, all.len);
	}
	/* Cut anywhere: the frames before the cut, then a truncation. */
	for (chunk = 1; chunk < all.len; chunk++) {
		size_t whole = 0;
		int r;

		while (whole < n && off[whole + 1] <= chunk)
			whole++;
		s.count = 0;
		r = decode(all.buf, chunk, 0, NULL, &s, &err);
		assert_int_equal(s.count, whole);
		if (off[whole] == chunk) {
			assert_int_equal(r, 0);
		} else {
			assert_int_equal(r, SF_EINVALID);
			assert_prefix(err.msg, "truncated event stream");
		}
	}
	sf_buf_release(&s.frames);
	sf_buf_release(&all);
}

static void
test_roundtrip_types(void **state)
{
	static const uint8_t uuid[16] = { 0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4,
		5, 6, 7, 8, 9, 0xfe, 0xff };
	static const struct {
		enum sf_es_type type;
		int64_t v;
	} ints[] = {
		{ SF_ES_BYTE, INT8_MIN },
		{ SF_ES_BYTE, INT8_MAX },
		{ SF_ES_BYTE, 0 },
		{ SF_ES_SHORT, INT16_MIN },
		{ SF_ES_SHORT, INT16_MAX },
		{ SF_ES_SHORT, -1 },
		{ SF_ES_INT, INT32_MIN },
		{ SF_ES_INT, INT32_MAX },
		{ SF_ES_INT, 40972 },
		{ SF_ES_LONG, INT64_MIN },
		{ SF_ES_LONG, INT64_MAX },
		{ SF_ES_LONG, -1 },
		{ SF_ES_TIMESTAMP, 1700000000123 },
		{ SF_ES_TIMESTAMP, -1 },
		{ SF_ES_TIMESTAMP, INT64_MIN },
	};
	char *big = sf_xmalloc(SF_ES_MAX_VALUE);
	struct sf_es_header h[4];
	struct sf_buf b = SF_BUF_INIT;
	struct sf_es_message m;
	struct sf_err err;
	const uint8_t *data;
	const char *s;
	size_t i, len;
	int64_t v;
	bool bv;

	(void)state;
	sf_es_message_init(&m);
	for (i = 0; i < SF_ARRAY_LEN(ints); i++) {
		sf_buf_reset(&b);
		h[0] = sf_es_header_int("n", ints[i].type, ints[i].v);
		assert_int_equal(sf_es_encode(&b, h, 1, NULL, 0, &err), 0);
		assert_int_equal(
		    sf_es_message_parse(&m, b.buf, b.len, NULL, &err), 0);
		assert_int_equal(m.nheaders, 1);
		assert_int_equal(m.headers[0].type, ints[i].type);
		assert_int_equal(sf_es_message_get_int(&m, "n", &v, &err), 0);
		assert_true(v == ints[i].v);
		assert_int_equal(sf_es_message_get_str(&m, "n", &s, &len, &err),
		    SF_EINVALID);
		assert_prefix(err.msg, "header 'n' is a");
	}
	for (i = 0; i < 2; i++) {
		sf_buf_reset(&b);
		h[0] = sf_es_header_bool("flag", i == 0);
		assert_int_equal(sf_es_encode(&b, h, 1, NULL, 0, &err), 0);
		assert_int_equal(b.len, 16 + 1 + 4 + 1);
		assert_int_equal(
		    sf_es_message_parse(&m, b.buf, b.len, NULL, &err), 0);
		assert_int_equal(
		    m.headers[0].type, i ? SF_ES_FALSE : SF_ES_TRUE);
		assert_int_equal(
		    sf_es_message_get_bool(&m, "flag", &bv, &err), 0);
		assert_int_equal(bv, i == 0);
		assert_int_equal(
		    sf_es_message_get_int(&m, "flag", &v, &err), SF_EINVALID);
	}
	/* Variable-length values: empty, one byte, the largest; and uuid. */
	memset(big, 'x', SF_ES_MAX_VALUE);
	for (i = 0; i < 3; i++) {
		size_t n = i == 0 ? 0 : i == 1 ? 1 : SF_ES_MAX_VALUE;

		sf_buf_reset(&b);
		h[0] = sf_es_header_data("s", SF_ES_STRING, big, n);
		h[1] = sf_es_header_data("b", SF_ES_BYTES, big, n / 2);
		h[2] = sf_es_header_data("u", SF_ES_UUID, uuid, 16);
		assert_int_equal(sf_es_encode(&b, h, 3, "p", 1, &err), 0);
		assert_int_equal(
		    sf_es_message_parse(&m, b.buf, b.len, NULL, &err), 0);
		assert_int_equal(m.nheaders, 3);
		assert_int_equal(
		    sf_es_message_get_str(&m, "s", &s, &len, &err), 0);
		assert_int_equal(len, n);
		if (n)
			assert_memory_equal(s, big, n);
		assert_int_equal(
		    sf_es_message_get_bytes(&m, "b", &data, &len, &err), 0);
		assert_int_equal(len, n / 2);
		assert_int_equal(
		    sf_es_message_get_bytes(&m, "u", &data, &len, &err), 0);
		assert_int_equal(len, 16);
		assert_memory_equal(data, uuid, 16);
		assert_int_equal(m.payload_len, 1);
		assert_int_equal(m.payload[0], 'p');
		assert_int_equal(
		    sf_es_message_get_bytes(&m, "s", &data, &len, &err),
		    SF_EINVALID);
		assert_int_equal(
		    sf_es_message_get_bool(&m, "s", &bv, &err), SF_EINVALID);
		assert_int_equal(
		    sf_es_message_get_str(&m, "none", &s, &len, &err),
		    SF_ENOTFOUND);
		assert_string_equal(err.msg, "no header 'none'");
		assert_null(sf_es_message_find(&m, "S"));
		assert_non_null(sf_es_message_find(&m, "s"));
	}
	/* The longest name. */
	memset(big, 'n', 255);
	big[255] = '\0';
	sf_buf_reset(&b);
	h[0] = sf_es_header_str(big, "v");
	assert_int_equal(sf_es_encode(&b, h, 1, NULL, 0, &err), 0);
	assert_int_equal(sf_es_message_parse(&m, b.buf, b.len, NULL, &err), 0);
	assert_int_equal(m.headers[0].name_len, 255);
	sf_es_message_release(&m);
	sf_buf_release(&b);
	free(big);
}

static void
test_encoder_rejects(void **state)
{
	static const uint8_t uuid[16];
	char *big = sf_xcalloc(1, SF_ES_MAX_PAYLOAD + 2);
	struct sf_buf b = SF_BUF_INIT;
	struct sf_es_header h[2];
	struct sf_err err;
	size_t i;
	static const struct {
		enum sf_es_type type;
		int64_t v;
	} bad_ints[] = {
		{ SF_ES_BYTE, 128 },
		{ SF_ES_BYTE, -129 },
		{ SF_ES_SHORT, 32768 },
		{ SF_ES_SHORT, -32769 },
		{ SF_ES_INT, (int64_t)INT32_MAX + 1 },
		{ SF_ES_INT, (int64_t)INT32_MIN - 1 },
	};

	(void)state;
	sf_buf_adds(&b, "keep");
	for (i = 0; i < SF_ARRAY_LEN(bad_ints); i++) {
		h[0] = sf_es_header_int("x", bad_ints[i].type, bad_ints[i].v);
		assert_int_equal(
		    sf_es_encode(&b, h, 1, NULL, 0, &err), SF_EINVALID);
		assert_prefix(err.msg, "header 'x': ");
	}
	h[0] = sf_es_header_str("", "v");
	assert_int_equal(sf_es_encode(&b, h, 1, NULL, 0, &err), SF_EINVALID);
	assert_string_equal(err.msg, "header name length 0 is not 1..255");
	memset(big, 'n', 256);
	h[0] = sf_es_header_str(big, "v");
	assert_int_equal(sf_es_encode(&b, h, 1, NULL, 0, &err), SF_EINVALID);
	assert_string_equal(err.msg, "header name length 256 is not 1..255");
	h[0] = sf_es_header_data("s", SF_ES_STRING, big, SF_ES_MAX_VALUE + 1);
	assert_int_equal(sf_es_encode(&b, h, 1, NULL, 0, &err), SF_EINVALID);
	h[0] = sf_es_header_data("u", SF_ES_UUID, uuid, 15);
	assert_int_equal(sf_es_encode(&b, h, 1, NULL, 0, &err), SF_EINVALID);
	assert_prefix(err.msg, "header 'u': a uuid has 16 bytes");
	h[0] = sf_es_header_int("t", (enum sf_es_type)10, 0);
	assert_int_equal(sf_es_encode(&b, h, 1, NULL, 0, &err), SF_EINVALID);
	assert_string_equal(err.msg, "header 't' has unknown type 10");
	h[0] = sf_es_header_str("dup", "1");
	h[1] = sf_es_header_int("dup", SF_ES_INT, 2);
	assert_int_equal(sf_es_encode(&b, h, 2, NULL, 0, &err), SF_EINVALID);
	assert_string_equal(err.msg, "duplicate header 'dup'");
	assert_int_equal(
	    sf_es_encode(&b, NULL, 0, big, SF_ES_MAX_PAYLOAD + 1, &err),
	    SF_EINVALID);
	assert_prefix(err.msg, "payload length exceeds 25165824");
	assert_int_equal(sf_es_encode(&b, NULL, 0, NULL, 1, &err), SF_EINVALID);
	/* Nothing was written by any of these. */
	assert_int_equal(b.len, 4);
	assert_string_equal(b.buf, "keep");
	sf_buf_release(&b);
	free(big);
}

static void
test_encoder_header_limit(void **state)
{
	/* Two headers of 255-byte names and 65535-byte values are 131,588
	 * bytes, over the 128 KiB limit. */
	char *name1 = sf_xmalloc(256), *name2 = sf_xmalloc(256);
	char *val = sf_xcalloc(1, SF_ES_MAX_VALUE);
	struct sf_buf b = SF_BUF_INIT;
	struct sf_es_header h[2];
	struct sf_err err;

	(void)state;
	memset(name1, 'a', 255);
	name1[255] = '\0';
	memset(name2, 'b', 255);
	name2[255] = '\0';
	h[0] = sf_es_header_data(name1, SF_ES_BYTES, val, SF_ES_MAX_VALUE);
	h[1] = sf_es_header_data(name2, SF_ES_BYTES, val, SF_ES_MAX_VALUE);
	assert_int_equal(sf_es_encode(&b, h, 2, NULL, 0, &err), SF_EINVALID);
	assert_prefix(err.msg, "headers length exceeds 131072");
	assert_int_equal(b.len, 0);
	h[1] = sf_es_header_data(name2, SF_ES_BYTES, val, 65000);
	assert_int_equal(sf_es_encode(&b, h, 2, NULL, 0, &err), 0);
	sf_buf_release(&b);
	free(name1);
	free(name2);
	free(val);
}

static void
test_limits(void **state)
{
	struct sf_es_limits lim = { 10, 20 };
	struct sf_buf b = SF_BUF_INIT;
	struct sf_es_decoder d;
	struct sf_es_header h[1];
	struct sf_err err;
	struct sink s;
	char *big;

	(void)state;
	sink_init(&s, "limits");
	/* Exactly at the limits, then one byte over each. */
	h[0] = sf_es_header_str("n", "012345678901234"); /* 20 bytes */
	assert_int_equal(sf_es_encode(&b, h, 1, "0123456789", 10, &err), 0);
	assert_int_equal(decode(b.buf, b.len, 0, &lim, &s, &err), 0);
	assert_int_equal(s.count, 1);
	sf_buf_reset(&b);
	h[0] = sf_es_header_str("n", "0123456789012345");
	assert_int_equal(sf_es_encode(&b, h, 1, NULL, 0, &err), 0);
	assert_int_equal(decode(b.buf, b.len, 1, &lim, &s, &err), SF_EINVALID);
	assert_string_equal(
	    err.msg, "headers length exceeds 20: 21 bytes declared");
	sf_buf_reset(&b);
	assert_int_equal(sf_es_encode(&b, NULL, 0, "01234567890", 11, &err), 0);
	assert_int_equal(decode(b.buf, b.len, 0, &lim, &s, &err), SF_EINVALID);
	assert_string_equal(
	    err.msg, "payload length exceeds 10: 11 bytes declared");
	assert_string_equal(err.where, "event stream message 1 at byte 0");

	/* The default limits: a frame declaring 24 MiB + 1 of payload is
	 * refused from its prelude, before anything is buffered. */
	sf_buf_reset(&b);
	raw_frame(&b, NULL, 0, NULL, 0);
	b.buf[0] = 0x01;
	b.buf[1] = (char)0x80;
	b.buf[2] = 0x00;
	b.buf[3] = 0x11; /* 16 + 24 MiB + 1 */
	{
		uint32_t c = sf_es_crc32(0, b.buf, 8);

		b.buf[8] = (char)(c >> 24);
		b.buf[9] = (char)(c >> 16);
		b.buf[10] = (char)(c >> 8);
		b.buf[11] = (char)c;
	}
	sf_es_decoder_init(&d, NULL, sink_fn, &s);
	assert_int_equal(sf_es_decoder_feed(&d, b.buf, 12, &err), SF_EINVALID);
	assert_string_equal(err.msg,
	    "payload length exceeds 25165824: 25165825 bytes declared");
	assert_int_equal(d.frame.alloc, 0);
	sf_es_decoder_release(&d);
	/* A client may raise the limit. */
	lim.max_payload = SF_ES_MAX_PAYLOAD + 1;
	lim.max_headers = 0;
	sf_es_decoder_init(&d, &lim, sink_fn, &s);
	assert_int_equal(sf_es_decoder_feed(&d, b.buf, 12, &err), 0);
	assert_int_equal(sf_es_decoder_finish(&d, &err), SF_EINVALID);
	assert_string_equal(err.msg,
	    "truncated event stream: 12 of the message's 25165841 bytes");
	sf_es_decoder_release(&d);

	/* A payload of exactly 24 MiB passes, fed in 1 MiB chunks. */
	big = sf_xcalloc(1, SF_ES_MAX_PAYLOAD);
	sf_buf_reset(&b);
	assert_int_equal(
	    sf_es_encode(&b, NULL, 0, big, SF_ES_MAX_PAYLOAD, &err), 0);
	s.count = 0;
	assert_int_equal(decode(b.buf, b.len, 1 << 20, NULL, &s, &err), 0);
	assert_int_equal(s.count, 1);
	free(big);
	sf_buf_release(&b);
	sf_buf_release(&s.frames);
}

/* Frames whose CRCs are right but whose headers are not. */
static void
test_header_errors(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *err;
	} cases[] = {
		{ "\0", 1, "header name length 0 at byte 0 of the headers" },
		{ "\1a\7\0\0\0a\7", 8,
		    "header name length 0 at byte 5 of the headers" },
		{ "\5abc", 4,
		    "header name overruns the headers: 5 bytes at byte 1, 3 "
		    "left" },
		{ "\3abc", 4, "header 'abc' has no type: the headers end" },
		{ "\1a\12", 3, "header 'a' has unknown type 10" },
		{ "\1a\377", 3, "header 'a' has unknown type 255" },
		{ "\1a\2", 3,
		    "header 'a' value overruns the headers: a byte needs 1 "
		    "bytes, 0 left" },
		{ "\1a\3\0", 4,
		    "header 'a' value overruns the headers: a short needs 2 "
		    "bytes, 1 left" },
		{ "\1a\4\0\0\0", 6,
		    "header 'a' value overruns the headers: a integer needs 4 "
		    "bytes, 3 left" },
		{ "\1a\5\0\0\0\0\0\0\0", 10,
		    "header 'a' value overruns the headers: a long needs 8 "
		    "bytes, 7 left" },
		{ "\1a\10\0\0\0\0", 7,
		    "header 'a' value overruns the headers: a timestamp needs "
		    "8 bytes, 4 left" },
		{ "\1a\11\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 18,
		    "header 'a' value overruns the headers: a uuid needs 16 "
		    "bytes, 15 left" },
		{ "\1a\7\0", 4,
		    "header 'a' value overruns the headers: a string needs 2 "
		    "bytes, 1 left" },
		{ "\1a\7\0\3ab", 7,
		    "header 'a' value overruns the headers: 3 bytes of string, "
		    "2 left" },
		{ "\1a\6\377\377", 5,
		    "header 'a' value overruns the headers: 65535 bytes of "
		    "byte_array, 0 left" },
		{ "\2\n\377\12", 4, "header '\\x0a\\xff' has unknown type 10" },
		{ "\4test\0\4test\1", 12, "duplicate header 'test'" },
	};
	struct sf_buf b = SF_BUF_INIT;
	struct sf_es_message m;
	struct sf_err err;
	struct sink s;
	size_t i;

	(void)state;
	sink_init(&s, "header errors");
	sf_es_message_init(&m);
	for (i = 0; i < SF_ARRAY_LEN(cases); i++) {
		sf_buf_reset(&b);
		raw_frame(&b, cases[i].bytes, cases[i].len, "pl", 2);
		assert_int_equal(
		    sf_es_message_parse(&m, b.buf, b.len, NULL, &err),
		    SF_EINVALID);
		if (strcmp(err.msg, cases[i].err) != 0)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, err.msg,
			    cases[i].err);
		assert_int_equal(m.nheaders, 0);
		assert_null(m.frame);
		assert_int_equal(
		    decode(b.buf, b.len, 1, NULL, &s, &err), SF_EINVALID);
		assert_string_equal(err.msg, cases[i].err);
	}
	assert_int_equal(s.count, 0);
	sf_es_message_release(&m);
	sf_buf_release(&b);
}

static void
test_duplicate_headers(void **state)
{
	struct sf_buf hb = SF_BUF_INIT, b = SF_BUF_INIT;
	struct sf_es_message m;
	struct sf_err err;
	size_t i;

	(void)state;
	/* Many headers: the sorted path, unique and then with a duplicate
	 * of the first one at the end. */
	for (i = 0; i < 300; i++) {
		char name[8];

		snprintf(name, sizeof(name), "h%zu", i);
		sf_buf_addch(&hb, (int)strlen(name));
		sf_buf_adds(&hb, name);
		sf_buf_addch(&hb, SF_ES_TRUE);
	}
	sf_es_message_init(&m);
	raw_frame(&b, hb.buf, hb.len, NULL, 0);
	assert_int_equal(sf_es_message_parse(&m, b.buf, b.len, NULL, &err), 0);
	assert_int_equal(m.nheaders, 300);
	sf_buf_add(&hb, "\2h0\1", 4);
	sf_buf_reset(&b);
	raw_frame(&b, hb.buf, hb.len, NULL, 0);
	assert_int_equal(
	    sf_es_message_parse(&m, b.buf, b.len, NULL, &err), SF_EINVALID);
	assert_string_equal(err.msg, "duplicate header 'h0'");
	/* Names that differ only in length or case are different. */
	sf_buf_reset(&hb);
	sf_buf_add(&hb, "\1a\0\2aa\0\1A\0", 10);
	sf_buf_reset(&b);
	raw_frame(&b, hb.buf, hb.len, NULL, 0);
	assert_int_equal(sf_es_message_parse(&m, b.buf, b.len, NULL, &err), 0);
	assert_int_equal(m.nheaders, 3);
	sf_es_message_release(&m);
	sf_buf_release(&hb);
	sf_buf_release(&b);
}

static void
test_prelude_lengths(void **state)
{
	struct sf_buf b = SF_BUF_INIT;
	struct sf_es_message m;
	struct sf_err err;
	struct sink s;
	uint8_t pre[16] = { 0, 0, 0, 15, 0, 0, 0, 0 };
	uint32_t c;

	(void)state;
	sink_init(&s, "lengths");
	sf_es_message_init(&m);
	/* total_length 15, below the 16 of an empty frame. */
	c = sf_es_crc32(0, pre, 8);
	pre[8] = (uint8_t)(c >> 24);
	pre[9] = (uint8_t)(c >> 16);
	pre[10] = (uint8_t)(c >> 8);
	pre[11] = (uint8_t)c;
	assert_int_equal(decode(pre, 15, 0, NULL, &s, &err), SF_EINVALID);
	assert_string_equal(
	    err.msg, "invalid total length 15: a frame has at least 16 bytes");
	/* headers_length 1 in a frame of 16 bytes. */
	pre[3] = 16;
	pre[7] = 1;
	c = sf_es_crc32(0, pre, 8);
	pre[8] = (uint8_t)(c >> 24);
	pre[9] = (uint8_t)(c >> 16);
	pre[10] = (uint8_t)(c >> 8);
	pre[11] = (uint8_t)c;
	assert_int_equal(decode(pre, 16, 5, NULL, &s, &err), SF_EINVALID);
	assert_prefix(err.msg, "invalid headers length 1: ");
	/* The one-shot parser wants exactly one frame. */
	raw_frame(&b, NULL, 0, NULL, 0);
	sf_buf_addch(&b, 0);
	assert_int_equal(
	    sf_es_message_parse(&m, b.buf, b.len, NULL, &err), SF_EINVALID);
	assert_string_equal(err.msg, "1 bytes after the end of the frame");
	assert_int_equal(
	    sf_es_message_parse(&m, b.buf, 11, NULL, &err), SF_EINVALID);
	assert_string_equal(
	    err.msg, "truncated frame: 11 bytes, the prelude alone has 12");
	assert_int_equal(
	    sf_es_message_parse(&m, b.buf, 15, NULL, &err), SF_EINVALID);
	assert_string_equal(err.msg, "truncated frame: 15 of its 16 bytes");
	assert_int_equal(sf_es_message_parse(&m, b.buf, 16, NULL, &err), 0);
	assert_int_equal(s.count, 0);
	sf_es_message_release(&m);
	sf_buf_release(&b);
}

static int
lazy_fn(const struct sf_es_message *m, void *arg, struct sf_err *err)
{
	(void)m;
	(void)arg;
	(void)err;
	return 1;
}

/* Errors carry the message number and stream offset; they stick. */
static void
test_error_position_and_sticky(void **state)
{
	struct sf_buf all = SF_BUF_INIT;
	struct sf_es_decoder d;
	struct sf_err err;
	struct sink s;
	size_t off[16], n;
	char where[64];

	(void)state;
	own_frames(&all, off, &n);
	all.buf[off[3] + 13] ^= 1;
	sink_init(&s, "sticky");
	sf_es_decoder_init(&d, NULL, sink_fn, &s);
	assert_int_equal(
	    sf_es_decoder_feed(&d, all.buf, all.len, &err), SF_EINVALID);
	assert_int_equal(s.count, 3);
	assert_prefix(err.msg, "Message checksum mismatch: ");
	snprintf(
	    where, sizeof(where), "event stream message 4 at byte %zu", off[3]);
	assert_string_equal(err.where, where);
	sf_err_clear(&err);
	assert_int_equal(
	    sf_es_decoder_feed(&d, all.buf, off[1], &err), SF_EINVALID);
	assert_string_equal(err.where, where);
	assert_int_equal(
	    sf_es_decoder_feed(&d, all.buf, off[1], NULL), SF_EINVALID);
	assert_int_equal(sf_es_decoder_finish(&d, &err), SF_EINVALID);
	assert_prefix(err.msg, "Message checksum mismatch: ");
	assert_int_equal(s.count, 3);
	sf_es_decoder_release(&d);

	/* The callback stops the stream with its own error. */
	all.buf[off[3] + 13] ^= 1;
	sf_buf_release(&s.frames);
	sink_init(&s, "callback");
	s.fail_at = 2;
	sf_es_decoder_init(&d, NULL, sink_fn, &s);
	assert_int_equal(
	    sf_es_decoder_feed(&d, all.buf, all.len, &err), SF_EREMOTE);
	assert_string_equal(err.msg, "stop at 2");
	assert_int_equal(s.count, 2);
	assert_int_equal(
	    sf_es_decoder_feed(&d, all.buf, all.len, &err), SF_EREMOTE);
	assert_int_equal(s.count, 2);
	sf_es_decoder_release(&d);
	/* A handler that fails without saying why still stops it. */
	sf_es_decoder_init(&d, NULL, lazy_fn, NULL);
	assert_int_equal(
	    sf_es_decoder_feed(&d, all.buf, all.len, &err), SF_ERROR);
	assert_string_equal(err.msg, "the message handler failed");
	assert_string_equal(err.where, "event stream message 1 at byte 0");
	sf_es_decoder_release(&d);
	/* Without a callback the decoder only validates. */
	sf_es_decoder_init(&d, NULL, NULL, NULL);
	assert_int_equal(sf_es_decoder_feed(&d, all.buf, all.len, &err), 0);
	assert_int_equal(sf_es_decoder_finish(&d, &err), 0);
	assert_int_equal(d.count, n);
	sf_es_decoder_release(&d);
	sf_buf_release(&s.frames);
	sf_buf_release(&all);
}

static void
expect_class_error(const struct sf_es_header *h, size_t n, const char *want)
{
	struct sf_buf b = SF_BUF_INIT;
	struct sf_es_message m;
	struct sf_es_class c;
	struct sf_err err;

	assert_int_equal(sf_es_encode(&b, h, n, NULL, 0, &err), 0);
	sf_es_message_init(&m);
	assert_int_equal(sf_es_message_parse(&m, b.buf, b.len, NULL, &err), 0);
	assert_int_equal(sf_es_classify(&c, &m, &err), SF_EINVALID);
	assert_string_equal(err.msg, want);
	sf_es_message_release(&m);
	sf_buf_release(&b);
}

static void
test_classify(void **state)
{
	struct sf_buf b = SF_BUF_INIT;
	struct sf_es_message m;
	struct sf_es_class c;
	struct sf_es_header h[4];
	struct sf_err err;

	(void)state;
	sf_es_message_init(&m);
	assert_int_equal(sf_es_encode_event(&b, "chunk",
	                     "application/octet-stream", "\1\2", 2, &err),
	    0);
	assert_int_equal(sf_es_message_parse(&m, b.buf, b.len, NULL, &err), 0);
	assert_int_equal(sf_es_classify(&c, &m, &err), 0);
	assert_int_equal(c.kind, SF_ES_EVENT);
	assert_true(sf_es_class_is(&c, "chunk"));
	assert_false(sf_es_class_is(&c, "chunks"));
	assert_false(sf_es_class_is(&c, "result"));
	assert_true(sf_es_str_eq(
	    c.content_type, c.content_type_len, "application/octet-stream"));
	assert_int_equal(c.payload_len, 2);

	sf_buf_reset(&b);
	assert_int_equal(sf_es_encode_exception(&b, "accessDeniedException",
	                     "{\"message\":\"no\"}", 16, &err),
	    0);
	assert_int_equal(sf_es_message_parse(&m, b.buf, b.len, NULL, &err), 0);
	assert_int_equal(sf_es_classify(&c, &m, &err), 0);
	assert_int_equal(c.kind, SF_ES_EXCEPTION);
	assert_true(sf_es_class_is(&c, "accessDeniedException"));
	assert_int_equal(c.payload_len, 16);
	assert_null(c.message);

	sf_buf_reset(&b);
	assert_int_equal(sf_es_encode_error(&b, "Code", "", &err), 0);
	assert_int_equal(sf_es_message_parse(&m, b.buf, b.len, NULL, &err), 0);
	assert_int_equal(sf_es_classify(&c, &m, &err), 0);
	assert_int_equal(c.kind, SF_ES_ERROR);
	assert_true(sf_es_class_is(&c, "Code"));
	assert_int_equal(c.message_len, 0);
	assert_null(c.content_type);

	expect_class_error(
	    NULL, 0, "event stream message has no ':message-type' header");
	h[0] = sf_es_header_int(":message-type", SF_ES_INT, 1);
	expect_class_error(
	    h, 1, "header ':message-type' is a integer, not a string");
	h[0] = sf_es_header_str(":message-type", "Event");
	expect_class_error(h, 1, "unknown ':message-type' 'Event'");
	h[0] = sf_es_header_str(":message-type", "event");
	h[1] = sf_es_header_str(":content-type", "application/json");
	expect_class_error(h, 2, "event message has no ':event-type' header");
	h[1] = sf_es_header_str(":event-type", "result");
	expect_class_error(h, 2, "event message has no ':content-type' header");
	h[2] = sf_es_header_bool(":content-type", true);
	expect_class_error(
	    h, 3, "header ':content-type' is a bool true, not a string");
	h[0] = sf_es_header_str(":message-type", "exception");
	h[1] = sf_es_header_str(":content-type", "application/json");
	expect_class_error(
	    h, 2, "exception message has no ':exception-type' header");
	h[2] = sf_es_header_str(":exception-type", "x");
	h[1] = sf_es_header_str(":other", "y");
	expect_class_error(
	    h, 3, "exception message has no ':content-type' header");
	h[0] = sf_es_header_str(":message-type", "error");
	h[1] = sf_es_header_str(":error-message", "m");
	expect_class_error(h, 2, "error message has no ':error-code' header");
	h[1] = sf_es_header_str(":error-code", "c");
	expect_class_error(
	    h, 2, "error message has no ':error-message' header");
	h[1] = sf_es_header_str(":error-code", "");
	h[2] = sf_es_header_str(":error-message", "m");
	expect_class_error(
	    h, 3, "error message has an empty ':error-code' header");
	h[0] = sf_es_header_str(":message-type", "event");
	h[1] = sf_es_header_str(":event-type", "");
	h[2] = sf_es_header_str(":content-type", "application/json");
	expect_class_error(
	    h, 3, "event message has an empty ':event-type' header");
	h[0] = sf_es_header_str(":message-type", "exception");
	h[1] = sf_es_header_str(":exception-type", "");
	expect_class_error(
	    h, 3, "exception message has an empty ':exception-type' header");
	sf_es_message_release(&m);
	sf_buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest own[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_own_frames_stress),
		cmocka_unit_test(test_back_to_back),
		cmocka_unit_test(test_roundtrip_types),
		cmocka_unit_test(test_encoder_rejects),
		cmocka_unit_test(test_encoder_header_limit),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_duplicate_headers),
		cmocka_unit_test(test_prelude_lengths),
		cmocka_unit_test(test_error_position_and_sticky),
		cmocka_unit_test(test_classify),
	};
	const struct CMUnitTest vectors[] = {
		cmocka_unit_test(test_sdk_go_positive),
		cmocka_unit_test(test_sdk_go_negative),
		cmocka_unit_test(test_botocore_positive),
		cmocka_unit_test(test_botocore_negative),
		cmocka_unit_test(test_agentcore_synthetic),
		cmocka_unit_test(test_vectors_back_to_back),
	};
	const char *shared = getenv("SF_SHARED_DIR");
	char *dir;
	int failed;

	if (!shared || !*shared)
		shared = "../shared";
	dir = sf_fs_join(shared, "eventstream-test-vectors");
	failed = cmocka_run_group_tests_name("eventstream", own, NULL, NULL);
	if (!sf_fs_is_dir(dir)) {
		printf("%s not found; skipping the vector tests\n", dir);
		free(dir);
		return failed ? 1 : 77;
	}
	vectors_dir = dir;
	failed |= cmocka_run_group_tests_name(
	    "eventstream vectors", vectors, NULL, NULL);
	free(dir);
	return failed ? 1 : 0;
}
