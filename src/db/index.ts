// The database layer's public surface, for the engine, scheduler and main.ts.
export * from './client.js';
export * from './migrate.js';
export * from './types.js';
export * from './schema.js';
export * from './regions.js';
export * from './users.js';
export * from './facilities.js';
export * from './households.js';
export * from './cases.js';
export * from './caseList.js';
export * from './audit.js';
export * from './idempotency.js';
export * from './placements.js';
export * from './caseInbox.js';
export * from './timers.js';
export * from './notifications.js';
