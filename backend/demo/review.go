package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"

	"github.com/fieldcheck/fieldcheck/backend"
)

// ReviewQueue is how many photos each task the demo submits for review
// carries: a reviewer opening the console on first start finds these in
// the queue, oldest first, with their photos uploaded.
var ReviewQueue = []int{6, 3, 8, 2, 4}

// Photo is a made-up site photo of a phone's size (1280×960 JPEG, about
// 40 KB), different for each i: a colour gradient with a dark band whose
// place tells the photos apart at a glance in a gallery.
func Photo(i int) []byte {
	const w, h = 1280, 960
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	band := (i * 150) % (w - 300)
	for y := range h {
		for x := range w {
			c := color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8(37 * i), 255}
			if y >= h/3 && y < h/3+120 && x >= band && x < band+300 {
				c = color.RGBA{20, 30, 40, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		panic(err) // encoding to memory fails only on a bad image, and this one is made here
	}
	return b.Bytes()
}

// SubmitWithPhotos works t as its team's phones do (Submit) with n photos
// — the first ones for the questions that require one — and uploads their
// bytes from the first officer's phone through s.Upload.
func (s *Scale) SubmitWithPhotos(ctx context.Context, t *backend.Task, n int) error {
	if s.Upload == nil {
		return fmt.Errorf("demo: no upload for the photos of %s", t.ID)
	}
	var required []string
	for _, sec := range t.Form.Sections {
		for _, q := range sec.Questions {
			if q.PhotoRequired {
				required = append(required, backend.AnswerKey(sec.ItemCode, q.ID))
			}
		}
	}
	files := make([]backend.EvidenceInput, n)
	data := make([][]byte, n)
	now := s.Now()
	for i := range files {
		data[i] = Photo(i)
		sum := sha256.Sum256(data[i])
		files[i] = backend.EvidenceInput{
			ID: fmt.Sprintf("photo-%d", i+1), Type: backend.EvidencePhoto, SHA256: hex.EncodeToString(sum[:]),
			Size: int64(len(data[i])), ContentType: "image/jpeg", Caption: fmt.Sprintf("现场照片 %d", i+1), CapturedAt: now,
		}
		if i < len(required) {
			files[i].Question = required[i]
		}
	}
	if err := s.Submit(ctx, t, files); err != nil {
		return err
	}
	for i, f := range files {
		if err := s.Upload(phone(ctx, t.TeamUsers[0]), t.ID, f.ID, data[i]); err != nil {
			return fmt.Errorf("upload %s of %s: %w", f.ID, t.ID, err)
		}
	}
	return nil
}

// SeedReviewQueue submits one task per entry of photos, in order (the
// first is the oldest submission), among tasks whose team has phones,
// and returns them: fewer than photos asks for when a small county's
// draw has fewer such tasks.
func (s *Scale) SeedReviewQueue(ctx context.Context, tasks []*backend.Task, photos []int) ([]*backend.Task, error) {
	var out []*backend.Task
	for _, t := range tasks {
		if len(out) == len(photos) {
			break
		}
		if t.Unassigned || len(t.TeamUsers) < backend.MinOfficers || len(t.TeamUsers) != len(t.Team) {
			continue
		}
		if err := s.SubmitWithPhotos(ctx, t, photos[len(out)]); err != nil {
			return out, err
		}
		out = append(out, t)
	}
	return out, nil
}
