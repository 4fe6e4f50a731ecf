package server

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRedactSecrets(t *testing.T) {
	var v map[string]any
	in := `{"user_identifier": "db", "auth_string": "{\"password\":\"p1\"}", "configuration": {"host": "h", "Password": "p2",
		"nested": [{"access_token": "p3"}], "url": "postgresql://u:p4@h/db", "port": 5432}, "selected": true}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	redactSecrets(v)
	out, _ := json.Marshal(v)
	for _, secret := range []string{"p1", "p2", "p3", "p4"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("%s survived redaction: %s", secret, out)
		}
	}
	for _, kept := range []string{`"user_identifier":"db"`, `"host":"h"`, `"port":5432`, `"selected":true`} {
		if !strings.Contains(string(out), kept) {
			t.Errorf("%s was removed: %s", kept, out)
		}
	}
}
