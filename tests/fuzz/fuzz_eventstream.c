/*
 * libFuzzer target: the event stream decoder on arbitrary bytes.
 *
 * The input is decoded twice, once in one chunk and once in chunk sizes
 * drawn from a generator seeded by the input, and both runs must agree on
 * every message and on the error. Each decoded message must have
 * consistent lengths, re-encode to exactly its own bytes, and decode again
 * to the same headers; the lookups and the classifier run on it too.
 * Some inputs get small limits, so that the limit checks are reached with
 * inputs libFuzzer can build, and every input runs a second time with
 * its checksums fixed, so that mutations get past them.
 *
 * CHECK rather than assert: the build type may define NDEBUG.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "provider/aws/eventstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
			    __LINE__, #c);                                     \
			abort();                                               \
		}                                                              \
	} while (0)

struct run {
	uint64_t count;  /* messages delivered */
	uint32_t digest; /* CRC of all their bytes, in order */
	size_t bytes;    /* their total length */
};

static size_t
value_bytes(const struct sf_es_header *h)
{
	switch (h->type) {
	case SF_ES_TRUE:
	case SF_ES_FALSE:
		return 0;
	case SF_ES_BYTE:
		return 1;
	case SF_ES_SHORT:
		return 2;
	case SF_ES_INT:
		return 4;
	case SF_ES_LONG:
	case SF_ES_TIMESTAMP:
		return 8;
	case SF_ES_BYTES:
	case SF_ES_STRING:
		return 2 + h->len;
	case SF_ES_UUID:
		return 16;
	}
	CHECK(!"unknown header type");
	return 0;
}

static int
check_message(const struct sf_es_message *m, void *arg, struct sf_err *err)
{
	struct run *r = arg;
	const uint8_t *hstart = m->frame + SF_ES_PRELUDE_LEN;
	const uint8_t *hend = hstart + m->headers_length;
	struct sf_buf b = SF_BUF_INIT;
	struct sf_es_message again;
	struct sf_es_class c;
	size_t i, hbytes = 0;

	(void)err;
	CHECK(m->total_length ==
	      SF_ES_OVERHEAD + m->headers_length + m->payload_len);
	CHECK(m->payload == hend);
	CHECK(m->prelude_crc == sf_es_crc32(0, m->frame, 8));
	CHECK(m->message_crc == sf_es_crc32(0, m->frame, m->total_length - 4));
	for (i = 0; i < m->nheaders; i++) {
		const struct sf_es_header *h = &m->headers[i];

		CHECK(h->name_len >= 1 && h->name_len <= SF_ES_MAX_NAME);
		CHECK((const uint8_t *)h->name > hstart &&
		      (const uint8_t *)h->name + h->name_len < hend);
		if (h->type == SF_ES_BYTES || h->type == SF_ES_STRING ||
		    h->type == SF_ES_UUID)
			CHECK(h->data >= hstart && h->data + h->len <= hend);
		hbytes += 1 + h->name_len + 1 + value_bytes(h);
	}
	CHECK(hbytes == m->headers_length);

	/* Re-encoding gives the same bytes, which decode the same. */
	CHECK(sf_es_encode(&b, m->headers, m->nheaders, m->payload,
	          m->payload_len, NULL) == 0);
	CHECK(b.len == m->total_length);
	CHECK(memcmp(b.buf, m->frame, b.len) == 0);
	sf_es_message_init(&again);
	CHECK(sf_es_message_parse(&again, b.buf, b.len, NULL, NULL) == 0);
	CHECK(again.nheaders == m->nheaders);
	for (i = 0; i < m->nheaders; i++) {
		CHECK(again.headers[i].type == m->headers[i].type);
		CHECK(again.headers[i].i == m->headers[i].i);
		CHECK(again.headers[i].len == m->headers[i].len);
	}
	sf_es_message_release(&again);
	sf_buf_release(&b);

	if (sf_es_classify(&c, m, NULL) == 0) {
		CHECK(c.type != NULL);
		CHECK(c.payload == m->payload);
		CHECK((c.kind == SF_ES_ERROR) == (c.message != NULL));
		CHECK((c.kind == SF_ES_ERROR) == (c.content_type == NULL));
	}
	CHECK(sf_es_message_find(m, ":message-type") != NULL ||
	      sf_es_classify(&c, m, NULL) == SF_EINVALID);

	r->count++;
	r->digest = sf_es_crc32(r->digest, m->frame, m->total_length);
	r->bytes += m->total_length;
	return 0;
}

