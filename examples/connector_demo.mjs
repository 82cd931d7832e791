// The MCP client side of `make demo-connector`: what a hosted agent platform does when a person adds
// the connector by URL. Uses the official SDK (@modelcontextprotocol/sdk) and its OAuth client; the
// "browser" follows the redirects through the connector and the sandbox's consent page.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const CONNECTOR = process.env.CONNECTOR_URL, SANDBOX = process.env.SANDBOX_URL;
const REDIRECT = 'http://127.0.0.1:8999/callback'; // the platform's redirect URI (never contacted here)
const step = (s) => console.log(`\n== ${s}`);
const show = (k, v) => console.log(`   ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
const hide = (t) => t.slice(0, 10) + '…'; // tokens are secrets: only their prefix is shown

const provider = {
  redirectUrl: REDIRECT,
  clientMetadata: { client_name: 'Demo agent platform', redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' },
  state: () => 'demo-state',
  clientInformation() { return this.client; },
  saveClientInformation(c) { this.client = c; step('registered (RFC 7591)'); show('client_id', c.client_id); },
  tokens() { return this.tok; },
  saveTokens(t) {
    this.tok = t;
    step('tokens from /token (the connector\'s own; the Help Scout token never leaves the connector)');
    show('access_token', hide(t.access_token)); show('refresh_token', hide(t.refresh_token));
    show('expires_in', String(t.expires_in));
  },
  saveCodeVerifier(v) { this.verifier = v; },
  codeVerifier() { return this.verifier; },
  saveDiscoveryState(s) {
    if (this.discovered) return;
    this.discovered = true;
    step('discovered (RFC 9728 protected resource metadata, RFC 8414 authorization server metadata)');
    show('resource', s.resourceMetadata.resource);
    show('authorization server', s.authorizationServerUrl);
  },
  async redirectToAuthorization(url) {
    step('the person is sent to authorize (PKCE S256, resource = the /mcp URL)');
    const cookie = {};
    let post;
    for (let u = url.href; ;) {
      if (u.startsWith(REDIRECT)) { this.back = new URL(u); break; }
      const host = new URL(u).host;
      const headers = cookie[host] ? { cookie: cookie[host] } : {};
      if (post) headers['content-type'] = 'application/x-www-form-urlencoded';
      const res = await fetch(u, { redirect: 'manual', headers, method: post ? 'POST' : 'GET', body: post });
      const set = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      if (set) cookie[host] = set;
      const who = host === new URL(CONNECTOR).host ? 'the connector' : 'Help Scout (sandbox)';
      show(`${res.status} ${post ? 'POST' : 'GET'} ${new URL(u).pathname}`, who);
      post = undefined;
      if (res.status === 200) { // the connector's page: "<client> asks to use your Help Scout account"
        const m = (await res.text()).match(/name="consent" value="([^"]+)"/);
        if (!m) throw new Error('unexpected page');
        show('   the person clicks', 'Allow');
        post = new URLSearchParams({ consent: m[1], decision: 'allow' }).toString();
        continue;
      }
      if (res.status !== 302) throw new Error(await res.text());
      u = new URL(res.headers.get('location'), u).href;
    }
    show('back at the platform with', `code=${hide(this.back.searchParams.get('code'))} iss=${this.back.searchParams.get('iss')}`);
  },
};

const accounts = (await (await fetch(SANDBOX + '/_sandbox/accounts')).json()).accounts;
const person = accounts[0].users[0];
await fetch(SANDBOX + '/_sandbox/config', { method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ consent_user: person.id }) });
step(`a platform adds ${CONNECTOR}/mcp; ${person.email} will consent at Help Scout`);

const mcp = new URL(CONNECTOR + '/mcp');
let transport = new StreamableHTTPClientTransport(mcp, { authProvider: provider });
try { await new Client({ name: 'demo', version: '1.0.0' }).connect(transport); } catch (e) {
  if (!(e instanceof UnauthorizedError)) throw e;
}
await transport.finishAuth(provider.back.searchParams.get('code'));
transport = new StreamableHTTPClientTransport(mcp, { authProvider: provider });
const client = new Client({ name: 'demo', version: '1.0.0' });
await client.connect(transport);
step('MCP over Streamable HTTP');
show('session', hide(transport.sessionId));
const tools = (await client.listTools()).tools;
show('tools', tools.map((t) => t.name).join(', '));
const r = await client.callTool({ name: 'list_mailboxes', arguments: {} });
show('list_mailboxes', r.structuredContent.items.map((m) => `${m.id} ${m.name}`).join('; '));
const tri = await client.callTool({ name: 'triage_inbox', arguments: { limit: 50 } });
show('triage_inbox', tri.content[0].text.split('\n').slice(0, 4).join(' | '));
await transport.terminateSession();
step('session ended (DELETE /mcp)');
