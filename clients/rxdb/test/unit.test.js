// Pure tests: the clock, the conflict handler, the generated schemas and
// checksums. They need no server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addRxPlugin, createRxDatabase } from 'rxdb';
import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { COLLECTIONS, COLLECTION_NAMES, createHLC, fnv1a32, lianqiCollections, lianqiConflictHandler, localBuckets } from '../src/index.js';

// The generated schemas have versions > 0: RxDB needs its migration plugin.
addRxPlugin(RxDBMigrationSchemaPlugin);

test('the hybrid logical clock moves past the wall clock and every value it observes', () => {
  let wall = 1000;
  const c = createHLC('a', () => wall);
  assert.equal(c.now(), '0000000001000-0000-a');
  assert.equal(c.now(), '0000000001000-0001-a', 'same millisecond: the counter');
  c.observe('0000000005000-0007-server');
  assert.equal(c.now(), '0000000005000-0008-a', 'a later value seen elsewhere');
  wall = 9000;
  assert.equal(c.now(), '0000000009000-0000-a');
  c.observe('garbage');
  assert.ok(c.now() > '0000000009000-0000-a');
});

test('the generated schemas cover every synced collection and RxDB accepts them', async () => {
  assert.deepEqual(COLLECTION_NAMES, ['problems', 'progressNotes', 'visits', 'enterprises', 'pairings', 'officials']);
  for (const name of COLLECTION_NAMES) {
    const s = COLLECTIONS[name].schema;
    assert.equal(s.primaryKey, 'id');
    assert.ok(!('deleted' in s.properties), `${name}: deletion is RxDB's _deleted`);
    assert.ok(COLLECTIONS[name].fields.includes('deleted'), `${name}: pulled with deleted`);
    assert.ok(COLLECTIONS[name].fields.includes('hlc'));
  }
  assert.ok(COLLECTIONS.problems.schema.properties.statusReason, 'push-only input fields are local fields');
  assert.deepEqual(COLLECTIONS.problems.schema.properties.status.enum.at(-1), null);
  assert.equal(COLLECTIONS.enterprises.push, null, 'read-only');
  const db = await createRxDatabase({ name: `unit${Date.now()}`, storage: getRxStorageMemory(), multiInstance: false });
  const cols = await db.addCollections(lianqiCollections());
  assert.deepEqual(Object.keys(cols).sort(), [...COLLECTION_NAMES].sort());
  await db.close();
});

test('the conflict handler: equal ignores null versus missing and local-only fields; resolve takes the server state', () => {
  const h = lianqiConflictHandler('problems');
  const a = { id: 'x', title: 't', tags: ['a'], category: null, _deleted: false, version: 2, hlc: 'h' };
  assert.ok(h.isEqual(a, { id: 'x', title: 't', tags: ['a'], _deleted: false, version: 2, hlc: 'h', statusReason: 'why' }));
  assert.ok(!h.isEqual(a, { ...a, tags: ['a', 'b'] }));
  assert.ok(!h.isEqual(a, { ...a, _deleted: true }));
  assert.ok(!h.isEqual(a, { ...a, hlc: 'later' }));
  const real = { ...a, title: 'server' };
  assert.equal(h.resolve({ newDocumentState: a, assumedMasterState: a, realMasterState: real }), real);
});

test('checksums: FNV-1a 32 and bucket hashes as docs/sync.md specifies', async () => {
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  const [h] = await localBuckets([], 1);
  assert.equal(h, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'sha256 of nothing');
  const two = await localBuckets([{ id: 'b', version: 2 }, { id: 'a', version: 1 }], 1);
  const one = await localBuckets([{ id: 'a', version: 1 }, { id: 'b', version: 2 }], 1);
  assert.deepEqual(two, one, 'order-independent');
});

test('transient push answers are told apart from refusals', async () => {
  const { isTransient } = await import('../src/index.js');
  assert.ok(isTransient({ code: 'CONFLICT', message: 'this row is being applied by another request; retry shortly' }));
  assert.ok(isTransient({ code: 'CONFLICT', message: 'the record is being edited by others right now; retry' }));
  assert.ok(!isTransient({ code: 'CONFLICT', message: 'the problem was escalated to L3 meanwhile; it cannot go back to L2' }));
  assert.ok(!isTransient({ code: 'BAD_USER_INPUT', message: 'retry' }));
});
