// CHECKPOINT_EXPIRED: the package's reaction, against a fake server (no Go
// server needed): a pull from an expired checkpoint starts over, documents
// the server no longer has leave the phone, and an offline edit survives
// (RxDB pushes before it pulls, and never overwrites a document whose local
// change is not pushed yet).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addRxPlugin, createRxDatabase } from 'rxdb';
import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { lianqiCollections, replicateLianqi } from '../src/index.js';

// The generated schemas have versions > 0: RxDB needs its migration plugin.
addRxPlugin(RxDBMigrationSchemaPlugin);

// fakeServer keeps problems with a sequence; checkpoints below floor expire.
function fakeServer() {
  const problems = new Map();
  let seq = 0;
  const s = {
    floor: 0,
    pullsFrom: [],
    put(d) {
      seq++;
      problems.set(d.id, { ...d, version: (problems.get(d.id)?.version ?? 0) + 1, seq });
    },
    prune(id) {
      problems.delete(id);
      s.floor = seq + 1;
    },
    has: (id) => problems.has(id),
    async fetch(_url, init) {
      const { query, variables } = JSON.parse(init.body);
      const reply = (body) => ({ status: 200, json: async () => body });
      if (query.includes('pushProblems')) {
        for (const r of variables.rows) s.put({ ...r.newDocumentState, deleted: false });
        return reply({ data: { pushProblems: { conflicts: [], rejected: [] } } });
      }
      const cp = variables.cp;
      s.pullsFrom.push(cp ? cp.seq : null);
      if (cp && cp.seq < s.floor) {
        return reply({ data: null, errors: [{ message: 'checkpoint expired', extensions: { code: 'CHECKPOINT_EXPIRED' } }] });
      }
      const after = cp ? cp.seq : 0;
      const docs = [...problems.values()].filter((d) => d.seq > after).sort((a, b) => a.seq - b.seq).slice(0, variables.limit);
      const last = docs.length ? docs.at(-1).seq : after;
      return reply({
        data: { pullProblems: { documents: docs.map(({ seq: _, ...d }) => d), checkpoint: { cursor: `c${last}`, seq: last }, resync: false } },
      });
    },
  };
  return s;
}

async function until(what, check, timeout = 10000) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('CHECKPOINT_EXPIRED: full resync without ghosts, offline edits kept', async () => {
  const server = fakeServer();
  const doc = (id, title) => ({ id, title, enterpriseId: 'e', hlc: '0000000001000-0000-server', deleted: false });
  server.put(doc('a', 'kept'));
  server.put(doc('b', 'deleted while away'));
  const db = await createRxDatabase({ name: `expiry${Date.now()}`, storage: getRxStorageMemory(), multiInstance: false });
  await db.addCollections({ problems: lianqiCollections().problems });
  const sync = replicateLianqi(db, {
    url: 'http://fake/graphql',
    getToken: async () => 'token',
    collections: ['problems'],
    fetch: server.fetch,
    webSocketImpl: undefined,
    retryTime: 50,
  });
  const errors = [];
  sync.error$.subscribe((e) => errors.push(e));
  try {
    await sync.awaitInitialReplication();
    assert.ok(await db.problems.findOne('b').exec(), 'b pulled');

    // b is deleted and its tombstone pruned while the phone holds an edit it
    // cannot push yet.
    server.put({ ...doc('b', 'deleted while away'), deleted: true });
    server.prune('b');
    await db.problems.insert({ id: 'c', title: 'written offline', enterpriseId: 'e' });
    // RxDB pulls only when no push is running: the edit reaches the server
    // first, so the full pull brings it back rather than tombstoning it.
    await until('c to reach the server', () => server.has('c'));

    sync.reSync();
    await until('b to leave the phone', async () => !(await db.problems.findOne('b').exec()));
    assert.ok(server.pullsFrom.includes(null) && server.pullsFrom.filter((s) => s === null).length >= 2, 'pulled again from no checkpoint');
    assert.ok(errors.some((e) => e.code === 'CHECKPOINT_EXPIRED'), 'reported on error$');
    assert.equal((await db.problems.findOne('a').exec())?.title, 'kept');
    assert.equal((await db.problems.findOne('c').exec())?.title, 'written offline', 'the offline edit survives the resync');

    await sync.awaitInSync();
    assert.equal((await db.problems.findOne('c').exec())?.title, 'written offline');
  } finally {
    await sync.cancel();
    await db.close();
  }
});
