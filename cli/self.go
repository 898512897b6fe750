package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
)

// goSDKPath is the module path of go-sdk, whose version --version reports.
const goSDKPath = "github.com/FISCO-BCOS/go-sdk"

// versionLine is what --version prints: amoptui's module version, go-sdk's
// and the Go toolchain's, from the build information the linker embeds.
func versionLine() string {
	mine, sdk := "(unknown)", "(unknown)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		mine = bi.Main.Version
		for _, d := range bi.Deps {
			if d.Path == goSDKPath {
				sdk = d.Version
				if d.Replace != nil {
					sdk += " (replaced by " + d.Replace.Path + " " + d.Replace.Version + ")"
				}
			}
		}
		if rev := buildSetting(bi, "vcs.revision"); rev != "" && mine == "(devel)" {
			mine += " " + rev[:min(12, len(rev))]
			if buildSetting(bi, "vcs.modified") == "true" {
				mine += "+dirty"
			}
		}
	}
	return "amoptui " + mine + " · go-sdk " + sdk + " · " + runtime.Version()
}

func buildSetting(bi *debug.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

// selfCommand is how the user started this program, for the hints it prints
// (the command a second terminal runs, where scripts go): "go run ." under
// `go run`, the bare name when the shell finds this very executable on
// PATH, else the path it was started by.
func selfCommand() string {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	version := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		version = bi.Main.Version
	}
	return selfCommandFrom(os.Args[0], exe, version, exec.LookPath)
}

// goRunDir matches where `go run` puts the program it builds: a temporary
// work directory (…/go-build123/b001/exe/NAME), or, since Go 1.24, the
// build cache wherever GOCACHE points (…/ab/<64 hex digits>-d/NAME). Both
// are shapes of the go command's own making, unlike a guess from "go-build"
// in the path, which a custom GOCACHE does not contain.
var goRunDir = regexp.MustCompile(`(^|/)(go-build[0-9]+/b[0-9]+/exe|[0-9a-f]{2}/[0-9a-f]{64}-d)$`)

// selfCommandFrom is selfCommand with its inputs given: the program as
// started (argv[0]), the executable's path, the main module's version
// ("(devel)" when built from a checkout) and a PATH lookup.
func selfCommandFrom(arg0, exe, version string, lookPath func(string) (string, error)) string {
	if goRunDir.MatchString(filepath.ToSlash(filepath.Dir(exe))) {
		if version != "" && version != "(devel)" {
			// `go run github.com/amoptui/amoptui@v1.2.3`
			return "go run github.com/amoptui/amoptui@" + version
		}
		return "go run ."
	}
	base := filepath.Base(arg0)
	if !strings.ContainsRune(arg0, filepath.Separator) {
		return base // found on PATH by the shell
	}
	if p, err := lookPath(base); err == nil && sameFile(p, exe) {
		return base
	}
	return arg0
}

// sameFile reports whether a and b are the same file.
func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}
