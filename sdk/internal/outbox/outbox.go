package outbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	header = "rastro-outbox 1 "
	suffix = ".batch"
)

// ErrCorrupt is returned by Read for a file that is not a batch.
var ErrCorrupt = errors.New("outbox: corrupt batch file")

// Entry describes one batch file.
type Entry struct {
	// Name is the file name within the directory.
	Name string
	// Events is the number of events in the batch.
	Events int
	// Bytes is the size of the file.
	Bytes int64
	// Created is when the batch was written.
	Created time.Time
}

// Outbox is a directory of batch files. It is safe for concurrent use.
type Outbox struct {
	dir string
	mu  sync.Mutex
	seq uint64
}

// Open opens (creating it if needed) the outbox in dir and returns the
// batches it holds, oldest first. Files it cannot parse are returned too,
// with Events set to -1, so that the caller can count and remove them.
func Open(dir string) (*Outbox, []Entry, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	o := &Outbox{dir: dir}
	var entries []Entry
	for _, de := range des {
		name := de.Name()
		switch {
		case strings.HasSuffix(name, ".tmp"):
			_ = os.Remove(filepath.Join(dir, name)) // an unfinished write: never acknowledged to anyone
		case strings.HasSuffix(name, suffix):
			e := Entry{Name: name, Events: -1}
			if fi, err := de.Info(); err == nil {
				e.Bytes = fi.Size()
			}
			if ns, seq, ok := parseName(name); ok {
				e.Created = time.Unix(0, ns)
				if seq >= o.seq {
					o.seq = seq + 1
				}
			}
			if n, err := readHeader(filepath.Join(dir, name)); err == nil {
				e.Events = n
			}
			entries = append(entries, e)
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return o, entries, nil
}

func parseName(name string) (ns int64, seq uint64, ok bool) {
	base := strings.TrimSuffix(name, suffix)
	a, b, found := strings.Cut(base, "-")
	if !found {
		return 0, 0, false
	}
	u, err1 := strconv.ParseUint(a, 16, 64)
	s, err2 := strconv.ParseUint(b, 16, 64)
	return int64(u), s, err1 == nil && err2 == nil
}

func readHeader(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var buf [64]byte
	n, _ := f.Read(buf[:])
	line, _, ok := bytes.Cut(buf[:n], []byte{'\n'})
	if !ok || !bytes.HasPrefix(line, []byte(header)) {
		return 0, ErrCorrupt
	}
	v, err := strconv.Atoi(string(line[len(header):]))
	if err != nil || v < 0 {
		return 0, ErrCorrupt
	}
	return v, nil
}

// Write stores a batch of events (a JSON array) durably and returns its entry.
func (o *Outbox) Write(events int, array []byte, now time.Time) (Entry, error) {
	o.mu.Lock()
	seq := o.seq
	o.seq++
	o.mu.Unlock()
	name := fmt.Sprintf("%016x-%08x%s", now.UnixNano(), seq, suffix)
	final := filepath.Join(o.dir, name)
	tmp := final + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return Entry{}, err
	}
	hdr := header + strconv.Itoa(events) + "\n"
	_, err = f.WriteString(hdr)
	if err == nil {
		_, err = f.Write(array)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err == nil {
		err = o.syncDir()
	}
	if err != nil {
		_ = os.Remove(tmp)
		return Entry{}, err
	}
	return Entry{Name: name, Events: events, Bytes: int64(len(hdr) + len(array)), Created: now}, nil
}

func (o *Outbox) syncDir() error {
	d, err := os.Open(o.dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Read returns the JSON array of events of e.
func (o *Outbox) Read(e Entry) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(o.dir, e.Name))
	if err != nil {
		return nil, err
	}
	line, rest, ok := bytes.Cut(data, []byte{'\n'})
	if !ok || !bytes.HasPrefix(line, []byte(header)) || len(rest) < 2 || rest[0] != '[' || rest[len(rest)-1] != ']' {
		return nil, ErrCorrupt
	}
	return rest, nil
}

// Remove deletes the file of e. A file already gone is not an error.
func (o *Outbox) Remove(e Entry) error {
	err := os.Remove(filepath.Join(o.dir, e.Name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
