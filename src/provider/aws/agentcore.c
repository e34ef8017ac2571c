/*
 * rest-json for AgentCore, exactly as ../shared/spec says: methods, URIs
 * with percent-encoded labels, query strings, bodies only where the
 * operation has body members, RFC 3339 timestamps, idempotency tokens.
 */
#include <fcntl.h>
#include <jansson.h>
#include <unistd.h>

#include "provider/aws/agentcore.h"
#include "provider/aws/eventstream.h"
#include "util/time.h"

struct agentcore {
	struct sf_provider p;
	volatile sig_atomic_t *interrupted;
	struct sf_aws_client *client;
	struct sf_creds_chain *creds;
	struct sf_endpoints endpoints;
	char *region;
};

static struct agentcore *
impl(struct sf_provider *p)
{
	return p->impl;
}

struct sf_aws_client *
sf_agentcore_client(struct sf_provider *p)
{
	return impl(p)->client;
}

/* ---- small things ---- */

static char *
dup_json_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? sf_xstrdup(s) : NULL;
}

static int64_t
time_of(const char *s)
{
	int64_t ms;

	return sf_time_parse(s, &ms) == SF_OK ? ms : -1;
}

static int64_t
json_time(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		return time_of(json_string_value(v));
	if (json_is_number(v)) /* epoch seconds, should a server send them */
		return (int64_t)(json_number_value(v) * 1000.0);
	return 0;
}

static void
json_strs(json_t *arr, struct sf_strs *out)
{
	size_t i;
	json_t *v;

	memset(out, 0, sizeof(*out));
	if (!json_is_array(arr) || !json_array_size(arr))
		return;
	out->v = sf_xcalloc(json_array_size(arr), sizeof(*out->v));
	json_array_foreach(arr, i, v)
	{
		if (json_is_string(v))
			out->v[out->n++] = sf_xstrdup(json_string_value(v));
	}
}

/* The page token of a list answer; NULL on the last page. */
static char *
next_token(json_t *j)
{
	const char *t = json_string_value(json_object_get(j, "nextToken"));

	return t && *t ? sf_xstrdup(t) : NULL;
}

static json_t *
parse_body(const struct sf_aws_response *r, const char *op, struct sf_err *err)
{
	json_error_t je;
	json_t *j;

	if (!r->body.len)
		return json_object();
	j = json_loadb(r->body.buf, r->body.len, 0, &je);
	if (!json_is_object(j)) {
		json_decref(j);
		sf_error(err, SF_EREMOTE, op,
		    "the answer is not a JSON object: %s (request id %s)",
		    je.text, r->request_id[0] ? r->request_id : "none");
		return NULL;
	}
	return j;
}

/* Run one call and parse its JSON answer into *out (caller decrefs). */
static int
call_json(struct agentcore *a, struct sf_aws_request *req, json_t **out,
    struct sf_err *err)
{
	struct sf_aws_response resp;
	int rc;

	memset(&resp, 0, sizeof(resp));
	rc = sf_aws_call(a->client, req, &resp, err);
	sf_http_headers_release(&req->headers);
	if (rc == SF_OK && out &&
	    !(*out = parse_body(&resp, req->operation, err)))
		rc = SF_EREMOTE;
	sf_aws_response_release(&resp);
	return rc;
}

static char *
body_dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	if (!s)
		sf_die("out of memory writing JSON");
	json_decref(j);
	return s;
}

/* /code-interpreters/{id}<rest>, the label percent-encoded. */
static char *
ci_path(const char *id, const char *rest)
{
	struct sf_buf b = SF_BUF_INIT;

	sf_buf_adds(&b, "/code-interpreters/");
	sf_http_uri_encode(&b, id);
	sf_buf_adds(&b, rest);
	return sf_buf_detach(&b, NULL);
}

/* ---- control plane ---- */

