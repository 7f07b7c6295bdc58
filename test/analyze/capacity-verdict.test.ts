import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { judge, readBaseline } from '../../src/analyze/capacity-verdict.js';
import { renderCapacityHtml, renderCapacityMarkdown } from '../../src/report/capacity.js';
import { context, found } from '../helpers/capacity.js';

/** The capacity gate's verdicts (src/analyze/capacity-verdict.ts) on synthetic searches. */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-capacity-verdict-'));

describe('the baseline gate', () => {
  it('passes an equal run, and a capacity drop up to --max-regression exactly; fails one beyond it', () => {
    const equal = judge(found(200, 10, [9, 12]), context({ p99AtStartMs: 10, p99AtStartIntervalMs: [9, 12] }, 15));
    expect(equal.baseline).toEqual({
      file: 'base.json',
      capacityRps: 200,
      p99AtStartMs: 10,
      p99AtStartIntervalMs: [9, 12],
      capacityChangePct: 0,
      p99ChangePct: 0,
      p99ChangeSignificant: false,
      maxRegressionPct: 15,
      ok: true,
    });
    expect(equal).toMatchObject({ verdict: 'pass', reason: 'capacity 200/s (it broke at 210/s; ±5/s)' });
    const base = context({ p99AtStartMs: 10, p99AtStartIntervalMs: [9, 12] });
    expect(judge(found(180, 10, [9, 12]), base)).toMatchObject({ verdict: 'pass', baseline: { ok: true, capacityChangePct: -10 } });
    expect(judge(found(179.8, 10, [9, 12]), base)).toMatchObject({ verdict: 'fail', baseline: { ok: false, capacityChangePct: -10.1 } });
    // Faster is never a regression.
    expect(judge(found(300, 10, [9, 12]), base)).toMatchObject({ verdict: 'pass', baseline: { ok: true, capacityChangePct: 50 } });
  });

  it('fails a 30 % capacity regression, with both capacities and the change on one line', () => {
    const r = judge(found(140, 10, [9, 12]), context({ p99AtStartMs: 10, p99AtStartIntervalMs: [9, 12] }));
    expect(r).toMatchObject({ verdict: 'fail', capacityRps: 140, baseline: { ok: false, capacityChangePct: -30, maxRegressionPct: 10 } });
    expect(r.reason).toMatch(/^capacity 140\/s \(it broke at 150\/s; ±5\/s\); regression beyond 10 %: capacity 200\/s → 140\/s \(-30 %\), p99 at the first step 10 ms \[9–12\] → 10 ms \[9–12\]/);
    expect(r.reason).not.toContain('\n');
  });

  it('fails when the SLO held at no rate, with or without a baseline', () => {
    const none = { ...found(0, 500, [400, 600]), sloHeld: false, failedAtRps: 25, steps: [{ ...found(0, 500, [400, 600]).steps[0]!, ok: false, reason: 'http_req_duration: p(99)<100 failed at 500' }] };
    expect(judge(none, context(undefined))).toMatchObject({ verdict: 'fail', baseline: null, reason: 'the SLO failed even at 25/s: http_req_duration: p(99)<100 failed at 500' });
    expect(judge(none, context({ capacityRps: 0, p99AtStartMs: 500, p99AtStartIntervalMs: [400, 600] }))).toMatchObject({ verdict: 'fail', baseline: { ok: true } });
  });

  it('fails a p99 rise beyond the allowed regression only when it is beyond the sampling noise too', () => {
    const base = context({ p99AtStartMs: 10, p99AtStartIntervalMs: [9, 12] });
    // +15 %, but the two intervals overlap: as two runs of one server differ.
    const noisy = judge(found(200, 11.5, [10, 14]), base);
    expect(noisy.baseline).toMatchObject({ ok: true, p99ChangePct: 15, p99ChangeSignificant: false });
    expect(noisy.verdict).toBe('pass');
    // +100 % and clear of the baseline's interval: a regression.
    const slower = judge(found(200, 20, [17, 24]), base);
    expect(slower.baseline).toMatchObject({ ok: false, p99ChangePct: 100, p99ChangeSignificant: true });
    expect(slower.verdict).toBe('fail');
    expect(slower.reason).toMatch(/p99 at the first step 10 ms \[9–12\] → 20 ms \[17–24\] \(\+100 %\)/);
    // Beyond the noise but within the allowed regression: fine.
    expect(judge(found(200, 10.8, [12.5, 13]), base).baseline).toMatchObject({ ok: true, p99ChangeSignificant: true });
    // Capacity still gates on its own.
    expect(judge(found(170, 10, [9, 12]), base).baseline).toMatchObject({ ok: false, capacityChangePct: -15 });
  });

  it('shows both p99s with the intervals it compared, in summary.md and capacity.html', () => {
    const r = judge(found(200, 11.5, [10, 14]), context({ p99AtStartMs: 10, p99AtStartIntervalMs: [9, null] }));
    const line = 'p99 at the first step 10 ms [9–open] → 11.5 ms [10–14] (+15 %, within sampling noise)';
    expect(renderCapacityMarkdown(r)).toContain(line);
    expect(renderCapacityHtml(r)).toContain(line);
  });

  it('cannot call a p99 rise significant against a baseline whose interval is open at the top', () => {
    const open = judge(found(200, 30, [25, 40]), context({ p99AtStartMs: 10, p99AtStartIntervalMs: [9, null] }));
    expect(open.baseline).toMatchObject({ ok: true, p99ChangeSignificant: false });
    // A baseline from before intervals were kept is taken at its word: a point.
    const old = judge(found(200, 30, [25, 40]), context({ p99AtStartMs: 10, p99AtStartIntervalMs: null }));
    expect(old.baseline).toMatchObject({ ok: false, p99ChangeSignificant: true });
  });

  it('reads a baseline from what capacity --json printed or capacity.json holds, and names the file and field when it cannot', () => {
    const dir = mkdtempSync(path.join(scratch, 'baselines-'));
    const write = (name: string, text: string) => {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    };
    const report = judge(found(200, 11.5, [10, 14]), context(undefined));
    const printed = write('printed.json', `${JSON.stringify(report)}\n`);
    expect(readBaseline(printed)).toEqual({ file: printed, capacityRps: 200, p99AtStartMs: 11.5, p99AtStartIntervalMs: [10, 14] });
    const pretty = write('capacity.json', `${JSON.stringify(report, null, 2)}\n`);
    expect(readBaseline(pretty)).toMatchObject({ capacityRps: 200, p99AtStartMs: 11.5, p99AtStartIntervalMs: [10, 14] });
    // An interval open at the top is kept; a baseline from before intervals has none; no p99 at all.
    expect(readBaseline(write('open.json', JSON.stringify({ capacityRps: 150, p99AtStartMs: 9, p99AtStartIntervalMs: [8, null] })))).toMatchObject({ p99AtStartIntervalMs: [8, null] });
    expect(readBaseline(write('old.json', JSON.stringify({ capacityRps: 150, p99AtStartMs: 9 })))).toMatchObject({ capacityRps: 150, p99AtStartMs: 9, p99AtStartIntervalMs: null });
    expect(readBaseline(write('bare.json', JSON.stringify({ capacityRps: 150, p99AtStartMs: null, p99AtStartIntervalMs: ['x', 3] })))).toMatchObject({ p99AtStartMs: null, p99AtStartIntervalMs: null });
    const refused = (file: string) => {
      try {
        readBaseline(file);
      } catch (err) {
        return err;
      }
      return expect.fail(`${file} was read`);
    };
    const missing = path.join(dir, 'nope.json');
    expect(refused(missing)).toMatchObject({ exitCode: 2, message: `--baseline: ${missing}: no such file` });
    const notJson = write('garbled.json', '{"capacityRps": 2');
    expect(refused(notJson)).toMatchObject({ exitCode: 2, message: expect.stringMatching(new RegExp(`^--baseline: ${notJson.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not JSON \\(`)) });
    const noCapacity = write('summary.json', JSON.stringify({ verdict: 'pass', capacityRps: '200' }));
    expect(refused(noCapacity)).toMatchObject({ exitCode: 2, message: `--baseline: ${noCapacity}: capacityRps: expected a number (the output of codestorm capacity --json)` });
  });
});