static uint64_t
next_random(uint64_t *s)
{
	/* xorshift64 */
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Decode data in chunks from the generator (seed 0: one chunk). */
static int
run(const uint8_t *data, size_t size, const struct sf_es_limits *lim,
    uint64_t seed, struct run *r, struct sf_err *err)
{
	struct sf_es_decoder d;
	size_t off = 0;
	int rc = 0;

	sf_es_decoder_init(&d, lim, check_message, r);
	while (off < size && rc == 0) {
		size_t n = size - off, want;

		if (seed) {
			uint64_t x = next_random(&seed);

			switch (x & 3) {
			case 0:
				want = 1 + (x >> 8) % 3; /* a byte or three */
				break;
			case 1:
				want = 1 + (x >> 8) % 16;
				break;
			case 2:
				want = 1 + (x >> 8) % 300;
				break;
			default:
				want = 1 + (x >> 8) % 4096;
				break;
			}
			if (n > want)
				n = want;
		}
		rc = sf_es_decoder_feed(&d, data + off, n, err);
		off += n;
		/* An empty chunk changes nothing. */
		if (rc == 0 && seed && (seed & 0x300) == 0)
			rc = sf_es_decoder_feed(&d, data + off, 0, err);
	}
	if (rc == 0)
		rc = sf_es_decoder_finish(&d, err);
	/* Nothing more is delivered after an error. */
	if (rc != 0)
		CHECK(sf_es_decoder_feed(&d, data, size, NULL) == rc);
	sf_es_decoder_release(&d);
	return rc;
}

/*
 * Make the CRCs of the frames in p right, so that mutations reach the
 * length, limit and header checks instead of stopping at a checksum.
 */
static void
fix_crcs(uint8_t *p, size_t size)
{
	size_t off = 0;

	while (size - off >= SF_ES_PRELUDE_LEN) {
		uint8_t *f = p + off;
		uint32_t total, crc = sf_es_crc32(0, f, 8);

		f[8] = (uint8_t)(crc >> 24);
		f[9] = (uint8_t)(crc >> 16);
		f[10] = (uint8_t)(crc >> 8);
		f[11] = (uint8_t)crc;
		total = (uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 |
		        (uint32_t)f[2] << 8 | f[3];
		if (total < SF_ES_OVERHEAD || total > size - off)
			return;
		crc = sf_es_crc32(0, f, total - 4);
		f[total - 4] = (uint8_t)(crc >> 24);
		f[total - 3] = (uint8_t)(crc >> 16);
		f[total - 2] = (uint8_t)(crc >> 8);
		f[total - 1] = (uint8_t)crc;
		off += total;
	}
}

static void
check_input(const uint8_t *data, size_t size)
{
	uint32_t h = sf_es_crc32(0, data, size);
	struct sf_es_limits lim = { 0, 0 };
	struct run one, chunked;
	struct sf_err e1, e2;
	struct sf_es_message m;
	uint64_t seed;
	int r1, r2, whole;

	/* A quarter of the inputs run under small limits. */
	if ((h & 3) == 0) {
		lim.max_payload = 1 + ((h >> 2) & 0xff) * 4;
		lim.max_headers = 1 + ((h >> 10) & 0xff) * 4;
	}
	memset(&one, 0, sizeof(one));
	memset(&chunked, 0, sizeof(chunked));
	sf_err_clear(&e1);
	sf_err_clear(&e2);
	r1 = run(data, size, &lim, 0, &one, &e1);
	seed = (uint64_t)h << 32 | (h ^ 0x9e3779b9u) | 1;
	r2 = run(data, size, &lim, seed, &chunked, &e2);

	CHECK(r1 == r2);
	CHECK(one.count == chunked.count);
	CHECK(one.digest == chunked.digest);
	CHECK(one.bytes == chunked.bytes);
	CHECK(one.bytes <= size);
	if (r1 == 0) {
		CHECK(one.bytes == size);
	} else {
		CHECK(r1 == SF_EINVALID);
		CHECK(e1.msg[0] != '\0');
		CHECK(strcmp(e1.msg, e2.msg) == 0);
		CHECK(strcmp(e1.where, e2.where) == 0);
	}

	/* The one-shot parser agrees when the input is a single frame. */
	sf_es_message_init(&m);
	whole = sf_es_message_parse(&m, data, size, &lim, NULL);
	if (whole == 0) {
		CHECK(r1 == 0 && one.count == 1);
		CHECK(m.total_length == size);
	} else {
		CHECK(whole == SF_EINVALID);
		CHECK(r1 != 0 || one.count != 1);
	}
	sf_es_message_release(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *fixed;

	check_input(data, size);
	/* And again with the checksums made right. */
	fixed = sf_xmalloc(size);
	if (size)
		memcpy(fixed, data, size);
	fix_crcs(fixed, size);
	if (size && memcmp(fixed, data, size) != 0)
		check_input(fixed, size);
	free(fixed);
	return 0;
}
