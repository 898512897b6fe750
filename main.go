// Command amoptui is a terminal messenger for AMOP, the Advanced Messages
// Onchain Protocol of FISCO BCOS 2.x: an interactive TUI by default, and the
// headless commands node, sub, pub and bench.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}))
}
