/**
 * An item's size as DynamoDB bills it (AWS DynamoDB Developer Guide, "Item
 * sizes and formats"): each attribute's name in UTF-8 bytes plus its value —
 * a string's UTF-8 bytes, a binary's bytes, a number's significant digits
 * halved plus one, 1 for a boolean or null, and for a list or map 3 bytes
 * plus 1 per element plus the elements (with a map's keys). A write costs one
 * write unit per started 1 KB. Used to report item sizes (test/capacity.test.ts);
 * capacity units themselves are measured (dynalite applies the same rules).
 */
export function itemSize(item: Readonly<Record<string, unknown>>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    bytes += Buffer.byteLength(name) + valueSize(value);
  }
  return bytes;
}

function valueSize(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    const digits = String(value).replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    return Math.ceil(Math.max(1, digits.length) / 2) + 1;
  }
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce<number>((sum, element) => sum + valueSize(element), 0);
  if (Array.isArray(value)) return 3 + value.reduce<number>((sum, element) => sum + 1 + valueSize(element), 0);
  if (typeof value === 'object') {
    return 3 + Object.entries(value as Record<string, unknown>).reduce((sum, [name, element]) => sum + (element === undefined ? 0 : 1 + Buffer.byteLength(name) + valueSize(element)), 0);
  }
  return 0;
}
