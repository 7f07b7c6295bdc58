/**
 * Polls `probe` until it gives a value (not undefined), then returns it. A probe that throws
 * counts as "not yet" (a server still starting refuses connections); past `timeoutMs` the wait
 * fails, naming what it waited for.
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000, intervalMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let got: T | undefined;
    try {
      got = await probe();
    } catch {
      got = undefined;
    }
    if (got !== undefined) return got;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
