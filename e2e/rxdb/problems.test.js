// RxDB's own replicateGraphQL against a running Lianqi server, wired by hand
// as docs/sync.md "RxDB" shows (apps should use @lianqi/rxdb; see
// scenarios.test.js). The server is started by TestRxDB in package server
// (go test ./server -run TestRxDB), which passes its URL in the environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createRxDatabase } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { replicateGraphQL } from 'rxdb/plugins/replication-graphql';
import { login } from './harness.js';

const URL = process.env.LIANQI_URL;
let OFFICIAL, LEADER, ADMIN; // zhoushiyue, maojianguo, admin

const FIELDS = `id enterpriseId category title description status level responsibleDepartment coordinatingDepartments
  escalationMode tags reportedBy reportedAt respondBy resolveBy respondedAt resolvedAt version updatedAt hlc deleted`;

const str = { type: 'string' };
const optStr = { type: ['string', 'null'] };
const schema = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 40 },
    enterpriseId: str, category: optStr, title: str, description: str, status: optStr, level: optStr,
    responsibleDepartment: str, coordinatingDepartments: { type: 'array', items: str }, escalationMode: str,
    tags: { type: 'array', items: str }, reportedBy: str, reportedAt: optStr, respondBy: optStr, resolveBy: optStr,
    respondedAt: optStr, resolvedAt: optStr, version: { type: 'number' }, updatedAt: optStr, hlc: str,
  },
  required: ['id'],
};

