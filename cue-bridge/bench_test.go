package main

import (
	"encoding/json"
	"os"
	"testing"
)

func BenchmarkWebservice(b *testing.B) {
	src, _ := os.ReadFile("../definitions/components/webservice.cue")
	req, _ := json.Marshal(loadRequest{Filename: "w.cue", Source: string(src), Format: "definition"})
	out, _ := handleLoad(req)
	id := out.(loadResponse).ID
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
