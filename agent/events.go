package agent

import (
	"github.com/google/uuid"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/planner"
)

// EventType says what an [Event] reports.
type EventType uint8

// The event types, in the order a run usually emits them.
const (
	// EventPlan: a plan was made (Plan).
	EventPlan EventType = iota + 1
	// EventReplan: a plan replaced the previous one (Plan; Text says why).
	EventReplan
	// EventStepStarted: a step started (Step, without output).
	EventStepStarted
	// EventApproval: a step waits for the approval hook (Step, Call).
	EventApproval
	// EventToolCall: a tool call was dispatched (Step, Call).
	EventToolCall
	// EventToolResult: a tool call returned (Step, Call).
	EventToolResult
	// EventStepFinished: a step ended, in any status (Step).
	EventStepFinished
	// EventAnswerDelta: text of the answer as it streams (Text). Under
	// ReAct, text the model writes in a turn that also calls tools is its
	// thought and streams the same way.
	EventAnswerDelta
	// EventDone: the run ended (Result; the error of the pair says how).
	EventDone
)

var eventNames = [...]string{"", "plan", "replan", "step_started", "approval", "tool_call", "tool_result", "step_finished", "answer_delta", "done"}

// String returns the event type's name.
func (t EventType) String() string {
	if int(t) < len(eventNames) && t != 0 {
		return eventNames[t]
	}
	return "event"
}

// Event is one thing that happened in a run. Which fields are set depends
// on Type. Events share the run's records: treat them as read-only.
type Event struct {
	Type  EventType
	RunID uuid.UUID
	// Plan is the plan of EventPlan and EventReplan.
	Plan *planner.Plan
	// Step is the step of step and tool events.
	Step *StepRecord
	// Call is the tool call of EventApproval, EventToolCall and
	// EventToolResult.
	Call *llm.ToolCall
	// Text is the delta of EventAnswerDelta and the reason of EventReplan.
	Text string
	// Result is the result of EventDone (partial when the run failed).
	Result *Result
}
