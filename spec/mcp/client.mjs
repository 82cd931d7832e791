// The official MCP TypeScript SDK client against bin/helpscout-mcp, which talks to a sandbox this
// script starts itself (bin/helpscout-sandbox --port 0). Run from the repository root:
//   node spec/mcp/client.mjs            (make test-mcp; `make deps` runs npm ci first)
// Prints one line per check, the byte sizes of three typical answers, and
// "mcp client: N passed, N failed"; appends "node-mcp S F 0 0 CODE" to .tmp/summary.txt.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError, EmptyResultSchema } from '@modelcontextprotocol/sdk/types.js';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const LUA = process.env.HS_MCP_LUA || 'lua5.4';
const home = mkdtempSync(join(tmpdir(), 'hs-mcp-')); // no token file of a real login is read
let passed = 0, failed = 0;
process.on('unhandledRejection', (e) => { failed++; console.log(`not ok - unhandled rejection: ${e}`); });
const sizes = {};

async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(e && e.stack || e).split('\n').slice(0, 6).join('\n  ')}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The sandbox and its control API

function startSandbox() {
  const p = spawn(LUA, ['bin/helpscout-sandbox', '--port', '0', '--parent', String(process.pid)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: p.stdout });
    rl.once('line', (line) => {
      const m = line.match(/http:\/\/127\.0\.0\.1:\d+/);
      m ? resolve({ proc: p, url: m[0] }) : reject(new Error('sandbox: ' + line));
    });
    p.once('exit', (code) => reject(new Error('sandbox exited ' + code)));
  });
}

