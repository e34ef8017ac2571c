/*
 * The AWS event stream codec: streaming decoder, message helpers, the
 * AgentCore classifier and the encoder. See eventstream.h.
 */
#include "provider/aws/eventstream.h"

#define WHERE      "event stream"
#define QUOTE_MAX  64 /* bytes of a name or value shown in a message */
#define QUOTE_SIZE (QUOTE_MAX * 4 + 8)
#define KEEP_FRAME (1024u * 1024) /* frame buffer kept between frames */

/* CRC-32, reflected polynomial 0xedb88320, one byte at a time. */
/* clang-format off */
static const uint32_t crc_table[256] = {
	0x00000000, 0x77073096, 0xee0e612c, 0x990951ba,
	0x076dc419, 0x706af48f, 0xe963a535, 0x9e6495a3,
	0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
	0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91,
	0x1db71064, 0x6ab020f2, 0xf3b97148, 0x84be41de,
	0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
	0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec,
	0x14015c4f, 0x63066cd9, 0xfa0f3d63, 0x8d080df5,
	0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
	0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b,
	0x35b5a8fa, 0x42b2986c, 0xdbbbc9d6, 0xacbcf940,
	0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
	0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116,
	0x21b4f4b5, 0x56b3c423, 0xcfba9599, 0xb8bda50f,
	0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
	0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d,
	0x76dc4190, 0x01db7106, 0x98d220bc, 0xefd5102a,
	0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
	0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818,
	0x7f6a0dbb, 0x086d3d2d, 0x91646c97, 0xe6635c01,
	0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
	0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457,
	0x65b0d9c6, 0x12b7e950, 0x8bbeb8ea, 0xfcb9887c,
	0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
	0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2,
	0x4adfa541, 0x3dd895d7, 0xa4d1c46d, 0xd3d6f4fb,
	0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
	0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9,
	0x5005713c, 0x270241aa, 0xbe0b1010, 0xc90c2086,
	0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
	0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4,
	0x59b33d17, 0x2eb40d81, 0xb7bd5c3b, 0xc0ba6cad,
	0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
	0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683,
	0xe3630b12, 0x94643b84, 0x0d6d6a3e, 0x7a6a5aa8,
	0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
	0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe,
	0xf762575d, 0x806567cb, 0x196c3671, 0x6e6b06e7,
	0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
	0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5,
	0xd6d6a3e8, 0xa1d1937e, 0x38d8c2c4, 0x4fdff252,
	0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
	0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60,
	0xdf60efc3, 0xa867df55, 0x316e8eef, 0x4669be79,
	0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
	0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f,
	0xc5ba3bbe, 0xb2bd0b28, 0x2bb45a92, 0x5cb36a04,
	0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
	0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a,
	0x9c0906a9, 0xeb0e363f, 0x72076785, 0x05005713,
	0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
	0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21,
	0x86d3d2d4, 0xf1d4e242, 0x68ddb3f8, 0x1fda836e,
	0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
	0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c,
	0x8f659eff, 0xf862ae69, 0x616bffd3, 0x166ccf45,
	0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
	0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db,
	0xaed16a4a, 0xd9d65adc, 0x40df0b66, 0x37d83bf0,
	0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
	0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6,
	0xbad03605, 0xcdd70693, 0x54de5729, 0x23d967bf,
	0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
	0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
};
/* clang-format on */

static const char *const type_names[] = {
	"bool true",
	"bool false",
	"byte",
	"short",
	"integer",
	"long",
	"byte_array",
	"string",
	"timestamp",
	"uuid",
};

/* Bytes of a value after its type byte; 2 (the length) for the two
 * variable-length types. */
static const size_t value_size[] = { 0, 0, 1, 2, 4, 8, 2, 2, 8, 16 };

