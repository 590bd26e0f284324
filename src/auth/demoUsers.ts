/**
 * Demo users sign in with the password printed in the README. Production refuses to start while any exist
 * (unless ALLOW_DEMO_USERS=on, e.g. for a training installation); elsewhere their presence is only logged.
 */
import type { Config } from '../config.js';
import type { Accounts } from '../engine/accounts.js';
import type { Logger } from '../logger.js';

export async function checkDemoUsers(config: Pick<Config, 'nodeEnv' | 'allowDemoUsers'>, accounts: Pick<Accounts, 'countDemoUsers'>, logger: Pick<Logger, 'warn'>): Promise<void> {
  const demoUsers = await accounts.countDemoUsers();
  if (demoUsers === 0) return;
  if (config.nodeEnv === 'production' && !config.allowDemoUsers) {
    throw new Error(`${demoUsers} demo users (with the README's password) exist: deactivate and delete them, or set ALLOW_DEMO_USERS=on to start anyway`);
  }
  logger.warn({ demoUsers }, "demo users exist; they sign in with the README's demo password");
}
