package erpfile

import (
	"os"
	"strings"
	"testing"

	"github.com/comptoir/comptoir/shared/erp"
)

// TestDocsListEveryColumn keeps docs/erp-files.md in step with the
// profiles: every kind has its section, with every column under both its
// Comptoir and its Sage 100 name.
func TestDocsListEveryColumn(t *testing.T) {
	raw, err := os.ReadFile("../../docs/erp-files.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for _, k := range erp.Kinds {
		start := strings.Index(doc, "### "+string(k)+" ")
		if start < 0 {
			t.Errorf("no section for kind %s", k)
			continue
		}
		section := doc[start+4:]
		if end := strings.Index(section, "\n### "); end >= 0 {
			section = section[:end]
		}
		for _, c := range specs[k].columns {
			name := "`" + c.name + "`"
			if strings.HasPrefix(c.name, namePrefix) {
				name = "`name.<lang>`"
			}
			if !strings.Contains(section, name) {
				t.Errorf("%s: column %s not documented", k, c.name)
			}
			if c.sage != "" && !strings.Contains(section, c.sage) {
				t.Errorf("%s: Sage column %s not documented", k, c.sage)
			}
		}
	}
}
