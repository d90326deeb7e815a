//go:build race

package tools

import "time"

// quickCall is the longest a call may take and count as quick (see
// quick.go). The race detector makes a dispatch about twenty times slower,
// and handing a call to another goroutine slower too: the bound grows with
// them, so that tests under -race take the paths quick calls take.
const quickCall = 200 * time.Microsecond
