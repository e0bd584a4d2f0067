package store

import (
	"strings"
	"testing"
)

// A libpq key=value connection string is refused, never taken as a file name (which would
// create a file named after the password), and its password is masked in the message.
func TestKeywordDSNRefusedWithPasswordMasked(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, dsn := range []string{"host=db.example password=KVPASS dbname=nmaudit", "password='KV PASS' host=x", "dbname=nmaudit user=u password=KVPASS"} {
		_, err := Open(dsn, Options{})
		if err == nil {
			t.Fatalf("Open(%q) = nil error", dsn)
		}
		if msg := err.Error(); strings.Contains(msg, "KVPASS") || strings.Contains(msg, "KV PASS") || !strings.Contains(msg, "postgres://") {
			t.Errorf("Open(%q): %s — want the password masked and the postgres:// form named", dsn, msg)
		}
	}
	if got := Redact("host=x password=KVPASS"); strings.Contains(got, "KVPASS") {
		t.Errorf("Redact = %q", got)
	}
	if got := Redact("/data/nmaudit.db"); got != "/data/nmaudit.db" {
		t.Errorf("Redact(file) = %q", got)
	}
}
