/** Environment variables read through helpers that throw: never a silent undefined. */
import { ConfigError } from './core/errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

export function requireEnv(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '')
    throw new ConfigError(`${name}: environment variable is not set`);
  return value;
}
