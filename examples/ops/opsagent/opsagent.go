// Package opsagent is the operations assistant of the ops example: an agent
// that inspects and changes services, where every change needs a person's
// approval and guards refuse what nobody should do through a chat (touching
// the database unless you are an admin, scaling to zero, purging recent
// logs).
//
// The services live in a Cluster, an in-memory stand-in for a real
// orchestrator: replace its methods with calls to your own APIs.
package opsagent

import (
	"context"
	"fmt"
	"iter"
	"sort"
	"sync"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
)

// Service is one service of the cluster.
type Service struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Replicas int    `json:"replicas"`
	Healthy  int    `json:"healthy"`
	LogsMB   int    `json:"logs_mb"`
	Restarts int    `json:"restarts"`
	Critical bool   `json:"critical"`
}

// Cluster is a set of services. It is safe for concurrent use.
type Cluster struct {
	mu       sync.Mutex
	services map[string]*Service
}

// NewCluster returns a cluster of the given services.
func NewCluster(svcs ...Service) *Cluster {
	c := &Cluster{services: map[string]*Service{}}
	for _, s := range svcs {
		c.services[s.Name] = &s
	}
	return c
}

// DemoCluster returns a small cluster with one unhealthy service.
func DemoCluster() *Cluster {
	return NewCluster(
		Service{Name: "api", Version: "1.8.2", Replicas: 3, Healthy: 1, LogsMB: 820},
		Service{Name: "web", Version: "2.1.0", Replicas: 2, Healthy: 2, LogsMB: 140},
		Service{Name: "worker", Version: "1.8.2", Replicas: 4, Healthy: 4, LogsMB: 2300},
		Service{Name: "db", Version: "16.4", Replicas: 1, Healthy: 1, LogsMB: 60, Critical: true},
	)
}

// Get returns a copy of the service with the given name.
func (c *Cluster) Get(name string) (Service, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.services[name]
	if !ok {
		return Service{}, fmt.Errorf("no service %q; list_services shows them", name)
	}
	return *s, nil
}