uint32_t
sf_es_crc32(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static uint16_t
get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

static void
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

/* The two's complement value of the low bits of v, without relying on
 * implementation-defined conversions. */
static int64_t
sign_extend(uint64_t v, unsigned bits)
{
	uint64_t sign = (uint64_t)1 << (bits - 1);

	if (bits < 64)
		v &= (sign << 1) - 1;
	if (!(v & sign))
		return (int64_t)v;
	/* -(2^bits - v), computed as -(~v within bits) - 1 */
	if (bits < 64)
		v |= ~((sign << 1) - 1);
	return -(int64_t)(~v) - 1;
}

/* s (len bytes) in single quotes for a message: printable ASCII as is,
 * other bytes as \xNN, cut after QUOTE_MAX bytes. */
static const char *
quote(char out[QUOTE_SIZE], const void *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = s;
	size_t i, o = 0;

	out[o++] = '\'';
	for (i = 0; i < len && i < QUOTE_MAX; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' &&
		    p[i] != '\'') {
			out[o++] = (char)p[i];
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[p[i] >> 4];
		out[o++] = hex[p[i] & 0xf];
	}
	out[o++] = '\'';
	if (i < len) {
		out[o++] = '.';
		out[o++] = '.';
		out[o++] = '.';
	}
	out[o] = '\0';
	return out;
}

static void
limits_resolve(struct sf_es_limits *out, const struct sf_es_limits *lim)
{
	out->max_payload =
	    lim && lim->max_payload ? lim->max_payload : SF_ES_MAX_PAYLOAD;
	out->max_headers =
	    lim && lim->max_headers ? lim->max_headers : SF_ES_MAX_HEADERS;
}

/*
 * Check a 12-byte prelude: its CRC first (so that a corrupted length is
 * reported as such), then that the lengths fit together, then the limits.
 * Nothing is allocated from the declared lengths before this passes.
 */
static int
check_prelude(const uint8_t *p, const struct sf_es_limits *lim,
    const char *where, uint32_t *total, struct sf_err *err)
{
	uint32_t tot = get_u32(p), hlen = get_u32(p + 4);
	uint32_t want = get_u32(p + 8), crc = sf_es_crc32(0, p, 8);
	uint32_t plen;

	if (crc != want)
		return sf_error(err, SF_EINVALID, where,
		    "Prelude checksum mismatch: the frame says 0x%08lx, "
		    "its prelude gives 0x%08lx",
		    (unsigned long)want, (unsigned long)crc);
	if (tot < SF_ES_OVERHEAD)
		return sf_error(err, SF_EINVALID, where,
		    "invalid total length %lu: a frame has at least %d bytes",
		    (unsigned long)tot, SF_ES_OVERHEAD);
	if (hlen > tot - SF_ES_OVERHEAD)
		return sf_error(err, SF_EINVALID, where,
		    "invalid headers length %lu: the frame has %lu bytes, "
		    "%d of them outside the headers",
		    (unsigned long)hlen, (unsigned long)tot, SF_ES_OVERHEAD);
	if (hlen > lim->max_headers)
		return sf_error(err, SF_EINVALID, where,
		    "headers length exceeds %zu: %lu bytes declared",
		    lim->max_headers, (unsigned long)hlen);
	plen = tot - SF_ES_OVERHEAD - hlen;
	if (plen > lim->max_payload)
		return sf_error(err, SF_EINVALID, where,
		    "payload length exceeds %zu: %lu bytes declared",
		    lim->max_payload, (unsigned long)plen);
	*total = tot;
	return 0;
}

static int
name_cmp(const struct sf_es_header *x, const struct sf_es_header *y)
{
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = n ? memcmp(x->name, y->name, n) : 0;

	if (c)
		return c;
	return (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static int
name_ptr_cmp(const void *a, const void *b)
{
	return name_cmp(*(const struct sf_es_header *const *)a,
	    *(const struct sf_es_header *const *)b);
}

/* Names must be unique: pairwise for a few headers, sorted for many, so
 * that a frame of 40000 one-byte headers stays cheap. */
static int
check_duplicates(const struct sf_es_header *h, size_t n, const char *where,
    struct sf_err *err)
{
	const struct sf_es_header **v, *dup = NULL;
	char q[QUOTE_SIZE];
	size_t i, j;

	if (n <= 16) {
		for (i = 1; i < n && !dup; i++)
			for (j = 0; j < i && !dup; j++)
				if (name_cmp(&h[i], &h[j]) == 0)
					dup = &h[i];
	} else {
		v = sf_xmalloc(n * sizeof(*v));
		for (i = 0; i < n; i++)
			v[i] = &h[i];
		qsort(v, n, sizeof(*v), name_ptr_cmp);
		for (i = 1; i < n && !dup; i++)
			if (name_cmp(v[i], v[i - 1]) == 0)
				dup = v[i];
		free(v);
	}
	if (dup)
		return sf_error(err, SF_EINVALID, where, "duplicate header %s",
		    quote(q, dup->name, dup->name_len));
	return 0;
}

/* Parse len bytes of headers; m->nheaders counts them, even on error. */
static int
parse_headers(struct sf_es_message *m, const uint8_t *p, size_t len,
    const char *where, struct sf_err *err)
{
	char q[QUOTE_SIZE];
	size_t off = 0;

	m->nheaders = 0;
	while (off < len) {
		struct sf_es_header h;
		size_t nlen = p[off++], vlen;
		unsigned type;

		memset(&h, 0, sizeof(h));
		if (nlen == 0)
			return sf_error(err, SF_EINVALID, where,
			    "header name length 0 at byte %zu of the headers",
			    off - 1);
		if (nlen > len - off)
			return sf_error(err, SF_EINVALID, where,
			    "header name overruns the headers: %zu bytes at "
			    "byte %zu, %zu left",
			    nlen, off, len - off);
		h.name = (const char *)p + off;
		h.name_len = nlen;
		off += nlen;
		quote(q, h.name, nlen);
		if (off == len)
			return sf_error(err, SF_EINVALID, where,
			    "header %s has no type: the headers end", q);
		type = p[off++];
		if (type >= SF_ARRAY_LEN(value_size))
			return sf_error(err, SF_EINVALID, where,
			    "header %s has unknown type %u", q, type);
		if (value_size[type] > len - off)
			return sf_error(err, SF_EINVALID, where,
			    "header %s value overruns the headers: a %s needs "
			    "%zu bytes, %zu left",
			    q, type_names[type], value_size[type], len - off);
		h.type = (enum sf_es_type)type;
		switch (h.type) {
		case SF_ES_TRUE:
			h.i = 1;
			break;
		case SF_ES_FALSE:
			h.i = 0;
			break;
		case SF_ES_BYTE:
			h.i = sign_extend(p[off], 8);
			break;
		case SF_ES_SHORT:
			h.i = sign_extend(get_u16(p + off), 16);
			break;
		case SF_ES_INT:
			h.i = sign_extend(get_u32(p + off), 32);
			break;
		case SF_ES_LONG:
		case SF_ES_TIMESTAMP:
			h.i = sign_extend(get_u64(p + off), 64);
			break;
		case SF_ES_BYTES:
		case SF_ES_STRING:
			vlen = get_u16(p + off);
			if (vlen > len - off - 2)
				return sf_error(err, SF_EINVALID, where,
				    "header %s value overruns the headers: "
				    "%zu bytes of %s, %zu left",
				    q, vlen, type_names[type], len - off - 2);
			h.data = p + off + 2;
			h.len = vlen;
			off += vlen;
			break;
		case SF_ES_UUID:
			h.data = p + off;
			h.len = SF_ES_UUID_LEN;
			break;
		}
		off += value_size[type];
		SF_ALLOC_GROW(m->headers, m->nheaders + 1, m->headers_alloc);
		m->headers[m->nheaders++] = h;
	}
	return check_duplicates(m->headers, m->nheaders, where, err);
}

/* Decode one frame of exactly len bytes, checks in the order of the
 * spec's test vectors. On error m holds no message. */
static int
parse_frame(struct sf_es_message *m, const uint8_t *p, size_t len,
    const struct sf_es_limits *lim, const char *where, struct sf_err *err)
{
	uint32_t total, want, crc;
	int r;

	m->frame = NULL;
	m->nheaders = 0;
	if (len < SF_ES_PRELUDE_LEN)
		return sf_error(err, SF_EINVALID, where,
		    "truncated frame: %zu bytes, the prelude alone has %d", len,
		    SF_ES_PRELUDE_LEN);
	if ((r = check_prelude(p, lim, where, &total, err)) != 0)
		return r;
	if (len < total)
		return sf_error(err, SF_EINVALID, where,
		    "truncated frame: %zu of its %lu bytes", len,
		    (unsigned long)total);
	if (len > total)
		return sf_error(err, SF_EINVALID, where,
		    "%zu bytes after the end of the frame", len - total);
	want = get_u32(p + total - 4);
	crc = sf_es_crc32(0, p, total - 4);
	if (crc != want)
		return sf_error(err, SF_EINVALID, where,
		    "Message checksum mismatch: the frame says 0x%08lx, "
		    "its bytes give 0x%08lx",
		    (unsigned long)want, (unsigned long)crc);
	m->total_length = total;
	m->headers_length = get_u32(p + 4);
	m->prelude_crc = get_u32(p + 8);
	m->message_crc = want;
	m->payload = p + SF_ES_PRELUDE_LEN + m->headers_length;
	m->payload_len = total - SF_ES_OVERHEAD - m->headers_length;
	r = parse_headers(
	    m, p + SF_ES_PRELUDE_LEN, m->headers_length, where, err);
	if (r) {
		m->nheaders = 0;
		return r;
	}
	m->frame = p;
	return 0;
}

void
sf_es_message_init(struct sf_es_message *m)
{
	memset(m, 0, sizeof(*m));
}

void
sf_es_message_release(struct sf_es_message *m)
{
	free(m->headers);
	sf_es_message_init(m);
}

int
sf_es_message_parse(struct sf_es_message *m, const void *frame, size_t len,
    const struct sf_es_limits *lim, struct sf_err *err)
{
	struct sf_es_limits l;

	limits_resolve(&l, lim);
	return parse_frame(m, frame, len, &l, WHERE, err);
}

/* Streaming decoder. */

void
sf_es_decoder_init(struct sf_es_decoder *d, const struct sf_es_limits *lim,
    int (*fn)(const struct sf_es_message *m, void *arg, struct sf_err *err),
    void *arg)
{
	memset(d, 0, sizeof(*d));
	limits_resolve(&d->lim, lim);
	d->fn = fn;
	d->arg = arg;
	sf_buf_init(&d->frame, 0);
	sf_es_message_init(&d->msg);
	sf_err_clear(&d->fail);
}

void
sf_es_decoder_release(struct sf_es_decoder *d)
{
	sf_buf_release(&d->frame);
	sf_es_message_release(&d->msg);
}

static const char *
frame_where(const struct sf_es_decoder *d, char *buf, size_t size)
{
	snprintf(buf, size, WHERE " message %llu at byte %llu",
	    (unsigned long long)d->count + 1, (unsigned long long)d->offset);
	return buf;
}

/* Decode the complete frame p (len bytes) and hand it to the callback. */
static int
deliver(struct sf_es_decoder *d, const uint8_t *p, size_t len)
{
	char where[SF_ERR_WHERE];
	int r;

	frame_where(d, where, sizeof(where));
	if ((r = parse_frame(&d->msg, p, len, &d->lim, where, &d->fail)) != 0)
		return r;
	d->count++;
	d->offset += len;
	if (d->fn && (r = d->fn(&d->msg, d->arg, &d->fail)) != 0) {
		if (r > 0)
			r = SF_ERROR;
		if (d->fail.code == SF_OK)
			sf_error(&d->fail, (enum sf_code)r, where,
			    "the message handler failed");
	}
	d->msg.frame = NULL;
	return r;
}

static void
frame_reset(struct sf_es_decoder *d)
{
	if (d->frame.alloc > KEEP_FRAME)
		sf_buf_release(&d->frame);
	else
		sf_buf_reset(&d->frame);
	d->need = 0;
}

int
sf_es_decoder_feed(
    struct sf_es_decoder *d, const void *data, size_t len, struct sf_err *err)
{
	const uint8_t *p = data;
	char where[SF_ERR_WHERE];
	uint32_t total;
	size_t n;
	int r = 0;

	if (d->failed)
		goto out;
	while (len > 0) {
		if (d->need == 0 && d->frame.len == 0 &&
		    len >= SF_ES_PRELUDE_LEN) {
			/* A frame starts here: decode it in place when the
			 * whole of it is in this chunk. */
			r = check_prelude(p, &d->lim,
			    frame_where(d, where, sizeof(where)), &total,
			    &d->fail);
			if (r)
				goto fail;
			if (len >= total) {
				if ((r = deliver(d, p, total)) != 0)
					goto fail;
				p += total;
				len -= total;
				continue;
			}
			d->need = total;
		}
		if (d->need == 0) {
			n = SF_ES_PRELUDE_LEN - d->frame.len;
			if (n > len)
				n = len;
			sf_buf_add(&d->frame, p, n);
			p += n;
			len -= n;
			if (d->frame.len < SF_ES_PRELUDE_LEN)
				break;
			r = check_prelude((const uint8_t *)d->frame.buf,
			    &d->lim, frame_where(d, where, sizeof(where)),
			    &d->need, &d->fail);
			if (r)
				goto fail;
		}
		/* Buffer what arrives, never more than the checked length. */
		n = d->need - d->frame.len;
		if (n > len)
			n = len;
		sf_buf_add(&d->frame, p, n);
		p += n;
		len -= n;
		if (d->frame.len == d->need) {
			r = deliver(
			    d, (const uint8_t *)d->frame.buf, d->frame.len);
			frame_reset(d);
			if (r)
				goto fail;
		}
	}
	return 0;
fail:
	d->failed = r;
out:
	if (err)
		*err = d->fail;
	return d->failed;
}

int
sf_es_decoder_finish(struct sf_es_decoder *d, struct sf_err *err)
{
	char where[SF_ERR_WHERE];

	if (!d->failed && d->frame.len > 0) {
		frame_where(d, where, sizeof(where));
		if (d->need == 0)
			d->failed = sf_error(&d->fail, SF_EINVALID, where,
			    "truncated event stream: %zu bytes of a %d-byte "
			    "prelude",
			    d->frame.len, SF_ES_PRELUDE_LEN);
		else
			d->failed = sf_error(&d->fail, SF_EINVALID, where,
			    "truncated event stream: %zu of the message's "
			    "%lu bytes",
			    d->frame.len, (unsigned long)d->need);
	}
	if (d->failed && err)
		*err = d->fail;
	return d->failed;
}

/* Headers of a decoded message. */

bool
sf_es_str_eq(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	return s && len == n && (n == 0 || memcmp(s, lit, n) == 0);
}

const struct sf_es_header *
sf_es_message_find(const struct sf_es_message *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nheaders; i++)
		if (sf_es_str_eq(
		        m->headers[i].name, m->headers[i].name_len, name))
			return &m->headers[i];
	return NULL;
}

static int
get_header(const struct sf_es_message *m, const char *name,
    const struct sf_es_header **h, struct sf_err *err)
{
	if (!(*h = sf_es_message_find(m, name)))
		return sf_error(
		    err, SF_ENOTFOUND, WHERE, "no header '%s'", name);
	return 0;
}

static int
wrong_type(const struct sf_es_header *h, const char *name, const char *want,
    struct sf_err *err)
{
	return sf_error(err, SF_EINVALID, WHERE,
	    "header '%s' is a %s, not a %s", name, type_names[h->type], want);
}

int
sf_es_message_get_str(const struct sf_es_message *m, const char *name,
    const char **s, size_t *len, struct sf_err *err)
{
	const struct sf_es_header *h;
	int r;

	if ((r = get_header(m, name, &h, err)) != 0)
		return r;
	if (h->type != SF_ES_STRING)
		return wrong_type(h, name, "string", err);
	*s = (const char *)h->data;
	*len = h->len;
	return 0;
}

int
sf_es_message_get_int(const struct sf_es_message *m, const char *name,
    int64_t *v, struct sf_err *err)
{
	const struct sf_es_header *h;
	int r;

	if ((r = get_header(m, name, &h, err)) != 0)
		return r;
	switch (h->type) {
	case SF_ES_BYTE:
	case SF_ES_SHORT:
	case SF_ES_INT:
	case SF_ES_LONG:
	case SF_ES_TIMESTAMP:
		*v = h->i;
		return 0;
	default:
		return wrong_type(h, name, "integer or timestamp", err);
	}
}

int
sf_es_message_get_bool(const struct sf_es_message *m, const char *name, bool *v,
    struct sf_err *err)
{
	const struct sf_es_header *h;
	int r;

	if ((r = get_header(m, name, &h, err)) != 0)
		return r;
	if (h->type != SF_ES_TRUE && h->type != SF_ES_FALSE)
		return wrong_type(h, name, "bool", err);
	*v = h->type == SF_ES_TRUE;
	return 0;
}

int
sf_es_message_get_bytes(const struct sf_es_message *m, const char *name,
    const uint8_t **data, size_t *len, struct sf_err *err)
{
	const struct sf_es_header *h;
	int r;

	if ((r = get_header(m, name, &h, err)) != 0)
		return r;
	if (h->type != SF_ES_BYTES && h->type != SF_ES_UUID)
		return wrong_type(h, name, "byte_array or uuid", err);
	*data = h->data;
	*len = h->len;
	return 0;
}

/* AgentCore semantics. */

/* A header the kind of message requires, as a string. */
static int
required_str(const struct sf_es_message *m, const char *kind, const char *name,
    const char **s, size_t *len, struct sf_err *err)
{
	int r = sf_es_message_get_str(m, name, s, len, err);

	if (r == SF_ENOTFOUND)
		return sf_error(err, SF_EINVALID, WHERE,
		    "%s message has no '%s' header", kind, name);
	return r;
}

int
sf_es_classify(
    struct sf_es_class *c, const struct sf_es_message *m, struct sf_err *err)
{
	char q[QUOTE_SIZE];
	const char *mt, *kind;
	size_t mtlen;
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = required_str(
	         m, "event stream", ":message-type", &mt, &mtlen, err)) != 0)
		return r;
	c->payload = m->payload;
	c->payload_len = m->payload_len;
	if (sf_es_str_eq(mt, mtlen, "event")) {
		c->kind = SF_ES_EVENT;
		kind = "event";
		r = required_str(
		    m, kind, ":event-type", &c->type, &c->type_len, err);
	} else if (sf_es_str_eq(mt, mtlen, "exception")) {
		c->kind = SF_ES_EXCEPTION;
		kind = "exception";
		r = required_str(
		    m, kind, ":exception-type", &c->type, &c->type_len, err);
	} else if (sf_es_str_eq(mt, mtlen, "error")) {
		c->kind = SF_ES_ERROR;
		r = required_str(
		    m, "error", ":error-code", &c->type, &c->type_len, err);
		if (r == 0 && c->type_len == 0)
			r = sf_error(err, SF_EINVALID, WHERE,
			    "error message has an empty ':error-code' header");
		if (r == 0)
			r = required_str(m, "error", ":error-message",
			    &c->message, &c->message_len, err);
		return r;
	} else {
		return sf_error(err, SF_EINVALID, WHERE,
		    "unknown ':message-type' %s", quote(q, mt, mtlen));
	}
	if (r == 0 && c->type_len == 0)
		r = sf_error(err, SF_EINVALID, WHERE,
		    "%s message has an empty '%s' header", kind,
		    c->kind == SF_ES_EVENT ? ":event-type" : ":exception-type");
	if (r == 0)
		r = required_str(m, kind, ":content-type", &c->content_type,
		    &c->content_type_len, err);
	return r;
}

