#!/usr/bin/env python3
"""Write the expected files of the committed SigV4 cases.

An implementation of SigV4 independent of src/provider/aws/sigv4.c (Python's
hashlib, hmac and urllib.parse.quote), run once by hand:

    python3 tests/data/sigv4/generate.py

Each case directory holds context.json and request.txt in the layout of the
AWS SigV4 test suite (aws-c-auth tests/aws-signing-test-suite/v4), except
that the request path is the wire path, already percent-encoded, and that
context.json may say "double_encode": false (S3). This writes
{header,query}-{canonical-request,string-to-sign,signature,signed-request}.txt
next to them. The tests never run Python: they read these files.
"""
import hashlib
import hmac
import json
import os
import sys
from urllib.parse import quote, unquote_to_bytes

UNSIGNED = {"authorization", "expect", "transfer-encoding", "user-agent",
            "x-amzn-trace-id"}


def parse_request(raw):
    head, sep, body = raw.partition(b"\n\n")
    lines = head.split(b"\n")
    first = lines[0].decode()
    method, rest = first.split(" ", 1)
    target, version = rest.rsplit(" ", 1)
    headers = []
    for line in lines[1:]:
        line = line.decode()
        if not line:
            continue
        if line[0] in " \t":
            name, value = headers[-1]
            headers[-1] = (name, value + "\n" + line)
        else:
            name, value = line.split(":", 1)
            headers.append((name, value))
    path, _, query = target.partition("?")
    return method, path, query, version, headers, body


def remove_dot_segments(path):
    out = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out:
                out.pop()
        else:
            out.append(seg)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and out else ""
    return first + "/".join(out) + last


def canonical_uri(path, normalize, double_encode):
    if not path:
        path = "/"
    if normalize:
        path = remove_dot_segments(path) or "/"
    if double_encode:
        path = quote(path, safe="/~")
    return path


def enc(b):
    return quote(b, safe="-_.~")


def canonical_query(pairs):
    return "&".join(k + "=" + v for k, v in sorted(pairs))


def query_pairs(query):
    pairs = []
    for piece in query.split("&"):
        if not piece:
            continue
        k, _, v = piece.partition("=")
        pairs.append((enc(unquote_to_bytes(k)), enc(unquote_to_bytes(v))))
    return pairs


def header_value(v):
    return " ".join(v.split())


def sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signature(secret, date, region, service, sts):
    k = sign(("AWS4" + secret).encode(), date)
    k = sign(k, region)
    k = sign(k, service)
    k = sign(k, "aws4_request")
    return hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()


def run(case):
    ctx = json.load(open(os.path.join(case, "context.json")))
    raw = open(os.path.join(case, "request.txt"), "rb").read()
    method, path, query, version, headers, body = parse_request(raw)
    cred = ctx["credentials"]
    akid, secret = cred["access_key_id"], cred["secret_access_key"]
    token = cred.get("token")
    region, service = ctx["region"], ctx["service"]
    ts = ctx["timestamp"]
    amz_date = ts.replace("-", "").replace(":", "")
    date = amz_date[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    omit = ctx.get("omit_session_token", False)
    normalize = ctx["normalize"]
    double = ctx.get("double_encode", True)
    payload = hashlib.sha256(body).hexdigest()

    for mode in ("header", "query"):
        signed = [(n, v) for n, v in headers if n.lower() not in UNSIGNED]
        added = []
        extra = []
        if mode == "header":
            if token:
                added.append(("X-Amz-Security-Token", token))
            added.append(("X-Amz-Date", amz_date))
            if ctx["sign_body"]:
                added.append(("x-amz-content-sha256", payload))
            for n, v in added:
                if n == "X-Amz-Security-Token" and omit:
                    continue
                signed.append((n, v))
        names = sorted({n.lower() for n, _ in signed})
        signed_headers = ";".join(names)
        if mode == "query":
            extra = [
                ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                ("X-Amz-Credential", enc(f"{akid}/{scope}")),
                ("X-Amz-Date", amz_date),
                ("X-Amz-SignedHeaders", enc(signed_headers)),
                ("X-Amz-Expires", str(ctx["expiration_in_seconds"])),
            ]
            if token:
                extra.append(("X-Amz-Security-Token", enc(token)))
        qpairs = query_pairs(query) + [
            p for p in extra if not (p[0] == "X-Amz-Security-Token" and omit)]
        canon_headers = ""
        for name in names:
            vals = [header_value(v) for n, v in signed if n.lower() == name]
            canon_headers += name + ":" + ",".join(vals) + "\n"
        creq = "\n".join([
            method,
            canonical_uri(path, normalize, double),
            canonical_query(qpairs),
            canon_headers,
            signed_headers,
            payload,
        ])
        sts = "\n".join([
            "AWS4-HMAC-SHA256", amz_date, scope,
            hashlib.sha256(creq.encode()).hexdigest()])
        sig = signature(secret, date, region, service, sts)
        if mode == "header":
            auth = (f"AWS4-HMAC-SHA256 Credential={akid}/{scope}, "
                    f"SignedHeaders={signed_headers}, Signature={sig}")
            target = path + ("?" + query if query else "")
            out_headers = headers + added + [("Authorization", auth)]
        else:
            extra.append(("X-Amz-Signature", sig))
            q = "&".join(k + "=" + v for k, v in extra)
            target = path + "?" + (query + "&" if query else "") + q
            out_headers = headers
        sreq = f"{method} {target} {version}\n".encode()
        for n, v in out_headers:
            sreq += f"{n}:{v}\n".encode()
        sreq += b"\n" + body
        files = {
            "canonical-request.txt": creq.encode(),
            "string-to-sign.txt": sts.encode(),
            "signature.txt": sig.encode(),
            "signed-request.txt": sreq,
        }
        for name, data in files.items():
            with open(os.path.join(case, f"{mode}-{name}"), "wb") as f:
                f.write(data)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    cases = sorted(d for d in os.listdir(here)
                   if os.path.isdir(os.path.join(here, d)))
    for c in cases:
        run(os.path.join(here, c))
        print("wrote", c)


if __name__ == "__main__":
    sys.exit(main())
