// @lianqi/rxdb: the Lianqi sync protocol (docs/sync.md) wired into RxDB.
//
// replicateLianqi() starts one RxDB replication per collection over plain
// GraphQL (pull, push) and ONE graphql-transport-ws socket shared by every
// collection's stream. It does not use RxDB's replicateGraphQL: that plugin
// caches sockets by URL (two users on one URL would share a token), ends a
// collection's live stream for good on the first socket error or `complete`,
// and cannot fetch a fresh token before a reconnect. Here the socket is ours:
// a token refused with 4401 (or UNAUTHENTICATED) is fetched again through
// getToken, every other close (1012 restart, 1006 crash, 1000) reconnects with
// backoff, and each stream resumes from the newest checkpoint it has seen while
// a pull from RxDB's own checkpoint ('RESYNC') closes any gap.
import { Subject, BehaviorSubject } from 'rxjs';
import { replicateRxCollection } from 'rxdb/plugins/replication';
import { createClient } from 'graphql-ws/client';
import { COLLECTIONS, COLLECTION_NAMES, CONFLICT_FIELDS, REJECTION_FIELDS, SCHEMA_VERSION } from './generated.js';

export { COLLECTIONS, COLLECTION_NAMES, CONFLICT_FIELDS, REJECTION_FIELDS, SCHEMA_VERSION };

/** Close codes of graphql-transport-ws and RFC 6455 the client acts on. */
export const CloseCode = Object.freeze({
  Normal: 1000,
  Abnormal: 1006,
  ServiceRestart: 1012,
  BadRequest: 4400,
  Unauthorized: 4401,
  Forbidden: 4403,
});

// ---------------------------------------------------------------------------
// Collections

/**
 * The collection definitions for db.addCollections: the generated JSON schema,
 * its migration strategies and the conflict handler, for every collection or
 * the ones named. A schema of version > 0 needs RxDB's migration plugin
 * (rxdb/plugins/migration-schema) in the app.
 * @param {{ only?: string[] }} [opts]
 */
export function lianqiCollections(opts = {}) {
  const out = {};
  for (const name of opts.only ?? COLLECTION_NAMES) {
    const meta = COLLECTIONS[name];
    if (!meta) throw new Error(`@lianqi/rxdb: unknown collection ${name}`);
    out[name] = {
      schema: structuredClone(meta.schema),
      migrationStrategies: migrationStrategies(meta.schema.version),
      conflictHandler: lianqiConflictHandler(name),
    };
  }
  return out;
}

/**
 * One strategy per version step, each keeping the document as it is: a new
 * schema version only ever adds fields or changes descriptions and types the
 * server still accepts, and a new field stays absent until the collection's
 * pull from scratch after the migration brings its value (see checkpointFor).
 * @param {number} version the schema's version
 */
export function migrationStrategies(version) {
  const out = {};
  for (let v = 1; v <= version; v++) out[v] = (doc) => doc;
  return out;
}

/**
 * The pull checkpoint to continue from: the one RxDB kept, unless it was made
 * under an older schema version of the collection (checkpoints carry the
 * version they were made under in rxSchema; older ones have none, i.e. 0).
 * Then null: pull from scratch once, since the server does not resend
 * unchanged documents and a migrated document would never get the values of
 * its new fields.
 * @param {{cursor: string, seq: number, rxSchema?: number} | null | undefined} checkpoint
 * @param {number} version the collection's schema version now
 */
export function checkpointFor(checkpoint, version) {
  if (!checkpoint) return null;
  return (checkpoint.rxSchema ?? 0) === version ? checkpoint : null;
}

function migrationPluginMissing(collection) {
  if (collection.schema.version === 0) return false;
  try {
    collection.getMigrationState();
    return false;
  } catch {
    return true;
  }
}

/**
 * The conflict handler matching the server's policies. The server merges every
 * pushed row against its own state field by field (sync/merge.go: last writer
 * by hybrid logical clock, set union, workflow replay, immutable and
 * server-owned fields) and records what did not merge cleanly as a conflict
 * record; what it answers in `conflicts` is that merge's result. So the device
 * takes the server's state (resolve), and two states are equal when every
 * synced field is (server-owned bookkeeping included, local-only push fields
 * such as statusReason excluded, null and missing alike).
 * @param {string} name collection name
 */
