// The MCP client side of the connector's authorization, on the official SDK's OAuth client
// (`auth()` behind StreamableHTTPClientTransport): an OAuthClientProvider that keeps everything in
// memory and plays the person's browser (the connector's /authorize and its consent page, the
// sandbox's consent stand-in and the connector's Help Scout callback, keeping cookies per host) up
// to the MCP client's own redirect URI, which is never contacted.
//
//   import { connectAs, control } from './oauth.mjs';
//   const { client, provider } = await connectAs(8701);   // sandbox user 8701 consents
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';

export const CONNECTOR = process.env.CONNECTOR_URL;
export const SANDBOX = process.env.SANDBOX_URL;
export const MCP_URL = new URL(CONNECTOR + '/mcp');

export async function control(method, path, body) {
  const res = await fetch(SANDBOX + '/_sandbox/' + path, { method, headers: { 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  if (!res.ok) throw new Error(`sandbox ${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// Follows redirects from url until one leaves for `until` (returned as a URL), answering the
// connector's consent page with `decision` (a form POST carrying the page's cookie); each hop is
// recorded as {host, method, path, status}.
export async function browse(url, until, hops = [], decision = 'allow') {
  const jar = new Map();
  let post;
  for (let i = 0; i < 12; i++) {
    if (url.startsWith(until)) return new URL(url);
    const u = new URL(url);
    const headers = jar.has(u.host) ? { cookie: [...jar.get(u.host)].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
    if (post) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(u, { redirect: 'manual', headers, method: post ? 'POST' : 'GET', body: post });
    hops.push({ host: u.host, method: post ? 'POST' : 'GET', path: u.pathname, status: res.status });
    post = undefined;
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const at = kv.indexOf('=');
      if (!jar.has(u.host)) jar.set(u.host, new Map());
      jar.get(u.host).set(kv.slice(0, at).trim(), kv.slice(at + 1));
    }
    if (res.status === 200 && u.pathname === '/authorize') {
      const m = (await res.text()).match(/name="consent" value="([^"]+)"/);
      if (!m) throw new Error('a 200 at /authorize without a consent form');
      post = new URLSearchParams({ consent: m[1], decision }).toString();
      url = new URL('/authorize', u).href;
      continue;
    }
    if (res.status !== 302 && res.status !== 303) {
      throw new Error(`authorization stopped at ${u.pathname}: ${res.status} ${(await res.text()).slice(0, 200)}`);
    }
    url = new URL(res.headers.get('location'), u).href;
  }
  throw new Error('too many redirects');
}

export class SpecProvider {
  constructor(redirect = `http://127.0.0.1:${20000 + Math.floor(Math.random() * 20000)}/callback`) {
    this._redirect = redirect;
    this.hops = [];
  }
  get redirectUrl() { return this._redirect; }
  get clientMetadata() {
    return { client_name: 'connector spec', redirect_uris: [this._redirect], grant_types: ['authorization_code',
      'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  state() { this._state = randomBytes(12).toString('hex'); return this._state; }
  clientInformation() { return this._client; }
  saveClientInformation(c) { this._client = c; }
  tokens() { return this._tokens; }
  saveTokens(t) { this._tokens = t; this.saved = (this.saved || 0) + 1; }
  saveCodeVerifier(v) { this._verifier = v; }
  codeVerifier() { return this._verifier; }
  saveDiscoveryState(s) { this.discovery = s; }
  discoveryState() { return this.discovery; }
  async redirectToAuthorization(url) {
    this.authorizationUrl = url;
    this.callback = await browse(url.href, this._redirect, this.hops);
  }
}

// Registers, authorizes as sandbox user `user` (id or e-mail) and connects. Returns the client,
// its provider and transport.
export async function connectAs(user, provider = new SpecProvider()) {
  if (user !== undefined) await control('POST', 'config', { consent_user: user });
  const first = new StreamableHTTPClientTransport(MCP_URL, { authProvider: provider });
  await assert.rejects(new Client({ name: 'connector-spec', version: '1.0.0' }).connect(first),
    (e) => e instanceof UnauthorizedError);
  const back = provider.callback;
  assert.ok(back, 'the SDK did not send the person to authorize');
  assert.equal(back.searchParams.get('state'), provider._state, 'state returned unchanged');
  assert.equal(back.searchParams.get('iss'), CONNECTOR, 'iss names the connector (RFC 9207)');
  await first.finishAuth(back.searchParams.get('code'));
  const transport = new StreamableHTTPClientTransport(MCP_URL, { authProvider: provider });
  const client = new Client({ name: 'connector-spec', version: '1.0.0' });
  await client.connect(transport);
  return { client, provider, transport };
}
