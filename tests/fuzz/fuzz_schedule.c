/*
 * libFuzzer target: sf_schedule_parse on arbitrary bytes, and for what
 * parses, the fire times around an instant taken from the input.
 */
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>

#include "schedule/schedule.h"
#include "schedule/tz.h"

/* Not assert(3): the checks must hold in release builds too. */
#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sf_schedule s;
	struct sf_sched_error err;
	const struct sf_tz *utc;
	int64_t t = 1700000000, next, prev, again;
	char *text;
	size_t i, len;

	/* The first 8 bytes, when there are enough, pick the instant. */
	if (size > 8 && data[0] == 0xff) {
		uint64_t v = 0;

		for (i = 1; i < 9; i++)
			v = v << 8 | data[i];
		t = (int64_t)(v % 8000000000ULL) - 2000000000;
		data += 9;
		size -= 9;
	}
	text = sf_xstrndup((const char *)data, size);
	len = strlen(text);
	if (sf_schedule_parse(text, &s, &err) != 0) {
		CHECK(err.msg[0] != '\0');
		CHECK(err.length >= 1);
		CHECK(err.offset <= len);
		free(text);
		return 0;
	}
	free(text);
	if (sf_tz_load("UTC", &utc, NULL) != 0)
		abort();
	if (sf_schedule_next(&s, utc, t, &next) == 0) {
		CHECK(next > t);
		/* The fire time is one: prev finds it again. */
		CHECK(sf_schedule_prev(&s, utc, next, &again) == 0);
		CHECK(again == next);
		if (s.kind != SF_SCHED_RATE)
			CHECK(next % 60 == 0);
	}
	if (sf_schedule_prev(&s, utc, t, &prev) == 0) {
		CHECK(prev <= t);
		CHECK(
		    sf_schedule_next(&s, utc, prev, &again) != 0 || again > t);
	}
	return 0;
}
