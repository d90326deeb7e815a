package builtin

import (
	"context"
	"fmt"
	"time"

	"github.com/plait-ai/plait/tools"
)

// NowInput is current_time's argument.
type NowInput struct {
	TimeZone string `json:"timezone,omitempty" jsonschema:"description=An IANA time zone such as Europe/Paris or Asia/Shanghai; UTC when empty."`
}

// NowOutput is current_time's result.
type NowOutput struct {
	Time     string `json:"time"` // RFC 3339
	TimeZone string `json:"timezone"`
	Weekday  string `json:"weekday"`
	Unix     int64  `json:"unix"`
}

// Now returns the current_time tool, which tells the time in a time zone.
// clock, when not nil, replaces time.Now (for tests). Time zones come from
// the system's zoneinfo; import time/tzdata in a program that runs where
// there is none.
func Now(clock func() time.Time) tools.Tool {
	if clock == nil {
		clock = time.Now
	}
	return tools.MustFunc("current_time", "Returns the current date and time, optionally in a given time zone.",
		func(ctx context.Context, in NowInput) (NowOutput, error) {
			loc := time.UTC
			if in.TimeZone != "" {
				l, err := time.LoadLocation(in.TimeZone)
				if err != nil {
					return NowOutput{}, fmt.Errorf("unknown time zone %q: use an IANA name such as Europe/Paris", in.TimeZone)
				}
				loc = l
			}
			t := clock().In(loc)
			return NowOutput{Time: t.Format(time.RFC3339), TimeZone: loc.String(), Weekday: t.Weekday().String(), Unix: t.Unix()}, nil
		}, tools.Inline())
}