bool
sf_es_class_is(const struct sf_es_class *c, const char *type)
{
	return sf_es_str_eq(c->type, c->type_len, type);
}

/* Encoder. */

struct sf_es_header
sf_es_header_bool(const char *name, bool v)
{
	struct sf_es_header h;

	memset(&h, 0, sizeof(h));
	h.name = name;
	h.name_len = strlen(name);
	h.type = v ? SF_ES_TRUE : SF_ES_FALSE;
	h.i = v;
	return h;
}

struct sf_es_header
sf_es_header_int(const char *name, enum sf_es_type type, int64_t v)
{
	struct sf_es_header h;

	memset(&h, 0, sizeof(h));
	h.name = name;
	h.name_len = strlen(name);
	h.type = type;
	h.i = v;
	return h;
}

struct sf_es_header
sf_es_header_data(
    const char *name, enum sf_es_type type, const void *data, size_t len)
{
	struct sf_es_header h;

	memset(&h, 0, sizeof(h));
	h.name = name;
	h.name_len = strlen(name);
	h.type = type;
	h.data = data;
	h.len = len;
	return h;
}

struct sf_es_header
sf_es_header_str(const char *name, const char *value)
{
	return sf_es_header_data(name, SF_ES_STRING, value, strlen(value));
}

/* Check one header for the encoder; *size gets its encoded length. */
static int
check_header(const struct sf_es_header *h, size_t *size, struct sf_err *err)
{
	static const int64_t lo[] = { 0, 0, INT8_MIN, INT16_MIN, INT32_MIN };
	static const int64_t hi[] = { 0, 0, INT8_MAX, INT16_MAX, INT32_MAX };
	char q[QUOTE_SIZE];
	size_t vlen;

	if (!h->name || h->name_len == 0 || h->name_len > SF_ES_MAX_NAME)
		return sf_error(err, SF_EINVALID, WHERE,
		    "header name length %zu is not 1..%d", h->name_len,
		    SF_ES_MAX_NAME);
	quote(q, h->name, h->name_len);
	if ((unsigned)h->type >= SF_ARRAY_LEN(value_size))
		return sf_error(err, SF_EINVALID, WHERE,
		    "header %s has unknown type %u", q, (unsigned)h->type);
	vlen = value_size[h->type];
	switch (h->type) {
	case SF_ES_BYTE:
	case SF_ES_SHORT:
	case SF_ES_INT:
		if (h->i < lo[h->type] || h->i > hi[h->type])
			return sf_error(err, SF_EINVALID, WHERE,
			    "header %s: %lld does not fit a %s", q,
			    (long long)h->i, type_names[h->type]);
		break;
	case SF_ES_BYTES:
	case SF_ES_STRING:
		if (h->len > SF_ES_MAX_VALUE)
			return sf_error(err, SF_EINVALID, WHERE,
			    "header %s: %zu bytes of %s, at most %d", q, h->len,
			    type_names[h->type], SF_ES_MAX_VALUE);
		if (h->len && !h->data)
			return sf_error(err, SF_EINVALID, WHERE,
			    "header %s has no value", q);
		vlen += h->len;
		break;
	case SF_ES_UUID:
		if (h->len != SF_ES_UUID_LEN || !h->data)
			return sf_error(err, SF_EINVALID, WHERE,
			    "header %s: a uuid has %d bytes, not %zu", q,
			    SF_ES_UUID_LEN, h->len);
		break;
	default:
		break;
	}
	*size = 1 + h->name_len + 1 + vlen;
	return 0;
}

