package local

// How the faithful mode reads the JSON a client sends: as jsoncpp's
// Json::Reader does in the C++ node (lenient where Go's decoder is strict),
// and the numbers and strings of its answers.

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// blockField reads fromBlock/toBlock: absent or "latest" is def, else a
// decimal or 0x-hex number (jsToBlockNumber).
func blockField(obj map[string]any, key string, def int64) int64 {
	v, has := obj[key]
	if !has {
		return def
	}
	str, _ := jsoncppString(v)
	if str == "latest" {
		return def
	}
	base := 10
	if rest, ok := strings.CutPrefix(str, "0x"); ok {
		str, base = rest, 16
	}
	num, err := strconv.ParseInt(str, base, 64)
	if err != nil {
		return 0
	}
	return num
}

// jsoncppParse reads the first JSON value of b as Json::Reader::parse does:
// text after the first value is ignored. (jsoncpp also accepts comments and
// raw bytes that are not UTF-8; Go's decoder does not.)
func jsoncppParse(b []byte) (any, bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

// jsoncppInt is Json::Value::asInt: numbers in int range (a fraction is
// cut), booleans, null as 0; strings and containers throw.
func jsoncppInt(v any) (int, bool) {
	switch x := v.(type) {
	case nil:
		return 0, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case json.Number:
		fv, err := x.Float64()
		if err != nil || fv < math.MinInt32 || fv > math.MaxInt32 {
			return 0, false
		}
		return int(fv), true
	}
	return 0, false
}

// jsoncppString is Json::Value::asString: strings, numbers and booleans
// print, null is ""; containers throw.
func jsoncppString(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return strconv.FormatInt(i, 10), true
		}
		fv, err := x.Float64()
		if err != nil {
			return "", false
		}
		return strconv.FormatFloat(fv, 'g', 17, 64), true
	}
	return "", false
}

// jsoncppTopics reads a 0x32 body as onClientTopicRequest does: an array's
// elements as strings (an element that is an array or an object throws and
// the whole request is ignored); an empty container, null or a scalar is
// an empty set; a non-empty object throws; bad JSON is ignored.
func jsoncppTopics(b []byte) (map[string]bool, bool) {
	root, ok := jsoncppParse(b)
	if !ok {
		return nil, false
	}
	set := map[string]bool{}
	switch v := root.(type) {
	case []any:
		for _, e := range v {
			t, ok := jsoncppString(e)
			if !ok {
				return nil, false
			}
			set[t] = true
		}
	case map[string]any:
		if len(v) > 0 {
			return nil, false
		}
	}
	return set, true
}

// jsonString quotes s as JSON.
func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
