/** k6/timers: the same functions as the event loop's. */
export const setTimeout = globalThis.setTimeout;
export const clearTimeout = globalThis.clearTimeout;
export default { setTimeout, clearTimeout };