static void
read_ci(json_t *j, struct sf_ci *ci)
{
	json_t *net = json_object_get(j, "networkConfiguration");
	json_t *vpc = json_object_get(net, "vpcConfig");
	json_t *certs = json_object_get(j, "certificates");
	size_t i;
	json_t *c;

	memset(ci, 0, sizeof(*ci));
	ci->id = dup_json_str(j, "codeInterpreterId");
	ci->arn = dup_json_str(j, "codeInterpreterArn");
	ci->name = dup_json_str(j, "name");
	ci->description = dup_json_str(j, "description");
	ci->status = dup_json_str(j, "status");
	ci->failure_reason = dup_json_str(j, "failureReason");
	ci->execution_role_arn = dup_json_str(j, "executionRoleArn");
	ci->network_mode = dup_json_str(net, "networkMode");
	json_strs(json_object_get(vpc, "subnets"), &ci->subnets);
	json_strs(json_object_get(vpc, "securityGroups"), &ci->security_groups);
	if (json_is_array(certs) && json_array_size(certs)) {
		ci->certificates.v =
		    sf_xcalloc(json_array_size(certs), sizeof(char *));
		json_array_foreach(certs, i, c)
		{
			const char *arn = json_string_value(json_object_get(
			    json_object_get(json_object_get(c, "location"),
			        "secretsManager"),
			    "secretArn"));

			if (arn)
				ci->certificates.v[ci->certificates.n++] =
				    sf_xstrdup(arn);
		}
	}
	ci->created_at = json_time(j, "createdAt");
	ci->last_updated_at = json_time(j, "lastUpdatedAt");
}

static int
ac_list_interpreters(
    struct sf_provider *p, struct sf_ci_list *out, struct sf_err *err)
{
	struct agentcore *a = impl(p);
	char *token = NULL;
	size_t alloc = 0;
	int rc = SF_OK;

	memset(out, 0, sizeof(*out));
	do {
		struct sf_aws_request req;
		struct sf_buf q = SF_BUF_INIT;
		json_t *j = NULL, *items, *it;
		size_t i;

		/* Query members sorted by name, as SDKs send them. */
		sf_buf_adds(&q, "maxResults=100");
		if (token) {
			sf_buf_adds(&q, "&nextToken=");
			sf_http_uri_encode(&q, token);
		}
		memset(&req, 0, sizeof(req));
		req.operation = "ListCodeInterpreters";
		req.plane = SF_AWS_CONTROL;
		req.method = "POST";
		req.path = "/code-interpreters";
		req.query = q.buf;
		req.idempotent = true;
		rc = call_json(a, &req, &j, err);
		sf_buf_release(&q);
		free(token);
		token = NULL;
		if (rc)
			break;
		out->pages++;
		items = json_object_get(j, "codeInterpreterSummaries");
		json_array_foreach(items, i, it)
		{
			SF_ALLOC_GROW(out->v, out->n + 1, alloc);
			read_ci(it, &out->v[out->n++]);
		}
		token = next_token(j);
		json_decref(j);
	} while (token && out->pages < 10000);
	free(token);
	if (rc)
		sf_ci_list_release(out);
	return rc;
}

