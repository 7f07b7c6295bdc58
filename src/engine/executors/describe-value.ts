/** A short rendering of a bad value for an error message. */
export function describeValue(raw: unknown): string {
  if (raw === undefined) return 'undefined';
  if (typeof raw === 'function') return 'a function';
  if (typeof raw === 'number' || typeof raw === 'bigint') return String(raw);
  let text: string;
  try {
    text = JSON.stringify(raw) ?? String(raw);
  } catch {
    text = String(raw);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
