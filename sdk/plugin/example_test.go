package plugin_test

import (
	"fmt"

	"github.com/rastrohq/rastro/sdk/plugin"
	"github.com/rastrohq/rastro/sdk/wire"
)

// A source plugin registers its handler in init; AppendTransform shows what
// the collector receives for a record.
func ExampleHandleTransform() {
	plugin.HandleTransform(func(record []byte) ([]wire.Event, error) {
		v := 5.0
		return []wire.Event{{ID: "csat-" + string(record), Kind: wire.KindCSAT, Touchpoint: "support.ticket", Value: &v}}, nil
	})
	fmt.Println(string(plugin.AppendTransform(nil, []byte("42"))))
	// Output: {"events":[{"id":"csat-42","kind":"csat","touchpoint":"support.ticket","value":5}]}
}
