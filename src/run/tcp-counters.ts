import { readFileSync } from 'node:fs';

/**
 * The kernel's own count of what happened to connections during a step, read from Linux's
 * /proc/net/netstat before and after it. A server that falls behind its accept queue shows no
 * error of its own: the kernel drops the connections it has no room for (ListenOverflows) and
 * the clients send their SYNs again one, three, seven seconds later (TCPSynRetrans), so the
 * latency grows while every process looks idle. These counters are the machine's, not the
 * target's alone: anything else on the machine that connects adds to them.
 */
export interface TcpCounters {
  /** Connections the kernel dropped because a listen (accept) queue was full. */
  readonly listenOverflows: number;
  /** SYNs sent again because the first went unanswered. */
  readonly synRetrans: number;
}

const FIELDS: Readonly<Record<keyof TcpCounters, string>> = { listenOverflows: 'ListenOverflows', synRetrans: 'TCPSynRetrans' };

/** /proc/net/netstat's TcpExt counters, by name: a header line of names, then a line of values. */
export function parseNetstat(text: string): ReadonlyMap<string, number> {
  const counters = new Map<string, number>();
  const lines = text.split('\n').filter((l) => l.startsWith('TcpExt:'));
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

/** The counters now; undefined where there is no /proc/net/netstat (not Linux) or it lacks them. */
export function readTcpCounters(file = '/proc/net/netstat'): TcpCounters | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const counters = parseNetstat(text);
  const listenOverflows = counters.get(FIELDS.listenOverflows);
  const synRetrans = counters.get(FIELDS.synRetrans);
  return listenOverflows === undefined || synRetrans === undefined ? undefined : { listenOverflows, synRetrans };
}

/** What the counters grew by between two readings; undefined when either is missing. */
export function tcpDelta(before: TcpCounters | undefined, after: TcpCounters | undefined): TcpCounters | undefined {
  if (before === undefined || after === undefined) return undefined;
  return {
    listenOverflows: Math.max(0, after.listenOverflows - before.listenOverflows),
    synRetrans: Math.max(0, after.synRetrans - before.synRetrans),
  };
}

/** "; the kernel dropped 20,278 connections at a full listen queue (8,567 SYNs sent again)", or "" when it dropped none. */
export function tcpText(delta: TcpCounters | undefined): string {
  if (delta === undefined || (delta.listenOverflows === 0 && delta.synRetrans === 0)) return '';
  return `; the kernel dropped ${delta.listenOverflows.toLocaleString('en-US')} connections at a full listen queue (${delta.synRetrans.toLocaleString('en-US')} SYNs sent again)`;
}
