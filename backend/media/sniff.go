package media

import (
	"slices"
	"strings"

	"github.com/fieldcheck/fieldcheck/backend"
)

// SniffLen is how many leading bytes Sniff looks at; more are ignored.
const SniffLen = 512

// The media types Sniff recognises.
const (
	typeJPEG = "image/jpeg"
	typePNG  = "image/png"
	typeWebP = "image/webp"
	typeHEIC = "image/heic"
	typeMP4  = "video/mp4"
	typeMOV  = "video/quicktime"
	type3GPP = "video/3gpp"
	typeWebM = "video/webm"
	typeMP3  = "audio/mpeg"
	typeM4A  = "audio/mp4"
	typeAAC  = "audio/aac"
	typeAMR  = "audio/amr"
	typeWAV  = "audio/wav"
	typeOgg  = "audio/ogg"
	typePDF  = "application/pdf"
)

// signatures are the magic numbers at the start of a file. form, when set,
// must follow at offset 8: RIFF is a container for both WebP and WAVE.
var signatures = []struct {
	magic, form, typ string
}{
	{"\xFF\xD8\xFF", "", typeJPEG},
	{"\x89PNG\r\n\x1A\n", "", typePNG},
	{"RIFF", "WEBP", typeWebP},
	{"RIFF", "WAVE", typeWAV},
	// EBML: WebM and Matroska. Whether it holds video or only audio is
	// not in the first bytes, so it is video/webm, and audio allows it.
	{"\x1A\x45\xDF\xA3", "", typeWebM},
	{"ID3", "", typeMP3},
	{"\xFF\xFB", "", typeMP3}, // MPEG-1 layer III frame sync
	{"\xFF\xF3", "", typeMP3}, // MPEG-2 layer III
	{"\xFF\xF2", "", typeMP3}, // MPEG-2 layer III, with CRC
	{"\xFF\xF1", "", typeAAC}, // ADTS, MPEG-4
	{"\xFF\xF9", "", typeAAC}, // ADTS, MPEG-2
	{"#!AMR\n", "", typeAMR},
	{"OggS", "", typeOgg},
	{"%PDF-", "", typePDF},
}

// brands maps the major brand of an ISO base media file (the four bytes
// after "ftyp") to its media type. Only the major brand counts: compatible
// brands are shared across types (an AVIF lists mif1, an M4A lists isom).
var brands = map[string]string{
	"heic": typeHEIC, "heix": typeHEIC, "hevc": typeHEIC, "mif1": typeHEIC, "msf1": typeHEIC,
	"isom": typeMP4, "iso2": typeMP4, "iso3": typeMP4, "iso4": typeMP4, "iso5": typeMP4, "iso6": typeMP4,
	"mp41": typeMP4, "mp42": typeMP4, "avc1": typeMP4, "dash": typeMP4, "mmp4": typeMP4,
	"M4V ": typeMP4, "M4VH": typeMP4, "M4VP": typeMP4, "MSNV": typeMP4,
	"qt  ": typeMOV,
	"M4A ": typeM4A, "M4B ": typeM4A,
}

// Sniff returns the media type of a file from its first bytes (at most
// SniffLen of them are read), or "" when it is none of the types evidence
// may have.
func Sniff(head []byte) string {
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	if hasAt(head, 4, "ftyp") && len(head) >= 12 {
		brand := string(head[8:12])
		if strings.HasPrefix(brand, "3gp") { // 3gp4 … 3gp9
			return type3GPP
		}
		return brands[brand]
	}
	for _, s := range signatures {
		if hasAt(head, 0, s.magic) && (s.form == "" || hasAt(head, 8, s.form)) {
			return s.typ
		}
	}
	return ""
}

// hasAt reports whether b holds s at offset at.
func hasAt(b []byte, at int, s string) bool {
	return at >= 0 && len(b) >= at+len(s) && string(b[at:at+len(s)]) == s
}

// allowed lists, per evidence type, the media types accepted for it.
// Signatures are raster only: an SVG can carry scripts.
var allowed = map[backend.EvidenceType][]string{
	backend.EvidencePhoto:     {typeJPEG, typePNG, typeWebP, typeHEIC},
	backend.EvidenceSignature: {typePNG, typeJPEG},
	backend.EvidenceVideo:     {typeMP4, typeMOV, type3GPP, typeWebM},
	// Android's recorder writes M4A with the isom/mp42 brands, which sniff
	// as video/mp4 (the head cannot tell): audio takes those too.
	backend.EvidenceAudio:    {typeMP3, typeM4A, typeAAC, typeAMR, typeWAV, typeOgg, typeWebM, typeMP4},
	backend.EvidenceDocument: {typePDF, typeJPEG, typePNG}, // scans too
}

// Allowed reports whether a file of the given media type (as Sniff returns
// it) may be evidence of type t.
func Allowed(t backend.EvidenceType, contentType string) bool {
	return slices.Contains(allowed[t], contentType)
}

// AllowedTypes returns the media types accepted for evidence of type t, or
// nil for an unknown type.
func AllowedTypes(t backend.EvidenceType) []string {
	return slices.Clone(allowed[t])
}
