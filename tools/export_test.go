package tools

import "encoding/json"

// FastAccepts reports whether the fast path alone accepts args for the
// named tool of s.
func FastAccepts(s *Set, name string, args json.RawMessage) bool {
	e := s.lookup(name)
	return e != nil && e.val.fast != nil && e.val.fast.validateFast(args) == fastOK
}

// ReferenceValidate validates args with the reference validator only.
func ReferenceValidate(s *Set, name string, args json.RawMessage) error {
	v := *s.lookup(name).val
	v.fast = nil
	return v.validate(name, args)
}
