/*
 * Time zones and fire times. Placeholder until the TZif reader lands: only
 * UTC is known, so callers of sf_schedule_parse can link and run.
 */
#include "schedule/tz.h"

struct sf_tz {
	const char *name;
};

static const struct sf_tz tz_utc = { "UTC" };

int
sf_tz_load(const char *name, const struct sf_tz **out, struct sf_err *err)
{
	if (strcmp(name, "UTC") != 0)
		return sf_error(
		    err, SF_ENOTFOUND, name,
		    "unknown time zone (only UTC is supported for now)");
	*out = &tz_utc;
	return 0;
}

const char *
sf_tz_name(const struct sf_tz *tz)
{
	return tz->name;
}

int32_t
sf_tz_offset(const struct sf_tz *tz, int64_t t)
{
	(void)tz;
	(void)t;
	return 0;
}

int
sf_schedule_next(const struct sf_schedule *s, const struct sf_tz *tz,
                 int64_t after, int64_t *out)
{
	(void)s;
	(void)tz;
	(void)after;
	(void)out;
	return SF_ERROR;
}

int
sf_schedule_prev(const struct sf_schedule *s, const struct sf_tz *tz,
                 int64_t at, int64_t *out)
{
	(void)s;
	(void)tz;
	(void)at;
	(void)out;
	return SF_ERROR;
}
