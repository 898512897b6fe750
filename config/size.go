package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Byte sizes of max_incoming.
const (
	// DefaultMaxIncoming is the default of max_incoming: room for anything
	// a person reads in a terminal (amop.Config.MaxIncoming).
	DefaultMaxIncoming = 16 << 20
	// MinMaxIncoming and MaxMaxIncoming bound max_incoming: below 1 KiB
	// even a short reply would be refused; above 100 MiB is past what a
	// node may send at all.
	MinMaxIncoming = 1 << 10
	MaxMaxIncoming = 100 << 20
)

// sizeUnits are the suffixes ParseSize takes: binary multiples only, so
// that "16MiB" means what it says.
var sizeUnits = []struct {
	suffix string
	mult   int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// ParseSize reads a byte size: a number of bytes, or a whole number with
// the suffix B, KiB, MiB or GiB ("16MiB", "512KiB", "1048576").
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if num, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(num), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf(`%q is not a size (write e.g. "16MiB", "512KiB" or a number of bytes)`, s)
	}
	return n * mult, nil
}

// FormatSize writes n bytes the way ParseSize reads it, in the largest
// unit that divides it.
func FormatSize(n int64) string {
	for _, u := range sizeUnits {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
