/*
 * Where the two AgentCore planes are, from the region, as the SDKs resolve
 * it. Highest first:
 *
 *   1. the manifest's provider.endpoint (like an endpoint set in code)
 *   2. AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL / _BEDROCK_AGENTCORE
 *   3. AWS_ENDPOINT_URL
 *   4. https://bedrock-agentcore[-control][-fips].{region}.{dns suffix}
 *      (api.aws with AWS_USE_DUALSTACK_ENDPOINT; amazonaws.com.cn in China)
 *
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true turns 2 and 3 off. Both planes
 * sign as bedrock-agentcore whatever the host.
 */
#ifndef SF_ENDPOINTS_H
#define SF_ENDPOINTS_H

#include "util/util.h"

#define SF_AGENTCORE_SIGNING_NAME "bedrock-agentcore"

struct sf_endpoints {
	char *control; /* no trailing slash */
	char *data;
	bool custom; /* set by configuration, not derived from the region */
};

int sf_endpoints_resolve(struct sf_endpoints *out, const char *region,
    const char *manifest_endpoint,
    const char *(*getenv_fn)(const char *name, void *ud), void *ud,
    struct sf_err *err);
void sf_endpoints_release(struct sf_endpoints *e);

#endif
