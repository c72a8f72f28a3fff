package main

import (
	"fmt"
	"strings"

	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// Position is a location in a CUE source file.
type Position struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// Problem is one CUE error with its value path and source positions.
type Problem struct {
	Message   string     `json:"message"`
	Path      []string   `json:"path"`
	Positions []Position `json:"positions"`
	Kind      string     `json:"kind"`
}

func positionOf(p token.Pos) (Position, bool) {
	if !p.IsValid() {
		return Position{}, false
	}
	pos := p.Position()
	if pos.Line == 0 {
		return Position{}, false
	}
	return Position{File: pos.Filename, Line: pos.Line, Column: pos.Column}, true
}

// problemsOf flattens a CUE error into located problems, de-duplicated.
func problemsOf(err error, kind string) []Problem {
	if err == nil {
		return nil
	}
	var out []Problem
	seen := map[string]bool{}
	for _, e := range errors.Errors(err) {
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		p := Problem{Message: msg, Path: e.Path(), Kind: kind}
		if p.Path == nil {
			p.Path = []string{}
		}
		posSeen := map[Position]bool{}
		all := append([]token.Pos{e.Position()}, e.InputPositions()...)
		for _, tp := range all {
			if pos, ok := positionOf(tp); ok && !posSeen[pos] {
				posSeen[pos] = true
				p.Positions = append(p.Positions, pos)
			}
		}
		if p.Positions == nil {
			p.Positions = []Position{}
		}
		key := strings.Join(p.Path, ".") + "\x00" + msg
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, p)
	}
	return out
}
