import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/package-root.js';
import { measureNode, round, say, table } from './_util.js';

/**
 * Reading k6 results back (src/k6/results.ts): a k6 `--out json` file of SIZE MB (default 1,000),
 * written here in k6's format — an hour of 10 request names, each request a http_req_duration,
 * a http_reqs and an iterations point with k6's usual tags — is read in a fresh process. Goal: peak
 * RSS under 300 MB whatever the size, since the file is streamed. The issue names no peer; the
 * figure beside it is the file's size. `npm run bench -- k6-import [SIZE_MB]`.
 */
const HOUR_S = 3_600;
const NAMES = 10;
const GOAL_RSS_MB = 300;

export async function main(argv: readonly string[]): Promise<number> {
  const sizeMb = argv[0] === undefined ? 1_000 : Number(argv[0]);
  if (!Number.isFinite(sizeMb) || sizeMb <= 0) {
    process.stderr.write(`bench k6-import: SIZE_MB: expected a number of megabytes > 0, got "${argv[0]}"\n`);
    return 2;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'codestorm-bench-k6-'));
  try {
    const file = path.join(dir, 'k6.json');
    say(`bench k6-import: writing ${sizeMb} MB of k6 JSON output`);
    const requests = await synthesize(file, sizeMb * 1e6);
    const bytes = statSync(file).size;
    say(`bench k6-import: reading it back (${requests.toLocaleString('en')} requests)`);
    const m = await measureNode(path.join(packageRoot(), 'dist', 'bench', '_k6-read.js'), [file]);
    const rate = bytes / 1e6 / m.seconds;
    process.stdout.write(`${table([{ what: `k6 JSON, ${round(bytes / 1e6, 0)} MB`, 'wall s': round(m.seconds, 1), 'MB/s': round(rate, 1), 'peak RSS MB': m.maxRssMb }])}\n`);
    process.stdout.write(`${JSON.stringify({ bench: 'k6-import', file_mb: round(bytes / 1e6, 1), requests, wall_s: round(m.seconds, 2), mb_per_s: round(rate, 1), peak_rss_mb: m.maxRssMb, goals: { peak_rss_mb: `< ${GOAL_RSS_MB}` }, met: m.maxRssMb < GOAL_RSS_MB })}\n`);
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** k6's JSON lines for an hour of requests, as many as fill `bytes`; returns how many requests. */
async function synthesize(file: string, bytes: number): Promise<number> {
  const out = createWriteStream(file);
  const t0 = Date.parse('2026-01-04T08:00:00Z');
  const header = ['http_req_duration:trend:time', 'http_reqs:counter:default', 'iterations:counter:default']
    .map((m) => {
      const [name, type, contains] = m.split(':');
      return JSON.stringify({ type: 'Metric', data: { name, type, contains, tainted: null, thresholds: [], submetrics: null }, metric: name });
    })
    .join('\n');
  out.write(`${header}\n`);
  // Three lines, about 770 bytes in all, per request: the count that fills the size, over an hour.
  const total = Math.max(1, Math.floor(bytes / 770));
  let x = 7;
  const rand = (): number => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  let chunk = '';
  for (let i = 0; i < total; i++) {
    const at = new Date(t0 + Math.floor((i * HOUR_S * 1000) / total)).toISOString().replace('Z', '518000+00:00');
    const name = `request-${i % NAMES}`;
    const failed = rand() < 0.02;
    const tags = `{"expected_response":"${!failed}","group":"","method":"GET","name":"${name}","proto":"HTTP/1.1","scenario":"residents","status":"${failed ? 503 : 200}","tls_version":"","url":"http://127.0.0.1:8080/api/v1/${name}"}`;
    chunk += `{"type":"Point","data":{"time":"${at}","value":${round(2 + rand() * rand() * 400, 6)},"tags":${tags}},"metric":"http_req_duration"}\n`;
    chunk += `{"type":"Point","data":{"time":"${at}","value":1,"tags":${tags}},"metric":"http_reqs"}\n`;
    chunk += `{"type":"Point","data":{"time":"${at}","value":1,"tags":{"group":"","scenario":"residents"}},"metric":"iterations"}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return total;
}
