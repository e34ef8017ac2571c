#include <jansson.h>

#include "cli/cli.h"
#include "cli/planfile.h"

const char sf_plan_usage[] =
    "Usage: sandform plan [DIR] [options]\n"
    "\n"
    "Compare the manifests in DIR (default: the current directory) with the\n"
    "state and the live control plane, and show what apply would do: the\n"
    "interpreters it creates, replaces (and why), updates in place and\n"
    "destroys, and the jobs that are due. Nothing is changed.\n"
    "\n"
    "Options:\n"
    "  --out FILE            save the plan, to apply exactly it later\n"
    "  --json                print the plan as JSON (schema/plan.schema.json)\n"
    "  --format FORMAT       text (default), json, or markdown: a comment\n"
    "                        for a pull request (under 64 KiB, secrets\n"
    "                        redacted)\n"
    "  --detailed-exitcode   exit 0 without changes, 2 with changes, 1 on "
    "error\n"
    "  --destroy             plan to destroy everything the state manages\n"
    "  --target NAME         only this interpreter or job (repeatable)\n"
    "  --var NAME=VALUE      set a declared variable (repeatable)\n"
    "  --refresh=false       trust the state; do not ask the control plane\n"
    "  --state DIR           the state directory (default: DIR/state)\n"
    "  -h, --help            show this help\n";

int
cmd_plan(int argc, char **argv)
{
	struct sf_plan_args a;
	struct sf_work w;
	struct sf_full_plan fp;
	int rc = SF_EXIT_ERROR;

	memset(&fp, 0, sizeof(fp));
	if (sf_plan_args_parse("plan", argc, argv, &a)) {
		sf_plan_args_release(&a);
		return SF_EXIT_ERROR;
	}
	if (sf_work_load(&w, "plan", a.dir, a.vars, a.nvars) ||
	    sf_work_state(&w, a.state, -1) ||
	    (!a.no_refresh && sf_work_connect(&w)) ||
	    sf_full_plan_build(&w, &a, sf_now_ms(), &fp))
		goto out;
	if (a.json) {
		char *s = sf_full_plan_json(&w, &fp);

		puts(s);
		free(s);
	} else if (a.markdown) {
		char *s = sf_full_plan_markdown(&w, &fp);

		fputs(s, stdout);
		free(s);
	} else {
		printf("Target: %s\n\n",
		    w.target ? w.target : "not asked (--refresh=false)");
		sf_full_plan_print(stdout, &w, &fp, sf_cli_color(stdout));
	}
	if (a.out) {
		struct sf_err err;

		if (sf_planfile_write(a.out, &w, &a, &fp, &err)) {
			sf_cli_report(&err);
			goto out;
		}
		if (!a.json && !a.markdown)
			printf("\nSaved the plan to %s: `sandform apply %s` "
			       "applies exactly it.\n",
			    a.out, a.out);
	}
	rc = a.detailed && sf_full_plan_has_changes(&fp) ? SF_EXIT_CHANGES
	                                                 : SF_EXIT_OK;
out:
	sf_full_plan_release(&fp);
	sf_work_release(&w);
	sf_plan_args_release(&a);
	return rc;
}