// List returns copies of the services, by name.
func (c *Cluster) List() []Service {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Service, 0, len(c.services))
	for _, s := range c.services {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (c *Cluster) update(name string, f func(s *Service)) (Service, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.services[name]
	if !ok {
		return Service{}, fmt.Errorf("no service %q; list_services shows them", name)
	}
	f(s)
	return *s, nil
}

// NameInput names a service.
type NameInput struct {
	Name string `json:"name" jsonschema:"description=The service's name."`
}

// ScaleInput is the input of scale_service.
type ScaleInput struct {
	Name     string `json:"name" jsonschema:"description=The service's name."`
	Replicas int    `json:"replicas" jsonschema:"description=The number of replicas wanted (1 to 20)."`
}

// PurgeInput is the input of purge_logs.
type PurgeInput struct {
	Name          string `json:"name" jsonschema:"description=The service's name."`
	OlderThanDays int    `json:"older_than_days" jsonschema:"description=Delete log files older than this many days (at least 7)."`
}

// Guards, as expressions over the arguments and the operator (put in the
// context by Assistant.Stream).
const (
	// GuardCritical keeps critical services to admins.
	GuardCritical = `!(name in critical) || operator.role == "admin"`
	// GuardReplicas bounds scaling.
	GuardReplicas = `replicas >= 1 && replicas <= 20`
	// GuardPurge keeps a week of logs.
	GuardPurge = `older_than_days >= 7`
)

// Tools returns the cluster's tools: list_services and service_status,
// which only read; restart_service, scale_service and purge_logs, which
// change things: they need approval and are guarded.
func (c *Cluster) Tools() ([]tools.Tool, error) {
	list, err := tools.Func("list_services", "List the services with their version, replicas, health and log size.",
		func(ctx context.Context, _ struct{}) ([]Service, error) { return c.List(), nil }, tools.Inline())
	if err != nil {
		return nil, err
	}
	status, err := tools.Func("service_status", "Show one service's status.",
		func(ctx context.Context, in NameInput) (Service, error) { return c.Get(in.Name) }, tools.Inline())
	if err != nil {
		return nil, err
	}
	restart, err := tools.Func("restart_service", "Restart all replicas of a service (DESTRUCTIVE: drops its connections).",
		func(ctx context.Context, in NameInput) (Service, error) {
			return c.update(in.Name, func(s *Service) { s.Restarts++; s.Healthy = s.Replicas })
		}, tools.NeedsApproval(), tools.Guard(GuardCritical))
	if err != nil {
		return nil, err
	}
	scale, err := tools.Func("scale_service", "Change a service's number of replicas.",
		func(ctx context.Context, in ScaleInput) (Service, error) {
			return c.update(in.Name, func(s *Service) { s.Replicas = in.Replicas; s.Healthy = min(s.Healthy, in.Replicas) })
		}, tools.NeedsApproval(), tools.Guard(GuardCritical, GuardReplicas))
	if err != nil {
		return nil, err
	}
	purge, err := tools.Func("purge_logs", "Delete a service's old log files (DESTRUCTIVE: cannot be undone).",
		func(ctx context.Context, in PurgeInput) (Service, error) {
			return c.update(in.Name, func(s *Service) { s.LogsMB = s.LogsMB * 7 / (7 + in.OlderThanDays) })
		}, tools.NeedsApproval(), tools.Guard(GuardCritical, GuardPurge))
	if err != nil {
		return nil, err
	}
	return []tools.Tool{list, status, restart, scale, purge}, nil
}

// Config configures an Assistant. Model, Cluster and Approver are required.
type Config struct {
	Model   llm.Model
	Cluster *Cluster
	// Approver is asked before every change; nil denies every change.
	Approver tools.Approver
	// Role is the operator's role ("oncall", "admin"); the guards read it.
	Role     string
	Strategy agent.Strategy
	NoTrace  bool
}

// Instructions are the assistant's system instructions.
const Instructions = `You are an operations assistant for a small cluster. Look before you act: check the status first.
Only change something when it is needed for the operator's request, one change at a time.
Every change is shown to the operator for approval; if a change is denied, do not try to get around it:
explain what you would have done and why, and what the operator can do instead.`

// Assistant is the operations agent. It is safe for concurrent use.
type Assistant struct {
	agent    *agent.Agent
	cluster  *Cluster
	role     string
	critical []string
}

// New returns an assistant for cfg.
func New(cfg Config) (*Assistant, error) {
	if cfg.Cluster == nil {
		return nil, fmt.Errorf("opsagent: Config.Cluster is nil")
	}
	ts, err := cfg.Cluster.Tools()
	if err != nil {
		return nil, fmt.Errorf("opsagent: %w", err)
	}
	set, err := tools.NewSet(ts...)
	if err != nil {
		return nil, fmt.Errorf("opsagent: %w", err)
	}
	var opts []tools.DispatcherOption
	if cfg.Approver != nil {
		opts = append(opts, tools.WithApprover(cfg.Approver))
	}
	a, err := agent.New(agent.Config{
		Name:         "ops",
		Model:        cfg.Model,
		Instructions: Instructions,
		Tools:        tools.NewDispatcher(set, opts...),
		Strategy:     cfg.Strategy,
		NoTrace:      cfg.NoTrace,
	})
	if err != nil {
		return nil, fmt.Errorf("opsagent: %w", err)
	}
	var critical []string
	for _, s := range cfg.Cluster.List() {
		if s.Critical {
			critical = append(critical, s.Name)
		}
	}
	role := cfg.Role
	if role == "" {
		role = "oncall"
	}
	return &Assistant{agent: a, cluster: cfg.Cluster, role: role, critical: critical}, nil
}

// Stream runs a request, yielding the agent's events.
func (a *Assistant) Stream(ctx context.Context, request string) iter.Seq2[agent.Event, error] {
	ctx = tools.WithGuardEnv(ctx, map[string]any{
		"operator": map[string]any{"role": a.role},
		"critical": a.critical,
	})
	return a.agent.Stream(ctx, request)
}

// Run runs a request to its result.
func (a *Assistant) Run(ctx context.Context, request string) (*agent.Result, error) {
	var res *agent.Result
	var runErr error
	for ev, err := range a.Stream(ctx, request) {
		if ev.Type == agent.EventDone {
			res, runErr = ev.Result, err
		}
	}
	return res, runErr
}
