/*
 * The echo backend (runs nothing; for tests and builds without the
 * sandbox) and the choice of the backend `local serve` uses.
 */
#include <pthread.h>
#include <stdlib.h>

#include "local/local.h"

/* The sandbox is its own library, there when its sources are. */
#if defined(__has_include)
#if __has_include("local/sandbox.h")
#include "local/sandbox.h"
#define HAVE_SANDBOX 1
#endif
#endif

/*
 * As the sandbox's, stop may run while a tool call does: the session is
 * freed by whichever of the two comes last.
 */
struct echo_session {
	pthread_mutex_t mu;
	json_t *files; /* path -> text, writeFiles/readFiles */
	char *id;
	int refs;     /* tool calls running */
	bool stopped; /* stop was called */
};

static pthread_mutex_t echo_refs = PTHREAD_MUTEX_INITIALIZER;

static void
echo_free_session(struct echo_session *s)
{
	json_decref(s->files);
	free(s->id);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* Take a reference for a tool call; false once stopped. */
static bool
echo_hold(struct echo_session *s)
{
	bool ok;

	pthread_mutex_lock(&echo_refs);
	ok = !s->stopped;
	if (ok)
		s->refs++;
	pthread_mutex_unlock(&echo_refs);
	return ok;
}

static void
echo_drop(struct echo_session *s)
{
	bool last;

	pthread_mutex_lock(&echo_refs);
	last = --s->refs == 0 && s->stopped;
	pthread_mutex_unlock(&echo_refs);
	if (last)
		echo_free_session(s);
}

static int
echo_start(void *ctx, const struct sf_backend_session_opts *o,
    struct sf_backend_session **out, struct sf_err *err)
{
	struct echo_session *s = sf_xcalloc(1, sizeof(*s));

	(void)ctx;
	(void)err;
	pthread_mutex_init(&s->mu, NULL);
	s->files = json_object();
	s->id = sf_xstrdup(o->session_id ? o->session_id : "");
	*out = (struct sf_backend_session *)s;
	return SF_OK;
}

static json_t *
text_result(const char *text, bool is_error)
{
	return json_pack("{s:[{s:s, s:s}], s:{s:s, s:s, s:i, s:f}, s:b}",
	    "content", "type", "text", "text", text, "structuredContent",
	    "stdout", is_error ? "" : text, "stderr", is_error ? text : "",
	    "exitCode", is_error ? 1 : 0, "executionTime", 0.0, "isError",
	    is_error);
}

static int
echo_invoke(struct sf_backend_session *bs, const char *tool, json_t *args,
    json_t **result, struct sf_err *err)
{
	struct echo_session *s = (struct echo_session *)bs;
	const char *str;
	json_t *r = NULL, *x;
	size_t i;

	*result = NULL;
	if (!echo_hold(s))
		return sf_error(
		    err, SF_ENOTFOUND, tool, "the session has ended");
	pthread_mutex_lock(&s->mu);
	if (!strcmp(tool, "executeCommand") ||
	    !strcmp(tool, "startCommandExecution")) {
		str = json_string_value(json_object_get(args, "command"));
		if (!str) {
			pthread_mutex_unlock(&s->mu);
			echo_drop(s);
			return sf_error(err, SF_EINVALID, tool,
			    "arguments.command is required");
		}
		r = text_result(str, false);
	} else if (!strcmp(tool, "executeCode")) {
		const char *lang =
		    json_string_value(json_object_get(args, "language"));

		str = json_string_value(json_object_get(args, "code"));
		if (!str) {
			pthread_mutex_unlock(&s->mu);
			echo_drop(s);
			return sf_error(err, SF_EINVALID, tool,
			    "arguments.code is required");
		}
		if (lang && !strcmp(lang, "typescript")) {
			pthread_mutex_unlock(&s->mu);
			echo_drop(s);
			return sf_error(err, SF_EINVALID, tool,
			    "the echo backend has no TypeScript runtime");
		}
		r = text_result(str, false);
	} else if (!strcmp(tool, "writeFiles")) {
		json_array_foreach(json_object_get(args, "content"), i, x)
		{
			const char *p =
			    json_string_value(json_object_get(x, "path"));
			const char *t =
			    json_string_value(json_object_get(x, "text"));

			if (p)
				json_object_set_new(
				    s->files, p, json_string(t ? t : ""));
		}
		r = text_result("", false);
	} else if (!strcmp(tool, "readFiles")) {
		r = json_pack("{s:[], s:b}", "content", "isError", 0);
		json_array_foreach(json_object_get(args, "paths"), i, x)
		{
			const char *p = json_string_value(x);
			json_t *t = p ? json_object_get(s->files, p) : NULL;
			char *uri = sf_xasprintf("file://%s", p ? p : "");

			if (t)
				json_array_append_new(
				    json_object_get(r, "content"),
				    json_pack("{s:s, s:{s:s, s:s, s:O}}",
				        "type", "resource", "resource", "type",
				        "text", "uri", uri, "text", t));
			free(uri);
		}
	} else if (!strcmp(tool, "listFiles")) {
		const char *k;
		struct sf_buf b = SF_BUF_INIT;

		json_object_foreach(s->files, k, x) sf_buf_addf(&b, "%s\n", k);
		r = text_result(b.buf, false);
		sf_buf_release(&b);
	} else if (!strcmp(tool, "removeFiles")) {
		json_array_foreach(json_object_get(args, "paths"), i, x)
		{
			if (json_is_string(x))
				json_object_del(s->files, json_string_value(x));
		}
		r = text_result("", false);
	} else {
		r = text_result("", false);
	}
	pthread_mutex_unlock(&s->mu);
	echo_drop(s);
	*result = r;
	return SF_OK;
}

static void
echo_stop(struct sf_backend_session *bs)
{
	struct echo_session *s = (struct echo_session *)bs;
	bool now;

	if (!s)
		return;
	pthread_mutex_lock(&echo_refs);
	now = !s->stopped && s->refs == 0;
	s->stopped = true;
	pthread_mutex_unlock(&echo_refs);
	if (now)
		echo_free_session(s);
}

static bool
echo_alive(struct sf_backend_session *bs)
{
	(void)bs;
	return true;
}

static const char *
echo_describe(void *ctx)
{
	(void)ctx;
	return "echo (runs nothing: no sandbox in this build)";
}

static void
echo_free(void *ctx)
{
	(void)ctx;
}

static const struct sf_backend_ops echo_ops = {
	.start = echo_start,
	.invoke = echo_invoke,
	.stop = echo_stop,
	.alive = echo_alive,
	.describe = echo_describe,
	.free = echo_free,
};

void
sf_local_echo_backend(struct sf_backend *out)
{
	out->ops = &echo_ops;
	out->ctx = NULL;
}

static int
sandbox_backend(struct sf_backend *out, struct sf_err *err)
{
#ifdef HAVE_SANDBOX
	struct sf_sandbox_config cfg;
	int rc;

	sf_sandbox_config_init(&cfg);
	if ((rc = sf_sandbox_probe(&cfg, err)))
		return rc;
	return sf_sandbox_backend_new(&cfg, out, err);
#else
	(void)out;
	return sf_error(err, SF_ENOTFOUND, "backend",
	    "this build has no sandbox backend (src/local/sandbox.c)");
#endif
}

int
sf_local_default_backend(struct sf_backend *out, struct sf_err *err)
{
#ifdef HAVE_SANDBOX
	return sandbox_backend(out, err);
#else
	/* No sandbox in this build: sessions run nothing. */
	(void)err;
	sf_local_echo_backend(out);
	return SF_OK;
#endif
}

int
sf_local_backend_by_name(
    const char *name, struct sf_backend *out, struct sf_err *err)
{
	if (!name || !*name)
		name = getenv("SANDFORM_LOCAL_BACKEND");
	if (!name || !*name || !strcmp(name, "default"))
		return sf_local_default_backend(out, err);
	if (!strcmp(name, "echo")) {
		sf_local_echo_backend(out);
		return SF_OK;
	}
	if (!strcmp(name, "sandbox"))
		return sandbox_backend(out, err);
	return sf_error(err, SF_EINVALID, "--backend",
	    "\"%s\" is neither sandbox nor echo", name);
}
