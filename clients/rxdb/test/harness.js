// The phones of the package's own tests (RxDB with ../src); the
// server-facing helpers are in server.js, shared with the end-to-end suite.
import { addRxPlugin, createRxDatabase } from 'rxdb';
import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { WebSocket } from 'ws';
import { lianqiCollections, replicateLianqi } from '../src/index.js';

import { CONTROL, URL, gql, login, phoneMaker, requireServer, restartServer, shortToken, until } from './server.js';

// The generated schemas have versions > 0: RxDB needs its migration plugin.
addRxPlugin(RxDBMigrationSchemaPlugin);

export { CONTROL, URL, gql, login, requireServer, restartServer, shortToken, until };

export const phone = phoneMaker({ createRxDatabase, getRxStorageMemory, WebSocket, lianqiCollections, replicateLianqi });

