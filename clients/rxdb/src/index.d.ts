// Types of @lianqi/rxdb (hand-written for src/index.js; the document types
// come from generated.d.ts, generated from the GraphQL schema).
import type { Observable } from 'rxjs';
import type { RxConflictHandler, RxDatabase, RxReplicationState } from 'rxdb';
import type { LianqiCollectionName, LianqiDocTypes, SyncConflict, SyncRejection } from './generated.js';

export * from './generated.js';

/** Close codes the client acts on (RFC 6455 and graphql-transport-ws). */
export declare const CloseCode: {
  readonly Normal: 1000;
  readonly Abnormal: 1006;
  readonly ServiceRestart: 1012;
  readonly BadRequest: 4400;
  readonly Unauthorized: 4401;
  readonly Forbidden: 4403;
};

/** Why getToken is called: the first request, a refusal by the server (401, UNAUTHENTICATED, 4401), or an expired JWT. */
export type TokenReason = 'initial' | 'unauthorized' | 'expired';

export interface HLC {
  readonly node: string;
  /** A clock value later than every value returned or observed. */
  now(): string;
  /** Moves the clock past a value seen elsewhere. */
  observe(value: string | null | undefined): void;
}

export interface LianqiReplicationOptions {
  /** The GraphQL endpoint, e.g. https://lianqi.example/graphql. */
  url: string;
  /** The WebSocket endpoint; defaults to url with ws:// or wss://. */
  wsUrl?: string;
  /**
   * Returns an access token (without "Bearer "). Called once at start and
   * again when the server refuses the token or it has expired; refresh it
   * there (e.g. with the refreshToken mutation).
   */
  getToken: (ctx: { reason: TokenReason }) => string | Promise<string>;
  /** Names this device in conflict records and clock values. Keep it stable per install. */
  deviceId?: string;
  /** Collections to replicate; default: every Lianqi collection present in db. */
  collections?: LianqiCollectionName[];
  /** Stream changes over the socket (default true); false pulls and pushes once per reSync. */
  live?: boolean;
  /** Documents per pull (server maximum 1000; default 100). */
  pullBatchSize?: number;
  /** Rows per push (server maximum 1000; default 50). */
  pushBatchSize?: number;
  /** ms between retries of a failed pull or push (default 2000). */
  retryTime?: number;
  /** Socket reconnection backoff in ms (default 500 doubling to 30000, with jitter). */
  reconnect?: { minDelay?: number; maxDelay?: number };
  /** fetch implementation (default globalThis.fetch). */
  fetch?: typeof fetch;
  /** WebSocket implementation (default globalThis.WebSocket; on Node 20 pass `ws`'s). */
  webSocketImpl?: unknown;
  /** The sync schema version the app was built for (default SCHEMA_VERSION). */
  schemaVersion?: number;
  /** Prefix of RxDB's replication identifiers (default derived from url). */
  replicationIdentifier?: string;
  /** The device's hybrid logical clock (default createHLC(deviceId)). */
  clock?: HLC;
  /** Called for every refused row; same as subscribing to rejected$. */
  onRejected?: (r: RejectedRow) => void;
}

/** A pushed row the server refused, in whole or in part. */
export interface RejectedRow extends SyncRejection {
  collection: LianqiCollectionName;
  /** Conflict records that keep the row's content (empty until the server names them). */
  conflictIds: string[];
  /** The row as the app sent it (GraphQL input shape, `deleted` instead of `_deleted`). */
  row: Record<string, unknown> | null;
  /** When the answer arrived (ISO time). */
  at: string;
}

export type SocketEvent =
  | { type: 'connected'; at: number }
  | { type: 'closed'; code?: number; reason: string; at: number }
  | { type: 'complete'; stream: string; at: number }
  | { type: 'error'; error: unknown; at: number };

export interface VerifyResult {
  ok: boolean;
  count: number;
  serverCount: number;
  /** Indexes of the buckets that differ. */
  differ: number[];
}

export interface LianqiReplication {
  replications: { [K in LianqiCollectionName]?: RxReplicationState<LianqiDocTypes[K], unknown> };
  deviceId: string;
  clock: HLC;
  rejected$: Observable<RejectedRow>;
  error$: Observable<unknown>;
  socket$: Observable<SocketEvent>;
  status$: Observable<'connecting' | 'connected' | 'reconnecting' | 'closed'>;
  awaitInitialReplication(): Promise<void>;
  awaitInSync(): Promise<void>;
  reSync(): void;
  syncConflicts(opts?: { first?: number; after?: string | null; documentId?: string | null }): Promise<{
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    records: SyncConflict[];
  }>;
  conflictsOf(rejection: RejectedRow): Promise<SyncConflict[]>;
  verify(collection: LianqiCollectionName, buckets?: number): Promise<VerifyResult>;
  request<T = any>(query: string, variables?: Record<string, unknown>): Promise<T>;
  cancel(): Promise<void>;
}

export declare function replicateLianqi(db: RxDatabase<any, any, any, any>, opts: LianqiReplicationOptions): LianqiReplication;

/** Collection definitions for db.addCollections (schemas and conflict handler). */
export declare function lianqiCollections(opts?: { only?: LianqiCollectionName[] }): Record<string, { schema: any; migrationStrategies: Record<number, (doc: any) => any>; conflictHandler: RxConflictHandler<any> }>;

/** Identity migration strategies for versions 1..version (documents keep their values). */
export declare function migrationStrategies(version: number): Record<number, (doc: any) => any>;

/** The pull checkpoint to continue from: null if it was made under an older schema version (pull from scratch once). */
export declare function checkpointFor<C extends { rxSchema?: number }>(checkpoint: C | null | undefined, version: number): C | null;

export declare function lianqiConflictHandler(name: LianqiCollectionName): RxConflictHandler<any>;

export declare function createHLC(node: string, wall?: () => number): HLC;

/** The exp of a JWT in ms, or undefined. */
export declare function tokenExpiry(token: string): number | undefined;

export declare class LianqiError extends Error {
  code?: string | number;
  errors?: unknown[];
  status?: number;
}

/** A push rejection the server means as "try again" (CONFLICT "…; retry"); the package re-sends the batch instead of reporting it. */
export declare function isTransient(rejection: { code: string; message: string }): boolean;

export declare function fnv1a32(s: string): number;
export declare function localBuckets(docs: { id: string; version: number }[], buckets: number): Promise<string[]>;
