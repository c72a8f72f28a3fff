package main

import (
	"encoding/json"
	"os"
	"testing"
)

// benchEvaluation is one entry of testdata/evaluations.json: the evaluations `npm run bench:engine`
// times through the WebAssembly engine too, so the two figures compare the same work.
type benchEvaluation struct {
	Name       string          `json:"name"`
	Definition string          `json:"definition"`
	Parameter  json.RawMessage `json:"parameter"`
	Context    json.RawMessage `json:"context"`
	Fields     []string        `json:"fields"`
	Directives bool            `json:"directives"`
}

// BenchmarkEvaluate evaluates each template of testdata/evaluations.json natively.
func BenchmarkEvaluate(b *testing.B) {
	raw, err := os.ReadFile("testdata/evaluations.json")
	if err != nil {
		b.Fatal(err)
	}
	var cases []benchEvaluation
	if err := json.Unmarshal(raw, &cases); err != nil {
		b.Fatal(err)
	}
	for _, c := range cases {
		b.Run(c.Name, func(b *testing.B) {
			id := loadDefinition(b, "../"+c.Definition)
			ev, _ := json.Marshal(evaluateRequest{ID: id, Parameter: c.Parameter, Context: c.Context, Fields: c.Fields, Directives: c.Directives})
			r, _ := handleEvaluate(ev)
			if len(r.(evaluateResponse).Problems) > 0 {
				b.Fatal(r)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				handleEvaluate(ev)
			}
		})
	}
}

// loadDefinition loads a definition file into the bridge and returns its template id.
func loadDefinition(tb testing.TB, path string) int {
	src, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	req, _ := json.Marshal(loadRequest{Filename: path, Source: string(src), Format: "definition"})
	out, err := handleLoad(req)
	if err != nil {
		tb.Fatal(err)
	}
	return out.(loadResponse).ID
}
