package main

import (
	"strings"

	"cuelang.org/go/cue/ast"
)

// Annotation holds the patch directives written as comments on a field.
type Annotation struct {
	Path          []string `json:"path"`
	PatchKey      string   `json:"patchKey,omitempty"`
	PatchStrategy string   `json:"patchStrategy,omitempty"`
}

func handleAnnotations(raw []byte) (any, error) {
	t, err := templateOf(raw)
	if err != nil {
		return nil, err
	}
	c := &collector{}
	c.decls(t.body, nil, nil, true)
	if c.out == nil {
		c.out = []Annotation{}
	}
	if c.fields == nil {
		c.fields = []FieldPosition{}
	}
	return map[string]any{"annotations": c.out, "fields": c.fields}, nil
}

// FieldPosition is where a field under `patch`/`patchOutputs` is written.
type FieldPosition struct {
	Path []string `json:"path"`
	Position
}

type collector struct {
	out    []Annotation
	fields []FieldPosition
}

func (c *collector) add(path []string, groups []*ast.CommentGroup) {
	if a, ok := annotationOf(path, groups); ok {
		c.out = append(c.out, a)
	}
}

// annotationOf reads `// +patchKey=` and `// +patchStrategy=` lines of comment groups.
func annotationOf(path []string, groups []*ast.CommentGroup) (Annotation, bool) {
	a := Annotation{Path: append([]string{}, path...)}
	for _, g := range groups {
		for _, line := range g.List {
			text := strings.TrimSpace(strings.TrimPrefix(line.Text, "//"))
			if v, ok := strings.CutPrefix(text, "+patchKey="); ok {
				a.PatchKey = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(text, "+patchStrategy="); ok {
				a.PatchStrategy = strings.TrimSpace(v)
			}
		}
	}
	return a, a.PatchKey != "" || a.PatchStrategy != ""
}

// decls walks struct elements. At the top only `patch` and `patchOutputs`
// are followed: they are the only fields whose annotations matter.
func (c *collector) decls(elts []ast.Decl, path []string, inherited []*ast.CommentGroup, top bool) {
	for _, d := range elts {
		switch x := d.(type) {
		case *ast.Field:
			c.field(x, path, inherited, top)
		case *ast.Comprehension:
			c.expr(x.Value, path, top)
		case *ast.EmbedDecl:
			c.expr(x.Expr, path, top)
		}
	}
}

func (c *collector) field(f *ast.Field, path []string, inherited []*ast.CommentGroup, top bool) {
	name, _, err := ast.LabelName(f.Label)
	if err != nil {
		return
	}
	if top && name != "patch" && name != "patchOutputs" {
		return
	}
	groups := append(append([]*ast.CommentGroup{}, inherited...), docComments(f)...)
	p := append(append([]string{}, path...), name)
	// In the shorthand `a: b: v` the comment above `a` belongs to the innermost
	// field, as KubeVela attaches it (not for the top-level patch field itself).
	if s, ok := f.Value.(*ast.StructLit); ok && !top && !s.Lbrace.IsValid() && len(s.Elts) == 1 {
		if inner, ok := s.Elts[0].(*ast.Field); ok {
			c.field(inner, p, groups, false)
			return
		}
	}
	c.add(p, groups)
	if pos, ok := positionOf(f.Pos()); ok {
		c.fields = append(c.fields, FieldPosition{Path: p, Position: pos})
	}
	c.expr(f.Value, p, false)
}

func docComments(n ast.Node) []*ast.CommentGroup {
	var out []*ast.CommentGroup
	for _, g := range ast.Comments(n) {
		if g.Position == 0 || g.Doc {
			out = append(out, g)
		}
	}
	return out
}

func (c *collector) expr(e ast.Expr, path []string, top bool) {
	switch x := e.(type) {
	case *ast.StructLit:
		c.decls(x.Elts, path, nil, top)
	case *ast.ListLit:
		elem := append(append([]string{}, path...), "[]")
		for _, el := range x.Elts {
			switch y := el.(type) {
			case *ast.Comprehension:
				c.expr(y.Value, elem, false)
			case *ast.Ellipsis:
				if y.Type != nil {
					c.expr(y.Type, elem, false)
				}
			default:
				c.expr(y, elem, false)
			}
		}
	case *ast.BinaryExpr:
		c.expr(x.X, path, false)
		c.expr(x.Y, path, false)
	case *ast.ParenExpr:
		c.expr(x.X, path, false)
	case *ast.CallExpr:
		for _, a := range x.Args {
			c.expr(a, path, false)
		}
	}
}