static json_t *
str_array(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static char *
tags_path(const char *arn)
{
	struct sf_buf b = SF_BUF_INIT;

	sf_buf_adds(&b, "/tags/");
	sf_http_uri_encode(&b, arn);
	return sf_buf_detach(&b, NULL);
}

/*
 * One request, built once and owned here, so that a single call and a
 * batch of them share every detail of the wire format.
 */
struct op {
	struct sf_aws_request req;
	char *path, *query, *body;
	char token[37];
};

static void
op_release(struct op *o)
{
	sf_http_headers_release(&o->req.headers);
	free(o->path);
	free(o->query);
	free(o->body);
	memset(o, 0, sizeof(*o));
}

static void
op_init(struct op *o, const char *operation, enum sf_aws_plane plane,
    const char *method)
{
	memset(o, 0, sizeof(*o));
	o->req.operation = operation;
	o->req.plane = plane;
	o->req.method = method;
	o->req.idempotent = true;
}

static void
op_finish(struct op *o)
{
	o->req.path = o->path;
	o->req.query = o->query;
	o->req.body = o->body;
}

static void
op_get(struct op *o, const char *id)
{
	op_init(o, "GetCodeInterpreter", SF_AWS_CONTROL, "GET");
	o->path = ci_path(id, "");
	op_finish(o);
}

static void
op_create(struct op *o, const struct sf_ci_spec *s)
{
	json_t *body = json_object(), *net = json_object();
	size_t i;

	op_init(o, "CreateCodeInterpreter", SF_AWS_CONTROL, "PUT");
	json_object_set_new(body, "name", json_string(s->name));
	if (s->description)
		json_object_set_new(
		    body, "description", json_string(s->description));
	if (s->execution_role_arn)
		json_object_set_new(body, "executionRoleArn",
		    json_string(s->execution_role_arn));
	json_object_set_new(net, "networkMode", json_string(s->network_mode));
	if (s->nsubnets || s->nsecurity_groups)
		json_object_set_new(net, "vpcConfig",
		    json_pack("{s:o, s:o}", "securityGroups",
		        str_array(s->security_groups, s->nsecurity_groups),
		        "subnets", str_array(s->subnets, s->nsubnets)));
	json_object_set_new(body, "networkConfiguration", net);
	if (s->ncertificates) {
		json_t *certs = json_array();

		for (i = 0; i < s->ncertificates; i++)
			json_array_append_new(
			    certs, json_pack("{s:{s:{s:s}}}", "location",
			               "secretsManager", "secretArn",
			               s->certificates[i]));
		json_object_set_new(body, "certificates", certs);
	}
	if (s->ntags) {
		json_t *tags = json_object();

		for (i = 0; i < s->ntags; i++)
			json_object_set_new(tags, s->tags[i].key,
			    json_string(s->tags[i].value));
		json_object_set_new(body, "tags", tags);
	}
	if (!s->client_token)
		sf_uuid4(o->token);
	json_object_set_new(body, "clientToken",
	    json_string(s->client_token ? s->client_token : o->token));
	o->path = sf_xstrdup("/code-interpreters");
	/* The client token makes a retry harmless. */
	o->body = body_dump(body);
	op_finish(o);
}

static void
op_delete(struct op *o, const char *id, const char *client_token)
{
	struct sf_buf q = SF_BUF_INIT;

	op_init(o, "DeleteCodeInterpreter", SF_AWS_CONTROL, "DELETE");
	if (!client_token)
		sf_uuid4(o->token);
	sf_buf_adds(&q, "clientToken=");
	sf_http_uri_encode(&q, client_token ? client_token : o->token);
	o->path = ci_path(id, "");
	o->query = sf_buf_detach(&q, NULL);
	op_finish(o);
}

static void
op_tag(struct op *o, const char *arn, const struct sf_kv *tags, size_t n)
{
	json_t *t = json_object();
	size_t i;

	op_init(o, "TagResource", SF_AWS_CONTROL, "POST");
	for (i = 0; i < n; i++)
		json_object_set_new(t, tags[i].key, json_string(tags[i].value));
	o->path = tags_path(arn);
	o->body = body_dump(json_pack("{s:o}", "tags", t));
	op_finish(o);
}

static void
op_untag(struct op *o, const char *arn, const char *const *keys, size_t n)
{
	struct sf_buf q = SF_BUF_INIT;
	size_t i;

	op_init(o, "UntagResource", SF_AWS_CONTROL, "DELETE");
	for (i = 0; i < n; i++) {
		sf_buf_adds(&q, i ? "&tagKeys=" : "tagKeys=");
		sf_http_uri_encode(&q, keys[i]);
	}
	o->path = tags_path(arn);
	o->query = sf_buf_detach(&q, NULL);
	op_finish(o);
}

static void
op_list_sessions(struct op *o, const char *interpreter, const char *status,
    const char *token)
{
	json_t *body = json_object();

	op_init(o, "ListCodeInterpreterSessions", SF_AWS_DATA, "POST");
	json_object_set_new(body, "maxResults", json_integer(100));
	if (token)
		json_object_set_new(body, "nextToken", json_string(token));
	if (status)
		json_object_set_new(body, "status", json_string(status));
	o->path = ci_path(interpreter, "/sessions/list");
	o->body = body_dump(body);
	op_finish(o);
}

/* Run o alone; its JSON answer goes to *out when out is not NULL. */
static int
op_run(struct agentcore *a, struct op *o, json_t **out, struct sf_err *err)
{
	int rc = call_json(a, &o->req, out, err);

	op_release(o);
	return rc;
}

static int
ac_get_interpreter(struct sf_provider *p, const char *id, struct sf_ci *out,
    struct sf_err *err)
{
	struct op o;
	json_t *j = NULL;
	int rc;

	op_get(&o, id);
	if ((rc = op_run(impl(p), &o, &j, err)) == SF_OK)
		read_ci(j, out);
	json_decref(j);
	return rc;
}

static int
ac_create_interpreter(struct sf_provider *p, const struct sf_ci_spec *s,
    struct sf_ci *out, struct sf_err *err)
{
	struct op o;
	json_t *j = NULL;
	int rc;

	op_create(&o, s);
	if ((rc = op_run(impl(p), &o, &j, err)) == SF_OK && out)
		read_ci(j, out);
	json_decref(j);
	return rc;
}

static int
ac_delete_interpreter(struct sf_provider *p, const char *id,
    const char *client_token, struct sf_ci *out, struct sf_err *err)
{
	struct op o;
	json_t *j = NULL;
	int rc;

	op_delete(&o, id, client_token);
	if ((rc = op_run(impl(p), &o, &j, err)) == SF_OK && out)
		read_ci(j, out);
	json_decref(j);
	return rc;
}

static int
ac_tag(struct sf_provider *p, const char *arn, const struct sf_kv *tags,
    size_t n, struct sf_err *err)
{
	struct op o;

	op_tag(&o, arn, tags, n);
	return op_run(impl(p), &o, NULL, err);
}

static int
ac_untag(struct sf_provider *p, const char *arn, const char *const *keys,
    size_t n, struct sf_err *err)
{
	struct op o;

	op_untag(&o, arn, keys, n);
	return op_run(impl(p), &o, NULL, err);
}

static int
ac_list_tags(struct sf_provider *p, const char *arn, struct sf_kvs *out,
    struct sf_err *err)
{
	struct sf_aws_request req;
	char *path = tags_path(arn);
	json_t *j = NULL, *tags, *v;
	const char *k;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&req, 0, sizeof(req));
	req.operation = "ListTagsForResource";
	req.plane = SF_AWS_CONTROL;
	req.method = "GET";
	req.path = path;
	req.idempotent = true;
	rc = call_json(impl(p), &req, &j, err);
	free(path);
	if (rc)
		return rc;
	tags = json_object_get(j, "tags");
	if (json_object_size(tags))
		out->v = sf_xcalloc(json_object_size(tags), sizeof(*out->v));
	json_object_foreach(tags, k, v)
	{
		if (!json_is_string(v))
			continue;
		out->v[out->n].key = sf_xstrdup(k);
		out->v[out->n].value = sf_xstrdup(json_string_value(v));
		out->n++;
	}
	json_decref(j);
	return SF_OK;
}

