/** The k6 module itself: an exported script does not import from it, but a journey module may. */
export function sleep(seconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}
export default { sleep };
