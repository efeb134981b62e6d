package samtemplate

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// shortForms maps each short-form tag CloudFormation's YAML accepts to its
// long-form key and the YAML kinds its argument may take.
var shortForms = map[string]struct {
	key   string
	kinds []yaml.Kind
}{
	"!Ref":         {"Ref", []yaml.Kind{yaml.ScalarNode}},
	"!Condition":   {"Condition", []yaml.Kind{yaml.ScalarNode}},
	"!GetAtt":      {"Fn::GetAtt", []yaml.Kind{yaml.ScalarNode, yaml.SequenceNode}},
	"!Sub":         {"Fn::Sub", []yaml.Kind{yaml.ScalarNode, yaml.SequenceNode}},
	"!If":          {"Fn::If", []yaml.Kind{yaml.SequenceNode}},
	"!Equals":      {"Fn::Equals", []yaml.Kind{yaml.SequenceNode}},
	"!Not":         {"Fn::Not", []yaml.Kind{yaml.SequenceNode}},
	"!And":         {"Fn::And", []yaml.Kind{yaml.SequenceNode}},
	"!Or":          {"Fn::Or", []yaml.Kind{yaml.SequenceNode}},
	"!Select":      {"Fn::Select", []yaml.Kind{yaml.SequenceNode}},
	"!Join":        {"Fn::Join", []yaml.Kind{yaml.SequenceNode}},
	"!Split":       {"Fn::Split", []yaml.Kind{yaml.SequenceNode}},
	"!FindInMap":   {"Fn::FindInMap", []yaml.Kind{yaml.SequenceNode}},
	"!Cidr":        {"Fn::Cidr", []yaml.Kind{yaml.SequenceNode}},
	"!Base64":      {"Fn::Base64", []yaml.Kind{yaml.ScalarNode, yaml.MappingNode}},
	"!ImportValue": {"Fn::ImportValue", []yaml.Kind{yaml.ScalarNode, yaml.MappingNode}},
	"!GetAZs":      {"Fn::GetAZs", []yaml.Kind{yaml.ScalarNode, yaml.MappingNode}},
}

// JSON returns the template as CloudFormation reads its JSON form: mappings
// become map[string]any, sequences []any, scalars string, int, float64,
// bool or nil, and every short-form intrinsic function becomes its long
// form: !Ref X is {"Ref": "X"}, !GetAtt Id.Attr (or [Id, Attr]) is
// {"Fn::GetAtt": ["Id", "Attr"]}, !Sub s is {"Fn::Sub": s}, and so on for
// !If, !Equals, !Not, !And, !Or, !Condition, !Select, !Join, !Split,
// !FindInMap, !Cidr, !Base64, !ImportValue and !GetAZs. An unknown tag, a
// tag on an argument of the wrong kind, an alias or a merge key is an error
// naming its line.
func JSON(src []byte) (map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse template: not a mapping")
	}
	v, err := toJSON(doc.Content[0])
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

func toJSON(n *yaml.Node) (any, error) {
	if n.Kind == yaml.AliasNode {
		return nil, fmt.Errorf("line %d: aliases are not part of CloudFormation templates", n.Line)
	}
	if isCustomTag(n.Tag) {
		return intrinsicJSON(n)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || isCustomTag(k.Tag) || k.Tag == "!!merge" {
				return nil, fmt.Errorf("line %d: a key must be a plain string", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
			}
			v, err := toJSON(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := toJSON(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		if n.Tag == "!!timestamp" {
			// CloudFormation reads an unquoted date (2010-09-09) as a string.
			return n.Value, nil
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("line %d: unexpected %s", n.Line, kindName(n.Kind))
}

// intrinsicJSON converts a short-form function to its long form.
func intrinsicJSON(n *yaml.Node) (any, error) {
	form, ok := shortForms[n.Tag]
	if !ok {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	kindOK := false
	for _, k := range form.kinds {
		kindOK = kindOK || n.Kind == k
	}
	if !kindOK {
		return nil, fmt.Errorf("line %d: %s does not take a %s", n.Line, n.Tag, kindName(n.Kind))
	}
	arg := *n
	arg.Tag = map[yaml.Kind]string{yaml.ScalarNode: "!!str", yaml.SequenceNode: "!!seq", yaml.MappingNode: "!!map"}[n.Kind]
	if n.Tag == "!GetAtt" && n.Kind == yaml.ScalarNode {
		// !GetAtt Id.Attr splits at the first dot: the attribute may hold
		// dots itself (Endpoint.Address).
		id, attr, ok := strings.Cut(n.Value, ".")
		if !ok || id == "" || attr == "" {
			return nil, fmt.Errorf("line %d: !GetAtt %q is not LogicalId.Attribute", n.Line, n.Value)
		}
		return map[string]any{form.key: []any{id, attr}}, nil
	}
	v, err := toJSON(&arg)
	if err != nil {
		return nil, err
	}
	return map[string]any{form.key: v}, nil
}
