// Drives /playground in headless Chromium as a first-time admin would, with
// every request off 127.0.0.1 refused: the page must load (scripts, styles,
// fonts from the server), sign in with the sign-in box, run a query and a
// subscription, renew its token, sign out. server/playground_test.go starts
// the server and sets the environment; run it with
// `go test ./server -run TestPlaygroundChromium`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (name, fallback) => {
  const v = process.env[name] || fallback;
  if (!v) throw new Error(`${name} is not set: run this through go test ./server -run TestPlaygroundChromium`);
  return v;
};
const base = env('LIANQI_URL');
const artifacts = env('LIANQI_ARTIFACTS');
const password = env('LIANQI_PASSWORD', 'demo1234');

let context;
let page;
let profile;
const offHost = []; // requests to anywhere but 127.0.0.1 (all refused)
const problems = []; // console errors, CSP violations, uncaught exceptions

before(async () => {
  // A fresh profile (--user-data-dir) each run: no cache, no stored state.
  profile = mkdtempSync(path.join(tmpdir(), 'lianqi-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: env('CHROMIUM', '/usr/bin/chromium'),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
  });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    offHost.push(url.href);
    return route.abort('blockedbyclient');
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('websocket', (ws) => {
    if (new URL(ws.url()).hostname !== '127.0.0.1') offHost.push(ws.url());
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message} ${err.stack}`));
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

// setQuery replaces the query editor's text through CodeMirror's own API
// (typing would fight its auto-closing brackets), then gives GraphiQL the
// moment it takes to pick the edit up (it debounces editor changes), so that
// the run button sends this text and its operation name.
async function setQuery(q) {
  await page.evaluate((text) => {
    document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(text);
  }, q);
  await page.waitForTimeout(500);
}

async function run() {
  await page.click('.graphiql-execute-button');
}

const result = () => page.locator('.graphiql-response .result-window');

async function storedSession() {
  return page.evaluate(() => JSON.parse(sessionStorage.getItem('lianqi.playground.session')));
}

test('the playground loads with no route off 127.0.0.1', async () => {
  await page.goto(`${base}/playground`, { waitUntil: 'load' });
  await page.locator('.graphiql-container').waitFor({ timeout: 30000 });
  await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
  assert.match(await page.locator('#signin').innerText(), /Username/);
});

test('signing in as admin puts the token in the fetcher and sessionStorage only', async () => {
  await page.fill('#username', 'admin');
  await page.fill('#password', password);
  await page.click('#signin-button');
  await page.locator('#session').waitFor({ state: 'visible' });
  assert.match(await page.locator('#who').innerText(), /admin, ADMIN/);
  const s = await storedSession();
  assert.ok(s.accessToken && s.refreshToken, 'session kept in sessionStorage');
  const local = await page.evaluate(() => JSON.stringify(Object.entries(localStorage)));
  assert.ok(!local.includes(s.accessToken) && !local.includes(s.refreshToken), 'no token in localStorage');
  assert.equal(await page.inputValue('#password'), '', 'the password field is cleared');
});

test('a query runs as the signed-in admin and its result shows', async () => {
  await setQuery('query Me {\n  me { username role }\n  problems(first: 1) { totalCount }\n}\n');
  await run();
  await page.waitForFunction(() => /"role": "ADMIN"/.test(document.querySelector('.graphiql-response .result-window')?.innerText ?? ''));
  const text = await result().innerText();
  assert.match(text, /"username": "admin"/);
  assert.match(text, /"totalCount": [1-9]/);
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'playground.png'), fullPage: true });
});

test('a subscription authenticates over WebSocket with the same token', async () => {
  await setQuery('subscription Expiry {\n  tokenExpiresIn(everySeconds: 10)\n}\n');
  await run();
  await page.waitForFunction(() => /"tokenExpiresIn": \d+/.test(document.querySelector('.graphiql-response .result-window')?.innerText ?? ''));
  await run(); // the button stops a running subscription
});

test('an expired access token is renewed with refreshToken', async () => {
  const before = await storedSession();
  // As if the tab had been reopened after its token expired: the page renews
  // it on load, then asks for the schema again with the new token (the first
  // request, with the old one, would have been refused).
  await page.evaluate(() => {
    const key = 'lianqi.playground.session';
    const s = JSON.parse(sessionStorage.getItem(key));
    s.expiresAt = new Date(Date.now() - 1000).toISOString();
    sessionStorage.setItem(key, JSON.stringify(s));
  });
  const schemaRequests = [];
  const onRequest = (r) => {
    if ((r.postData() ?? '').includes('IntrospectionQuery')) schemaRequests.push(r.headers().authorization);
  };
  page.on('request', onRequest);
  await page.reload({ waitUntil: 'load' });
  await page.waitForFunction((old) => {
    const s = JSON.parse(sessionStorage.getItem('lianqi.playground.session'));
    return s && s.refreshToken !== old;
  }, before.refreshToken);
  const after = await storedSession();
  for (let i = 0; i < 50 && !schemaRequests.includes(`Bearer ${after.accessToken}`); i++) await page.waitForTimeout(100);
  page.off('request', onRequest);
  assert.ok(schemaRequests.includes(`Bearer ${after.accessToken}`), 'the schema is asked for again with the renewed token');
  assert.notEqual(after.accessToken, before.accessToken);
  assert.match(await page.locator('#who').innerText(), /admin, ADMIN/);
  await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
  await setQuery('{ me { username } }\n');
  await run();
  await page.waitForFunction(() => /"username": "admin"/.test(document.querySelector('.graphiql-response .result-window')?.innerText ?? ''));
});

test('signing out ends the session on the server and forgets the token', async () => {
  const s = await storedSession();
  const logout = page.waitForResponse((r) => r.url().endsWith('/graphql') && (r.request().postData() ?? '').includes('logout('));
  await page.click('#signout');
  assert.equal((await (await logout).json()).data?.logout, true);
  await page.locator('#signin').waitFor({ state: 'visible' });
  assert.equal(await storedSession(), null);
  // The server ended the session: its access token no longer works.
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${s.accessToken}` },
    body: JSON.stringify({ query: '{ me { username } }' }),
  });
  const out = await res.json();
  assert.equal(out.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  await setQuery('{ me { username } }\n');
  await run();
  await page.waitForFunction(() => /UNAUTHENTICATED/.test(document.querySelector('.graphiql-response .result-window')?.innerText ?? ''));
});

test('nothing was requested off 127.0.0.1 and nothing broke', () => {
  assert.deepEqual(offHost, []);
  assert.deepEqual(problems, []);
});
