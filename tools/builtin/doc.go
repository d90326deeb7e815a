// Package builtin holds ready-made tools that are safe by default:
//
//   - [Calculator]: arithmetic through github.com/expr-lang/expr restricted
//     to numbers, operators and math functions; nothing else is reachable.
//   - [HTTPGet]: fetches a URL from an allow-list of hosts (an empty list
//     allows nothing), with a timeout and a size limit, and reduces HTML to
//     its text.
//   - [FS.ReadFile] and [FS.ListDir]: read-only access to one directory
//     tree through os.Root, so no path escapes it (not through "..", an
//     absolute path or a symbolic link).
//   - [Now]: the current time in a time zone.
//
// Each is a tools.Tool to add to a tools.Set:
//
//	fsys, err := builtin.OpenFS("./docs")
//	if err != nil { ... }
//	defer fsys.Close()
//	web, err := builtin.HTTPGet(builtin.HTTPConfig{AllowedHosts: []string{"go.dev"}})
//	if err != nil { ... }
//	set, err := tools.NewSet(builtin.Calculator(), builtin.Now(nil), fsys.ReadFile(), fsys.ListDir(), web)
//
// All the tools are safe for concurrent use.
package builtin
