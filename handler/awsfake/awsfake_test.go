package awsfake

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	brtypes "github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

func TestBedrockErrorShape(t *testing.T) {
	b := NewBedrock(t)
	b.Inject(OpGetAsyncInvoke, BedrockFault("ThrottlingException", "Too many requests, please wait before trying again."))
	req, _ := http.NewRequest(http.MethodGet, b.URL()+"/async-invoke/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aasync-invoke%2Fx", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 429 || !strings.HasPrefix(resp.Header.Get("X-Amzn-ErrorType"), "ThrottlingException:") ||
		string(body) != `{"message":"Too many requests, please wait before trying again."}` {
		t.Errorf("status %d, X-Amzn-ErrorType %q, body %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body)
	}

	// The SDK turns it into its modeled error type.
	client := bedrockruntime.NewFromConfig(ClientConfig(b.URL()), func(o *bedrockruntime.Options) { o.Retryer = aws.NopRetryer{} })
	b.Inject(OpGetAsyncInvoke, BedrockFault("ThrottlingException", "slow"))
	_, err = client.GetAsyncInvoke(context.Background(), &bedrockruntime.GetAsyncInvokeInput{InvocationArn: aws.String("arn:aws:bedrock:us-east-1:123456789012:async-invoke/x")})
	var throttled *brtypes.ThrottlingException
	if !errors.As(err, &throttled) || throttled.ErrorMessage() != "slow" {
		t.Errorf("got %T %v", err, err)
	}
}

func TestBedrockRequiresSignedRequests(t *testing.T) {
	b := NewBedrock(t)
	resp, err := http.Post(b.URL()+"/async-invoke", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned request answered %d", resp.StatusCode)
	}
}

func TestBedrockListFilters(t *testing.T) {
	ctx := context.Background()
	b := NewBedrock(t)
	b.MaxPageSize = 2
	client := bedrockruntime.NewFromConfig(ClientConfig(b.URL()))
	var arns []string
	for i := range 5 {
		j := b.AddJob(strings.Repeat(string(rune('a'+i)), 8), "amazon.nova-reel-v1:1", "s3://b/p", json.RawMessage(`{}`))
		arns = append(arns, j.InvocationArn)
		time.Sleep(2 * time.Millisecond)
	}
	b.Complete(arns[1])
	b.Fail(arns[3], "filtered")

	list := func(in *bedrockruntime.ListAsyncInvokesInput) []string {
		var out []string
		p := bedrockruntime.NewListAsyncInvokesPaginator(client, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range page.AsyncInvokeSummaries {
				out = append(out, aws.ToString(s.InvocationArn))
			}
		}
		return out
	}
	if got := list(&bedrockruntime.ListAsyncInvokesInput{SortOrder: brtypes.SortOrderAscending}); strings.Join(got, ",") != strings.Join(arns, ",") {
		t.Errorf("ascending, paged by 2: %v", got)
	}
	if got := list(&bedrockruntime.ListAsyncInvokesInput{StatusEquals: brtypes.AsyncInvokeStatusFailed}); len(got) != 1 || got[0] != arns[3] {
		t.Errorf("failed jobs: %v", got)
	}
	if got := list(&bedrockruntime.ListAsyncInvokesInput{}); got[0] != arns[4] {
		t.Errorf("default order is not newest first: %v", got)
	}
	if got := list(&bedrockruntime.ListAsyncInvokesInput{SubmitTimeAfter: aws.Time(time.Now().Add(time.Hour))}); len(got) != 0 {
		t.Errorf("future submitTimeAfter: %v", got)
	}
}

func TestS3NotFoundVersusForbidden(t *testing.T) {
	ctx := context.Background()
	s := NewS3(t, "bkt")
	client := s3.NewFromConfig(ClientConfig(s.URL()), func(o *s3.Options) { o.UsePathStyle = true })

	_, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("videos/none")})
	var notFound *s3types.NotFound
	if !errors.As(err, &notFound) {
		t.Errorf("HEAD of a missing key: %T %v", err, err)
	}
	_, err = client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("videos/none")})
	var noKey *s3types.NoSuchKey
	if !errors.As(err, &noKey) {
		t.Errorf("GET of a missing key: %T %v", err, err)
	}

	s.DenyList("bkt", "videos/")
	_, err = client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("videos/none")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" || errors.As(err, &noKey) {
		t.Errorf("GET without s3:ListBucket: %T %v", err, err)
	}

	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("videos/a b/ü.json"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatal(err)
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("videos/a b/ü.json")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(body) != "hello" {
		t.Errorf("read back %q", body)
	}
	_, err = client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("videos/a b/ü.json"), Body: strings.NewReader("again"), IfNoneMatch: aws.String("*")})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "PreconditionFailed" {
		t.Errorf("conditional overwrite: %v", err)
	}
}

func TestDecodeAWSChunked(t *testing.T) {
	raw := "5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n"
	got, err := decodeAWSChunked([]byte(raw))
	if err != nil || string(got) != "hello world" {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := decodeAWSChunked([]byte("zz\r\n")); err == nil {
		t.Error("bad chunk size accepted")
	}
}
