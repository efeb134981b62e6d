package samtemplate

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrUnresolved is returned when a value refers to a resource, attribute or
// parameter that the resolver does not know.
var ErrUnresolved = errors.New("unresolved reference")

// Resolver maps what a template may refer to onto local values: a logical id
// ("Table") for !Ref, "LogicalId.Attribute" ("ErpIngestQueue.Arn") for
// !GetAtt, and pseudo parameters ("AWS::Region") or parameters by name.
type Resolver map[string]string

// Value is a raw template value: a plain scalar or a CloudFormation
// intrinsic function (!Ref, !GetAtt, !Sub, !Join, !Select, !If...), kept as
// written until it is resolved.
type Value struct {
	node *yaml.Node
}

// IsZero reports whether the value is absent.
func (v Value) IsZero() bool { return v.node == nil }

// Intrinsic returns the intrinsic function the value is built with ("Ref",
// "Fn::GetAtt", "Fn::Sub"...), or "" for a plain scalar.
func (v Value) Intrinsic() string {
	fn, _ := intrinsic(v.node)
	return fn
}

// Literal returns the scalar text of a plain value, and false for an
// intrinsic function or a collection.
func (v Value) Literal() (string, bool) {
	if v.node == nil || v.node.Kind != yaml.ScalarNode || isCustomTag(v.node.Tag) {
		return "", false
	}
	return v.node.Value, true
}

// RefTarget returns the logical id a !Ref or !GetAtt points at ("Table" for
// !Ref Table, "ErpIngestQueue" for !GetAtt ErpIngestQueue.Arn), or "".
func (v Value) RefTarget() string {
	fn, arg := intrinsic(v.node)
	switch fn {
	case "Ref":
		if arg.Kind == yaml.ScalarNode {
			return arg.Value
		}
	case "Fn::GetAtt":
		if id, _, ok := getAttParts(arg); ok {
			return id
		}
	}
	return ""
}

// String renders the value for messages: the literal, or the intrinsic as
// written ("!Ref Table").
func (v Value) String() string {
	if v.node == nil {
		return ""
	}
	if s, ok := v.Literal(); ok {
		return s
	}
	out, err := yaml.Marshal(v.node)
	if err != nil {
		return fmt.Sprintf("<%s>", v.node.Tag)
	}
	return strings.TrimSpace(string(out))
}

// Resolve evaluates the value with r. Plain scalars resolve to themselves;
// !Ref, !GetAtt, !Sub, !Join and !Select are evaluated; any other function,
// or a reference r does not hold, is an error wrapping ErrUnresolved.
func (v Value) Resolve(r Resolver) (string, error) {
	if v.node == nil {
		return "", nil
	}
	return resolve(v.node, r)
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

func resolve(n *yaml.Node, r Resolver) (string, error) {
	if n.Kind == yaml.AliasNode {
		return resolve(n.Alias, r)
	}
	fn, arg := intrinsic(n)
	switch fn {
	case "":
		if n.Kind != yaml.ScalarNode {
			return "", fmt.Errorf("%w: a %s is not a string", ErrUnresolved, kindName(n.Kind))
		}
		return n.Value, nil
	case "Ref":
		if arg.Kind != yaml.ScalarNode {
			return "", fmt.Errorf("%w: !Ref needs a name", ErrUnresolved)
		}
		if s, ok := r[arg.Value]; ok {
			return s, nil
		}
		return "", fmt.Errorf("%w: !Ref %s", ErrUnresolved, arg.Value)
	case "Fn::GetAtt":
		id, attr, ok := getAttParts(arg)
		if !ok {
			return "", fmt.Errorf("%w: malformed !GetAtt", ErrUnresolved)
		}
		if s, ok := r[id+"."+attr]; ok {
			return s, nil
		}
		return "", fmt.Errorf("%w: !GetAtt %s.%s", ErrUnresolved, id, attr)
	case "Fn::Sub":
		return resolveSub(arg, r)
	case "Fn::Join":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
			return "", fmt.Errorf("%w: !Join needs [separator, list]", ErrUnresolved)
		}
		sep, err := resolve(arg.Content[0], r)
		if err != nil {
			return "", err
		}
		list := arg.Content[1]
		if list.Kind != yaml.SequenceNode {
			return "", fmt.Errorf("%w: !Join of a computed list", ErrUnresolved)
		}
		parts := make([]string, 0, len(list.Content))
		for _, p := range list.Content {
			s, err := resolve(p, r)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, sep), nil
	case "Fn::Select":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 || arg.Content[1].Kind != yaml.SequenceNode {
			return "", fmt.Errorf("%w: !Select needs [index, list]", ErrUnresolved)
		}
		idx, err := resolve(arg.Content[0], r)
		if err != nil {
			return "", err
		}
		var i int
		if _, err := fmt.Sscanf(idx, "%d", &i); err != nil || i < 0 || i >= len(arg.Content[1].Content) {
			return "", fmt.Errorf("%w: !Select index %q", ErrUnresolved, idx)
		}
		return resolve(arg.Content[1].Content[i], r)
	}
	return "", fmt.Errorf("%w: %s is not evaluated locally", ErrUnresolved, fn)
}

