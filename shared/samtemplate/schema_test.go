package samtemplate_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	cfnschema "github.com/awslabs/goformation/v7/schema"
	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/comptoir/comptoir/shared/samtemplate"
)

// The published schemas (goformation v7's sam.schema.json and
// cloudformation.schema.json, pinned by go.sum) describe property values
// once CloudFormation has evaluated them: MemorySize is a number, TableName
// a string. A template holds intrinsic functions in those places, so before
// compiling, every property value's schema S becomes anyOf[S, intrinsic],
// where intrinsic accepts exactly one well-formed function call (Ref,
// Fn::GetAtt with [LogicalId, Attribute], Fn::Sub with a string or [string,
// variables]...). Everything else is the published schema unchanged:
// unknown properties, wrong types and unknown enum values still fail.

// intrinsicDefs are the long forms of the intrinsic functions, each an
// object with exactly one key and a checked argument.
func intrinsicDefs() map[string]any {
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/definitions/" + name} }
	str := map[string]any{"type": "string"}
	strOrFn := map[string]any{"anyOf": []any{str, ref("Intrinsic")}}
	anyValue := map[string]any{}
	call := func(key string, arg map[string]any) map[string]any {
		return map[string]any{
			"type": "object", "additionalProperties": false, "required": []any{key},
			"properties": map[string]any{key: arg},
		}
	}
	tuple := func(items ...any) map[string]any {
		return map[string]any{"type": "array", "items": items, "minItems": len(items), "maxItems": len(items), "additionalItems": false}
	}
	list := func(item any, minItems, maxItems int) map[string]any {
		return map[string]any{"type": "array", "items": item, "minItems": minItems, "maxItems": maxItems}
	}
	condition := ref("ConditionFunction")
	fns := map[string]map[string]any{
		"Ref":             call("Ref", map[string]any{"type": "string", "minLength": 1}),
		"Fn::GetAtt":      call("Fn::GetAtt", tuple(map[string]any{"type": "string", "pattern": "^[a-zA-Z0-9]+$"}, strOrFn)),
		"Fn::Sub":         call("Fn::Sub", map[string]any{"anyOf": []any{str, tuple(str, map[string]any{"type": "object", "additionalProperties": strOrFn})}}),
		"Fn::If":          call("Fn::If", tuple(str, anyValue, anyValue)),
		"Fn::Select":      call("Fn::Select", tuple(map[string]any{"anyOf": []any{map[string]any{"type": []any{"integer", "string"}}, ref("Intrinsic")}}, map[string]any{"anyOf": []any{map[string]any{"type": "array"}, ref("Intrinsic")}})),
		"Fn::Join":        call("Fn::Join", tuple(str, map[string]any{"anyOf": []any{map[string]any{"type": "array"}, ref("Intrinsic")}})),
		"Fn::Split":       call("Fn::Split", tuple(str, strOrFn)),
		"Fn::FindInMap":   call("Fn::FindInMap", list(strOrFn, 3, 3)),
		"Fn::Cidr":        call("Fn::Cidr", tuple(strOrFn, map[string]any{"anyOf": []any{map[string]any{"type": []any{"integer", "string"}}, ref("Intrinsic")}}, map[string]any{"anyOf": []any{map[string]any{"type": []any{"integer", "string"}}, ref("Intrinsic")}})),
		"Fn::Base64":      call("Fn::Base64", strOrFn),
		"Fn::ImportValue": call("Fn::ImportValue", strOrFn),
		"Fn::GetAZs":      call("Fn::GetAZs", strOrFn),
		"Fn::Equals":      call("Fn::Equals", tuple(anyValue, anyValue)),
		"Fn::Not":         call("Fn::Not", tuple(condition)),
		"Fn::And":         call("Fn::And", list(condition, 2, 10)),
		"Fn::Or":          call("Fn::Or", list(condition, 2, 10)),
		"Condition":       call("Condition", str),
	}
	defs := map[string]any{}
	var all []any
	for name, s := range fns {
		defs["Intrinsic."+name] = s
		all = append(all, ref("Intrinsic."+name))
	}
	defs["Intrinsic"] = map[string]any{"anyOf": all}
	defs["ConditionFunction"] = map[string]any{"anyOf": []any{
		ref("Intrinsic.Fn::Equals"), ref("Intrinsic.Fn::Not"), ref("Intrinsic.Fn::And"), ref("Intrinsic.Fn::Or"), ref("Intrinsic.Condition"),
	}}
	return defs
}

