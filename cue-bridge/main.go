//go:build js && wasm

// Command cue-bridge exposes the official CUE evaluator to JavaScript as a
// global `ferryCue` object. Every function takes one JSON string and returns
// one JSON string, so the JS side needs no knowledge of Go values.
package main

import (
	"encoding/json"
	"fmt"
	"syscall/js"
)

type handler func(raw []byte) (any, error)

func wrap(h handler) js.Func {
	return js.FuncOf(func(this js.Value, args []js.Value) (result any) {
		defer func() {
			if r := recover(); r != nil {
				result = encode(map[string]any{"fatal": fmt.Sprint(r)})
			}
		}()
		if len(args) != 1 {
			return encode(map[string]any{"fatal": "expected one JSON argument"})
		}
		out, err := h([]byte(args[0].String()))
		if err != nil {
			return encode(map[string]any{"fatal": err.Error()})
		}
		return encode(out)
	})
}

func encode(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"fatal": err.Error()})
	}
	return string(b)
}

func main() {
	api := js.Global().Get("Object").New()
	api.Set("version", js.ValueOf(cueVersion()))
	api.Set("load", wrap(handleLoad))
	api.Set("evaluate", wrap(handleEvaluate))
	api.Set("annotations", wrap(handleAnnotations))
	api.Set("schema", wrap(handleSchema))
	api.Set("release", wrap(handleRelease))
	js.Global().Set("ferryCue", api)
	if cb := js.Global().Get("ferryCueReady"); cb.Type() == js.TypeFunction {
		cb.Invoke()
	}
	select {}
}
