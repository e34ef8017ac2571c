// The walkthrough of ../shared/seed/ (create a PUBLIC code interpreter,
// start a session with a timeout, run a shell command and Python in it,
// list and get sessions, stop it) through the official AWS SDK for
// JavaScript v3, against `sandform local serve` with nothing but the
// endpoint overridden: credentials and region come from the environment
// as they would for AWS. A wrong secret must fail as the SDK reports AWS's
// own signature errors.
//
//   SANDFORM=build/src/sandform node tests/js/walkthrough.mjs
//
// SF_JS_BACKEND picks the server's backend (default: the server's own).
// Output: TAP lines, then "N passed, N failed".
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

let BedrockAgentCoreClient, BedrockAgentCoreControlClient, dp, cp;
try {
  dp = await import("@aws-sdk/client-bedrock-agentcore");
  cp = await import("@aws-sdk/client-bedrock-agentcore-control");
  ({ BedrockAgentCoreClient } = dp);
  ({ BedrockAgentCoreControlClient } = cp);
} catch (e) {
  console.log(`not ok 1 - the AWS SDK is installed: ${e.message}`);
  console.log("# run: npm ci --prefix tests/js");
  console.log("0 passed, 1 failed");
  process.exit(1);
}

const sandform = process.env.SANDFORM;
if (!sandform) {
  console.log("not ok 1 - SANDFORM names the sandform binary");
  console.log("0 passed, 1 failed");
  process.exit(1);
}

let passed = 0;
let failed = 0;
let n = 0;
function ok(cond, desc, detail) {
  n++;
  if (cond) {
    passed++;
    console.log(`ok ${n} - ${desc}`);
  } else {
    failed++;
    console.log(`not ok ${n} - ${desc}`);
    if (detail !== undefined) console.log(`#   ${JSON.stringify(detail)}`);
  }
}

// The server: a fresh data directory, a port of its choosing, the key
// pair we give it through the environment.
const dir = mkdtempSync(join(tmpdir(), "sf-js-"));
const keyId = "AKIASANDFORMJSTEST01";
const secret = "js/test+secret+for+the+sdk+0123456789abcd";
const args = ["local", "serve", "--listen", "127.0.0.1:0", "--data",
  join(dir, "data"), "--region", "us-west-2"];
if (process.env.SF_JS_BACKEND) args.push("--backend", process.env.SF_JS_BACKEND);
const server = spawn(sandform, args, {
  env: { ...process.env, AWS_ACCESS_KEY_ID: keyId,
    AWS_SECRET_ACCESS_KEY: secret },
  stdio: ["ignore", "pipe", "pipe"],
});
let serverLog = "";
server.stderr.on("data", (d) => { serverLog += d; });
const endpoint = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("no port in 15 s")), 15000);
  createInterface({ input: server.stdout }).on("line", (line) => {
    const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
    if (m) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  });
  server.on("exit", (code) => reject(new Error(`server exited ${code}: ${serverLog}`)));
});
ok(true, `the server listens at ${endpoint}`);

// What the SDK sees of AWS: the environment, as a user's shell would have it.
process.env.AWS_ACCESS_KEY_ID = keyId;
process.env.AWS_SECRET_ACCESS_KEY = secret;
process.env.AWS_REGION = "us-west-2";
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;

const control = new BedrockAgentCoreControlClient({ endpoint });
const data = new BedrockAgentCoreClient({ endpoint });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function text(stream) {
  let out = "";
  for await (const event of stream) {
    if (event.result) {
      for (const c of event.result.content ?? [])
        if (c.type === "text") out += c.text;
    }
  }
  return out;
}

