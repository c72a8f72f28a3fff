package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
)

// TestHeapGrowth guards against injected values that stay in the CUE context
// (CompileBytes per evaluation grew the heap ~28 KiB per call).
func TestHeapGrowth(t *testing.T) {
	id := loadDefinition(t, "../definitions/traits/env.cue")
	var ms runtime.MemStats
	var first uint64
	for round := 0; round < 4; round++ {
		for i := 0; i < 1000; i++ {
			ctx := fmt.Sprintf(`{"name":"web%d","appName":"a","namespace":"ns","output":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"a":"b"}},"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:%d","env":[{"name":"A","value":"1"}]}]}}}},"outputs":{}}`, i, i)
			ev, _ := json.Marshal(evaluateRequest{ID: id, Parameter: json.RawMessage(fmt.Sprintf(`{"env":{"C":"%d"}}`, i)), Context: json.RawMessage(ctx), Fields: []string{"outputs", "patch", "patchOutputs", "errs"}, Directives: true})
			handleEvaluate(ev)
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		t.Logf("round %d heap in use %d KiB", round, ms.HeapInuse/1024)
		if round == 0 {
			first = ms.HeapInuse
		}
	}
	if ms.HeapInuse > first+8<<20 {
		t.Fatalf("heap grew from %d to %d KiB over 3,000 evaluations", first/1024, ms.HeapInuse/1024)
	}
}