static uint8_t *
put_header(uint8_t *p, const struct sf_es_header *h)
{
	*p++ = (uint8_t)h->name_len;
	memcpy(p, h->name, h->name_len);
	p += h->name_len;
	*p++ = (uint8_t)h->type;
	switch (h->type) {
	case SF_ES_TRUE:
	case SF_ES_FALSE:
		break;
	case SF_ES_BYTE:
		*p = (uint8_t)(uint64_t)h->i;
		break;
	case SF_ES_SHORT:
		put_u16(p, (uint16_t)(uint64_t)h->i);
		break;
	case SF_ES_INT:
		put_u32(p, (uint32_t)(uint64_t)h->i);
		break;
	case SF_ES_LONG:
	case SF_ES_TIMESTAMP:
		put_u64(p, (uint64_t)h->i);
		break;
	case SF_ES_BYTES:
	case SF_ES_STRING:
		put_u16(p, (uint16_t)h->len);
		if (h->len)
			memcpy(p + 2, h->data, h->len);
		p += h->len;
		break;
	case SF_ES_UUID:
		memcpy(p, h->data, SF_ES_UUID_LEN);
		break;
	}
	return p + value_size[h->type];
}

int
sf_es_encode(struct sf_buf *out, const struct sf_es_header *headers,
    size_t nheaders, const void *payload, size_t payload_len,
    struct sf_err *err)
{
	size_t hlen = 0, size, total, i;
	uint8_t *start, *p;
	int r;

