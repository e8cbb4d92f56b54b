package main

// The evidence bytes. Each photo a member declares is a real JPEG (a
// small image's header, which the server sniffs and whose dimensions it
// checks, followed by random bytes to the photo's size), made again from
// its seed when it is sent, so that a phone holds no bytes in memory
// between the declaration and the upload. After every sync the phone
// uploads, as the app does, the files whose slots the server holds, with
// tus (fcsync.Client.UploadFile, in --upload-chunk PATCHes through the
// same dropping network): an upload cut off is resumed from the offset the
// server reports (HEAD), in the same call or at a later sync with the
// upload's URL kept. The check afterwards wants every declared slot
// received, which the server marks only once the bytes hashed to the
// declared SHA-256.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/fieldcheck/fieldcheck/backend"
)

// phoneFile is a photo on the phone until the server has it.
type phoneFile struct {
	task     *simTask
	slot     string
	size     int64
	seed     uint64
	url      string // the tus upload, once created: resumed, never made again
	declared bool   // the slot's declaration was answered applied or duplicate
	done     bool
	tries    int // UploadFile calls
}

var (
	jpegOnce sync.Once
	jpegHead []byte
)

// jpegHeader is a complete 32×24 JPEG: what the server sniffs and decodes
// the header of. A photo is this, then filler.
func jpegHeader() []byte {
	jpegOnce.Do(func() {
		img := image.NewRGBA(image.Rect(0, 0, 32, 24))
		for x := range 32 {
			for y := range 24 {
				img.Set(x, y, color.RGBA{uint8(x * 8), uint8(y * 10), 128, 255})
			}
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
			panic(err)
		}
		jpegHead = b.Bytes()
	})
	return jpegHead
}

// photoBytes makes the bytes of a photo of size bytes from seed (the same
// every time).
func photoBytes(seed uint64, size int64) []byte {
	head := jpegHeader()
	b := make([]byte, max(size, int64(len(head))))
	copy(b, head)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24), byte(seed >> 32), byte(seed >> 40), byte(seed >> 48), byte(seed >> 56)})
	_, _ = r.Read(b[len(head):])
	return b
}

// newPhoto makes up a photo of this member: its seed, size and SHA-256.
func (in *inspector) newPhoto(t *simTask, slot string) (*phoneFile, string) {
	lo, hi := int64(len(jpegHeader())), in.sim.cfg.photoMax
	size := lo + 1
	if hi > lo {
		size = lo + 1 + in.rng.Int64N(hi-lo)
	}
	f := &phoneFile{task: t, slot: slot, size: size, seed: in.rng.Uint64()}
	sum := sha256.Sum256(photoBytes(f.seed, f.size))
	return f, hex.EncodeToString(sum[:])
}

// uploadStats count the evidence bytes over the run, for the report lines.
type uploadStats struct {
	files, bytes, calls, refused atomic.Int64
}

// uploadDeclared uploads the files whose slots the server holds; with
// all, it keeps at it (pausing as a phone does between syncs) until every
// file is in or the run ends. A file refused (4xx) is a problem: the bytes
// are the declared ones.
func (in *inspector) uploadDeclared(ctx context.Context, all bool) {
	for failures := 0; ; failures++ {
		left := 0
		for _, f := range in.files {
			if f.done || !f.declared {
				continue
			}
			if ctx.Err() != nil {
				return
			}
			f.tries++
			in.sim.uploads.calls.Add(1)
			err := in.client.UploadFile(ctx, f.task.id, f.slot, bytes.NewReader(photoBytes(f.seed, f.size)), f.size, &f.url, in.sim.cfg.uploadChunk)
			switch {
			case err == nil:
				f.done = true
				in.sim.uploads.files.Add(1)
				in.sim.uploads.bytes.Add(f.size)
			case retryable(err):
				left++ // the server busy or gone: next time, from where it stopped
				in.sim.logf("%s: upload of %s stopped (%v); resumed later", in.user, f.slot, err)
			default:
				f.done = true
				in.sim.uploads.refused.Add(1)
				in.problem("upload of %s on %s refused: %v", f.slot, f.task.id, err)
				f.task.fail("upload of %s by %s refused: %v", f.slot, in.user, err)
			}
		}
		if left == 0 || !all {
			return
		}
		if err := sleepCtx(ctx, syncPause(failures)); err != nil {
			return
		}
	}
}

// retryable says whether a failed upload is worth resuming later: the
// server was busy, unreachable or restarting, not refusing the file.
func retryable(err error) bool {
	switch backend.ErrorCode(err) {
	case backend.EUNAVAILABLE, backend.EINTERNAL, backend.ECONFLICT, backend.ETOOMANY, backend.ETIMEOUT, backend.EUNAUTHENTICATED:
		return true
	}
	return false
}

// filesLeft counts the declared files not uploaded yet.
func (in *inspector) filesLeft() (n int) {
	for _, f := range in.files {
		if !f.done {
			n++
		}
	}
	return n
}

func (f *phoneFile) String() string {
	return fmt.Sprintf("%s/%s (%d bytes)", f.task.id, f.slot, f.size)
}
