package main

import (
	"bytes"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
	"encoding/json"
	"sort"
	"strings"

	"cuelang.org/go/cue"
)

type evaluateRequest struct {
	ID        int             `json:"id"`
	Parameter json.RawMessage `json:"parameter"`
	Context   json.RawMessage `json:"context"`
	// Fields lists the template fields to export, e.g. output, outputs, patch.
	Fields []string `json:"fields"`
	// Extra is CUE source unified into the template root before evaluation
	// (for example a health policy evaluated against the template).
	Extra string `json:"extra,omitempty"`
	// Directives asks for the patch directives and list patterns of the
	// exported `patch` and `patchOutputs` values (traits).
	Directives bool `json:"directives,omitempty"`
}

type evaluateResponse struct {
	Values   map[string]json.RawMessage `json:"values"`
	Problems []Problem                  `json:"problems"`
	// Directives of `patch` / `patchOutputs`, when asked for.
	Directives *Directives `json:"directives,omitempty"`
}

func handleEvaluate(raw []byte) (any, error) {
	var req evaluateRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	t, err := lookupTemplate(req.ID)
	if err != nil {
		return nil, err
	}
	resp := evaluateResponse{Values: map[string]json.RawMessage{}, Problems: []Problem{}}
	base, problems := t.compiledValue()
	if len(problems) > 0 {
		resp.Problems = problems
		return resp, nil
	}
	v := base.Unify(injected(t.root, req.Context, req.Parameter, t.contextFields))
	if req.Extra != "" {
		v = v.FillPath(t.root, cueCtx.CompileString(req.Extra, cue.Filename("extra.cue"), cue.Scope(v.LookupPath(t.root))))
	}
	param := v.LookupPath(appendPath(t.root, "parameter"))
	if err := param.Validate(); err != nil {
		resp.Problems = append(resp.Problems, problemsOf(err, "parameter")...)
	}
	missingRequired(param, []string{"parameter"}, &resp.Problems)
	if len(resp.Problems) > 0 {
		return resp, nil
	}
	for _, name := range req.Fields {
		fv := v.LookupPath(appendPath(t.root, name))
		if !fv.Exists() {
			continue
		}
		b, err := fv.MarshalJSON()
		if err != nil && (name == "outputs" || name == "patchOutputs") {
			b, err = exportFieldByField(fv)
		}
		if err != nil {
			// Export stops at the first error; validation lists them all.
			if verr := fv.Validate(cue.Concrete(true), cue.Final()); verr != nil {
				err = verr
			}
			resp.Problems = append(resp.Problems, problemsOf(err, "evaluation")...)
			continue
		}
		resp.Values[name] = b
		if req.Directives && (name == "patch" || name == "patchOutputs") {
			if resp.Directives == nil {
				resp.Directives = &Directives{Annotations: []Annotation{}, ListPatterns: []ListPattern{}}
			}
			directivesOf(fv, []string{name}, resp.Directives)
		}
	}
	return resp, nil
}

// injected builds the value `{context: C, <root>: parameter: P}` from JSON in
// one step. The value is built from CUE syntax, as KubeVela compiles JSON
// text: map keys sorted (KubeVela injects parameters sorted) and numbers in
// their literal form (1 is an int, 1.5 a float). Values made with
// cue.Context.Encode instead lose list elements selected by a comprehension
// such as `[for c in context.output.spec.template.spec.containers if c.name == n {c}]`,
// and compiling the text each time (CompileBytes) keeps every source file
// in the context: the heap grew ~28 KiB per evaluation.
func injected(root cue.Path, ctxJSON, paramJSON json.RawMessage, only map[string]bool) cue.Value {
	ctxVal, paramVal := decodeJSON(ctxJSON), decodeJSON(paramJSON)
	if m, ok := ctxVal.(map[string]any); ok && only != nil {
		for k := range m {
			if !only[k] {
				delete(m, k)
			}
		}
	}
	if paramVal == nil {
		paramVal = map[string]any{}
	}
	var inner any = map[string]any{"parameter": paramVal}
	sels := root.Selectors()
	for i := len(sels) - 1; i >= 0; i-- {
		inner = map[string]any{sels[i].Unquoted(): inner}
	}
	top := inner.(map[string]any)
	if ctxVal != nil {
		top["context"] = ctxVal
	}
	return cueCtx.BuildExpr(syntaxOf(top))
}

// decodeJSON decodes JSON keeping each number's literal (json.Number).
func decodeJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return nil
	}
	return v
}

func appendPath(root cue.Path, name string) cue.Path {
	sels := append([]cue.Selector{}, root.Selectors()...)
	return cue.MakePath(append(sels, cue.Str(name))...)
}

// missingRequired reports regular parameter fields that have no value and no
// default: the scalar leaves a user must set.
func missingRequired(v cue.Value, path []string, out *[]Problem) {
	it, err := v.Fields()
	if err != nil {
		return
	}
	for it.Next() {
		f := it.Value()
		sel := it.Selector()
		p := append(append([]string{}, path...), sel.Unquoted())
		if d, ok := f.Default(); ok && d.IsConcrete() {
			f = d
		}
		if f.IncompleteKind() == cue.StructKind {
			missingRequired(f, p, out)
			continue
		}
		if f.IsConcrete() || f.Err() != nil {
			continue
		}
		k := f.IncompleteKind()
		if k&cue.ListKind != 0 || k == cue.TopKind {
			continue
		}
		prob := Problem{Message: "missing required parameter " + sel.Unquoted() + " (" + k.String() + ")", Path: p, Positions: []Position{}, Kind: "missing"}
		if pos, ok := positionOf(f.Pos()); ok {
			prob.Positions = append(prob.Positions, pos)
		}
		*out = append(*out, prob)
	}
}

// exportFieldByField exports a struct of objects (`outputs`, `patchOutputs`)
// one regular field at a time, in field order. As in KubeVela, which reads
// these fields one by one, a comprehension over an absent optional parameter
// (`for v in parameter.configMap` without configMap) contributes nothing
// instead of failing the whole struct; an error inside a field still fails.
func exportFieldByField(v cue.Value) ([]byte, error) {
	it, err := v.Fields()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	first := true
	for it.Next() {
		b, err := it.Value().MarshalJSON()
		if err != nil {
			return nil, err
		}
		k, _ := json.Marshal(it.Selector().Unquoted())
		if !first {
			buf.WriteByte(',')
		}
		first = false
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(b)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// syntaxOf turns decoded JSON into CUE syntax: struct fields sorted by key,
// numbers as their literals (so 1 stays an int).
func syntaxOf(v any) ast.Expr {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		elts := make([]ast.Decl, 0, len(keys))
		for _, k := range keys {
			elts = append(elts, &ast.Field{Label: ast.NewString(k), Value: syntaxOf(x[k])})
		}
		return &ast.StructLit{Elts: elts}
	case []any:
		elts := make([]ast.Expr, len(x))
		for i, e := range x {
			elts[i] = syntaxOf(e)
		}
		return &ast.ListLit{Elts: elts}
	case string:
		return ast.NewString(x)
	case json.Number:
		if _, err := x.Int64(); err == nil || !strings.ContainsAny(string(x), ".eE") {
			return &ast.BasicLit{Kind: token.INT, Value: string(x)}
		}
		return &ast.BasicLit{Kind: token.FLOAT, Value: string(x)}
	case bool:
		return ast.NewBool(x)
	default:
		return ast.NewNull()
	}
}