	for (i = 0; i < nheaders; i++) {
		if ((r = check_header(&headers[i], &size, err)) != 0)
			return r;
		hlen += size;
		if (hlen > SF_ES_MAX_HEADERS)
			return sf_error(err, SF_EINVALID, WHERE,
			    "headers length exceeds %u: %zu bytes and more",
			    SF_ES_MAX_HEADERS, hlen);
	}
	if ((r = check_duplicates(headers, nheaders, WHERE, err)) != 0)
		return r;
	if (payload_len > SF_ES_MAX_PAYLOAD)
		return sf_error(err, SF_EINVALID, WHERE,
		    "payload length exceeds %u: %zu bytes", SF_ES_MAX_PAYLOAD,
		    payload_len);
	if (payload_len && !payload)
		return sf_error(err, SF_EINVALID, WHERE, "no payload bytes");
	total = SF_ES_OVERHEAD + hlen + payload_len;
	sf_buf_grow(out, total);
	start = p = (uint8_t *)out->buf + out->len;
	put_u32(p, (uint32_t)total);
	put_u32(p + 4, (uint32_t)hlen);
	put_u32(p + 8, sf_es_crc32(0, p, 8));
	p += SF_ES_PRELUDE_LEN;
	for (i = 0; i < nheaders; i++)
		p = put_header(p, &headers[i]);
	if (payload_len)
		memcpy(p, payload, payload_len);
	p += payload_len;
	put_u32(p, sf_es_crc32(0, start, total - 4));
	sf_buf_setlen(out, out->len + total);
	return 0;
}

