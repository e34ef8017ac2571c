/* Times as AWS and the state write them, and random identifiers. */
#ifndef SF_TIME_H
#define SF_TIME_H

#include "util/util.h"

/* 9999-12-31T23:59:59.999Z, the last instant RFC 3339 can write. */
#define SF_TIME_MAX INT64_C(253402300799999)

/* "2026-11-26T22:00:00Z", or with ".123" when there are milliseconds;
 * clamped to 1970..9999. */
void sf_time_format(char out[32], int64_t ms);
/* Strict RFC 3339 (Z or an offset, optional fraction) -> ms since the
 * epoch; SF_EINVALID when s is anything else. */
int sf_time_parse(const char *s, int64_t *ms);

/* A random UUIDv4 (from /dev/urandom), or one made of 16 given bytes. */
void sf_uuid4(char out[37]);
void sf_uuid4_from(char out[37], const unsigned char in[16]);

#endif
