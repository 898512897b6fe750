// Command amoptui is a terminal messenger for AMOP, the Advanced Messages
// Onchain Protocol of FISCO BCOS 2.x: an interactive TUI by default, and the
// headless commands node, sub, pub, bench and keygen (package cli).
package main

import (
	"os"

	"github.com/amoptui/amoptui/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
