package media_test

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend/media"
)

func TestOrientation(t *testing.T) {
	jpg := MustJPEG(t, markerImage(40, 20))
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for o := 1; o <= 8; o++ {
			t.Run(fmt.Sprintf("OK/%v/%d", order, o), func(t *testing.T) {
				if got := media.Orientation(afterSOI(jpg, exifSegment(order, uint16(o)))); got != o {
					t.Fatalf("Orientation=%d, want %d", got, o)
				}
			})
		}
	}

	exif6 := exifSegment(binary.BigEndian, 6)
	withExif6 := afterSOI(jpg, exif6)
	patched := func(seg []byte, at int, b ...byte) []byte {
		seg = append([]byte{}, seg...)
		copy(seg[at:], b)
		return afterSOI(jpg, seg)
	}
	const tiff = 4 + 6 // offset of the TIFF header in the segment
	tests := []struct {
		name string
		head []byte
		want int
	}{
		{"OK/AfterXMP", afterSOI(jpg, xmpSegment(), exif6), 6},
		{"OK/AfterFillBytes", afterSOI(jpg, []byte{0xFF, 0xFF}, exif6), 6},
		{"OK/HeadEndsAfterTag", withExif6[:2+tiff+8+2+2*12], 6},
		{"OK/LongType", patched(exif6, tiff+22+2, 0, 4, 0, 0, 0, 1, 0, 0, 0, 6), 6},
		{"OK/FirstExifWins", afterSOI(jpg, exifSegment(binary.LittleEndian, 3), exif6), 3},
		{"Absent", jpg, 1},
		{"AbsentXMPOnly", afterSOI(jpg, xmpSegment()), 1},
		{"AfterScan", append(append([]byte{}, jpg[:len(jpg)-2]...), exif6...), 1},
		{"ZeroValue", patched(exif6, tiff+22+8, 0, 0), 1},
		{"ValueNine", patched(exif6, tiff+22+8, 0, 9), 1},
		{"WrongType", patched(exif6, tiff+22+2, 0, 9), 1},
		{"CountTwo", patched(exif6, tiff+22+4, 0, 0, 0, 2), 1},
		{"BadByteOrder", patched(exif6, tiff, 'M', 'I'), 1},
		{"IFDOutside", patched(exif6, tiff+4, 0xFF, 0xFF, 0xFF, 0xF0), 1},
		{"IFDAtEnd", patched(exif6, tiff+4, 0, 0, 0, 38), 1},
		{"EntryCountTooLarge", patched(exif6, tiff+8, 0xFF, 0xFF), 6},
		{"EntryCountZero", patched(exif6, tiff+8, 0, 0), 1},
		{"HeadEndsInTag", withExif6[:2+tiff+8+2+2*12-1], 1},
		{"HeadEndsInHeader", withExif6[:2+tiff+3], 1},
		{"SegmentLengthOne", afterSOI(jpg, []byte{0xFF, 0xE1, 0x00, 0x01}), 1},
		{"NoMarker", afterSOI(jpg, []byte{0x00}, exif6), 1},
		{"NotJPEG", MustPNG(t, markerImage(4, 4)), 1},
		{"Empty", nil, 1},
		{"SOIOnly", []byte{0xFF, 0xD8}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := media.Orientation(tt.head); got != tt.want {
				t.Fatalf("Orientation=%d, want %d", got, tt.want)
			}
		})
	}
}
