package media

import "encoding/binary"

// JPEG markers Orientation needs.
const (
	markerSOS  = 0xDA // start of scan: no metadata follows
	markerEOI  = 0xD9
	markerAPP1 = 0xE1
	markerTEM  = 0x01
	markerRST0 = 0xD0
	markerRST7 = 0xD7
	markerFill = 0xFF
)

// tagOrientation is the EXIF tag of the orientation, in IFD0.
const tagOrientation = 0x0112

// Orientation returns the EXIF orientation (1 to 8) of a JPEG from its
// first bytes: the value of tag 0x0112 in IFD0 of the first Exif APP1
// segment. It returns 1 (upright) when there is none or the bytes are
// malformed. head may stop anywhere, even inside the Exif segment: the
// bytes are the client's, so every read is bounds-checked and every loop
// advances.
func Orientation(head []byte) int {
	if !hasAt(head, 0, "\xFF\xD8") {
		return 1
	}
	for pos := 2; pos+4 <= len(head); {
		if head[pos] != 0xFF {
			return 1
		}
		switch m := head[pos+1]; {
		case m == markerFill:
			pos++
			continue
		case m == markerSOS || m == markerEOI:
			return 1
		case m == markerTEM || m >= markerRST0 && m <= markerRST7: // no length
			pos += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(head[pos+2:])) // counts itself, not the marker
		if n < 2 {
			return 1
		}
		seg := head[pos+4 : min(pos+2+n, len(head))]
		if head[pos+1] == markerAPP1 && hasAt(seg, 0, "Exif\x00\x00") {
			return tiffOrientation(seg[6:])
		}
		pos += 2 + n
	}
	return 1
}

// tiffOrientation returns the orientation in IFD0 of a TIFF structure, or
// 1. Offsets count from the start of the TIFF header.
func tiffOrientation(t []byte) int {
	var order binary.ByteOrder
	switch {
	case hasAt(t, 0, "II*\x00"):
		order = binary.LittleEndian
	case hasAt(t, 0, "MM\x00*"):
		order = binary.BigEndian
	default:
		return 1
	}
	if len(t) < 8 {
		return 1
	}
	ifd := uint64(order.Uint32(t[4:]))
	if ifd+2 > uint64(len(t)) {
		return 1
	}
	count := int(order.Uint16(t[ifd:]))
	entries := t[ifd+2:]
	for i := 0; i < count && 12*i+12 <= len(entries); i++ {
		e := entries[12*i : 12*i+12]
		if order.Uint16(e) != tagOrientation {
			continue
		}
		var v uint32
		switch typ, n := order.Uint16(e[2:]), order.Uint32(e[4:]); {
		case typ == 3 && n == 1: // SHORT, left-justified in the value field
			v = uint32(order.Uint16(e[8:]))
		case typ == 4 && n == 1: // LONG, written by a few tools
			v = order.Uint32(e[8:])
		}
		if v < 1 || v > 8 {
			return 1
		}
		return int(v)
	}
	return 1
}
