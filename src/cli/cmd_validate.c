#include <getopt.h>

#include "cli/cli.h"
#include "manifest/manifest.h"

const char sf_validate_usage[] =
    "Usage: sandform validate [DIR | FILE] [--json] [--var NAME=VALUE]...\n"
    "\n"
    "Check the configuration in DIR (default: the current directory): every\n"
    "*.yaml and *.yml file directly inside it, or the one FILE given. Checks\n"
    "YAML syntax, keys and types, names, AgentCore's limits, references\n"
    "between interpreters and jobs, schedules and time zones, and reports\n"
    "every problem as FILE:LINE:COLUMN. Nothing touches the network or the\n"
    "state.\n"
    "\n"
    "Options:\n"
    "  --json              print the result as JSON, shaped like\n"
    "                      `terraform validate -json`\n"
    "  --var NAME=VALUE    set a declared variable (repeatable)\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 when the configuration is valid, 1 otherwise.\n";

int
cmd_validate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "var", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct sf_manifest_opts opts;
	struct sf_config *c = NULL;
	struct sf_diags d;
	const char **vars = NULL;
	size_t nvars = 0, avars = 0;
	const char *dir = ".";
	bool json = false;
	int opt, rc;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'v':
			SF_ALLOC_GROW(vars, nvars + 1, avars);
			vars[nvars++] = optarg;
			break;
		case ':':
			free(vars);
			return sf_cli_usage_error(
			    "validate", "%s needs a value", argv[optind - 1]);
		default:
			free(vars);
			return sf_cli_usage_error("validate",
			    "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		dir = argv[optind++];
	if (optind < argc) {
		free(vars);
		return sf_cli_usage_error(
		    "validate", "unexpected argument \"%s\"", argv[optind]);
	}

	memset(&opts, 0, sizeof(opts));
	opts.vars = vars;
	opts.nvars = nvars;
	sf_diags_init(&d);
	rc = sf_manifest_load(dir, &opts, &c, &d);
	if (json) {
		char *s = sf_diag_to_json(&d, c);

		puts(s);
		free(s);
	} else if (d.n) {
		sf_diag_print_text(stderr, &d, c, sf_cli_color(stderr));
	}
	if (!json && rc == SF_OK)
		printf("Success! The configuration is valid: %zu "
		       "interpreter%s, %zu job%s.\n",
		    c->ninterpreters, c->ninterpreters == 1 ? "" : "s",
		    c->njobs, c->njobs == 1 ? "" : "s");
	else if (!json)
		fprintf(stderr,
		    "sandform: error: %s: %zu error%s in the "
		    "configuration\n",
		    dir, d.errors, d.errors == 1 ? "" : "s");
	sf_diags_release(&d);
	sf_config_free(c);
	free(vars);
	return rc == SF_OK ? SF_EXIT_OK : SF_EXIT_ERROR;
}
