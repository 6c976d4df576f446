package queues_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"switchboard/queues"
)

// declared reports whether a key built from parts (literal names, "<>" for an
// expression) is of a kind listed in queues.Kinds.
func declared(parts []string) bool {
	for _, k := range queues.Kinds {
		pat := strings.Split(k.Pattern, ":")
		if len(pat) != len(parts) {
			continue
		}
		ok := true
		for i, p := range pat {
			// A variable part may be given as a literal (presence:offline);
			// a literal part must be spelt as declared.
			if !strings.HasPrefix(p, "<") && p != parts[i] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// luaKeyCalls finds key(...) calls in a script and returns each as parts.
func luaKeyCalls(src string) [][]string {
	var out [][]string
	call := regexp.MustCompile(`(^|[^A-Za-z0-9_.])key\(`)
	for _, loc := range call.FindAllStringIndex(src, -1) {
		start := loc[1]
		depth, end := 1, start
		for ; end < len(src) && depth > 0; end++ {
			switch src[end] {
			case '(':
				depth++
			case ')':
				depth--
			}
		}
		args := src[start : end-1]
		if strings.HasSuffix(src[:loc[1]], "local function key(") {
			continue // the definition
		}
		var parts []string
		depth, from := 0, 0
		split := func(a string) {
			a = strings.TrimSpace(a)
			if m := regexp.MustCompile(`^'([A-Za-z_-]+)'$`).FindStringSubmatch(a); m != nil {
				parts = append(parts, m[1])
			} else {
				parts = append(parts, "<>")
			}
		}
		for i := 0; i < len(args); i++ {
			switch args[i] {
			case '(', '{', '[':
				depth++
			case ')', '}', ']':
				depth--
			case ',':
				if depth == 0 {
					split(args[from:i])
					from = i + 1
				}
			}
		}
		split(args[from:])
		out = append(out, parts)
	}
	return out
}

// Every key the scripts build is of a declared kind.
func TestScriptsBuildDeclaredKeys(t *testing.T) {
	files, err := filepath.Glob("lua/*.lua")
	if err != nil || len(files) == 0 {
		t.Fatalf("scripts: %v %v", files, err)
	}
	n := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, parts := range luaKeyCalls(string(src)) {
			n++
			if !declared(parts) {
				t.Errorf("%s builds key %s, of no kind listed in queues.Kinds", f, strings.Join(parts, ":"))
			}
		}
	}
	if n < 50 {
		t.Fatalf("found only %d key() calls: the scan is broken", n)
	}
}

// Go builds keys only in keys.go, of declared kinds; no other package spells
// a key.
func TestGoBuildsKeysInOnePlace(t *testing.T) {
	fset := token.NewFileSet()
	calls := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		owner := filepath.ToSlash(path) == "../queues/keys.go"
		ast.Inspect(file, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.BasicLit:
				if v, err := strconv.Unquote(x.Value); x.Kind == token.STRING && err == nil && strings.HasPrefix(v, "sb:") && !owner {
					t.Errorf("%s: key literal %q outside queues/keys.go", fset.Position(x.Pos()), v)
				}
			case *ast.CallExpr:
				sel, ok := x.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "key" || !strings.HasPrefix(filepath.ToSlash(path), "../queues/") {
					return true
				}
				if !owner {
					t.Errorf("%s: a key built outside queues/keys.go", fset.Position(x.Pos()))
					return true
				}
				calls++
				var parts []string
				for _, a := range x.Args {
					if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						parts = append(parts, v)
					} else {
						parts = append(parts, "<>")
					}
				}
				if !declared(parts) {
					t.Errorf("%s: key %s of no kind listed in queues.Kinds", fset.Position(x.Pos()), strings.Join(parts, ":"))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 20 {
		t.Fatalf("found only %d key builders in keys.go: the scan is broken", calls)
	}
}
