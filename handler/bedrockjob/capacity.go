package bedrockjob

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// Capacity error codes: Bedrock refused a start because the account runs
// as many asynchronous jobs as its quota allows, or because requests come
// too fast. Both clear by themselves; neither says anything about the job.
// Both are among StartAsyncInvoke's documented errors (Bedrock Runtime API
// reference, "StartAsyncInvoke", Errors: ServiceQuotaExceededException,
// HTTP 400; ThrottlingException, HTTP 429).
const (
	CodeQuotaExceeded = "ServiceQuotaExceededException"
	CodeThrottling    = "ThrottlingException"
)

// IsCapacity reports whether err (an *Error, possibly wrapped) is a
// capacity answer: quota or throttling.
func IsCapacity(err error) bool {
	var e *Error
	return errors.As(err, &e) && IsCapacityCode(e.Code)
}

// IsCapacityCode reports whether an error code is a capacity answer. It
// serves callers that hold only the code, such as an error rebuilt from a
// checkpoint.
func IsCapacityCode(code string) bool { return code == CodeQuotaExceeded || code == CodeThrottling }

// CountInProgress counts the account's InProgress asynchronous jobs of
// model in the client's region with ListAsyncInvokes (statusEquals
// InProgress, at most 1,000 summaries a page: Bedrock Runtime API
// reference, "ListAsyncInvokes"), stopping after the page on which it has
// seen limit of them: the caller only needs to know whether a slot is
// free. The listing starts no job and is authorized by
// bedrock:ListAsyncInvokes, which takes no resource type (Service
// Authorization Reference), so the role grants it on "*". Errors are
// *Error.
func (c *Client) CountInProgress(ctx context.Context, model string, limit int) (int, error) {
	input := &bedrockruntime.ListAsyncInvokesInput{
		StatusEquals: types.AsyncInvokeStatusInProgress,
		MaxResults:   aws.Int32(1000),
		SortBy:       types.SortAsyncInvocationBySubmissionTime,
		SortOrder:    types.SortOrderDescending,
	}
	n := 0
	pages := bedrockruntime.NewListAsyncInvokesPaginator(c.api, input)
	for i := 0; pages.HasMorePages() && i < maxListPages && n < limit; i++ {
		callCtx, cancel := context.WithTimeout(ctx, CallTimeout)
		page, err := pages.NextPage(callCtx)
		cancel()
		if err != nil {
			return n, classify("ListAsyncInvokes", model, err)
		}
		for _, s := range page.AsyncInvokeSummaries {
			// The model ARN ends with "foundation-model/<model id>".
			if strings.HasSuffix(aws.ToString(s.ModelArn), "/"+model) {
				n++
			}
		}
	}
	return n, nil
}
