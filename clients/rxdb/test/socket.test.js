// The socket's contract behaviour (close codes 1012 and 4401, resuming from the
// checkpoint) against a scripted graphql-transport-ws server, so the client is
// held to the contract whatever the real server of this build does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { addRxPlugin, createRxDatabase } from 'rxdb';
import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { WebSocket, WebSocketServer } from 'ws';
import { lianqiCollections, replicateLianqi } from '../src/index.js';

// The generated schemas have versions > 0: RxDB needs its migration plugin.
addRxPlugin(RxDBMigrationSchemaPlugin);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, check, timeout = 10000) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function scriptedServer() {
  const s = { inits: [], subscribes: [], sockets: new Set(), pulls: 0, initial: [], pushed: [], onPush: () => ({ conflicts: [], rejected: [] }) };
  const http = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { query, variables } = JSON.parse(body);
      res.setHeader('Content-Type', 'application/json');
      const push = /(push\w+)\(/.exec(query);
      if (push) {
        s.pushed.push(variables.rows);
        res.end(JSON.stringify({ data: { [push[1]]: s.onPush(variables.rows, s.pushed.length) } }));
        return;
      }
      const op = /(pull\w+)\(/.exec(query)[1];
      s.pulls++;
      const documents = s.pulls === 1 ? s.initial : [];
      res.end(JSON.stringify({ data: { [op]: { documents, checkpoint: { cursor: 'c0', seq: 0 }, resync: false } } }));
    });
  });
  const wss = new WebSocketServer({ server: http, path: '/graphql', handleProtocols: () => 'graphql-transport-ws' });
  wss.on('connection', (ws) => {
    s.sockets.add(ws);
    ws.on('close', () => s.sockets.delete(ws));
    ws.on('message', (raw) => {
      const m = JSON.parse(raw);
      if (m.type === 'connection_init') {
        s.inits.push(m.payload?.Authorization);
        if (m.payload?.Authorization === 'Bearer revoked') ws.close(4401, 'Unauthorized');
        else ws.send(JSON.stringify({ type: 'connection_ack' }));
      } else if (m.type === 'subscribe') {
        s.subscribes.push({ ws, id: m.id, variables: m.payload.variables });
        if (s.refuse) {
          ws.send(JSON.stringify({ id: m.id, type: 'error', payload: [{ message: 'too many subscriptions', extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } }] }));
        }
      } else if (m.type === 'ping') {
        ws.send(JSON.stringify({ type: 'pong' }));
      }
    });
  });
  s.send = (doc, seq) => {
    const sub = s.subscribes.at(-1);
    const batch = { documents: [doc], checkpoint: { cursor: `c${seq}`, seq }, resync: false };
    sub.ws.send(JSON.stringify({ id: sub.id, type: 'next', payload: { data: { streamProblems: batch } } }));
  };
  s.closeAll = (code, reason) => {
    for (const ws of s.sockets) ws.close(code, reason);
  };
  s.listen = () => new Promise((r) => http.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${http.address().port}/graphql`)));
  s.stop = async () => {
    for (const ws of s.sockets) ws.terminate();
    wss.close();
    await new Promise((r) => http.close(r));
  };
  return s;
}

const doc = (id, title, seq) => ({
  id, enterpriseId: 'e1', category: null, title, description: '', status: 'REPORTED', level: 'L1', responsibleDepartment: '',
  coordinatingDepartments: [], escalationMode: '', tags: [], reportedBy: 'u', reportedAt: null, respondBy: null, resolveBy: null,
  respondedAt: null, resolvedAt: null, version: seq, updatedAt: null, hlc: `000000000000${seq}-0000-server`, deleted: false,
});

test('1012 reconnects and resumes from the last checkpoint; 4401 asks getToken again; no storm', async (t) => {
  const srv = scriptedServer();
  const url = await srv.listen();
  const db = await createRxDatabase({ name: `socket${Date.now()}`, storage: getRxStorageMemory(), multiInstance: false });
  await db.addCollections(lianqiCollections({ only: ['problems'] }));
  const reasons = [];
  const tokens = ['good1', 'revoked', 'good2'];
  const sync = replicateLianqi(db, {
    url,
    webSocketImpl: WebSocket,
    reconnect: { minDelay: 50, maxDelay: 200 },
    retryTime: 100,
    getToken: ({ reason }) => {
      reasons.push(reason);
      return tokens[reasons.length - 1];
    },
  });
  const events = [];
  sync.socket$.subscribe((e) => events.push(e.type + (e.code ? `:${e.code}` : '')));
  t.after(async () => {
    await sync.cancel();
    await db.close();
    await srv.stop();
  });
  await sync.awaitInitialReplication();
  await until('the stream', () => srv.subscribes.length === 1);
  assert.deepEqual(srv.subscribes[0].variables.cp, { cursor: 'c0', seq: 0 }, 'the stream starts where the first pull stopped');

  srv.send(doc('p1', '第一版', 1), 1);
  await until('the streamed document', async () => (await db.problems.findOne('p1').exec())?.title === '第一版');

  // A graceful restart: 1012, no complete. Same token, resumed from seq 1.
  const pullsBefore = srv.pulls;
  srv.closeAll(1012, 'Service Restart');
  await until('the stream back', () => srv.subscribes.length === 2);
  assert.deepEqual(srv.subscribes[1].variables.cp, { cursor: 'c1', seq: 1 }, 'resumed from the last streamed checkpoint');
  await until('a pull from the checkpoint after reconnecting', () => srv.pulls > pullsBefore);
  assert.deepEqual(reasons, ['initial']);

  // The token is revoked on the open socket: 4401. getToken gives a token the
  // server refuses again (4401 at init), then a good one.
  srv.closeAll(4401, 'Unauthorized');
  await until('the stream back with a fresh token', () => srv.subscribes.length === 3);
  assert.deepEqual(reasons, ['initial', 'unauthorized', 'unauthorized']);
  assert.deepEqual(srv.inits, ['Bearer good1', 'Bearer good1', 'Bearer revoked', 'Bearer good2']);
  srv.send(doc('p1', '第二版', 2), 2);
  await until('streaming again', async () => (await db.problems.findOne('p1').exec())?.title === '第二版');
  assert.ok(!events.includes('complete'), `${events}`);
  assert.equal(events.filter((e) => e.startsWith('closed')).length, 3, `one close per cause, no storm: ${events}`);
});

test('TOO_MANY_SUBSCRIPTIONS: the stream falls back to polling and tries again later', async (t) => {
  const srv = scriptedServer();
  const url = await srv.listen();
  // This server refuses every subscription as over the limit.
  srv.refuse = true;
  const db = await createRxDatabase({ name: `limit${Date.now()}`, storage: getRxStorageMemory(), multiInstance: false });
  await db.addCollections(lianqiCollections({ only: ['problems'] }));
  const sync = replicateLianqi(db, { url, webSocketImpl: WebSocket, reconnect: { minDelay: 50, maxDelay: 300 }, getToken: () => 'good' });
  const errors = [];
  sync.error$.subscribe((e) => errors.push(e));
  t.after(async () => {
    await sync.cancel();
    await db.close();
    await srv.stop();
  });
  await sync.awaitInitialReplication();
  await until('the refusal reported', () => errors.some((e) => e.code === 'TOO_MANY_SUBSCRIPTIONS'));
  const pulls = srv.pulls;
  const subs = srv.subscribes.length;
  await until('polled and retried', () => srv.pulls >= pulls + 2 && srv.subscribes.length > subs, 5000);
});

test('a row the server is still applying (CONFLICT "retry shortly") is sent again, never replaced by the master state', async (t) => {
  const srv = scriptedServer();
  const url = await srv.listen();
  const master = doc('p1', '原标题', 1);
  srv.initial = [master];
  srv.onPush = (rows, n) => n === 1
    ? { conflicts: [master], rejected: [{ id: 'p1', mutationId: rows[0].mutationId, code: 'CONFLICT', field: null, message: 'this row is being applied by another request; retry shortly' }] }
    : { conflicts: [], rejected: [] };
  const db = await createRxDatabase({ name: `busy${Date.now()}`, storage: getRxStorageMemory(), multiInstance: false });
  await db.addCollections(lianqiCollections({ only: ['problems'] }));
  const sync = replicateLianqi(db, { url, webSocketImpl: WebSocket, retryTime: 100, getToken: () => 'good' });
  const rejected = [];
  sync.rejected$.subscribe((r) => rejected.push(r));
  t.after(async () => {
    await sync.cancel();
    await db.close();
    await srv.stop();
  });
  await sync.awaitInitialReplication();
  await (await db.problems.findOne('p1').exec()).incrementalPatch({ title: '手机上的新标题' });
  sync.reSync();
  await until('sent again', () => srv.pushed.length >= 2);
  await sync.awaitInSync();
  assert.equal((await db.problems.findOne('p1').exec()).title, '手机上的新标题', 'the edit stays on the phone');
  assert.equal(srv.pushed[1][0].mutationId, srv.pushed[0][0].mutationId, 'the same mutation id');
  assert.equal(srv.pushed[1][0].newDocumentState.title, '手机上的新标题');
  assert.deepEqual(rejected, [], 'not reported as a refusal');
});
