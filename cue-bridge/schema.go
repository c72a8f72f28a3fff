package main

import (
	"encoding/json"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
)

// handleSchema exports the template's `parameter` as JSON Schema. When the
// whole template does not compile (for example a workflow step importing
// KubeVela's runtime packages), the `parameter` field is compiled alone.
func handleSchema(raw []byte) (any, error) {
	t, err := templateOf(raw)
	if err != nil {
		return nil, err
	}
	v, problems := t.compiledValue()
	param := v.LookupPath(appendPath(t.root, "parameter"))
	if len(problems) > 0 {
		param = parameterAlone(t)
	}
	if !param.Exists() {
		return map[string]any{"schema": map[string]any{"type": "object", "properties": map[string]any{}}}, nil
	}
	return map[string]any{"schema": schemaOf(param)}, nil
}

func parameterAlone(t *template) cue.Value {
	for _, d := range t.body {
		if f, ok := d.(*ast.Field); ok {
			if name, _, _ := ast.LabelName(f.Label); name == "parameter" {
				v := cueCtx.BuildFile(&ast.File{Filename: t.file.Filename, Decls: []ast.Decl{f}})
				return v.LookupPath(cue.MakePath(cue.Str("parameter")))
			}
		}
	}
	return cue.Value{}
}

func schemaOf(v cue.Value) map[string]any {
	s := map[string]any{}
	if d := usage(v); d != "" {
		s["description"] = d
	}
	// An open list such as [...string] defaults to []; only explicit defaults are shown.
	op, _ := v.Expr()
	if d, ok := v.Default(); ok && d.IsConcrete() && (v.IncompleteKind() != cue.ListKind || op == cue.OrOp) {
		var def any
		if b, err := d.MarshalJSON(); err == nil && json.Unmarshal(b, &def) == nil {
			s["default"] = def
		}
	}
	if enum := enumOf(v); enum != nil {
		s["enum"] = enum
	}
	k := v.IncompleteKind()
	var types []string
	for _, kt := range []struct {
		k cue.Kind
		n string
	}{{cue.StructKind, "object"}, {cue.ListKind, "array"}, {cue.StringKind, "string"}, {cue.BoolKind, "boolean"}, {cue.NullKind, "null"}} {
		if k&kt.k != 0 {
			types = append(types, kt.n)
		}
	}
	switch {
	case k&cue.NumberKind == cue.NumberKind:
		types = append(types, "number")
	case k&cue.IntKind != 0:
		types = append(types, "integer")
	case k&cue.FloatKind != 0:
		types = append(types, "number")
	}
	if len(types) == 1 {
		s["type"] = types[0]
	} else if len(types) > 1 && k != cue.TopKind {
		s["type"] = types
	}
	if k == cue.StructKind {
		objectSchema(v, s)
	}
	if k == cue.ListKind {
		if items := v.LookupPath(cue.MakePath(cue.AnyIndex)); items.Exists() {
			s["items"] = schemaOf(items)
		}
	}
	return s
}

func objectSchema(v cue.Value, s map[string]any) {
	props := map[string]any{}
	var order, required []string
	it, err := v.Fields(cue.Optional(true))
	if err == nil {
		for it.Next() {
			name := it.Selector().Unquoted()
			fv := it.Value()
			props[name] = schemaOf(fv)
			order = append(order, name)
			_, hasDefault := fv.Default()
			if it.Selector().ConstraintType() != cue.OptionalConstraint && !hasDefault && !fv.IsConcrete() {
				required = append(required, name)
			}
		}
	}
	s["properties"] = props
	s["x-order"] = order
	if required != nil {
		s["required"] = required
	}
	if ap := v.LookupPath(cue.MakePath(cue.AnyString)); ap.Exists() {
		s["additionalProperties"] = schemaOf(ap)
	}
}

func enumOf(v cue.Value) []any {
	op, args := v.Expr()
	if op != cue.OrOp {
		return nil
	}
	var out []any
	for _, a := range args {
		if !a.IsConcrete() {
			return nil
		}
		var x any
		b, err := a.MarshalJSON()
		if err != nil || json.Unmarshal(b, &x) != nil {
			return nil
		}
		out = append(out, x)
	}
	return out
}

// usage reads KubeVela's `// +usage=...` comment, or the plain doc comment.
func usage(v cue.Value) string {
	var plain []string
	for _, g := range v.Doc() {
		for _, c := range g.List {
			text := strings.TrimSpace(strings.TrimPrefix(c.Text, "//"))
			if u, ok := strings.CutPrefix(text, "+usage="); ok {
				return u
			}
			if !strings.HasPrefix(text, "+") {
				plain = append(plain, text)
			}
		}
	}
	return strings.Join(plain, " ")
}
