import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stepOf } from '../../src/run-files/steps.js';
import { parseNetstat, readTcpCounters, tcpDelta, tcpText } from '../../src/run/tcp-counters.js';

/** /proc/net/netstat as Linux writes it: a line of names and a line of values per group. */
const NETSTAT = [
  'TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPSynRetrans TW',
  'TcpExt: 0 20278 20278 8567 135284',
  'IpExt: InNoRoutes InTruncatedPkts',
  'IpExt: 0 0',
  '',
].join('\n');

/** /proc/net/snmp: the same form, the Tcp group holding PassiveOpens. */
const SNMP = ['Tcp: RtoAlgorithm RtoMin ActiveOpens PassiveOpens AttemptFails', 'Tcp: 1 200 5012 41237 3', 'Udp: InDatagrams', 'Udp: 7', ''].join('\n');

describe('the kernel TCP counters read around a capacity step', () => {
  it('parses TcpExt names against their values, and ignores other groups', () => {
    const c = parseNetstat(NETSTAT);
    expect(c.get('ListenOverflows')).toBe(20278);
    expect(c.get('TCPSynRetrans')).toBe(8567);
    expect(c.has('InNoRoutes')).toBe(false);
    const tcp = parseNetstat(SNMP, 'Tcp');
    expect(tcp.get('PassiveOpens')).toBe(41237);
    expect(tcp.has('InDatagrams')).toBe(false);
    // 'Tcp' is not a prefix match of 'TcpExt'.
    expect(parseNetstat(NETSTAT, 'Tcp').size).toBe(0);
  });

  it('reads a file, and gives undefined when the file or a counter is missing', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'codestorm-netstat-'));
    try {
      const full = path.join(dir, 'netstat');
      const snmp = path.join(dir, 'snmp');
      writeFileSync(full, NETSTAT);
      writeFileSync(snmp, SNMP);
      expect(readTcpCounters(full, snmp)).toEqual({ listenOverflows: 20278, synRetrans: 8567, passiveOpens: 41237 });
      const partial = path.join(dir, 'partial');
      writeFileSync(partial, 'TcpExt: ListenOverflows\nTcpExt: 3\n');
      expect(readTcpCounters(partial, snmp)).toBeUndefined();
      expect(readTcpCounters(full, partial)).toBeUndefined();
      expect(readTcpCounters(path.join(dir, 'absent'), snmp)).toBeUndefined();
      expect(readTcpCounters(full, path.join(dir, 'absent'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports what grew during the step, never a negative count', () => {
    expect(tcpDelta({ listenOverflows: 10, synRetrans: 4, passiveOpens: 100 }, { listenOverflows: 25, synRetrans: 4, passiveOpens: 130 })).toEqual({ listenOverflows: 15, synRetrans: 0, passiveOpens: 30 });
    expect(tcpDelta({ listenOverflows: 10, synRetrans: 4, passiveOpens: 100 }, { listenOverflows: 3, synRetrans: 1, passiveOpens: 7 })).toEqual({ listenOverflows: 0, synRetrans: 0, passiveOpens: 0 });
    expect(tcpDelta(undefined, { listenOverflows: 1, synRetrans: 1, passiveOpens: 1 })).toBeUndefined();
  });

  it('names on the step line the connections accepted, and what the kernel dropped or resent when it did', () => {
    expect(tcpText(undefined)).toBe('');
    expect(tcpText({ listenOverflows: 0, synRetrans: 0, passiveOpens: 0 })).toBe('');
    expect(tcpText({ listenOverflows: 0, synRetrans: 0, passiveOpens: 41237 })).toBe('; 41,237 connections accepted');
    expect(tcpText({ listenOverflows: 20278, synRetrans: 8567, passiveOpens: 41237 })).toBe('; 41,237 connections accepted, the kernel dropped 20,278 at a full listen queue (8,567 SYNs sent again)');
    expect(tcpText({ listenOverflows: 20278, synRetrans: 8567, passiveOpens: 0 })).toBe('; the kernel dropped 20,278 connections at a full listen queue (8,567 SYNs sent again)');
  });

  it('is kept in steps.ndjson, and a malformed count there is refused', () => {
    const line = {
      index: 1, kind: 'overload', multiple: 2, file: 'steps/01-8000rps-overload.ndjson', rateRps: 8000, ok: false, reason: null,
      p50Ms: 2375, p99Ms: 3426, p99IntervalMs: null, errorRate: 0.7, goodRps: 216, goodputRps: 216, byOutcome: { ok: 866, shed: 2090 }, late: 0, dropped: 0,
    };
    expect(stepOf({ text: JSON.stringify({ ...line, tcp: { listenOverflows: 5, synRetrans: 2, passiveOpens: 9 } }), where: 'steps.ndjson:1' }).tcp).toEqual({ listenOverflows: 5, synRetrans: 2, passiveOpens: 9 });
    // Written before connections accepted were counted.
    expect(stepOf({ text: JSON.stringify({ ...line, tcp: { listenOverflows: 5, synRetrans: 2 } }), where: 'steps.ndjson:1' }).tcp).toEqual({ listenOverflows: 5, synRetrans: 2 });
    expect(stepOf({ text: JSON.stringify(line), where: 'steps.ndjson:1' }).tcp).toBeUndefined();
    expect(() => stepOf({ text: JSON.stringify({ ...line, tcp: { listenOverflows: -1, synRetrans: 0 } }), where: 'steps.ndjson:1' })).toThrow(/steps\.ndjson:1/);
  });
});
