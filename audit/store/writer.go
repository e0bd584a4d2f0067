package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nmaudit/nmaudit/audit"
)

// Writer bounds, as a check gets them.
const (
	// DefaultMaxBatch verdicts go in one transaction: a commit costs about as much as tens of
	// inserts, so batches of hundreds make it vanish, while a kill loses at most one batch.
	DefaultMaxBatch = 512
	// DefaultMaxDelay is the longest a verdict waits for its commit, so a slow online run
	// (a verdict every few seconds) still keeps each one a moment after it is reached.
	DefaultMaxDelay = 250 * time.Millisecond
)

// WriterOptions bound a Writer's batches; the zero value takes the defaults.
type WriterOptions struct {
	MaxBatch int
	MaxDelay time.Duration
	// KeepFirst keeps a verdict already saved for an account instead of replacing it (a
	// distributed run's workers: one verdict per run and account, whatever River retries).
	KeepFirst bool
	// RetryFor is how long a batch that fails for a reason that can pass — the database server
	// restarting, a connection lost, a lock held — is tried again (backing off from 100ms to
	// 5s) before the Writer fails. 0 fails at the first error, as a local check wants: its
	// SQLite file does not come back by waiting.
	RetryFor time.Duration
}

// Writer keeps one run's verdicts as a check decides them. Save packs a verdict, hands it
// over and returns; a goroutine of the Writer's own commits them in batched transactions, each
// as soon as it holds MaxBatch verdicts or its oldest has waited MaxDelay, and whenever Flush
// or Close asks. So the check never waits on the disk — unless it decides faster than the
// disk keeps up, when Save blocks instead of queueing without bound — and a killed process
// loses at most the batch not yet committed.
//
// The first write that fails stops the Writer: the failed batch and everything after it are
// dropped, and Save, Flush and Close return that error, so the run fails and stays unfinished
// (resumable) instead of finishing with verdicts missing.
type Writer struct {
	s     *Store
	runID string
	opt   WriterOptions

	mu      sync.RWMutex // Save holds it to send; Close takes it to close in
	closing bool
	in      chan pending
	flush   chan chan struct{}
	done    chan struct{}

	err   atomic.Pointer[error]
	saved atomic.Int64
}

// errWriterClosed is what Save says after Close.
var errWriterClosed = errors.New("判定结果的写入已结束")

// NewWriter starts a Writer for the unfinished run runID.
func (s *Store) NewWriter(ctx context.Context, runID string, opt WriterOptions) (*Writer, error) {
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = DefaultMaxBatch
	}
	if opt.MaxDelay <= 0 {
		opt.MaxDelay = DefaultMaxDelay
	}
	if _, err := s.prepared(ctx); err != nil {
		return nil, s.fail(opSaveVerdict, err)
	}
	if _, err := unfinishedKey(s.queryRow(ctx, qRunKey, runID), runID); err != nil {
		return nil, s.fail(opSaveVerdict, err)
	}
	w := &Writer{s: s, runID: runID, opt: opt, in: make(chan pending, opt.MaxBatch),
		flush: make(chan chan struct{}), done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, s.fail(opSaveVerdict, errWriterClosed)
	}
	s.writers[w] = struct{}{}
	s.mu.Unlock()
	go w.loop()
	return w, nil
}

// Save hands over the verdict of the account at index in the run's scope, reached at
// decidedAt, packed for its columns on the caller's goroutine. It returns the Writer's
// failure, if a batch has failed, or why the verdict cannot be encoded (a time outside years
// 0–9999).
func (w *Writer) Save(index int, v audit.Verdict, decidedAt time.Time) error {
	p, err := newPending(index, &v, decidedAt, nil)
	if err != nil {
		return w.s.fail(opSaveVerdict, err)
	}
	return w.send(p)
}

