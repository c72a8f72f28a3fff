package main

import (
	"encoding/json"

	"cuelang.org/go/cue"
)

// ListPattern is the element constraint of an open list in a patch, as in
// `containers: [...{lifecycle: …}]`: unification applies it to every base
// element from index From on.
type ListPattern struct {
	Path  []string        `json:"path"`
	From  int             `json:"from"`
	Value json.RawMessage `json:"value"`
}

// Directives are what a trait's evaluated patch says beyond its JSON value.
type Directives struct {
	Annotations  []Annotation  `json:"annotations"`
	ListPatterns []ListPattern `json:"listPatterns"`
}

// maxDirectiveDepth bounds the walk; patches deeper than this are unusual.
const maxDirectiveDepth = 64

// directivesOf walks an evaluated patch value. Doc comments are read from
// the value, not the template's syntax, so a `+patchKey` / `+patchStrategy`
// reaches the field wherever it was written: in a hidden helper such as
// `#PatchContainer`, a `let` binding, a comprehension, or above a shorthand
// path (`a: b: c: v`, where CUE gives the comment to the innermost field).
func directivesOf(v cue.Value, path []string, out *Directives) {
	walkDirectives(v, path, out, 0)
}

func walkDirectives(v cue.Value, path []string, out *Directives, depth int) {
	if depth > maxDirectiveDepth || !v.Exists() {
		return
	}
	if a, ok := annotationOf(path, v.Doc()); ok {
		out.Annotations = append(out.Annotations, a)
	}
	switch v.IncompleteKind() {
	case cue.StructKind:
		it, err := v.Fields()
		if err != nil {
			return
		}
		for it.Next() {
			walkDirectives(it.Value(), append(append([]string{}, path...), it.Selector().Unquoted()), out, depth+1)
		}
	case cue.ListKind:
		elem := append(append([]string{}, path...), "[]")
		n := 0
		if it, err := v.List(); err == nil {
			for it.Next() {
				walkDirectives(it.Value(), elem, out, depth+1)
				n++
			}
		}
		pattern := v.LookupPath(cue.MakePath(cue.AnyIndex))
		if !pattern.Exists() || pattern.Err() != nil {
			return
		}
		b, err := pattern.MarshalJSON()
		if err != nil || string(b) == "{}" {
			return
		}
		out.ListPatterns = append(out.ListPatterns, ListPattern{Path: elem, From: n, Value: b})
		walkDirectives(pattern, elem, out, depth+1)
	}
}
