package sheet

import "io"

// prefetchReader runs a reader in its own goroutine a few blocks ahead of its consumer. The
// worksheet part is inflated this way while the previous blocks are scanned: on two cores the
// two halves of an import (inflate, scan) overlap instead of adding up. Errors arrive in order,
// after the data read before them.
type prefetchReader struct {
	full chan block
	free chan []byte
	done chan struct{}
	cur  []byte // unread part of the current block
	buf  []byte // the current block, to hand back
	err  error
}

type block struct {
	b   []byte
	err error
}

const (
	prefetchBlock = 256 << 10
	prefetchDepth = 4
)

func newPrefetchReader(r io.Reader) *prefetchReader {
	p := &prefetchReader{full: make(chan block, prefetchDepth), free: make(chan []byte, prefetchDepth+1),
		done: make(chan struct{})}
	for range prefetchDepth + 1 {
		p.free <- make([]byte, prefetchBlock)
	}
	go p.run(r)
	return p
}

func (p *prefetchReader) run(r io.Reader) {
	defer close(p.full)
	for {
		var buf []byte
		select {
		case buf = <-p.free:
		case <-p.done:
			return
		}
		n := 0
		var err error
		for n < len(buf) && err == nil {
			var k int
			k, err = r.Read(buf[n:])
			n += k
		}
		if n > 0 {
			p.full <- block{b: buf[:n]}
		}
		if err != nil {
			p.full <- block{err: err}
			return
		}
	}
}

func (p *prefetchReader) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.err != nil {
			return 0, p.err
		}
		if p.buf != nil {
			p.free <- p.buf[:cap(p.buf)]
			p.buf = nil
		}
		blk, ok := <-p.full
		switch {
		case !ok:
			p.err = io.ErrClosedPipe
		case blk.err != nil:
			p.err = blk.err
		default:
			p.cur, p.buf = blk.b, blk.b
		}
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// stop ends the goroutine and waits for it, so that the reader underneath can be closed.
func (p *prefetchReader) stop() {
	select {
	case <-p.done:
	default:
		close(p.done)
	}
	for range p.full {
	}
}
