import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigSchema } from '../../../config/schema.ts';
import { loadConfig } from '../../../config/load.ts';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
}

const compose = parse(readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<string, Service>;
};

describe('docker-compose.yml', () => {
  it('defines Redis, a development mail server and the desk built from the repository', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['desk', 'mail', 'redis']);
    expect(compose.services.desk?.build).toBe('.');
  });

  it('runs Redis with AOF persistence and the noeviction policy BullMQ needs', () => {
    const cmd = compose.services.redis?.command?.join(' ') ?? '';
    expect(cmd).toMatch(/--appendonly yes/);
    expect(cmd).toMatch(/--maxmemory-policy noeviction/);
  });

  it('gives the desk only settings the config schema knows', () => {
    const known = new Set(Object.keys(ConfigSchema.shape));
    const env = compose.services.desk?.environment ?? {};
    const unknown = Object.keys(env).filter((k) => !known.has(k));
    expect(unknown).toEqual([]);
  });

  it('gives the desk a configuration that passes validation', () => {
    const env = compose.services.desk?.environment ?? {};
    const config = loadConfig(env, null);
    expect(config.IMAP_HOST).toBe('mail');
    expect(config.REDIS_URL).toBe('redis://redis:6379');
  });

  it('points the desk at the services by their compose names', () => {
    const env = compose.services.desk?.environment ?? {};
    expect(env.IMAP_HOST).toBe('mail');
    expect(env.SMTP_HOST).toBe('mail');
    expect(new URL(env.REDIS_URL ?? '').hostname).toBe('redis');
  });
});

describe('.env.example', () => {
  it('documents only settings the config schema knows, and all of them', () => {
    const text = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
    const names = [...text.matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
    const known = Object.keys(ConfigSchema.shape).filter((k) => k !== 'NODE_ENV');
    expect(names.filter((n) => !known.includes(n as string))).toEqual([]);
    expect(known.filter((k) => !names.includes(k))).toEqual([]);
  });
});
