// QR decoding from the camera: BarcodeDetector where the browser has it,
// else zxing-wasm (ZXing-C++), loaded only here (a chunk of its own) and
// its .wasm from this server (never the CDN its loader names by default).
import wasmUrl from 'zxing-wasm/reader/zxing_reader.wasm?url';

export type Decode = (video: HTMLVideoElement) => Promise<string | null>;

interface Detector {
  detect(source: CanvasImageSource): Promise<{ rawValue: string }[]>;
}

/** A decoder of what the video shows now. */
export async function decoder(): Promise<{ decode: Decode; engine: string }> {
  const BD = (globalThis as unknown as { BarcodeDetector?: new (o: { formats: string[] }) => Detector }).BarcodeDetector;
  if (BD) {
    const d = new BD({ formats: ['qr_code'] });
    return { engine: 'BarcodeDetector', decode: async (v) => (await d.detect(v))[0]?.rawValue ?? null };
  }
  const z = await import('zxing-wasm/reader');
  z.prepareZXingModule({ overrides: { locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? wasmUrl : prefix + path) } });
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  return {
    engine: 'zxing-wasm',
    decode: async (v) => {
      if (!v.videoWidth) return null;
      canvas.width = v.videoWidth;
      canvas.height = v.videoHeight;
      ctx.drawImage(v, 0, 0);
      const found = await z.readBarcodes(ctx.getImageData(0, 0, canvas.width, canvas.height), { formats: ['QRCode'], tryHarder: true, maxNumberOfSymbols: 1 });
      return found[0]?.text ?? null;
    },
  };
}

/** Metres between two points (haversine). */
export function distanceM(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const r = 6371008.8;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(h));
}
