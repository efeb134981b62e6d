package devstack

import (
	"encoding/json"
	"fmt"
	"strings"
)

// EventFilter is an event source mapping's FilterCriteria: a record is
// handed to the function when it matches one of the patterns, every record
// when there is none. Patterns follow Lambda's event filtering syntax
// (EventBridge patterns): nested objects select fields, an array lists the
// values a field may have, and these comparison operators are understood:
// prefix, suffix, equals-ignore-case, anything-but (a value or a list),
// exists. A pattern with another operator is refused when the filter is
// built, so that the local runner never passes what Lambda would drop.
type EventFilter struct {
	patterns []map[string]any
}

// NewEventFilter parses the patterns (JSON documents).
func NewEventFilter(patterns []string) (*EventFilter, error) {
	f := &EventFilter{}
	for _, p := range patterns {
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(p))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil || m == nil {
			return nil, fmt.Errorf("filter pattern %s: not a JSON object", p)
		}
		if err := checkPattern(m); err != nil {
			return nil, fmt.Errorf("filter pattern %s: %w", p, err)
		}
		f.patterns = append(f.patterns, m)
	}
	return f, nil
}

// checkPattern refuses what the local matcher does not understand.
func checkPattern(m map[string]any) error {
	for k, v := range m {
		switch v := v.(type) {
		case map[string]any:
			if err := checkPattern(v); err != nil {
				return err
			}
		case []any:
			for _, alt := range v {
				op, ok := alt.(map[string]any)
				if !ok {
					continue
				}
				if len(op) != 1 {
					return fmt.Errorf("%s: an operator object has one key", k)
				}
				for name := range op {
					switch name {
					case "prefix", "suffix", "equals-ignore-case", "anything-but", "exists":
					default:
						return fmt.Errorf("%s: operator %q is not played locally", k, name)
					}
				}
			}
		default:
			return fmt.Errorf("%s: a pattern's values are objects or arrays", k)
		}
	}
	return nil
}

// Match reports whether record (the event's JSON, decoded with UseNumber)
// passes the filter.
func (f *EventFilter) Match(record map[string]any) bool {
	if f == nil || len(f.patterns) == 0 {
		return true
	}
	for _, p := range f.patterns {
		if matchObject(p, record) {
			return true
		}
	}
	return false
}

func matchObject(pattern, value map[string]any) bool {
	for k, p := range pattern {
		v, present := value[k]
		switch p := p.(type) {
		case map[string]any:
			obj, ok := v.(map[string]any)
			if !ok || !matchObject(p, obj) {
				return false
			}
		case []any:
			if !matchField(p, v, present) {
				return false
			}
		}
	}
	return true
}

// matchField matches a field against the alternatives of a pattern; an
// array field matches when one of its elements does.
func matchField(alts []any, v any, present bool) bool {
	for _, alt := range alts {
		if op, ok := alt.(map[string]any); ok {
			if e, ok := op["exists"]; ok {
				if want, _ := e.(bool); want == present {
					return true
				}
				continue
			}
		}
		if !present {
			continue
		}
		values := []any{v}
		if arr, ok := v.([]any); ok {
			values = arr
		}
		for _, x := range values {
			if matchValue(alt, x) {
				return true
			}
		}
	}
	return false
}

func matchValue(alt, v any) bool {
	op, ok := alt.(map[string]any)
	if !ok {
		return scalarEqual(alt, v)
	}
	s, isString := v.(string)
	for name, arg := range op {
		switch name {
		case "prefix":
			p, _ := arg.(string)
			return isString && strings.HasPrefix(s, p)
		case "suffix":
			p, _ := arg.(string)
			return isString && strings.HasSuffix(s, p)
		case "equals-ignore-case":
			p, _ := arg.(string)
			return isString && strings.EqualFold(s, p)
		case "anything-but":
			list, ok := arg.([]any)
			if !ok {
				list = []any{arg}
			}
			for _, x := range list {
				if scalarEqual(x, v) {
					return false
				}
			}
			return true
		}
	}
	return false
}

func scalarEqual(a, b any) bool {
	switch a := a.(type) {
	case json.Number:
		bn, ok := b.(json.Number)
		if !ok {
			return false
		}
		af, aerr := a.Float64()
		bf, berr := bn.Float64()
		return aerr == nil && berr == nil && af == bf
	case nil:
		return b == nil
	default:
		return a == b
	}
}
