// What the RxDB tests need of the server, with no package imports so that both
// the package's own tests (clients/rxdb/test) and the end-to-end suite (e2e/rxdb,
// which installs the package as a copy) use this one file: the server's URL and
// the Go harness's control endpoint (server/nodeharness_test.go) come from the Go
// test that started them.
export const URL = process.env.LIANQI_URL;
export const CONTROL = process.env.LIANQI_CONTROL;
const PASSWORD = process.env.LIANQI_PASSWORD;

export function requireServer(t) {
  if (!URL) t.skip('run through go test ./server -run TestRxDB (TestRxDB or TestRxDBClient)');
  return !!URL;
}

export async function gql(token, query, variables = {}) {
  const res = await fetch(URL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw Object.assign(new Error(JSON.stringify(body.errors)), { errors: body.errors });
  return body.data;
}

const tokens = new Map();
export async function login(user) {
  if (!tokens.has(user)) {
    const d = await gql('', 'mutation($u:String!,$p:String!){login(username:$u,password:$p){accessToken}}', { u: user, p: PASSWORD });
    tokens.set(user, d.login.accessToken);
  }
  return tokens.get(user);
}

/** A fresh session's access token, valid for ttlMs (the harness re-issues it). */
export async function shortToken(user, ttlMs) {
  const res = await fetch(`${CONTROL}/token?user=${user}&ttlMs=${ttlMs}`, { method: 'POST' });
  if (!res.ok) throw new Error(`token: ${res.status} ${await res.text()}`);
  return (await res.json()).accessToken;
}

/** Asks the Go harness to restart the server: 'graceful' (as SIGTERM) or 'crash' (connections cut). */
export async function restartServer(mode, downMs = 0) {
  const res = await fetch(`${CONTROL}/restart?mode=${mode}&downMs=${downMs}`, { method: 'POST' });
  if (!res.ok) throw new Error(`restart: ${res.status} ${await res.text()}`);
}

/** Waits until check() returns a truthy value, re-syncing on the way. */
export async function until(what, check, { timeout = 20000, every = 100, sync } = {}) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await check();
    if (last) return last;
    sync?.reSync();
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out waiting for ${what}`);
}
