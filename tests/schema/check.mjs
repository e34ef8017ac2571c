#!/usr/bin/env node
// Checks schema/manifest.schema.json (JSON Schema 2020-12) three ways:
//
//   schema     it compiles with Ajv in strict mode;
//   examples   every examples/**/*.yaml passes it and starts with the
//              yaml-language-server line pointing at it, and every example
//              directory passes `$SANDFORM validate` (no env vars, no --var);
//   agreement  the schema and the C validator agree on tests/schema/corpus/:
//                good/*.yaml      both accept
//                bad/*.yaml       both reject
//                semantic/*.yaml  the schema accepts, the C validator rejects
//                                 (what JSON Schema cannot see)
//
// Usage: node check.mjs [schema|examples|agreement]... [--verbose]
//   (no mode: all three). SANDFORM names the sandform binary; it is required
//   for agreement, and without it examples are only checked by the schema.
//
// Corpus conventions: line 1 is a comment saying what the file is about.
// Comments on the next lines may pin down where and why a file is refused,
// so that it cannot pass by failing for some other, accidental reason:
//   # at: /json/pointer   bad: every schema error lies at or under it;
//                         bad and semantic: sandform reports at least one
//                         error there, and none elsewhere: every error is
//                         inside the lines of that key and its value
//   # sandform: REGEX     sandform's output matches REGEX (case-insensitive)
//
// Prints one line per check (`ok` / `FAIL`) and a final `N passed, M failed`;
// exits 1 on any failure.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const schemaPath = join(root, 'schema', 'manifest.schema.json');
const examplesDir = join(root, 'examples');
const corpusDir = join(here, 'corpus');
const SCHEMA_ID = 'https://sandform.dev/schema/manifest.schema.json';
const rel = (p) => relative(root, p);

