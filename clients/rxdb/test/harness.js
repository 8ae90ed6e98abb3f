// The phones of the package's own tests (RxDB with ../src); the
// server-facing helpers are in server.js, shared with the end-to-end suite.
import { createRxDatabase } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { WebSocket } from 'ws';
import { lianqiCollections, replicateLianqi } from '../src/index.js';

import { CONTROL, URL, gql, login, requireServer, restartServer, shortToken, until } from './server.js';

export { CONTROL, URL, gql, login, requireServer, restartServer, shortToken, until };

let n = 0;
/** A phone: an RxDB database in memory, replicating as user. */
export async function phone(user, opts = {}) {
  const db = await createRxDatabase({ name: `phone${Date.now()}x${n++}`, storage: getRxStorageMemory(), multiInstance: false });
  await db.addCollections(lianqiCollections());
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
      await sync.cancel();
      await db.close();
    },
  };
}

