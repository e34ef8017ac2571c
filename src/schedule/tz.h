/*
 * IANA time zones read from the system tz database (TZif files under
 * $TZDIR or /usr/share/zoneinfo), and fire times of schedules in them.
 */
#ifndef SF_TZ_H
#define SF_TZ_H

#include "schedule/schedule.h"

struct sf_tz;

/*
 * Load zone name ("America/New_York", "UTC"). An unknown name, or one that
 * is not a safe relative path in the database, is SF_ENOTFOUND; a file that
 * is not TZif is SF_EINVALID. "UTC" is built in and needs no database.
 * Loaded zones are cached for the process (by directory and name, so
 * loading one again is cheap) and must not be freed. Not thread-safe.
 */
int sf_tz_load(const char *name, const struct sf_tz **out, struct sf_err *err);
const char *sf_tz_name(const struct sf_tz *tz);
/* Seconds east of UTC at instant t (seconds since the epoch). NULL is UTC. */
int32_t sf_tz_offset(const struct sf_tz *tz, int64_t t);

/*
 * The first fire time strictly after `after`, in seconds since the epoch.
 * Returns SF_ENOTFOUND when the schedule never fires again (a year list
 * that has run out, or a day that no month has).
 *
 * Cron forms fire at wall-clock times in tz (NULL is UTC). A time that a
 * spring-forward gap skips fires once, at the end of the gap; a time that
 * a fall-back repeats fires once, at its first occurrence. Rate forms fire
 * at whole multiples of the interval since the epoch, whatever tz.
 */
int sf_schedule_next(const struct sf_schedule *s, const struct sf_tz *tz,
    int64_t after, int64_t *out);
/* The last fire time at or before `at`; SF_ENOTFOUND when there is none. */
int sf_schedule_prev(const struct sf_schedule *s, const struct sf_tz *tz,
    int64_t at, int64_t *out);

#endif
