package samtemplate_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/comptoir/comptoir/shared/samtemplate"
)

func TestJSON_TurnsShortFormsIntoLongForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		yaml string
		want string
	}{
		{"v: !Ref Table", `{"Ref":"Table"}`},
		{"v: !GetAtt Queue.Arn", `{"Fn::GetAtt":["Queue","Arn"]}`},
		{"v: !GetAtt Db.Endpoint.Address", `{"Fn::GetAtt":["Db","Endpoint.Address"]}`},
		{"v: !GetAtt [Queue, Arn]", `{"Fn::GetAtt":["Queue","Arn"]}`},
		{"v: !Sub ${AWS::StackName}-users", `{"Fn::Sub":"${AWS::StackName}-users"}`},
		{"v: !Sub [\"${A}-x\", {A: !Ref B}]", `{"Fn::Sub":["${A}-x",{"A":{"Ref":"B"}}]}`},
		{"v: !If [C, !Ref A, !Ref AWS::NoValue]", `{"Fn::If":["C",{"Ref":"A"},{"Ref":"AWS::NoValue"}]}`},
		{"v: !Equals [!Ref P, \"\"]", `{"Fn::Equals":[{"Ref":"P"},""]}`},
		{"v: !Not [!Equals [a, b]]", `{"Fn::Not":[{"Fn::Equals":["a","b"]}]}`},
		{"v: !And [!Condition A, !Condition B]", `{"Fn::And":[{"Condition":"A"},{"Condition":"B"}]}`},
		{"v: !Or [!Condition A, !Condition B]", `{"Fn::Or":[{"Condition":"A"},{"Condition":"B"}]}`},
		{"v: !Select [0, !GetAZs '']", `{"Fn::Select":[0,{"Fn::GetAZs":""}]}`},
		{"v: !Join [',', [a, b]]", `{"Fn::Join":[",",["a","b"]]}`},
		{"v: !Split [',', !Ref L]", `{"Fn::Split":[",",{"Ref":"L"}]}`},
		{"v: !FindInMap [M, !Ref AWS::Region, K]", `{"Fn::FindInMap":["M",{"Ref":"AWS::Region"},"K"]}`},
		{"v: !Base64 hello", `{"Fn::Base64":"hello"}`},
		{"v: !ImportValue shared-vpc", `{"Fn::ImportValue":"shared-vpc"}`},
		{"v: !ImportValue {\"Fn::Sub\": \"${Net}-vpc\"}", `{"Fn::ImportValue":{"Fn::Sub":"${Net}-vpc"}}`},
		{"v: !GetAZs eu-west-3", `{"Fn::GetAZs":"eu-west-3"}`},
		{"v: !Cidr [10.0.0.0/16, 4, 8]", `{"Fn::Cidr":["10.0.0.0/16",4,8]}`},
		{"v: {Ref: Table}", `{"Ref":"Table"}`},
		{"v: [1, 2.5, true, null, \"7\", 2010-09-09]", `[1,2.5,true,null,"7","2010-09-09"]`},
	}
	for _, tt := range tests {
		got, err := samtemplate.JSON([]byte(tt.yaml))
		if err != nil {
			t.Errorf("%s: %v", tt.yaml, err)
			continue
		}
		b, err := json.Marshal(got["v"])
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.yaml, b, tt.want)
		}
	}
}

func TestJSON_RejectsWhatCloudFormationCannotRead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		yaml, want string
	}{
		{"v: !Reference Table", "line 1: unknown tag !Reference"},
		{"v: !Ref [a, b]", "line 1: !Ref does not take a sequence"},
		{"v: !If C", "line 1: !If does not take a value"},
		{"v: !GetAtt Queue", `line 1: !GetAtt "Queue" is not LogicalId.Attribute`},
		{"a: &x 1\nb: *x", "line 2: aliases are not part of CloudFormation templates"},
		{"a: 1\na: 2", "duplicate key"},
		{"- 1", "not a mapping"},
	}
	for _, tt := range tests {
		_, err := samtemplate.JSON([]byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want one containing %q", tt.yaml, err, tt.want)
		}
	}
}