export function lianqiConflictHandler(name) {
  const meta = COLLECTIONS[name];
  const fields = meta.fields.filter((f) => f !== 'deleted');
  return {
    isEqual(a, b) {
      if (!!a._deleted !== !!b._deleted) return false;
      return fields.every((f) => sameValue(a[f], b[f]));
    },
    resolve(input) {
      return input.realMasterState;
    },
  };
}

function sameValue(a, b) {
  a = a ?? null;
  b = b ?? null;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => sameValue(v, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => sameValue(a[k], b[k]));
  }
  return a === b;
}

// ---------------------------------------------------------------------------
// Hybrid logical clock

/**
 * A hybrid logical clock (sync.HLC): "<unix ms, 13 digits>-<counter, 4 digits>-<node>",
 * later than every value it returned or observed, so that strings compare as clocks.
 * @param {string} node this device's name in clock values
 * @param {() => number} [wall] the wall clock in ms (Date.now)
 */
export function createHLC(node, wall = Date.now) {
  let ms = 0;
  let counter = 0;
  const fmt = () => `${String(ms).padStart(13, '0')}-${String(counter).padStart(4, '0')}-${node}`;
  return {
    node,
    now() {
      const w = wall();
      if (w > ms) {
        ms = w;
        counter = 0;
      } else {
        counter++;
      }
      return fmt();
    },
    observe(v) {
      const m = /^(\d{13})-(\d{4})-/.exec(v ?? '');
      if (!m) return;
      const vms = Number(m[1]);
      const vc = Number(m[2]);
      if (vms > ms || (vms === ms && vc > counter)) {
        ms = vms;
        counter = vc;
      }
    },
  };
}

const hooked = new WeakMap();

/**
 * Stamps every local write with the device's clock (the server's per-field
 * last-writer-wins compares these), and fills a creation's missing non-null
 * fields with their defaults. Replication writes bypass collection hooks, so
 * only the app's own edits are stamped.
 */
function installHooks(collection, name, clock) {
  const state = hooked.get(collection);
  if (state) {
    state.clock = clock;
    return;
  }
  const s = { clock };
  hooked.set(collection, s);
  const defaults = COLLECTIONS[name].defaults;
  collection.preInsert((data) => {
    for (const [k, v] of Object.entries(defaults)) {
      if (data[k] === undefined) data[k] = structuredClone(v);
    }
    if (data.hlc) s.clock.observe(data.hlc);
    data.hlc = s.clock.now();
  }, false);
  collection.preSave((data, old) => {
    if (data.hlc && data.hlc !== old?.hlc) {
      // The app set its own (later) clock value: keep it, move past it.
      s.clock.observe(data.hlc);
      return;
    }
    data.hlc = s.clock.now();
  }, false);
  collection.preRemove((data) => {
    data.hlc = s.clock.now();
  }, false);
}

// ---------------------------------------------------------------------------
// Auth and GraphQL over HTTP

/** The `exp` of a JWT in ms, or undefined for a token that is not one. */
export function tokenExpiry(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const exp = JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4))).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function tokenSource(getToken) {
  let current = null; // Promise<string>
  let currentExp; // ms, once current has resolved
  let refused = null; // why the next getToken call is made: 'unauthorized' | 'expired'
  return {
    /**
     * The token to send; getToken is asked once, again after a refusal, and
     * again once the token it gave has expired by this device's clock (so a
     * reconnect never presents a token known to be dead).
     */
    token() {
      if (current && currentExp !== undefined && currentExp <= Date.now()) {
        current = null;
        refused = 'expired';
      }
      if (!current) {
        const reason = refused ?? 'initial';
        refused = null;
        currentExp = undefined;
        const p = Promise.resolve(getToken({ reason })).then(
          (t) => {
            if (current === p) currentExp = tokenExpiry(t);
            return t;
          },
          (e) => {
            if (current === p) current = null;
            throw e;
          },
        );
        current = p;
      }
      return current;
    },
    /** The server refused `used`: unless a newer token is already here, ask again. */
    async invalidate(used) {
      const was = current;
      if (!was) return;
      let t;
      try {
        t = await was;
      } catch {
        return;
      }
      if (current === was && (used === undefined || t === used)) {
        current = null;
        refused = 'unauthorized';
      }
    },
  };
}

