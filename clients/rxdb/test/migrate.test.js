// A phone upgrading the package over an existing database: the schema of the
// problems collection of release 11bd572 (test/fixtures, version 0) becomes
// today's (version 1, with the letter, meeting and executive decision fields).
// RxDB migrates the stored documents and the replication's meta data with the
// package's strategies; the replication then pulls the collection from
// scratch once, so documents the phone already had get their new fields, and
// edits made before the upgrade are pushed once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { createRxDatabase } from 'rxdb';
import { WebSocket } from 'ws';
import { checkpointFor, COLLECTIONS, lianqiCollections, lianqiConflictHandler, migrationStrategies, replicateLianqi } from '../src/index.js';
import { URL, gql, login, requireServer, until } from './harness.js'; // harness.js adds the migration plugin

const OLD_PROBLEMS = JSON.parse(readFileSync(new globalThis.URL('./fixtures/problems-schema-11bd572.json', import.meta.url), 'utf8'));
// What the package of release 11bd572 did not ask for.
const NEW_FIELDS = COLLECTIONS.problems.fields.filter((f) => !(f in OLD_PROBLEMS.properties) && f !== 'deleted');

test('the problems schema is version 1 with a keep-everything strategy; old checkpoints restart the pull', () => {
  assert.equal(OLD_PROBLEMS.version, 0);
  assert.equal(COLLECTIONS.problems.schema.version, 1);
  assert.ok(NEW_FIELDS.includes('letterReference') && NEW_FIELDS.includes('executiveDecision'), NEW_FIELDS.join(' '));
  for (const name of ['progressNotes', 'visits', 'enterprises', 'pairings', 'officials']) {
    assert.equal(COLLECTIONS[name].schema.version, 0, `${name} unchanged since 11bd572`);
  }
  const c = lianqiCollections({ only: ['problems', 'visits'] });
  assert.deepEqual(Object.keys(c.problems.migrationStrategies), ['1']);
  assert.deepEqual(Object.keys(c.visits.migrationStrategies), []);
  const doc = { id: 'a', title: 't' };
  assert.equal(c.problems.migrationStrategies[1](doc), doc);
  assert.deepEqual(Object.keys(migrationStrategies(3)), ['1', '2', '3']);

  const cp = { cursor: 'c', seq: 5 };
  assert.equal(checkpointFor(cp, 0), cp, 'a checkpoint of the package before versions counts as 0');
  assert.equal(checkpointFor(cp, 1), null, 'made under version 0: pull from scratch');
  assert.equal(checkpointFor({ ...cp, rxSchema: 0 }, 1), null);
  const now = { ...cp, rxSchema: 1 };
  assert.equal(checkpointFor(now, 1), now, 'made under this version: continue');
  assert.equal(checkpointFor(null, 1), null);
});

