// What the RxDB tests need of the server, and the phone they test with, with no
// package imports so that both the package's own tests (clients/rxdb/test) and
// the end-to-end suite (e2e/rxdb, which installs the package as a copy) use this
// one file, each passing in its own RxDB and package: the server's URL and the Go
// harness's control endpoint (server/nodeharness_test.go) come from the Go test.
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

/**
 * phoneMaker returns phone(user, opts): an RxDB database in memory replicating
 * as user with replicateLianqi, behind a network the test can cut. The RxDB
 * and package functions are passed in so that each suite uses its own
 * instances (the package's tests ../src, the end-to-end suite the installed
 * copy: one RxDB per process). collections lists the collections a phone
 * holds unless opts.collections says otherwise.
 */
export function phoneMaker({ createRxDatabase, getRxStorageMemory, WebSocket, lianqiCollections, replicateLianqi, collections }) {
  let n = 0;
  return async function phone(user, opts = {}) {
    const db = await createRxDatabase({ name: `phone${Date.now()}x${n++}`, storage: getRxStorageMemory(), multiInstance: false });
    await db.addCollections(lianqiCollections({ only: opts.collections ?? collections }));
    // The phone's network: offline fails every request and drops every socket
    // (the app's replication keeps retrying, as on a real phone); blockPush
    // holds back the pushes of the collections named, to force an order.
    const net = { online: true, blockPush: new Set() };
    const sockets = new Set();
    const fetchImpl = (u, init) => {
      if (!net.online) return Promise.reject(new TypeError('fetch failed: offline'));
      const m = /mutation LianqiPush\(\$rows: \[(\w+)PushRow/.exec(init?.body ?? '');
      if (m && net.blockPush.has(m[1])) return Promise.reject(new TypeError('fetch failed: push held back by the test'));
      return fetch(u, init);
    };
    class PhoneSocket extends WebSocket {
      constructor(...args) {
        super(...args);
        sockets.add(this);
        this.on('close', () => sockets.delete(this));
        if (!net.online) setImmediate(() => this.terminate());
      }
    }
    const getToken = opts.getToken ?? (() => login(user));
    const sync = replicateLianqi(db, {
      url: URL,
      getToken,
      deviceId: opts.deviceId ?? `${user}-phone-${n}`,
      fetch: fetchImpl,
      webSocketImpl: PhoneSocket,
      retryTime: 200,
      reconnect: { minDelay: 100, maxDelay: 1000 },
      pullBatchSize: opts.pullBatchSize ?? 100,
      ...opts.replicate,
    });
    const rejected = [];
    sync.rejected$.subscribe((r) => rejected.push(r));
    const socket = [];
    sync.socket$.subscribe((e) => socket.push(e));
    const errors = [];
    sync.error$.subscribe((e) => errors.push(e));
    return {
      user, db, sync, net, rejected, socket, errors,
      offline() {
        net.online = false;
        for (const s of sockets) s.terminate();
      },
      online() {
        net.online = true;
      },
      async close() {
        try {
          await sync.cancel();
        } finally {
          await db.close();
        }
      },
    };
  };
}
