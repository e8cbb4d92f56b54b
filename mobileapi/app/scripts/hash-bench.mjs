// Measures the app's SHA-256 at capture (hash-wasm, 4 MiB slices of a Blob, as
// src/stores/work.ts does) on 100 MiB: npm run bench:hash. Node, not a phone.
import { createSHA256 } from 'hash-wasm';
const CHUNK = 4 << 20;
const size = 100 * 1024 * 1024;
const data = new Uint8Array(size);
for (let i = 0; i < size; i += 4096) data[i] = i & 255;
const blob = new Blob([data]);
for (let run = 0; run < 3; run++) {
  const t0 = performance.now();
  const h = await createSHA256();
  h.init();
  for (let off = 0; off < blob.size; off += CHUNK) h.update(new Uint8Array(await blob.slice(off, off + CHUNK).arrayBuffer()));
  const hex = h.digest('hex');
  const ms = performance.now() - t0;
  console.log(`run ${run}: ${(size / 1048576 / (ms / 1000)).toFixed(0)} MiB/s (${ms.toFixed(0)} ms) ${hex.slice(0, 8)}`);
}
