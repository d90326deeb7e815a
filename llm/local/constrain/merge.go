package constrain

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// allOf is compiled by merging its subschemas into one schema, keyword by
// keyword. The merge is exact for the keywords it handles; anything it
// cannot intersect is an error, never a silent widening.

const maxMerges = 10000

// deref replaces a schema that is a $ref (with or without siblings) by
// what it points to, merged with the siblings.
func (c *compiler) deref(s any, cx ctx) any {
	for depth := 0; depth < 64; depth++ {
		o, ok := s.(*obj)
		if !ok {
			return s
		}
		ref, ok := o.m["$ref"].(string)
		if !ok {
			return s
		}
		target, tcx, err := c.resolve(ref, cx)
		if err != nil {
			c.fail(cx, err)
			return false
		}
		sib := withoutKeys(o, "$ref")
		if !hasAssertions(sib) {
			s, cx = target, tcx
			continue
		}
		m, err := c.merge(c.deref(target, tcx), sib, cx)
		if err != nil {
			c.fail(cx, err)
			return false
		}
		s = m
	}
	return s
}

// merge returns a schema equivalent to allOf [a, b].
func (c *compiler) merge(a, b any, cx ctx) (any, error) {
	c.merges++
	if c.merges > maxMerges {
		return nil, fmt.Errorf("%w: allOf nesting too deep", ErrUnsupported)
	}
	if bv, ok := a.(bool); ok {
		if !bv {
			return false, nil
		}
		return b, nil
	}
	if bv, ok := b.(bool); ok {
		if !bv {
			return false, nil
		}
		return a, nil
	}
	ao, bo := a.(*obj), b.(*obj)
	if ao == nil || bo == nil {
		return nil, fmt.Errorf("allOf members must be schemas")
	}
	ao = c.flatten(ao, cx)
	bo = c.flatten(bo, cx)
	out := ao.clone()
	for _, k := range bo.keys {
		bv := bo.m[k]
		av, ok := out.m[k]
		if !ok {
			out.set(k, bv)
			continue
		}
		if annotationKeys[k] {
			continue
		}
		switch k {
		case "type":
			out.set(k, intersectTypes(av, bv))
		case "properties":
			ap, _ := av.(*obj)
			bp, _ := bv.(*obj)
			if ap == nil || bp == nil {
				return nil, fmt.Errorf("properties must be an object")
			}
			mp := ap.clone()
			for _, pk := range bp.keys {
				if x, ok := mp.m[pk]; ok {
					mp.set(pk, allOfOf(x, bp.m[pk]))
				} else {
					mp.set(pk, bp.m[pk])
				}
			}
			out.set(k, mp)
		case "required":
			ar, _ := av.([]any)
			br, _ := bv.([]any)
			r := slices.Clone(ar)
			for _, x := range br {
				if !slices.Contains(r, x) {
					r = append(r, x)
				}
			}
			out.set(k, r)
		case "additionalProperties", "unevaluatedProperties", "items", "additionalItems":
			if _, arr := av.([]any); arr {
				return nil, fmt.Errorf("%w: merging tuple items", ErrUnsupported)
			}
			if _, arr := bv.([]any); arr {
				return nil, fmt.Errorf("%w: merging tuple items", ErrUnsupported)
			}
			out.set(k, allOfOf(av, bv))
		case "minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum":
			out.set(k, numMax(av, bv))
		case "maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum":
			out.set(k, numMin(av, bv))
		case "enum":
			ae, _ := av.([]any)
			be, _ := bv.([]any)
			var r []any
			for _, x := range ae {
				if slices.ContainsFunc(be, func(y any) bool { return jsonEqual(x, y) }) {
					r = append(r, x)
				}
			}
			out.set(k, r)
		case "nullable":
			x, _ := av.(bool)
			y, _ := bv.(bool)
			out.set(k, x && y)
		case "anyOf", "oneOf":
			// allOf [anyOf A, anyOf B] = anyOf [allOf [a, anyOf B] for a in A].
			as, _ := av.([]any)
			var br []any
			for _, x := range as {
				br = append(br, allOfOf(x, withKey("anyOf", bv)))
			}
			out.set(k, br)
		case "uniqueItems":
			x, _ := av.(bool)
			y, _ := bv.(bool)
			out.set(k, x || y)
		default:
			if !jsonEqual(av, bv) {
				return nil, fmt.Errorf("%w: allOf with two different %q; merge them by hand", ErrUnsupported, k)
			}
		}
	}
	// additionalProperties: false on one side forbids the other side's
	// extra properties.
	for _, side := range []*obj{ao, bo} {
		if ap, ok := side.m["additionalProperties"].(bool); ok && !ap {
			sp, _ := side.m["properties"].(*obj)
			mp, _ := out.m["properties"].(*obj)
			if mp == nil {
				continue
			}
			mp = mp.clone()
			for _, pk := range mp.keys {
				if sp == nil || sp.m[pk] == nil {
					mp.set(pk, false)
				}
			}
			out.set("properties", mp)
		}
	}
	if t, ok := out.m["type"].([]any); ok && len(t) == 0 {
		return false, nil
	}
	if e, ok := out.m["enum"].([]any); ok && len(e) == 0 {
		return false, nil
	}
	return out, nil
}

