/*
 * libFuzzer target: the rest-json error parser on any body and error-type
 * header. The first line of the input is the X-Amzn-ErrorType value, the
 * rest the body. The result must be bounded, NUL-terminated text.
 */
#include <stdlib.h>

#include "provider/aws/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_str(const char *s, size_t cap)
{
	if (strnlen(s, cap) >= cap)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	struct sf_http_headers h = { 0 };
	struct sf_aws_error e;
	struct sf_err err;
	size_t hlen = nl ? (size_t)(nl - (const char *)data) : 0;
	char *type = sf_xstrndup((const char *)data, hlen);
	const char *body = nl ? nl + 1 : (const char *)data;
	size_t blen = size - (size_t)(body - (const char *)data);

	if (hlen && !memchr(type, '\0', hlen))
		sf_http_headers_add(&h, "X-Amzn-ErrorType", type);
	sf_aws_parse_error(&e, 400 + (long)(size % 200), &h, body, blen);
	check_str(e.type, sizeof(e.type));
	check_str(e.message, sizeof(e.message));
	check_str(e.reason, sizeof(e.reason));
	check_str(e.fields, sizeof(e.fields));
	check_str(e.request_id, sizeof(e.request_id));
	if (!e.type[0])
		abort();
	sf_aws_error_to_err(&e, "Op", &err);
	check_str(err.msg, sizeof(err.msg));
	sf_http_headers_release(&h);
	free(type);
	return 0;
}
