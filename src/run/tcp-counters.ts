import { readFileSync } from 'node:fs';

/**
 * The kernel's own count of what happened to connections during a step, read from Linux's
 * /proc/net/netstat and /proc/net/snmp before and after it. A server that falls behind its
 * accept queue shows no error of its own: the kernel drops the connections it has no room for
 * (ListenOverflows) and the clients send their SYNs again one, three, seven seconds later
 * (TCPSynRetrans), so the latency grows while every process looks idle. How many connections
 * were accepted at all (PassiveOpens) says what the step cost the target before any request:
 * past the knee every arrival may bring a new one, and a new connection costs a server about
 * twice what refusing a request on an open one does (README, "Capacity and CI gating"). These
 * counters are the machine's, not the target's alone: anything else on the machine that
 * connects adds to them.
 */
export interface TcpCounters {
  /** Connections the kernel dropped because a listen (accept) queue was full. */
  readonly listenOverflows: number;
  /** SYNs sent again because the first went unanswered. */
  readonly synRetrans: number;
  /** Connections the machine's listeners accepted (the three-way handshake completed). */
  readonly passiveOpens: number;
}

/** /proc/net/netstat's TcpExt counters (or /proc/net/snmp's Tcp ones, `group` 'Tcp'), by name:
 *  a header line of names, then a line of values. */
export function parseNetstat(text: string, group = 'TcpExt'): ReadonlyMap<string, number> {
  const counters = new Map<string, number>();
  const lines = text.split('\n').filter((l) => l.startsWith(`${group}:`));
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i]!.split(/\s+/).slice(1);
    const values = lines[i + 1]!.split(/\s+/).slice(1);
    names.forEach((name, j) => {
      const value = Number(values[j]);
      if (name !== '' && Number.isFinite(value)) counters.set(name, value);
    });
  }
  return counters;
}

/** The counters now; undefined where there is no /proc/net/netstat or snmp (not Linux) or they lack them. */
export function readTcpCounters(netstat = '/proc/net/netstat', snmp = '/proc/net/snmp'): TcpCounters | undefined {
  let ext: ReadonlyMap<string, number>;
  let tcp: ReadonlyMap<string, number>;
  try {
    ext = parseNetstat(readFileSync(netstat, 'utf8'));
    tcp = parseNetstat(readFileSync(snmp, 'utf8'), 'Tcp');
  } catch {
    return undefined;
  }
  const listenOverflows = ext.get('ListenOverflows');
  const synRetrans = ext.get('TCPSynRetrans');
  const passiveOpens = tcp.get('PassiveOpens');
  if (listenOverflows === undefined || synRetrans === undefined || passiveOpens === undefined) return undefined;
  return { listenOverflows, synRetrans, passiveOpens };
}

/** What the counters grew by between two readings; undefined when either is missing. */
export function tcpDelta(before: TcpCounters | undefined, after: TcpCounters | undefined): TcpCounters | undefined {
  if (before === undefined || after === undefined) return undefined;
  return {
    listenOverflows: Math.max(0, after.listenOverflows - before.listenOverflows),
    synRetrans: Math.max(0, after.synRetrans - before.synRetrans),
    passiveOpens: Math.max(0, after.passiveOpens - before.passiveOpens),
  };
}

/**
 * "; 41,237 connections accepted, the kernel dropped 20,278 at a full listen queue (8,567 SYNs
 * sent again)", "; 41,237 connections accepted", or "" when none were accepted, dropped or resent.
 */
export function tcpText(delta: TcpCounters | undefined): string {
  if (delta === undefined) return '';
  const n = (x: number) => x.toLocaleString('en-US');
  const resent = `(${n(delta.synRetrans)} SYNs sent again)`;
  if (delta.passiveOpens === 0) {
    return delta.listenOverflows === 0 && delta.synRetrans === 0 ? '' : `; the kernel dropped ${n(delta.listenOverflows)} connections at a full listen queue ${resent}`;
  }
  const accepted = `; ${n(delta.passiveOpens)} connections accepted`;
  return delta.listenOverflows === 0 && delta.synRetrans === 0 ? accepted : `${accepted}, the kernel dropped ${n(delta.listenOverflows)} at a full listen queue ${resent}`;
}
