package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
)

// template is one loaded definition template.
type template struct {
	file     *ast.File
	body     []ast.Decl // the template's own declarations
	root     cue.Path   // where the template sits in the compiled file
	value    cue.Value
	compiled bool
	problems []Problem
	// contextFields are the `context.X` fields the template refers to; nil
	// means it uses `context` as a whole (everything is injected).
	contextFields map[string]bool
}

var (
	cueCtx    = newContext()
	mu        sync.Mutex
	templates = map[int]*template{}
	nextID    = 1
)

type loadRequest struct {
	Filename string `json:"filename"`
	Source   string `json:"source"`
	// Format is "definition" for KubeVela's `<name>: {...}` + `template: {...}`
	// file format, or "template" for a bare template (a CR's schematic.cue.template).
	Format string `json:"format"`
}

type loadResponse struct {
	ID int `json:"id,omitempty"`
	// ContextFields are the context fields the template selects (null: all).
	ContextFields []string        `json:"contextFields"`
	Name          string          `json:"name,omitempty"`
	Meta          json.RawMessage `json:"meta,omitempty"`
	Problems      []Problem       `json:"problems"`
}

func handleLoad(raw []byte) (any, error) {
	var req loadRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	f, err := parser.ParseFile(req.Filename, req.Source, parser.ParseComments)
	if err != nil {
		return loadResponse{Problems: problemsOf(err, "syntax")}, nil
	}
	t := &template{file: f, root: cue.MakePath()}
	resp := loadResponse{Problems: []Problem{}}
	if req.Format == "definition" {
		if err := splitDefinitionFile(t, &resp); err != nil {
			return nil, err
		}
		if len(resp.Problems) > 0 {
			return resp, nil
		}
	} else {
		for _, d := range f.Decls {
			if _, ok := d.(*ast.ImportDecl); !ok {
				t.body = append(t.body, d)
			}
		}
	}
	t.contextFields = contextReferences(t.body)
	if t.contextFields != nil {
		resp.ContextFields = []string{}
		for k := range t.contextFields {
			resp.ContextFields = append(resp.ContextFields, k)
		}
		sort.Strings(resp.ContextFields)
	}
	mu.Lock()
	resp.ID = nextID
	templates[nextID] = t
	nextID++
	mu.Unlock()
	return resp, nil
}

// splitDefinitionFile finds the `template` field and the one metadata field
// (the definition's name) at the top of a definition file.
func splitDefinitionFile(t *template, resp *loadResponse) error {
	var meta *ast.Field
	for _, d := range t.file.Decls {
		field, ok := d.(*ast.Field)
		if !ok {
			continue
		}
		name, _, err := ast.LabelName(field.Label)
		if err != nil {
			continue
		}
		if name == "template" {
			body, ok := field.Value.(*ast.StructLit)
			if !ok {
				resp.Problems = append(resp.Problems, problemAt(field, "template must be a struct"))
				continue
			}
			t.body = body.Elts
			t.root = cue.MakePath(cue.Str("template"))
			continue
		}
		if meta != nil {
			resp.Problems = append(resp.Problems, problemAt(field, fmt.Sprintf("a definition file holds one definition; found a second one %q", name)))
			continue
		}
		meta = field
		resp.Name = name
	}
	if meta == nil {
		resp.Problems = append(resp.Problems, Problem{Message: "no definition found (expected `<name>: {type: ..., attributes: ...}`)", Path: []string{}, Positions: []Position{}, Kind: "definition"})
		return nil
	}
	if t.body == nil {
		resp.Problems = append(resp.Problems, problemAt(meta, "the definition has no `template: {...}` block"))
		return nil
	}
	v := cueCtx.BuildFile(&ast.File{Filename: t.file.Filename, Decls: []ast.Decl{meta}})
	if err := v.Err(); err != nil {
		resp.Problems = append(resp.Problems, problemsOf(err, "definition")...)
		return nil
	}
	b, err := v.LookupPath(cue.MakePath(cue.Str(resp.Name))).MarshalJSON()
	if err != nil {
		resp.Problems = append(resp.Problems, problemsOf(err, "definition")...)
		return nil
	}
	resp.Meta = b
	return nil
}

// contextReferences lists the fields of `context` a template selects. When
// `context` appears other than as `context.<name>`, it returns nil.
func contextReferences(decls []ast.Decl) map[string]bool {
	fields := map[string]bool{}
	whole := false
	selected := map[*ast.Ident]bool{}
	for _, d := range decls {
		ast.Walk(d, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && id.Name == "context" {
					selected[id] = true
					if name, _, err := ast.LabelName(x.Sel); err == nil {
						fields[name] = true
					} else {
						whole = true
					}
				}
			case *ast.IndexExpr:
				if id, ok := x.X.(*ast.Ident); ok && id.Name == "context" {
					selected[id] = true
					whole = true
				}
			case *ast.Ident:
				if x.Name == "context" && !selected[x] {
					whole = true
				}
			}
			return true
		}, nil)
	}
	if whole {
		return nil
	}
	return fields
}

func problemAt(n ast.Node, msg string) Problem {
	p := Problem{Message: msg, Path: []string{}, Positions: []Position{}, Kind: "definition"}
	if pos, ok := positionOf(n.Pos()); ok {
		p.Positions = append(p.Positions, pos)
	}
	return p
}

// compiled returns the template's compiled value, compiling it on first use.
// A `context: _` field is added at the file's top so templates may refer to
// `context` before it is filled in.
func (t *template) compiledValue() (cue.Value, []Problem) {
	if t.compiled {
		return t.value, t.problems
	}
	t.compiled = true
	decls := append([]ast.Decl{}, t.file.Decls...)
	decls = append(decls, &ast.Field{Label: ast.NewIdent("context"), Value: ast.NewIdent("_")})
	t.value = cueCtx.BuildFile(&ast.File{Filename: t.file.Filename, Decls: decls})
	if err := t.value.Err(); err != nil {
		t.problems = problemsOf(err, "definition")
	}
	return t.value, t.problems
}

// templateOf decodes a `{"id": N}` request and returns that template.
func templateOf(raw []byte) (*template, error) {
	var req struct {
		ID int `json:"id"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	return lookupTemplate(req.ID)
}

func lookupTemplate(id int) (*template, error) {
	mu.Lock()
	defer mu.Unlock()
	t, ok := templates[id]
	if !ok {
		return nil, fmt.Errorf("unknown template id %d", id)
	}
	return t, nil
}

func handleRelease(raw []byte) (any, error) {
	var req struct {
		ID int `json:"id"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	mu.Lock()
	delete(templates, req.ID)
	mu.Unlock()
	return map[string]bool{"ok": true}, nil
}