// sqsEventGap are the properties of a function's SQS event source that SAM
// documents (AWS::Serverless::Function SQS: FilterCriteria,
// FunctionResponseTypes, KmsKeyArn, MaximumBatchingWindowInSeconds,
// MetricsConfig, ScalingConfig) and goformation's sam.schema.json lacks,
// typed as SAM documents them.
var sqsEventGap = map[string]any{
	"FilterCriteria":                 map[string]any{"type": "object"},
	"FunctionResponseTypes":          map[string]any{"type": "array", "items": map[string]any{"enum": []any{"ReportBatchItemFailures"}}},
	"KmsKeyArn":                      map[string]any{"type": "string"},
	"MaximumBatchingWindowInSeconds": map[string]any{"type": "integer", "minimum": 0, "maximum": 300},
	"MetricsConfig":                  map[string]any{"type": "object"},
	"ScalingConfig": map[string]any{
		"type": "object", "additionalProperties": false,
		"properties": map[string]any{"MaximumConcurrency": map[string]any{"type": "integer", "minimum": 2, "maximum": 1000}},
	},
}

// dynamoDBEventGap are the properties of a function's DynamoDB stream
// event source that SAM documents (AWS::Serverless::Function DynamoDB:
// FilterCriteria, FunctionResponseTypes, KmsKeyArn, MetricsConfig,
// StartingPositionTimestamp, TumblingWindowInSeconds) and goformation's
// sam.schema.json lacks, typed as SAM documents them.
var dynamoDBEventGap = map[string]any{
	"FilterCriteria":            map[string]any{"type": "object"},
	"FunctionResponseTypes":     map[string]any{"type": "array", "items": map[string]any{"enum": []any{"ReportBatchItemFailures"}}},
	"KmsKeyArn":                 map[string]any{"type": "string"},
	"MetricsConfig":             map[string]any{"type": "object"},
	"StartingPositionTimestamp": map[string]any{"type": "number"},
	"TumblingWindowInSeconds":   map[string]any{"type": "integer", "minimum": 0, "maximum": 900},
}

// parameterNumbers are the parameter attributes CloudFormation documents as
// numbers (MinLength: 1, MaxValue: 100, Default: 5 of a Number) while
// goformation's schema only accepts strings: both are accepted.
var parameterNumbers = []string{"Default", "MinLength", "MaxLength", "MinValue", "MaxValue"}

// orIntrinsic returns anyOf[s, intrinsic], with the value positions inside
// s (properties, pattern properties, additional properties, items)
// rewritten the same way.
func orIntrinsic(s any) any {
	m, ok := s.(map[string]any)
	if !ok {
		return s
	}
	acceptIntrinsicsInside(m)
	return map[string]any{"anyOf": []any{m, map[string]any{"$ref": "#/definitions/Intrinsic"}}}
}

// acceptIntrinsicsInside rewrites the value positions inside schema m.
func acceptIntrinsicsInside(m map[string]any) {
	for _, key := range []string{"properties", "patternProperties"} {
		if props, ok := m[key].(map[string]any); ok {
			for name, p := range props {
				props[name] = orIntrinsic(p)
			}
		}
	}
	if ap, ok := m["additionalProperties"].(map[string]any); ok {
		m["additionalProperties"] = orIntrinsic(ap)
	}
	switch items := m["items"].(type) {
	case map[string]any:
		m["items"] = orIntrinsic(items)
	case []any:
		for i, it := range items {
			items[i] = orIntrinsic(it)
		}
	}
	for _, key := range []string{"anyOf", "oneOf", "allOf"} {
		if alts, ok := m[key].([]any); ok {
			for _, a := range alts {
				if am, ok := a.(map[string]any); ok {
					acceptIntrinsicsInside(am)
				}
			}
		}
	}
}