test('migration keeps documents; a real server fills the new fields, unpushed edits reach it once', async (t) => {
  if (!requireServer(t)) return;
  const chief = await login('zhoushiyue');
  const boss = await login('moweiliang');
  const { me } = await gql(boss, '{ me { enterprise { id } } }');
  const enterpriseId = me.enterprise.id;
  const report = async (title) =>
    (await gql(chief, 'mutation($e: ID, $t: String!) { reportProblem(input: { enterpriseId: $e, category: ENVIRONMENT, title: $t, responsibleDepartment: "某科室" }) { id version } }', { e: enterpriseId, t: title })).reportProblem;

  // On the server before the old phone syncs: one problem sent to other
  // departments by letter, one the phone will edit offline.
  const stamp = Date.now();
  const lettered = await report(`迁移测试函告${stamp}`);
  const reference = `遂市监函〔2026〕${stamp}号`;
  await gql(chief, 'mutation($id: ID!) { escalateProblem(id: $id, input: { level: L2, reason: "局内研究" }) { id } }', { id: lettered.id });
  await gql(chief, 'mutation($id: ID!, $r: String!) { escalateProblem(id: $id, input: { level: L3, mode: LETTER, departments: ["生态环境分局"], reason: "需其他部门", letter: { reference: $r } }) { id } }', { id: lettered.id, r: reference });
  const edited = await report(`迁移测试离线编辑${stamp}`);

  // The phone with the old package: its pull and push never name the new fields.
  const dropNew = new RegExp(`\\b(${NEW_FIELDS.join('|')})\\b`, 'g');
  const oldFetch = (u, init) => fetch(u, { ...init, body: init.body.replace(dropNew, '') });
  const storage = getRxStorageMemory();
  const name = `migrate${stamp}`;
  const deviceId = `zhoushiyue-migrate-${stamp}`;
  const opts = { url: URL, getToken: () => login('zhoushiyue'), deviceId, live: false, retryTime: 200 };

  let db = await createRxDatabase({ name, storage, multiInstance: false });
  await db.addCollections({ problems: { schema: OLD_PROBLEMS, conflictHandler: lianqiConflictHandler('problems') } });
  let sync = replicateLianqi(db, { ...opts, fetch: oldFetch });
  await sync.awaitInitialReplication();
  await sync.awaitInSync();
  await sync.cancel();
  const before = await db.problems.findOne(lettered.id).exec();
  assert.ok(before, 'the lettered problem on the old phone');
  assert.equal(before.toJSON().letterReference, undefined, 'the old phone has no letter fields');

  // Offline, before the upgrade: an edit and a creation, never pushed.
  await (await db.problems.findOne(edited.id).exec()).incrementalPatch({ description: '升级前的离线编辑' });
  const createdId = crypto.randomUUID();
  await db.problems.insert({ id: createdId, enterpriseId, category: 'SAFETY', title: `升级前新建${stamp}` });
  await db.close();

  // The upgrade: today's package, RxDB migrates on addCollections.
  db = await createRxDatabase({ name, storage, multiInstance: false });
  await db.addCollections(lianqiCollections({ only: ['problems'] }));
  assert.equal(db.problems.schema.version, 1);
  assert.ok(await db.problems.findOne(lettered.id).exec(), 'the pulled document survived the migration');
  assert.equal((await db.problems.findOne(edited.id).exec()).description, '升级前的离线编辑', 'the unpushed edit survived');
  assert.ok(await db.problems.findOne(createdId).exec(), 'the unpushed creation survived');

  const rejected = [];
  // Live now, as an app runs: the stream brings what the push changed.
  sync = replicateLianqi(db, { ...opts, live: true, webSocketImpl: WebSocket, onRejected: (r) => rejected.push(r) });
  t.after(async () => {
    await sync.cancel();
    await db.close();
  });
  await sync.awaitInitialReplication();
  await sync.awaitInSync();

  // The letter set before the phone's checkpoint arrives: the pull started over.
  const got = await until('the letter on the phone', async () => {
    const d = await db.problems.findOne(lettered.id).exec();
    return d?.letterReference === reference && d;
  }, { sync });
  assert.deepEqual(got.letterTo, ['生态环境分局']);

  // The edit and the creation reached the server, each once.
  const q = 'query($id: ID!) { problem(id: $id) { description title version } }';
  const server = await until('the edit on the server', async () => {
    const p = (await gql(chief, q, { id: edited.id })).problem;
    return p.description === '升级前的离线编辑' && p;
  });
  assert.equal(server.version, edited.version + 1, 'applied once');
  const created = await until('the creation on the server', async () => (await gql(chief, q, { id: createdId }).catch(() => ({}))).problem);
  assert.equal(created.title, `升级前新建${stamp}`);
  assert.equal(created.version, 1, 'created once, not pushed again as an edit');
  assert.deepEqual(rejected, []);
  const { records } = await sync.syncConflicts({ documentId: edited.id });
  assert.deepEqual(records.filter((r) => r.deviceId === deviceId), [], 'no conflict: the edit was pushed against its old base');
  await sync.awaitInSync();
  assert.equal((await gql(chief, q, { id: edited.id })).problem.version, edited.version + 1, 'still applied once');
  assert.equal((await gql(chief, q, { id: createdId })).problem.version, 1, 'still created once');
  // The phone's copy keeps the edit (its new version comes with a later pull:
  // the server does not answer a row accepted as sent).
  assert.equal((await db.problems.findOne(edited.id).exec()).description, '升级前的离线编辑');
});