/* ---- data plane ---- */

static void
read_session(json_t *j, struct sf_session *s)
{
	memset(s, 0, sizeof(*s));
	s->interpreter_id = dup_json_str(j, "codeInterpreterIdentifier");
	s->session_id = dup_json_str(j, "sessionId");
	s->name = dup_json_str(j, "name");
	s->status = dup_json_str(j, "status");
	s->timeout_s =
	    json_integer_value(json_object_get(j, "sessionTimeoutSeconds"));
	s->created_at = json_time(j, "createdAt");
	s->last_updated_at = json_time(j, "lastUpdatedAt");
}

static int
ac_start_session(struct sf_provider *p, const char *interpreter,
    const struct sf_session_spec *spec, struct sf_session *out,
    struct sf_err *err)
{
	struct sf_aws_request req;
	json_t *body = json_object(), *j = NULL;
	char *path = ci_path(interpreter, "/sessions/start");
	char token[37];
	int rc;

	if (spec && spec->name)
		json_object_set_new(body, "name", json_string(spec->name));
	if (spec && spec->timeout_s)
		json_object_set_new(body, "sessionTimeoutSeconds",
		    json_integer(spec->timeout_s));
	if (!spec || !spec->client_token)
		sf_uuid4(token);
	json_object_set_new(body, "clientToken",
	    json_string(
	        spec && spec->client_token ? spec->client_token : token));
	memset(&req, 0, sizeof(req));
	req.operation = "StartCodeInterpreterSession";
	req.plane = SF_AWS_DATA;
	req.method = "PUT";
	req.path = path;
	req.body = body_dump(body);
	req.idempotent = true;
	rc = call_json(impl(p), &req, &j, err);
	free((char *)req.body);
	free(path);
	if (rc == SF_OK && out)
		read_session(j, out);
	json_decref(j);
	return rc;
}

static char *
session_query(const char *session_id)
{
	struct sf_buf q = SF_BUF_INIT;

	sf_buf_adds(&q, "sessionId=");
	sf_http_uri_encode(&q, session_id);
	return sf_buf_detach(&q, NULL);
}

static int
ac_get_session(struct sf_provider *p, const char *interpreter,
    const char *session_id, struct sf_session *out, struct sf_err *err)
{
	struct sf_aws_request req;
	char *path = ci_path(interpreter, "/sessions/get");
	char *q = session_query(session_id);
	json_t *j = NULL;
	int rc;

	memset(&req, 0, sizeof(req));
	req.operation = "GetCodeInterpreterSession";
	req.plane = SF_AWS_DATA;
	req.method = "GET";
	req.path = path;
	req.query = q;
	req.idempotent = true;
	rc = call_json(impl(p), &req, &j, err);
	free(path);
	free(q);
	if (rc == SF_OK)
		read_session(j, out);
	json_decref(j);
	return rc;
}