// templateSchema returns a published schema made to accept intrinsic
// functions where CloudFormation evaluates them: inside every resource's
// Properties, every property type, Globals, and condition functions in
// Conditions.
func templateSchema(published string) ([]byte, error) {
	var s map[string]any
	if err := json.Unmarshal([]byte(published), &s); err != nil {
		return nil, err
	}
	// The published files carry the draft's own URL as $id; they are
	// draft-04 schemas.
	delete(s, "$id")
	s["$schema"] = "http://json-schema.org/draft-04/schema#"
	defs := s["definitions"].(map[string]any)
	if sqs, ok := defs["AWS::Serverless::Function.SQSEvent"].(map[string]any); ok {
		props := sqs["properties"].(map[string]any)
		for name, p := range sqsEventGap {
			props[name] = p
		}
	}
	if ddb, ok := defs["AWS::Serverless::Function.DynamoDBEvent"].(map[string]any); ok {
		props := ddb["properties"].(map[string]any)
		for name, p := range dynamoDBEventGap {
			props[name] = p
		}
	}
	if param, ok := defs["Parameter"].(map[string]any); ok {
		props := param["properties"].(map[string]any)
		for _, name := range parameterNumbers {
			props[name] = map[string]any{"type": []any{"string", "number"}}
		}
	}
	for name, d := range defs {
		dm := d.(map[string]any)
		if name == "Parameter" {
			continue
		}
		props, _ := dm["properties"].(map[string]any)
		// A resource's Type is the enum of its type name; a property type
		// may have a plain Type property too (a destination's "SQS").
		typ, _ := props["Type"].(map[string]any)
		if _, isResource := typ["enum"]; isResource {
			if p, ok := props["Properties"].(map[string]any); ok {
				acceptIntrinsicsInside(p)
			}
			continue
		}
		acceptIntrinsicsInside(dm)
	}
	for name, d := range intrinsicDefs() {
		defs[name] = d
	}
	rootProps := s["properties"].(map[string]any)
	if g, ok := rootProps["Globals"].(map[string]any); ok {
		for _, section := range g["properties"].(map[string]any) {
			acceptIntrinsicsInside(section.(map[string]any))
		}
	}
	// Each resource is checked against its own type's definition (see
	// checkTemplate), which is what the published anyOf over every type
	// amounts to, Type being an enum in each; the whole template is then
	// checked with Resources as objects, instead of trying each of the
	// thousand types on each resource.
	if r, ok := rootProps["Resources"].(map[string]any); ok {
		r["patternProperties"] = map[string]any{"^[a-zA-Z0-9]+$": map[string]any{"type": "object", "required": []any{"Type"}}}
	}
	if c, ok := rootProps["Conditions"].(map[string]any); ok {
		c["patternProperties"] = map[string]any{"^[a-zA-Z0-9]+$": map[string]any{"$ref": "#/definitions/ConditionFunction"}}
	}
	return json.Marshal(s)
}

// schemas are the two published schemas compiled once: the whole SAM
// template against sam.schema.json, and each resource against its type's
// definition (CloudFormation's own types also in cloudformation.schema.json).
type schemas struct {
	sam       *jsonschema.Schema
	compiler  *jsonschema.Compiler
	mu        sync.Mutex
	resources map[string]*jsonschema.Schema
}

const (
	samURL = "file:///goformation/sam.schema.json"
	cfnURL = "file:///goformation/cloudformation.schema.json"
)

var compiled = sync.OnceValues(func() (*schemas, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft4
	for url, published := range map[string]string{samURL: cfnschema.SamSchema, cfnURL: cfnschema.CloudformationSchema} {
		s, err := templateSchema(published)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", url, err)
		}
		if err := c.AddResource(url, bytes.NewReader(s)); err != nil {
			return nil, fmt.Errorf("%s: %w", url, err)
		}
	}
	sam, err := c.Compile(samURL)
	if err != nil {
		return nil, err
	}
	return &schemas{sam: sam, compiler: c, resources: map[string]*jsonschema.Schema{}}, nil
})

