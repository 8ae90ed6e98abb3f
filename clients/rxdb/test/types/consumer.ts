// Compiled (never run) by test/types.test.js: an app's use of the package
// must type-check against index.d.ts and the generated document types.
import { createRxDatabase, type RxCollection } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import {
  COLLECTIONS,
  lianqiCollections,
  replicateLianqi,
  type LianqiReplication,
  type ProblemDoc,
  type RejectedRow,
  type TokenReason,
  type VisitDoc,
} from '../../src/index.js';

export async function app(): Promise<LianqiReplication> {
  const db = await createRxDatabase<{ problems: RxCollection<ProblemDoc>; visits: RxCollection<VisitDoc> }>({
    name: 'lianqi',
    storage: getRxStorageMemory(),
  });
  await db.addCollections(lianqiCollections({ only: ['problems', 'visits'] }));
  const sync = replicateLianqi(db, {
    url: 'https://lianqi.example/graphql',
    deviceId: 'phone-1',
    getToken: async ({ reason }: { reason: TokenReason }) => (reason === 'initial' ? 'a' : 'b'),
    reconnect: { minDelay: 500 },
  });
  sync.rejected$.subscribe((r: RejectedRow) => {
    const code: string = r.code;
    const ids: string[] = r.conflictIds;
    void [code, ids, r.row?.['title']];
  });
  const p: ProblemDoc | null = await db.problems.findOne('x').exec().then((d) => (d ? d.toJSON() as ProblemDoc : null));
  const title: string | undefined = p?.title;
  const status: ProblemDoc['status'] = 'RESOLVED';
  void [title, status, COLLECTIONS.problems.pull];
  const { records } = await sync.syncConflicts({ documentId: 'x' });
  records.forEach((c) => c.outcome);
  const v = await sync.verify('problems');
  void v.ok;
  return sync;
}
