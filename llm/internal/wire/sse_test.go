package wire_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/plait-ai/plait/llm/internal/wire"
)

func readEvents(t testing.TB, r io.Reader) ([]wire.Event, error) {
	s := wire.NewSSEReader(r)
	var out []wire.Event
	for {
		ev, err := s.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		ev.Data = append([]byte(nil), ev.Data...)
		out = append(out, ev)
	}
}

func TestSSEReader(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []wire.Event
	}{
		{"data", "data: {\"a\":1}\n\ndata: [DONE]\n\n", []wire.Event{{Data: []byte(`{"a":1}`)}, {Data: []byte("[DONE]")}}},
		{"no space after colon", "data:x\n\n", []wire.Event{{Data: []byte("x")}}},
		{"only one space stripped", "data:  x\n\n", []wire.Event{{Data: []byte(" x")}}},
		{"event and id", "event: message_start\nid: 7\ndata: {}\n\n", []wire.Event{{Type: "message_start", ID: "7", Data: []byte("{}")}}},
		{"multi-line data", "data: a\ndata: b\n\n", []wire.Event{{Data: []byte("a\nb")}}},
		{"comments and retry", ": ping\nretry: 100\ndata: x\n\n: bye\n\n", []wire.Event{{Data: []byte("x")}}},
		{"CRLF", "event: e\r\ndata: x\r\n\r\ndata: y\r\n\r\n", []wire.Event{{Type: "e", Data: []byte("x")}, {Data: []byte("y")}}},
		{"CR", "data: x\r\rdata: y\r\r", []wire.Event{{Data: []byte("x")}, {Data: []byte("y")}}},
		{"BOM", "\xef\xbb\xbfdata: x\n\n", []wire.Event{{Data: []byte("x")}}},
		{"last event without blank line", "data: x\n\ndata: y", []wire.Event{{Data: []byte("x")}, {Data: []byte("y")}}},
		{"event without data is dropped", "event: ping\n\ndata: x\n\n", []wire.Event{{Data: []byte("x")}}},
		{"empty data", "data:\n\n", []wire.Event{{Data: []byte("")}}},
		{"field without colon", "data\n\n", []wire.Event{{Data: []byte("")}}},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range map[string]io.Reader{"whole": strings.NewReader(tc.in), "bytewise": iotest.OneByteReader(strings.NewReader(tc.in))} {
				got, err := readEvents(t, r)
				if err != nil {
					t.Fatal(err)
				}
				for i := range got {
					if len(got[i].Data) == 0 {
						got[i].Data = []byte("")
					}
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("got %q\nwant %q", got, tc.want)
				}
			}
		})
	}
}

func TestSSEReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("data: x\n\ndata: y"), iotest.ErrReader(boom))
	got, err := readEvents(t, r)
	if !errors.Is(err, boom) || len(got) != 1 {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestLineTooLong(t *testing.T) {
	big := bytes.Repeat([]byte("a"), wire.MaxLine+10)
	if _, err := wire.NewSSEReader(bytes.NewReader(append([]byte("data: "), big...))).Next(); !errors.Is(err, wire.ErrLineTooLong) {
		t.Errorf("sse: %v", err)
	}
	if _, err := wire.NewNDJSONReader(bytes.NewReader(big)).Next(); !errors.Is(err, wire.ErrLineTooLong) {
		t.Errorf("ndjson: %v", err)
	}
}

func TestNDJSONReader(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	in := "{\"a\":1}\n\n  \r\n{\"b\":2}\r\n\"" + long + "\"\n{\"c\":3}"
	for name, r := range map[string]io.Reader{"whole": strings.NewReader(in), "halves": iotest.HalfReader(strings.NewReader(in))} {
		n := wire.NewNDJSONReader(r)
		var got []string
		for {
			line, err := n.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(line))
		}
		want := []string{`{"a":1}`, `{"b":2}`, `"` + long + `"`, `{"c":3}`}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %d lines %.40q", name, len(got), got)
		}
	}
}

func FuzzSSEReader(f *testing.F) {
	f.Add([]byte("event: a\ndata: b\n\n"))
	f.Add([]byte("data: x\r\n\r\ndata: y\r\r: c\n"))
	f.Add([]byte("\xef\xbb\xbfid: 1\x00\ndata\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		whole, err1 := readEvents(t, bytes.NewReader(in))
		split, err2 := readEvents(t, iotest.OneByteReader(bytes.NewReader(in)))
		if err1 != nil || err2 != nil {
			t.Fatalf("errors on an in-memory reader: %v %v", err1, err2)
		}
		if len(whole) != len(split) {
			t.Fatalf("%d events whole, %d bytewise", len(whole), len(split))
		}
		for i := range whole {
			if !bytes.Equal(whole[i].Data, split[i].Data) || whole[i].Type != split[i].Type {
				t.Fatalf("event %d differs: %q vs %q", i, whole[i], split[i])
			}
		}
	})
}

func FuzzNDJSONReader(f *testing.F) {
	f.Add([]byte("{}\n\n{\"a\":1}\r\n"))
	f.Add([]byte("  \n\t\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		n := wire.NewNDJSONReader(bytes.NewReader(in))
		total := 0
		for {
			line, err := n.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(bytes.TrimSpace(line)) == 0 || bytes.ContainsRune(line, '\n') {
				t.Fatalf("bad line %q", line)
			}
			total += len(line)
		}
		if total > len(in) {
			t.Fatalf("read %d bytes of lines from %d", total, len(in))
		}
	})
}

func BenchmarkSSEReader(b *testing.B) {
	var sb strings.Builder
	for range 1000 {
		sb.WriteString("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"token\"}}]}\n\n")
	}
	in := []byte(sb.String())
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		s := wire.NewSSEReader(bytes.NewReader(in))
		n := 0
		for {
			if _, err := s.Next(); err != nil {
				break
			}
			n++
		}
		if n != 1000 {
			b.Fatal(n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/event")
}
