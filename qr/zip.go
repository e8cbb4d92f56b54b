package qr

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"iter"
	"runtime"
	"sync"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
)

// ZIPOptions shape a batch ZIP.
type ZIPOptions struct {
	Size     int       // PNG width and height in pixels; 0 means DefaultSize
	Modified time.Time // modification time of every entry; zero leaves it unset
}

// WriteZIP streams a ZIP of enterprise codes to w, one PNG per code named
// <USCC>.png, in the order codes yields them. The PNGs are rendered by
// GOMAXPROCS workers and written as they are ready, with no more than a few
// per worker in flight, so memory stays flat however many codes there are
// (only the ZIP central directory, about 100 bytes an entry, grows). PNGs
// are already compressed: entries are stored, with sizes and CRC in the
// local header (no data descriptors, which some readers mishandle for
// stored entries). Names are not checked for duplicates: yield each USCC
// once. On any error the archive is left incomplete and the error returned.
func WriteZIP(w io.Writer, codes iter.Seq2[*EnterpriseCode, error], opt ZIPOptions) error {
	const op = "qr.WriteZIP"
	size := opt.Size
	if size == 0 {
		size = DefaultSize
	}
	if err := checkSize(op, size); err != nil {
		return err
	}
	type item struct {
		name    string
		content string
		png     *bytes.Buffer
		err     error
		done    chan struct{}
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	todo := make(chan *item, workers)    // to the renderers
	ready := make(chan *item, 2*workers) // to the writer, in input order; bounds memory
	stop := make(chan struct{})          // closed by the writer when it fails
	buffers := sync.Pool{New: func() any { return new(bytes.Buffer) }}

	var renderersDone sync.WaitGroup
	for range workers {
		renderersDone.Go(func() {
			r := newPNGRenderer()
			for it := range todo {
				s, err := encodeBatch(op, it.content, enterpriseLevel)
				if err == nil {
					err = r.render(it.png, s, size)
				}
				it.err = err
				close(it.done)
			}
		})
	}
	zw := zip.NewWriter(w)
	written := make(chan error, 1)
	go func() {
		var err error
		for it := range ready {
			<-it.done
			if err == nil {
				if err = it.err; err == nil {
					err = writeStored(zw, it.name, it.png.Bytes(), opt.Modified)
				}
				if err != nil {
					close(stop)
				}
			}
			it.png.Reset()
			buffers.Put(it.png)
		}
		written <- err
	}()

	var inputErr error
feed:
	for c, err := range codes {
		if err == nil && (c == nil || c.Base == "") {
			err = backend.Errorf(backend.EINVALID, "an enterprise code without a base URL cannot be rendered")
		}
		if err != nil {
			inputErr = err
			break
		}
		it := &item{name: c.USCC + ".png", content: c.String(), png: buffers.Get().(*bytes.Buffer), done: make(chan struct{})}
		select {
		case ready <- it:
		case <-stop:
			buffers.Put(it.png)
			break feed
		}
		todo <- it
	}
	close(todo)
	close(ready)
	renderersDone.Wait()
	writeErr := <-written
	switch {
	case inputErr != nil:
		return &backend.Error{Op: op, Err: inputErr}
	case writeErr != nil:
		return &backend.Error{Op: op, Err: writeErr}
	}
	if err := zw.Close(); err != nil {
		return &backend.Error{Op: op, Err: err}
	}
	return nil
}

// writeStored adds a stored entry whose size and CRC are known up front.
func writeStored(zw *zip.Writer, name string, data []byte, modified time.Time) error {
	fh := &zip.FileHeader{
		Name:               name,
		Method:             zip.Store,
		CRC32:              crc32.ChecksumIEEE(data),
		CompressedSize64:   uint64(len(data)),
		UncompressedSize64: uint64(len(data)),
	}
	fh.SetMode(0o644)
	fh.ReaderVersion = 20
	if !modified.IsZero() {
		// CreateRaw, unlike CreateHeader, takes the header as given: set the
		// MS-DOS time and the Info-ZIP extended timestamp ourselves.
		fh.Modified = modified
		fh.ModifiedDate = uint16(modified.Day() + int(modified.Month())<<5 + (modified.Year()-1980)<<9)
		fh.ModifiedTime = uint16(modified.Second()/2 + modified.Minute()<<5 + modified.Hour()<<11)
		var ext [9]byte
		binary.LittleEndian.PutUint16(ext[0:], 0x5455) // extended timestamp
		binary.LittleEndian.PutUint16(ext[2:], 5)
		ext[4] = 1 // modification time present
		binary.LittleEndian.PutUint32(ext[5:], uint32(modified.Unix()))
		fh.Extra = ext[:]
	}
	fw, err := zw.CreateRaw(fh)
	if err != nil {
		return err
	}
	_, err = fw.Write(data)
	return err
}
