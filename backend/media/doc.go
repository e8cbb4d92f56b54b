// Package media decides what an uploaded evidence file is and makes the
// small JPEG derivatives (thumbnails and previews) that the web UI shows.
//
// The type of a file is sniffed from its first bytes against a fixed list
// of magic numbers. The Content-Type a phone sends, and the file name, are
// whatever the client chose: trusting them would let a script pass as a
// photo or a signature, and a browser that later sniffs the bytes itself
// could run it. The list is explicit rather than http.DetectContentType's
// because that function knows neither HEIC, 3GPP, AMR nor AAC, and its
// answers include text types (text/html among them) that no evidence is.
//
// An image's header is checked before any decoder allocates its pixels. A
// PNG of a few hundred bytes can declare 100000×100000 RGBA pixels, which a
// decoder would try to allocate as 40 GB: CheckImage reads the declared
// dimensions and refuses anything over the Limits, so that decoding (in
// Derive) only ever happens to images whose memory is bounded. For WebP both
// the extended (VP8X) canvas and the frame's own header are checked, because
// the decoder trusts the frame and the frame can disagree with the canvas.
//
// Derivatives are re-encoded from pixels, so they carry no metadata: the
// EXIF block of a photo (with its GPS position and the phone's serial
// number) stays in the original evidence, which only authorised users read.
// The EXIF orientation is applied to the pixels first, because the
// derivative no longer has a tag that would tell a viewer to rotate it.
package media
