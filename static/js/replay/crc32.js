// CRC-32 (IEEE 802.3, the polynomial zlib.crc32 uses) of an ASCII string: a replay's lock events
// carry it of the field after the lock (docs/replays.md "Events").

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(text) {
  let crc = 0xFFFFFFFF;
  for (let k = 0; k < text.length; k += 1) {
    crc = TABLE[(crc ^ text.charCodeAt(k)) & 0xFF] ^ (crc >>> 8);
  }
  return (crc ^ 0xFFFFFFFF) >>> 0;
}
