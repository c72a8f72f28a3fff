package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"cuelang.org/go/cue"
)

// TestStandardLibrary checks that every package of CUE's standard library that cuelang.org/go registers
// (its pkg/register.go) is available to definitions, except the tool/* packages, which context.go leaves out
// on purpose. A CUE upgrade that adds a package fails here until context.go imports it too.
func TestStandardLibrary(t *testing.T) {
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "cuelang.org/go").Output()
	if err != nil {
		t.Fatalf("go list -m cuelang.org/go: %v", err)
	}
	register, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), "pkg", "register.go"))
	if err != nil {
		t.Fatal(err)
	}
	imports := regexp.MustCompile(`_ "cuelang.org/go/pkg/([^"]+)"`).FindAllStringSubmatch(string(register), -1)
	if len(imports) < 20 {
		t.Fatalf("found %d packages in pkg/register.go; its format changed", len(imports))
	}
	available := 0
	for _, m := range imports {
		path := m[1]
		src := "import \"" + path + "\"\n"
		v := cueCtx.CompileString(src, cue.Filename(cueFilename(path)))
		undefined := v.Err() != nil && strings.Contains(v.Err().Error(), "undefined")
		switch tool := path == "tool" || strings.HasPrefix(path, "tool/"); {
		case tool && !undefined:
			t.Errorf("%s is available, but context.go means to leave the tool/* packages out", path)
		case !tool && undefined:
			t.Errorf("%s is not available to definitions: import it in context.go (%v)", path, v.Err())
		case !tool:
			available++
		}
	}
	t.Logf("%d packages available, tool/* left out", available)
}

func cueFilename(path string) string { return strings.ReplaceAll(path, "/", "_") + ".cue" }
