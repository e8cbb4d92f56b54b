package media_test

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/media"
)

// ftyp returns the start of an ISO base media file with the major brand.
func ftyp(brand string) []byte {
	return []byte("\x00\x00\x00\x18ftyp" + brand + "\x00\x00\x00\x00isommp42")
}

// sniffCases are a head of every type Sniff knows, and heads it must not
// recognise.
func sniffCases(tb testing.TB) []struct {
	name string
	head []byte
	want string
} {
	img := markerImage(40, 20)
	return []struct {
		name string
		head []byte
		want string
	}{
		{"JPEG", MustJPEG(tb, img), "image/jpeg"},
		{"JPEGExif", exifJPEG(tb, img, binary.LittleEndian, 6), "image/jpeg"},
		{"PNG", MustPNG(tb, img), "image/png"},
		{"WebP", MustReadFile(tb, "lossy.webp"), "image/webp"},
		{"HEIC", ftyp("heic"), "image/heic"},
		{"HEIF", ftyp("mif1"), "image/heic"},
		{"MP4", ftyp("isom"), "video/mp4"},
		{"MP4/mp42", ftyp("mp42"), "video/mp4"},
		{"MP4/M4V", ftyp("M4V "), "video/mp4"},
		{"QuickTime", ftyp("qt  "), "video/quicktime"},
		{"3GPP", ftyp("3gp4"), "video/3gpp"},
		{"WebM", []byte("\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\xF7\x81\x01webm"), "video/webm"},
		{"MP3/ID3", []byte("ID3\x04\x00\x00\x00\x00\x00\x00"), "audio/mpeg"},
		{"MP3/MPEG1", []byte("\xFF\xFB\x90\x64\x00"), "audio/mpeg"},
		{"MP3/MPEG2", []byte("\xFF\xF3\x90\x64\x00"), "audio/mpeg"},
		{"MP3/CRC", []byte("\xFF\xF2\x90\x64\x00"), "audio/mpeg"},
		{"M4A", ftyp("M4A "), "audio/mp4"},
		{"AAC/MPEG4", []byte("\xFF\xF1\x50\x80\x02\x1F\xFC"), "audio/aac"},
		{"AAC/MPEG2", []byte("\xFF\xF9\x50\x80\x02\x1F\xFC"), "audio/aac"},
		{"AMR", []byte("#!AMR\n\x3C"), "audio/amr"},
		{"WAV", []byte("RIFF\x24\x08\x00\x00WAVEfmt "), "audio/wav"},
		{"Ogg", []byte("OggS\x00\x02\x00\x00"), "audio/ogg"},
		{"PDF", []byte("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n"), "application/pdf"},
		{"Unknown/Empty", nil, ""},
		{"Unknown/Short", []byte{0xFF}, ""},
		{"Unknown/ShortJPEG", []byte{0xFF, 0xD8}, ""},
		{"Unknown/ShortFtyp", []byte("\x00\x00\x00\x18ftyphei"), ""},
		{"Unknown/AVIF", ftyp("avif"), ""},
		{"Unknown/RIFFAVI", []byte("RIFF\x00\x00\x00\x00AVI LIST"), ""},
		{"Unknown/GIF", []byte("GIF89a\x01\x00\x01\x00"), ""},
		{"Unknown/SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), ""},
		{"Unknown/HTML", []byte("<!DOCTYPE html><html>"), ""},
		{"Unknown/ZIP", []byte("PK\x03\x04\x14\x00"), ""},
		{"Unknown/PDFLate", append(bytes.Repeat([]byte{' '}, 10), "%PDF-1.7"...), ""},
		{"Unknown/Garbage", bytes.Repeat([]byte{0xA5, 0x5A}, 300), ""},
	}
}

func TestSniff(t *testing.T) {
	for _, tt := range sniffCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			if got := media.Sniff(tt.head); got != tt.want {
				t.Fatalf("Sniff=%q, want %q", got, tt.want)
			}
		})
	}
}

// TestSniffReadsOnlySniffLen puts a signature past SniffLen.
func TestSniffReadsOnlySniffLen(t *testing.T) {
	head := append(make([]byte, media.SniffLen), "%PDF-1.7"...)
	if got := media.Sniff(head); got != "" {
		t.Fatalf("Sniff=%q, want \"\"", got)
	}
}