async function gql(token, query, variables = {}) {
  const res = await fetch(URL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

// A hybrid logical clock value for an edit made now on this device.
let last = 0;
function hlc() {
  last = Math.max(last + 1, Date.now());
  return `${String(last).padStart(13, '0')}-0000-rxdb`;
}

// fnv1a32 and the bucket hash are what docs/sync.md specifies for checksums.
function fnv1a32(s) {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

async function localChecksum(coll, buckets) {
  const docs = await coll.find().exec();
  const parts = Array.from({ length: buckets }, () => []);
  for (const d of docs) parts[fnv1a32(d.id) % buckets].push(`${d.id}:${d.version}\n`);
  return parts.map((p) => createHash('sha256').update(p.sort().join('')).digest('hex'));
}

test('RxDB replicates problems: offline edit, conflict, deletion, resync', async () => {
  assert.ok(URL, 'run through go test ./server -run TestRxDB');
  [OFFICIAL, LEADER, ADMIN] = [await login('zhoushiyue'), await login('maojianguo'), await login('admin')];
  const db = await createRxDatabase({ name: `lianqi${Date.now()}`, storage: getRxStorageMemory(), multiInstance: false });
  const { problems } = await db.addCollections({ problems: { schema } });

  let online = true;
  const offlineFetch = (url, init) => (online ? fetch(url, init) : Promise.reject(new Error('offline')));
  const repl = replicateGraphQL({
    collection: problems,
    url: { http: URL },
    headers: { Authorization: `Bearer ${OFFICIAL}` },
    fetch: offlineFetch,
    deletedField: 'deleted',
    live: true,
    retryTime: 100,
    waitForLeadership: false,
    replicationIdentifier: 'lianqi-problems',
    pull: {
      batchSize: 5,
      queryBuilder: (checkpoint, limit) => ({
        query: `query($cp: SyncCheckpointInput, $limit: Int) { pullProblems(checkpoint: $cp, limit: $limit, schemaVersion: 1) {
          documents { ${FIELDS} } checkpoint { cursor seq } } }`,
        variables: { cp: checkpoint ?? null, limit },
      }),
    },
    push: {
      batchSize: 10,
      queryBuilder: (rows) => ({
        query: `mutation($rows: [ProblemPushRow!]!) { pushProblems(rows: $rows, deviceId: "rxdb", schemaVersion: 1) { conflicts { ${FIELDS} } } }`,
        variables: { rows },
      }),
      dataPath: 'data.pushProblems.conflicts',
    },
  });
  const errors = [];
  repl.error$.subscribe((e) => { if (online) errors.push(e); });
  await repl.awaitInitialReplication();

  const initial = await problems.find().exec();
  assert.ok(initial.length > 0, 'the official pulled his problems');
  const enterpriseId = initial[0].enterpriseId;
  assert.ok(initial.every((d) => d.enterpriseId === enterpriseId), 'only problems in his scope');

  // Offline edit, synced when the signal is back.
  online = false;
  const open = initial.find((d) => d.status === 'IN_PROGRESS') ?? initial[0];
  await open.incrementalPatch({ description: '离线补充：现场已勘察', hlc: hlc() });
  online = true;
  repl.reSync();
  await repl.awaitInSync();
  let server = await gql(LEADER, `query($id: ID!) { problem(id: $id) { description version } }`, { id: open.id });
  assert.equal(server.problem.description, '离线补充：现场已勘察');

  // Conflict: an offline edit older than the leader's online edit of the same field.
  const other = initial.find((d) => d.id !== open.id) ?? open;
  online = false;
  const staleClock = hlc();
  await other.getLatest().incrementalPatch({ description: '设备上的旧修改', hlc: staleClock });
  await new Promise((r) => setTimeout(r, 5));
  await gql(LEADER, `mutation($id: ID!) { updateProblem(id: $id, input: { description: "领导的新修改" }) { version } }`, { id: other.id });
  online = true;
  repl.reSync();
  await repl.awaitInSync();
  for (let i = 0; i < 50 && (await problems.findOne(other.id).exec()).description !== '领导的新修改'; i++) {
    repl.reSync();
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal((await problems.findOne(other.id).exec()).description, '领导的新修改', 'the later server edit wins and reaches RxDB');
  const conflicts = await gql(OFFICIAL, `query($id: ID) { syncConflicts(documentId: $id) { edges { node { field outcome deviceId } } } }`, { id: other.id });
  assert.deepEqual(conflicts.syncConflicts.edges.map((e) => e.node), [{ field: 'description', outcome: 'SERVER_KEPT', deviceId: 'rxdb' }]);

  // A problem created offline with a client id reaches the server.
  online = false;
  const newId = crypto.randomUUID();
  await problems.insert({ id: newId, enterpriseId, category: 'SAFETY', title: 'RxDB 离线上报', description: '', responsibleDepartment: '',
    coordinatingDepartments: [], escalationMode: '', tags: ['离线'], reportedBy: '', version: 0, hlc: hlc() });
  online = true;
  repl.reSync();
  await repl.awaitInSync();
  server = await gql(LEADER, `query($id: ID!) { problem(id: $id) { title tags status } }`, { id: newId });
  // Recorded by the chief himself: acknowledged by that act.
  assert.deepEqual(server.problem, { title: 'RxDB 离线上报', tags: ['离线'], status: 'ACKNOWLEDGED' });

  // Deletion on the server arrives as a tombstone and removes the local copy.
  await gql(ADMIN, `mutation($id: ID!) { deleteProblem(id: $id) { id } }`, { id: newId });
  for (let i = 0; i < 50 && (await problems.findOne(newId).exec()); i++) {
    repl.reSync();
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await problems.findOne(newId).exec(), null, 'deleted on the server, gone locally');

  // Resync check: the replica's checksum equals the server's, bucket by bucket.
  repl.reSync();
  await repl.awaitInSync();
  const sum = await gql(OFFICIAL, `{ syncChecksum(collection: "problems", buckets: 8, schemaVersion: 1) { count buckets { index hash } } }`);
  assert.equal(sum.syncChecksum.count, (await problems.find().exec()).length);
  assert.deepEqual(await localChecksum(problems, 8), sum.syncChecksum.buckets.map((b) => b.hash));

  assert.deepEqual(errors, []);
  await repl.cancel();
  await db.close();
});
