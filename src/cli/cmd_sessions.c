/*
 * sandform sessions [list | gc]: the live sessions of the interpreters
 * sandform manages (and sandform's own on the built-in one), who owns
 * them, and stopping those nobody does: an idle session is billed.
 */
#include <getopt.h>

#include "cli/cli.h"
#include "cli/plancmd.h"
#include "cli/statecmd.h"

const char sf_sessions_usage[] =
    "Usage: sandform sessions [list] [DIR] [--state DIR]\n"
    "       sandform sessions gc [DIR] [--older-than D] [--dry-run]\n"
    "\n"
    "list: the READY sessions of every managed interpreter, and sandform's\n"
    "sessions on aws.codeinterpreter.v1, with their age and the job run\n"
    "that owns them.\n"
    "\n"
    "gc: stop the READY sessions that no running job owns (a job's run is\n"
    "running only while its apply or run holds the state lock: after a\n"
    "kill -9 it is not), older than --older-than (default 0), and say what\n"
    "that saves. --dry-run only says what it would stop.\n";

struct one {
	const char *interpreter; /* id */
	const char *label;       /* name in the state, or the built-in */
	struct sf_session s;
	const char *owner; /* "job X run R", or NULL */
	bool ours;         /* named by sandform */
};

/* "sandform-JOB-RUN-ATTEMPT": the run's job, if the name is sandform's. */
static bool
owner_of(const struct sf_session *s, struct sf_recorded *rec, char *job,
    size_t jn, char *run, size_t rn)
{
	size_t i;

	if (!s->name || strncmp(s->name, "sandform-", 9))
		return false;
	job[0] = run[0] = '\0';
	for (i = 0; i < rec->njobs; i++) {
		const struct sf_rec_job *j = &rec->jobs[i];
		size_t l = strlen(j->name);

		if (!strncmp(s->name + 9, j->name, l) &&
		    s->name[9 + l] == '-') {
			const char *r = s->name + 10 + l;
			const char *dash = strrchr(r, '-');

			snprintf(job, jn, "%s", j->name);
			snprintf(run, rn, "%.*s",
			    (int)(dash ? (size_t)(dash - r) : strlen(r)), r);
			break;
		}
	}
	return true;
}

