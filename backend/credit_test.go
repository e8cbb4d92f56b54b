package backend_test

import (
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

func TestValidPhone(t *testing.T) {
	for _, tt := range []struct {
		phone string
		want  bool
	}{
		{"13912345678", true}, {"19900001111", true}, {"0598-8123456", true}, {"01062345678", true}, {"010-62345678", true},
		{"12912345678", false}, {"1391234567", false}, {"139123456789", false}, {"1391234567a", false},
		{"010-12345678", false}, {"598-8123456", false}, {"", false}, {"+8613912345678", false}, {"139 1234 5678", false},
	} {
		if got := backend.ValidPhone(tt.phone); got != tt.want {
			t.Errorf("ValidPhone(%q) = %v, want %v", tt.phone, got, tt.want)
		}
	}
}

func TestAttachmentType(t *testing.T) {
	for _, tt := range []struct {
		name, head, want string
	}{
		{"PDF", "%PDF-1.7", "application/pdf"},
		{"JPEG", "\xff\xd8\xff\xe0", "image/jpeg"},
		{"PNG", "\x89PNG\r\n\x1a\n", "image/png"},
		{"ErrGIF", "GIF89a", ""},
		{"ErrExecutable", "MZ\x90\x00", ""},
		{"ErrHTML", "<html>", ""},
		{"ErrShortPDF", "%PDF", ""},
		{"ErrEmpty", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := backend.AttachmentType([]byte(tt.head)); got != tt.want {
				t.Fatalf("AttachmentType(%q) = %q, want %q", tt.head, got, tt.want)
			}
		})
	}
}

func TestAttachmentName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"营业执照.pdf", "营业执照.pdf"},
		{`C:\Users\a\照片.png`, "照片.png"},
		{"../../etc/passwd", "passwd"},
		{"a\x00b\nc.pdf", "abc.pdf"},
		{"", "附件"},
		{strings.Repeat("名", 300), strings.Repeat("名", 200)},
	} {
		if got := backend.AttachmentName(tt.in); got != tt.want {
			t.Errorf("AttachmentName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestListingClassAfter: listed is D; the removal gives the class before
// back unless the class was changed meanwhile.
func TestListingClassAfter(t *testing.T) {
	for _, tt := range []struct {
		name          string
		state         backend.ListingState
		previous, now backend.CreditClass
		want          backend.CreditClass
	}{
		{"Listed", backend.ListingListed, backend.CreditA, backend.CreditA, backend.CreditD},
		{"Removed", backend.ListingRemoved, backend.CreditB, backend.CreditD, backend.CreditB},
		{"RemovedChangedMeanwhile", backend.ListingRemoved, backend.CreditB, backend.CreditC, backend.CreditC},
		{"RemovedNoClassBefore", backend.ListingRemoved, "", backend.CreditD, backend.CreditD},
		{"Rejected", backend.ListingRejected, backend.CreditA, backend.CreditA, backend.CreditA},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := &backend.Listing{State: tt.state, PreviousClass: tt.previous}
			if got := l.ClassAfter(tt.now); got != tt.want {
				t.Fatalf("class %q, want %q", got, tt.want)
			}
		})
	}
}
