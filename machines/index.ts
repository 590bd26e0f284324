// The public surface of machines/: what the service imports.
export * from './types.js';
export * from './events.js';
export * from './context.js';
export * from './screening.js';
export * from './rules.js';
export * from './caseMachine.js';
export * from './decide.js';
export * from './migrations.js';
export * from './registry.js';
export * from './diagram.js';
export * from './labels.js';
