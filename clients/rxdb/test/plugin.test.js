// Without RxDB's migration plugin (this file runs in its own process and never
// adds it), a collection of schema version > 0 cannot be migrated: RxDB's
// addCollections refuses it by itself, and an app that turned autoMigrate off
// gets a clear error from replicateLianqi instead of replicating into an empty
// collection while its old documents wait in the old storage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRxDatabase } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { lianqiCollections, replicateLianqi } from '../src/index.js';

test('replicateLianqi names the missing migration plugin', async () => {
  const db = await createRxDatabase({ name: `plugin${Date.now()}`, storage: getRxStorageMemory(), multiInstance: false });
  try {
    await assert.rejects(db.addCollections(lianqiCollections({ only: ['problems'] })), /migration-schema/);
    await db.addCollections({ problems: { ...lianqiCollections({ only: ['problems'] }).problems, autoMigrate: false } });
    assert.throws(
      () => replicateLianqi(db, { url: 'http://127.0.0.1:9/graphql', getToken: async () => 't', live: false }),
      /collection problems has schema version 1; add RxDB's migration plugin .*RxDBMigrationSchemaPlugin/,
    );
  } finally {
    await db.close();
  }
});