const installHint = 'run: npm ci --prefix tests/schema   (from the top of the checkout)';
if (!existsSync(join(here, 'node_modules'))) {
  // Refuse to run with packages found elsewhere up the tree or globally: the
  // versions are pinned by package-lock.json.
  console.log(`FAIL dependencies: ${rel(join(here, 'node_modules'))} is missing`);
  console.log(`  ${installHint}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

let Ajv2020, YAML;
try {
  ({ default: Ajv2020 } = await import('ajv/dist/2020.js'));
  YAML = await import('yaml');
} catch (e) {
  console.log(`FAIL dependencies: ${e.code || e.message}`);
  console.log(`  the Node packages are not installed properly; ${installHint}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const args = process.argv.slice(2);
const verbose = args.includes('--verbose') || args.includes('-v');
const known = ['schema', 'examples', 'agreement'];
const modes = args.filter((a) => !a.startsWith('-'));
for (const m of modes) {
  if (!known.includes(m)) {
    console.error(`check.mjs: unknown mode ${m} (expected ${known.join(', ')})`);
    process.exit(2);
  }
}
const want = (m) => modes.length === 0 || modes.includes(m);

let passed = 0;
let failed = 0;
function ok(what, detail) {
  passed++;
  console.log(`ok   ${what}${detail && verbose ? `  (${detail})` : ''}`);
}
function fail(what, why) {
  failed++;
  console.log(`FAIL ${what}: ${why}`);
}

// ---- the schema -------------------------------------------------------------

let validate;
{
  let schema;
  try {
    schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
  } catch (e) {
    fail('schema', `cannot read ${rel(schemaPath)}: ${e.message}`);
  }
  if (schema) {
    try {
      // strict: unknown keywords, ignored keywords, types that do not fit the
      // keywords and `required` of undefined properties are all errors.
      const ajv = new Ajv2020({ strict: true, allErrors: true });
      // Annotations that VS Code's JSON language service and
      // yaml-language-server read (error texts, completion help, snippets).
      ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
      ajv.addKeyword({ keyword: 'enumDescriptions', schemaType: 'array' });
      ajv.addKeyword({ keyword: 'defaultSnippets', schemaType: 'array' });
      validate = ajv.compile(schema);
      if (schema.$id !== SCHEMA_ID) throw new Error(`$id is ${schema.$id}, want ${SCHEMA_ID}`);
      if (want('schema')) ok('schema compiles in strict mode');
    } catch (e) {
      fail('schema', e.message);
    }
  }
}

// ---- helpers ----------------------------------------------------------------

// Parse YAML the way an editor's schema check sees it: every document of the
// stream, later duplicate keys winning (duplicate keys, aliases, tags and
// multi-document streams are the C validator's to refuse, not the schema's).
function load(file) {
  const text = readFileSync(file, 'utf8');
  const docs = YAML.parseAllDocuments(text, { uniqueKeys: false, prettyErrors: false });
  const values = [];
  for (const d of docs) {
    if (d.errors && d.errors.length) return { text, error: `YAML: ${d.errors[0].message.split('\n')[0]}` };
    values.push(d.toJS({ maxAliasCount: -1 }));
  }
  if (values.length === 0) values.push(null);
  return { text, values };
}

function describe(err) {
  const at = err.instancePath || '/';
  let extra = '';
  if (err.params?.additionalProperty) extra = ` (${err.params.additionalProperty})`;
  else if (err.params?.propertyName) extra = ` (${err.params.propertyName})`;
  else if (err.params?.allowedValues) extra = ` (${err.params.allowedValues.join(', ')})`;
  return `${at} ${err.message}${extra}`;
}

// The most specific schema error: the deepest instance path, preferring
// errors that are not just the summary of an anyOf/oneOf/if.
function bestError(errors) {
  const summary = new Set(['anyOf', 'oneOf', 'if', 'not']);
  const sorted = [...errors].sort((a, b) => {
    const da = a.instancePath.split('/').length;
    const db = b.instancePath.split('/').length;
    if (da !== db) return db - da;
    return Number(summary.has(a.keyword)) - Number(summary.has(b.keyword));
  });
  return sorted[0];
}

// Validate every document of a file: { valid, reason, errors }.
function schemaCheck(file) {
  const { values, error } = load(file);
  if (error) return { valid: false, reason: error, errors: [] };
  for (const v of values) {
    if (!validate(v)) {
      const errors = validate.errors;
      return { valid: false, reason: describe(bestError(errors)), errors };
    }
  }
  return { valid: true, reason: 'schema accepts', errors: [] };
}

const SANDFORM = process.env.SANDFORM;

// A minimal environment, so that nothing passes because of the caller's
// ${env.X}, AWS_REGION, TZ or colour settings.
function cleanEnv() {
  const env = { PATH: process.env.PATH || '/usr/bin:/bin', NO_COLOR: '1', LC_ALL: 'C' };
  if (process.env.HOME) env.HOME = process.env.HOME;
  if (process.env.TZDIR) env.TZDIR = process.env.TZDIR;
  return env;
}

// Run `$SANDFORM validate PATH`: { code, reason }.
function cCheck(path) {
  const r = spawnSync(SANDFORM, ['validate', path], {
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: 30000,
  });
  if (r.error) return { code: -1, reason: `cannot run ${SANDFORM}: ${r.error.message}` };
  const out = `${r.stderr || ''}${r.stdout || ''}`;
  const firstError = out.split('\n').find((l) => /error:/.test(l)) || out.split('\n').find((l) => l.trim()) || '';
  const code = r.status === null ? -1 : r.status;
  const how = r.status === null ? `killed by ${r.signal}` : `exit ${r.status}`;
  // file:line:column: error: ... (the closing `sandform: error: ...` summary
  // and errors about a whole file have no line)
  const errors = [];
  const fileErrors = [];
  for (const l of out.split('\n')) {
    const m = /^(.*?):(\d+):(\d+): error: (.*)$/.exec(l);
    if (m) errors.push({ line: Number(m[2]), col: Number(m[3]), text: l.replace(root + '/', '').trim() });
    else if (/^[^\s:]+: error: /.test(l) && !l.startsWith('sandform: ')) fileErrors.push(l.replace(root + '/', '').trim());
  }
  return { code, out, errors, fileErrors, reason: `${how}${firstError ? `: ${firstError.replace(root + '/', '').trim()}` : ''}` };
}

// The lines [first, last] of the key and value at a JSON pointer in the
// file's first YAML document, or null when the pointer leads nowhere.
function linesAt(text, ptr) {
  const lc = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { uniqueKeys: false, lineCounter: lc });
  let node = doc.contents;
  let range = node?.range ? [node.range[0], node.range[2]] : [0, text.length];
  for (const seg of ptr.split('/').slice(1).map((x) => x.replace(/~1/g, '/').replace(/~0/g, '~'))) {
    if (YAML.isMap(node)) {
      const pairs = node.items.filter((p) => String(YAML.isScalar(p.key) ? p.key.value : p.key) === seg);
      if (pairs.length === 0) return null;
      const first = pairs[0];
      const last = pairs[pairs.length - 1]; // duplicate keys: span them all
      const end = last.value?.range ? last.value.range[2] : last.key.range[2];
      range = [first.key.range[0], end];
      node = last.value;
    } else if (YAML.isSeq(node)) {
      node = node.items[Number(seg)];
      if (!node) return null;
      range = [node.range[0], node.range[2]];
    } else {
      return null;
    }
  }
  // A range ends after the value's trailing newline: step back into the text.
  const endOffset = Math.max(range[0], range[1] - 1);
  return [lc.linePos(range[0]).line, lc.linePos(endOffset).line];
}

function listYaml(dir, recursive) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (recursive) out.push(...listYaml(p, true));
    } else if (/\.ya?ml$/.test(name) && !name.startsWith('.')) {
      out.push(p);
    }
  }
  return out;
}

// ---- examples ---------------------------------------------------------------