const sb = await startSandbox();
async function control(method, path, body) {
  const res = await fetch(sb.url + '/_sandbox/' + path, { method, headers: { 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}
const clearLog = () => control('DELETE', 'log');
const apiLog = async () => (await control('GET', 'log')).requests.filter((r) => !r.path.includes('oauth2'));

// ---------------------------------------------------------------------------------------------
// Servers under test

async function connect(flags = [], env = {}) {
  const transport = new StdioClientTransport({ command: LUA, args: ['bin/helpscout-mcp', ...flags],
    env: { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: home, HELPSCOUT_BASE_URL: sb.url,
      HELPSCOUT_CLIENT_ID: 'sandbox-client-id', HELPSCOUT_CLIENT_SECRET: 'sandbox-client-secret', HELPSCOUT_MCP_DEBUG: process.env.HS_MCP_STDERR, ...env },
    stderr: process.env.HS_MCP_STDERR ? 'inherit' : 'pipe' });
  const client = new Client({ name: 'helpscout-spec', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: true });
addFormats(ajv);
const validators = new Map();
function validateOutput(tool, result) {
  const v = validators.get(tool);
  assert.ok(v, 'no outputSchema for ' + tool);
  assert.ok(result.structuredContent, 'no structuredContent');
  assert.ok(v(result.structuredContent), JSON.stringify(v.errors).slice(0, 400));
  assert.equal(result.content[0].type, 'text');
}
async function call(client, name, args, opts) {
  const r = await client.callTool({ name, arguments: args }, undefined, opts);
  validateOutput(name, r);
  return r;
}
function ok(r) {
  assert.equal(r.isError, false, r.content && r.content[0] && r.content[0].text);
  return r.structuredContent;
}
function toolError(r) {
  assert.equal(r.isError, true, 'expected isError');
  return r.structuredContent.error;
}

const client = await connect();
const WRITES = ['add_note', 'update_tags', 'reply', 'create_conversation'];
let tools = [];

await check('initialize negotiates 2025-11-25 and names the server', async () => {
  assert.equal(client.getServerVersion().name, 'helpscout-mcp');
  assert.ok(client.getServerCapabilities().tools);
});

await check('tools/list: 13 tools, every schema valid JSON Schema 2020-12, annotations set', async () => {
  tools = (await client.listTools()).tools;
  assert.equal(tools.length, 13);
  for (const t of tools) {
    assert.equal(t.inputSchema.type, 'object');
    assert.equal(t.inputSchema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    ajv.compile(t.inputSchema);
    validators.set(t.name, ajv.compile(t.outputSchema));
    const a = t.annotations;
    assert.equal(a.readOnlyHint, !WRITES.includes(t.name), t.name);
    for (const k of ['destructiveHint', 'idempotentHint', 'openWorldHint']) assert.equal(typeof a[k], 'boolean');
    assert.ok(validators.get(t.name)({ error: { kind: 'server', message: 'x', status: 500, retryable: true,
      retry_after: null } }), 'error shape');
  }
  assert.equal(tools.find((t) => t.name === 'update_tags').annotations.destructiveHint, true);
  assert.equal(tools.find((t) => t.name === 'reply').annotations.destructiveHint, false);
});

let conv, customerEmail;
await check('every tool called; each structuredContent validates against its outputSchema', async () => {
  await call(client, 'list_mailboxes', {}).then(ok);
  const list = ok(await call(client, 'list_conversations', { status: 'active' }));
  assert.equal(list.items.length, 25);
  conv = list.items.find((c) => c.mailbox_id === 4821);
  customerEmail = conv.customer.match(/<([^<>]*@[^<>]*)>/)[1];
  const one = ok(await call(client, 'get_conversation', { conversation_id: conv.id }));
  assert.ok(one.transcript.length > 0 && !/<p>/.test(one.transcript));
  ok(await call(client, 'list_customers', { query: `(email:"${customerEmail}")` }));
  ok(await call(client, 'list_users', {}));
  ok(await call(client, 'add_note', { conversation_id: conv.id, text: 'checked by the spec' }));
  ok(await call(client, 'update_tags', { conversation_id: conv.id, tags: ['spec', 'vip'] }));
  ok(await call(client, 'reply', { conversation_id: conv.id, text: 'Thanks!' }));
  const created = ok(await call(client, 'create_conversation', { mailboxId: 4821, subject: 'From the spec',
    customer: { email: 'spec@customer.test' }, type: 'email', status: 'active',
    threads: [{ type: 'customer', text: 'Hello', customer: { email: 'spec@customer.test' } }] }));
  assert.ok(Number.isInteger(created.id));
  const tri = ok(await call(client, 'triage_inbox', { limit: 100 }));
  assert.ok(tri.attention.length > 0 && tri.groups.length > 0);
  const sug = ok(await call(client, 'suggest_replies', { limit: 3 }));
  assert.equal(sug.drafts.length, 3);
  const sum = ok(await call(client, 'customer_summary', { email: customerEmail }));
  assert.ok(sum.total >= 1);
  ok(await call(client, 'conversation_transcript', { conversation_id: conv.id }));
});

await check('reply without send (and with send, when sending is not allowed) is a draft in Help Scout', async () => {
  await clearLog();
  ok(await call(client, 'reply', { conversation_id: conv.id, text: 'draft one' }));
  ok(await call(client, 'reply', { conversation_id: conv.id, text: 'draft two', send: true }));
  const posts = (await apiLog()).filter((r) => r.method === 'POST');
  assert.equal(posts.length, 2);
  for (const p of posts) assert.equal(p.json.draft, true);
});

await check('--allow-send with send=true sends; without send it is still a draft', async () => {
  const c2 = await connect(['--allow-send']);
  await clearLog();
  assert.equal(ok(await call(c2, 'reply', { conversation_id: conv.id, text: 'sent', send: true })).draft, false);
  ok(await call(c2, 'reply', { conversation_id: conv.id, text: 'kept' }));
  const posts = (await apiLog()).filter((r) => r.method === 'POST');
  assert.deepEqual(posts.map((p) => p.json.draft), [false, true]);
  await c2.close();
});

await check('--read-only hides write tools and refuses them with no request sent', async () => {
  const c3 = await connect(['--read-only']);
  const names = (await c3.listTools()).tools.map((t) => t.name);
  for (const w of WRITES) assert.ok(!names.includes(w), w);
  await clearLog();
  const e = toolError(await call(c3, 'reply', { conversation_id: conv.id, text: 'x' }));
  assert.equal(e.kind, 'read_only');
  assert.equal((await apiLog()).length, 0);
  await c3.close();
});

await check('--mailboxes refuses reads and writes outside the allowlist; no write is sent', async () => {
  const c4 = await connect(['--mailboxes', '4821']);
  await clearLog();
  assert.equal(toolError(await call(c4, 'list_conversations', { mailbox: 5307 })).kind, 'forbidden');
  assert.equal((await apiLog()).length, 0, 'a refused list sends nothing');
  const other = ok(await call(client, 'list_conversations', { mailbox: 5307 })).items[0];
  await clearLog();
  assert.equal(toolError(await call(c4, 'add_note', { conversation_id: other.id, text: 'x' })).kind, 'forbidden');
  assert.equal(toolError(await call(c4, 'get_conversation', { conversation_id: other.id })).kind, 'forbidden');
  const log = await apiLog();
  assert.ok(log.every((r) => r.method === 'GET'), 'only GETs: ' + log.map((r) => r.method).join());
  const mine = ok(await call(c4, 'list_conversations', {}));
  assert.ok(mine.items.every((c) => c.mailbox_id === 4821));
  const mbs = ok(await call(c4, 'list_mailboxes', {}));
  assert.deepEqual(mbs.items.map((m) => m.id), [4821]);
  await c4.close();
});

await check('a 429 becomes isError with kind rate_limited and retry_after', async () => {
  const c6 = await connect(); // its client now paces for 300 s: keep it away from the other checks
  await control('POST', 'faults', { path: '/v2/users', status: 429, count: 5,
    headers: { 'X-RateLimit-Retry-After': '300' }, body: '{"message":"API rate limit exceeded"}' });
  const r = await call(c6, 'list_users', {});
  const e = toolError(r);
  assert.equal(e.kind, 'rate_limited');
  assert.equal(e.retry_after, 300);
  assert.match(r.content[0].text, /retry after 300/);
  await control('DELETE', 'faults');
  await c6.close();
});

await check('dry_run describes the request and sends nothing', async () => {
  await clearLog();
  const d = ok(await call(client, 'add_note', { conversation_id: conv.id, text: 'maybe', dry_run: true })).dry_run;
  assert.equal(d.method, 'POST');
  assert.equal(d.path, `/v2/conversations/${conv.id}/notes`);
  assert.equal(d.body.text, 'maybe');
  assert.equal((await apiLog()).length, 0);
});

await check('bad input: unknown tool is a JSON-RPC error, bad arguments are isError, server keeps serving', async () => {
  await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), (e) => e instanceof McpError);
  await clearLog();
  const e = toolError(await call(client, 'list_conversations', { status: 'sideways', bogus: 1 }));
  assert.equal(e.kind, 'invalid');
  assert.ok(e.errors.length >= 2);
  const huge = 'x'.repeat(2 * 1024 * 1024);
  await assert.rejects(client.callTool({ name: 'add_note', arguments: { conversation_id: conv.id, text: huge } }),
    (err) => err instanceof McpError);
  assert.equal((await apiLog()).length, 0);
  await client.ping();
});

await check('answers (never a timeout): a lone surrogate, a 1 MB argument quickly, an unknown method', async () => {
  const r = ok(await call(client, 'add_note', { conversation_id: conv.id, text: 'odd \ud800 text', dry_run: true }));
  assert.equal(r.dry_run.body.text, 'odd \ufffd text');
  const mb = 'y'.repeat(1024 * 1024);
  const times = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await assert.rejects(client.callTool({ name: 'add_note', arguments: { conversation_id: conv.id, text: mb } }),
      (e) => e instanceof McpError && e.code === -32600);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  sizes['1 MiB argument (over the cap) answered in (ms, median of 3)'] = { text: Math.round(times[1]), json: 0 };
  assert.ok(times[1] < 1000 * Number(process.env.HS_TIME_SLACK || 1), 'median ' + times[1]);
  const under = [];
  for (let i = 0; i < 3; i++) { // 1,000,000 characters: decoded, then refused by the schema (maxLength)
    const t0 = performance.now();
    const e = toolError(await call(client, 'add_note', { conversation_id: conv.id, text: 'y'.repeat(1000000) }));
    under.push(performance.now() - t0);
    assert.equal(e.kind, 'invalid');
    assert.equal(e.errors.length, 1);
    assert.match(e.errors[0].message, /characters/);
  }
  under.sort((a, b) => a - b);
  sizes['1 MB argument (under the cap) answered in (ms, median of 3)'] = { text: Math.round(under[1]), json: 0 };
  assert.ok(under[1] < 1000 * Number(process.env.HS_TIME_SLACK || 1), 'median ' + under[1]);
  await assert.rejects(client.request({ method: 'no/such', params: {} }, EmptyResultSchema),
    (e) => e instanceof McpError && e.code === -32601);
  await client.ping();
});

await check('progress notifications on a long pull', async () => {
  const seen = [];
  ok(await call(client, 'triage_inbox', { status: 'open', limit: 200 }, { onprogress: (p) => seen.push(p) }));
  assert.ok(seen.length >= 2, 'progress count ' + seen.length);
  assert.ok(seen[seen.length - 1].progress >= seen[0].progress);
});

// Pages answered slowly (sandbox fault "delay"), so that a pull is surely still running when the
// client's next message arrives, however loaded the machine is.
const slowPages = () => control('POST', 'faults', { method: 'GET', path: '/v2/conversations', action: 'delay',
  delay: 0.25, count: 40 });

await check('cancellation stops a pull; the server keeps serving', async () => {
  const ctl = new AbortController();
  await clearLog();
  await slowPages();
  const p = client.callTool({ name: 'triage_inbox', arguments: { status: 'open', limit: 1000 } }, undefined,
    { signal: ctl.signal, onprogress: () => ctl.abort('enough') });
  await assert.rejects(p);
  await client.ping();
  await new Promise((r) => setTimeout(r, 300));
  const pages = (await apiLog()).filter((r) => r.path === '/v2/conversations').length;
  await control('DELETE', 'faults');
  assert.ok(pages >= 1 && pages <= 3, 'pages read after cancel: ' + pages);
});

await check('a request cancelled while it waits behind a pull is never run', async () => {
  await clearLog();
  await slowPages();
  const ctl = new AbortController();
  let second;
  const first = call(client, 'triage_inbox', { status: 'open', limit: 200 }, { onprogress: () => {
    if (second) return;
    second = client.callTool({ name: 'list_users', arguments: {} }, undefined, { signal: ctl.signal })
      .then(() => 'answered', () => 'rejected');
    ctl.abort('changed my mind');
  } });
  ok(await first);
  await control('DELETE', 'faults');
  assert.equal(await second, 'rejected');
  await client.ping();
  assert.equal((await apiLog()).filter((r) => r.path === '/v2/users').length, 0);
});

await check('small in context: sizes within target; --max-output cuts with a continuation', async () => {
  const list = await call(client, 'list_conversations', { status: 'active' });
  const one = await call(client, 'get_conversation', { conversation_id: conv.id });
  const tri = await call(client, 'triage_inbox', {});
  for (const [k, r] of [['list_conversations (25)', list], ['get_conversation', one], ['triage_inbox', tri]]) {
    sizes[k] = { text: Buffer.byteLength(r.content[0].text), json: Buffer.byteLength(JSON.stringify(r.structuredContent)) };
  }
  assert.ok(sizes['list_conversations (25)'].text <= 12 * 1024);
  assert.ok(sizes['list_conversations (25)'].json <= 12 * 1024);
  const c5 = await connect(['--max-output', '4096']);
  const first = ok(await call(c5, 'list_conversations', { status: 'active' }));
  assert.ok(first.continuation && first.items.length < 25);
  const ids = first.items.map((c) => c.id);
  let cont = first.continuation;
  let next;
  for (;;) { // one mechanism: the continuation runs through the cut page, then on to page 2
    next = ok(await call(c5, 'list_conversations', { continuation: cont }));
    if (next.page.number !== 1) break;
    ids.push(...next.items.map((c) => c.id));
    cont = next.continuation;
  }
  assert.deepEqual(ids, ok(await call(client, 'list_conversations', { status: 'active' })).items.map((c) => c.id));
  assert.equal(next.page.number, 2);
  const page2 = ok(await call(client, 'list_conversations', { status: 'active', page: 2 })).items.map((c) => c.id);
  assert.deepEqual(next.items.map((c) => c.id), page2.slice(0, next.items.length));
  await c5.close();
});

await client.close();

// ---------------------------------------------------------------------------------------------
// Raw JSON-RPC over the server's pipes: version negotiation, malformed lines, EOF.

function raw(lines) {
  return new Promise((resolve) => {
    const p = spawn(LUA, ['bin/helpscout-mcp'], { env: { PATH: process.env.PATH, HOME: home,
      XDG_CONFIG_HOME: home, HELPSCOUT_BASE_URL: sb.url } });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('exit', (code) => resolve({ code, lines: out.split('\n').filter(Boolean) }));
    p.stdin.end(lines.join('\n') + '\n');
  });
}

await check('raw: negotiation, malformed JSON, unknown method, clean exit on EOF, stdout only JSON', async () => {
  const init = (v, id) => JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize',
    params: { protocolVersion: v, capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
  const r = await raw([init('2025-03-26', 1), '{"jsonrpc":"2.0","method":"notifications/initialized"}', '{oops',
    '[1,2]', '{"jsonrpc":"2.0","id":2,"method":"resources/list"}', init('1999-01-01', 3),
    '{"jsonrpc":"2.0","id":4,"method":"ping"}']);
  assert.equal(r.code, 0);
  const msgs = r.lines.map((l) => JSON.parse(l));
  assert.equal(msgs.length, 6);
  assert.equal(msgs[0].result.protocolVersion, '2025-03-26');
  assert.equal(msgs[1].error.code, -32700);
  // 2025-03-26 has batches: one answer per element
  assert.deepEqual(msgs[2].map((m) => m.error.code), [-32600, -32600]);
  assert.equal(msgs[3].error.code, -32601);
  assert.equal(msgs[4].result.protocolVersion, '2025-11-25');
  assert.deepEqual(msgs[5].result, {});
});

await check('raw: a call before initialize and a batch (removed in 2025-06-18+) are answered with errors', async () => {
  const r = await raw(['{"jsonrpc":"2.0","id":1,"method":"tools/list"}', '{"jsonrpc":"2.0","id":2,"method":"ping"}',
    JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'initialize', params: { protocolVersion: '2025-11-25',
      capabilities: {}, clientInfo: { name: 'raw', version: '0' } } }),
    '[{"jsonrpc":"2.0","id":4,"method":"ping"}]', '{"jsonrpc":"2.0","id":5,"method":"tools/list","params":{"x":"\\ud800"}}']);
  const msgs = r.lines.map((l) => JSON.parse(l));
  assert.equal(msgs.length, 5);
  assert.equal(msgs[0].id, 1);
  assert.equal(msgs[0].error.code, -32600);
  assert.deepEqual(msgs[1].result, {});
  assert.equal(msgs[3].error.code, -32600);
  assert.equal(msgs[4].id, 5);
  assert.ok(msgs[4].result.tools.length > 0);
});

sb.proc.kill();
console.log('sizes (bytes of tool output: text content / structuredContent JSON):');
for (const [k, v] of Object.entries(sizes)) console.log(`  ${k}: ${v.text} / ${v.json}`);
console.log(`mcp client: ${passed} passed, ${failed} failed`);
mkdirSync('.tmp', { recursive: true });
appendFileSync('.tmp/summary.txt', `node-mcp ${passed} ${failed} 0 0 ${failed ? 1 : 0}\n`);
process.exit(failed ? 1 : 0);
