package main

import "runtime/debug"

func cueVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, dep := range info.Deps {
		if dep.Path == "cuelang.org/go" {
			return dep.Version
		}
	}
	return "unknown"
}
