package loadgen

import (
	"context"
	"testing"
	"time"

	"github.com/amoptui/amoptui/amop"
)

func TestRunUnicastAndMulticast(t *testing.T) {
	for _, mode := range []amop.Mode{amop.Unicast, amop.Multicast} {
		t.Run(mode.String(), func(t *testing.T) {
			res, err := Run(context.Background(), Options{Mode: mode, Duration: 700 * time.Millisecond, Warmup: 200 * time.Millisecond, Subscribers: 2})
			if err != nil {
				t.Fatal(err)
			}
			if res.Msgs == 0 || res.MsgsPerS <= 0 || res.P50us <= 0 || res.P50us > res.P99us || res.P99us > res.MaxUs {
				t.Fatalf("implausible result %+v", res)
			}
			if res.Errors != 0 || res.Lost != 0 || res.Reordered != 0 {
				t.Fatalf("errors, loss or reordering: %+v", res)
			}
			if mode == amop.Multicast && res.DeliveriesPerS < res.MsgsPerS {
				t.Fatalf("2 subscribers but deliveries/s %.0f < msgs/s %.0f", res.DeliveriesPerS, res.MsgsPerS)
			}
			t.Logf("%+v", res)
		})
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Options{{Size: -1}, {Mode: amop.Multicast, Size: 8}, {Size: 5 << 20}, {Publishers: 1000}} {
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}
