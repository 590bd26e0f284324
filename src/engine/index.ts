// The engine: commands and queries over cases, built from its dependencies in one place.
import { createCommands } from './commands.js';
import { createQueries } from './queries.js';
import { createReference } from './reference.js';
import { createTimerEffects } from './timerEffects.js';
import type { EngineDeps } from './types.js';

export function createEngine(deps: EngineDeps) {
  const commands = createCommands(deps);
  return { ...commands, ...createQueries(deps), ...createReference(deps), ...createTimerEffects(deps, commands), deps };
}

export type Engine = ReturnType<typeof createEngine>;
export type { Principal, EngineDeps, CommandMeta } from './types.js';
export { householdInputSchema, memberInputSchema } from './surveyInput.js';
export { eventInputSchemas } from './eventInput.js';
