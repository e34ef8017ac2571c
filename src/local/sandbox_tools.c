/*
 * The arguments of the nine tools, checked before a call goes into the
 * sandbox: a call that cannot be made is SF_EINVALID (a ValidationException)
 * with a message that says what to change. What depends on the sandbox's
 * files (paths that escape the workspace through links) is the agent's to
 * refuse, with the same code.
 */
#include <jansson.h>

#include "local/sandbox_int.h"

static const char *const tools[] = {
	"executeCode",
	"executeCommand",
	"readFiles",
	"listFiles",
	"removeFiles",
	"writeFiles",
	"startCommandExecution",
	"getTask",
	"stopTask",
};

/* args[name] as a string: required, or optional (NULL when absent). */
static int
get_string(json_t *args, const char *tool, const char *name, bool required,
    const char **out, struct sf_err *err)
{
	json_t *v = json_object_get(args, name);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return sf_error(err, SF_EINVALID, tool,
			    "%s needs the argument %s", tool, name);
		return 0;
	}
	if (!json_is_string(v))
		return sf_error(err, SF_EINVALID, tool,
		    "%s: the argument %s must be a string", tool, name);
	*out = json_string_value(v);
	if (required && !**out)
		return sf_error(err, SF_EINVALID, tool,
		    "%s: the argument %s is empty", tool, name);
	return 0;
}

static int
check_code(json_t *args, bool have_node, struct sf_err *err)
{
	const char *code, *lang, *runtime;
	json_t *clear = json_object_get(args, "clearContext");
	int rc;

	if ((rc = get_string(args, "executeCode", "code", false, &code, err)) !=
	        0 ||
	    (rc = get_string(
	         args, "executeCode", "language", false, &lang, err)) != 0 ||
	    (rc = get_string(
	         args, "executeCode", "runtime", false, &runtime, err)) != 0)
		return rc;
	if (!code && !(clear && json_is_true(clear)))
		return sf_error(err, SF_EINVALID, "executeCode",
		    "executeCode needs the argument code");
	if (clear && !json_is_boolean(clear))
		return sf_error(err, SF_EINVALID, "executeCode",
		    "executeCode: clearContext must be a boolean");
	if (!lang)
		lang = "python";
	if (strcmp(lang, "typescript") == 0)
		return sf_error(err, SF_EINVALID, "executeCode",
		    "typescript is not supported by the embedded control "
		    "plane; use python or javascript");
	if (strcmp(lang, "javascript") == 0) {
		if (runtime && strcmp(runtime, "nodejs") != 0)
			return sf_error(err, SF_EINVALID, "executeCode",
			    "the runtime %s is not supported by the embedded "
			    "control plane; javascript runs on nodejs",
			    runtime);
		if (!have_node)
			return sf_error(err, SF_EINVALID, "executeCode",
			    "javascript needs node, which is not installed");
		return 0;
	}
	if (strcmp(lang, "python") == 0) {
		if (runtime && strcmp(runtime, "python") != 0)
			return sf_error(err, SF_EINVALID, "executeCode",
			    "the runtime %s cannot run python", runtime);
		return 0;
	}
	return sf_error(err, SF_EINVALID, "executeCode",
	    "unknown language \"%.64s\": python, javascript or typescript",
	    lang);
}

/* args[name]: a non-empty array of non-empty strings. */
static int
check_paths(
    json_t *args, const char *tool, const char *name, struct sf_err *err)
{
	json_t *a = json_object_get(args, name);
	size_t i;
	json_t *v;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return sf_error(err, SF_EINVALID, tool,
		    "%s needs %s, a non-empty list of paths", tool, name);
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || !json_string_value(v)[0])
			return sf_error(err, SF_EINVALID, tool,
			    "%s: %s[%zu] is not a path", tool, name, i);
	}
	return 0;
}

static int
check_write(json_t *args, struct sf_err *err)
{
	json_t *a = json_object_get(args, "content");
	size_t i;
	json_t *v;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return sf_error(err, SF_EINVALID, "writeFiles",
		    "writeFiles needs content, a non-empty list of "
		    "{path, text or blob}");
	json_array_foreach(a, i, v)
	{
		json_t *path = json_object_get(v, "path");
		json_t *text = json_object_get(v, "text");
		json_t *blob = json_object_get(v, "blob");

		if (!json_is_object(v) || !json_is_string(path) ||
		    !json_string_value(path)[0])
			return sf_error(err, SF_EINVALID, "writeFiles",
			    "writeFiles: content[%zu] needs a path", i);
		if (!text == !blob)
			return sf_error(err, SF_EINVALID, "writeFiles",
			    "writeFiles: content[%zu] needs one of text and "
			    "blob",
			    i);
		if ((text && !json_is_string(text)) ||
		    (blob && !json_is_string(blob)))
			return sf_error(err, SF_EINVALID, "writeFiles",
			    "writeFiles: content[%zu]: text and blob are "
			    "strings (blob in base64)",
			    i);
	}
	return 0;
}

int
sf_sandbox_check_call(
    const char *tool, json_t *args, bool have_node, struct sf_err *err)
{
	const char *s;
	size_t i;

	for (i = 0; i < SF_ARRAY_LEN(tools); i++)
		if (tool && strcmp(tool, tools[i]) == 0)
			break;
	if (i == SF_ARRAY_LEN(tools)) {
		const char *near =
		    tool ? sf_str_closest(tool, tools, SF_ARRAY_LEN(tools))
		         : NULL;

		if (near)
			return sf_error(err, SF_EINVALID, "invoke",
			    "unknown tool \"%.64s\"; did you mean %s?", tool,
			    near);
		return sf_error(err, SF_EINVALID, "invoke",
		    "unknown tool \"%.64s\"", tool ? tool : "");
	}
	if (args && !json_is_object(args))
		return sf_error(err, SF_EINVALID, tool,
		    "%s: the arguments must be an object", tool);
	if (strcmp(tool, "executeCode") == 0)
		return check_code(args, have_node, err);
	if (strcmp(tool, "executeCommand") == 0 ||
	    strcmp(tool, "startCommandExecution") == 0)
		return get_string(args, tool, "command", true, &s, err);
	if (strcmp(tool, "getTask") == 0 || strcmp(tool, "stopTask") == 0)
		return get_string(args, tool, "taskId", true, &s, err);
	if (strcmp(tool, "readFiles") == 0 || strcmp(tool, "removeFiles") == 0)
		return check_paths(args, tool, "paths", err);
	if (strcmp(tool, "writeFiles") == 0)
		return check_write(args, err);
	/* listFiles */
	return get_string(args, tool, "directoryPath", false, &s, err);
}
