package insights_test

import (
	"fmt"

	"github.com/rastrohq/rastro/collector/insights"
)

// A touchpoint had 17 satisfied CSAT answers of 20 until yesterday and 2
// of 10 today: the drop is beyond noise.
func ExampleTwoProportionZ() {
	z := insights.TwoProportionZ(2, 10, 17, 20)
	fmt.Printf("z = %.2f, significant: %v\n", z, z <= -insights.ZCritical)
	// Output: z = -3.48, significant: true
}

func ExamplePearson() {
	qa := []float64{0.9, 0.8, 0.95, 0.85}
	customer := []float64{1, 0.75, 0.25, 0}
	fmt.Printf("r = %.4f\n", *insights.Pearson(qa, customer))
	// Output: r = -0.1414
}
