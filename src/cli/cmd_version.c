#include <jansson.h>

#include "cli/cli.h"
#include "git/git.h"
#include "manifest/manifest.h"
#include "provider/aws/http.h"
#include "provider/aws/sigv4.h"
#include "version.h"

const char sf_version_usage[] =
    "Usage: sandform version [--json]\n"
    "\n"
    "Print the version of sandform, the commit it was built from, and the\n"
    "versions of the libraries it runs with.\n"
    "\n"
    "Options:\n"
    "  --json    print it as a JSON object\n";

int
cmd_version(int argc, char **argv)
{
	bool json = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else
			return sf_cli_usage_error(
			    "version", "unexpected argument \"%s\"", argv[i]);
	}
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}}",
		    "version", SF_VERSION, "commit", SF_GIT_COMMIT, "libraries",
		    "libyaml", sf_manifest_yaml_version(), "jansson",
		    JANSSON_VERSION, "libcurl", sf_http_curl_version(),
		    "openssl", sf_sigv4_crypto_version(), "libgit2",
		    sf_git_version());
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);

		puts(s);
		free(s);
		json_decref(o);
		return SF_EXIT_OK;
	}
	printf("sandform %s%s%s%s\n", SF_VERSION, *SF_GIT_COMMIT ? " (" : "",
	    SF_GIT_COMMIT, *SF_GIT_COMMIT ? ")" : "");
	printf("libyaml %s, jansson %s, libcurl %s, OpenSSL %s, libgit2 %s\n",
	    sf_manifest_yaml_version(), JANSSON_VERSION, sf_http_curl_version(),
	    sf_sigv4_crypto_version(), sf_git_version());
	return SF_EXIT_OK;
}