if (want('examples') && validate) {
  const files = listYaml(examplesDir, true);
  if (files.length === 0) fail('examples', `no YAML files under ${rel(examplesDir)}`);
  const dirs = new Set();
  for (const f of files) {
    dirs.add(dirname(f));
    const first = readFileSync(f, 'utf8').split('\n')[0];
    const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
    if (!m) {
      fail(rel(f), 'the first line is not "# yaml-language-server: $schema=..."');
      continue;
    }
    if (!/^https?:/.test(m[1]) && resolve(dirname(f), m[1]) !== schemaPath) {
      fail(rel(f), `$schema=${m[1]} does not lead to ${rel(schemaPath)}`);
      continue;
    }
    const s = schemaCheck(f);
    if (s.valid) ok(`${rel(f)} (schema)`);
    else fail(`${rel(f)} (schema)`, s.reason);
  }
  if (SANDFORM) {
    for (const d of [...dirs].sort()) {
      const c = cCheck(d);
      if (c.code === 0) ok(`${rel(d)}/ (sandform validate)`, c.reason);
      else fail(`${rel(d)}/ (sandform validate)`, c.reason);
    }
  } else {
    console.log('note: SANDFORM is not set; the examples were not run through `sandform validate`');
  }
}

// ---- agreement --------------------------------------------------------------

if (want('agreement') && validate) {
  const kinds = [
    // kind, schema should accept, C should accept
    ['good', true, true],
    ['bad', false, false],
    ['semantic', true, false],
  ];
  if (!SANDFORM) {
    fail('agreement', 'SANDFORM is not set (the path of the sandform binary)');
  } else if (!existsSync(SANDFORM)) {
    fail('agreement', `SANDFORM=${SANDFORM} does not exist`);
  } else {
    for (const [kind, schemaWant, cWant] of kinds) {
      const files = listYaml(join(corpusDir, kind), false);
      if (files.length === 0) fail(`corpus/${kind}`, 'no files');
      for (const f of files) {
        const name = `corpus/${kind}/${basename(f)}`;
        const lines = readFileSync(f, 'utf8').split('\n');
        if (!/^#\s*\S/.test(lines[0])) {
          fail(name, 'line 1 must be a comment saying what the file is about');
          continue;
        }
        const s = schemaCheck(f);
        const c = cCheck(f);
        const problems = [];
        if (s.valid !== schemaWant) {
          problems.push(schemaWant ? `schema rejects: ${s.reason}` : 'schema accepts');
        } else if (!schemaWant) {
          const at = /^#\s*at:\s*(\S+)\s*$/m.exec(lines.slice(1, 4).join('\n'));
          if (at) {
            const ptr = at[1] === '/' ? '' : at[1];
            const under = (e) => e.instancePath === ptr || e.instancePath.startsWith(`${ptr}/`);
            // An anyOf above the pointer fails because of the error below it,
            // and reports that with its own error and with the type errors of
            // the alternatives that did not fit either (`interpreters:` may be
            // a mapping or empty): those are not strays.
            const above = (e) =>
              ['anyOf', 'type'].includes(e.keyword) && (ptr === e.instancePath || ptr.startsWith(`${e.instancePath}/`));
            const stray = s.errors.filter((e) => !under(e) && !above(e));
            if (s.errors.length === 0) problems.push(`schema rejects, but not at ${at[1]}: ${s.reason}`);
            else if (stray.length) problems.push(`schema also rejects outside ${at[1]}: ${describe(stray[0])}`);
          }
        }
        if (c.code !== 0 && c.code !== 1) problems.push(`sandform validate: ${c.reason} (want 0 or 1)`);
        else if ((c.code === 0) !== cWant) {
          problems.push(cWant ? `sandform validate rejects: ${c.reason}` : 'sandform validate accepts');
        } else if (!cWant) {
          const at = /^#\s*at:\s*(\S+)\s*$/m.exec(lines.slice(1, 4).join('\n'));
          if (at && at[1] !== '/') {
            const span = linesAt(lines.join('\n'), at[1]);
            if (!span) problems.push(`# at: ${at[1]} is not in the file`);
            else {
              const inside = c.errors.filter((e) => e.line >= span[0] && e.line <= span[1]);
              const outside = c.errors.filter((e) => e.line < span[0] || e.line > span[1]);
              if (inside.length === 0) {
                problems.push(`sandform reports no error at ${at[1]} (lines ${span[0]}-${span[1]}): ${c.reason}`);
              } else if (outside.length) {
                problems.push(`sandform also reports outside ${at[1]} (lines ${span[0]}-${span[1]}): ${outside[0].text}`);
              } else if (c.fileErrors.length) {
                problems.push(`sandform also reports an error about the whole file: ${c.fileErrors[0]}`);
              }
            }
          }
          const rx = /^#\s*sandform:\s*(.+?)\s*$/m.exec(lines.slice(1, 4).join('\n'));
          if (rx && !new RegExp(rx[1], 'i').test(c.out)) {
            problems.push(`sandform's output does not match /${rx[1]}/: ${c.reason}`);
          }
        }
        if (problems.length) fail(name, problems.join('; '));
        else ok(name, `schema: ${s.reason}; sandform: ${c.reason}`);
      }
    }
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