static int
ac_list_sessions(struct sf_provider *p, const char *interpreter,
    const char *status, struct sf_session_list *out, struct sf_err *err)
{
	char *token = NULL;
	size_t alloc = 0;
	int rc = SF_OK;

	memset(out, 0, sizeof(*out));
	do {
		struct op o;
		json_t *j = NULL, *it;
		size_t i;

		op_list_sessions(&o, interpreter, status, token);
		rc = op_run(impl(p), &o, &j, err);
		free(token);
		token = NULL;
		if (rc)
			break;
		out->pages++;
		json_array_foreach(json_object_get(j, "items"), i, it)
		{
			SF_ALLOC_GROW(out->v, out->n + 1, alloc);
			read_session(it, &out->v[out->n++]);
		}
		token = next_token(j);
		json_decref(j);
	} while (token && out->pages < 10000);
	free(token);
	if (rc)
		sf_session_list_release(out);
	return rc;
}

static int
ac_stop_session(struct sf_provider *p, const char *interpreter,
    const char *session_id, struct sf_err *err)
{
	struct sf_aws_request req;
	char *path = ci_path(interpreter, "/sessions/stop");
	char *q = session_query(session_id);
	char token[37];
	int rc;

	sf_uuid4(token);
	memset(&req, 0, sizeof(req));
	req.operation = "StopCodeInterpreterSession";
	req.plane = SF_AWS_DATA;
	req.method = "PUT";
	req.path = path;
	req.query = q;
	req.body = body_dump(json_pack("{s:s}", "clientToken", token));
	req.idempotent = true;
	rc = call_json(impl(p), &req, NULL, err);
	free((char *)req.body);
	free(path);
	free(q);
	return rc;
}

/* ---- InvokeCodeInterpreter and its event stream ---- */

static int
base64_decode(const char *in, char **out, size_t *outlen)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	                          "rstuvwxyz0123456789+/";
	size_t len = strlen(in), i, o = 0;
	uint32_t acc = 0;
	int bits = 0;
	char *buf = sf_xmalloc(len / 4 * 3 + 3);

	for (i = 0; i < len; i++) {
		const char *pos;

		if (in[i] == '=')
			break;
		if (in[i] == '\n' || in[i] == '\r')
			continue;
		pos = strchr(tbl, in[i]);
		if (!pos || !in[i]) {
			free(buf);
			return SF_EINVALID;
		}
		acc = (acc << 6) | (uint32_t)(pos - tbl);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	*out = buf;
	*outlen = o;
	return SF_OK;
}

static void
read_result(json_t *j, struct sf_tool_result *r)
{
	json_t *content = json_object_get(j, "content");
	json_t *sc = json_object_get(j, "structuredContent"), *c, *v;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->is_error = json_is_true(json_object_get(j, "isError"));
	if (json_is_array(content) && json_array_size(content)) {
		r->content =
		    sf_xcalloc(json_array_size(content), sizeof(*r->content));
		json_array_foreach(content, i, c)
		{
			struct sf_content *k = &r->content[r->ncontent++];
			json_t *res = json_object_get(c, "resource");
			const char *b64;

			k->type = dup_json_str(c, "type");
			k->text = dup_json_str(c, "text");
			k->uri = dup_json_str(c, "uri");
			k->name = dup_json_str(c, "name");
			k->mime_type = dup_json_str(c, "mimeType");
			if (res) {
				k->resource_text = dup_json_str(res, "text");
				if (!k->uri)
					k->uri = dup_json_str(res, "uri");
			}
			b64 = json_string_value(json_object_get(c, "data"));
			if (!b64)
				b64 = json_string_value(
				    json_object_get(res, "blob"));
			if (b64 && base64_decode(b64, &k->blob, &k->blob_len))
				k->blob = NULL;
		}
	}
	r->std_out = dup_json_str(sc, "stdout");
	r->std_err = dup_json_str(sc, "stderr");
	if (json_is_integer(v = json_object_get(sc, "exitCode"))) {
		r->has_exit_code = true;
		r->exit_code = (int)json_integer_value(v);
	}
	r->execution_time_ms =
	    json_number_value(json_object_get(sc, "executionTime"));
	r->task_id = dup_json_str(sc, "taskId");
	r->task_status = dup_json_str(sc, "taskStatus");
}

struct invoke_ctx {
	struct sf_es_decoder dec;
	int (*on_result)(const struct sf_tool_result *r, void *ud);
	void *ud;
	struct sf_err stream_err; /* an exception or error frame */
	int stream_rc;
	int results;
};

