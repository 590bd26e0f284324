/**
 * LISTEN for the workers' wake-up calls (channels raised by the triggers of migrations/…_timers_notify.sql):
 * `doudi_timers` when a timer becomes due now, `doudi_deliveries` when a webhook delivery does. A wake-up only
 * shortens the wait before the next poll, so a listener that cannot be set up is logged and ignored: the
 * workers then find their work by polling, as before. Never throws.
 */
import type { DbHandle } from './client.js';

export const TIMERS_CHANNEL = 'doudi_timers';
export const DELIVERIES_CHANNEL = 'doudi_deliveries';
/** A user row changed (payload: its id): every process drops it from its user cache (src/engine/accounts.ts). */
export const USERS_CHANNEL = 'doudi_users';
/**
 * A time setting changed (payload 'deadlines:<scope>' or 'calendar:<year>', from the triggers of
 * migrations/…_settings_notify.sql): every process reloads it (src/engine/timeSettings.ts refreshTimeSettings).
 */
export const SETTINGS_CHANNEL = 'doudi_settings';

export interface ListenLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Resolves once listening (or once it failed) to a function that stops listening; that function never throws either. */
export async function listen(
  handle: Pick<DbHandle, 'kind'> & Partial<Pick<DbHandle, 'listen'>>,
  channel: string,
  onNotify: (payload: string) => void,
  logger?: ListenLogger,
): Promise<() => Promise<void>> {
  if (!handle.listen) {
    logger?.warn({ channel }, 'this database handle cannot LISTEN; polling only');
    return async () => {};
  }
  const safe = (payload: string) => {
    try {
      onNotify(payload);
    } catch (err) {
      logger?.warn({ channel, err }, 'a notification handler failed');
    }
  };
  try {
    const unlisten = await handle.listen(channel, safe);
    logger?.info({ channel, database: handle.kind }, 'listening for wake-ups');
    return async () => {
      try {
        await unlisten();
      } catch (err) {
        logger?.warn({ channel, err }, 'UNLISTEN failed (ignored)');
      }
    };
  } catch (err) {
    logger?.warn({ channel, err }, 'LISTEN failed; the worker falls back to polling');
    return async () => {};
  }
}
