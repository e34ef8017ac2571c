/*
 * The nine Code Interpreter operations and the three tagging operations,
 * as ../shared/spec describes them, and the server's own status.
 */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "local/server_internal.h"
#include "provider/aws/eventstream.h"
#include "provider/aws/sigv4.h"
#include "util/fs.h"

#define DEFAULT_MAX_RESULTS 10
#define DEFAULT_TIMEOUT_S   900
#define MAX_TIMEOUT_S       28800

static const char *const network_modes[] = { "PUBLIC", "SANDBOX", "VPC" };
static const char *const resource_types[] = { "SYSTEM", "CUSTOM" };
static const char *const session_states[] = { "READY", "TERMINATED" };
static const char *const tool_names[] = { "executeCode", "executeCommand",
	"readFiles", "listFiles", "removeFiles", "writeFiles",
	"startCommandExecution", "getTask", "stopTask" };
static const char *const languages[] = { "python", "javascript", "typescript" };
static const char *const runtimes[] = { "nodejs", "deno", "python" };

/* ---- ids, tokens, hashes ---- */

static const char alnum[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static char *
new_ci_id(struct sf_local_server *s, const char *name)
{
	char suffix[11];
	size_t i;

	for (i = 0; i < 10; i++)
		suffix[i] = alnum[sf_local_random(s) % 62];
	suffix[10] = '\0';
	return sf_xasprintf("%s-%s", name, suffix);
}

/* A ULID: 48 bits of milliseconds and 80 random bits, base 32. */
static void
new_session_id(struct sf_local_server *s, int64_t now, char out[27])
{
	uint64_t t = (uint64_t)(now < 0 ? 0 : now) & 0xffffffffffffULL;
	uint64_t r1 = sf_local_random(s), r2 = sf_local_random(s);
	int i;

	for (i = 9; i >= 0; i--) {
		out[i] = crockford[t & 31];
		t >>= 5;
	}
	for (i = 10; i < 26; i++) {
		uint64_t *r = i < 22 ? &r1 : &r2;

		out[i] = crockford[*r & 31];
		*r >>= 5;
	}
	out[26] = '\0';
}

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *
token_encode(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n = strlen(text), i;
	struct sf_buf b = SF_BUF_INIT;

	for (i = 0; i + 2 < n; i += 3) {
		sf_buf_addch(&b, b64url[p[i] >> 2]);
		sf_buf_addch(&b, b64url[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
		sf_buf_addch(
		    &b, b64url[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)]);
		sf_buf_addch(&b, b64url[p[i + 2] & 63]);
	}
	if (n - i == 1) {
		sf_buf_addch(&b, b64url[p[i] >> 2]);
		sf_buf_addch(&b, b64url[(p[i] & 3) << 4]);
	} else if (n - i == 2) {
		sf_buf_addch(&b, b64url[p[i] >> 2]);
		sf_buf_addch(&b, b64url[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
		sf_buf_addch(&b, b64url[(p[i + 1] & 15) << 2]);
	}
	return sf_buf_detach(&b, NULL);
}

/* NULL when s is not a token this server made. */
static char *
token_decode(const char *s)
{
	struct sf_buf b = SF_BUF_INIT;
	uint32_t acc = 0;
	int bits = 0;

	for (; *s; s++) {
		const char *pos = strchr(b64url, *s);

		if (!pos) {
			sf_buf_release(&b);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)(pos - b64url);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (!((acc >> bits) & 0xff)) {
				sf_buf_release(&b);
				return NULL;
			}
			sf_buf_addch(&b, (int)((acc >> bits) & 0xff));
		}
	}
	return sf_buf_detach(&b, NULL);
}

/* The token's last key, when it is "<prefix><key>". */
static char *
token_after(const char *token, const char *prefix)
{
	char *text = token_decode(token), *key = NULL;

	if (text && sf_str_has_prefix(text, prefix) && text[strlen(prefix)])
		key = sf_xstrdup(text + strlen(prefix));
	free(text);
	return key;
}

/* SHA-256 of what identifies a request, less its client token. */
static void
request_hash(
    char out[65], const char *const *labels, size_t nlabels, json_t *body)
{
	struct sf_buf b = SF_BUF_INIT;
	size_t i;

	for (i = 0; i < nlabels; i++)
		sf_buf_addf(&b, "%s\n", labels[i] ? labels[i] : "");
	if (body) {
		json_t *copy = json_deep_copy(body);
		char *text;

		json_object_del(copy, "clientToken");
		text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
		sf_buf_adds(&b, text ? text : "");
		free(text);
		json_decref(copy);
	}
	sf_sigv4_sha256_hex(out, b.buf, b.len);
	sf_buf_release(&b);
}

/*
 * A request with a client token already seen: the original answer when
 * the parameters are the same, a ValidationException otherwise. True when
 * that answered the request. Lock held.
 */
static bool
idem_replay(struct sf_local_ctx *c, const char *token, const char *hash)
{
	struct sf_local_idem *e;

	if (!token)
		return false;
	e = sf_local_registry_idem(&c->s->reg, c->op_name, token);
	if (!e)
		return false;
	if (strcmp(e->hash, hash)) {
		sf_local_reply_validation(c,
		    "IdempotentParameterMismatchException", "clientToken",
		    "The client token %s was already used with different "
		    "parameters",
		    token);
		return true;
	}
	if (e->pending) {
		sf_local_conflict(c,
		    "A request with the client token %s is in progress", token);
		return true;
	}
	c->resp->status = e->status;
	sf_buf_reset(&c->resp->body);
	if (e->body) {
		sf_buf_adds(&c->resp->body, e->body);
		sf_local_reply_header(
		    c->resp, "Content-Type", "application/json");
	}
	return true;
}

/* Remember the answer to a request with a token. Lock held. */
static void
idem_keep(struct sf_local_ctx *c, const char *token, const char *hash,
    int status, json_t *body)
{
	struct sf_local_idem *e;

	if (!token)
		return;
	e = sf_local_registry_idem(&c->s->reg, c->op_name, token);
	if (!e)
		e = sf_local_registry_idem_add(
		    &c->s->reg, c->op_name, token, hash, c->now);
	free(e->body);
	e->status = status;
	e->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
	e->pending = false;
}

/* ---- shared validation ---- */

static void
v_list_len(struct sf_local_vctx *v, const char *field, json_t *arr, size_t min,
    size_t max)
{
	size_t n = json_array_size(arr);

	if (n < min)
		sf_local_v_fail(v, field,
		    "Value at '%s' failed to satisfy constraint: Member must "
		    "have length greater than or equal to %zu",
		    field, min);
	else if (n > max)
		sf_local_v_fail(v, field,
		    "Value at '%s' failed to satisfy constraint: Member must "
		    "have length less than or equal to %zu",
		    field, max);
}

/* A list of strings of a pattern; returns a clean copy (or NULL). */
static json_t *
v_str_list(struct sf_local_vctx *v, json_t *o, const char *key,
    const char *field, bool required, size_t min, size_t max,
    enum sf_local_pattern p)
{
	json_t *arr = sf_local_v_arr(v, o, key, field, required), *out, *x;
	size_t i;

	if (!arr)
		return NULL;
	v_list_len(v, field, arr, min, max);
	out = json_array();
	json_array_foreach(arr, i, x)
	{
		char *f = sf_xasprintf("%s[%zu]", field, i);

		if (!json_is_string(x)) {
			v->cannot_parse = true;
			sf_local_v_fail(
			    v, f, "Value at '%s' must be a string", f);
		} else if (sf_local_v_pattern(
		               v, f, json_string_value(x), p, false)) {
			json_array_append(out, x);
		}
		free(f);
	}
	return out;
}

static json_t *
check_network(struct sf_local_vctx *v, json_t *net, const char **mode)
{
	json_t *vpc, *out;
	const char *m;

	*mode = NULL;
	if (!net)
		return NULL;
	m = sf_local_v_str(
	    v, net, "networkMode", "networkConfiguration.networkMode", true);
	if (m && sf_local_v_enum(v, "networkConfiguration.networkMode", m,
	             network_modes, SF_ARRAY_LEN(network_modes)))
		*mode = m;
	out = json_pack("{s:s}", "networkMode", m ? m : "");
	vpc = sf_local_v_obj(
	    v, net, "vpcConfig", "networkConfiguration.vpcConfig", false);
	if (vpc) {
		json_t *o = json_object(), *l;
		bool b;

		if ((l = v_str_list(v, vpc, "securityGroups",
		         "networkConfiguration.vpcConfig.securityGroups", true,
		         1, 16, SF_PAT_SG)))
			json_object_set_new(o, "securityGroups", l);
		if ((l = v_str_list(v, vpc, "subnets",
		         "networkConfiguration.vpcConfig.subnets", true, 1, 16,
		         SF_PAT_SUBNET)))
			json_object_set_new(o, "subnets", l);
		if (sf_local_v_bool(v, vpc, "requireServiceS3Endpoint",
		        "networkConfiguration.vpcConfig."
		        "requireServiceS3Endpoint",
		        &b))
			json_object_set_new(
			    o, "requireServiceS3Endpoint", json_boolean(b));
		json_object_set_new(out, "vpcConfig", o);
	} else if (*mode && !strcmp(*mode, "VPC")) {
		sf_local_v_fail(v, "networkConfiguration.vpcConfig",
		    "Value null at 'networkConfiguration.vpcConfig' failed to "
		    "satisfy constraint: vpcConfig is required when the "
		    "network "
		    "mode is VPC");
	}
	return out;
}

/* Exactly one member of a union object; its name, or NULL. */
static const char *
v_union(struct sf_local_vctx *v, json_t *u, const char *field,
    const char *const *members, size_t n)
{
	const char *key, *found = NULL;
	json_t *val;
	size_t set = 0, i;

	json_object_foreach(u, key, val)
	{
		if (json_is_null(val))
			continue;
		set++;
		for (i = 0; i < n; i++)
			if (!strcmp(key, members[i]))
				found = members[i];
		if (!found) {
			sf_local_v_fail(v, field,
			    "Value at '%s' has an unknown member '%s'", field,
			    key);
			return NULL;
		}
	}
	if (set != 1) {
		sf_local_v_fail(v, field,
		    "Value at '%s' failed to satisfy constraint: exactly one "
		    "member of the union must be set",
		    field);
		return NULL;
	}
	return found;
}

static json_t *
check_certificates(struct sf_local_vctx *v, json_t *body)
{
	static const char *const kinds[] = { "secretsManager" };
	json_t *arr = sf_local_v_arr(
	           v, body, "certificates", "certificates", false),
	       *out, *x;
	size_t i;

	if (!arr)
		return NULL;
	v_list_len(v, "certificates", arr, 1, 200);
	out = json_array();
	json_array_foreach(arr, i, x)
	{
		char *f = sf_xasprintf("certificates[%zu]", i);
		char *lf = sf_xasprintf("%s.location", f);
		char *af = sf_xasprintf("%s.secretsManager.secretArn", lf);
		json_t *loc, *sm;
		const char *arn;

		if (!json_is_object(x)) {
			v->cannot_parse = true;
			sf_local_v_fail(
			    v, f, "Value at '%s' must be an object", f);
		} else if ((loc = sf_local_v_obj(v, x, "location", lf, true)) &&
		           v_union(v, loc, lf, kinds, 1) &&
		           (sm = sf_local_v_obj(
		                v, loc, "secretsManager", lf, true)) &&
		           (arn = sf_local_v_str(
		                v, sm, "secretArn", af, true)) &&
		           sf_local_v_pattern(
		               v, af, arn, SF_PAT_SECRET_ARN, false)) {
			json_array_append_new(
			    out, json_pack("{s:{s:{s:s}}}", "location",
			             "secretsManager", "secretArn", arn));
		}
		free(af);
		free(lf);
		free(f);
	}
	return out;
}

static json_t *
check_filesystems(struct sf_local_vctx *v, json_t *body)
{
	static const char *const kinds[] = { "s3FilesConfiguration",
		"efsConfiguration" };
	json_t *arr = sf_local_v_arr(v, body, "filesystemConfigurations",
	           "filesystemConfigurations", false),
	       *out, *x;
	size_t i, j;

	if (!arr)
		return NULL;
	v_list_len(v, "filesystemConfigurations", arr, 0, 10);
	out = json_array();
	json_array_foreach(arr, i, x)
	{
		char *f = sf_xasprintf("filesystemConfigurations[%zu]", i);
		const char *kind;
		json_t *cfg;

		if (!json_is_object(x)) {
			v->cannot_parse = true;
			sf_local_v_fail(
			    v, f, "Value at '%s' must be an object", f);
		} else if ((kind = v_union(v, x, f, kinds, 2)) &&
		           (cfg = sf_local_v_obj(v, x, kind, f, true))) {
			bool efs = !strcmp(kind, "efsConfiguration");
			char *fa =
			    sf_xasprintf("%s.%s.accessPointArn", f, kind);
			char *ff = sf_xasprintf("%s.%s.fileSystemArn", f, kind);
			char *fm = sf_xasprintf("%s.%s.mountPath", f, kind);
			const char *ap =
			    sf_local_v_str(v, cfg, "accessPointArn", fa, true);
			const char *fs =
			    sf_local_v_str(v, cfg, "fileSystemArn", ff, true);
			const char *mp =
			    sf_local_v_str(v, cfg, "mountPath", fm, true);
			bool ok = ap && fs && mp;

			ok = ap &&
			     sf_local_v_length(
			         v, fa, ap, 0, efs ? 128 : 256, false) &&
			     sf_local_v_pattern(v, fa, ap,
			         efs ? SF_PAT_EFS_AP_ARN : SF_PAT_S3F_AP_ARN,
			         false) &&
			     ok;
			ok = fs &&
			     sf_local_v_length(v, ff, fs, 0, 256, false) &&
			     sf_local_v_pattern(v, ff, fs,
			         efs ? SF_PAT_EFS_FS_ARN : SF_PAT_S3F_FS_ARN,
			         false) &&
			     ok;
			ok = mp &&
			     sf_local_v_length(v, fm, mp, 6, 200, false) &&
			     sf_local_v_pattern(
			         v, fm, mp, SF_PAT_MOUNT_PATH, false) &&
			     ok;
			for (j = 0; ok && j < json_array_size(out); j++) {
				json_t *o = json_array_get(out, j);
				const char *k2;
				json_t *c2;

				json_object_foreach(o, k2, c2)
				{
					if (!strcmp(json_string_value(
					                json_object_get(
					                    c2, "mountPath")),
					        mp)) {
						sf_local_v_fail(v, fm,
						    "Value '%s' at '%s' failed "
						    "to satisfy constraint: "
						    "mount paths must be "
						    "unique",
						    mp, fm);
						ok = false;
					}
				}
			}
			if (ok)
				json_array_append_new(out,
				    json_pack("{s:{s:s, s:s, s:s}}", kind,
				        "accessPointArn", ap, "fileSystemArn",
				        fs, "mountPath", mp));
			free(fa);
			free(ff);
			free(fm);
		}
		free(f);
	}
	return out;
}

static void
check_tag_key(struct sf_local_vctx *v, const char *field, const char *k)
{
	if (sf_local_v_length(v, field, k, 1, 128, false))
		sf_local_v_pattern(v, field, k, SF_PAT_TAG, false);
}

/* A TagsMap: 0..50 entries (max_total counts those already there). */
static void
check_tags(struct sf_local_vctx *v, json_t *tags, const char *field)
{
	const char *k;
	json_t *val;

	if (!tags)
		return;
	if (json_object_size(tags) > 50)
		sf_local_v_fail(v, field,
		    "Value at '%s' failed to satisfy constraint: Member must "
		    "have length less than or equal to 50",
		    field);
	json_object_foreach(tags, k, val)
	{
		char *f = sf_xasprintf("%s.%s", field, k);

		check_tag_key(v, field, k);
		if (!json_is_string(val)) {
			v->cannot_parse = true;
			sf_local_v_fail(
			    v, f, "Value at '%s' must be a string", f);
		} else if (sf_local_v_length(
		               v, f, json_string_value(val), 0, 256, false)) {
			sf_local_v_pattern(
			    v, f, json_string_value(val), SF_PAT_TAG, false);
		}
		free(f);
	}
}

static const char *
v_client_token(struct sf_local_vctx *v, json_t *body)
{
	const char *t =
	    sf_local_v_str(v, body, "clientToken", "clientToken", false);

	if (t && !sf_local_v_client_token(v, "clientToken", t))
		return NULL;
	return t;
}

static void
check_trace_headers(struct sf_local_vctx *v, struct sf_local_ctx *c)
{
	const char *t = sf_local_ctx_header(c, "X-Amzn-Trace-Id");
	const char *p = sf_local_ctx_header(c, "traceparent");

	if (t)
		sf_local_v_length(v, "traceId", t, 0, 1024, false);
	if (p)
		sf_local_v_length(v, "traceParent", p, 0, 1024, false);
}

/* maxResults and nextToken of either list operation. */
static void
check_paging(struct sf_local_vctx *v, const char *token, int64_t *max)
{
	if (*max != INT64_MIN)
		sf_local_v_range(v, "maxResults", *max, 1, 100);
	else
		*max = DEFAULT_MAX_RESULTS;
	if (token && sf_local_v_length(v, "nextToken", token, 1, 2048, false))
		sf_local_v_pattern(
		    v, "nextToken", token, SF_PAT_NEXT_TOKEN, false);
}

static void
bad_token(struct sf_local_ctx *c)
{
	sf_local_reply_validation(c, "FieldValidationFailed", "nextToken",
	    "Invalid nextToken: it does not come from this operation with "
	    "these parameters");
}

/* The interpreter an identifier names (an id or an ARN); lock held. */
static struct sf_local_ci *
find_ci(struct sf_local_ctx *c, const char *ident)
{
	if (sf_str_has_prefix(ident, "arn:"))
		return sf_local_registry_ci_by_arn(&c->s->reg, ident);
	return sf_local_registry_ci(&c->s->reg, ident);
}

static void
ci_not_found(struct sf_local_ctx *c, const char *ident)
{
	sf_local_not_found(c, "Code interpreter %s not found", ident);
}

static void
reply_backend_error(struct sf_local_ctx *c, const struct sf_err *err)
{
	switch (err->code) {
	case SF_EINVALID:
		sf_local_reply_validation(
		    c, "FieldValidationFailed", NULL, "%s", err->msg);
		break;
	case SF_ENOTFOUND:
		sf_local_not_found(c, "%s", err->msg);
		break;
	case SF_ECONFLICT:
		sf_local_conflict(c, "%s", err->msg);
		break;
	default:
		sf_local_reply_error(
		    c, 500, "InternalServerException", "%s", err->msg);
	}
}

static json_t *
time_json(int64_t ms)
{
	char buf[32];

	sf_local_time_format(buf, ms);
	return json_string(buf);
}

/* ---- control plane ---- */

void
sf_local_op_create(struct sf_local_ctx *c)
{
	struct sf_local_server *s = c->s;
	struct sf_local_vctx v;
	struct sf_local_ci *ci;
	const char *name, *desc, *role, *token, *mode;
	json_t *net, *certs, *fs, *tags, *ans;
	char hash[65];
	struct sf_err err;
	char *id;

	sf_local_v_init(&v);
	name = sf_local_v_str(&v, c->body, "name", "name", true);
	if (name)
		sf_local_v_pattern(
		    &v, "name", name, SF_PAT_SANDBOX_NAME, false);
	desc = sf_local_v_str(&v, c->body, "description", "description", false);
	if (desc)
		sf_local_v_length(&v, "description", desc, 1, 4096, true);
	role = sf_local_v_str(
	    &v, c->body, "executionRoleArn", "executionRoleArn", false);
	if (role &&
	    sf_local_v_length(&v, "executionRoleArn", role, 1, 2048, false))
		sf_local_v_pattern(
		    &v, "executionRoleArn", role, SF_PAT_ROLE_ARN, false);
	net = check_network(&v,
	    sf_local_v_obj(&v, c->body, "networkConfiguration",
	        "networkConfiguration", true),
	    &mode);
	certs = check_certificates(&v, c->body);
	fs = check_filesystems(&v, c->body);
	token = v_client_token(&v, c->body);
	tags = sf_local_v_obj(&v, c->body, "tags", "tags", false);
	check_tags(&v, tags, "tags");
	if (sf_local_v_reply(&v, c)) {
		json_decref(net);
		json_decref(certs);
		json_decref(fs);
		sf_local_v_release(&v);
		return;
	}
	sf_local_v_release(&v);
	request_hash(hash, NULL, 0, c->body);

	sf_local_ctx_begin(c);
	if (idem_replay(c, token, hash))
		goto out;
	if (sf_local_registry_ci_count(&s->reg) >= s->max_interpreters) {
		sf_local_reply_error(c, 402, "ServiceQuotaExceededException",
		    "The account has reached its quota of %zu code "
		    "interpreters",
		    s->max_interpreters);
		goto out;
	}
	if (sf_local_registry_ci_by_name(&s->reg, name)) {
		sf_local_conflict(
		    c, "A code interpreter named %s already exists", name);
		goto out;
	}
	do {
		id = new_ci_id(s, name);
		if (!sf_local_registry_ci(&s->reg, id))
			break;
		free(id);
	} while (1);
	ci = sf_xcalloc(1, sizeof(*ci));
	ci->id = id;
	ci->arn = sf_xasprintf(
	    "arn:aws:bedrock-agentcore:%s:%s:code-interpreter-custom/%s",
	    s->region, s->account, id);
	ci->name = sf_xstrdup(name);
	ci->description = desc ? sf_xstrdup(desc) : NULL;
	ci->role_arn = role ? sf_xstrdup(role) : NULL;
	ci->network_mode = sf_xstrdup(mode);
	ci->network = net;
	ci->certificates = certs;
	ci->filesystems = fs;
	net = certs = fs = NULL;
	ci->tags = tags ? json_deep_copy(tags) : json_object();
	ci->status = SF_CI_CREATING;
	ci->created_at = ci->updated_at = c->now;
	ci->due_at = c->now + s->reg.transition_ms;
	ci->create_token = token ? sf_xstrdup(token) : NULL;
	ci->create_hash = token ? sf_xstrdup(hash) : NULL;
	sf_local_registry_add_ci(&s->reg, ci);
	sf_local_registry_due(&s->reg, ci->due_at);
	ans = json_pack("{s:s, s:s, s:o, s:s}", "codeInterpreterId", ci->id,
	    "codeInterpreterArn", ci->arn, "createdAt",
	    time_json(ci->created_at), "status", "CREATING");
	idem_keep(c, token, hash, 202, ans);
	id = sf_xstrdup(ci->id);
	sf_local_ctx_end(c);
	/* Durable before it is answered. */
	if (sf_local_registry_persist_ci(&s->reg, id, &err)) {
		sf_local_registry_lock(&s->reg);
		sf_local_registry_drop_ci(&s->reg, id);
		if (token)
			sf_local_registry_idem_drop(&s->reg, c->op_name, token);
		sf_local_registry_unlock(&s->reg);
		json_decref(ans);
		sf_local_reply_error(c, 500, "InternalServerException",
		    "cannot record the code interpreter: %s", err.msg);
	} else {
		sf_local_reply_json(c, 202, ans);
	}
	free(id);
	return;
out:
	json_decref(net);
	json_decref(certs);
	json_decref(fs);
}

static bool
check_ci_id(struct sf_local_ctx *c, const char *id)
{
	struct sf_local_vctx v;
	bool bad;

	sf_local_v_init(&v);
	sf_local_v_pattern(&v, "codeInterpreterId", id, SF_PAT_CI_ID, false);
	bad = sf_local_v_reply(&v, c);
	sf_local_v_release(&v);
	return !bad;
}

void
sf_local_op_get(struct sf_local_ctx *c)
{
	const char *id = c->labels[0];
	struct sf_local_ci *ci;

	if (!check_ci_id(c, id))
		return;
	sf_local_ctx_begin(c);
	ci = sf_local_registry_ci(&c->s->reg, id);
	if (!ci)
		ci_not_found(c, id);
	else
		sf_local_reply_json(c, 200, sf_local_ci_get_json(ci));
}

/* A query integer, strictly; INT64_MIN when absent. */
static int64_t
query_int(struct sf_local_vctx *v, struct sf_local_ctx *c, const char *key)
{
	const char *s = sf_local_ctx_query(c, key);
	char *end;
	long long n;

	if (!s)
		return INT64_MIN;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (!*s || *end || errno || (*s != '-' && (*s < '0' || *s > '9'))) {
		v->cannot_parse = true;
		sf_local_v_fail(v, key,
		    "Value '%.64s' at '%s' failed to satisfy constraint: "
		    "Member "
		    "must be an integer",
		    s, key);
		return DEFAULT_MAX_RESULTS;
	}
	return n;
}

void
sf_local_op_list(struct sf_local_ctx *c)
{
	struct sf_local_registry *r = &c->s->reg;
	struct sf_local_vctx v;
	const char *token = sf_local_ctx_query(c, "nextToken");
	const char *type = sf_local_ctx_query(c, "type");
	int64_t max;
	char *prefix, *after = NULL;
	json_t *items, *ans;
	size_t i;

	sf_local_v_init(&v);
	max = query_int(&v, c, "maxResults");
	check_paging(&v, token, &max);
	if (type)
		sf_local_v_enum(&v, "type", type, resource_types,
		    SF_ARRAY_LEN(resource_types));
	if (sf_local_v_reply(&v, c)) {
		sf_local_v_release(&v);
		return;
	}
	sf_local_v_release(&v);
	if (!type)
		type = "CUSTOM";
	prefix = sf_xasprintf("ListCodeInterpreters|%s|", type);
	if (token && !(after = token_after(token, prefix))) {
		bad_token(c);
		free(prefix);
		return;
	}
	items = json_array();
	ans = json_object();
	sf_local_ctx_begin(c);
	if (!strcmp(type, "SYSTEM")) {
		if (!after)
			json_array_append_new(
			    items, sf_local_ci_summary_json(r->system));
	} else {
		for (i = 0; i < r->nci; i++) {
			if (after && strcmp(r->ci[i]->id, after) <= 0)
				continue;
			if ((int64_t)json_array_size(items) == max) {
				char *t = sf_xasprintf(
				    "%s%s", prefix, r->ci[i - 1]->id);
				char *enc = token_encode(t);

				json_object_set_new(
				    ans, "nextToken", json_string(enc));
				free(enc);
				free(t);
				break;
			}
			json_array_append_new(
			    items, sf_local_ci_summary_json(r->ci[i]));
		}
	}
	json_object_set_new(ans, "codeInterpreterSummaries", items);
	sf_local_reply_json(c, 200, ans);
	free(after);
	free(prefix);
}

void
sf_local_op_delete(struct sf_local_ctx *c)
{
	struct sf_local_server *s = c->s;
	const char *id = c->labels[0];
	const char *token = sf_local_ctx_query(c, "clientToken");
	struct sf_local_vctx v;
	struct sf_local_ci *ci;
	char hash[65];
	json_t *ans;
	size_t i;

	sf_local_v_init(&v);
	sf_local_v_pattern(&v, "codeInterpreterId", id, SF_PAT_CI_ID, false);
	if (token)
		sf_local_v_client_token(&v, "clientToken", token);
	if (sf_local_v_reply(&v, c)) {
		sf_local_v_release(&v);
		return;
	}
	sf_local_v_release(&v);
	request_hash(hash, &id, 1, NULL);
	sf_local_ctx_begin(c);
	if (idem_replay(c, token, hash))
		return;
	ci = sf_local_registry_ci(&s->reg, id);
	if (ci && ci->system) {
		sf_local_reply_validation(c, "FieldValidationFailed",
		    "codeInterpreterId",
		    "The built-in code interpreter %s cannot be deleted", id);
		return;
	}
	if (!ci) {
		ci_not_found(c, id);
		return;
	}
	if (ci->status != SF_CI_DELETING) {
		ci->status = SF_CI_DELETING;
		ci->updated_at = c->now;
		ci->due_at = c->now + s->reg.transition_ms;
		sf_local_registry_due(&s->reg, ci->due_at);
		sf_local_strv_push(&c->ci_ids, ci->id);
		/* Its sessions end now. */
		for (i = 0; i < s->reg.nsess; i++) {
			struct sf_local_session *x = s->reg.sess[i];

			if (strcmp(x->ci_id, ci->id) || x->terminated)
				continue;
			sf_local_registry_end_session(&s->reg, x, c->now);
			sf_local_strv_push(&c->sess_ids, x->id);
			if (x->starting)
				x->stop_pending = true;
			else
				sf_local_stopv_take(&c->stop, x);
		}
	}
	ans = json_pack("{s:s, s:s, s:o}", "codeInterpreterId", ci->id,
	    "status", "DELETING", "lastUpdatedAt", time_json(ci->updated_at));
	idem_keep(c, token, hash, 202, ans);
	sf_local_reply_json(c, 202, ans);
}

/* The interpreter a taggable ARN names; answers and returns NULL if none. */
static struct sf_local_ci *
tag_target(struct sf_local_ctx *c, struct sf_local_vctx *v)
{
	const char *arn = c->labels[0];
	struct sf_local_ci *ci;

	if (sf_local_v_length(v, "resourceArn", arn, 20, 1011, false))
		sf_local_v_pattern(
		    v, "resourceArn", arn, SF_PAT_TAGGABLE_ARN, false);
	if (sf_local_v_reply(v, c))
		return NULL;
	sf_local_ctx_begin(c);
	ci = sf_local_registry_ci_by_arn(&c->s->reg, arn);
	if (!ci || ci->system) {
		sf_local_not_found(c, "Resource %s not found", arn);
		return NULL;
	}
	return ci;
}

void
sf_local_op_tag(struct sf_local_ctx *c)
{
	struct sf_local_vctx v;
	struct sf_local_ci *ci;
	json_t *tags, *merged;

	sf_local_v_init(&v);
	tags = sf_local_v_obj(&v, c->body, "tags", "tags", true);
	check_tags(&v, tags, "tags");
	if ((ci = tag_target(c, &v))) {
		merged = json_deep_copy(ci->tags);
		json_object_update(merged, tags);
		if (json_object_size(merged) > 50) {
			sf_local_reply_validation(c, "FieldValidationFailed",
			    "tags",
			    "The resource would have %zu tags; at most 50 are "
			    "allowed",
			    json_object_size(merged));
			json_decref(merged);
		} else {
			json_decref(ci->tags);
			ci->tags = merged;
			ci->updated_at = c->now;
			sf_local_strv_push(&c->ci_ids, ci->id);
			sf_local_reply_json(c, 204, NULL);
		}
	}
	sf_local_v_release(&v);
}

void
sf_local_op_untag(struct sf_local_ctx *c)
{
	struct sf_local_vctx v;
	struct sf_local_ci *ci;
	size_t i, n = 0;

	sf_local_v_init(&v);
	for (i = 0; i < c->nq; i++)
		if (!strcmp(c->q[i].key, "tagKeys")) {
			check_tag_key(&v, "tagKeys", c->q[i].value);
			n++;
		}
	if (n > 200)
		sf_local_v_fail(&v, "tagKeys",
		    "Value at 'tagKeys' failed to satisfy constraint: Member "
		    "must have length less than or equal to 200");
	if ((ci = tag_target(c, &v))) {
		for (i = 0; i < c->nq; i++)
			if (!strcmp(c->q[i].key, "tagKeys"))
				json_object_del(ci->tags, c->q[i].value);
		sf_local_strv_push(&c->ci_ids, ci->id);
		sf_local_reply_json(c, 204, NULL);
	}
	sf_local_v_release(&v);
}

void
sf_local_op_list_tags(struct sf_local_ctx *c)
{
	struct sf_local_vctx v;
	struct sf_local_ci *ci;

	sf_local_v_init(&v);
	if ((ci = tag_target(c, &v)))
		sf_local_reply_json(
		    c, 200, json_pack("{s:O}", "tags", ci->tags));
	sf_local_v_release(&v);
}

/* ---- data plane ---- */

void
sf_local_op_start(struct sf_local_ctx *c)
{
	struct sf_local_server *s = c->s;
	const char *ident = c->labels[0], *name, *token;
	struct sf_local_vctx v;
	struct sf_local_ci *ci;
	struct sf_local_session *x;
	struct sf_backend_session_opts bo;
	struct sf_backend_session *bs = NULL;
	struct sf_err err;
	int64_t timeout = DEFAULT_TIMEOUT_S;
	json_t *certs, *fs, *ans;
	char hash[65], sid[27];
	int rc;

	sf_local_v_init(&v);
	check_trace_headers(&v, c);
	name = sf_local_v_str(&v, c->body, "name", "name", false);
	if (name)
		sf_local_v_length(&v, "name", name, 1, 100, false);
	if (sf_local_v_int(&v, c->body, "sessionTimeoutSeconds",
	        "sessionTimeoutSeconds", &timeout))
		sf_local_v_range(
		    &v, "sessionTimeoutSeconds", timeout, 1, MAX_TIMEOUT_S);
	certs = check_certificates(&v, c->body);
	fs = check_filesystems(&v, c->body);
	token = v_client_token(&v, c->body);
	if (sf_local_v_reply(&v, c)) {
		json_decref(certs);
		json_decref(fs);
		sf_local_v_release(&v);
		return;
	}
	sf_local_v_release(&v);
	request_hash(hash, &ident, 1, c->body);

	sf_local_ctx_begin(c);
	if (idem_replay(c, token, hash))
		goto fail;
	ci = find_ci(c, ident);
	if (!ci) {
		ci_not_found(c, ident);
		goto fail;
	}
	if (ci->status != SF_CI_READY) {
		sf_local_conflict(c, "Code interpreter %s is %s, not READY",
		    ci->id, sf_local_ci_status_name(ci->status));
		goto fail;
	}
	if (sf_local_registry_active_sessions(&s->reg) >= s->max_sessions) {
		sf_local_reply_error(c, 402, "ServiceQuotaExceededException",
		    "The account has reached its quota of %zu active "
		    "sessions",
		    s->max_sessions);
		goto fail;
	}
	do
		new_session_id(s, c->now, sid);
	while (sf_local_registry_session(&s->reg, sid));
	x = sf_xcalloc(1, sizeof(*x));
	memcpy(x->id, sid, sizeof(sid));
	x->ci_id = sf_xstrdup(ci->id);
	x->name = name ? sf_xstrdup(name) : NULL;
	x->network_mode = sf_xstrdup(ci->network_mode);
	x->timeout_s = timeout;
	x->created_at = x->updated_at = c->now;
	x->expires_at = c->now + timeout * 1000;
	x->certificates = certs;
	x->filesystems = fs;
	certs = fs = NULL;
	x->starting = true;
	x->work_dir = s->work_dir ? sf_fs_join(s->work_dir, sid) : NULL;
	sf_local_registry_add_session(&s->reg, x);
	if (token)
		sf_local_registry_idem_add(
		    &s->reg, c->op_name, token, hash, c->now);
	memset(&bo, 0, sizeof(bo));
	bo.session_id = sid;
	bo.interpreter_id = x->ci_id;
	bo.network_mode = x->network_mode;
	bo.timeout_s = timeout;
	bo.work_dir = x->work_dir;
	bo.limits = s->limits;
	/* Start the sandbox without the lock: it takes a while. */
	sf_local_ctx_end(c);

	if (bo.work_dir && mkdir(bo.work_dir, 0700) < 0 && errno != EEXIST)
		rc = sf_error(&err, SF_ERROR, bo.work_dir,
		    "cannot create the workspace: %s", strerror(errno));
	else if (!s->backend.ops || !s->backend.ops->start)
		rc = sf_error(&err, SF_ERROR, "backend",
		    "this server has no backend to run sessions");
	else
		rc = s->backend.ops->start(s->backend.ctx, &bo, &bs, &err);

	sf_local_ctx_begin(c);
	x = sf_local_registry_session(&s->reg, sid);
	if (rc) {
		if (bo.work_dir)
			sf_local_rmtree(bo.work_dir);
		sf_local_registry_drop_session(&s->reg, sid);
		if (token)
			sf_local_registry_idem_drop(&s->reg, c->op_name, token);
		reply_backend_error(c, &err);
		return;
	}
	x->bs = bs;
	x->starting = false;
	ci = sf_local_registry_ci(&s->reg, x->ci_id);
	if (!x->terminated && (!ci || ci->status != SF_CI_READY))
		sf_local_registry_end_session(&s->reg, x, c->now);
	if (x->terminated)
		sf_local_stopv_take(&c->stop, x);
	ans =
	    json_pack("{s:s, s:s, s:o}", "codeInterpreterIdentifier", x->ci_id,
	        "sessionId", x->id, "createdAt", time_json(x->created_at));
	idem_keep(c, token, hash, 200, ans);
	sf_local_strv_push(&c->sess_ids, x->id);
	sf_local_reply_json(c, 200, ans);
	return;
fail:
	json_decref(certs);
	json_decref(fs);
}

/* The session named by the query's sessionId on the label's interpreter;
 * answers and returns NULL when there is none. Takes the lock. */
static struct sf_local_session *
find_session(struct sf_local_ctx *c, const char *sid)
{
	const char *ident = c->labels[0];
	struct sf_local_ci *ci;
	struct sf_local_session *x;

	sf_local_ctx_begin(c);
	ci = find_ci(c, ident);
	if (!ci) {
		ci_not_found(c, ident);
		return NULL;
	}
	x = sf_local_registry_session(&c->s->reg, sid);
	if (!x || x->starting || strcmp(x->ci_id, ci->id)) {
		sf_local_not_found(
		    c, "Session %s not found on %s", sid, ci->id);
		return NULL;
	}
	return x;
}

static const char *
check_session_id(struct sf_local_vctx *v, const char *sid)
{
	if (!sid) {
		sf_local_v_required(v, "sessionId");
		return NULL;
	}
	return sf_local_v_pattern(v, "sessionId", sid, SF_PAT_SESSION_ID, false)
	           ? sid
	           : NULL;
}

void
sf_local_op_get_session(struct sf_local_ctx *c)
{
	struct sf_local_vctx v;
	struct sf_local_session *x;
	const char *sid;

	sf_local_v_init(&v);
	sid = check_session_id(&v, sf_local_ctx_query(c, "sessionId"));
	if (sf_local_v_reply(&v, c)) {
		sf_local_v_release(&v);
		return;
	}
	sf_local_v_release(&v);
	if ((x = find_session(c, sid)))
		sf_local_reply_json(c, 200, sf_local_session_json(x, true));
}

void
sf_local_op_list_sessions(struct sf_local_ctx *c)
{
	struct sf_local_registry *r = &c->s->reg;
	const char *ident = c->labels[0], *token, *status;
	struct sf_local_vctx v;
	struct sf_local_ci *ci;
	int64_t max = INT64_MIN;
	char *prefix, *after = NULL, *last = NULL;
	json_t *items, *ans;
	size_t i;

	sf_local_v_init(&v);
	sf_local_v_int(&v, c->body, "maxResults", "maxResults", &max);
	token = sf_local_v_str(&v, c->body, "nextToken", "nextToken", false);
	check_paging(&v, token, &max);
	status = sf_local_v_str(&v, c->body, "status", "status", false);
	if (status)
		sf_local_v_enum(&v, "status", status, session_states,
		    SF_ARRAY_LEN(session_states));
	if (sf_local_v_reply(&v, c)) {
		sf_local_v_release(&v);
		return;
	}
	sf_local_v_release(&v);
	sf_local_ctx_begin(c);
	ci = find_ci(c, ident);
	if (!ci) {
		ci_not_found(c, ident);
		return;
	}
	prefix = sf_xasprintf(
	    "ListCodeInterpreterSessions|%s|%s|", ci->id, status ? status : "");
	if (token && !(after = token_after(token, prefix))) {
		bad_token(c);
		free(prefix);
		return;
	}
	items = json_array();
	ans = json_object();
	for (i = 0; i < r->nsess; i++) {
		struct sf_local_session *x = r->sess[i];

		if (x->starting || strcmp(x->ci_id, ci->id))
			continue;
		if (status &&
		    strcmp(status, x->terminated ? "TERMINATED" : "READY"))
			continue;
		if (after && strcmp(x->id, after) <= 0)
			continue;
		if ((int64_t)json_array_size(items) == max) {
			char *t = sf_xasprintf("%s%s", prefix, last);
			char *enc = token_encode(t);

			json_object_set_new(ans, "nextToken", json_string(enc));
			free(enc);
			free(t);
			break;
		}
		json_array_append_new(items, sf_local_session_json(x, false));
		last = x->id;
	}
	json_object_set_new(ans, "items", items);
	sf_local_reply_json(c, 200, ans);
	free(after);
	free(prefix);
}

void
sf_local_op_stop(struct sf_local_ctx *c)
{
	struct sf_local_vctx v;
	struct sf_local_session *x;
	const char *sid, *token, *labels[2];
	char hash[65];
	json_t *ans;

	sf_local_v_init(&v);
	check_trace_headers(&v, c);
	sid = check_session_id(&v, sf_local_ctx_query(c, "sessionId"));
	token = v_client_token(&v, c->body);
	if (sf_local_v_reply(&v, c)) {
		sf_local_v_release(&v);
		return;
	}
	sf_local_v_release(&v);
	labels[0] = c->labels[0];
	labels[1] = sid;
	request_hash(hash, labels, 2, NULL);
	sf_local_ctx_begin(c);
	if (idem_replay(c, token, hash))
		return;
	sf_local_ctx_end(c);
	if (!(x = find_session(c, sid)))
		return;
	if (!x->terminated) {
		sf_local_registry_end_session(&c->s->reg, x, c->now);
		sf_local_strv_push(&c->sess_ids, x->id);
		/* Kills what runs, a tool call too (it answers then). */
		sf_local_stopv_take(&c->stop, x);
	}
	ans =
	    json_pack("{s:s, s:s, s:o}", "codeInterpreterIdentifier", x->ci_id,
	        "sessionId", x->id, "lastUpdatedAt", time_json(x->updated_at));
	idem_keep(c, token, hash, 200, ans);
	sf_local_reply_json(c, 200, ans);
}

static void
check_arguments(struct sf_local_vctx *v, json_t *a)
{
	const char *str_members[] = { "code", "command", "path",
		"directoryPath", "taskId" };
	json_t *paths, *content, *x;
	const char *s;
	size_t i;
	bool b;

	if (!a)
		return;
	for (i = 0; i < SF_ARRAY_LEN(str_members); i++) {
		char *f = sf_xasprintf("arguments.%s", str_members[i]);

		sf_local_v_str(v, a, str_members[i], f, false);
		free(f);
	}
	if ((s = sf_local_v_str(v, a, "language", "arguments.language", false)))
		sf_local_v_enum(v, "arguments.language", s, languages,
		    SF_ARRAY_LEN(languages));
	if ((s = sf_local_v_str(v, a, "runtime", "arguments.runtime", false)))
		sf_local_v_enum(v, "arguments.runtime", s, runtimes,
		    SF_ARRAY_LEN(runtimes));
	sf_local_v_bool(v, a, "clearContext", "arguments.clearContext", &b);
	if ((paths = sf_local_v_arr(v, a, "paths", "arguments.paths", false))) {
		json_array_foreach(paths, i, x)
		{
			if (!json_is_string(x)) {
				v->cannot_parse = true;
				sf_local_v_fail(v, "arguments.paths",
				    "Value at 'arguments.paths[%zu]' must be a "
				    "string",
				    i);
			}
		}
	}
	if ((content = sf_local_v_arr(
	         v, a, "content", "arguments.content", false))) {
		json_array_foreach(content, i, x)
		{
			char *f = sf_xasprintf("arguments.content[%zu]", i);
			char *fp = sf_xasprintf("%s.path", f);
			char *ft = sf_xasprintf("%s.text", f);
			char *fb = sf_xasprintf("%s.blob", f);

			if (!json_is_object(x)) {
				v->cannot_parse = true;
				sf_local_v_fail(
				    v, f, "Value at '%s' must be an object", f);
			} else {
				sf_local_v_str(v, x, "path", fp, true);
				sf_local_v_str(v, x, "text", ft, false);
				if ((s = sf_local_v_str(
				         v, x, "blob", fb, false))) {
					size_t k, n = strlen(s);

					for (k = 0; k < n; k++)
						if (!strchr(b64url, s[k]) &&
						    !strchr("+/=\r\n", s[k]))
							break;
					if (k < n || n % 4 == 1) {
						v->cannot_parse = true;
						sf_local_v_fail(v, fb,
						    "Value at '%s' is not "
						    "base64",
						    fb);
					}
				}
			}
			free(f);
			free(fp);
			free(ft);
			free(fb);
		}
	}
}

static const char *
exception_member(enum sf_code code)
{
	switch (code) {
	case SF_EINVALID:
		return "validationException";
	case SF_ENOTFOUND:
		return "resourceNotFoundException";
	case SF_ECONFLICT:
		return "conflictException";
	default:
		return "internalServerException";
	}
}

/* An exception frame; the error shape's JSON as payload. */
static void
stream_exception(struct sf_buf *out, enum sf_code code, const char *msg)
{
	json_t *j = json_pack("{s:s}", "message", msg);
	char *text;

	if (code == SF_EINVALID) {
		json_object_set_new(
		    j, "reason", json_string("FieldValidationFailed"));
		json_object_set_new(j, "fieldList", json_array());
	}
	text = json_dumps(j, JSON_COMPACT);
	if (sf_es_encode_exception(
	        out, exception_member(code), text, strlen(text), NULL))
		sf_die("local: cannot encode an exception frame");
	free(text);
	json_decref(j);
}

void
sf_local_op_invoke(struct sf_local_ctx *c)
{
	struct sf_local_server *s = c->s;
	struct sf_local_vctx v;
	struct sf_local_session *x;
	struct sf_backend_session *bs;
	const char *tool, *sid;
	json_t *args, *result = NULL;
	struct sf_err err;
	struct sf_buf stream = SF_BUF_INIT;
	int rc;

	sf_local_v_init(&v);
	check_trace_headers(&v, c);
	sid = check_session_id(
	    &v, sf_local_ctx_header(c, "x-amzn-code-interpreter-session-id"));
	tool = sf_local_v_str(&v, c->body, "name", "name", true);
	if (tool)
		sf_local_v_enum(
		    &v, "name", tool, tool_names, SF_ARRAY_LEN(tool_names));
	args = sf_local_v_obj(&v, c->body, "arguments", "arguments", false);
	check_arguments(&v, args);
	if (sf_local_v_reply(&v, c)) {
		sf_local_v_release(&v);
		return;
	}
	sf_local_v_release(&v);
	if (!(x = find_session(c, sid)))
		return;
	if (x->terminated || !x->bs) {
		sf_local_not_found(c, "Session %s is TERMINATED", sid);
		return;
	}
	x->inflight++;
	bs = x->bs;
	sf_local_ctx_end(c);

	memset(&err, 0, sizeof(err));
	if (!args)
		args = json_object();
	else
		json_incref(args);
	rc = s->backend.ops->invoke(bs, tool, args, &result, &err);
	json_decref(args);

	sf_local_ctx_begin(c);
	if ((x = sf_local_registry_session(&s->reg, sid)))
		x->inflight--;
	sf_local_ctx_end(c);

	if (rc == SF_OK &&
	    (!json_is_object(result) ||
	        !json_is_array(json_object_get(result, "content")))) {
		rc = sf_error(&err, SF_ERROR, "backend",
		    "the tool's result is not a CodeInterpreterResult");
	}
	if (rc == SF_OK) {
		char *text = json_dumps(result, JSON_COMPACT);

		if (!text ||
		    sf_es_encode_result(&stream, text, strlen(text), &err))
			stream_exception(&stream, SF_ERROR,
			    "The result is larger than an event may be");
		free(text);
	} else {
		stream_exception(
		    &stream, err.code ? err.code : SF_ERROR, err.msg);
	}
	json_decref(result);
	c->resp->status = 200;
	sf_buf_reset(&c->resp->body);
	sf_buf_add(&c->resp->body, stream.buf, stream.len);
	sf_buf_release(&stream);
	sf_local_reply_header(
	    c->resp, "Content-Type", "application/vnd.amazon.eventstream");
	sf_local_reply_header(
	    c->resp, "x-amzn-code-interpreter-session-id", sid);
}

void
sf_local_op_status(struct sf_local_ctx *c)
{
	struct sf_local_server *s = c->s;
	struct sf_local_stats st;
	char started[32];

	sf_local_server_stats(s, &st);
	sf_local_time_format(started, st.started_at);
	sf_local_reply_json(c, 200,
	    json_pack("{s:I, s:s?, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, "
	              "s:s, s:b, s:I}",
	        "pid", (json_int_t)getpid(), "dataDir", s->data_dir, "region",
	        s->region, "account", s->account, "startedAt", started,
	        "uptimeMs", (json_int_t)(c->now - st.started_at),
	        "interpreters", (json_int_t)st.interpreters, "sessionsActive",
	        (json_int_t)st.sessions_active, "sessionsTotal",
	        (json_int_t)st.sessions_total, "requests",
	        (json_int_t)st.requests, "backend",
	        sf_local_server_backend_describe(s), "rateLimits",
	        s->rate_limits, "port", (json_int_t)s->port));
}
