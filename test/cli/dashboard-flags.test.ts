import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dashboardSpec } from '../../src/cli/dashboard-flags.js';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../helpers/io.js';

/** `--dashboard[=PORT]` and `--dashboard-linger D`: read once, a bad one is exit 2 with one line, before anything starts. */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-dashboard-flags-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the dashboard flags', () => {
  it.each([
    [{}, undefined],
    [{ dashboard: true }, { port: 0, lingerMs: 0 }],
    [{ dashboard: '8080', dashboardLinger: '90' }, { port: 8080, lingerMs: 90_000 }],
    [{ dashboard: true, dashboardLinger: '1m30s' }, { port: 0, lingerMs: 90_000 }],
  ])('%j', (flags, spec) => {
    expect(dashboardSpec(flags)).toEqual(spec);
  });

  it.each([
    [{ dashboard: 'scenario.yaml' }, '--dashboard: expected a whole number from 1 to 65535, got "scenario.yaml"'],
    [{ dashboard: '70000' }, '--dashboard: expected a whole number from 1 to 65535, got "70000"'],
    [{ dashboardLinger: '10s' }, '--dashboard-linger: only with --dashboard'],
    [{ dashboard: true, dashboardLinger: 'soon' }, '--dashboard-linger'],
  ])('refuses %j', (flags, message) => {
    expect(() => dashboardSpec(flags)).toThrow(message);
  });

  it('a port in use is exit 2 before anything starts, naming the port', async () => {
    const busy = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => busy.once('listening', r));
    const port = (busy.address() as net.AddressInfo).port;
    const file = path.join(scratch, 's.yaml');
    writeFileSync(file, 'name: s\ntarget: http://127.0.0.1:9\nload: { executor: constant-arrival-rate, rate: 1, duration: 1s }\njourneys:\n  - { name: j, steps: [ { name: a, request: { url: "/" } } ] }\n');
    const io = captureIO();
    try {
      expect(await main(['run', file, '--out', path.join(scratch, 'run'), `--dashboard=${port}`], io)).toBe(2);
    } finally {
      busy.close();
    }
    expect(io.err()).toContain(`--dashboard=${port}: 127.0.0.1:${port} is in use`);
    expect(io.err()).not.toContain('running s against');
  });
});