func TestAllowed(t *testing.T) {
	tests := []struct {
		name        string
		evidence    backend.EvidenceType
		contentType string
		want        bool
	}{
		{"OK/PhotoJPEG", backend.EvidencePhoto, "image/jpeg", true},
		{"OK/PhotoPNG", backend.EvidencePhoto, "image/png", true},
		{"OK/PhotoWebP", backend.EvidencePhoto, "image/webp", true},
		{"OK/PhotoHEIC", backend.EvidencePhoto, "image/heic", true},
		{"OK/SignaturePNG", backend.EvidenceSignature, "image/png", true},
		{"OK/SignatureJPEG", backend.EvidenceSignature, "image/jpeg", true},
		{"OK/VideoMP4", backend.EvidenceVideo, "video/mp4", true},
		{"OK/VideoQuickTime", backend.EvidenceVideo, "video/quicktime", true},
		{"OK/Video3GPP", backend.EvidenceVideo, "video/3gpp", true},
		{"OK/VideoWebM", backend.EvidenceVideo, "video/webm", true},
		{"OK/AudioMPEG", backend.EvidenceAudio, "audio/mpeg", true},
		{"OK/AudioMP4", backend.EvidenceAudio, "audio/mp4", true},
		{"OK/AudioAAC", backend.EvidenceAudio, "audio/aac", true},
		{"OK/AudioAMR", backend.EvidenceAudio, "audio/amr", true},
		{"OK/AudioWAV", backend.EvidenceAudio, "audio/wav", true},
		{"OK/AudioOgg", backend.EvidenceAudio, "audio/ogg", true},
		{"OK/AudioWebM", backend.EvidenceAudio, "video/webm", true},
		{"OK/DocumentPDF", backend.EvidenceDocument, "application/pdf", true},
		{"OK/DocumentJPEG", backend.EvidenceDocument, "image/jpeg", true},
		{"OK/DocumentPNG", backend.EvidenceDocument, "image/png", true},
		{"ErrSignatureSVG", backend.EvidenceSignature, "image/svg+xml", false},
		{"ErrSignatureWebP", backend.EvidenceSignature, "image/webp", false},
		{"ErrSignatureHEIC", backend.EvidenceSignature, "image/heic", false},
		{"ErrPhotoSVG", backend.EvidencePhoto, "image/svg+xml", false},
		{"ErrPhotoPDF", backend.EvidencePhoto, "application/pdf", false},
		{"ErrVideoJPEG", backend.EvidenceVideo, "image/jpeg", false},
		{"ErrVideoAudioMP4", backend.EvidenceVideo, "audio/mp4", false},
		{"OK/AudioAsMP4", backend.EvidenceAudio, "video/mp4", true}, // Android's M4A brands
		{"ErrDocumentHTML", backend.EvidenceDocument, "text/html", false},
		{"ErrDocumentWebP", backend.EvidenceDocument, "image/webp", false},
		{"ErrUnsniffed", backend.EvidencePhoto, "", false},
		{"ErrCase", backend.EvidencePhoto, "IMAGE/JPEG", false},
		{"ErrUnknownEvidence", backend.EvidenceType("sketch"), "image/png", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := media.Allowed(tt.evidence, tt.contentType); got != tt.want {
				t.Fatalf("Allowed(%q, %q)=%v, want %v", tt.evidence, tt.contentType, got, tt.want)
			}
		})
	}
}

// TestAllowedTypes checks that every sniffed type is allowed for some
// evidence, that AllowedTypes agrees with Allowed, and that its result is
// the caller's to change.
func TestAllowedTypes(t *testing.T) {
	var all []string
	for _, e := range evidenceTypes {
		types := media.AllowedTypes(e)
		if len(types) == 0 {
			t.Fatalf("AllowedTypes(%q) is empty", e)
		}
		for _, ct := range types {
			if !media.Allowed(e, ct) {
				t.Fatalf("Allowed(%q, %q)=false, but AllowedTypes lists it", e, ct)
			}
		}
		types[0] = "image/svg+xml"
		if media.Allowed(e, "image/svg+xml") {
			t.Fatalf("changing the result of AllowedTypes(%q) changed Allowed", e)
		}
		all = append(all, media.AllowedTypes(e)...)
	}
	for _, tt := range sniffCases(t) {
		if tt.want != "" && !slices.Contains(all, tt.want) {
			t.Fatalf("Sniff recognises %q, which no evidence allows", tt.want)
		}
	}
	if got := media.AllowedTypes("sketch"); got != nil {
		t.Fatalf("AllowedTypes(sketch)=%q, want nil", got)
	}
}

func BenchmarkSniff(b *testing.B) {
	cases := sniffCases(b)
	for b.Loop() {
		for _, c := range cases {
			media.Sniff(c.head)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cases)), "ns/file")
}
