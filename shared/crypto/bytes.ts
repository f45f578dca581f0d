import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

const encoder = new TextEncoder();

export const utf8 = (text: string): Uint8Array => encoder.encode(text);
export const toHex = (bytes: Uint8Array): string => bytesToHex(bytes);

const HEX = /^(?:[0-9a-f]{2})*$/;
export function fromHex(hex: string): Uint8Array {
  if (!HEX.test(hex)) throw new Error('expected lowercase hex with an even number of digits');
  return hexToBytes(hex);
}