static int
on_message(const struct sf_es_message *m, void *arg, struct sf_err *err)
{
	struct invoke_ctx *ic = arg;
	struct sf_es_class cl;
	json_error_t je;
	json_t *j;
	int rc;

	if ((rc = sf_es_classify(&cl, m, err)))
		return rc;
	if (cl.kind == SF_ES_ERROR) {
		ic->stream_rc = sf_error(&ic->stream_err, SF_EREMOTE,
		    "InvokeCodeInterpreter", "%.*s: %.*s", (int)cl.type_len,
		    cl.type, (int)cl.message_len, cl.message ? cl.message : "");
		return SF_OK;
	}
	j = json_loadb((const char *)cl.payload, cl.payload_len, 0, &je);
	if (cl.kind == SF_ES_EXCEPTION) {
		/* The union member (validationException) names the shape. */
		const char *msg =
		    json_string_value(json_object_get(j, "message"));

		ic->stream_rc = sf_error(&ic->stream_err,
		    sf_es_class_is(&cl, "resourceNotFoundException")
		        ? SF_ENOTFOUND
		        : SF_EREMOTE,
		    "InvokeCodeInterpreter", "%c%.*s (in the stream): %s",
		    cl.type_len ? cl.type[0] - 'a' + 'A' : '?',
		    (int)(cl.type_len ? cl.type_len - 1 : 0), cl.type + 1,
		    msg ? msg : "");
		json_decref(j);
		return SF_OK;
	}
	if (sf_es_class_is(&cl, "result")) {
		struct sf_tool_result r;

		if (!json_is_object(j)) {
			json_decref(j);
			return sf_error(err, SF_EREMOTE,
			    "InvokeCodeInterpreter",
			    "a result event whose payload is not JSON");
		}
		read_result(j, &r);
		ic->results++;
		rc = ic->on_result ? ic->on_result(&r, ic->ud) : 0;
		sf_tool_result_release(&r);
		if (rc) {
			json_decref(j);
			return sf_error(err, SF_EINTR, "InvokeCodeInterpreter",
			    "stopped by the caller");
		}
	}
	/* Unknown event types are skipped, as SDKs do. */
	json_decref(j);
	return SF_OK;
}

static int
on_stream_bytes(const void *data, size_t len, void *ud)
{
	struct invoke_ctx *ic = ud;
	struct sf_err err;

	return sf_es_decoder_feed(&ic->dec, data, len, &err) ? 1 : 0;
}

static json_t *
tool_arguments(const struct sf_tool_call *t)
{
	json_t *a = json_object();
	size_t i;

#define SET_STR(key, v)                                              \
	do {                                                         \
		if (v)                                               \
			json_object_set_new(a, key, json_string(v)); \
	} while (0)
	SET_STR("code", t->code);
	SET_STR("language", t->language);
	SET_STR("command", t->command);
	SET_STR("path", t->path);
	SET_STR("directoryPath", t->directory_path);
	SET_STR("taskId", t->task_id);
	SET_STR("runtime", t->runtime);
#undef SET_STR
	if (t->clear_context)
		json_object_set_new(a, "clearContext", json_true());
	if (t->npaths)
		json_object_set_new(a, "paths", str_array(t->paths, t->npaths));
	if (t->ncontent) {
		json_t *c = json_array();

		for (i = 0; i < t->ncontent; i++) {
			json_t *b =
			    json_pack("{s:s}", "path", t->content[i].path);

			if (t->content[i].text)
				json_object_set_new(
				    b, "text", json_string(t->content[i].text));
			if (t->content[i].blob) {
				/* jansson has no base64: do it here. */
				static const char tbl[] =
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				    "qrstuvwxyz0123456789+/";
				const unsigned char *s = t->content[i].blob;
				size_t n = t->content[i].blob_len, k;
				struct sf_buf e = SF_BUF_INIT;

				for (k = 0; k + 2 < n; k += 3) {
					sf_buf_addch(&e, tbl[s[k] >> 2]);
					sf_buf_addch(&e, tbl[((s[k] & 3) << 4) |
					                     (s[k + 1] >> 4)]);
					sf_buf_addch(
					    &e, tbl[((s[k + 1] & 15) << 2) |
					            (s[k + 2] >> 6)]);
					sf_buf_addch(&e, tbl[s[k + 2] & 63]);
				}
				if (n - k == 1) {
					sf_buf_addch(&e, tbl[s[k] >> 2]);
					sf_buf_addch(&e, tbl[(s[k] & 3) << 4]);
					sf_buf_adds(&e, "==");
				} else if (n - k == 2) {
					sf_buf_addch(&e, tbl[s[k] >> 2]);
					sf_buf_addch(&e, tbl[((s[k] & 3) << 4) |
					                     (s[k + 1] >> 4)]);
					sf_buf_addch(
					    &e, tbl[(s[k + 1] & 15) << 2]);
					sf_buf_addch(&e, '=');
				}
				json_object_set_new(
				    b, "blob", json_string(e.buf));
				sf_buf_release(&e);
			}
			json_array_append_new(c, b);
		}
		json_object_set_new(a, "content", c);
	}
	return a;
}