// SaveWait is Save, returning only once the verdict's batch is committed (or has failed): a
// distributed run's job is complete only when its verdict is kept, so a worker killed after
// River marked it complete can never lose a verdict. Concurrent jobs still share batches.
// When ctx ends first, ctx's error is returned and the verdict may still be committed.
func (w *Writer) SaveWait(ctx context.Context, index int, v audit.Verdict, decidedAt time.Time) error {
	done := make(chan error, 1)
	p, err := newPending(index, &v, decidedAt, done)
	if err != nil {
		return w.s.fail(opSaveVerdict, err)
	}
	if err := w.send(p); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *Writer) send(p pending) error {
	if err := w.Err(); err != nil {
		return err
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closing {
		return w.s.fail(opSaveVerdict, errWriterClosed)
	}
	w.in <- p
	return nil
}

// Flush commits every verdict Save has handed over, and returns the Writer's failure.
func (w *Writer) Flush() error {
	reply := make(chan struct{})
	select {
	case w.flush <- reply:
		<-reply
	case <-w.done:
	}
	return w.Err()
}

// Close commits what is left and stops the Writer; it returns the Writer's failure. Close is
// safe to call more than once.
func (w *Writer) Close() error {
	w.mu.Lock()
	if !w.closing {
		w.closing = true
		close(w.in)
	}
	w.mu.Unlock()
	<-w.done
	w.s.mu.Lock()
	delete(w.s.writers, w)
	w.s.mu.Unlock()
	return w.Err()
}

// Err is the first failure, nil while every batch has been written.
func (w *Writer) Err() error {
	if p := w.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Saved is how many verdicts have been committed.
func (w *Writer) Saved() int { return int(w.saved.Load()) }

func (w *Writer) loop() {
	defer close(w.done)
	// Writes outlive an interrupted check: what was decided before Ctrl-C is kept. A context
	// without a Done channel also spares the driver a watcher goroutine per statement.
	ctx := context.Background()
	batch := make([]pending, 0, w.opt.MaxBatch)
	var buf encodeBuf
	var dones []chan error
	last := map[int]int{}
	timer := time.NewTimer(w.opt.MaxDelay)
	timer.Stop()
	var due <-chan time.Time
	commit := func() {
		timer.Stop()
		due = nil
		if len(batch) == 0 {
			return
		}
		dones = dones[:0]
		for _, p := range batch {
			if p.done != nil {
				dones = append(dones, p.done)
			}
		}
		if w.Err() == nil {
			batch = lastPerIndex(batch, last)
			if err := w.commitBatch(ctx, batch, &buf); err != nil {
				w.err.CompareAndSwap(nil, &err)
			} else {
				w.saved.Add(int64(len(batch)))
			}
		}
		err := w.Err()
		for _, d := range dones {
			d <- err
		}
		clear(batch[:cap(batch)]) // drop the verdicts: the batch's array is reused
		batch = batch[:0]
	}
	add := func(p pending) {
		batch = append(batch, p)
		if len(batch) == 1 {
			timer.Reset(w.opt.MaxDelay)
			due = timer.C
		}
		if len(batch) >= w.opt.MaxBatch {
			commit()
		}
	}
	for {
		select {
		case p, ok := <-w.in:
			if !ok {
				commit()
				return
			}
			add(p)
		case <-due:
			commit()
		case reply := <-w.flush:
			// Everything Save handed over before Flush was called is in the channel by now.
		drain:
			for {
				select {
				case p, ok := <-w.in:
					if !ok {
						break drain
					}
					add(p)
				default:
					break drain
				}
			}
			commit()
			close(reply)
		}
	}
}

// commitBatch writes one batch, trying again for RetryFor while its failure is one that can
// pass.
func (w *Writer) commitBatch(ctx context.Context, batch []pending, buf *encodeBuf) error {
	deadline := time.Now().Add(w.opt.RetryFor)
	wait := 100 * time.Millisecond
	for {
		err := w.s.saveBatch(ctx, w.runID, batch, buf, w.opt.KeepFirst)
		if err == nil || w.opt.RetryFor <= 0 || !Transient(err) || time.Now().Add(wait).After(deadline) {
			return err
		}
		time.Sleep(wait)
		wait = min(2*wait, 5*time.Second)
	}
}

// Transient reports whether a store failure can pass by waiting: the server unreachable or
// restarting, a connection lost, a lock held too long. A finished run, a damaged or full
// database, a missing one do not.
func Transient(err error) bool {
	if err == nil || errors.Is(err, ErrFinished) || errors.Is(err, ErrNotFound) {
		return false
	}
	var se *Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Kind {
	case KindConnect, KindLocked, KindIO:
		return true
	case KindOther:
		// A statement cut off by a restarting server reads as nothing more specific.
		return se.Server
	}
	return false
}

// lastPerIndex keeps, of verdicts saved twice for one account within a batch, the later one:
// one INSERT may not name a key twice on every engine. seen is scratch space.
func lastPerIndex(batch []pending, seen map[int]int) []pending {
	clear(seen)
	dup := false
	for i, p := range batch {
		if _, ok := seen[p.index]; ok {
			dup = true
		}
		seen[p.index] = i
	}
	if !dup {
		return batch
	}
	out := batch[:0]
	for i, p := range batch {
		if seen[p.index] == i {
			out = append(out, p)
		}
	}
	return out
}
