#include <strings.h>

#include "provider/aws/endpoints.h"

static const char *
env(const char *(*getenv_fn)(const char *, void *), void *ud, const char *name)
{
	const char *v = getenv_fn ? getenv_fn(name, ud) : getenv(name);

	return v && *v ? v : NULL;
}

static bool
env_true(
    const char *(*getenv_fn)(const char *, void *), void *ud, const char *name)
{
	const char *v = env(getenv_fn, ud, name);

	return v && !strcasecmp(v, "true");
}

/* An endpoint URL: http(s)://host[:port][/path], kept without a trailing /. */
static int
take_url(char **out, const char *url, const char *what, struct sf_err *err)
{
	const char *host;
	size_t n;

	if (sf_str_has_prefix(url, "https://"))
		host = url + 8;
	else if (sf_str_has_prefix(url, "http://"))
		host = url + 7;
	else
		return sf_error(err, SF_EINVALID, what,
		    "endpoint \"%s\" must start with http:// or https://", url);
	if (!*host || *host == '/' || strpbrk(url, " \t\r\n?#"))
		return sf_error(err, SF_EINVALID, what,
		    "endpoint \"%s\" is not a URL with a host", url);
	n = strlen(url);
	while (n && url[n - 1] == '/')
		n--;
	*out = sf_xstrndup(url, n);
	return SF_OK;
}

static bool
valid_region(const char *r)
{
	size_t i;

	if (!*r || strlen(r) > 64)
		return false;
	for (i = 0; r[i]; i++)
		if (!((r[i] >= 'a' && r[i] <= 'z') ||
		        (r[i] >= '0' && r[i] <= '9') || r[i] == '-'))
			return false;
	return r[0] != '-';
}

int
sf_endpoints_resolve(struct sf_endpoints *out, const char *region,
    const char *manifest_endpoint,
    const char *(*getenv_fn)(const char *name, void *ud), void *ud,
    struct sf_err *err)
{
	const char *control = NULL, *data = NULL, *global = NULL;
	const char *suffix = "amazonaws.com";
	bool fips, dual;
	int rc;

	memset(out, 0, sizeof(*out));
	if (manifest_endpoint) {
		control = data = manifest_endpoint;
	} else if (!env_true(
	               getenv_fn, ud, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
		global = env(getenv_fn, ud, "AWS_ENDPOINT_URL");
		control = env(getenv_fn, ud,
		    "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL");
		data = env(getenv_fn, ud, "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE");
		if (!control)
			control = global;
		if (!data)
			data = global;
	}
	fips = env_true(getenv_fn, ud, "AWS_USE_FIPS_ENDPOINT");
	dual = env_true(getenv_fn, ud, "AWS_USE_DUALSTACK_ENDPOINT");
	if ((control || data) && (fips || dual))
		return sf_error(err, SF_EINVALID, "provider",
		    "Invalid Configuration: %s and custom endpoint are not "
		    "supported",
		    fips ? "FIPS" : "Dualstack");
	if (control && data) {
		out->custom = true;
		if ((rc = take_url(
		         &out->control, control, "control plane", err)) ||
		    (rc = take_url(&out->data, data, "data plane", err))) {
			sf_endpoints_release(out);
			return rc;
		}
		return SF_OK;
	}
	if (!region || !*region)
		return sf_error(err, SF_EINVALID, "provider",
		    "no AWS region: set provider.region in the manifest, "
		    "AWS_REGION, or region in the profile");
	if (!valid_region(region))
		return sf_error(err, SF_EINVALID, "provider",
		    "\"%s\" is not an AWS region", region);
	/* The partitions of the endpoint rule set. */
	if (sf_str_has_prefix(region, "cn-"))
		suffix =
		    dual ? "api.amazonwebservices.com.cn" : "amazonaws.com.cn";
	else if (sf_str_has_prefix(region, "us-isob-"))
		suffix = "sc2s.sgov.gov";
	else if (sf_str_has_prefix(region, "us-iso-"))
		suffix = "c2s.ic.gov";
	else if (dual)
		suffix = "api.aws";
	if (control) {
		out->custom = true;
		if ((rc = take_url(
		         &out->control, control, "control plane", err)))
			return rc;
	} else {
		out->control =
		    sf_xasprintf("https://bedrock-agentcore-control%s."
		                 "%s.%s",
		        fips ? "-fips" : "", region, suffix);
	}
	if (data) {
		out->custom = true;
		if ((rc = take_url(&out->data, data, "data plane", err))) {
			sf_endpoints_release(out);
			return rc;
		}
	} else {
		out->data = sf_xasprintf("https://bedrock-agentcore%s.%s.%s",
		    fips ? "-fips" : "", region, suffix);
	}
	return SF_OK;
}

void
sf_endpoints_release(struct sf_endpoints *e)
{
	free(e->control);
	free(e->data);
	memset(e, 0, sizeof(*e));
}