// mergeRest compiles away a nested allOf created during a merge.
func (c *compiler) mergeRest(o *obj, cx ctx) (any, error) {
	subs, _ := o.m["allOf"].([]any)
	var m any = withoutKeys(o, "allOf")
	for _, s := range subs {
		var err error
		m, err = c.merge(m, s, cx)
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

// flatten resolves a top-level $ref and a nested allOf so their keywords
// can be merged.
func (c *compiler) flatten(o *obj, cx ctx) *obj {
	var s any = c.deref(o, cx)
	if so, ok := s.(*obj); ok {
		if _, has := so.m["allOf"]; has {
			m, err := c.mergeRest(so, cx)
			if err != nil {
				c.fail(cx, err)
				return newObj()
			}
			s = m
		}
	}
	switch t := s.(type) {
	case *obj:
		return t
	case bool:
		if !t {
			o := newObj()
			o.set("enum", []any{})
			return o
		}
	}
	return newObj()
}

func withKey(k string, v any) *obj {
	o := newObj()
	o.set(k, v)
	return o
}

func allOfOf(a, b any) any {
	if x, ok := a.(bool); ok {
		if x {
			return b
		}
		return false
	}
	if x, ok := b.(bool); ok {
		if x {
			return a
		}
		return false
	}
	return withKey("allOf", []any{a, b})
}

func intersectTypes(a, b any) any {
	list := func(v any) []string {
		switch t := v.(type) {
		case string:
			return []string{t}
		case []any:
			var r []string
			for _, x := range t {
				if s, ok := x.(string); ok {
					r = append(r, s)
				}
			}
			return r
		}
		return nil
	}
	la, lb := list(a), list(b)
	var r []any
	has := func(l []string, t string) bool { return slices.Contains(l, t) }
	for _, t := range []string{"null", "boolean", "object", "array", "string", "number", "integer"} {
		ina, inb := has(la, t), has(lb, t)
		if t == "integer" {
			ina = ina || has(la, "number")
			inb = inb || has(lb, "number")
			if has(la, "number") && has(lb, "number") {
				continue
			}
		}
		if ina && inb {
			r = append(r, t)
		}
	}
	return r
}

func numMax(a, b any) any {
	x, ok1 := num(a)
	y, ok2 := num(b)
	if !ok1 {
		return b
	}
	if !ok2 {
		return a
	}
	return json.Number(fmtNum(math.Max(x, y)))
}

func numMin(a, b any) any {
	x, ok1 := num(a)
	y, ok2 := num(b)
	if !ok1 {
		return b
	}
	if !ok2 {
		return a
	}
	return json.Number(fmtNum(math.Min(x, y)))
}

func fmtNum(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}
