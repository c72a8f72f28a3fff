package main

import (
	"cuelang.org/go/cue"

	// The CUE standard library a definition may import. The tool/* packages (exec, file, http, cli, os) are
	// left out: they run only under `cue cmd`, never in an evaluation.
	_ "cuelang.org/go/pkg/crypto/ed25519"
	_ "cuelang.org/go/pkg/crypto/hmac"
	_ "cuelang.org/go/pkg/crypto/md5"
	_ "cuelang.org/go/pkg/crypto/sha1"
	_ "cuelang.org/go/pkg/crypto/sha256"
	_ "cuelang.org/go/pkg/crypto/sha512"
	_ "cuelang.org/go/pkg/encoding/base64"
	_ "cuelang.org/go/pkg/encoding/csv"
	_ "cuelang.org/go/pkg/encoding/hex"
	_ "cuelang.org/go/pkg/encoding/json"
	_ "cuelang.org/go/pkg/encoding/toml"
	_ "cuelang.org/go/pkg/encoding/yaml"
	_ "cuelang.org/go/pkg/html"
	_ "cuelang.org/go/pkg/list"
	_ "cuelang.org/go/pkg/math"
	_ "cuelang.org/go/pkg/math/bits"
	_ "cuelang.org/go/pkg/net"
	_ "cuelang.org/go/pkg/path"
	_ "cuelang.org/go/pkg/regexp"
	_ "cuelang.org/go/pkg/strconv"
	_ "cuelang.org/go/pkg/strings"
	_ "cuelang.org/go/pkg/struct"
	_ "cuelang.org/go/pkg/text/tabwriter"
	_ "cuelang.org/go/pkg/text/template"
	_ "cuelang.org/go/pkg/time"
	_ "cuelang.org/go/pkg/uuid"
)

// newContext makes the CUE context every template is compiled in, without cuecontext.New: that one also
// installs the @embed interpreter (file embedding, which has no files to read here) and so links every
// encoding CUE knows (protobuf, XML, OpenAPI, JSON Schema) and the tool/* packages into the engine.
// A cue.Runtime initialises itself on first use; a Context is the same runtime under its current name.
func newContext() *cue.Context {
	var rt cue.Runtime
	if _, err := rt.Compile("init.cue", ""); err != nil {
		panic(err)
	}
	return (*cue.Context)(&rt)
}
