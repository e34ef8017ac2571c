/*
 * Redaction of strings that look like secrets, for output that ends up in
 * a pull request or a CI log. A heuristic, not a guarantee: it catches the
 * common shapes and replaces each with "[REDACTED]".
 *
 *   AWS access key ids          AKIA / ASIA and 16 of [0-9A-Z]
 *   AWS secret access keys      40 base64 characters after a word with
 *                               "secret" in it (aws_secret_access_key = ...)
 *   private keys                -----BEGIN ... PRIVATE KEY----- blocks
 *   tokens                      ghp_ gho_ ghu_ ghs_ ghr_ github_pat_ glpat-
 *                               xoxb- xoxp- xoxa- xoxr- xoxs- and their bodies
 *   passwords and the like      password= passwd= pwd= secret= token=
 *                               api_key= apikey= access_token= (or ": ")
 *                               and the value up to a space or a quote
 */
#ifndef SF_REDACT_H
#define SF_REDACT_H

#include "util/util.h"

#define SF_REDACTED "[REDACTED]"

/* Append s (of len bytes) to out with secrets replaced; returns how many. */
size_t sf_redact(struct sf_buf *out, const char *s, size_t len);

/* Whether a variable named name holds a secret by its name alone
 * (password, secret, token, credential, private_key, api_key). */
bool sf_redact_sensitive_name(const char *name);

#endif
