/** Small byte helpers shared by the binary codecs, fixtures and the platform adapters. */

const hexRe = /^(?:[0-9a-fA-F]{2})*$/;

/** Hex text (spaces allowed) → bytes, or undefined when it is not whole hex bytes. */
export function hexToBytes(hex: string): Uint8Array | undefined {
  const clean = hex.replace(/\s+/g, '');
  if (!hexRe.test(clean)) return undefined;
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

const base64Re = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 → bytes (Buffer.from would silently skip bad characters). */
export function base64ToBytes(text: string): Uint8Array | undefined {
  if (!base64Re.test(text)) return undefined;
  return Uint8Array.from(Buffer.from(text, 'base64'));
}

/**
 * Many DTUs forward a binary frame as ASCII hex text. When `bytes` does not already start with
 * the frame's magic byte but is whole hex text, returns the decoded bytes; otherwise `bytes`.
 */
export function unwrapHexText(bytes: Uint8Array, magic: number): Uint8Array {
  if (bytes.length === 0 || bytes[0] === magic || bytes.length > 16384) return bytes;
  for (const b of bytes) {
    const hexDigit = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
    const space = b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
    if (!hexDigit && !space) return bytes;
  }
  return hexToBytes(Buffer.from(bytes).toString('latin1')) ?? bytes;
}
