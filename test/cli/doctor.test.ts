import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../helpers/io.js';

/** `codestorm doctor` in-process, with the environment it sees injected. */
const io = captureIO;

describe('codestorm doctor', () => {
  it('exits 0 when everything needed is found on this machine', async () => {
    const run = io(process.env);
    expect(await main(['doctor'], run)).toBe(0);
    expect(run.out()).toMatch(/ok\s+redis-server/);
    expect(run.out()).toMatch(/ok\s+postgres \(embedded\)\s+postgres \(PostgreSQL\) \d+/);
  });

  it('exits 1 and names the command that gets what is missing', async () => {
    const run = io({ ...process.env, PATH: '/nonexistent', CODESTORM_CACHE_DIR: '/nonexistent' });
    expect(await main(['doctor'], run)).toBe(1);
    expect(run.out()).toMatch(/MISSING\s+redis-server\s+missing/);
    expect(run.out()).toContain('get it: apt-get install -y redis-server');
    expect(run.out()).toMatch(/MISSING\s+toxiproxy-server\s+missing, and no Go to build it/);
    expect(run.out()).toContain('go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0');
  });

  it('accepts services given by URL instead of binaries', async () => {
    const run = io({
      PATH: '/nonexistent',
      REDIS_URL: 'redis://127.0.0.1:6379',
      TOXIPROXY_URL: 'http://127.0.0.1:8474',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
    });
    expect(await main(['doctor', '--json'], run)).toBe(0);
    const report = JSON.parse(run.out()) as { usable: boolean; checks: { name: string; ok: boolean }[] };
    expect(report.usable).toBe(true);
    expect(report.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['pgbench (bench only)', 'wrk (bench only)', 'chromium (tests only: report.html in a browser)']);
  });

  it('an unknown command is invalid input: exit 2', async () => {
    const run = io(process.env);
    expect(await main(['frobnicate'], run)).toBe(2);
    expect(run.err()).toMatch(/unknown command/);
  });
});
