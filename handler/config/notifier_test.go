package config

import (
	"strings"
	"testing"
)

func TestNotifierConfigRoundTrips(t *testing.T) {
	want := NotifierConfig{
		OutputBucket:       "my-videos",
		DurableFunctionARN: "arn:aws:lambda:eu-west-1:123456789012:function:video-handler-1a2b",
	}
	got, err := NotifierFromEnviron(want.Environ())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if r := got.FunctionRegion(); r != "eu-west-1" {
		t.Errorf("FunctionRegion = %q, want eu-west-1: the callback API is called in the durable function's region", r)
	}
	if n := got.FunctionName(); n != "video-handler-1a2b" {
		t.Errorf("FunctionName = %q, want video-handler-1a2b", n)
	}
	for _, v := range NotifierVariables() {
		if _, ok := want.Environ()[v]; !ok {
			t.Errorf("Environ lacks %s", v)
		}
	}
}

func TestNotifierConfigRefusesBadSettings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"nothing set", map[string]string{}, []string{EnvOutputBucket + " is required", EnvDurableFunctionARN + " is required"}},
		{"bad bucket", map[string]string{EnvOutputBucket: "My_Bucket", EnvDurableFunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:f"},
			[]string{EnvOutputBucket + `="My_Bucket" is not a valid S3 bucket name`}},
		{"qualified ARN", map[string]string{EnvOutputBucket: "b-b", EnvDurableFunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:f:live"},
			[]string{EnvDurableFunctionARN + `="arn:aws:lambda:us-east-1:123456789012:function:f:live" must be an unqualified Lambda function ARN`}},
		{"function name only", map[string]string{EnvOutputBucket: "b-b", EnvDurableFunctionARN: "video-handler"},
			[]string{EnvDurableFunctionARN + `="video-handler" must be an unqualified Lambda function ARN`}},
		{"not a Lambda ARN", map[string]string{EnvOutputBucket: "b-b", EnvDurableFunctionARN: "arn:aws:sqs:us-east-1:123456789012:jobs"},
			[]string{"must be an unqualified Lambda function ARN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NotifierFromEnviron(tt.env)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
