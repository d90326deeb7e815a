package wire

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxLine is the longest line the readers accept. A longer line is an
// error rather than unbounded memory.
const MaxLine = 4 << 20

// ErrLineTooLong is returned when a line exceeds MaxLine.
var ErrLineTooLong = errors.New("wire: line too long")

// Event is one server-sent event.
type Event struct {
	// Type is the event field; empty for the default "message" type.
	Type string
	// Data is the data fields joined by newlines.
	Data []byte
	// ID is the last id field seen in the event.
	ID string
}

// SSEReader reads server-sent events as the HTML living standard defines
// them: fields "event", "data", "id" and "retry" (ignored), comments
// starting with ':', CR, LF or CRLF line ends, an optional BOM, and an
// event dispatched at each blank line. An event still being built when the
// input ends is returned too, as lenient servers omit the last blank line.
// It is not safe for concurrent use.
type SSEReader struct {
	r       *bufio.Reader
	first   bool
	lastCR  bool
	queue   [][]byte
	partial []byte
	err     error
}

// NewSSEReader returns a reader of the events in r.
func NewSSEReader(r io.Reader) *SSEReader {
	return &SSEReader{r: bufio.NewReaderSize(r, 64<<10), first: true}
}

// Next returns the next event. It returns io.EOF when the input ends with no
// further event, and any read error as it is.
func (s *SSEReader) Next() (Event, error) {
	var ev Event
	var data bytes.Buffer
	hasData, hasField := false, false
	for {
		line, err := s.line()
		if err != nil {
			if err == io.EOF && (hasData || hasField) {
				if !hasData {
					// An event with no data field is not dispatched.
					return Event{}, io.EOF
				}
				ev.Data = data.Bytes()
				return ev, nil
			}
			return Event{}, err
		}
		if len(line) == 0 {
			if hasData {
				ev.Data = data.Bytes()
				return ev, nil
			}
			// A blank line with no data resets the event.
			ev, hasField = Event{}, false
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "event":
			ev.Type = string(value)
			hasField = true
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			data.Write(value)
			hasData = true
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				ev.ID = string(value)
			}
			hasField = true
		}
	}
}

// line returns the next line without its end. CRLF, LF and a lone CR
// each end a line.
func (s *SSEReader) line() ([]byte, error) {
	for {
		if len(s.queue) > 0 {
			l := s.queue[0]
			s.queue = s.queue[1:]
			return s.strip(l), nil
		}
		if s.err != nil {
			if s.partial != nil {
				l := s.partial
				s.partial = nil
				return s.strip(l), nil
			}
			return nil, s.err
		}
		chunk, err := s.r.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			s.err = err
		}
		if s.lastCR && len(chunk) > 0 {
			if chunk[0] == '\n' {
				chunk = chunk[1:] // the LF of a CRLF split across reads
			}
			s.lastCR = false
		}
		for len(chunk) > 0 {
			i := bytes.IndexByte(chunk, '\n')
			if j := bytes.IndexByte(chunk, '\r'); j >= 0 && (i < 0 || j < i) {
				i = j
			}
			if i < 0 {
				s.partial = append(s.partial, chunk...)
				if len(s.partial) > MaxLine {
					s.partial, s.err = nil, fmt.Errorf("%w (over %d bytes)", ErrLineTooLong, MaxLine)
				}
				break
			}
			s.queue = append(s.queue, append(s.partial, chunk[:i]...))
			s.partial = nil
			if chunk[i] == '\r' {
				if i+1 < len(chunk) {
					if chunk[i+1] == '\n' {
						i++
					}
				} else {
					s.lastCR = true
				}
			}
			chunk = chunk[i+1:]
		}
	}
}

func (s *SSEReader) strip(line []byte) []byte {
	if s.first {
		s.first = false
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	return line
}

// NDJSONReader reads newline-delimited JSON: one value a line, blank lines
// skipped. It does not parse the values. It is not safe for concurrent use.
type NDJSONReader struct {
	r *bufio.Reader
}

// NewNDJSONReader returns a reader of the lines of r.
func NewNDJSONReader(r io.Reader) *NDJSONReader {
	return &NDJSONReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// Next returns the next non-blank line, without its line end. The slice is
// valid until the next call. It returns io.EOF at the end of the input; a
// last line without a newline is returned first.
func (n *NDJSONReader) Next() ([]byte, error) {
	for {
		line, err := n.readLine()
		if len(bytes.TrimSpace(line)) > 0 {
			return bytes.TrimRight(line, "\r\n"), nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (n *NDJSONReader) readLine() ([]byte, error) {
	var long []byte
	for {
		frag, err := n.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if len(long)+len(frag) > MaxLine {
				return nil, fmt.Errorf("%w (over %d bytes)", ErrLineTooLong, MaxLine)
			}
			long = append(long, frag...)
			continue
		}
		if long != nil {
			long = append(long, frag...)
			if len(long) > MaxLine {
				return nil, fmt.Errorf("%w (over %d bytes)", ErrLineTooLong, MaxLine)
			}
			return long, err
		}
		return frag, err
	}
}