static int
ac_invoke(struct sf_provider *p, const char *interpreter,
    const char *session_id, const struct sf_tool_call *call,
    int (*on_result)(const struct sf_tool_result *r, void *ud), void *ud,
    struct sf_err *err)
{
	struct agentcore *a = impl(p);
	struct sf_aws_request req;
	struct sf_aws_response resp;
	struct invoke_ctx ic;
	char *path = ci_path(interpreter, "/tools/invoke");
	int rc;

	memset(&ic, 0, sizeof(ic));
	ic.on_result = on_result;
	ic.ud = ud;
	sf_es_decoder_init(&ic.dec, NULL, on_message, &ic);
	memset(&req, 0, sizeof(req));
	req.operation = "InvokeCodeInterpreter";
	req.plane = SF_AWS_DATA;
	req.method = "POST";
	req.path = path;
	if (session_id)
		sf_http_headers_add(&req.headers,
		    "x-amzn-code-interpreter-session-id", session_id);
	req.body = body_dump(json_pack("{s:s, s:o}", "name", call->name,
	    "arguments", tool_arguments(call)));
	/* Running code twice is not harmless: never retried once sent. */
	req.idempotent = false;
	req.on_body = on_stream_bytes;
	req.ud = &ic;
	req.abort = a->interrupted;
	memset(&resp, 0, sizeof(resp));
	rc = sf_aws_call(a->client, &req, &resp, err);
	sf_http_headers_release(&req.headers);
	/* A stream that went bad stopped the transfer: say why it did. */
	if (ic.dec.failed)
		rc = sf_error(err, ic.dec.failed, "InvokeCodeInterpreter",
		    "%s (%s)", ic.dec.fail.msg, ic.dec.fail.where);
	else if (rc == SF_OK &&
	         (rc = sf_es_decoder_finish(&ic.dec, err)) != SF_OK)
		;
	else if (rc == SF_OK && ic.stream_rc) {
		rc = ic.stream_rc;
		*err = ic.stream_err;
	} else if (rc == SF_OK && !ic.results) {
		rc = sf_error(err, SF_EREMOTE, "InvokeCodeInterpreter",
		    "the stream ended without a result (request id %s)",
		    resp.request_id[0] ? resp.request_id : "none");
	}
	sf_es_decoder_release(&ic.dec);
	sf_aws_response_release(&resp);
	free((char *)req.body);
	free(path);
	return rc;
}

/* ---- batches over the multi interface ---- */

struct batch {
	struct agentcore *a;
	struct sf_pcall *calls;
	struct op *ops;
	struct sf_aws_response *resps;
	int *rcs;
	struct sf_err *errs;
	void (*done)(struct sf_pcall *c, void *ud);
	void *ud;
};

static void
batch_done(size_t i, void *ud)
{
	struct batch *b = ud;
	struct sf_pcall *c = &b->calls[i];
	json_t *j = NULL;

	c->rc = b->rcs[i];
	c->err = b->errs[i];
	if (c->rc == SF_OK && c->kind != SF_PCALL_TAG &&
	    c->kind != SF_PCALL_UNTAG &&
	    !(j = parse_body(&b->resps[i], b->ops[i].req.operation, &c->err)))
		c->rc = SF_EREMOTE;
	if (c->rc == SF_OK) {
		switch (c->kind) {
		case SF_PCALL_GET:
		case SF_PCALL_CREATE:
		case SF_PCALL_DELETE:
			read_ci(j, &c->ci);
			break;
		case SF_PCALL_COUNT_SESSIONS: {
			json_t *items = json_object_get(j, "items"), *it;
			size_t k;

			c->sessions = 0;
			json_array_foreach(items, k, it)
			{
				const char *st = json_string_value(
				    json_object_get(it, "status"));

				c->sessions += st && !strcmp(st, "READY");
			}
			break;
		}
		case SF_PCALL_TAG:
		case SF_PCALL_UNTAG:
			break;
		}
	}
	json_decref(j);
	sf_aws_response_release(&b->resps[i]);
	op_release(&b->ops[i]);
	if (b->done)
		b->done(c, b->ud);
}

