// The phones of the end-to-end suite (RxDB with the installed @lianqi/rxdb);
// the server-facing helpers are shared with the package's own tests.
import { addRxPlugin, createRxDatabase } from 'rxdb';
import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { WebSocket } from 'ws';
import { lianqiCollections, replicateLianqi } from '@lianqi/rxdb';

import { CONTROL, URL, gql, login, phoneMaker, requireServer, restartServer, shortToken, until } from '../../clients/rxdb/test/server.js';

// The generated schemas have versions > 0: RxDB needs its migration plugin.
addRxPlugin(RxDBMigrationSchemaPlugin);

export { CONTROL, URL, gql, login, requireServer, restartServer, shortToken, until };

// RxDB's open-source build allows 13 open collections per process; three
// phones of six would be 18, so the phones here hold the four collections the
// scenarios write or check (the package's own tests replicate all six).
export const phone = phoneMaker({
  createRxDatabase, getRxStorageMemory, WebSocket, lianqiCollections, replicateLianqi,
  collections: ['problems', 'progressNotes', 'visits', 'pairings'],
});

/** Waits until every phone's copy of every collection matches the server's checksum for its user. */
export async function converged(phones, { timeout = 30000 } = {}) {
  for (const p of phones) {
    let diff = [];
    try {
      await until(`${p.user}'s phone converged`, async () => {
        await p.sync.awaitInSync();
        diff = [];
        for (const name of Object.keys(p.sync.replications)) {
          const v = await p.sync.verify(name);
          if (!v.ok) diff.push(`${name}: phone ${v.count}, server ${v.serverCount}, buckets ${v.differ}`);
        }
        return diff.length === 0;
      }, { timeout, every: 250, sync: p.sync });
    } catch (e) {
      e.message += ` (${diff.join('; ')}; rejected: ${JSON.stringify(p.rejected.map((r) => [r.collection, r.code, r.message]))})`;
      throw e;
    }
  }
}

/**
 * An edit is accounted for if the server holds it (read through a converged
 * leader's phone, whose copy is the server's) or a conflict record the leader
 * can read keeps it.
 */
export async function accounted(leaderPhone, { collection, id, field, value }) {
  const doc = await leaderPhone.db.collections[collection].findOne(id).exec();
  if (doc && JSON.stringify(doc[field] ?? null) === JSON.stringify(value)) return 'server';
  const { records } = await leaderPhone.sync.syncConflicts({ documentId: id, first: 100 });
  // The losing value is the record's client value (the device lost) or its
  // server value (an edit that synced first and was overwritten by a later one).
  const same = (j) => JSON.stringify(JSON.parse(j)) === JSON.stringify(value);
  // A refused or held creation is kept whole: one record with field "" whose
  // client value is the row the device sent.
  const inRow = (j) => {
    const row = JSON.parse(j);
    return row !== null && typeof row === 'object' && JSON.stringify(row[field] ?? null) === JSON.stringify(value);
  };
  const kept = records.find((r) => (r.field === field && (same(r.client) || same(r.server))) || (r.field === '' && inRow(r.client)));
  return kept ? `conflict:${kept.outcome}` : null;
}

let seq = 0;
/**
 * A new enterprise paired with the official leadOfficialId, with `problems`
 * problems (each with a progress note), so that a scenario changes only data
 * of its own.
 */
export async function freshEnterprise(leadOfficialId, problems = 2) {
  const admin = await login('admin');
  const n = ++seq;
  const e = await gql(admin, 'mutation($i: EnterpriseInput!) { createEnterprise(input: $i) { id } }',
    { i: { name: `测试企业${n}-${Date.now()}`, town: '测试镇', park: '测试园区', industry: '制造业' } });
  const enterpriseId = e.createEnterprise.id;
  const pr = await gql(admin, 'mutation($i: CreatePairingInput!) { createPairing(input: $i) { id } }', { i: { enterpriseId, leadOfficialId } });
  const ids = [];
  for (let i = 0; i < problems; i++) {
    const p = await gql(admin, 'mutation($i: ReportProblemInput!) { reportProblem(input: $i) { id } }',
      { i: { enterpriseId, category: 'OTHER', title: `测试问题${n}-${i}`, description: '初始描述', tags: ['测试'] } });
    ids.push(p.reportProblem.id);
    await gql(admin, 'mutation($p: ID!) { addProgressNote(problemId: $p, text: "初始进展") { id } }', { p: ids[i] });
  }
  return { enterpriseId, pairingId: pr.createPairing.id, problemIds: ids };
}