func resolveSub(arg *yaml.Node, r Resolver) (string, error) {
	text := arg
	vars := Resolver{}
	if arg.Kind == yaml.SequenceNode {
		if len(arg.Content) != 2 || arg.Content[1].Kind != yaml.MappingNode {
			return "", fmt.Errorf("%w: !Sub needs a string or [string, variables]", ErrUnresolved)
		}
		text = arg.Content[0]
		m := arg.Content[1]
		for i := 0; i+1 < len(m.Content); i += 2 {
			s, err := resolve(m.Content[i+1], r)
			if err != nil {
				return "", err
			}
			vars[m.Content[i].Value] = s
		}
	}
	if text.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("%w: !Sub template is not a string", ErrUnresolved)
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(text.Value, func(m string) string {
		name := m[2 : len(m)-1]
		if s, ok := vars[name]; ok {
			return s
		}
		if s, ok := r[name]; ok {
			return s
		}
		if firstErr == nil {
			firstErr = fmt.Errorf("%w: ${%s} in !Sub %q", ErrUnresolved, name, text.Value)
		}
		return m
	})
	if firstErr != nil {
		return "", firstErr
	}
	// ${!Literal} writes ${Literal}.
	return strings.ReplaceAll(out, "${!", "${"), nil
}

// intrinsic recognises both the short form (!Ref X) and the long form
// (Ref: X, Fn::GetAtt: [...]) and returns the function's full name and its
// argument.
func intrinsic(n *yaml.Node) (string, *yaml.Node) {
	if n == nil {
		return "", nil
	}
	if isCustomTag(n.Tag) {
		name := strings.TrimPrefix(n.Tag, "!")
		if name != "Ref" && name != "Condition" {
			name = "Fn::" + name
		}
		arg := *n
		arg.Tag = ""
		switch arg.Kind {
		case yaml.ScalarNode:
			arg.Tag = "!!str"
		case yaml.SequenceNode:
			arg.Tag = "!!seq"
		case yaml.MappingNode:
			arg.Tag = "!!map"
		}
		return name, &arg
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		k := n.Content[0].Value
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, n.Content[1]
		}
	}
	return "", nil
}

func isCustomTag(tag string) bool {
	return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!")
}

// getAttParts splits "Id.Attr" or [Id, Attr].
func getAttParts(arg *yaml.Node) (id, attr string, ok bool) {
	switch arg.Kind {
	case yaml.ScalarNode:
		id, attr, ok = strings.Cut(arg.Value, ".")
		return id, attr, ok && id != "" && attr != ""
	case yaml.SequenceNode:
		if len(arg.Content) == 2 && arg.Content[0].Kind == yaml.ScalarNode && arg.Content[1].Kind == yaml.ScalarNode {
			return arg.Content[0].Value, arg.Content[1].Value, true
		}
	}
	return "", "", false
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.DocumentNode:
		return "document"
	}
	return "value"
}
