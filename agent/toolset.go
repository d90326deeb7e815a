package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
)

// toolSet is the executor an agent builds from Config.ToolList. It checks
// that arguments are a JSON object holding the schema's required top-level
// properties, runs calls in parallel, recovers panics, and turns every
// outcome into a Result. Full schema validation, guards and retries are
// the tools package's dispatcher's; pass one as Config.Tools for those.
type toolSet struct {
	byName   map[string]tools.Tool
	specs    []llm.ToolSpec
	required map[string][]string
}

func newToolSet(list []tools.Tool) (*toolSet, error) {
	s := &toolSet{byName: make(map[string]tools.Tool, len(list)), required: map[string][]string{}}
	for _, t := range list {
		if t == nil {
			return nil, errors.New("agent: a nil tool in Config.ToolList")
		}
		sp := t.Spec()
		if sp.Name == "" {
			return nil, errors.New("agent: a tool in Config.ToolList has no name")
		}
		if _, dup := s.byName[sp.Name]; dup {
			return nil, fmt.Errorf("agent: two tools are named %q", sp.Name)
		}
		s.byName[sp.Name] = t
		s.specs = append(s.specs, sp)
		if len(sp.Parameters) > 0 {
			var sch struct {
				Required []string `json:"required"`
			}
			if err := json.Unmarshal(sp.Parameters, &sch); err != nil {
				return nil, fmt.Errorf("agent: tool %q: its parameters are not a JSON schema: %w", sp.Name, err)
			}
			s.required[sp.Name] = sch.Required
		}
	}
	sort.Slice(s.specs, func(i, j int) bool { return s.specs[i].Name < s.specs[j].Name })
	return s, nil
}

func (s *toolSet) Specs(names ...string) []llm.ToolSpec {
	if len(names) == 0 {
		return append([]llm.ToolSpec(nil), s.specs...)
	}
	var out []llm.ToolSpec
	for _, sp := range s.specs {
		for _, n := range names {
			if sp.Name == n {
				out = append(out, sp)
				break
			}
		}
	}
	return out
}

func (s *toolSet) names() string {
	names := make([]string, len(s.specs))
	for i, sp := range s.specs {
		names[i] = sp.Name
	}
	return strings.Join(names, ", ")
}

func (s *toolSet) Validate(name string, args json.RawMessage) error {
	if _, ok := s.byName[name]; !ok {
		return fmt.Errorf("unknown tool %q; the tools are: %s", name, s.names())
	}
	req := s.required[name]
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(orObject(args), &obj); err != nil || obj == nil {
		return fmt.Errorf("the arguments must be a JSON object")
	}
	var missing []string
	for _, r := range req {
		if _, ok := obj[r]; !ok {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing required argument(s): %s", strings.Join(missing, ", "))
	}
	return nil
}

func orObject(r json.RawMessage) json.RawMessage {
	if len(r) == 0 {
		return json.RawMessage("{}")
	}
	return r
}

func (s *toolSet) Dispatch(ctx context.Context, calls ...llm.ToolCall) []tools.Result {
	out := make([]tools.Result, len(calls))
	if len(calls) == 1 {
		out[0] = s.call(ctx, calls[0])
		return out
	}
	var wg sync.WaitGroup
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.call(ctx, calls[i])
		}()
	}
	wg.Wait()
	return out
}

func (s *toolSet) call(ctx context.Context, c llm.ToolCall) (res tools.Result) {
	start := time.Now()
	res.Call = c
	defer func() {
		if p := recover(); p != nil {
			res.Output = nil
			res.Err = fmt.Errorf("tool %q panicked: %v\n%s", c.Name, p, debug.Stack())
			res.Content = fmt.Sprintf("error: tool %q panicked: %v", c.Name, p)
		}
		res.Duration = time.Since(start)
	}()
	if err := s.Validate(c.Name, c.Arguments); err != nil {
		res.Err = err
		res.Content = "error: " + err.Error()
		return res
	}
	if err := ctx.Err(); err != nil {
		res.Err = err
		res.Content = "error: " + err.Error()
		return res
	}
	out, err := s.byName[c.Name].Call(ctx, orObject(c.Arguments))
	if err != nil {
		res.Err = err
		res.Content = "error: " + err.Error()
		return res
	}
	res.Output = out
	switch v := out.(type) {
	case string:
		res.Content = v
	case json.RawMessage:
		res.Content = string(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			res.Output = nil
			res.Err = fmt.Errorf("tool %q returned output that is not JSON-encodable: %w", c.Name, err)
			res.Content = "error: " + res.Err.Error()
			return res
		}
		res.Content = string(b)
	}
	return res
}