// definition compiles the definition of a resource type in the schema at
// url; nil when the schema does not define that type.
func (s *schemas) definition(url, typ string) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := url + "#/definitions/" + typ
	if d, ok := s.resources[key]; ok {
		return d, nil
	}
	d, err := s.compiler.Compile(key)
	if err != nil && strings.Contains(err.Error(), "not found") {
		d, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.resources[key] = d
	return d, nil
}

// checkTemplate checks a template's source against the published schemas
// and checks that every reference names something the template declares.
// It returns every problem found, one per line.
func checkTemplate(src []byte) error {
	tpl, err := samtemplate.JSON(src)
	if err != nil {
		return err
	}
	// Numbers as json.Number, as the validator expects.
	raw, err := json.Marshal(tpl)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return err
	}
	sc, err := compiled()
	if err != nil {
		return fmt.Errorf("compile the published schemas: %w", err)
	}
	var problems []string
	// Each resource against its own type first: a precise message.
	resources, _ := doc["Resources"].(map[string]any)
	for _, id := range sortedKeys(resources) {
		res, _ := resources[id].(map[string]any)
		typ, _ := res["Type"].(string)
		urls := []string{samURL}
		if !strings.HasPrefix(typ, "AWS::Serverless::") {
			urls = append(urls, cfnURL)
		}
		for _, url := range urls {
			d, err := sc.definition(url, typ)
			if err != nil {
				return err
			}
			if d == nil {
				problems = append(problems, fmt.Sprintf("Resources/%s: type %q is not in %s", id, typ, filepath.Base(url)))
				continue
			}
			if err := d.Validate(res); err != nil {
				problems = append(problems, leaves(err, "/Resources/"+id, filepath.Base(url))...)
			}
		}
	}
	// Then the whole template, which also covers Globals, Parameters,
	// Conditions and Outputs.
	if len(problems) == 0 {
		if err := sc.sam.Validate(doc); err != nil {
			problems = append(problems, leaves(err, "", filepath.Base(samURL))...)
		}
	}
	problems = append(problems, checkReferences(doc)...)
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// leaves lists the deepest causes of a validation error, those of the
// branch that went deepest into the value when alternatives (anyOf)
// failed, prefixed with where the value is.
func leaves(err error, prefix, schemaName string) []string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []string{prefix + ": " + err.Error()}
	}
	var out []string
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, fmt.Sprintf("%s%s: %s (%s)", prefix, e.InstanceLocation, e.Message, schemaName))
			return
		}
		// Of alternatives (anyOf), follow those that reached deepest into
		// the value and, among them, those with the fewest problems: the
		// branch meant for that value.
		causes := e.Causes
		if strings.HasSuffix(e.KeywordLocation, "/anyOf") || strings.HasSuffix(e.KeywordLocation, "/oneOf") {
			deepest, fewest := 0, int(^uint(0)>>1)
			for _, c := range causes {
				deepest = max(deepest, depth(c))
			}
			for _, c := range causes {
				if depth(c) == deepest {
					fewest = min(fewest, count(c))
				}
			}
			causes = slices.DeleteFunc(slices.Clone(causes), func(c *jsonschema.ValidationError) bool {
				return depth(c) != deepest || count(c) != fewest
			})
		}
		for _, c := range causes {
			walk(c)
		}
	}
	walk(ve)
	slices.Sort(out)
	return slices.Compact(out)
}

// count is the number of leaf problems under e.
func count(e *jsonschema.ValidationError) int {
	if len(e.Causes) == 0 {
		return 1
	}
	n := 0
	for _, c := range e.Causes {
		n += count(c)
	}
	return n
}

// depth is how deep into the value the problems under e lie.
func depth(e *jsonschema.ValidationError) int {
	d := strings.Count(e.InstanceLocation, "/")
	for _, c := range e.Causes {
		d = max(d, depth(c))
	}
	return d
}

var pseudoParameters = map[string]bool{
	"AWS::AccountId": true, "AWS::NotificationARNs": true, "AWS::NoValue": true, "AWS::Partition": true,
	"AWS::Region": true, "AWS::StackId": true, "AWS::StackName": true, "AWS::URLSuffix": true,
}