int
cmd_sessions(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "older-than", required_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct sf_work w;
	struct one *all = NULL;
	size_t nall = 0, aall = 0, i, k, stopped = 0;
	const char *state = NULL, *dir = ".";
	int64_t older = 0, now = sf_now_ms();
	bool gc = false, dry = false;
	double saved = 0;
	struct sf_rates rates;
	int opt, rc = SF_EXIT_ERROR;

	memset(&w, 0, sizeof(w));
	sf_rates_default(&rates);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			state = optarg;
			break;
		case 'o':
			if (sf_cli_parse_duration(optarg, &older))
				return sf_cli_usage_error("sessions",
				    "--older-than takes a duration such as "
				    "30m");
			break;
		case 'n':
			dry = true;
			break;
		default:
			return sf_cli_usage_error("sessions",
			    "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc &&
	    (!strcmp(argv[optind], "list") || !strcmp(argv[optind], "gc")))
		gc = !strcmp(argv[optind++], "gc");
	if (optind < argc)
		dir = argv[optind++];
	if (optind < argc)
		return sf_cli_usage_error(
		    "sessions", "unexpected argument \"%s\"", argv[optind]);
	if ((older || dry) && !gc)
		return sf_cli_usage_error(
		    "sessions", "--older-than and --dry-run are for gc");
	if (gc)
		sf_work_catch_signals();
	/* gc holds the lock: no run is in progress while it looks, so a
	 * recorded `running` whose holder died is stale. */
	if (sf_work_load(&w, "sessions", dir, NULL, 0) ||
	    sf_work_state(&w, state, gc && !dry ? 0 : -1) ||
	    sf_work_connect(&w))
		goto out;
	for (i = 0; i <= w.rec.ninterpreters; i++) {
		const char *id = i < w.rec.ninterpreters
		                     ? w.rec.interpreters[i].id
		                     : SF_SYSTEM_INTERPRETER;
		struct sf_session_list l;
		struct sf_err err;

		if (!id)
			continue;
		if (w.provider->ops->list_sessions(
		        w.provider, id, "READY", &l, &err)) {
			if (err.code != SF_ENOTFOUND)
				sf_cli_report(&err);
			continue;
		}
		for (k = 0; k < l.n; k++) {
			struct one *o;
			char job[80], run[80];
			bool ours = owner_of(&l.v[k], &w.rec, job, sizeof(job),
			    run, sizeof(run));

			/* On the built-in interpreter only ours are ours. */
			if (i == w.rec.ninterpreters && !ours) {
				sf_session_release(&l.v[k]);
				continue;
			}
			SF_ALLOC_GROW(all, nall + 1, aall);
			o = &all[nall++];
			memset(o, 0, sizeof(*o));
			o->interpreter = id;
			o->label = i < w.rec.ninterpreters
			               ? w.rec.interpreters[i].name
			               : SF_SYSTEM_INTERPRETER;
			o->s = l.v[k];
			o->ours = ours;
			if (*job) {
				const struct sf_rec_job *rj =
				    sf_recorded_job(&w.rec, job);

				/* Running only while someone holds the lock:
				 * gc holds it now, so none is. */
				if (rj && rj->running &&
				    !strcmp(rj->running, run) && !gc)
					o->owner = sf_xasprintf(
					    "job %s run %s", job, run);
			}
		}
		free(l.v);
	}
	if (!nall)
		puts("No READY sessions.");
	for (i = 0; i < nall; i++) {
		struct one *o = &all[i];
		int64_t age = now - o->s.created_at;
		bool stop = gc && !o->owner && age >= older;

		printf("%-24s %-28s %6llds %-9s %s%s\n", o->label,
		    o->s.session_id, (long long)(age / 1000),
		    o->s.status ? o->s.status : "READY",
		    o->owner ? o->owner
		             : (o->ours ? "no running job owns it"
		                        : "not sandform's"),
		    stop ? (dry ? "  -> would stop" : "  -> stopping") : "");
		if (stop && !dry) {
			struct sf_err err;
			/* Until its timeout (AgentCore's default when the
			 * list does not say). */
			int64_t left =
			    o->s.created_at +
			    (o->s.timeout_s ? o->s.timeout_s : 900) * 1000 -
			    now;

			if (w.provider->ops->stop_session(w.provider,
			        o->interpreter, o->s.session_id, &err))
				sf_cli_report(&err);
			else {
				stopped++;
				if (left > 0)
					saved += sf_session_cost(&rates, left);
			}
		}
	}
	if (gc && !dry) {
		/* Runs recorded in progress are not: their owner is gone. */
		for (i = 0; i < w.rec.njobs; i++) {
			struct sf_rec_job *j = &w.rec.jobs[i];

			if (!j->running)
				continue;
			printf("%s: run %s was left in progress; recorded as "
			       "interrupted\n",
			    j->name, j->running);
			free(j->last_outcome);
			j->last_outcome = sf_xstrdup("interrupted");
			free(j->last_run);
			j->last_run = j->running;
			j->running = NULL;
			j->runs_failed++;
		}
		{
			struct sf_err err;

			if (sf_work_save(&w, &err))
				sf_cli_report(&err);
		}
		printf("Stopped %zu session%s; that saves up to $%.4f (until "
		       "their timeouts, at 2 vCPU and 8 GB).\n",
		    stopped, stopped == 1 ? "" : "s", saved);
	}
	rc = SF_EXIT_OK;
out:
	for (i = 0; i < nall; i++) {
		sf_session_release(&all[i].s);
		free((char *)all[i].owner);
	}
	free(all);
	sf_work_release(&w);
	return rc;
}
