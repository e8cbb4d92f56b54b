package browsertest

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"io"
)

// WriteY4M writes a one-frame YUV4MPEG2 video (4:2:0) of img centred on a
// white width×height frame: Chromium's fake camera plays it in a loop
// (--use-file-for-fake-video-capture), as a phone held over a printed
// code.
func WriteY4M(w io.Writer, img image.Image, width, height int) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420\nFRAME\n", width, height)
	b := img.Bounds()
	ox, oy := (width-b.Dx())/2, (height-b.Dy())/2
	at := func(x, y int) color.Color {
		if x < ox || y < oy || x >= ox+b.Dx() || y >= oy+b.Dy() {
			return color.White
		}
		return img.At(b.Min.X+x-ox, b.Min.Y+y-oy)
	}
	ys := make([]byte, 0, width*height)
	us := make([]byte, 0, width*height/4)
	vs := make([]byte, 0, width*height/4)
	for y := range height {
		for x := range width {
			r, g, bl, _ := at(x, y).RGBA()
			yy, _, _ := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			ys = append(ys, yy)
		}
	}
	for y := 0; y < height; y += 2 {
		for x := 0; x < width; x += 2 {
			r, g, bl, _ := at(x, y).RGBA()
			_, cb, cr := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			us = append(us, cb)
			vs = append(vs, cr)
		}
	}
	for _, plane := range [][]byte{ys, us, vs} {
		if _, err := bw.Write(plane); err != nil {
			return err
		}
	}
	return bw.Flush()
}