/** An error from the server, with its GraphQL errors and extensions.code. */
export class LianqiError extends Error {
  constructor(message, { code, errors, status } = {}) {
    super(message);
    this.name = 'LianqiError';
    this.code = code;
    this.errors = errors;
    this.status = status;
  }
}

function isUnauthenticated(status, body) {
  return status === 401 || (body?.errors ?? []).some((e) => e?.extensions?.code === 'UNAUTHENTICATED');
}

function makeRequest(url, auth, fetchImpl) {
  return async function request(query, variables) {
    for (let attempt = 0; ; attempt++) {
      const token = await auth.token();
      const res = await fetchImpl(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      let body = null;
      try {
        body = await res.json();
      } catch {
        // not JSON: a proxy's error page, say
      }
      if (isUnauthenticated(res.status, body) && attempt === 0) {
        await auth.invalidate(token);
        continue;
      }
      if (!body || body.errors?.length) {
        const first = body?.errors?.[0];
        throw new LianqiError(first?.message ?? `HTTP ${res.status}`, {
          code: first?.extensions?.code ?? (res.status === 429 ? 'RATE_LIMITED' : undefined),
          errors: body?.errors,
          status: res.status,
        });
      }
      return body.data;
    }
  };
}

// ---------------------------------------------------------------------------
// Replication

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Exponential backoff with jitter: 0.5 s, 1 s, 2 s, … capped. */
function backoff(attempt, base, cap) {
  const d = Math.min(cap, base * 2 ** attempt);
  return d / 2 + Math.random() * (d / 2);
}

function seqOf(cp) {
  return typeof cp?.seq === 'number' ? cp.seq : -1;
}

function mutationIdOf(collection, doc) {
  const id = `${doc.id}@${doc.hlc ?? ''}`;
  if (id.length <= 100) return id;
  // FNV-1a over the long form: stable across retries, short enough for the server.
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (const ch of `${collection}:${id}`) {
    const c = ch.codePointAt(0);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x811c9dc5) >>> 0;
  }
  return `${doc.id.slice(0, 80)}#${h1.toString(16)}${h2.toString(16)}`;
}

/**
 * A rejection the server means as "try again" (a row still being applied by
 * another request, a write that kept losing races), not a refusal. The server
 * says so only in the message (code CONFLICT, "…; retry" / "retry shortly").
 */
export function isTransient(rej) {
  return rej.code === 'CONFLICT' && /\bretry( shortly)?\s*$/i.test(rej.message ?? '');
}

function pick(doc, fields) {
  if (!doc) return null;
  const out = {};
  for (const f of fields) {
    if (doc[f] !== undefined) out[f] = doc[f];
  }
  return out;
}

/**
 * Starts replicating every Lianqi collection present in db. See index.d.ts.
 * @param {import('rxdb').RxDatabase} db
 * @param {import('./index.js').LianqiReplicationOptions} opts
 * @returns {import('./index.js').LianqiReplication}
 */
