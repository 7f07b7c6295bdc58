/**
 * The one use of Node's Buffer in what the script bundles (sim/city/prior.ts reads a prepared
 * session token as latin1 text), for k6, which has no Buffer. script.ts gives this to that
 * module alone; anything else asked of it is an error, not a silent wrong answer.
 */
export const Buffer = {
  from(buffer: ArrayBufferLike, byteOffset = 0, length?: number) {
    const bytes = new Uint8Array(buffer, byteOffset, length);
    return {
      toString(encoding: string): string {
        if (encoding !== 'latin1') throw new Error(`codestorm's k6 Buffer shim decodes latin1 only, not ${encoding}`);
        let text = '';
        for (const byte of bytes) text += String.fromCharCode(byte);
        return text;
      },
    };
  },
};