var subVariable = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// checkReferences reports every Ref, Fn::GetAtt, Fn::Sub variable,
// condition name and DependsOn that names nothing the template declares.
func checkReferences(doc map[string]any) []string {
	params, _ := doc["Parameters"].(map[string]any)
	resources, _ := doc["Resources"].(map[string]any)
	conditions, _ := doc["Conditions"].(map[string]any)
	var problems []string
	report := func(at, format string, args ...any) {
		problems = append(problems, at+": "+fmt.Sprintf(format, args...))
	}
	refOK := func(name string) bool {
		_, p := params[name]
		_, r := resources[name]
		return p || r || pseudoParameters[name]
	}
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case []any:
			for i, e := range v {
				walk(e, fmt.Sprintf("%s/%d", at, i))
			}
		case map[string]any:
			if len(v) == 1 {
				for k, arg := range v {
					switch k {
					case "Ref":
						if name, ok := arg.(string); ok && !refOK(name) {
							report(at, "Ref %s names no parameter or resource", name)
						}
					case "Fn::GetAtt":
						if a, ok := arg.([]any); ok && len(a) == 2 {
							if id, ok := a[0].(string); ok {
								if _, ok := resources[id]; !ok {
									report(at, "Fn::GetAtt %s names no resource", id)
								}
							}
						}
					case "Fn::Sub":
						text, vars := arg, map[string]bool{}
						if a, ok := arg.([]any); ok && len(a) == 2 {
							text = a[0]
							if m, ok := a[1].(map[string]any); ok {
								for name := range m {
									vars[name] = true
								}
								walk(a[1], at+"/Fn::Sub/1")
							}
						}
						if s, ok := text.(string); ok {
							for _, m := range subVariable.FindAllStringSubmatch(s, -1) {
								name, _, _ := strings.Cut(m[1], ".")
								if strings.Contains(m[1], ".") && !strings.HasPrefix(m[1], "AWS::") {
									if _, ok := resources[name]; !ok {
										report(at, "Fn::Sub variable ${%s} names no resource", m[1])
									}
								} else if !vars[m[1]] && !refOK(m[1]) {
									report(at, "Fn::Sub variable ${%s} names no parameter or resource", m[1])
								}
							}
						}
						return
					case "Condition":
						if name, ok := arg.(string); ok && at != "" {
							if _, ok := conditions[name]; !ok {
								report(at, "condition %s is not declared", name)
							}
						}
					case "Fn::If":
						if a, ok := arg.([]any); ok && len(a) > 0 {
							if name, ok := a[0].(string); ok {
								if _, ok := conditions[name]; !ok {
									report(at, "Fn::If condition %s is not declared", name)
								}
							}
						}
					}
				}
			}
			for _, k := range sortedKeys(v) {
				walk(v[k], at+"/"+k)
			}
		}
	}
	for _, id := range sortedKeys(resources) {
		res, _ := resources[id].(map[string]any)
		at := "/Resources/" + id
		if c, ok := res["Condition"].(string); ok {
			if _, ok := conditions[c]; !ok {
				report(at, "condition %s is not declared", c)
			}
		}
		var deps []any
		switch d := res["DependsOn"].(type) {
		case string:
			deps = []any{d}
		case []any:
			deps = d
		}
		for _, d := range deps {
			if name, _ := d.(string); resources[name] == nil {
				report(at, "DependsOn %v names no resource", d)
			}
		}
		walk(res["Properties"], at+"/Properties")
		walk(res["Metadata"], at+"/Metadata")
	}
	for _, section := range []string{"Globals", "Conditions", "Outputs"} {
		walk(doc[section], "/"+section)
	}
	return problems
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func readTemplate(t *testing.T) []byte {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestTemplate_ValidAgainstThePublishedSAMAndCloudFormationSchemas(t *testing.T) {
	t.Parallel()
	if err := checkTemplate(readTemplate(t)); err != nil {
		t.Fatalf("template.yaml:\n%v", err)
	}
}

// TestSchemaCheck_RejectsBrokenTemplates breaks a copy of template.yaml in
// one place at a time: the check must fail and name the place.
func TestSchemaCheck_RejectsBrokenTemplates(t *testing.T) {
	t.Parallel()
	src := string(readTemplate(t))
	tests := []struct {
		name      string
		old, new  string
		wantInErr string
	}{
		{
			name:      "unknown property on a function",
			old:       "      CodeUri: functions/catalog/\n",
			new:       "      CodeUri: functions/catalog/\n      Colour: blue\n",
			wantInErr: "/Resources/CatalogFunction/Properties: additionalProperties 'Colour' not allowed",
		},
		{
			name:      "wrong type",
			old:       "      CodeUri: functions/pricing/\n",
			new:       "      CodeUri: functions/pricing/\n      MemorySize: lots\n",
			wantInErr: "/Resources/PricingFunction/Properties/MemorySize: expected number",
		},
		{
			name:      "unknown property of a nested event source",
			old:       "            BatchSize: 25\n",
			new:       "            Batchsize: 25\n",
			wantInErr: "/Resources/StockUpdateFunction/Properties/Events/Movements/Properties: additionalProperties 'Batchsize' not allowed",
		},
		{
			name:      "wrong type on a CloudFormation resource",
			old:       "      BillingMode: PAY_PER_REQUEST\n",
			new:       "      BillingMode: PAY_PER_REQUEST\n      TableClass: 7\n",
			wantInErr: "/Resources/Table/Properties/TableClass: expected string, but got number (cloudformation.schema.json)",
		},
		{
			name:      "unknown resource type",
			old:       "    Type: AWS::SNS::Topic\n",
			new:       "    Type: AWS::SNS::Topik\n",
			wantInErr: `Resources/AlarmTopic: type "AWS::SNS::Topik"`,
		},
		{
			name:      "GetAtt without an attribute",
			old:       "Queue: !GetAtt ErpIngestQueue.Arn",
			new:       "Queue: !GetAtt [ErpIngestQueue]",
			wantInErr: "/Resources/ErpBucket/Properties/NotificationConfiguration/QueueConfigurations/0/Queue",
		},
		{
			name:      "Sub with three arguments",
			old:       "UserPoolName: !Sub ${AWS::StackName}-users",
			new:       "UserPoolName: !Sub [a, {}, b]",
			wantInErr: "/Resources/UserPool/Properties/UserPoolName",
		},
		{
			name:      "Equals with one operand in a condition",
			old:       `CreateAlarmTopic: !Equals [!Ref AlarmTopicArn, ""]`,
			new:       `CreateAlarmTopic: !Equals [!Ref AlarmTopicArn]`,
			wantInErr: "/Conditions/CreateAlarmTopic",
		},
		{
			name:      "Ref to nothing",
			old:       "TABLE_NAME: !Ref Table",
			new:       "TABLE_NAME: !Ref Tabel",
			wantInErr: "Ref Tabel names no parameter or resource",
		},
		{
			name:      "Sub variable naming nothing",
			old:       "UserPoolName: !Sub ${AWS::StackName}-users",
			new:       "UserPoolName: !Sub ${StackName}-users",
			wantInErr: "${StackName} names no parameter or resource",
		},
		{
			name:      "undeclared condition",
			old:       "    Condition: SubscribeAlarmEmail\n",
			new:       "    Condition: SubscribeAlarmMail\n",
			wantInErr: "condition SubscribeAlarmMail is not declared",
		},
		{
			name:      "parameter of an unknown type",
			old:       "  AlarmEmail:\n    Type: String\n",
			new:       "  AlarmEmail:\n    Type: Email\n",
			wantInErr: "/Parameters/AlarmEmail/Type",
		},
		{
			name:      "wrong type in Globals",
			old:       "    Timeout: 10\n",
			new:       "    Timeout: [10]\n",
			wantInErr: "/Globals/Function/Timeout: expected number",
		},
		{
			name:      "unknown short-form tag",
			old:       "TABLE_NAME: !Ref Table",
			new:       "TABLE_NAME: !Reference Table",
			wantInErr: "unknown tag !Reference",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if strings.Count(src, tt.old) < 1 {
				t.Fatalf("template.yaml no longer holds %q: update the test", tt.old)
			}
			broken := strings.Replace(src, tt.old, tt.new, 1)
			err := checkTemplate([]byte(broken))
			if err == nil {
				t.Fatal("the broken template passes")
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error does not name %q:\n%v", tt.wantInErr, err)
			}
		})
	}
}
