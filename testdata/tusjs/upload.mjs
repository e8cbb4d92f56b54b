// Uploads one evidence file to fieldcheck with tus-js-client, the reference
// tus client, and reports what happens as JSON lines on stdout, for the Go
// tests to follow (cmd/fieldcheck/evidence_test.go).
//
//   node upload.mjs CONFIG_JSON
//
// CONFIG_JSON: {endpoint, token, taskId, slotId, file, chunkSize,
//               abortAt (bytes; 0 = never), uploadUrl (resume this one),
//               retryDelays (ms)}
import { readFileSync } from "node:fs";
import { Upload } from "tus-js-client";

const cfg = JSON.parse(process.argv[2]);
const data = readFileSync(cfg.file);
const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");

let aborted = false;
const upload = new Upload(data, {
  endpoint: cfg.endpoint,
  uploadUrl: cfg.uploadUrl || null,
  headers: { Authorization: "Bearer " + cfg.token },
  metadata: { taskId: cfg.taskId, slotId: cfg.slotId, filename: "evidence.jpg" },
  chunkSize: cfg.chunkSize || Infinity,
  retryDelays: cfg.retryDelays || [0, 1000, 3000, 5000],
  storeFingerprintForResuming: false,
  onAfterResponse: (req, res) => {
    if (req.getMethod() === "POST" && res.getStatus() === 201) {
      say({ event: "created", url: upload.url });
    }
  },
  onProgress: (sent, total) => {
    say({ event: "progress", sent, total });
    if (cfg.abortAt && !aborted && sent >= cfg.abortAt) {
      aborted = true;
      upload.abort(false).then(() => {
        say({ event: "aborted", url: upload.url, sent });
        process.exit(3);
      });
    }
  },
  onError: (err) => {
    say({ event: "error", message: String(err && err.message ? err.message : err) });
    process.exit(1);
  },
  onSuccess: () => {
    say({ event: "success", url: upload.url });
    process.exit(0);
  },
});
if (cfg.uploadUrl) {
  say({ event: "resuming", url: cfg.uploadUrl });
}
upload.start();
