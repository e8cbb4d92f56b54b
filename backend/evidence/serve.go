package evidence

import (
	"bytes"
	"context"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/media"
)

// File is evidence to send: the bytes, and what to call them.
type File struct {
	backend.Blob
	SHA256      string
	ContentType string
}

// slot finds an arrived evidence file the caller may see. Anyone else is
// told it does not exist, so that ids cannot be probed.
func (s *Service) slot(ctx context.Context, taskID, slotID string) (*backend.EvidenceSlot, error) {
	a := backend.ActorFrom(ctx)
	if a == nil {
		return nil, backend.Errorf(backend.EUNAUTHENTICATED, "login required")
	}
	t, err := s.Tasks.FindTaskByID(ctx, taskID)
	if err != nil || !t.EvidenceVisibleTo(a) {
		return nil, backend.Errorf(backend.ENOTFOUND, "task %q not found", taskID)
	}
	e, ok := t.FindEvidence(slotID)
	if !ok || !t.EvidencePartVisible(a, e) {
		return nil, backend.Errorf(backend.ENOTFOUND, "task %s has no evidence %q", taskID, slotID)
	}
	if !e.Uploaded {
		return nil, backend.Errorf(backend.ENOTFOUND, "evidence %q has been declared but its bytes have not arrived", slotID)
	}
	return e, nil
}

// Open returns an evidence file as it was uploaded, byte for byte.
func (s *Service) Open(ctx context.Context, taskID, slotID string) (*File, error) {
	e, err := s.slot(ctx, taskID, slotID)
	if err != nil {
		return nil, err
	}
	b, err := s.Store.Open(ctx, e.SHA256)
	if err != nil {
		return nil, err
	}
	return &File{Blob: b, SHA256: e.SHA256, ContentType: e.Received.ContentType}, nil
}

// Derivative kinds.
const (
	Thumbnail = "thumbnail"
	Preview   = "preview"
)

var sides = map[string]int{Thumbnail: media.ThumbnailSide, Preview: media.PreviewSide}

// OpenDerived returns an image evidence file re-encoded as a JPEG of the
// kind's size, turned upright and without metadata (no EXIF, no GPS). A
// derivative is made once and kept as a blob of its own.
func (s *Service) OpenDerived(ctx context.Context, taskID, slotID, kind string) (*File, error) {
	s.init()
	side, ok := sides[kind]
	if !ok {
		return nil, backend.Errorf(backend.ENOTFOUND, "no derivative %q: thumbnail or preview", kind)
	}
	e, err := s.slot(ctx, taskID, slotID)
	if err != nil {
		return nil, err
	}
	if !HasPreview(e) {
		return nil, backend.Errorf(backend.ENOTFOUND, "evidence %q (%s) has no image preview", slotID, e.Received.ContentType)
	}
	key := e.SHA256 + "/" + kind
	sha, err := s.Derivatives.FindDerivative(ctx, key)
	if backend.IsCode(err, backend.ENOTFOUND) {
		sha, err = s.makeDerivative(ctx, e, key, side)
	}
	if err != nil {
		return nil, err
	}
	b, err := s.Store.Open(ctx, sha)
	if err != nil {
		return nil, err
	}
	return &File{Blob: b, SHA256: sha, ContentType: "image/jpeg"}, nil
}

// makeDerivative makes the derivative key once in this process however
// many ask at once (a review page and the thumbnail made after its upload);
// another instance making it too stores the same bytes under the same key.
func (s *Service) makeDerivative(ctx context.Context, e *backend.EvidenceSlot, key string, side int) (string, error) {
	ch := s.making.DoChan(key, func() (any, error) {
		return s.deriveOnce(context.WithoutCancel(ctx), e, key, side)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (s *Service) deriveOnce(ctx context.Context, e *backend.EvidenceSlot, key string, side int) (string, error) {
	select {
	case s.derive <- struct{}{}:
		defer func() { <-s.derive }()
	case <-ctx.Done():
		return "", ctx.Err()
	}
	if sha, err := s.Derivatives.FindDerivative(ctx, key); err == nil {
		return sha, nil // made while this request waited
	}
	src, err := s.Store.Open(ctx, e.SHA256)
	if err != nil {
		return "", err
	}
	defer src.Close()
	img, err := media.Derive(src, e.Received.ContentType, side, deriveLimits(s.Images))
	if err != nil {
		return "", err
	}
	sha, _, err := s.Store.Put(ctx, bytes.NewReader(img), "")
	if err != nil {
		return "", err
	}
	if err := s.Derivatives.SaveDerivative(ctx, key, sha); err != nil {
		if kept, err2 := s.Derivatives.FindDerivative(ctx, key); err2 == nil {
			return kept, nil // saved at the same moment by another instance
		}
		return "", err
	}
	return sha, nil
}

// MaxDerivePixels bounds the images decoded for derivatives: a decode
// takes ~12 bytes a pixel (a 64-megapixel JPEG ~770 MB), and two run at
// once. Larger photos are kept and served, without a preview.
const MaxDerivePixels = 64_000_000

func deriveLimits(l media.Limits) media.Limits {
	l.MaxPixels = min(l.MaxPixels, MaxDerivePixels)
	return l
}

// prepare makes the thumbnail of an image whose bytes were just stored,
// in the background, so that the first review of the task shows it
// without waiting for a decode (the review page's gallery asks for 20 at
// once). The decode waits for the same two slots as those made on
// request, and a thumbnail made meanwhile, here or by another instance,
// is not made again: the kept one is looked up first. The preview (the
// full-size view) is still made when first asked for. A failure is only
// reported (Prepared): OpenDerived makes the thumbnail when asked.
func (s *Service) prepare(e backend.EvidenceSlot) {
	if !HasPreview(&e) {
		return
	}
	s.init()
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return
	}
	s.preparing.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.preparing.Done()
		key := e.SHA256 + "/" + Thumbnail
		_, err := s.Derivatives.FindDerivative(s.background, key)
		if backend.IsCode(err, backend.ENOTFOUND) {
			// Waited for whoever started it, so that Stop returns only
			// once what it started has ended (its store calls fail at once
			// after Stop).
			r := <-s.making.DoChan(key, func() (any, error) {
				return s.deriveOnce(s.background, &e, key, media.ThumbnailSide)
			})
			err = r.Err
		}
		if s.Prepared != nil {
			s.Prepared(e.SHA256, err)
		}
	}()
}