static void
ac_batch(struct sf_provider *p, struct sf_pcall *calls, size_t n,
    size_t parallel, void (*done)(struct sf_pcall *c, void *ud), void *ud)
{
	struct batch b;
	struct sf_aws_batch ab;
	struct sf_aws_request *reqs;
	size_t i;

	if (!n)
		return;
	memset(&b, 0, sizeof(b));
	b.a = impl(p);
	b.calls = calls;
	b.done = done;
	b.ud = ud;
	b.ops = sf_xcalloc(n, sizeof(*b.ops));
	b.resps = sf_xcalloc(n, sizeof(*b.resps));
	b.rcs = sf_xcalloc(n, sizeof(*b.rcs));
	b.errs = sf_xcalloc(n, sizeof(*b.errs));
	reqs = sf_xcalloc(n, sizeof(*reqs));
	for (i = 0; i < n; i++) {
		struct sf_pcall *c = &calls[i];

		memset(&c->ci, 0, sizeof(c->ci));
		c->sessions = -1;
		switch (c->kind) {
		case SF_PCALL_GET:
			op_get(&b.ops[i], c->id);
			break;
		case SF_PCALL_CREATE:
			op_create(&b.ops[i], c->spec);
			break;
		case SF_PCALL_DELETE:
			op_delete(&b.ops[i], c->id, c->client_token);
			break;
		case SF_PCALL_TAG:
			op_tag(&b.ops[i], c->arn, c->tags, c->ntags);
			break;
		case SF_PCALL_UNTAG:
			op_untag(&b.ops[i], c->arn, c->keys, c->nkeys);
			break;
		case SF_PCALL_COUNT_SESSIONS:
			op_list_sessions(&b.ops[i], c->id, "READY", NULL);
			break;
		}
		/* The requests point into ops[], which stay put. */
		reqs[i] = b.ops[i].req;
	}
	memset(&ab, 0, sizeof(ab));
	ab.max_in_flight = parallel;
	ab.done = batch_done;
	ab.ud = &b;
	sf_aws_call_many(b.a->client, reqs, b.resps, b.rcs, b.errs, n, &ab);
	free(reqs);
	free(b.ops);
	free(b.resps);
	free(b.rcs);
	free(b.errs);
}

/* ---- lifecycle ---- */

static void
ac_free(struct sf_provider *p)
{
	struct agentcore *a = impl(p);

	sf_aws_client_free(a->client);
	sf_creds_chain_free(a->creds);
	sf_endpoints_release(&a->endpoints);
	free(a->region);
	free(a);
}

static const struct sf_provider_ops agentcore_ops = {
	.list_interpreters = ac_list_interpreters,
	.get_interpreter = ac_get_interpreter,
	.create_interpreter = ac_create_interpreter,
	.delete_interpreter = ac_delete_interpreter,
	.tag = ac_tag,
	.untag = ac_untag,
	.list_tags = ac_list_tags,
	.start_session = ac_start_session,
	.get_session = ac_get_session,
	.list_sessions = ac_list_sessions,
	.stop_session = ac_stop_session,
	.invoke = ac_invoke,
	.batch = ac_batch,
	.free = ac_free,
};

int
sf_agentcore_new(const struct sf_agentcore_opts *o, struct sf_provider **out,
    struct sf_err *err)
{
	struct agentcore *a = sf_xcalloc(1, sizeof(*a));
	struct sf_aws_client_opts co;
	const char *(*ge)(const char *, void *) =
	    o->env ? o->env->getenv : NULL;
	void *ud = o->env ? o->env->getenv_ud : NULL;
	int rc;

	*out = NULL;
	if (o->region) {
		a->region = sf_xstrdup(o->region);
	} else if ((rc = sf_aws_region(o->profile, o->env, &a->region, err))) {
		free(a);
		return rc;
	}
	if ((rc = sf_endpoints_resolve(
	         &a->endpoints, a->region, o->endpoint, ge, ud, err))) {
		free(a->region);
		free(a);
		return rc;
	}
	a->creds = sf_creds_chain_new(o->profile, o->env);
	memset(&co, 0, sizeof(co));
	co.region = a->region ? a->region : "us-east-1";
	co.endpoints = a->endpoints;
	co.creds = a->creds;
	co.clock = o->clock;
	co.rate_limits = o->rate_limits;
	co.rate_mutate = o->rate_create_delete;
	co.rate_default = o->rate_other;
	co.max_attempts = o->max_attempts;
	co.log = o->log;
	co.log_ud = o->log_ud;
	co.http = o->env ? o->env->http : NULL;
	a->client = sf_aws_client_new(&co);
	a->p.ops = &agentcore_ops;
	a->p.impl = a;
	a->interrupted = o->interrupted;
	*out = &a->p;
	return SF_OK;
}
