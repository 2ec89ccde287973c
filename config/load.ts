import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigSchema, crossFieldProblems, type Config } from './schema.ts';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `Invalid configuration (${problems.length} setting${problems.length === 1 ? '' : 's'}): ` +
        problems.map((p) => `${p.variable} ${p.message}`).join('; '),
    );
    this.name = 'ConfigError';
  }
}

/** Reads KEY=value lines of an optional .env file; the real environment wins over it. */
export function readEnvFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
}

/**
 * Parses the settings once. Every bad variable is named in one ConfigError;
 * the values themselves are never echoed, so a mistyped secret cannot leak.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  envFile: string | null = env === process.env ? '.env' : null,
): Config {
  // Only the real process environment is completed from .env: an explicit env
  // (tests, the sandbox) is taken as the whole truth.
  const merged = { ...(envFile ? readEnvFile(envFile) : {}), ...env };
  // Empty strings mean "not set", as in most .env files.
  const cleaned = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined && v !== ''));
  const result = ConfigSchema.safeParse(cleaned);
  const cross = crossFieldProblems(cleaned as Record<string, string>);
  if (result.success && cross.length === 0) return result.data;
  const problems = new Map<string, string>();
  const add = (variable: string, message: string) =>
    problems.set(variable, problems.has(variable) ? `${problems.get(variable)}, ${message}` : message);
  for (const { variable, message } of cross) add(variable, message);
  for (const issue of result.error?.issues ?? []) {
    const variable = String(issue.path[0] ?? 'config');
    const message = !(variable in cleaned) ? 'is required' : issue.message;
    add(variable, message);
  }
  throw new ConfigError([...problems].map(([variable, message]) => ({ variable, message })));
}
