// Package progress shows the progress of long work (loading a model,
// planning, running steps, streaming an answer) to a person: on a terminal
// with symbols, colours and a spinner, and as plain lines when the output is a
// file or a pipe, so logs stay readable.
//
//	p := progress.New(os.Stderr)
//	stop := p.Start("loading model")
//	m, err := llm.Open(spec)
//	stop(err)
//	for ev, err := range a.Stream(ctx, goal) {
//		p.Event(ev, err)
//	}
//
// A Printer is safe for concurrent use.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/plait-ai/plait/agent"
)

// IsTerminal reports whether w is a terminal (a character device).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Printer writes progress to W.
type Printer struct {
	mu  sync.Mutex
	w   io.Writer
	tty bool
	// midLine is set while answer text without a final newline is out.
	midLine bool
	// spin is the running spinner's stop channel, if any.
	spin chan struct{}
	// spinDone is closed when the spinner goroutine has finished writing.
	spinDone chan struct{}
	// Answer, when set, receives the answer's text instead of W.
	Answer io.Writer
}

// New returns a printer to w, in terminal mode when w is a terminal.
func New(w io.Writer) *Printer { return &Printer{w: w, tty: IsTerminal(w)} }

// NewPlain returns a printer to w that writes plain lines whatever w is.
func NewPlain(w io.Writer) *Printer { return &Printer{w: w} }

// TTY reports whether the printer writes for a terminal.
func (p *Printer) TTY() bool { return p.tty }

func (p *Printer) style(code, s string) string {
	if !p.tty {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// linef writes a progress line, ending an answer line in progress first.
// p.mu must be held.
func (p *Printer) linef(format string, args ...any) {
	p.stopSpinLocked()
	if p.midLine {
		io.WriteString(p.w, "\n")
		p.midLine = false
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

// Linef writes one line of progress.
func (p *Printer) Linef(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.linef(format, args...)
}

// Start shows that work called label began: a spinner on a terminal, a
// line otherwise. The returned function ends it, saying whether it failed.
func (p *Printer) Start(label string) (stop func(err error)) {
	p.mu.Lock()
	p.stopSpinLocked()
	began := time.Now()
	if p.tty {
		ch, done := make(chan struct{}), make(chan struct{})
		p.spin, p.spinDone = ch, done
		go p.spinner(label, ch, done)
	} else {
		p.linef("%s ...", label)
	}
	p.mu.Unlock()
	return func(err error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		d := time.Since(began).Round(time.Millisecond)
		if err != nil {
			p.linef("%s %s failed after %s: %v", p.style("31", "✗"), label, d, err)
			return
		}
		p.linef("%s %s (%s)", p.style("32", "✓"), label, d)
	}
}

func (p *Printer) spinner(label string, stop, done chan struct{}) {
	defer close(done)
	frames := []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	began := time.Now()
	for i := 0; ; i++ {
		fmt.Fprintf(p.w, "\r\x1b[K%s %s %s", frames[i%len(frames)], label, time.Since(began).Round(time.Second))
		select {
		case <-stop:
			io.WriteString(p.w, "\r\x1b[K")
			return
		case <-t.C:
		}
	}
}

// stopSpinLocked stops the spinner, if one runs, and waits for it to clear
// its line. p.mu must be held.
func (p *Printer) stopSpinLocked() {
	if p.spin == nil {
		return
	}
	close(p.spin)
	<-p.spinDone
	p.spin, p.spinDone = nil, nil
}

// Event shows one agent event; err is the error paired with it.
func (p *Printer) Event(ev agent.Event, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev.Type {
	case agent.EventPlan, agent.EventReplan:
		if ev.Plan == nil {
			return
		}
		if ev.Type == agent.EventReplan {
			p.linef("%s replan: %s", p.style("33", "↻"), oneLine(ev.Text, 200))
		}
		if th := strings.TrimSpace(ev.Plan.Thought); th != "" {
			p.linef("%s %s", p.style("1", "plan:"), oneLine(th, 300))
		} else {
			p.linef("%s", p.style("1", "plan:"))
		}
		for _, s := range ev.Plan.Steps {
			tool := s.Tool
			if tool == "" {
				tool = "think"
			}
			deps := ""
			if len(s.Deps) > 0 {
				deps = " after " + strings.Join(s.Deps, ",")
			}
			p.linef("  %s %s %s%s", p.style("36", s.ID), p.style("2", "["+tool+"]"), oneLine(s.Task, 120), deps)
		}
	case agent.EventStepStarted:
		if ev.Step == nil {
			return
		}
		p.linef("%s %s %s %s", p.style("34", "▶"), ev.Step.ID, stepLabel(ev.Step), p.style("2", oneLine(string(ev.Step.Args), 100)))
	case agent.EventApproval:
		if ev.Step != nil {
			p.linef("%s %s waits for approval: %s", p.style("33", "?"), ev.Step.ID, stepLabel(ev.Step))
		}
	case agent.EventStepFinished:
		s := ev.Step
		if s == nil {
			return
		}
		d := s.Duration.Round(time.Millisecond)
		switch s.Status {
		case agent.StepDone, agent.StepReused:
			p.linef("%s %s %s %s %s", p.style("32", "✓"), s.ID, s.Status, d, p.style("2", oneLine(s.Content, 100)))
		case agent.StepSkipped:
			p.linef("%s %s skipped", p.style("2", "-"), s.ID)
		default:
			why := s.Content
			if s.Err != nil {
				why = s.Err.Error()
			}
			p.linef("%s %s %s %s: %s", p.style("31", "✗"), s.ID, s.Status, d, oneLine(why, 200))
		}
	case agent.EventAnswerDelta:
		p.stopSpinLocked()
		if ev.Text == "" {
			return
		}
		w := p.w
		if p.Answer != nil {
			w = p.Answer
		} else {
			p.midLine = !strings.HasSuffix(ev.Text, "\n")
		}
		io.WriteString(w, ev.Text)
	case agent.EventDone:
		if p.midLine {
			io.WriteString(p.w, "\n")
			p.midLine = false
		}
		r := ev.Result
		if r == nil {
			if err != nil {
				p.linef("%s %v", p.style("31", "✗"), err)
			}
			return
		}
		status := p.style("32", "done")
		if err != nil {
			status = p.style("31", "stopped: "+err.Error())
		}
		p.linef("%s in %s: %d steps, %d model calls, %d+%d tokens", status, r.Duration.Round(time.Millisecond), len(r.Steps), r.ModelCalls, r.Usage.InputTokens, r.Usage.OutputTokens)
	}
}

// Close stops a running spinner and ends an open answer line.
func (p *Printer) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopSpinLocked()
	if p.midLine {
		io.WriteString(p.w, "\n")
		p.midLine = false
	}
}

func stepLabel(s *agent.StepRecord) string {
	switch {
	case s.Task != "" && s.Tool != "":
		return oneLine(s.Task, 100) + " [" + s.Tool + "]"
	case s.Tool != "":
		return "[" + s.Tool + "]"
	}
	return oneLine(s.Task, 100)
}

// oneLine folds s onto one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// Write writes b as progress text (a question, a prompt), safe to mix with
// the printer's own lines from other goroutines.
func (p *Printer) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopSpinLocked()
	if p.midLine {
		io.WriteString(p.w, "\n")
		p.midLine = false
	}
	return p.w.Write(b)
}
