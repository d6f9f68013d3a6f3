package videomodels_test

import (
	"fmt"
	"time"

	"github.com/bedrockvideo/pipeline/videomodels"
)

// A deployment checks its model and region before anything is built.
func ExampleCheck() {
	today := time.Date(2026, time.November, 30, 0, 0, 0, 0, time.UTC)
	fmt.Println(videomodels.Check("luma.ray-v2:0", "us-west-2", today))
	fmt.Println(videomodels.Check("amazon.nova-reel-v1:1", "us-east-1", today))
	// Output:
	// <nil>
	// amazon.nova-reel-v1:1 (Legacy) reached its end of life on Amazon Bedrock on 2026-09-30 and can no longer be invoked; use luma.ray-v2:0 in us-west-2
}

func ExampleLookup() {
	m, _ := videomodels.Lookup(videomodels.LumaRay2)
	fmt.Println(m.Name, m.Lifecycle, m.Regions, m.Limits.DurationsSeconds, m.Limits.Images.Keyframes)
	// Output: Luma AI Ray2 Active [us-west-2] [5 9] [frame0 frame1]
}
