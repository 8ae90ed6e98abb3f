// replicateLianqi against a real server (started by TestRxDBClient).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gql, login, phone, requireServer, until } from './harness.js';

test('an official replicates every collection, edits offline, and the stream brings others\' changes live', async (t) => {
  if (!requireServer(t)) return;
  const p = await phone('zhoushiyue');
  t.after(() => p.close());
  await p.sync.awaitInitialReplication();
  const { problems, enterprises, pairings, officials, visits, progressNotes } = p.db.collections;
  const mine = await problems.find().exec();
  assert.ok(mine.length > 0, 'problems');
  assert.ok((await enterprises.find().exec()).length > 0, 'enterprises');
  assert.ok((await pairings.find().exec()).length > 0, 'pairings');
  assert.ok((await officials.find().exec()).length > 0, 'officials');
  assert.ok((await progressNotes.find().exec()).length > 0, 'progress notes');
  await visits.find().exec();

  // An offline edit: the package stamps it with the device's clock.
  p.net.online = false;
  const doc = mine[0];
  const before = doc.hlc;
  const edited = await doc.incrementalPatch({ description: '离线编辑' });
  assert.ok(edited.hlc > before && edited.hlc.endsWith(p.sync.deviceId), `hlc stamped: ${edited.hlc}`);
  p.net.online = true;
  p.sync.reSync();
  await p.sync.awaitInSync();
  const leader = await login('maojianguo');
  await until('the edit on the server', async () =>
    (await gql(leader, 'query($id: ID!) { problem(id: $id) { description } }', { id: doc.id })).problem.description === '离线编辑');

  // A leader's change reaches the phone over the socket, without a reSync.
  await until('the socket', () => p.socket.some((e) => e.type === 'connected'));
  const other = mine.find((d) => d.id !== doc.id) ?? doc;
  await gql(leader, 'mutation($id: ID!) { updateProblem(id: $id, input: { title: "领导改的标题" }) { version } }', { id: other.id });
  await until('the streamed change', async () => (await problems.findOne(other.id).exec()).title === '领导改的标题', { timeout: 15000 });

  const v = await p.sync.verify('problems');
  assert.ok(v.ok, `checksums match: ${JSON.stringify(v)}`);
});

test('a refused token is fetched again through getToken (HTTP and socket)', async (t) => {
  if (!requireServer(t)) return;
  const calls = [];
  const good = await login('zhulijun');
  const p = await phone('zhulijun', {
    getToken: ({ reason }) => {
      calls.push(reason);
      return calls.length === 1 ? 'not-a-token' : good;
    },
  });
  t.after(() => p.close());
  await p.sync.awaitInitialReplication();
  assert.equal(calls[0], 'initial');
  assert.ok(calls.includes('unauthorized'), `asked again after the refusal: ${calls}`);
  assert.ok((await p.db.collections.problems.find().exec()).length > 0);
  await until('the socket', () => p.socket.some((e) => e.type === 'connected'));
});

test('a refused row reaches rejected$ with the row the app sent, and its conflict records are readable', async (t) => {
  if (!requireServer(t)) return;
  const p = await phone('zhoushiyue');
  t.after(() => p.close());
  await p.sync.awaitInitialReplication();
  const [doc] = await p.db.collections.problems.find().exec();
  // enterpriseId is immutable: the row is refused.
  await doc.incrementalPatch({ enterpriseId: '00000000-0000-4000-8000-000000000000', title: '改了企业' });
  const r = await until('a rejection', () => p.rejected.find((x) => x.id === doc.id));
  assert.equal(r.collection, 'problems');
  assert.equal(r.code, 'BAD_USER_INPUT');
  assert.equal(r.field, 'enterpriseId');
  assert.equal(r.row.title, '改了企业', 'the row as sent');
  assert.ok(Array.isArray(r.conflictIds));
  // The server's state came back as a conflict and replaced the phone's copy.
  await until('the server state', async () => (await p.db.collections.problems.findOne(doc.id).exec()).enterpriseId === doc.enterpriseId, { sync: p.sync });

  // A lost edit (the server's later value kept) is a conflict record the app can list.
  const leader = await login('maojianguo');
  const [other] = (await p.db.collections.problems.find().exec()).filter((d) => d.id !== doc.id);
  p.net.online = false;
  await other.incrementalPatch({ description: '手机旧的' });
  await new Promise((r) => setTimeout(r, 20));
  await gql(leader, 'mutation($id: ID!) { updateProblem(id: $id, input: { description: "领导新的" }) { version } }', { id: other.id });
  p.net.online = true;
  p.sync.reSync();
  await until('the server value on the phone', async () => (await p.db.collections.problems.findOne(other.id).exec()).description === '领导新的', { sync: p.sync });
  const { records } = await p.sync.syncConflicts({ documentId: other.id });
  assert.ok(records.some((c) => c.field === 'description' && c.outcome === 'SERVER_KEPT' && c.deviceId === p.sync.deviceId), JSON.stringify(records));
});
