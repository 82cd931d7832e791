// The official MCP TypeScript SDK client, with its OAuth client, against the connector
// (examples/connector.conf in a real nginx) and the sandbox (two accounts), both started by
// spec/connector/run.lua, which passes CONNECTOR_URL and SANDBOX_URL. Prints one line per check and
// "connector sdk: N passed, N failed".
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import assert from 'node:assert/strict';
import { CONNECTOR, MCP_URL, control, connectAs, SpecProvider } from './oauth.mjs';

let passed = 0, failed = 0;
process.on('unhandledRejection', (e) => { failed++; console.log(`not ok - unhandled rejection: ${e}`); });
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(e && e.stack || e).split('\n').slice(0, 8).join('\n  ')}`);
  }
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const validators = new Map();
async function call(client, name, args) {
  const r = await client.callTool({ name, arguments: args });
  const v = validators.get(name);
  assert.ok(v, 'no outputSchema for ' + name);
  assert.ok(v(r.structuredContent), name + ': ' + JSON.stringify(v.errors).slice(0, 300));
  assert.equal(r.isError, false, name + ': ' + (r.content && r.content[0] && r.content[0].text));
  return r.structuredContent;
}

const accounts = (await control('GET', 'accounts')).accounts;
const userA = accounts[0].users[0], userB = accounts[1].users[0];
let a, b;

await check('discovery, registration and authorization through Help Scout consent (person A)', async () => {
  a = await connectAs(userA.id);
  const d = a.provider.discovery;
  assert.equal(d.resourceMetadata.resource, CONNECTOR + '/mcp');
  assert.deepEqual(d.resourceMetadata.authorization_servers, [CONNECTOR]);
  assert.equal(d.authorizationServerMetadata.issuer, CONNECTOR);
  assert.deepEqual(d.authorizationServerMetadata.code_challenge_methods_supported, ['S256']);
  const info = a.provider.clientInformation();
  assert.match(info.client_id, /^hsc_client_/);
  assert.equal(info.token_endpoint_auth_method, 'none');
  const auth = a.provider.authorizationUrl;
  assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(auth.searchParams.get('resource'), CONNECTOR + '/mcp');
  // the person allowed this client on the connector's page, then consented at Help Scout, and the
  // connector's callback sent the code back
  const hops = a.provider.hops.map((h) => `${h.status} ${h.method} ${h.path}`);
  assert.deepEqual(hops, ['200 GET /authorize', '302 POST /authorize', '302 GET /authentication/authorizeClientApplication',
    '302 GET /oauth/callback/help-scout']);
  const t = a.provider.tokens();
  assert.match(t.access_token, /^hsc_at_/);
  assert.match(t.refresh_token, /^hsc_rt_/);
  assert.equal(t.token_type, 'Bearer');
  assert.ok(t.expires_in > 0 && t.expires_in <= 3600);
});

await check('tools/list: the 13 tools with their schemas', async () => {
  const tools = (await a.client.listTools()).tools;
  assert.equal(tools.length, 13);
  for (const t of tools) validators.set(t.name, ajv.compile(t.outputSchema));
  assert.equal(a.client.getServerVersion().name, 'helpscout-mcp');
});

let conv, mailboxA;
await check('every tool called over Streamable HTTP; each answer validates against its outputSchema', async () => {
  const c = a.client;
  const mbs = await call(c, 'list_mailboxes', {});
  mailboxA = mbs.items[0].id;
  const list = await call(c, 'list_conversations', { status: 'active' });
  assert.ok(list.items.length > 0);
  conv = list.items.find((x) => x.mailbox_id === mailboxA) || list.items[0];
  const email = conv.customer.match(/<([^<>]*@[^<>]*)>/)[1];
  assert.ok((await call(c, 'get_conversation', { conversation_id: conv.id })).transcript.length > 0);
  await call(c, 'list_customers', { query: `(email:"${email}")` });
  await call(c, 'list_users', {});
  await call(c, 'add_note', { conversation_id: conv.id, text: 'checked through the connector' });
  await call(c, 'update_tags', { conversation_id: conv.id, tags: ['connector'] });
  assert.equal((await call(c, 'reply', { conversation_id: conv.id, text: 'Thanks!' })).draft, true);
  const created = await call(c, 'create_conversation', { mailboxId: mailboxA, subject: 'Via the connector',
    customer: { email: 'connector@customer.test' }, type: 'email', status: 'active',
    threads: [{ type: 'customer', text: 'Hello', customer: { email: 'connector@customer.test' } }] });
  assert.ok(Number.isInteger(created.id));
  assert.ok((await call(c, 'triage_inbox', { limit: 50 })).groups.length > 0);
  await call(c, 'suggest_replies', { limit: 2 });
  assert.ok((await call(c, 'customer_summary', { email })).total >= 1);
  await call(c, 'conversation_transcript', { conversation_id: conv.id });
});

await check('sending stays off by default: reply with send=true is a draft, nothing in the outbox', async () => {
  await control('DELETE', 'outbox');
  const r = await call(a.client, 'reply', { conversation_id: conv.id, text: 'not sent', send: true });
  assert.equal(r.draft, true);
  assert.equal((await control('GET', 'outbox')).emails.length, 0);
});

await check('two people of two accounts: each MCP session sees only its own account', async () => {
  b = await connectAs(userB.id);
  const mbA = (await call(a.client, 'list_mailboxes', {})).items.map((m) => m.id);
  const mbB = (await call(b.client, 'list_mailboxes', {})).items.map((m) => m.id);
  assert.deepEqual(mbA, accounts[0].mailboxes.map((m) => m.id));
  assert.deepEqual(mbB, accounts[1].mailboxes.map((m) => m.id));
  const usersB = (await call(b.client, 'list_users', {})).items.map((u) => u.email);
  assert.ok(usersB.includes(userB.email) && !usersB.includes(userA.email));
  // A's conversation does not exist for B
  const r = await b.client.callTool({ name: 'get_conversation', arguments: { conversation_id: conv.id } });
  assert.equal(r.isError, true);
  assert.equal(r.structuredContent.error.kind, 'not_found');
  assert.notEqual(a.provider.tokens().access_token, b.provider.tokens().access_token);
});

await check("B's token cannot use A's MCP session (404)", async () => {
  const res = await fetch(MCP_URL, { method: 'POST', headers: { 'content-type': 'application/json',
    accept: 'application/json, text/event-stream', authorization: 'Bearer ' + b.provider.tokens().access_token,
    'mcp-session-id': a.transport.sessionId, 'mcp-protocol-version': '2025-11-25' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }) });
  assert.equal(res.status, 404);
});

await check('an access token the connector no longer knows is refreshed by the SDK (rotation)', async () => {
  const before = a.provider.tokens();
  a.provider.saveTokens({ ...before, access_token: 'hsc_at_made-up' });
  const mbs = await call(a.client, 'list_mailboxes', {});
  assert.ok(mbs.items.length > 0);
  const after = a.provider.tokens();
  assert.notEqual(after.access_token, 'hsc_at_made-up');
  assert.notEqual(after.refresh_token, before.refresh_token, 'the refresh token rotated');
});

await check('progress notifications arrive over SSE during a long pull', async () => {
  const seen = [];
  await a.client.callTool({ name: 'triage_inbox', arguments: { limit: 200 } }, undefined,
    { onprogress: (p) => seen.push(p.progress) });
  assert.ok(seen.length > 0, 'no progress notification');
});

await check('a client that does not register is refused at /authorize (no redirect to it)', async () => {
  const p = new SpecProvider();
  const url = `${CONNECTOR}/authorize?response_type=code&client_id=hsc_client_unknown&redirect_uri=` +
    encodeURIComponent(p.redirectUrl) + '&code_challenge=' + 'a'.repeat(43) + '&code_challenge_method=S256';
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 400);
});

await check('DELETE ends the session; the ended session is 404', async () => {
  const sid = a.transport.sessionId;
  await a.transport.terminateSession();
  const res = await fetch(MCP_URL, { method: 'POST', headers: { 'content-type': 'application/json',
    accept: 'application/json, text/event-stream', authorization: 'Bearer ' + a.provider.tokens().access_token,
    'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 10, method: 'ping' }) });
  assert.equal(res.status, 404);
  await assert.rejects(a.client.listTools(), (e) => e instanceof Error);
});

await b.client.close();
console.log(`connector sdk: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
