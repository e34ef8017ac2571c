/*
 * libFuzzer target: sf_schedule_parse on arbitrary bytes, and for what
 * parses, the fire times around an instant taken from the input.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "schedule/schedule.h"
#include "schedule/tz.h"

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
		assert(err.msg[0] != '\0');
		assert(err.length >= 1);
		assert(err.offset <= len);
		free(text);
		return 0;
	}
	free(text);
	if (sf_tz_load("UTC", &utc, NULL) != 0)
		abort();
	if (sf_schedule_next(&s, utc, t, &next) == 0) {
		assert(next > t);
		/* The fire time is one: prev finds it again. */
		assert(sf_schedule_prev(&s, utc, next, &again) == 0);
		assert(again == next);
		if (s.kind != SF_SCHED_RATE)
			assert(next % 60 == 0);
	}
	if (sf_schedule_prev(&s, utc, t, &prev) == 0) {
		assert(prev <= t);
		assert(
		    sf_schedule_next(&s, utc, prev, &again) != 0 || again > t);
	}
	return 0;
}
