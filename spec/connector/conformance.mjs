// The official MCP conformance suite (@modelcontextprotocol/conformance, run on Node 22) against
// the connector. Its server scenarios connect without OAuth, so a person first authorizes through
// the SDK (oauth.mjs), and the suite talks to a loopback forwarder that adds that person's bearer
// token and forwards everything else unchanged to the connector — except that the forwarder's own
// Host and Origin become the connector's (a reverse proxy's job): a foreign Host/Origin reaches
// the connector as sent, which is what dns-rebinding-protection checks.
// Prints one line per scenario and "connector conformance: N passed, N failed".
import http from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONNECTOR, control, connectAs } from './oauth.mjs';

// Applicable: the connector offers tools (and logging) over Streamable HTTP.
const SCENARIOS = ['server-initialize', 'ping', 'tools-list', 'logging-set-level', 'dns-rebinding-protection',
  'server-sse-polling', 'server-sse-multiple-streams'];
// Not applicable, and why (doc/connector.md repeats this list):
//   tools-call-* (simple-text, image, audio, embedded-resource, mixed-content, with-logging, error,
//     with-progress, sampling, elicitation), json-schema-2020-12: call the suite's own test tools
//     (test_simple_text, ...), which a Help Scout server does not have
//   completion-complete, resources-*, prompts-*: capabilities the server does not offer
//   elicitation-sep1034-defaults, elicitation-sep1330-enums: the server never elicits

let passed = 0, failed = 0;
const accounts = (await control('GET', 'accounts')).accounts;
const { provider, client } = await connectAs(accounts[0].users[0].id);
await client.close();
const token = () => provider.tokens().access_token;

const upstream = new URL(CONNECTOR);
const forwarder = http.createServer((req, res) => {
  const own = req.socket.localAddress + ':' + req.socket.localPort;
  const headers = { ...req.headers, authorization: 'Bearer ' + token() };
  if (headers.host === own) headers.host = upstream.host;
  if (headers.origin === 'http://' + own) headers.origin = CONNECTOR;
  const up = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
    (ur) => { res.writeHead(ur.statusCode, ur.headers); ur.pipe(res); });
  up.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
  req.pipe(up);
});
await new Promise((resolve) => forwarder.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${forwarder.address().port}/mcp`;

const cli = new URL('../../node_modules/@modelcontextprotocol/conformance/dist/index.js', import.meta.url).pathname;
function scenario(name, out) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, 'server', '--url', url, '--scenario', name, '-o', out],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    p.stdout.on('data', (d) => { text += d; });
    p.stderr.on('data', (d) => { text += d; });
    p.on('exit', (code) => resolve({ code, text }));
  });
}

// Every check result the suite saved under dir (checks.json files), flattened.
function results(dir) {
  const all = [];
  const walk = (d) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f === 'checks.json') all.push(...JSON.parse(readFileSync(p, 'utf8')));
    }
  };
  walk(dir);
  return all;
}

for (const name of SCENARIOS) {
  const out = mkdtempSync(join(tmpdir(), 'hs-conformance-'));
  const r = await scenario(name, out);
  const checks = results(out);
  const bad = checks.filter((c) => c.status === 'FAILURE');
  if (r.code === 0 && checks.length > 0 && bad.length === 0) {
    passed++;
    console.log(`ok - conformance ${name} (${checks.length} checks)`);
  } else {
    failed++;
    console.log(`not ok - conformance ${name} (exit ${r.code}, ${checks.length} checks)`);
    for (const c of bad) console.log(`  ${c.id}: ${c.errorMessage}`);
    if (checks.length === 0) console.log('  ' + r.text.split('\n').slice(0, 15).join('\n  '));
  }
}
forwarder.close();
console.log(`connector conformance: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
