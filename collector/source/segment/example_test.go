package segment_test

import (
	"fmt"

	"github.com/rastrohq/rastro/collector/source/segment"
	"github.com/rastrohq/rastro/sdk/wire"
)

func ExampleEvent() {
	call := []byte(`{"type":"track","event":"Order Rated","messageId":"m-1","userId":"u-7",
		"properties":{"stars":4,"comment":"late but fine","touchpoint":"delivery","channel":"app","order":"A12"}}`)
	var m segment.Message
	if err := segment.DecodeMessage(call, &m); err != nil {
		panic(err)
	}
	var e wire.Event
	feedback, err := segment.Event(&m, &e, wire.Limits{})
	fmt.Println(feedback, err)
	fmt.Println(e.ID, e.Kind, e.Touchpoint, e.Channel, *e.Value, e.Text, e.Props)
	// Output:
	// true <nil>
	// m-1 star delivery app 4 late but fine map[order:A12]
}