export function replicateLianqi(db, opts) {
  const {
    url,
    getToken,
    wsUrl = url.replace(/^http/, 'ws'),
    deviceId = `rxdb-${Math.random().toString(36).slice(2, 10)}`,
    collections = COLLECTION_NAMES.filter((n) => db.collections[n]),
    live = true,
    pullBatchSize = 100,
    pushBatchSize = 50,
    retryTime = 2000,
    reconnect = {},
    fetch: fetchImpl = globalThis.fetch.bind(globalThis),
    webSocketImpl = globalThis.WebSocket,
    schemaVersion = SCHEMA_VERSION,
    replicationIdentifier = `lianqi-${url}`,
    clock = createHLC(deviceId),
    onRejected,
  } = opts;
  if (!url || typeof getToken !== 'function') throw new Error('@lianqi/rxdb: replicateLianqi needs url and getToken');
  const minWait = reconnect.minDelay ?? 500;
  const maxWait = reconnect.maxDelay ?? 30_000;

  const auth = tokenSource(getToken);
  const request = makeRequest(url, auth, fetchImpl);
  const rejected$ = new Subject();
  const error$ = new Subject();
  const socket$ = new Subject();
  const status$ = new BehaviorSubject('connecting');
  const streams = {};
  const lastCheckpoint = {};
  const firstPull = {};
  let canceled = false;

  // Each stream's subscribe payload. graphql-ws re-sends this very object when
  // it reconnects by itself (1012, 1006), so keeping its checkpoint current
  // makes a reconnected stream resume where the replica stands, not where the
  // subscription began.
  const payloads = {};
  const recordCheckpoint = (name, cp) => {
    if (cp && seqOf(cp) >= seqOf(lastCheckpoint[name])) {
      lastCheckpoint[name] = cp;
      if (payloads[name]) payloads[name].variables.cp = { cursor: cp.cursor, seq: cp.seq };
    }
  };
  if (onRejected) rejected$.subscribe(onRejected);

  // The answer to CHECKPOINT_EXPIRED: pull the collection from no checkpoint
  // to the end, and hand RxDB every document the server sent plus a
  // tombstone for each local document it did not (deleted while the phone
  // was away, its tombstone since pruned), so no ghost stays. A document
  // with local changes not yet pushed keeps them: RxDB only moves its
  // assumed master state, and the push goes on (a deleted one comes back
  // in rejected$ as NOT_FOUND).
  async function fullResync(name, meta, collection, pullQuery, batchSize) {
    const byId = new Map();
    let cp = null;
    for (;;) {
      const data = await request(pullQuery, { cp, limit: batchSize });
      const batch = data[meta.pull];
      for (const d of batch.documents) byId.set(d.id, d);
      cp = { cursor: batch.checkpoint.cursor, seq: batch.checkpoint.seq };
      if (batch.documents.length < batchSize) break;
    }
    const local = await collection.find().exec();
    for (const doc of local) {
      if (!byId.has(doc.primary)) byId.set(doc.primary, { ...doc.toJSON(), deleted: true });
    }
    delete lastCheckpoint[name];
    recordCheckpoint(name, cp);
    error$.next(new LianqiError(`${meta.pull}: the checkpoint expired; pulled ${name} from scratch`, { code: 'CHECKPOINT_EXPIRED' }));
    return { documents: [...byId.values()], checkpoint: cp };
  }

  const replications = {};
  const tags = {};
  for (const name of collections) {
    const meta = COLLECTIONS[name];
    const collection = db.collections[name];
    if (!meta || !collection) throw new Error(`@lianqi/rxdb: no collection ${name} in the database (use lianqiCollections())`);
    if (migrationPluginMissing(collection)) {
      throw new Error(
        `@lianqi/rxdb: collection ${name} has schema version ${collection.schema.version}; add RxDB's migration plugin before creating the database: ` +
          "import { addRxPlugin } from 'rxdb'; import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema'; addRxPlugin(RxDBMigrationSchemaPlugin);",
      );
    }
    installHooks(collection, name, clock);
    const fields = meta.fields.join(' ');
    // Why a tag in the checkpoint and not a new replicationIdentifier per
    // schema version: the identifier names RxDB's replication meta data, which
    // holds, besides the checkpoints, the assumed master state of every
    // document (RxDB's migration plugin migrates it with the documents). A
    // new identifier would start with none, so RxDB would take every local
    // document for an unpushed creation and push them all (with no base for
    // the server's merge), and would never let the pull overwrite them. With
    // the same identifier and only the pull's starting point reset, a
    // document in sync is overwritten by the server's full state (its new
    // fields included), and one with an unpushed edit keeps it: RxDB skips
    // it in the pull, pushes the edit once against its old base, and the
    // server's answer (or the next pull) brings the new fields.
    const rxVersion = collection.schema.version;
    const tag = (cp) => (cp ? { cursor: cp.cursor, seq: cp.seq, rxSchema: rxVersion } : cp);
    tags[name] = tag;
    const stream$ = new Subject();
    streams[name] = stream$;
    let resolveFirst;
    firstPull[name] = new Promise((r) => (resolveFirst = r));

    const pullQuery = `query LianqiPull($cp: SyncCheckpointInput, $limit: Int) {
      ${meta.pull}(checkpoint: $cp, limit: $limit, schemaVersion: ${schemaVersion}) { documents { ${fields} } checkpoint { cursor seq } resync } }`;
    const pull = {
      batchSize: pullBatchSize,
      async handler(kept, batchSize) {
        const checkpoint = checkpointFor(kept, rxVersion);
        let data;
        try {
          data = await request(pullQuery, { cp: checkpoint ? { cursor: checkpoint.cursor, seq: checkpoint.seq } : null, limit: batchSize });
        } catch (err) {
          if (!checkpoint || err?.code !== 'CHECKPOINT_EXPIRED') throw err;
          // Offline for longer than the server keeps deletions: start over.
          const res = await fullResync(name, meta, collection, pullQuery, batchSize);
          resolveFirst();
          return { documents: res.documents, checkpoint: tag(res.checkpoint) };
        }
        const batch = data[meta.pull];
        recordCheckpoint(name, batch.checkpoint);
        resolveFirst();
        return { documents: batch.documents, checkpoint: tag(batch.checkpoint) };
      },
      modifier(doc) {
        clock.observe(doc.hlc);
        return doc;
      },
      stream$: stream$.asObservable(),
    };

    let push;
    if (meta.push) {
      const rejectionFields = REJECTION_FIELDS.join(' ');
      const pushQuery = `mutation LianqiPush($rows: [${meta.pushRow}!]!, $device: String) {
        ${meta.push}(rows: $rows, deviceId: $device, schemaVersion: ${schemaVersion}) { conflicts { ${fields} } rejected { ${rejectionFields} } } }`;
      push = {
        batchSize: pushBatchSize,
        async handler(rows) {
          const sent = rows.map((r) => ({
            mutationId: mutationIdOf(name, r.newDocumentState),
            assumedMasterState: pick(r.assumedMasterState, meta.inputFields),
            newDocumentState: pick(r.newDocumentState, meta.inputFields),
          }));
          const data = await request(pushQuery, { rows: sent, device: deviceId });
          const result = data[meta.push];
          const busy = result.rejected.find(isTransient);
          if (busy) {
            // Not a refusal: the row is being applied by a request the server
            // has not finished (or lost in a crash). Taking the master state
            // now would drop the phone's edit, so the whole batch is sent again
            // after retryTime; every row keeps its mutation id, so rows already
            // applied are not applied twice.
            throw new LianqiError(`push ${meta.push}: ${busy.message}`, { code: busy.code, errors: [busy] });
          }
          for (const rej of result.rejected) {
            const row = sent.find((r) => r.mutationId === rej.mutationId) ?? sent.find((r) => r.newDocumentState.id === rej.id);
            rejected$.next({ collection: name, ...rej, conflictIds: rej.conflictIds ?? [], row: row?.newDocumentState ?? null, at: new Date().toISOString() });
          }
          for (const d of result.conflicts) clock.observe(d.hlc);
          return result.conflicts;
        },
      };
    }

    const rep = replicateRxCollection({
      collection,
      replicationIdentifier: `${replicationIdentifier}-${name}`,
      deletedField: 'deleted',
      live,
      retryTime,
      waitForLeadership: false,
      autoStart: true,
      pull,
      push,
    });
    rep.error$.subscribe((e) => error$.next(e));
    replications[name] = rep;
  }

  // One socket for every stream. graphql-ws reconnects by itself on closes it
  // deems retryable (1006, 1012, …) with our backoff; a 4401 is fatal to it,
  // so each stream resubscribes itself after fetching a fresh token.
  let client = null;
  let lastToken;
  if (live && webSocketImpl) {
    client = createClient({
      url: wsUrl,
      webSocketImpl,
      lazy: true,
      retryAttempts: Number.MAX_SAFE_INTEGER,
      shouldRetry: () => !canceled,
      retryWait: (n) => sleep(backoff(n, minWait, maxWait)),
      connectionParams: async () => {
        lastToken = await auth.token();
        return { Authorization: `Bearer ${lastToken}` };
      },
      on: {
        connected: () => {
          status$.next('connected');
          socket$.next({ type: 'connected', at: Date.now() });
          // Whatever happened while the socket was down, a pull from RxDB's
          // own checkpoint brings it.
          for (const s of Object.values(streams)) s.next('RESYNC');
        },
        closed: (ev) => {
          const code = ev?.code;
          status$.next(canceled ? 'closed' : 'reconnecting');
          socket$.next({ type: 'closed', code, reason: ev?.reason ?? '', at: Date.now() });
          if (code === CloseCode.Unauthorized) auth.invalidate(lastToken);
        },
        error: (err) => socket$.next({ type: 'error', error: err, at: Date.now() }),
      },
    });

    for (const name of collections) {
      const meta = COLLECTIONS[name];
      if (!meta.stream) continue;
      const query = `subscription LianqiStream($cp: SyncCheckpointInput) {
        ${meta.stream}(checkpoint: $cp, schemaVersion: ${schemaVersion}) { documents { ${meta.fields.join(' ')} } checkpoint { cursor seq } resync } }`;
      let attempts = 0;
      let dispose = null;
      const subscribe = () => {
        if (canceled) return;
        const cp = lastCheckpoint[name];
        payloads[name] = { query, variables: { cp: cp ? { cursor: cp.cursor, seq: cp.seq } : null } };
        dispose = client.subscribe(
          payloads[name],
          {
            next: (msg) => {
              attempts = 0;
              const batch = msg.data?.[meta.stream];
              if (!batch) return;
              recordCheckpoint(name, batch.checkpoint);
              if (batch.resync) streams[name].next('RESYNC');
              if (batch.documents.length) streams[name].next({ documents: batch.documents, checkpoint: tags[name](batch.checkpoint) });
            },
            error: (err) => {
              const code = err?.code;
              const gqlCode = Array.isArray(err) ? err[0]?.extensions?.code : undefined;
              if (gqlCode === 'UNAUTHENTICATED') auth.invalidate(lastToken);
              if (code === CloseCode.Forbidden || code === CloseCode.BadRequest || gqlCode === 'FORBIDDEN' || gqlCode === 'UPGRADE_REQUIRED') {
                // Retrying cannot help: the app must act (sign in as someone
                // else, update). Pull and push go on over HTTP.
                error$.next(new LianqiError(`stream ${meta.stream} refused`, { code: gqlCode ?? code, errors: Array.isArray(err) ? err : undefined }));
                return;
              }
              if (gqlCode === 'CHECKPOINT_EXPIRED') {
                // The pull that follows meets the same answer and starts
                // over; the stream then resumes from its checkpoint.
                delete lastCheckpoint[name];
                streams[name].next('RESYNC');
                retry();
                return;
              }
              if (gqlCode === 'TOO_MANY_SUBSCRIPTIONS') {
                // The server's limit per socket or user (other devices of the
                // same user count): poll instead, with a pull now and another
                // at every later attempt, and try the stream again slowly.
                error$.next(new LianqiError(`stream ${meta.stream}: too many subscriptions; polling every ${Math.round(maxWait / 1000)} s`, { code: gqlCode, errors: err }));
                streams[name].next('RESYNC');
                if (!canceled) setTimeout(() => {
                  streams[name].next('RESYNC');
                  subscribe();
                }, maxWait);
                return;
              }
              retry();
            },
            // The stream never ends while the app replicates: a `complete` is
            // a server going away the old way; come back.
            complete: () => {
              socket$.next({ type: 'complete', stream: meta.stream, at: Date.now() });
              retry();
            },
          },
        );
      };
      const retry = () => {
        if (canceled) return;
        const wait = backoff(attempts++, minWait, maxWait);
        setTimeout(subscribe, wait);
      };
      // Start from a checkpoint: after the first pull, so that the stream
      // continues where the pull stopped instead of at "now".
      firstPull[name].then(subscribe);
      streams[name].subscribe({ complete: () => dispose?.() });
    }
  }

  const reps = () => Object.values(replications);
  return {
    replications,
    deviceId,
    clock,
    rejected$: rejected$.asObservable(),
    error$: error$.asObservable(),
    socket$: socket$.asObservable(),
    status$: status$.asObservable(),
    async awaitInitialReplication() {
      await Promise.all(reps().map((r) => r.awaitInitialReplication()));
    },
    async awaitInSync() {
      await Promise.all(reps().map((r) => r.awaitInSync()));
    },
    reSync() {
      for (const r of reps()) r.reSync();
    },
    /** Conflict records visible to this user (syncConflicts), newest page first. */
    async syncConflicts({ first = 100, after = null, documentId = null } = {}) {
      const data = await request(
        `query($first: Int, $after: String, $doc: ID) { syncConflicts(first: $first, after: $after, documentId: $doc) {
          totalCount pageInfo { hasNextPage endCursor } edges { node { ${CONFLICT_FIELDS.join(' ')} } } } }`,
        { first, after, doc: documentId },
      );
      const c = data.syncConflicts;
      return { totalCount: c.totalCount, pageInfo: c.pageInfo, records: c.edges.map((e) => e.node) };
    },
    /** The conflict records in which a rejected row's content was kept. */
    async conflictsOf(rejection) {
      const { records } = await this.syncConflicts({ documentId: rejection.id, first: 100 });
      const ids = new Set(rejection.conflictIds ?? []);
      return ids.size ? records.filter((r) => ids.has(r.id)) : records;
    },
    /** Compares a collection's local live documents with the server's checksum (docs/sync.md "Checksums"). */
    async verify(name, buckets = 16) {
      const data = await request(`query($c: String!, $b: Int) { syncChecksum(collection: $c, buckets: $b, schemaVersion: ${schemaVersion}) { count buckets { index hash } } }`, { c: name, b: buckets });
      const docs = await db.collections[name].find().exec();
      const local = await localBuckets(docs.map((d) => ({ id: d.id, version: d.version })), buckets);
      const server = data.syncChecksum.buckets.map((b) => b.hash);
      const differ = server.map((h, i) => (h === local[i] ? -1 : i)).filter((i) => i >= 0);
      return { ok: differ.length === 0 && data.syncChecksum.count === docs.length, count: docs.length, serverCount: data.syncChecksum.count, differ };
    },
    /** The raw GraphQL request with this replication's auth (token refresh included). */
    request,
    async cancel() {
      canceled = true;
      for (const s of Object.values(streams)) s.complete();
      await Promise.all(reps().map((r) => r.cancel()));
      if (client) await client.dispose();
      status$.next('closed');
      rejected$.complete();
      error$.complete();
      socket$.complete();
    },
  };
}

// ---------------------------------------------------------------------------
// Checksums: the same buckets as the server (sync.BucketOf, sync.HashBucket).

/** FNV-1a 32 over the UTF-8 bytes of s. */
export function fnv1a32(s) {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The hex SHA-256 of each bucket's sorted "id:version\n" lines.
 * @param {{id: string, version: number}[]} docs live documents
 * @param {number} buckets
 */
export async function localBuckets(docs, buckets) {
  const parts = Array.from({ length: buckets }, () => []);
  for (const d of docs) parts[fnv1a32(d.id) % buckets].push(`${d.id}:${d.version}\n`);
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('@lianqi/rxdb: checksums need crypto.subtle (a WebCrypto polyfill on React Native)');
  return Promise.all(
    parts.map(async (p) => {
      p.sort();
      const digest = await subtle.digest('SHA-256', new TextEncoder().encode(p.join('')));
      return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
    }),
  );
}
