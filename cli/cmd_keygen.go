package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/amoptui/amoptui/amop"
	"github.com/amoptui/amoptui/sanitize"
)

func init() {
	register(&command{
		name:    "keygen",
		usage:   "[--pub FILE] KEYFILE",
		summary: "write a new secp256k1 key pair for private topics: KEYFILE (private, mode 0600) and its public key (KEYFILE with .key or .pem replaced by .pub, else KEYFILE.pub; or --pub FILE)",
		run:     runKeygen,
	})
}

func runKeygen(_ context.Context, args []string, std stdio) int {
	fset := newFlagSet("keygen", std)
	pub := fset.String("pub", "", "public key file (default: KEYFILE with its .key or .pem extension replaced by .pub)")
	fset.Usage = func() {
		fmt.Fprintln(fset.Output(), "usage: amoptui keygen "+commands["keygen"].usage)
		fmt.Fprintln(fset.Output(), "Writes KEYFILE (the private key, mode 0600) and the public key: alice.key or alice.pem gives")
		fmt.Fprintln(fset.Output(), "alice.pub, any other name gets .pub appended, --pub FILE names it. The files are PEM in the")
		fmt.Fprintln(fset.Output(), "formats go-sdk's conf.LoadECPrivateKeyFromPEM and LoadECPublicKeyFromPEM read (PKCS#8 and")
		fmt.Fprintln(fset.Output(), "X.509 SubjectPublicKeyInfo); existing files are never overwritten (exit 2).")
		fset.PrintDefaults()
	}
	if err := parseFlags(fset, args); err != nil {
		return exitCode(std, "keygen", err)
	}
	if err := flagsBeforeArgs(fset, args, "KEYFILE", "KEYFILE"); err != nil {
		return exitCode(std, "keygen", err)
	}
	return exitCode(std, "keygen", keygen(std, fset.Args(), *pub))
}

// pubFileFor is the default public key file of keyFile: "alice.key" and
// "alice.pem" give "alice.pub", anything else gets ".pub" appended.
func pubFileFor(keyFile string) string {
	switch ext := filepath.Ext(keyFile); ext {
	case ".key", ".pem":
		return strings.TrimSuffix(keyFile, ext) + ".pub"
	}
	return keyFile + ".pub"
}

func keygen(std stdio, args []string, pubFile string) error {
	if len(args) != 1 || args[0] == "" {
		return usagef("need exactly one KEYFILE, the private key file to create")
	}
	keyFile := args[0]
	if pubFile == "" {
		pubFile = pubFileFor(keyFile)
	}
	if filepath.Clean(pubFile) == filepath.Clean(keyFile) {
		return usagef("the public key file %s is the private key file; name another with --pub", pubFile)
	}
	// Both are checked before either is written, so that a refusal leaves
	// nothing behind. A file that exists, or a place where none can be
	// made, is a usage error: another name is the fix.
	for _, f := range []string{keyFile, pubFile} {
		if _, err := os.Lstat(f); err == nil {
			return usagef("%s exists; not overwriting it (choose another name or remove it)", f)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return usagef("%v", err)
		}
		if st, err := os.Stat(filepath.Dir(f)); err != nil || !st.IsDir() {
			return usagef("%s: the directory %s does not exist", f, filepath.Dir(f))
		}
	}
	k, err := amop.GenerateKey()
	if err != nil {
		return err
	}
	privPEM, err := k.PEM()
	if err != nil {
		return err
	}
	pubPEM, err := k.Public().PEM()
	if err != nil {
		return err
	}
	if err := createFile(keyFile, privPEM, 0o600); err != nil {
		return err
	}
	if err := createFile(pubFile, pubPEM, 0o644); err != nil {
		_ = os.Remove(keyFile) // ours: created just above
		return err
	}
	// The names are the user's, but a name can hold escape sequences
	// (pasted, or from a script): they are shown, never obeyed.
	fmt.Fprintf(std.out, "private key: %s (mode 0600; keep it secret: /join-private, [private.subscribe])\n", sanitize.String(keyFile))
	fmt.Fprintf(std.out, "public key:  %s (for publishers: /publish-private, [private.publish])\n", sanitize.String(pubFile))
	fmt.Fprintf(std.out, "public key hex: %s\n", k.Public().Hex())
	return nil
}

// createFile writes data to a new file, failing if it exists (O_EXCL: no
// race with another writer between the check and the write).
func createFile(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return usagef("%s exists; not overwriting it", path)
		}
		if errors.Is(err, fs.ErrPermission) {
			return usagef("%v", err)
		}
		return err
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
