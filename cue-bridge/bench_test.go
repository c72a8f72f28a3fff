package main

import (
	"encoding/json"
	"os"
	"testing"
)

func BenchmarkWebservice(b *testing.B) {
	id := loadDefinition(b, "../definitions/components/webservice.cue")
	ev, _ := json.Marshal(evaluateRequest{ID: id, Parameter: json.RawMessage(`{"image":"x:1","ports":[{"port":8080,"expose":true}],"cpu":"250m","memory":"256Mi"}`), Context: json.RawMessage(`{"name":"web","appName":"a","namespace":"ns","revision":"web-v1"}`), Fields: []string{"output", "outputs", "errs"}})
	r, _ := handleEvaluate(ev)
	if len(r.(evaluateResponse).Problems) > 0 {
		b.Fatal(r)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		handleEvaluate(ev)
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
