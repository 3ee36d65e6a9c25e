#!/usr/bin/env node
// Draws Dusty's tray icons (one per state, 16 px and 32 px @2x) and the app icon as PNG files, with no dependencies.
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import process from 'node:process';
import { deflateSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};

/** RGBA pixels from a function of (x, y) in [0,1) sampled 4x4 per pixel for smooth edges. */
function png(size, shade) {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let sy = 0; sy < 4; sy++)
        for (let sx = 0; sx < 4; sx++) {
          const c = shade((x + (sx + 0.5) / 4) / size, (y + (sy + 0.5) / 4) / size);
          if (!c) continue;
          const ca = c[3] / 255;
          r += c[0] * ca;
          g += c[1] * ca;
          b += c[2] * ca;
          a += ca;
        }
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = a ? Math.round(r / a) : 0;
      raw[o + 1] = a ? Math.round(g / a) : 0;
      raw[o + 2] = a ? Math.round(b / a) : 0;
      raw[o + 3] = Math.round((a / 16) * 255);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  ihdr[10] = 0;
  ihdr[11] = 0;
  ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const hex = (h, alpha = 255) => [
  parseInt(h.slice(1, 3), 16),
  parseInt(h.slice(3, 5), 16),
  parseInt(h.slice(5, 7), 16),
  alpha,
];
const STATES = {
  stopped: { fill: null, ring: hex('#8a94a3') },
  starting: { fill: hex('#e3a33b'), ring: hex('#b97d16') },
  running: { fill: hex('#2fa36b'), ring: hex('#1f7a4f') },
  failed: { fill: hex('#e0444e'), ring: hex('#a92731') },
};

/** A diamond (Dusty's mark) whose look says the state: hollow grey, amber, green, or red with a bar. */
function trayShade(state) {
  const { fill, ring } = STATES[state];
  return (x, y) => {
    const d = Math.abs(x - 0.5) + Math.abs(y - 0.5);
    if (
      state === 'failed' &&
      Math.abs(x - 0.5) < 0.07 &&
      y > 0.27 &&
      y < 0.73 &&
      !(y > 0.56 && y < 0.63)
    )
      return hex('#ffffff');
    if (d < 0.46 && d > 0.34) return ring;
    if (d <= 0.34) return fill;
    return null;
  };
}

for (const state of Object.keys(STATES)) {
  writeFileSync(join(here, `tray-${state}.png`), png(16, trayShade(state)));
  writeFileSync(join(here, `tray-${state}@2x.png`), png(32, trayShade(state)));
}

// The app icon: a rounded square with the diamond.
writeFileSync(
  join(here, 'icon.png'),
  png(512, (x, y) => {
    const r = 0.18;
    const dx = Math.max(Math.abs(x - 0.5) - (0.5 - r - 0.04), 0);
    const dy = Math.max(Math.abs(y - 0.5) - (0.5 - r - 0.04), 0);
    if (Math.hypot(dx, dy) > r) return null;
    const d = Math.abs(x - 0.5) + Math.abs(y - 0.5);
    if (d < 0.27) return hex('#ffffff');
    return [Math.round(53 + 40 * y), Math.round(99 + 30 * x), 233, 255];
  }),
);
process.stdout.write('wrote tray-{stopped,starting,running,failed}{,@2x}.png and icon.png\n');