try {
  // 1. A PUBLIC code interpreter.
  const created = await control.send(new cp.CreateCodeInterpreterCommand({
    name: "myTestSandbox1",
    description: "Test code sandbox for development",
    networkConfiguration: { networkMode: "PUBLIC" },
    tags: { team: "data" },
  }));
  const ciId = created.codeInterpreterId;
  ok(/^myTestSandbox1-[A-Za-z0-9]{10}$/.test(ciId), "CreateCodeInterpreter gives <name>-<10 alnum>", ciId);
  ok(created.status === "CREATING", "... CREATING", created.status);
  ok(created.createdAt instanceof Date && !isNaN(created.createdAt), "... createdAt parses as a date", created.createdAt);
  ok(created.$metadata.httpStatusCode === 202, "... 202", created.$metadata.httpStatusCode);
  ok(/^[0-9a-f-]{36}$/.test(created.$metadata.requestId ?? ""), "... with a request id", created.$metadata.requestId);

  let got;
  for (let i = 0; i < 100; i++) {
    got = await control.send(new cp.GetCodeInterpreterCommand({ codeInterpreterId: ciId }));
    if (got.status !== "CREATING") break;
    await sleep(50);
  }
  ok(got.status === "READY", "GetCodeInterpreter: READY soon", got.status);
  ok(got.networkConfiguration?.networkMode === "PUBLIC", "... PUBLIC", got.networkConfiguration);
  ok(got.codeInterpreterArn === `arn:aws:bedrock-agentcore:us-west-2:000000000000:code-interpreter-custom/${ciId}`,
    "... its ARN", got.codeInterpreterArn);

  const listed = await control.send(new cp.ListCodeInterpretersCommand({}));
  ok(listed.codeInterpreterSummaries.some((s) => s.codeInterpreterId === ciId),
    "ListCodeInterpreters lists it", listed);
  const tags = await control.send(new cp.ListTagsForResourceCommand({ resourceArn: got.codeInterpreterArn }));
  ok(tags.tags?.team === "data", "ListTagsForResource: its tags", tags.tags);
  await control.send(new cp.TagResourceCommand({ resourceArn: got.codeInterpreterArn, tags: { env: "dev" } }));
  await control.send(new cp.UntagResourceCommand({ resourceArn: got.codeInterpreterArn, tagKeys: ["team"] }));
  const tags2 = await control.send(new cp.ListTagsForResourceCommand({ resourceArn: got.codeInterpreterArn }));
  ok(JSON.stringify(tags2.tags) === '{"env":"dev"}', "TagResource and UntagResource", tags2.tags);

  // 2. A session with a timeout.
  const started = await data.send(new dp.StartCodeInterpreterSessionCommand({
    codeInterpreterIdentifier: ciId,
    name: "mysandbox-session-01",
    sessionTimeoutSeconds: 600,
  }));
  const sid = started.sessionId;
  ok(/^[0-9A-Z]{26}$/.test(sid), "StartCodeInterpreterSession: a 26-character id", sid);

  const sessions = await data.send(new dp.ListCodeInterpreterSessionsCommand({ codeInterpreterIdentifier: ciId }));
  const mine = sessions.items.find((s) => s.sessionId === sid);
  ok(mine && mine.status === "READY" && mine.name === "mysandbox-session-01",
    "ListCodeInterpreterSessions: READY", sessions.items);
  const ready = await data.send(new dp.ListCodeInterpreterSessionsCommand({
    codeInterpreterIdentifier: ciId, status: "READY" }));
  ok(ready.items.length === 1, "... filtered by status", ready.items);

  const session = await data.send(new dp.GetCodeInterpreterSessionCommand({
    codeInterpreterIdentifier: ciId, sessionId: sid }));
  ok(session.status === "READY" && session.sessionTimeoutSeconds === 600,
    "GetCodeInterpreterSession: READY, 600 s", session);

  // 3. A shell command, then Python, in the same session.
  const sh = await data.send(new dp.InvokeCodeInterpreterCommand({
    codeInterpreterIdentifier: ciId, sessionId: sid,
    name: "executeCommand",
    arguments: { command: "echo hello-from-shell" },
  }));
  ok(sh.sessionId === sid, "InvokeCodeInterpreter answers for the session", sh.sessionId);
  const shOut = await text(sh.stream);
  ok(shOut.includes("hello-from-shell"), "executeCommand: its output in a result event", shOut);

  const py = await data.send(new dp.InvokeCodeInterpreterCommand({
    codeInterpreterIdentifier: ciId, sessionId: sid,
    name: "executeCode",
    arguments: { code: 'print("hello-from-python")', language: "python", clearContext: false },
  }));
  let pyResult;
  for await (const event of py.stream) if (event.result) pyResult = event.result;
  ok((pyResult?.content?.[0]?.text ?? "").includes("hello-from-python"),
    "executeCode (Python): its output", pyResult);
  ok(pyResult?.isError === false && typeof pyResult?.structuredContent?.exitCode === "number",
    "... structuredContent with exitCode, isError false", pyResult);

  // 4. Stop it: TERMINATED, and no more calls.
  const stopped = await data.send(new dp.StopCodeInterpreterSessionCommand({
    codeInterpreterIdentifier: ciId, sessionId: sid }));
  ok(stopped.lastUpdatedAt instanceof Date, "StopCodeInterpreterSession", stopped);
  const after = await data.send(new dp.GetCodeInterpreterSessionCommand({
    codeInterpreterIdentifier: ciId, sessionId: sid }));
  ok(after.status === "TERMINATED", "... TERMINATED", after.status);
  try {
    const late = await data.send(new dp.InvokeCodeInterpreterCommand({
      codeInterpreterIdentifier: ciId, sessionId: sid,
      name: "executeCommand", arguments: { command: "true" } }));
    await text(late.stream);
    ok(false, "a stopped session takes no more calls");
  } catch (e) {
    ok(e.name === "ResourceNotFoundException", "a stopped session takes no more calls", e.name);
  }

  // The built-in interpreter needs no create (the walkthrough's first part).
  const sys = await data.send(new dp.StartCodeInterpreterSessionCommand({
    codeInterpreterIdentifier: "aws.codeinterpreter.v1" }));
  const hello = await data.send(new dp.InvokeCodeInterpreterCommand({
    codeInterpreterIdentifier: "aws.codeinterpreter.v1", sessionId: sys.sessionId,
    name: "executeCode", arguments: { language: "python", code: 'print("Hello World!!!")' },
  }));
  ok((await text(hello.stream)).includes("Hello World!!!"), "aws.codeinterpreter.v1: Hello World!!!");
  await data.send(new dp.StopCodeInterpreterSessionCommand({
    codeInterpreterIdentifier: "aws.codeinterpreter.v1", sessionId: sys.sessionId }));

  // Errors as the SDK knows them.
  try {
    await control.send(new cp.CreateCodeInterpreterCommand({
      name: "bad-name", networkConfiguration: { networkMode: "PUBLIC" } }));
    ok(false, "a name with a hyphen is refused");
  } catch (e) {
    ok(e.name === "ValidationException" && e.$metadata.httpStatusCode === 400 &&
       e.reason === "FieldValidationFailed" && e.fieldList?.[0]?.name === "name",
      "a name with a hyphen: ValidationException with reason and fieldList",
      { name: e.name, reason: e.reason, fieldList: e.fieldList });
  }
  try {
    await control.send(new cp.CreateCodeInterpreterCommand({
      name: "myTestSandbox1", networkConfiguration: { networkMode: "PUBLIC" } }));
    ok(false, "a duplicate name is refused");
  } catch (e) {
    ok(e.name === "ConflictException" && e.$metadata.httpStatusCode === 409,
      "a duplicate name: ConflictException", e.name);
  }
  try {
    await control.send(new cp.GetCodeInterpreterCommand({ codeInterpreterId: "nothere-0123456789" }));
    ok(false, "an unknown id is not found");
  } catch (e) {
    ok(e.name === "ResourceNotFoundException" && e.$metadata.httpStatusCode === 404,
      "an unknown id: ResourceNotFoundException", e.name);
  }
  const wrong = new BedrockAgentCoreControlClient({
    endpoint,
    credentials: { accessKeyId: keyId, secretAccessKey: "not-the-secret" },
    maxAttempts: 1,
  });
  try {
    await wrong.send(new cp.ListCodeInterpretersCommand({}));
    ok(false, "a wrong secret is refused");
  } catch (e) {
    ok(e.name === "InvalidSignatureException" && e.$metadata.httpStatusCode === 403,
      "a wrong secret: InvalidSignatureException (403)", { name: e.name, status: e.$metadata?.httpStatusCode });
  }
  const stranger = new BedrockAgentCoreClient({
    endpoint,
    credentials: { accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: secret },
    maxAttempts: 1,
  });
  try {
    await stranger.send(new dp.ListCodeInterpreterSessionsCommand({ codeInterpreterIdentifier: ciId }));
    ok(false, "an unknown key is refused");
  } catch (e) {
    ok(e.name === "UnrecognizedClientException" && e.$metadata.httpStatusCode === 403,
      "an unknown key: UnrecognizedClientException (403)", e.name);
  }

  // 5. Delete: DELETING, then gone.
  const del = await control.send(new cp.DeleteCodeInterpreterCommand({ codeInterpreterId: ciId }));
  ok(del.status === "DELETING" && del.$metadata.httpStatusCode === 202, "DeleteCodeInterpreter: DELETING (202)", del.status);
  let gone = false;
  for (let i = 0; i < 100 && !gone; i++) {
    try {
      await control.send(new cp.GetCodeInterpreterCommand({ codeInterpreterId: ciId }));
      await sleep(50);
    } catch (e) {
      gone = e.name === "ResourceNotFoundException";
    }
  }
  ok(gone, "... then gone");
} catch (e) {
  ok(false, `the walkthrough ran through: ${e.name}: ${e.message}`);
  console.log(serverLog.split("\n").slice(-20).map((l) => `#   ${l}`).join("\n"));
} finally {
  server.kill("SIGTERM");
  await new Promise((r) => server.on("exit", r));
  rmSync(dir, { recursive: true, force: true });
}

console.log(`1..${n}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