int
sf_es_encode_event(struct sf_buf *out, const char *event_type,
    const char *content_type, const void *payload, size_t payload_len,
    struct sf_err *err)
{
	struct sf_es_header h[3];

	h[0] = sf_es_header_str(":event-type", event_type);
	h[1] = sf_es_header_str(":content-type", content_type);
	h[2] = sf_es_header_str(":message-type", "event");
	return sf_es_encode(out, h, 3, payload, payload_len, err);
}

int
sf_es_encode_result(
    struct sf_buf *out, const char *json, size_t len, struct sf_err *err)
{
	return sf_es_encode_event(
	    out, "result", "application/json", json, len, err);
}

int
sf_es_encode_exception(struct sf_buf *out, const char *exception_type,
    const char *json, size_t len, struct sf_err *err)
{
	struct sf_es_header h[3];

	h[0] = sf_es_header_str(":exception-type", exception_type);
	h[1] = sf_es_header_str(":content-type", "application/json");
	h[2] = sf_es_header_str(":message-type", "exception");
	return sf_es_encode(out, h, 3, json, len, err);
}

int
sf_es_encode_error(struct sf_buf *out, const char *code, const char *message,
    struct sf_err *err)
{
	struct sf_es_header h[3];

	h[0] = sf_es_header_str(":message-type", "error");
	h[1] = sf_es_header_str(":error-code", code);
	h[2] = sf_es_header_str(":error-message", message);
	return sf_es_encode(out, h, 3, NULL, 0, err);
}
