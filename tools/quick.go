//go:build !race

package tools

import "time"

// quickCall is the longest a call may take and count as quick: less than
// handing a call to another goroutine and back costs when that wakes an
// idle core (a system call each way).
const quickCall = 10 * time.Microsecond
